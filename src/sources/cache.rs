//! An on-disk cache of upstream answers (SQLite, safe for concurrent runs),
//! so a second run over the same tree asks nothing that is still fresh, and
//! `--offline` can answer from what earlier runs saw.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::fsutil::{create_private_dir, create_private_file};

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub status: u16,
    pub body: Vec<u8>,
    /// Unix seconds when it was fetched.
    pub fetched_at: i64,
}

pub struct Cache {
    path: PathBuf,
    conn: Mutex<Connection>,
}

#[derive(Debug, thiserror::Error)]
#[error("cache {path}: {message}")]
pub struct CacheError {
    pub path: PathBuf,
    pub message: String,
}

/// Why an answer could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("the cache lock is poisoned")]
    Poisoned,
    #[error("{0}")]
    Database(#[from] rusqlite::Error),
}

impl Cache {
    /// Open (or create) the cache in `dir`. The directory is created 0700
    /// and the database file 0600: answers can reveal what an organisation
    /// uses.
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        let err = |message: String| CacheError {
            path: dir.to_path_buf(),
            message,
        };
        create_private_dir(dir).map_err(|e| err(e.to_string()))?;
        let path = dir.join("responses.sqlite3");
        create_private_file(&path).map_err(|e| err(e.to_string()))?;
        let conn = Connection::open(&path).map_err(|e| err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| err(e.to_string()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS responses (
                 key TEXT PRIMARY KEY,
                 status INTEGER NOT NULL,
                 body BLOB NOT NULL,
                 fetched_at INTEGER NOT NULL
             );",
        )
        .map_err(|e| err(format!("cannot prepare the cache database: {e}")))?;
        Ok(Cache {
            path,
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<Entry> {
        let conn = self.conn.lock().ok()?;
        conn.query_row(
            "SELECT status, body, fetched_at FROM responses WHERE key = ?1",
            params![key],
            |row| {
                Ok(Entry {
                    status: row.get::<_, i64>(0)? as u16,
                    body: row.get(1)?,
                    fetched_at: row.get(2)?,
                })
            },
        )
        .optional()
        .ok()
        .flatten()
    }

    /// Store an answer. The caller decides what a failure costs (a warning:
    /// only a later request).
    pub fn put(&self, key: &str, entry: &Entry) -> Result<(), PutError> {
        let conn = self.conn.lock().map_err(|_| PutError::Poisoned)?;
        conn.execute(
            "INSERT OR REPLACE INTO responses (key, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)",
            params![key, entry.status as i64, entry.body, entry.fetched_at],
        )
        .map(|_| ())
        .map_err(PutError::from)
    }

    /// Forget an answer (one found malformed after it was stored).
    pub fn remove(&self, key: &str) {
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute("DELETE FROM responses WHERE key = ?1", params![key]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_reads_back_across_handles() {
        let dir = tempfile::tempdir().unwrap();
        let a = Cache::open(dir.path()).unwrap();
        let e = Entry {
            status: 404,
            body: b"nope".to_vec(),
            fetched_at: 42,
        };
        a.put("k", &e).unwrap();
        let b = Cache::open(dir.path()).unwrap();
        assert_eq!(b.get("k"), Some(e));
        assert_eq!(b.get("other"), None);
        b.remove("k");
        assert_eq!(a.get("k"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("c");
        let c = Cache::open(&d).unwrap();
        c.put(
            "k",
            &Entry {
                status: 200,
                body: b"x".to_vec(),
                fetched_at: 1,
            },
        )
        .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700);
        for f in std::fs::read_dir(&d).unwrap() {
            let p = f.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}
