//! Integrity for the store's rows. A shared store is a trust boundary:
//! every runner with its credentials (and whoever else can write the
//! database) could change a row to `FixedVulnerabilities: "True"`, and the
//! next runner would sign it. So every row is written with an HMAC-SHA256
//! under the store key (a secret every runner of the fleet holds, and the
//! database does not), binding the row's key, the time it was sealed and
//! its text; a reader takes only rows whose tag verifies and that were
//! sealed within the TTL. A row that fails is set aside (its statement
//! cleared, so it can be claimed) and decided again, never used.
//!
//! The wrapper also remembers which claims this process holds, so that an
//! interrupted run can give them back instead of leaving them to expire.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::hmac;

use super::{BoxFuture, Store, StoreError, Stored};

/// The first line of a sealed row: this, the Unix time it was sealed and
/// the tag (hex), separated by spaces.
const MAGIC: &str = "tacos-seal-1";
/// What the tag covers first: the purpose, so a tag made for anything else
/// never verifies here.
const DOMAIN: &[u8] = b"tacos-sbom store row v1\0";
/// How far apart the runners' clocks (and the database's) may be.
const CLOCK_SKEW: i64 = 300;
/// The shortest secret taken as a store key.
pub const MIN_SECRET_BYTES: usize = 16;

/// Why the store key could not be read or made, naming its file.
#[derive(Debug, thiserror::Error)]
pub enum StoreKeyError {
    #[error("the store key {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the store key {}: shorter than {MIN_SECRET_BYTES} bytes", .path.display())]
    TooShort { path: std::path::PathBuf },
    #[error("the store key {}: no randomness: {source}", .path.display())]
    NoRandomness {
        path: std::path::PathBuf,
        #[source]
        source: getrandom::Error,
    },
}

/// The secret rows are sealed with. Never shown: its `Debug` says nothing.
pub struct StoreKey(hmac::Key);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    /// A key from a secret (`TACOS_STORE_KEY`, or a key file's text, its
    /// surrounding whitespace dropped); `None` if it is too short.
    pub fn from_secret(secret: &[u8]) -> Option<StoreKey> {
        let secret = secret.trim_ascii();
        (secret.len() >= MIN_SECRET_BYTES)
            .then(|| StoreKey(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    /// The key in the file at `path` (a regular file: never a pipe waited on).
    pub fn read(path: &Path) -> Result<StoreKey, StoreKeyError> {
        let bytes =
            crate::fsutil::read_regular(path, 4096).map_err(|source| StoreKeyError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        StoreKey::from_secret(&bytes).ok_or_else(|| StoreKeyError::TooShort {
            path: path.to_path_buf(),
        })
    }

    /// The key in `path`, made there (32 random bytes, hex; mode 0600 from
    /// the moment it exists) when there is none: for a store on this
    /// machine, whose rows this machine's runs alone write.
    pub fn read_or_create(path: &Path) -> Result<StoreKey, StoreKeyError> {
        let io = |source| StoreKeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        if std::fs::symlink_metadata(path).is_err() {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|source| StoreKeyError::NoRandomness {
                path: path.to_path_buf(),
                source,
            })?;
            let mut file = crate::fsutil::AtomicFile::create_private(path).map_err(io)?;
            std::io::Write::write_all(file.writer(), hex::encode(secret).as_bytes()).map_err(io)?;
            match file.commit_new(true) {
                Ok(()) => {}
                // Another run made it meanwhile: that one is the key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
        }
        StoreKey::read(path)
    }

    fn tag(&self, key: &str, sealed_at: i64, text: &str) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(DOMAIN);
        ctx.update(key.as_bytes());
        ctx.update(b"\0");
        ctx.update(sealed_at.to_string().as_bytes());
        ctx.update(b"\0");
        ctx.update(text.as_bytes());
        ctx.sign()
    }

    /// `text` as stored under `key`, sealed at `now`.
    pub fn seal(&self, key: &str, text: &str, now: i64) -> String {
        let tag = self.tag(key, now, text);
        format!("{MAGIC} {now} {}\n{text}", hex::encode(tag.as_ref()))
    }

    /// The text of a row stored under `key`, if it was sealed with this key
    /// for this key, not in the future and within `ttl` seconds of `now`
    /// (give or take the clocks' skew).
    pub fn open<'a>(&self, key: &str, stored: &'a str, now: i64, ttl: i64) -> Option<&'a str> {
        let (header, text) = stored.split_once('\n')?;
        let mut parts = header.split(' ');
        let (magic, at, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if magic != MAGIC || parts.next().is_some() {
            return None;
        }
        let at: i64 = at.parse().ok()?;
        if at > now.saturating_add(CLOCK_SKEW)
            || at <= now.saturating_sub(ttl.saturating_add(CLOCK_SKEW))
        {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        let expected = self.tag(key, at, text);
        constant_time_eq(expected.as_ref(), &tag).then_some(text)
    }
}

/// Compared without stopping at the first difference, so the time taken
/// tells nothing about how much of a forged tag was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A store whose rows are sealed with a [`StoreKey`], that remembers the
/// claims this process holds.
pub struct Sealed {
    inner: Box<dyn Store>,
    key: StoreKey,
    /// Claims held, by key: the runner that holds each.
    held: Mutex<HashMap<String, String>>,
    /// Rows set aside because they did not verify.
    set_aside: AtomicUsize,
}

impl Sealed {
    pub fn new(inner: Box<dyn Store>, key: StoreKey) -> Sealed {
        Sealed {
            inner,
            key,
            held: Mutex::new(HashMap::new()),
            set_aside: AtomicUsize::new(0),
        }
    }

    /// How many rows were set aside so far for failing their check.
    pub fn set_aside(&self) -> usize {
        self.set_aside.load(Ordering::Relaxed)
    }

    /// How many claims this process holds.
    pub fn held(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or(0)
    }

    /// Give back every claim this process holds (it is stopping without
    /// results): returns how many.
    pub async fn release_held(&self) -> Result<usize, StoreError> {
        let held: Vec<(String, String)> = match self.held.lock() {
            Ok(mut h) => h.drain().collect(),
            Err(_) => return Ok(0),
        };
        let mut by_runner: HashMap<String, Vec<String>> = HashMap::new();
        for (k, r) in held {
            by_runner.entry(r).or_default().push(k);
        }
        let mut n = 0;
        for (runner, keys) in by_runner {
            self.inner.release(&keys, &runner).await?;
            n += keys.len();
        }
        Ok(n)
    }

    fn forget(&self, keys: impl IntoIterator<Item = impl AsRef<str>>) {
        if let Ok(mut h) = self.held.lock() {
            for k in keys {
                h.remove(k.as_ref());
            }
        }
    }
}

impl Store for Sealed {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn shares_answers(&self) -> bool {
        self.inner.shares_answers()
    }

    fn load<'a>(
        &'a self,
        keys: &'a [String],
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<HashMap<String, Stored>, StoreError>> {
        Box::pin(async move {
            let rows = self.inner.load(keys, ttl_seconds).await?;
            let now = unix_now();
            let mut out = HashMap::with_capacity(rows.len());
            let mut bad = Vec::new();
            for (k, stored) in rows {
                match self.key.open(&k, &stored.statement, now, ttl_seconds) {
                    Some(text) => {
                        let statement = text.to_string();
                        out.insert(
                            k,
                            Stored {
                                statement,
                                decided_at: stored.decided_at,
                            },
                        );
                    }
                    None => bad.push((k, stored.decided_at)),
                }
            }
            if !bad.is_empty() {
                self.set_aside.fetch_add(bad.len(), Ordering::Relaxed);
                self.inner.quarantine(&bad).await?;
            }
            Ok(out)
        })
    }

    fn claim<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let claimed = self
                .inner
                .claim(keys, runner, lease_seconds, ttl_seconds)
                .await?;
            if let Ok(mut h) = self.held.lock() {
                for k in &claimed {
                    h.insert(k.clone(), runner.to_string());
                }
            }
            Ok(claimed)
        })
    }

    fn save<'a>(&'a self, items: &'a [(String, String)]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let now = unix_now();
            let sealed: Vec<(String, String)> = items
                .iter()
                .map(|(k, text)| (k.clone(), self.key.seal(k, text, now)))
                .collect();
            self.inner.save(&sealed).await?;
            self.forget(items.iter().map(|(k, _)| k));
            Ok(())
        })
    }

    fn renew<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.renew(keys, runner, lease_seconds)
    }

    fn release<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.inner.release(keys, runner).await?;
            self.forget(keys);
            Ok(())
        })
    }

    fn quarantine<'a>(
        &'a self,
        rows: &'a [(String, i64)],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        self.inner.quarantine(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_row_opens_only_as_written_for_its_key_and_in_time() {
        let key = StoreKey::from_secret(b"0123456789abcdef0123").unwrap();
        let now = 1_800_000_000;
        let row = key.seal("fp pkg:npm/a@1", "{\"x\":\"True\"}", now);
        assert_eq!(
            key.open("fp pkg:npm/a@1", &row, now + 10, 3600),
            Some("{\"x\":\"True\"}")
        );
        // Another package's key, another secret, a changed text, a changed
        // time, an old row, one from the future, no seal at all.
        assert_eq!(key.open("fp pkg:npm/b@1", &row, now, 3600), None);
        let other = StoreKey::from_secret(b"another secret, long enough").unwrap();
        assert_eq!(other.open("fp pkg:npm/a@1", &row, now, 3600), None);
        let edited = row.replace("True", "Fals");
        assert_eq!(key.open("fp pkg:npm/a@1", &edited, now, 3600), None);
        let retimed = row.replacen(&now.to_string(), &(now + 1).to_string(), 1);
        assert_eq!(key.open("fp pkg:npm/a@1", &retimed, now, 3600), None);
        assert_eq!(
            key.open("fp pkg:npm/a@1", &row, now + 3600 + CLOCK_SKEW, 3600),
            None
        );
        assert_eq!(
            key.open("fp pkg:npm/a@1", &row, now - CLOCK_SKEW - 1, 3600),
            None
        );
        assert_eq!(
            key.open("fp pkg:npm/a@1", "{\"x\":\"True\"}", now, 3600),
            None
        );
        // Short secrets are not keys; the secret is never shown.
        assert!(StoreKey::from_secret(b"short").is_none());
        assert_eq!(format!("{key:?}"), "StoreKey(..)");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_made_here_is_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assessments.sqlite3.key");
        let a = StoreKey::read_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = StoreKey::read_or_create(&path).unwrap();
        let row = a.seal("k", "t", 1_800_000_000);
        assert_eq!(b.open("k", &row, 1_800_000_000, 60), Some("t"));
    }
}
