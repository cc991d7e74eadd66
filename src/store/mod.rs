//! The assessment store: decided statements with their evidence, keyed by
//! canonical PURL, reused until `[cache] ttl_hours` passes, and shared by
//! every run that uses the same store — on PostgreSQL, by every runner of a
//! fleet. A runner *claims* the packages it is about to assess; another
//! runner that needs one of them waits for the result instead of asking the
//! services again. A claim lasts a lease (`[store] claim_seconds`), so a
//! runner that died mid-claim holds nothing for long.
//!
//! Two backends behind one trait: SQLite (the default, no setup, in the
//! cache directory; safe for concurrent processes on one machine) and
//! PostgreSQL (`--store postgres://...`, `TACOS_STORE_URL`, `[store] url`).

pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
#[error("assessment store {store}: {message}")]
pub struct StoreError {
    /// The store, as it may be shown (no credentials).
    pub store: String,
    pub message: String,
}

/// One stored statement: its JSON, and when it was decided (Unix seconds,
/// the store's clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub statement: String,
    pub decided_at: i64,
}

pub trait Store: Send + Sync {
    /// The store as it may be shown: no credentials.
    fn describe(&self) -> String;

    /// Whether runners on other machines use it too, so that raw answers
    /// are worth sharing through it (see `sources::http::SharedAnswers`);
    /// on one machine the answer cache is already shared.
    fn shares_answers(&self) -> bool {
        false
    }

    /// Statements younger than `ttl_seconds` (so none with 0), by key.
    fn load<'a>(
        &'a self,
        keys: &'a [String],
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<HashMap<String, Stored>, StoreError>>;

    /// Claim the keys whose statement is missing or not younger than
    /// `ttl_seconds` and that no other runner holds a live claim on: those
    /// returned are this runner's to assess, until `lease_seconds` pass.
    fn claim<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>>;

    /// Store decided statements (key, JSON) and drop their claims.
    fn save<'a>(&'a self, items: &'a [(String, String)]) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Extend this runner's live claims on `keys` by another lease: a
    /// runner renews while it assesses, so only a runner that stopped
    /// loses its claims.
    fn renew<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Give up claims without a result (the run failed).
    fn release<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// What makes two assessments of one package comparable: the tool's
/// version and everything that decides values (thresholds, limits, where
/// the answers come from). A statement is reused only under the same
/// fingerprint.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key of one package's statement under a fingerprint.
pub fn key(fingerprint: &str, canonical_purl: &str) -> String {
    format!("{fingerprint} {canonical_purl}")
}

/// A name for this runner in claims: host and process.
pub fn runner_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    format!(
        "{host}:{}:{}",
        std::process::id(),
        r.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Open the store a URL names: `postgres://` or `postgresql://`, else a
/// SQLite file (`sqlite:PATH` or a path).
pub async fn open(url: &str, pool_size: usize) -> Result<Box<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(postgres::PgStore::connect(url, pool_size).await?))
    } else {
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(
            path,
        ))?))
    }
}
