//! The evidence every rule writes: what a source's answer showed, or why
//! there was none to decide from.

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

pub(super) fn no_data(source: &str, reason: impl Into<String>) -> Evidence {
    Evidence::new(source, ReasonCode::NoData, reason)
}

pub(super) fn with_code(mut e: Evidence, code: ReasonCode) -> Evidence {
    e.code = code;
    e
}
