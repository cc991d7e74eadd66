//! The evidence every rule writes: what a source's answer showed, or why
//! there was none to decide from.

use crate::sources::model::AnswerGap;
use crate::sources::{Coverage, Found, Lookup};
use crate::tacos::{Evidence, ReasonCode, timestamp};
/// Evidence drawn from one source's answer.
pub(super) fn observed<T>(
    found: &Found<T>,
    reason: impl Into<String>,
    what: serde_json::Value,
) -> Evidence {
    let mut e = Evidence::new(found.source.clone(), ReasonCode::Observed, reason);
    e.url = Some(found.url.clone());
    e.retrieved_at = Some(timestamp(found.at));
    if found.as_of != found.at {
        e.as_of = Some(timestamp(found.as_of));
    }
    if found.coverage != Coverage::Complete {
        e.coverage = Some(found.coverage.word().to_string());
    }
    e.observed = Some(what);
    e
}

/// Evidence for a value that could not be decided from `lookup`.
pub(super) fn missing<T>(lookup: &Lookup<T>, what: &str) -> Evidence {
    let (source, code, reason) = match lookup {
        Lookup::Found(f) => (
            f.source.clone(),
            ReasonCode::NoData,
            format!("{what}: {} says nothing that decides it", f.source),
        ),
        Lookup::NotFound { source, .. } => (
            source.clone(),
            ReasonCode::NoData,
            format!("{what}: {source} does not know this package"),
        ),
        Lookup::Malformed { source, reason, .. } => (
            source.clone(),
            ReasonCode::MalformedAnswer,
            format!("{what}: {reason}"),
        ),
        Lookup::Unavailable { source, reason } => (
            source.clone(),
            ReasonCode::SourceUnavailable,
            format!("{what}: {source} unavailable ({reason})"),
        ),
        Lookup::NotApplicable { source, why } => (
            source.clone(),
            ReasonCode::NotApplicable,
            format!("{what}: {why}"),
        ),
    };
    let mut e = Evidence::new(source, code, reason);
    match lookup {
        Lookup::NotFound { url, at, .. } => {
            e.url = Some(url.clone());
            e.retrieved_at = Some(timestamp(*at));
        }
        Lookup::Malformed { url, .. } => e.url = Some(url.clone()),
        _ => {}
    }
    e
}

/// Evidence for a value a listing lacks because an answer it needed was
/// missing (`gap` names it), not because the package declares nothing.
/// Only a failure that may pass is `source-unavailable` (not kept, counted
/// as a miss offline); an answer that is absent (a 404) is `no-data`.
pub(super) fn answer_missing(source: &str, what: &str, gap: &AnswerGap) -> Evidence {
    let code = if gap.transient {
        ReasonCode::SourceUnavailable
    } else {
        ReasonCode::NoData
    };
    Evidence::new(source, code, format!("{what}: {}", gap.why))
}

pub(super) fn no_data(source: &str, reason: impl Into<String>) -> Evidence {
    Evidence::new(source, ReasonCode::NoData, reason)
}

pub(super) fn with_code(mut e: Evidence, code: ReasonCode) -> Evidence {
    e.code = code;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::testkit::*;
    use serde_json::json;

    #[test]
    fn observed_evidence_says_where_when_and_how_complete() {
        let answer = complete(7, "npm");
        let e = observed(answer.found().unwrap(), "seven", json!({"n": 7}));
        assert_eq!(
            (e.source.as_str(), e.code, e.reason.as_str()),
            ("npm", ReasonCode::Observed, "seven")
        );
        assert_eq!(e.url.as_deref(), Some("https://source.example/answer"));
        assert_eq!(e.retrieved_at.as_deref(), Some("2026-11-23T00:00:00Z"));
        assert_eq!((e.as_of, e.coverage), (None, None));
        assert_eq!(e.observed, Some(json!({"n": 7})));
        let stale = with_coverage(&answer, Coverage::Stale("400 days old".into()));
        let e = observed(stale.found().unwrap(), "seven", json!(7));
        assert_eq!(e.as_of.as_deref(), Some("2025-10-19T00:00:00Z"));
        assert_eq!(e.coverage.as_deref(), Some("stale"));
        let partial = with_coverage(&answer, Coverage::Partial("3 of 9".into()));
        let e = observed(partial.found().unwrap(), "seven", json!(7));
        assert_eq!((e.as_of, e.coverage.as_deref()), (None, Some("partial")));
    }

    #[test]
    fn missing_evidence_names_each_way_an_answer_gives_no_value() {
        let mut cases: Vec<(Lookup<u8>, ReasonCode, &str, bool, bool)> = failures("npm")
            .into_iter()
            .zip([
                ("no list: npm does not know this package", true, true),
                (
                    "no list: `versions` is a string, not an object",
                    true,
                    false,
                ),
                (
                    "no list: npm unavailable (connection refused)",
                    false,
                    false,
                ),
                ("no list: it does not cover this ecosystem", false, false),
            ])
            .map(|((l, code), (reason, url, at))| (l, code, reason, url, at))
            .collect();
        cases.push((
            complete(7, "npm"),
            ReasonCode::NoData,
            "no list: npm says nothing that decides it",
            false,
            false,
        ));
        for (lookup, code, reason, url, at) in cases {
            let e = missing(&lookup, "no list");
            assert_eq!((e.source.as_str(), e.code), ("npm", code), "{reason}");
            assert_eq!(e.reason, reason);
            assert_eq!(e.url.is_some(), url, "{reason}");
            assert_eq!(e.retrieved_at.is_some(), at, "{reason}");
        }
    }

    #[test]
    fn no_data_and_with_code() {
        let e = no_data("tacos-sbom", "nothing");
        assert_eq!((e.code, e.reason.as_str()), (ReasonCode::NoData, "nothing"));
        assert_eq!(
            with_code(e, ReasonCode::IncompleteEvidence).code,
            ReasonCode::IncompleteEvidence
        );
    }
}
