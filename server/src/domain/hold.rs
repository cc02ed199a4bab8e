//! The sandbox's hold (`Gov-Test-Hold-Ms`): a request asked to wait inside its critical section, so that a test
//! can send a second request while the first holds its lock, every time rather than by luck (docs/domain.md
//! §11). The handler scopes the hold around one domain call ([`within`]); the domain pauses at the point where
//! its lock is taken ([`pause`]). Outside such a scope, and so in production mode, [`pause`] does nothing.

use std::future::Future;
use std::time::Duration;

/// The longest hold a request may ask for.
pub const MAX: Duration = Duration::from_millis(5000);

tokio::task_local! {
    static HOLD: Duration;
}

/// Runs `work` with `hold` (capped at [`MAX`]) as the pause its critical section takes; no hold, no pause.
pub async fn within<F: Future>(hold: Option<Duration>, work: F) -> F::Output {
    match hold {
        Some(hold) => HOLD.scope(hold.min(MAX), work).await,
        None => work.await,
    }
}

/// Waits for the hold of the current scope, if any. Called with the lock held.
pub async fn pause() {
    if let Some(hold) = current() {
        tokio::time::sleep(hold).await;
    }
}

/// The hold of the current scope.
fn current() -> Option<Duration> {
    HOLD.try_with(|hold| *hold).ok()
}

/// The hold a header value asks for: whole milliseconds; anything else asks for none.
pub fn parse(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_is_whole_milliseconds() {
        assert_eq!(parse("250"), Some(Duration::from_millis(250)));
        assert_eq!(parse(" 7 "), Some(Duration::from_millis(7)));
        for bad in ["", "-1", "1.5", "soon"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_hold_is_capped_and_lasts_its_scope_only() {
        assert_eq!(current(), None);
        let held = within(Some(Duration::from_secs(60)), async { current() }).await;
        assert_eq!(held, Some(MAX));
        assert_eq!(within(None, async { current() }).await, None);
        let short = Duration::from_millis(20);
        let started = std::time::Instant::now();
        within(Some(short), pause()).await;
        assert!(started.elapsed() >= short);
    }
}
