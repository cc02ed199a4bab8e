//! The summaries the benchmarks report: percentiles of latencies, and min / median / max over repetitions.

/// The value at `fraction` of sorted `values` (0 when there are none).
pub fn percentile(values: &[u64], fraction: f64) -> u64 {
    let at = ((values.len() as f64 * fraction) as usize).min(values.len().saturating_sub(1));
    values.get(at).copied().unwrap_or(0)
}

/// The smallest, the median and the largest of `values`; zeros when there are none.
pub fn min_median_max(values: impl IntoIterator<Item = f64>) -> (f64, f64, f64) {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    match (values.first(), values.get(values.len() / 2), values.last()) {
        (Some(&min), Some(&median), Some(&max)) => (min, median, max),
        _ => (0.0, 0.0, 0.0),
    }
}

/// `min / median / max` of `values`, with `digits` decimals.
pub fn spread(values: impl IntoIterator<Item = f64>, digits: usize) -> String {
    let (min, median, max) = min_median_max(values);
    format!("{min:.digits$} / {median:.digits$} / {max:.digits$}")
}

/// The median of `values`; 0 when there are none.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    min_median_max(values).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), 3);
        assert_eq!(percentile(&[1, 2, 3, 4], 0.99), 4);
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(min_median_max([3.0, 1.0, 2.0]), (1.0, 2.0, 3.0));
        assert_eq!(spread([0.5, 0.25, 1.0], 2), "0.25 / 0.50 / 1.00");
        assert_eq!(median([]), 0.0);
    }
}
