//! One assessment run: configuration, endpoints, cache, the offline OSV
//! database and published reports put together, and an async runtime to
//! drive them from synchronous callers.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;
use url::Url;

use super::InUse;
use super::gather::{Assessor, Progress};
use super::merge::{self, Conflict};
use crate::attest::KeyError;
use crate::config::Config;
use crate::published::{self as reports, ReportIndex};
use crate::purl::Purl;
use crate::redact::{redact, redact_text};
use crate::sources::cache::{Cache, CacheError};
use crate::sources::endpoints::{EndpointError, Endpoints};
use crate::sources::http::{Client, ClientError, Service, SharedAnswers, Stats};
use crate::sources::hub::{DocumentError, Limits, Sources};
use crate::sources::osv_db::{OsvDb, OsvDbError};
use crate::sources::{documents, registry};
use crate::store::seal::Sealed;
use crate::store::{Store, StoreError};
use crate::tacos::Statement;
use crate::term::plural;

/// How many packages a runner claims at once: small enough that runners
/// given the same packages share them out, large enough that batched
/// lookups (OSV, deps.dev) stay batched. Stored statements are read back
/// in slices of this size too.
const CLAIM_CHUNK: usize = 1000;

/// Whether a statement may be kept for later runs: not when a source was
/// unreachable or answered nonsense this time (a later run may get an
/// answer), only when what it says is what the sources said.
fn worth_keeping(s: &Statement) -> bool {
    !s.evidence.values().any(|e| {
        matches!(
            e.code,
            crate::tacos::ReasonCode::SourceUnavailable | crate::tacos::ReasonCode::MalformedAnswer
        )
    })
}

/// Progress for an assessment done in claims: the phases of the first
/// claim are shown, later claims only move the overall count.
struct InClaims<'a> {
    inner: &'a dyn Progress,
    first: std::sync::atomic::AtomicBool,
    done: std::sync::atomic::AtomicUsize,
    total: usize,
}

impl Progress for InClaims<'_> {
    fn phase(&self, message: &str) {
        if self.first.load(std::sync::atomic::Ordering::Relaxed) {
            self.inner.phase(message);
        }
    }

    fn progress(&self, phase: &str, done: usize, total: usize) {
        if self.first.load(std::sync::atomic::Ordering::Relaxed) {
            self.inner.progress(phase, done, total);
        }
    }
}

impl InClaims<'_> {
    fn claimed_done(&self, n: usize) {
        self.first
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let done = self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        self.inner.progress("assessed", done, self.total);
    }
}

/// What the command line adds to the configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub offline: bool,
    pub osv_db: Option<PathBuf>,
    pub reports: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub concurrency: Option<usize>,
    /// The assessment store (`--store`); else `TACOS_STORE_URL`, `[store]
    /// url`, or a SQLite file in the cache directory.
    pub store: Option<String>,
    /// Endpoints the caller resolved already (and whose clients it may be
    /// asking); else resolved from the configuration.
    pub endpoints: Option<Endpoints>,
}

pub struct Session {
    runtime: tokio::runtime::Runtime,
    assessor: Assessor,
    sources: Arc<Sources>,
    reports: ReportIndex,
    /// Problems met while reading published reports, reported once.
    pub notes: Vec<String>,
    config: Config,
    store: Option<Arc<Sealed>>,
    /// What makes stored statements comparable with this run's.
    fingerprint: String,
    runner: String,
}

/// What an assessment produced besides the statements.
#[derive(Debug, Default)]
pub struct Outcome {
    pub statements: Vec<Statement>,
    pub conflicts: Vec<Conflict>,
    /// Packages whose statement came from the store (decided by an earlier
    /// run or by another runner), and those assessed by this run.
    pub from_store: usize,
    pub assessed: usize,
    /// Packages another runner was assessing, that this run waited for.
    pub waited_for: usize,
    /// The store, as shown, if one was used; and a problem with it, if any.
    pub store: Option<String>,
    pub store_problem: Option<String>,
    /// Stored rows set aside and decided again: they failed their integrity
    /// check (changed in the store, or sealed with another key), or their
    /// statement did not read as one for that package.
    pub set_aside: usize,
    /// Field values left NOASSERTION because their source did not answer
    /// (unreachable, or offline without it in the cache).
    pub unavailable_values: usize,
}

/// Why a session could not be opened: the setting or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("--concurrency must be at least 1")]
    NoConcurrency,
    /// `[self_attestation] trusted_root` (the error names the file).
    #[error("[self_attestation] trusted_root: {0}")]
    TrustedRoot(crate::attest::trust_root::TrustRootFileError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// With `--offline` the cache is all there is to answer from.
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("--offline needs the cache or --osv-db to answer from; --no-cache leaves nothing")]
    OfflineWithNothing,
    #[error(transparent)]
    OsvDb(#[from] OsvDbError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A store named explicitly (`--store`, `TACOS_STORE_URL`, `[store] url`).
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot read the [reports] key: {source}", path.display())]
    ReportKeyUnread {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    ReportKey { path: PathBuf, source: KeyError },
}

/// A run stopped by a signal, after giving back its claims.
#[derive(Debug)]
pub struct Interrupted {
    pub signal: &'static str,
    /// The exit code a process ended by that signal reports (128 + its number).
    pub exit_code: u8,
    /// How many claims were given back, or why none could be.
    pub released: Result<usize, ReleaseError>,
}

/// Why the claims of an interrupted run could not be given back.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the store did not answer within 5 s")]
    TimedOut,
}

/// Why Tidelift's report could not be had (a note; the run goes on).
#[derive(Debug, thiserror::Error)]
enum TideliftError {
    #[error("Tidelift endpoint is not configured")]
    Unconfigured,
    #[error(transparent)]
    Url(#[from] url::ParseError),
    #[error(transparent)]
    Fetch(#[from] DocumentError),
    #[error(transparent)]
    Report(#[from] reports::ReportError),
}

/// The first SIGINT or SIGTERM; `None` if they cannot be caught here.
#[cfg(unix)]
async fn interrupted() -> Option<(&'static str, u8)> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    tokio::select! {
        _ = term.recv() => Some(("SIGTERM", 143)),
        _ = int.recv() => Some(("SIGINT", 130)),
    }
}

#[cfg(not(unix))]
async fn interrupted() -> Option<(&'static str, u8)> {
    tokio::signal::ctrl_c().await.ok()?;
    Some(("Ctrl-C", 130))
}

/// The default cache directory: the platform's cache directory
/// (`$XDG_CACHE_HOME`, else `~/.cache`, as etcetera reads them) + `tacos-sbom`.
pub fn default_cache_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy as _;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.cache_dir().join("tacos-sbom"))
}

/// The cache directory a run with `opts` uses: `--cache-dir`, `[cache]
/// dir`, else the platform's (whether or not `--no-cache` is given).
pub fn cache_dir(opts: &Options, config: &Config) -> Option<PathBuf> {
    opts.cache_dir
        .clone()
        .or_else(|| config.cache.dir.clone())
        .or_else(default_cache_dir)
}

/// The store named by `--store`, `TACOS_STORE_URL` or `[store] url`.
fn explicit_store(opts: &Options, config: &Config) -> Option<String> {
    opts.store
        .clone()
        .or_else(|| {
            std::env::var("TACOS_STORE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .or_else(|| config.store.url.clone())
}

/// The SQLite store in the cache directory, used when none is named.
fn default_store(opts: &Options, config: &Config) -> Option<String> {
    (!opts.no_cache)
        .then(|| cache_dir(opts, config))
        .flatten()
        .map(|d| d.join("assessments.sqlite3").to_string_lossy().into_owned())
}

/// The store's files on this machine (what no output may overwrite): a
/// SQLite store's database, its journal files and its key; the store key
/// file, for any store.
pub fn store_files(opts: &Options, config: &Config) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config.store.key_file.iter().cloned().collect();
    let url = explicit_store(opts, config).or_else(|| default_store(opts, config));
    if let Some(db) = url.as_deref().and_then(crate::store::sqlite_path) {
        files.extend(
            ["", "-wal", "-shm"]
                .iter()
                .map(|s| PathBuf::from(format!("{}{s}", db.display()))),
        );
        files.push(crate::store::sqlite_key_file(&db));
    }
    files
}

impl Session {
    pub fn open(
        config: Config,
        opts: &Options,
        now: OffsetDateTime,
    ) -> Result<Session, SessionError> {
        let mut network = config.network.clone();
        if let Some(n) = opts.concurrency {
            if n == 0 {
                return Err(SessionError::NoConcurrency);
            }
            network.concurrency = n;
        }
        let endpoints = match &opts.endpoints {
            Some(e) => e.clone(),
            None => Endpoints::resolve(&config)?,
        };
        let mut notes = Vec::new();
        let cache = if opts.no_cache {
            None
        } else {
            match cache_dir(opts, &config).map(|d| Cache::open(&d)) {
                Some(Ok(c)) => Some(c),
                // A cache only saves requests: without one the run goes on.
                Some(Err(e)) if !opts.offline => {
                    notes.push(format!("{e}; going on without a cache"));
                    None
                }
                Some(Err(e)) => return Err(e.into()),
                None => None,
            }
        };
        if opts.offline && cache.is_none() && opts.osv_db.is_none() {
            return Err(SessionError::OfflineWithNothing);
        }
        let osv_db = match &opts.osv_db {
            Some(p) => Some((p.clone(), OsvDb::load(p)?)),
            None => None,
        };
        let mut client = Client::new(
            network,
            endpoints.hosts(),
            cache,
            config.cache.ttl_hours,
            opts.offline,
        )?;
        let store_url = explicit_store(opts, &config);
        let default_store = default_store(opts, &config);
        let fingerprint = crate::store::fingerprint(&[
            super::DECISIONS,
            &format!("{:?}", config.assessment),
            &endpoints.fingerprint(),
            &format!("offline={} osv-db={:?}", opts.offline, opts.osv_db),
        ]);
        let osv_web = crate::sources::osv::web_base();
        let limits = Limits {
            now,
            max_osv_db_age_days: config.assessment.max_osv_db_age_days,
            max_scorecard_age_days: config.assessment.max_scorecard_age_days,
            max_insights_age_days: config.assessment.max_insights_age_days,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(SessionError::Runtime)?;
        let runner = crate::store::runner_id();
        let store: Option<Arc<Sealed>> = match store_url.clone().or(default_store) {
            Some(url) => {
                let opened = crate::store::store_key(&url, config.store.key_file.as_deref())
                    .and_then(|key| {
                        runtime.block_on(crate::store::open(&url, config.store.pool_size, key))
                    });
                match opened {
                    Ok(s) => Some(Arc::from(s)),
                    // An explicit store must work; the default one only
                    // saves work.
                    Err(e) if store_url.is_some() => return Err(e.into()),
                    Err(e) => {
                        notes.push(format!("{e}; going on without the assessment store"));
                        None
                    }
                }
            }
            None => None,
        };
        if let Some(s) = store.as_ref().filter(|s| s.shares_answers()) {
            client.share_answers(SharedAnswers {
                store: s.clone() as Arc<dyn Store>,
                runner: runner.clone(),
                lease_seconds: config.store.claim_seconds,
            });
        }
        let mut sources = Sources::new(client, endpoints, osv_db, osv_web, limits);
        // GitHub answers 60 unauthenticated requests an hour; a token (the
        // one a workflow has) raises that. Never shown, never cached.
        if let Some(t) = github_token() {
            sources = sources.with_token(Service::GitHub, t);
        }
        let sources = Arc::new(sources);
        let mut published = Vec::new();
        let report_key = match &config.reports.key {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    SessionError::ReportKeyUnread {
                        path: path.clone(),
                        source,
                    }
                })?;
                Some(crate::attest::PublicKey::from_pem(&text).map_err(|source| {
                    SessionError::ReportKey {
                        path: path.clone(),
                        source,
                    }
                })?)
            }
            None => None,
        };
        if let Some(src) = &opts.reports {
            let (found, errors) =
                runtime.block_on(load_reports(&sources, src, report_key.as_ref()));
            published.extend(found);
            notes.extend(errors);
        }
        if let (Some(org), Some(project)) =
            (&config.tidelift.organization, &config.tidelift.project)
        {
            match std::env::var("TIDELIFT_API_KEY") {
                Ok(token) if !token.is_empty() => {
                    match runtime.block_on(tidelift(&sources, org, project, &token, report_key.as_ref())) {
                        Ok(r) => published.push(r),
                        Err(e) => notes.push(e.to_string()),
                    }
                }
                _ => notes.push("Tidelift is configured but TIDELIFT_API_KEY is not set; its report was not fetched".into()),
            }
        }
        let assessor = Assessor {
            sources: sources.clone(),
            cfg: config.assessment.clone(),
            now,
            self_attestation: self_attestation_trust(&config.self_attestation)?,
        };
        Ok(Session {
            runtime,
            assessor,
            sources,
            reports: ReportIndex::new(published),
            notes,
            config,
            store,
            fingerprint,
            runner,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Assess `packages` and merge what published reports say. Statements
    /// still fresh in the store are reused; the rest are claimed, assessed
    /// and stored; packages another runner has claimed are waited for.
    pub fn assess(&self, packages: &[(Purl, InUse)], progress: &dyn Progress) -> Outcome {
        let mut statements: Vec<Option<Statement>> = vec![None; packages.len()];
        let mut outcome = self.assess_each(packages, progress, &mut |i, s| statements[i] = Some(s));
        outcome.statements = statements
            .into_iter()
            .map(|s| s.expect("every package was decided"))
            .collect();
        outcome
    }

    /// `assess`, handing each final statement (reports merged) to `sink`
    /// with its package's index as soon as it is decided, in no particular
    /// order, instead of holding them all: a caller that keeps them in
    /// another form (compact JSON) never holds every statement at once.
    /// `Outcome::statements` stays empty.
    pub fn assess_each(
        &self,
        packages: &[(Purl, InUse)],
        progress: &dyn Progress,
        sink: &mut dyn FnMut(usize, Statement),
    ) -> Outcome {
        registry::discover(
            &self.sources,
            packages
                .iter()
                .map(|(p, _)| crate::purl::Ecosystem::from_purl_type(p.ty())),
        );
        let mut outcome = Outcome::default();
        let mut done = vec![false; packages.len()];
        let freshness = merge::Freshness {
            now: self.assessor.now,
            max_age_days: self.config.reports.max_age_days,
        };
        let mut conflicts: Vec<(usize, Vec<Conflict>)> = Vec::new();
        let mut unavailable = 0;
        let mut finish = |i: usize, mut statement: Statement| {
            let found = self.reports.find(&packages[i].0);
            if !found.is_empty() {
                conflicts.push((i, merge::merge(&mut statement, &found, freshness)));
            }
            unavailable += statement
                .evidence
                .values()
                .filter(|e| e.code == crate::tacos::ReasonCode::SourceUnavailable)
                .count();
            sink(i, statement);
        };
        if let Some(store) = &self.store {
            outcome.store = Some(store.describe());
            if let Err(e) = self.through_store(
                store,
                packages,
                &mut done,
                &mut finish,
                &mut outcome,
                progress,
            ) {
                outcome.store_problem = Some(e.to_string());
            }
        }
        // Whatever the store did not settle, this run assesses itself.
        let rest: Vec<usize> = (0..packages.len()).filter(|i| !done[*i]).collect();
        if !rest.is_empty() {
            let batch: Vec<(Purl, InUse)> = rest.iter().map(|i| packages[*i].clone()).collect();
            let decided = self
                .runtime
                .block_on(self.assessor.assess(&batch, progress));
            outcome.assessed += decided.len();
            for (i, s) in rest.into_iter().zip(decided) {
                finish(i, s);
            }
        }
        outcome.unavailable_values = unavailable;
        // In package order, however the statements came.
        conflicts.sort_by_key(|(i, _)| *i);
        outcome.conflicts = conflicts.into_iter().flat_map(|(_, c)| c).collect();
        outcome
    }

    /// Settle packages from the store, assessing (and storing) what this
    /// runner claims, and waiting for what others hold. Each one settled is
    /// marked in `done` and handed to `finish`.
    fn through_store(
        &self,
        store: &Arc<Sealed>,
        packages: &[(Purl, InUse)],
        done: &mut [bool],
        finish: &mut dyn FnMut(usize, Statement),
        outcome: &mut Outcome,
        progress: &dyn Progress,
    ) -> Result<(), crate::store::StoreError> {
        let ttl = (self.config.cache.ttl_hours as i64).saturating_mul(3600);
        let lease = self.config.store.claim_seconds.max(1);
        let keys: Vec<String> = packages
            .iter()
            .map(|(p, _)| crate::store::key(&self.fingerprint, &p.to_string()))
            .collect();
        let by_key: HashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        // Rows whose statement does not read as this package's go to
        // `unreadable`, to be set aside (so they can be claimed) and decided
        // again: fresh, they could not be claimed, and every run would wait
        // for them.
        let set_aside = std::sync::atomic::AtomicUsize::new(0);
        let take = |found: HashMap<String, crate::store::Stored>,
                    done: &mut [bool],
                    finish: &mut dyn FnMut(usize, Statement),
                    unreadable: &mut Vec<(String, i64)>|
         -> usize {
            let mut n = 0;
            for (k, stored) in found {
                let Some(&i) = by_key.get(k.as_str()) else {
                    continue;
                };
                let read = serde_json::from_str::<Statement>(&stored.statement)
                    .ok()
                    .filter(|s| s.purl == packages[i].0.to_string());
                let Some(mut s) = read else {
                    unreadable.push((k, stored.decided_at));
                    continue;
                };
                if !done[i] {
                    super::set_releases_in_use(&mut s, packages[i].1.to_vec());
                    done[i] = true;
                    finish(i, s);
                    n += 1;
                    // Decided under the same endpoints: a missing registry
                    // is still reported (and still fails --require-sources).
                    let p = &packages[i].0;
                    registry::note_unconfigured(
                        &self.sources,
                        crate::purl::Ecosystem::from_purl_type(p.ty()),
                        &p.registry_name(),
                    );
                }
            }
            n
        };
        // Read a slice at a time: a warm run over 100,000 packages would
        // otherwise hold the text of every stored statement at once
        // (~700 MB), and PostgreSQL would send it as one answer.
        let load = |keys: &[String],
                    done: &mut [bool],
                    finish: &mut dyn FnMut(usize, Statement)|
         -> Result<usize, crate::store::StoreError> {
            let mut n = 0;
            for chunk in keys.chunks(CLAIM_CHUNK) {
                let found = self.runtime.block_on(store.load(chunk, ttl))?;
                let mut unreadable = Vec::new();
                n += take(found, done, finish, &mut unreadable);
                if !unreadable.is_empty() {
                    set_aside.fetch_add(unreadable.len(), std::sync::atomic::Ordering::Relaxed);
                    self.runtime.block_on(store.quarantine(&unreadable))?;
                }
            }
            Ok(n)
        };
        outcome.from_store += load(&keys, done, finish)?;
        let claims = InClaims {
            inner: progress,
            first: std::sync::atomic::AtomicBool::new(true),
            done: std::sync::atomic::AtomicUsize::new(0),
            total: packages.len(),
        };
        // Since this runner last saw progress (its own or another's).
        let mut started = std::time::Instant::now();
        let mut announced = false;
        loop {
            let open: Vec<usize> = (0..packages.len()).filter(|i| !done[*i]).collect();
            if open.is_empty() {
                break;
            }
            let open_keys: Vec<String> = open.iter().map(|i| keys[*i].clone()).collect();
            // Claim a slice at a time, so that runners given the same
            // packages share them out instead of one taking them all.
            let mut mine = Vec::new();
            for chunk in open_keys.chunks(CLAIM_CHUNK) {
                mine = self
                    .runtime
                    .block_on(store.claim(chunk, &self.runner, lease, ttl))?;
                if !mine.is_empty() {
                    break;
                }
            }
            if !mine.is_empty() {
                let idx: Vec<usize> = mine
                    .iter()
                    .filter_map(|k| by_key.get(k.as_str()).copied())
                    .collect();
                let batch: Vec<(Purl, InUse)> = idx.iter().map(|i| packages[*i].clone()).collect();
                // The claims are a short lease, renewed while this runner
                // works (a heartbeat on a task of its own, so that busy
                // assessing never starves it): slow services do not hand
                // its packages to another runner, and a runner that dies
                // holds them no longer than a lease.
                let heartbeat = {
                    let (store, keys, runner) = (store.clone(), mine.clone(), self.runner.clone());
                    self.runtime.spawn(async move {
                        let every =
                            std::time::Duration::from_millis((lease as u64 * 1000 / 3).max(200));
                        loop {
                            tokio::time::sleep(every).await;
                            let _ = store.renew(&keys, &runner, lease).await;
                        }
                    })
                };
                let decided = self.runtime.block_on(self.assessor.assess(&batch, &claims));
                heartbeat.abort();
                claims.claimed_done(decided.len());
                // Kept: statements that say what the sources said. The
                // rest are given back, so another runner may try (and
                // nobody waits for them).
                let (keep, drop): (Vec<_>, Vec<_>) = idx
                    .iter()
                    .zip(&decided)
                    .partition(|(_, s)| worth_keeping(s));
                let items: Vec<(String, String)> = keep
                    .into_iter()
                    .map(|(i, s)| {
                        (
                            keys[*i].clone(),
                            serde_json::to_string(s).expect("statements serialize"),
                        )
                    })
                    .collect();
                let given_back: Vec<String> =
                    drop.into_iter().map(|(i, _)| keys[*i].clone()).collect();
                let saved = self.runtime.block_on(async {
                    store.save(&items).await?;
                    store.release(&given_back, &self.runner).await
                });
                outcome.assessed += decided.len();
                for (i, s) in idx.into_iter().zip(decided) {
                    done[i] = true;
                    finish(i, s);
                }
                saved?;
                started = std::time::Instant::now();
                continue;
            }
            // Everything left is another runner's: wait for its results,
            // or for its claims to expire (then claim them above).
            if started.elapsed().as_secs() as i64 > 2 * lease + 60 {
                break;
            }
            if !announced {
                progress.phase(&format!(
                    "waiting for {} package(s) another runner is assessing",
                    open.len()
                ));
                announced = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            let n = load(&open_keys, done, finish)?;
            if n > 0 {
                started = std::time::Instant::now();
            }
            outcome.from_store += n;
            outcome.waited_for += n;
        }
        outcome.set_aside =
            set_aside.load(std::sync::atomic::Ordering::Relaxed) + store.set_aside();
        Ok(())
    }

    /// On SIGINT or SIGTERM (Ctrl-C, a cancelled CI job): give back the
    /// claims this run holds in the store (waiting at most 5 s for it), so
    /// that the next run need not wait them out, then call `then`, which
    /// must end the process (once this is set, the signals no longer end
    /// it by themselves). Does nothing where signals cannot be caught.
    pub fn on_interrupt(&self, then: impl FnOnce(Interrupted) + Send + 'static) {
        let store = self.store.clone();
        self.runtime.spawn(async move {
            let Some((signal, exit_code)) = interrupted().await else {
                return;
            };
            let released = match store {
                Some(s) => {
                    match tokio::time::timeout(std::time::Duration::from_secs(5), s.release_held())
                        .await
                    {
                        Ok(Ok(n)) => Ok(n),
                        Ok(Err(e)) => Err(e.into()),
                        Err(_) => Err(ReleaseError::TimedOut),
                    }
                }
                None => Ok(0),
            };
            then(Interrupted {
                signal,
                exit_code,
                released,
            });
        });
    }

    pub fn stats(&self) -> BTreeMap<Service, Stats> {
        self.sources.stats()
    }

    /// Every service that left an answer missing this run, once each, with
    /// why, where and how many requests: down (unreachable, timed out), or
    /// only some requests failed (an error status, a malformed answer, a
    /// registry's 404 for a package the input names). One failure is
    /// named as surely as many: its fields are NOASSERTION all the same.
    /// Published reports and Tidelift are not here: their failures are in
    /// [`Session::notes`] already.
    pub fn down_services(&self) -> BTreeMap<Service, String> {
        let client = self.sources.client();
        let mut down = client.down_services();
        if client.is_offline() {
            // The "offline:" line says what stayed undecided.
            return down;
        }
        for (service, f) in client.failed_services() {
            if matches!(service, Service::Reports | Service::Tidelift) {
                continue;
            }
            // Counted per question asked, including those not sent once
            // the service was marked down: the "sources:" line counts
            // what was sent.
            let n = plural(f.requests as usize, "question", "questions");
            let endpoint = match self.sources.base(service) {
                Ok(base) => redact(base),
                Err(_) => origin(&f.url),
            };
            let reason = match down.get(&service) {
                Some(why) => format!("{why}; {n} to {endpoint} went unanswered"),
                None if f.requests == 1 => {
                    format!("{n} to {endpoint} went unanswered: {}", f.why)
                }
                None => format!("{n} to {endpoint} went unanswered, the first: {}", f.why),
            };
            down.insert(service, reason);
        }
        down
    }
    pub fn is_offline(&self) -> bool {
        self.sources.client().is_offline()
    }

    /// Registries that packages needed but that have no endpoint: per
    /// service, the number of packages and why (with the fix).
    pub fn unconfigured(&self) -> BTreeMap<Service, (usize, String)> {
        self.sources.unconfigured()
    }

    /// Every endpoint in effect and where it came from.
    pub fn endpoints(&self) -> Vec<crate::sources::endpoints::EndpointInfo> {
        self.sources.endpoints().describe()
    }

    /// Problems that did not stop the run (the cache could not be written).
    pub fn warnings(&self) -> Vec<String> {
        self.sources.client().warnings()
    }
}

/// Where a shown URL points, without its path: a service asked at an
/// address it named itself has no configured endpoint to show.
fn origin(shown: &str) -> String {
    match Url::parse(shown) {
        Ok(u) => format!("{}/", u.origin().ascii_serialization()),
        Err(_) => redact_text(shown),
    }
}

async fn load_reports(
    sources: &Sources,
    src: &str,
    key: Option<&crate::attest::PublicKey>,
) -> (Vec<reports::PublishedReport>, Vec<String>) {
    if src.starts_with("https://") || src.starts_with("http://") {
        let url = match Url::parse(src) {
            Ok(u) => u,
            Err(e) => return (vec![], vec![format!("--reports {src:?}: {e}")]),
        };
        return match sources.document(&documents::REPORTS, &url, None).await {
            Ok(f) => match reports::read_report(&String::from_utf8_lossy(&f.body), &f.url, key) {
                Ok(r) => {
                    sources.client().remember(&f);
                    (vec![r], vec![])
                }
                Err(e) => (vec![], vec![e.to_string()]),
            },
            Err(e) => (vec![], vec![e.to_string()]),
        };
    }
    let (found, errors) = reports::load_dir_or_file(std::path::Path::new(src), key);
    (found, errors.into_iter().map(|e| e.to_string()).collect())
}

async fn tidelift(
    sources: &Sources,
    org: &str,
    project: &str,
    token: &str,
    key: Option<&crate::attest::PublicKey>,
) -> Result<reports::PublishedReport, TideliftError> {
    let base = sources
        .base(documents::TIDELIFT.service)
        .map_err(|_| TideliftError::Unconfigured)?;
    let url = base.join(reports::tidelift_report_path(org, project).trim_start_matches('/'))?;
    let f = sources
        .document(&documents::TIDELIFT, &url, Some(token))
        .await?;
    Ok(reports::read_report(
        &String::from_utf8_lossy(&f.body),
        &f.url,
        key,
    )?)
}

/// The trusted root self-attestations are verified against: the
/// configured one (read once, named in errors), else the public-good root
/// built in.
fn self_attestation_trust(
    c: &crate::config::SelfAttestation,
) -> Result<super::fields::maintainers::Trust, SessionError> {
    use crate::attest::trust_root;
    let (root, root_name) = match &c.trusted_root {
        Some(path) => (
            trust_root::read_trusted_root(path).map_err(SessionError::TrustedRoot)?,
            path.display().to_string(),
        ),
        None => (
            trust_root::public_good(),
            trust_root::PUBLIC_GOOD_NAME.to_string(),
        ),
    };
    Ok(super::fields::maintainers::Trust {
        root: Arc::new(root),
        root_name,
        max_age_days: c.max_age_days,
    })
}

/// A GitHub token from the environment, if one is set: `TACOS_GITHUB_TOKEN`,
/// else `GITHUB_TOKEN` (what a workflow exports), else `GH_TOKEN` (GitHub's
/// CLI). An empty value counts as unset.
fn github_token() -> Option<String> {
    github_token_variable().and_then(|k| std::env::var(k).ok().map(|t| t.trim().to_string()))
}

/// The environment variable a GitHub token would be taken from (for
/// `doctor`: the name, never the value).
pub fn github_token_variable() -> Option<&'static str> {
    ["TACOS_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"]
        .into_iter()
        .find(|k| std::env::var(k).is_ok_and(|t| !t.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(config: Config, opts: Options) -> SessionError {
        match Session::open(config, &opts, OffsetDateTime::UNIX_EPOCH) {
            Ok(_) => panic!("opened"),
            Err(e) => e,
        }
    }

    /// The words a person sees when a session cannot open are the ones
    /// the CLI has always printed.
    #[test]
    fn a_session_that_cannot_open_says_which_setting_or_file_in_the_same_words() {
        let e = open(
            Config::default(),
            Options {
                concurrency: Some(0),
                ..Options::default()
            },
        );
        assert!(matches!(e, SessionError::NoConcurrency));
        assert_eq!(e.to_string(), "--concurrency must be at least 1");
        let e = open(
            Config::default(),
            Options {
                offline: true,
                no_cache: true,
                ..Options::default()
            },
        );
        assert_eq!(
            e.to_string(),
            "--offline needs the cache or --osv-db to answer from; --no-cache leaves nothing"
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let e = open(
            Config::default(),
            Options {
                no_cache: true,
                osv_db: Some(empty.clone()),
                ..Options::default()
            },
        );
        assert!(matches!(e, SessionError::OsvDb(_)), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("OSV database {}: ", empty.display())),
            "{e}"
        );
        let mut config = Config::default();
        let key = dir.path().join("missing.pub");
        config.reports.key = Some(key.clone());
        let e = open(
            config,
            Options {
                no_cache: true,
                store: Some(
                    dir.path()
                        .join("no-such-dir/s.sqlite3")
                        .display()
                        .to_string(),
                ),
                ..Options::default()
            },
        );
        assert!(matches!(e, SessionError::Store(_)), "{e:?}");
        let mut config = Config::default();
        config.reports.key = Some(key.clone());
        let e = open(
            config,
            Options {
                no_cache: true,
                ..Options::default()
            },
        );
        assert!(
            e.to_string().starts_with(&format!(
                "{}: cannot read the [reports] key: ",
                key.display()
            )),
            "{e}"
        );
    }
}
