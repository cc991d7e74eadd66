//! The shared store on PostgreSQL, for a fleet of runners: one table of
//! statements with their claims, created and migrated by the tool (the
//! migrations run under an advisory lock, so concurrent first runs do not
//! race). Claims and freshness use the database's clock, so runners whose
//! clocks disagree still agree. The connection pool is bounded and waits
//! at most 30 s for a connection. TLS connections are not supported yet.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

use super::{BoxFuture, Store, StoreError, Stored};

/// Versioned migrations, applied in order and recorded in `tacos_schema`.
const MIGRATIONS: &[&str] = &["CREATE TABLE tacos_assessments (
        key text PRIMARY KEY,
        statement text,
        decided_at timestamptz,
        claimed_by text,
        claimed_until timestamptz
    )"];

/// The advisory lock that serializes migrations (an arbitrary constant).
const MIGRATION_LOCK: i64 = 0x7461_636f_735f_7362;

pub struct PgStore {
    pool: Pool,
    shown: String,
}

/// A `postgres://` URL as it may be shown: no password.
pub fn redact(url: &str) -> String {
    crate::redact::redact_text(url)
}

impl PgStore {
    pub async fn connect(url: &str, pool_size: usize) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let err = |m: String| StoreError {
            store: shown.clone(),
            message: m,
        };
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| err(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(err(
                "sslmode=require: TLS connections to PostgreSQL are not supported yet; connect over a trusted network or a local socket".into(),
            ));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(2))
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| err(e.to_string()))?;
        let store = PgStore { pool, shown };
        store.migrate().await?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            store: self.shown.clone(),
            message: e.to_string(),
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(|e| self.err(e))?;
        let tx = client.transaction().await.map_err(|e| self.err(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(|e| self.err(e))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS tacos_schema (version integer NOT NULL)")
            .await
            .map_err(|e| self.err(e))?;
        let done: i64 = tx
            .query_one("SELECT count(*) FROM tacos_schema", &[])
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        if done as usize > MIGRATIONS.len() {
            return Err(self.err(format!(
                "its schema is version {done}, newer than this tool knows ({}); use a newer tacos-sbom",
                MIGRATIONS.len()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.batch_execute(m)
                .await
                .map_err(|e| self.err(format!("migration {}: {e}", i + 1)))?;
            tx.execute(
                "INSERT INTO tacos_schema (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))
    }
}

impl Store for PgStore {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.shown)
    }

    fn shares_answers(&self) -> bool {
        true
    }

    fn load<'a>(
        &'a self,
        keys: &'a [String],
        ttl_seconds: i64,
    ) -> BoxFuture<'a, Result<HashMap<String, Stored>, StoreError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            let rows = client
                .query(
                    "SELECT key, statement, extract(epoch from decided_at)::bigint
                     FROM tacos_assessments
                     WHERE key = ANY($1) AND statement IS NOT NULL
                       AND decided_at > now() - make_interval(secs => $2::bigint)",
                    &[&keys, &ttl_seconds],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        Stored {
                            statement: r.get(1),
                            decided_at: r.get(2),
                        },
                    )
                })
                .collect())
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
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            // One statement: a row is returned only where this runner's
            // claim was written (new, or over a stale statement and an
            // expired or absent claim).
            let rows = client
                .query(
                    "INSERT INTO tacos_assessments (key, claimed_by, claimed_until)
                     SELECT k, $2, now() + make_interval(secs => $3::bigint) FROM unnest($1::text[]) AS k
                     ON CONFLICT (key) DO UPDATE SET claimed_by = EXCLUDED.claimed_by,
                         claimed_until = EXCLUDED.claimed_until
                     WHERE (tacos_assessments.decided_at IS NULL
                            OR tacos_assessments.decided_at <= now() - make_interval(secs => $4::bigint))
                       AND (tacos_assessments.claimed_until IS NULL
                            OR tacos_assessments.claimed_until < now())
                     RETURNING key",
                    &[&keys, &runner, &lease_seconds, &ttl_seconds],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
        })
    }

    fn save<'a>(&'a self, items: &'a [(String, String)]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
            let statements: Vec<&str> = items.iter().map(|(_, s)| s.as_str()).collect();
            client
                .execute(
                    "INSERT INTO tacos_assessments (key, statement, decided_at)
                     SELECT k, s, now() FROM unnest($1::text[], $2::text[]) AS t(k, s)
                     ON CONFLICT (key) DO UPDATE SET statement = EXCLUDED.statement,
                         decided_at = EXCLUDED.decided_at, claimed_by = NULL, claimed_until = NULL",
                    &[&keys, &statements],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(())
        })
    }

    fn renew<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
        lease_seconds: i64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            client
                .execute(
                    "UPDATE tacos_assessments SET claimed_until = now() + make_interval(secs => $3::bigint)
                     WHERE key = ANY($1) AND claimed_by = $2",
                    &[&keys, &runner, &lease_seconds],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(())
        })
    }

    fn quarantine<'a>(
        &'a self,
        rows: &'a [(String, i64)],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
            let at: Vec<i64> = rows.iter().map(|(_, a)| *a).collect();
            // Only as loaded: a statement saved since then stays.
            let n = client
                .execute(
                    "UPDATE tacos_assessments AS t SET statement = NULL, decided_at = NULL
                     FROM unnest($1::text[], $2::bigint[]) AS q(k, at)
                     WHERE t.key = q.k AND extract(epoch from t.decided_at)::bigint = q.at",
                    &[&keys, &at],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(n as usize)
        })
    }

    fn release<'a>(
        &'a self,
        keys: &'a [String],
        runner: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(|e| self.err(e))?;
            client
                .execute(
                    "UPDATE tacos_assessments SET claimed_by = NULL, claimed_until = NULL
                     WHERE key = ANY($1) AND claimed_by = $2",
                    &[&keys, &runner],
                )
                .await
                .map_err(|e| self.err(e))?;
            Ok(())
        })
    }
}
