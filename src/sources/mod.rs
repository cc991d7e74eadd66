//! Upstream services: one adapter per service, the shared HTTP client, the
//! cache and the offline OSV database.

pub mod cache;
pub mod crates;
pub mod depsdev;
pub mod endpoints;
pub mod http;
pub mod hub;
pub mod model;
pub mod npm;
pub mod osv;
pub mod osv_db;
pub mod osv_record;
pub mod pypi;
pub mod repo_url;
pub mod reports;
pub mod scorecard;

use time::OffsetDateTime;

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
    /// No usable answer: unreachable, offline and not cached, a malformed
    /// answer, or the source is not configured.
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
    pub at: OffsetDateTime,
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

    /// Why there is no value, in a few words (for evidence reasons).
    pub fn why_not(&self) -> String {
        match self {
            Lookup::Found(f) => format!("{} answered", f.source),
            Lookup::NotFound { source, .. } => format!("{source} does not know this package"),
            Lookup::Unavailable { source, reason } => format!("{source} unavailable: {reason}"),
            Lookup::NotApplicable { source, why } => format!("{source} not applicable: {why}"),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::Found(x) => Lookup::Found(Found {
                value: f(x.value),
                source: x.source,
                url: x.url,
                at: x.at,
            }),
            Lookup::NotFound { source, url, at } => Lookup::NotFound { source, url, at },
            Lookup::Unavailable { source, reason } => Lookup::Unavailable { source, reason },
            Lookup::NotApplicable { source, why } => Lookup::NotApplicable { source, why },
        }
    }
}
