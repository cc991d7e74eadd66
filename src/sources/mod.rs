//! Upstream services: one adapter per service, the shared HTTP client, the
//! cache and the offline OSV database.
//!
//! Each service declares itself once, in its own file ([`adapter::Adapter`]:
//! its name, whether it needs the network, its batch endpoint and limit),
//! with its questions' paths and parsers ([`adapter::Question`],
//! [`adapter::Batch`]); the hub asks them all the same way
//! ([`hub::Sources`]). Adding a service is its file and a line in
//! [`ADAPTERS`], with its name in `http::Service` and its endpoint's setting
//! in `endpoints` (and the configuration).
//!
//! Every answer comes back as a [`Lookup`]. A [`Found`] answer says how much
//! of the truth it holds ([`Coverage`]) and what time it describes
//! (`as_of`), because a True may rest only on *closed-world* evidence: a
//! complete, well-formed, current answer from the source authoritative for
//! the question. [`Found::closed`] is the one place that judges that, and the
//! [`Closed`] witness it returns is what the assessment needs to assert a
//! True or a value; partial or stale answers can still establish a False.

pub mod adapter;
pub mod cache;
pub mod crates;
pub mod depsdev;
pub mod documents;
pub mod endpoints;
pub mod fulcio;
pub mod http;
pub mod hub;
pub mod insights;
pub mod json;
pub mod model;
pub mod npm;
pub mod oci;
pub mod oidc;
pub mod osv;
pub mod osv_db;
pub mod osv_record;
pub mod pypi;
pub mod registry;
pub mod rekor;
pub mod remote;
pub mod repo_files;
pub mod repo_url;
pub mod scorecard;
pub mod signer_services;
pub mod signing_config;
pub mod tsa;

use time::OffsetDateTime;

use adapter::Adapter;

/// Every adapter, as it declares itself.
pub const ADAPTERS: &[&Adapter] = &[
    &depsdev::ADAPTER,
    &osv::ADAPTER,
    &osv_db::ADAPTER,
    &scorecard::ADAPTER,
    &repo_files::ADAPTER,
    &npm::ADAPTER,
    &pypi::ADAPTER,
    &crates::INDEX,
    &crates::API,
    &documents::TIDELIFT,
    &documents::REPORTS,
];

/// How much of the truth an answer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// The whole, well-formed answer of the source authoritative for the
    /// question, within its age limit.
    Complete,
    /// Known to leave things out (a partial database, a repaired report, a
    /// capped list); says what.
    Partial(String),
    /// Older than its limit allows; says how old.
    Stale(String),
}

impl Coverage {
    /// The word used in evidence: `complete`, `partial` or `stale`.
    pub fn word(&self) -> &'static str {
        match self {
            Coverage::Complete => "complete",
            Coverage::Partial(_) => "partial",
            Coverage::Stale(_) => "stale",
        }
    }

    /// The narrower of two: an answer built from both is as incomplete as
    /// either.
    pub fn and(self, other: Coverage) -> Coverage {
        match (self, other) {
            (Coverage::Complete, o) | (o, Coverage::Complete) => o,
            (a @ Coverage::Stale(_), _) | (_, a @ Coverage::Stale(_)) => a,
            (a, _) => a,
        }
    }
}

/// A witness that the evidence behind a value is closed-world. Only
/// [`Found::closed`] and [`Closed::check`] make one, so every True and every
/// asserted value can be traced to the checks that allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Closed(());

/// Why evidence is not closed-world, in the words an evidence reason
/// quotes ("npm's answer is incomplete: ...").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotClosed(pub String);

/// Read as the reason it is.
impl std::ops::Deref for NotClosed {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for NotClosed {
    fn from(why: String) -> NotClosed {
        NotClosed(why)
    }
}

impl Closed {
    /// A fact about an answer that must hold for it to be closed-world (a
    /// list that is known, not merely absent): `Err(why)` when it does not.
    pub fn check(ok: bool, why: impl FnOnce() -> String) -> Result<Closed, NotClosed> {
        if ok {
            Ok(Closed(()))
        } else {
            Err(NotClosed(why()))
        }
    }

    /// Closed only if every part is.
    pub fn all(
        parts: impl IntoIterator<Item = Result<Closed, NotClosed>>,
    ) -> Result<Closed, NotClosed> {
        for p in parts {
            let _: Closed = p?;
        }
        Ok(Closed(()))
    }
}

/// What asking one source about one thing came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    /// The source answered, with this.
    Found(Found<T>),
    /// The source answered that it does not know the thing.
    NotFound {
        source: String,
        url: String,
        at: OffsetDateTime,
    },
    /// The source answered, but not in the shape it documents (wrong types,
    /// missing keys, HTML, truncated, out of range, another package's
    /// answer). Never cached; never a value.
    Malformed {
        source: String,
        url: String,
        reason: String,
    },
    /// No usable answer: unreachable, offline and not cached, or the source
    /// is not configured.
    Unavailable { source: String, reason: String },
    /// The source does not cover this (another ecosystem, say).
    NotApplicable { source: String, why: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    pub value: T,
    pub source: String,
    /// Where it came from, credentials removed.
    pub url: String,
    /// When it was retrieved (from the service, the cache or a file).
    pub at: OffsetDateTime,
    /// The time the answer describes: `at` for a live answer, the snapshot
    /// time of an offline database, the date of a published report.
    pub as_of: OffsetDateTime,
    pub coverage: Coverage,
}

impl<T> Found<T> {
    /// A complete, current answer retrieved at `at`.
    pub fn complete(
        value: T,
        source: impl Into<String>,
        url: impl Into<String>,
        at: OffsetDateTime,
    ) -> Found<T> {
        Found {
            value,
            source: source.into(),
            url: url.into(),
            at,
            as_of: at,
            coverage: Coverage::Complete,
        }
    }

    /// Whether a True or a value may rest on this answer.
    pub fn closed(&self) -> Result<Closed, NotClosed> {
        match &self.coverage {
            Coverage::Complete => Ok(Closed(())),
            Coverage::Partial(why) => Err(NotClosed(format!(
                "{}'s answer is incomplete: {why}",
                self.source
            ))),
            Coverage::Stale(why) => Err(NotClosed(format!(
                "{}'s answer is too old: {why}",
                self.source
            ))),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Found<U> {
        Found {
            value: f(self.value),
            source: self.source,
            url: self.url,
            at: self.at,
            as_of: self.as_of,
            coverage: self.coverage,
        }
    }
}

impl<T> Lookup<T> {
    pub fn found(&self) -> Option<&Found<T>> {
        match self {
            Lookup::Found(f) => Some(f),
            _ => None,
        }
    }

    pub fn value(&self) -> Option<&T> {
        self.found().map(|f| &f.value)
    }

    /// Closed-world evidence from this lookup, or why not.
    pub fn closed(&self) -> Result<Closed, NotClosed> {
        match self {
            Lookup::Found(f) => f.closed(),
            other => Err(NotClosed(other.why_not())),
        }
    }

    /// Why there is no value, in a few words (for evidence reasons).
    pub fn why_not(&self) -> String {
        match self {
            Lookup::Found(f) => match &f.coverage {
                Coverage::Complete => format!("{} answered", f.source),
                Coverage::Partial(w) => format!("{}'s answer is incomplete: {w}", f.source),
                Coverage::Stale(w) => format!("{}'s answer is too old: {w}", f.source),
            },
            Lookup::NotFound { source, .. } => format!("{source} does not know this package"),
            Lookup::Malformed { reason, .. } => reason.clone(),
            Lookup::Unavailable { source, reason } => format!("{source} unavailable: {reason}"),
            Lookup::NotApplicable { source, why } => format!("{source} not applicable: {why}"),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Found(x) => Lookup::Found(x.map(f)),
            Lookup::NotFound { source, url, at } => Lookup::NotFound { source, url, at },
            Lookup::Malformed {
                source,
                url,
                reason,
            } => Lookup::Malformed {
                source,
                url,
                reason,
            },
            Lookup::Unavailable { source, reason } => Lookup::Unavailable { source, reason },
            Lookup::NotApplicable { source, why } => Lookup::NotApplicable { source, why },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_complete_answers_are_closed() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut f = Found::complete(1, "s", "u", at);
        assert!(f.closed().is_ok());
        f.coverage = Coverage::Partial("3 of 9 pages".into());
        assert!(f.closed().unwrap_err().contains("3 of 9 pages"));
        f.coverage = Coverage::Stale("400 days old".into());
        assert!(f.closed().unwrap_err().contains("400 days old"));
        assert!(
            Lookup::<u8>::Unavailable {
                source: "s".into(),
                reason: "down".into()
            }
            .closed()
            .is_err()
        );
        assert_eq!(
            Coverage::Complete.and(Coverage::Partial("x".into())),
            Coverage::Partial("x".into())
        );
        assert!(Closed::all([Ok(Closed(())), Err(NotClosed("no".to_string()))]).is_err());
    }
}
