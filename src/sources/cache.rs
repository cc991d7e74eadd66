//! An on-disk cache of upstream answers (SQLite, safe for concurrent runs),
//! so a second run over the same tree asks nothing that is still fresh, and
//! `--offline` can answer from what earlier runs saw.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

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

impl Cache {
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        let err = |message: String| CacheError {
            path: dir.to_path_buf(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        let path = dir.join("responses.sqlite3");
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

    /// Store an answer; a failure to store only costs a later request.
    pub fn put(&self, key: &str, entry: &Entry) {
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "INSERT OR REPLACE INTO responses (key, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)",
                params![key, entry.status as i64, entry.body, entry.fetched_at],
            );
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
        a.put("k", &e);
        let b = Cache::open(dir.path()).unwrap();
        assert_eq!(b.get("k"), Some(e));
        assert_eq!(b.get("other"), None);
    }
}
