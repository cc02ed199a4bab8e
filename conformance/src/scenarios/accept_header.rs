//! The `Accept` header, checked before anything else on every operation that documents it: missing or
//! misshapen (406), another version or not json (400). One scenario per operation, from its request template.

use super::templates::Template;
use crate::harness::*;

/// The named examples an Accept header variant must get.
const VARIANTS: [(Option<&str>, &str); 6] = [
    (None, "406/ACCEPT_HEADER_MISSING"),
    (Some("application/json"), "406/ACCEPT_HEADER_INVALID"),
    (
        Some("application/vnd.hmrc.2+json"),
        "406/ACCEPT_HEADER_INVALID",
    ),
    (
        Some("application/vnd.hmrc.9.0+json"),
        "400/BAD_REQUEST_VERSION",
    ),
    (
        Some("application/vnd.hmrc.1.1+json"),
        "400/BAD_REQUEST_VERSION",
    ),
    (
        Some("application/vnd.hmrc.{version}+xml"),
        "400/BAD_REQUEST_CONTENT_TYPE",
    ),
];

pub fn scenarios(templates: &[Template]) -> Vec<Scenario> {
    templates
        .iter()
        .filter_map(|template| {
            let version = template.accept_version?;
            let operation = template.operation;
            let build = template.build;
            let covers: Vec<String> = VARIANTS
                .iter()
                .map(|(_, entry)| format!("{operation}/{entry}"))
                .collect();
            let mut unique = covers.clone();
            unique.dedup();
            unique.push("rule/R-ACCEPT-CHECK".to_owned());
            Some(Scenario::with_covers(
                format!("accept header: {operation}"),
                unique,
                move |ctx| async move {
                    let f = ctx.fixtures().clone();
                    for (header, entry) in VARIANTS {
                        // A version this operation does not serve, whatever it serves.
                        let header = header.map(|h| {
                            let h = h.replace("{version}", version);
                            if h == format!("application/vnd.hmrc.{version}+json") {
                                "application/vnd.hmrc.9.9+json".into()
                            } else {
                                h
                            }
                        });
                        let request = build(&f, &f.agent.arn, &f.pending)
                            .bearer(&f.agent.token)
                            .set_header("Accept", header);
                        ctx.soft(&format!("{operation}/{entry}"), request).await?;
                    }
                    Ok(())
                },
            ))
        })
        .collect()
}
