//! The embedded store: one SQLite file (0600, in a 0700 directory), safe
//! for concurrent processes on one machine (WAL, and claims taken inside
//! an immediate transaction). Times are SQLite's clock, in Unix seconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{BoxFuture, Store, StoreError, Stored};

/// Versioned migrations, applied in order; `PRAGMA user_version` records
/// how many ran.
const MIGRATIONS: &[&str] = &["CREATE TABLE IF NOT EXISTS assessments (
        key TEXT PRIMARY KEY,
        statement TEXT,
        decided_at INTEGER,
        claimed_by TEXT,
        claimed_until INTEGER
    );"];

pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const NOW: &str = "CAST(strftime('%s','now') AS INTEGER)";

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let err = |m: String| StoreError {
            store: path.display().to_string(),
            message: m,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fsutil::create_private_dir(dir).map_err(|e| err(e.to_string()))?;
        }
        crate::fsutil::create_private_file(path).map_err(|e| err(e.to_string()))?;
        let mut conn = Connection::open(path).map_err(|e| err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| err(e.to_string()))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| err(e.to_string()))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| err(e.to_string()))?;
        let done: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| err(e.to_string()))?;
        if done as usize > MIGRATIONS.len() {
            return Err(err(format!(
                "its schema is version {done}, newer than this tool knows ({}); use a newer tacos-sbom",
                MIGRATIONS.len()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.execute_batch(m)
                .map_err(|e| err(format!("migration {}: {e}", i + 1)))?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(|e| err(e.to_string()))?;
        }
        tx.commit().map_err(|e| err(e.to_string()))?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            store: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn load_now(&self, keys: &[String], ttl: i64) -> Result<HashMap<String, Stored>, StoreError> {
        let conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT statement, decided_at FROM assessments
                 WHERE key = ?1 AND statement IS NOT NULL AND decided_at > {NOW} - ?2"
            ))
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for k in keys {
            let row: Option<(String, i64)> = stmt
                .query_row(params![k, ttl], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })
                .map_err(|e| self.err(e))?;
            if let Some((statement, decided_at)) = row {
                out.insert(
                    k.clone(),
                    Stored {
                        statement,
                        decided_at,
                    },
                );
            }
        }
        Ok(out)
    }

    fn claim_now(
        &self,
        keys: &[String],
        runner: &str,
        lease: i64,
        ttl: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let mut claimed = Vec::new();
        let mut pending: Vec<&String> = keys.iter().collect();
        let mut cleared = false;
        loop {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT INTO assessments (key, claimed_by, claimed_until)
                     VALUES (?1, ?2, {NOW} + ?3)
                     ON CONFLICT(key) DO UPDATE SET claimed_by = excluded.claimed_by,
                         claimed_until = excluded.claimed_until
                     WHERE (assessments.decided_at IS NULL OR assessments.decided_at <= {NOW} - ?4)
                       AND (assessments.claimed_until IS NULL OR assessments.claimed_until < {NOW})"
                ))
                .map_err(|e| self.err(e))?;
            let mut held = Vec::new();
            for k in pending {
                if stmt
                    .execute(params![k, runner, lease, ttl])
                    .map_err(|e| self.err(e))?
                    > 0
                {
                    claimed.push(k.clone());
                } else {
                    held.push(k);
                }
            }
            pending = held;
            // Some are held: a process of this machine that was killed holds
            // nothing, and its claims need not wait out their lease. Asked
            // once per call, and only then (it reads every live claim).
            if pending.is_empty() || cleared {
                break;
            }
            cleared = true;
            if clear_dead_claims(&tx).map_err(|e| self.err(e))? == 0 {
                break;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(claimed)
    }

    fn save_now(&self, items: &[(String, String)]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT INTO assessments (key, statement, decided_at) VALUES (?1, ?2, {NOW})
                     ON CONFLICT(key) DO UPDATE SET statement = excluded.statement,
                         decided_at = excluded.decided_at, claimed_by = NULL, claimed_until = NULL"
                ))
                .map_err(|e| self.err(e))?;
            for (k, s) in items {
                stmt.execute(params![k, s]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn renew_now(&self, keys: &[String], runner: &str, lease: i64) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "UPDATE assessments SET claimed_until = {NOW} + ?3
                     WHERE key = ?1 AND claimed_by = ?2"
                ))
                .map_err(|e| self.err(e))?;
            for k in keys {
                stmt.execute(params![k, runner, lease])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn quarantine_now(&self, rows: &[(String, i64)]) -> Result<usize, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let mut n = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE assessments SET statement = NULL, decided_at = NULL
                     WHERE key = ?1 AND decided_at = ?2",
                )
                .map_err(|e| self.err(e))?;
            for (k, at) in rows {
                n += stmt.execute(params![k, at]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n)
    }

    fn release_now(&self, keys: &[String], runner: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().map_err(|_| self.err("lock poisoned"))?;
        // One transaction: each statement on its own was a commit (and a
        // WAL append) per package.
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE assessments SET claimed_by = NULL, claimed_until = NULL
                     WHERE key = ?1 AND claimed_by = ?2",
                )
                .map_err(|e| self.err(e))?;
            for k in keys {
                stmt.execute(params![k, runner]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }
}

/// Drop the live claims of runners of this machine whose process is gone;
/// returns how many claims were dropped.
fn clear_dead_claims(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<usize> {
    let holders: Vec<String> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT DISTINCT claimed_by FROM assessments
             WHERE claimed_by IS NOT NULL AND claimed_until >= {NOW}"
        ))?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut n = 0;
    for runner in holders.iter().filter(|r| super::runner_is_gone(r)) {
        n += tx.execute(
            "UPDATE assessments SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?1",
            params![runner],
        )?;
    }
    Ok(n)
}

impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite {}", self.path.display())
    }

    fn load<'a>(
        &'a self,
        keys: &'a [String],
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<HashMap<String, Stored>, StoreError>> {
        Box::pin(async move { self.load_now(keys, ttl_seconds) })
    }

    fn claim<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move { self.claim_now(keys, runner, lease_seconds, ttl_seconds) })
    }

    fn save<'a>(&'a self, items: &'a [(String, String)]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.save_now(items) })
    }

    fn renew<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.renew_now(keys, runner, lease_seconds) })
    }

    fn release<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.release_now(keys, runner) })
    }

    fn quarantine<'a>(
        &'a self,
        rows: &'a [(String, i64)],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move { self.quarantine_now(rows) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn claims_are_exclusive_until_saved_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s/assessments.sqlite3");
        let a = SqliteStore::open(&path).unwrap();
        let b = SqliteStore::open(&path).unwrap();
        let keys = vec!["k1".to_string(), "k2".to_string()];
        assert_eq!(block(a.claim(&keys, "a", 600, 3600)).unwrap(), keys);
        // Another runner sees both claimed.
        assert!(block(b.claim(&keys, "b", 600, 3600)).unwrap().is_empty());
        block(a.save(&[("k1".into(), "{\"x\":1}".into())])).unwrap();
        let got = block(b.load(&keys, 3600)).unwrap();
        assert_eq!(got["k1"].statement, "{\"x\":1}");
        assert!(!got.contains_key("k2"));
        // A fresh statement is not claimed again; an expired claim is.
        block(a.release(&["k2".into()], "a")).unwrap();
        assert_eq!(
            block(b.claim(&keys, "b", 0, 3600)).unwrap(),
            vec!["k2".to_string()]
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(
            block(a.claim(&keys, "a", 600, 3600)).unwrap(),
            vec!["k2".to_string()]
        );
        // Past the TTL, a statement is neither loaded nor kept from a claim.
        assert!(block(b.load(&keys, -1)).unwrap().is_empty());
        assert_eq!(
            block(b.claim(&["k1".into()], "b", 600, -1)).unwrap(),
            vec!["k1".to_string()]
        );
    }

    /// Fresh means younger than the TTL, as for cached answers: with
    /// `ttl_hours = 0` a statement saved this very second is stale already.
    /// (It was reused, and not claimable, until the clock's second turned.)
    #[test]
    fn with_a_ttl_of_zero_nothing_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("assessments.sqlite3")).unwrap();
        let k = vec!["k".to_string()];
        block(s.save(&[("k".into(), "{}".into())])).unwrap();
        assert_eq!(block(s.load(&k, 3600)).unwrap().len(), 1);
        assert!(block(s.load(&k, 0)).unwrap().is_empty());
        assert_eq!(block(s.claim(&k, "a", 600, 0)).unwrap(), k);
    }

    #[cfg(unix)]
    #[test]
    fn the_store_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d/assessments.sqlite3");
        SqliteStore::open(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&path), 0o600);
    }
}
