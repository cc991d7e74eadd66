//! The assessment store: decided statements with their evidence, keyed by
//! canonical PURL, reused until `[cache] ttl_hours` passes, and shared by
//! every run that uses the same store — on PostgreSQL, by every runner of a
//! fleet. A runner *claims* the packages it is about to assess; another
//! runner that needs one of them waits for the result instead of asking the
//! services again. A claim lasts a short lease (`[store] claim_seconds`)
//! that its holder renews while it works, so a runner that died holds
//! nothing for long; one that is stopped (SIGTERM, Ctrl-C) gives its
//! claims back at once, and on SQLite a claim of a process of this machine
//! that no longer runs is void.
//!
//! Two backends behind one trait: SQLite (the default, no setup, in the
//! cache directory; safe for concurrent processes on one machine) and
//! PostgreSQL (`--store postgres://...`, `TACOS_STORE_URL`, `[store] url`).
//! Either is opened behind [`seal::Sealed`]: every row is sealed with the
//! store key, and a row that does not verify is set aside, never used.

pub mod postgres;
pub mod seal;
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

    /// Set rows aside that were found unusable (they did not verify or did
    /// not read): each (key, `decided_at` as loaded) loses its statement,
    /// so it can be claimed and decided again, unless it changed since it
    /// was loaded. Returns how many were set aside.
    fn quarantine<'a>(
        &'a self,
        rows: &'a [(String, i64)],
    ) -> BoxFuture<'a, Result<usize, StoreError>>;
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

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().replace(':', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// A name for this runner in claims: `HOST:PID:RANDOM`.
pub fn runner_id() -> String {
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    format!(
        "{}:{}:{}",
        host_name(),
        std::process::id(),
        r.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Whether the runner named `runner` (see [`runner_id`]) is a process of
/// this machine that no longer runs: its claims hold nothing. `false`
/// when that cannot be told (another machine, no `/proc`).
pub fn runner_is_gone(runner: &str) -> bool {
    let mut parts = runner.rsplitn(3, ':');
    let (Some(_), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_name()
        && pid != std::process::id()
        && crate::fsutil::process_runs(pid) == Some(false)
}

/// The SQLite file a store URL names, or `None` for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        None
    } else {
        Some(url.strip_prefix("sqlite:").unwrap_or(url).into())
    }
}

/// The file beside a SQLite store that holds its key when none is given.
pub fn sqlite_key_file(db: &std::path::Path) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}.key", db.display()))
}

/// The key the rows of the store `url` names are sealed with:
/// `TACOS_STORE_KEY` (the secret itself), else `key_file`; else, for a
/// SQLite store, a key kept beside it and made on first use (its rows are
/// written by this machine's runs alone). A PostgreSQL store, which many
/// runners share, needs one given: the same secret on every runner.
pub fn store_key(
    url: &str,
    key_file: Option<&std::path::Path>,
) -> Result<seal::StoreKey, StoreError> {
    let shown = || match sqlite_path(url) {
        Some(p) => p.display().to_string(),
        None => postgres::redact(url),
    };
    let err = |message: String| StoreError {
        store: shown(),
        message,
    };
    if let Some(secret) = std::env::var_os("TACOS_STORE_KEY").filter(|s| !s.is_empty()) {
        return seal::StoreKey::from_secret(secret.as_encoded_bytes()).ok_or_else(|| {
            err(format!(
                "TACOS_STORE_KEY is shorter than {} bytes; use e.g. `openssl rand -hex 32`",
                seal::MIN_SECRET_BYTES
            ))
        });
    }
    if let Some(path) = key_file {
        return seal::StoreKey::read(path).map_err(|e| err(e.to_string()));
    }
    match sqlite_path(url) {
        Some(db) => {
            seal::StoreKey::read_or_create(&sqlite_key_file(&db)).map_err(|e| err(e.to_string()))
        }
        None => Err(err(
            "a shared store needs the fleet's store key, so that a row changed in the database is never signed: \
             set TACOS_STORE_KEY to the same secret on every runner (e.g. from `openssl rand -hex 32`, kept as a CI secret), \
             or [store] key_file"
                .into(),
        )),
    }
}

/// Open the store a URL names (`postgres://` or `postgresql://`, else a
/// SQLite file: `sqlite:PATH` or a path), its rows sealed with `key`.
pub async fn open(
    url: &str,
    pool_size: usize,
    key: seal::StoreKey,
) -> Result<seal::Sealed, StoreError> {
    let inner: Box<dyn Store> = match sqlite_path(url) {
        None => Box::new(postgres::PgStore::connect(url, pool_size).await?),
        Some(path) => Box::new(sqlite::SqliteStore::open(&path)?),
    };
    Ok(seal::Sealed::new(inner, key))
}
