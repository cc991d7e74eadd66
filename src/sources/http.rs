//! The one HTTP client every adapter uses: timeouts, retries with backoff and
//! jitter, `Retry-After`, a per-host concurrency limit, a response size limit,
//! redirects only within configured hosts and schemes, an identifying
//! User-Agent, the on-disk cache, offline mode, one request in flight per
//! URL, services marked down after they prove unreachable, and — on a
//! shared store — answers shared with the other runners of a fleet. And,
//! apart from the services, downloads of files their caller checks on
//! arrival ([`Client::download`]): streamed within a size bound.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use super::cache::{Cache, Entry};
use crate::config::Network;
use crate::redact::{carries_credentials, redact};
use crate::store::Store;

pub const USER_AGENT: &str = concat!("tacos-sbom/", env!("CARGO_PKG_VERSION"));

/// The upstream services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    DepsDev,
    Osv,
    Scorecard,
    Npm,
    PyPi,
    CratesIndex,
    CratesApi,
    GitHub,
    Tidelift,
    Reports,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::DepsDev => "deps.dev",
            Service::Osv => "OSV",
            Service::Scorecard => "OpenSSF Scorecard",
            Service::Npm => "npm registry",
            Service::PyPi => "PyPI",
            Service::CratesIndex => "crates.io index",
            Service::CratesApi => "crates.io API",
            Service::GitHub => "GitHub",
            Service::Tidelift => "Tidelift",
            Service::Reports => "published reports",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An answer: 2xx or 404 (which callers need to tell "not found" from failure).
///
/// It is not cached when it arrives: the adapter that asked validates it
/// first and then calls [`Client::remember`], so a malformed answer (HTML
/// with status 200, truncated JSON, the wrong shape) is never served again.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub body: Arc<[u8]>,
    /// The URL, with any credentials removed.
    pub url: String,
    pub retrieved_at: OffsetDateTime,
    /// Not asked this run: from this runner's cache or the shared store
    /// (asked again if its adapter finds it malformed).
    pub from_cache: bool,
    /// From this runner's own cache, so not written to it again. An
    /// answer found in the shared store is, so that the next run finds it
    /// here without asking the store.
    cached_locally: bool,
    /// The cache key, when the answer may be cached at all (never for
    /// requests that carry credentials).
    cache_key: Option<String>,
}

impl Fetched {
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{service} is unreachable this run ({reason})")]
    Down { service: Service, reason: String },
    #[error("offline, and {url} is not in the cache")]
    NotCached { url: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: no answer after {attempts} attempts ({last})")]
    Exhausted {
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: redirect refused ({why})")]
    Redirect { url: String, why: String },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    /// No connection, or no answer in time: the host, not this request,
    /// is at fault (see [`Client::download`]).
    #[error("{url}: {why}")]
    Unreachable { url: String, why: String },
}

/// The requests to one service that brought no usable answer this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub requests: u64,
    /// Where the first one went, credentials removed.
    pub url: String,
    /// Why the first one failed.
    pub why: String,
}

impl FetchError {
    /// Why, without the URL (which a note names once for many failures).
    pub fn why(&self) -> String {
        match self {
            FetchError::Down { reason, .. } => reason.clone(),
            FetchError::NotCached { .. } => "offline, and not in the cache".into(),
            FetchError::Status { status, .. } => format!("HTTP {status}"),
            FetchError::Exhausted { attempts, last, .. } => {
                format!("no answer after {attempts} attempts ({last})")
            }
            FetchError::TooLarge { limit, .. } => {
                format!("the response is larger than {limit} bytes")
            }
            FetchError::Redirect { why, .. } => format!("redirect refused ({why})"),
            FetchError::Transport { message, .. } => message.clone(),
            FetchError::Unreachable { why, .. } => why.clone(),
        }
    }
}

/// The HTTP client could not be made (no TLS backend, say).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(reqwest::Error);

/// Requests, cache hits and failures per service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Answers from the cache, or from other runners through the store.
    pub cache_hits: u64,
    pub failures: u64,
}

type Shared = Arc<OnceCell<Result<Fetched, FetchError>>>;

pub struct Client {
    http: reqwest::Client,
    settings: Network,
    offline: bool,
    cache: Option<Cache>,
    ttl_seconds: i64,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    connect_failures: Mutex<HashMap<Service, u32>>,
    down: Mutex<BTreeMap<Service, String>>,
    failed: Mutex<BTreeMap<Service, Failed>>,
    inflight: Mutex<HashMap<String, Shared>>,
    stats: Mutex<BTreeMap<Service, Stats>>,
    /// Problems worth a warning that do not stop the run (the cache could
    /// not be written, say), each once.
    warnings: Mutex<Vec<String>>,
    shared: Option<SharedAnswers>,
}

/// Raw answers shared through a store that many runners use (PostgreSQL),
/// so that a fleet asks each question once per TTL, as one process would:
/// a runner about to ask claims the question (as it claims a package); one
/// that finds it claimed waits for the answer. Answers are shared as they
/// arrive (2xx or 404): every reader's adapter validates them as it does
/// any cached answer, and asks again, itself, about one it finds malformed.
/// Requests that carry credentials are never shared.
pub struct SharedAnswers {
    pub store: Arc<dyn Store>,
    pub runner: String,
    /// How long a claim on a question lasts: a runner that died asking
    /// holds it no longer.
    pub lease_seconds: i64,
}

/// One question to a service, and the key its answer is cached under.
#[derive(Clone, Copy)]
struct Question<'a> {
    service: Service,
    url: &'a Url,
    body: Option<&'a [u8]>,
    shown: &'a str,
    key: &'a str,
}

/// One item of a batch question, as [`Client::claim_shared`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedItem {
    /// Another runner's answer, as it stored it.
    Found(String),
    /// This runner's to ask.
    Mine,
    /// Another runner is asking.
    Theirs,
}

/// Key prefix of shared answers in the store, apart from statements' keys
/// (which start with a hex fingerprint).
const ANSWER_KEY: &str = "answer ";

/// After this many connection failures in a row, a service is down for the run.
const DOWN_AFTER_CONNECT_FAILURES: u32 = 2;

impl Client {
    /// `allowed_hosts`: the hosts of the configured endpoints; redirects may
    /// go nowhere else.
    pub fn new(
        settings: Network,
        allowed_hosts: HashSet<String>,
        cache: Option<Cache>,
        ttl_hours: u64,
        offline: bool,
    ) -> Result<Client, ClientError> {
        let allowed = Arc::new(allowed_hosts);
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than 5 redirects");
            }
            let first = &attempt.previous()[0];
            let next = attempt.url();
            if next.scheme() != first.scheme() {
                let why = format!("to another scheme ({})", next.scheme());
                return attempt.error(why);
            }
            match next.host_str() {
                Some(h) if Some(h) == first.host_str() => attempt.follow(),
                Some(h) if allowed.contains(&h.to_ascii_lowercase()) => attempt.follow(),
                Some(h) => {
                    let why = format!("to a host that is not configured ({h})");
                    attempt.error(why)
                }
                None => attempt.error("to a URL without a host"),
            }
        });
        let http = builder(&settings)
            .redirect(policy)
            .timeout(Duration::from_secs(settings.timeout_seconds.max(1)))
            .build()
            .map_err(ClientError)?;
        Ok(Client::with(http, settings, cache, ttl_hours, offline))
    }

    /// A client for files that are checked once they have arrived (the
    /// artifacts an SBOM references, against the digests it records), used
    /// through [`Client::download`]. Redirects go to any host, since what
    /// arrives is checked whatever its origin, but only over https and at
    /// most [`MAX_DOWNLOAD_REDIRECTS`]. A connect timeout, and a read
    /// timeout on the wait for the answer and on every read of its body,
    /// both from `settings`; no total timeout, as a bundle may be gigabytes.
    pub fn for_downloads(settings: Network) -> Result<Client, ClientError> {
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() > MAX_DOWNLOAD_REDIRECTS {
                return attempt.error(format!("more than {MAX_DOWNLOAD_REDIRECTS} redirects"));
            }
            match attempt.url().scheme() {
                "https" => attempt.follow(),
                // The scheme alone: the URL may carry credentials.
                other => {
                    let why = format!("to {other}, not https");
                    attempt.error(why)
                }
            }
        });
        let http = builder(&settings)
            .redirect(policy)
            .read_timeout(Duration::from_secs(settings.timeout_seconds.max(1)))
            .build()
            .map_err(ClientError)?;
        Ok(Client::with(http, settings, None, 0, false))
    }

    fn with(
        http: reqwest::Client,
        settings: Network,
        cache: Option<Cache>,
        ttl_hours: u64,
        offline: bool,
    ) -> Client {
        Client {
            http,
            settings,
            offline,
            cache,
            ttl_seconds: (ttl_hours as i64).saturating_mul(3600),
            hosts: Mutex::new(HashMap::new()),
            connect_failures: Mutex::new(HashMap::new()),
            down: Mutex::new(BTreeMap::new()),
            failed: Mutex::new(BTreeMap::new()),
            inflight: Mutex::new(HashMap::new()),
            stats: Mutex::new(BTreeMap::new()),
            warnings: Mutex::new(Vec::new()),
            shared: None,
        }
    }

    /// Share answers with the other runners of a store (see [`SharedAnswers`]).
    pub fn share_answers(&mut self, shared: SharedAnswers) {
        self.shared = Some(shared);
    }

    /// Warnings collected this run, each once.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().expect("warnings lock").clone()
    }

    pub fn warn(&self, message: String) {
        let mut w = self.warnings.lock().expect("warnings lock");
        if !w.contains(&message) {
            w.push(message);
        }
    }

    /// The shared store failed: this runner goes on alone.
    fn store_failed(&self, e: &crate::store::StoreError) {
        self.warn(format!("answers are not shared with other runners: {e}"));
    }

    /// Cache an answer its adapter has validated. A failure to store costs
    /// only a later request, so it is a warning, not an error.
    pub fn remember(&self, f: &Fetched) {
        let (Some(cache), Some(key)) = (&self.cache, &f.cache_key) else {
            return;
        };
        if f.cached_locally {
            return;
        }
        let entry = Entry {
            status: f.status,
            body: f.body.to_vec(),
            fetched_at: f.retrieved_at.unix_timestamp(),
        };
        if let Err(e) = cache.put(key, &entry) {
            self.warn(format!(
                "the cache {} could not be written ({e}); later runs will ask again",
                cache.path().display()
            ));
        }
    }

    /// Whether a fresh answer to GET `url` is cached (no request is made).
    pub fn is_cached(&self, url: &Url) -> bool {
        if carries_credentials(url) {
            return false;
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.cache.as_ref().is_some_and(|c| {
            c.get(&cache_key(url, None))
                .is_some_and(|e| self.offline || now - e.fetched_at < self.ttl_seconds)
        })
    }

    /// Cache, as the answer to GET `url`, a part of a batch answer that its
    /// adapter has validated and that has the shape GET would answer with:
    /// a later run asking about that one thing finds it.
    pub fn remember_as_get(&self, url: &Url, body: &[u8], retrieved_at: OffsetDateTime) {
        if carries_credentials(url) {
            return;
        }
        self.remember(&Fetched {
            status: 200,
            body: body.into(),
            url: redact(url),
            retrieved_at,
            from_cache: false,
            cache_key: Some(cache_key(url, None)),
            cached_locally: false,
        });
    }

    /// Drop a cached answer that its adapter found malformed.
    pub fn forget(&self, f: &Fetched) {
        if let (Some(cache), Some(key), true) = (&self.cache, &f.cache_key, f.cached_locally) {
            cache.remove(key);
        }
    }

    pub fn is_offline(&self) -> bool {
        self.offline
    }

    pub fn stats(&self) -> BTreeMap<Service, Stats> {
        self.stats.lock().expect("stats lock").clone()
    }

    /// Services found unreachable this run, with the first reason.
    pub fn down_services(&self) -> BTreeMap<Service, String> {
        self.down.lock().expect("down lock").clone()
    }

    /// A request to `service` (at `url`, as shown) that brought no usable
    /// answer: counted, so that a run names every failing service once,
    /// however few of its requests failed.
    pub fn note_failed(&self, service: Service, url: &str, why: impl Into<String>) {
        let mut failed = self.failed.lock().expect("failed lock");
        failed
            .entry(service)
            .or_insert_with(|| Failed {
                requests: 0,
                url: url.to_string(),
                why: why.into(),
            })
            .requests += 1;
    }

    /// Services with requests that brought no usable answer this run.
    pub fn failed_services(&self) -> BTreeMap<Service, Failed> {
        self.failed.lock().expect("failed lock").clone()
    }

    pub async fn get(&self, service: Service, url: &Url) -> Result<Fetched, FetchError> {
        self.fetch(service, url, None, None).await
    }

    /// POST a JSON body; answers are cached by URL and body.
    pub async fn post_json(
        &self,
        service: Service,
        url: &Url,
        body: Vec<u8>,
    ) -> Result<Fetched, FetchError> {
        self.fetch(service, url, Some(body), None).await
    }

    /// GET with a bearer token (never shown; the answer is not cached).
    pub async fn get_with_token(
        &self,
        service: Service,
        url: &Url,
        token: &str,
    ) -> Result<Fetched, FetchError> {
        self.fetch(service, url, None, Some(token)).await
    }

    /// GET bypassing the cache: for an answer whose cached copy its
    /// adapter found malformed.
    pub async fn get_fresh(&self, service: Service, url: &Url) -> Result<Fetched, FetchError> {
        let shown = redact(url);
        let key = (!carries_credentials(url)).then(|| cache_key(url, None));
        self.fetch_network(service, url, None, None, &shown, key, None)
            .await
    }

    async fn fetch(
        &self,
        service: Service,
        url: &Url,
        body: Option<Vec<u8>>,
        token: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let shown = redact(url);
        // One request in flight per request, keyed without credentials.
        let flight = format!(
            "{}{}",
            token.map(|_| "auth ").unwrap_or_default(),
            cache_key_shown(&shown, body.as_deref())
        );
        let cell = {
            let mut map = self.inflight.lock().expect("inflight lock");
            map.entry(flight.clone()).or_default().clone()
        };
        let result = cell
            .get_or_init(|| self.fetch_once(service, url, body.as_deref(), token, &shown))
            .await
            .clone();
        // Later asks go to the cache (or the network again if uncached): a
        // run keeps parsed answers, not raw bodies.
        self.inflight.lock().expect("inflight lock").remove(&flight);
        result
    }

    async fn fetch_once(
        &self,
        service: Service,
        url: &Url,
        body: Option<&[u8]>,
        token: Option<&str>,
        shown: &str,
    ) -> Result<Fetched, FetchError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        // Answers to authenticated requests are never cached: the next run
        // may not hold the credentials, and cache keys must never hold them.
        let key = (token.is_none() && !carries_credentials(url)).then(|| cache_key(url, body));
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && let Some(entry) = cache.get(key)
            && (self.offline || now - entry.fetched_at < self.ttl_seconds)
        {
            self.count(service, |s| s.cache_hits += 1);
            return Ok(Fetched {
                status: entry.status,
                body: entry.body.into(),
                url: shown.to_string(),
                retrieved_at: OffsetDateTime::from_unix_timestamp(entry.fetched_at)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                from_cache: true,
                cache_key: Some(key.clone()),
                cached_locally: true,
            });
        }
        if let (Some(shared), Some(key), false) = (&self.shared, &key, self.offline) {
            let q = Question {
                service,
                url,
                body,
                shown,
                key,
            };
            return self.fetch_shared(shared, q).await;
        }
        self.fetch_network(service, url, body, token, shown, key, None)
            .await
    }

    /// Items of a batch question (one package version in OSV's
    /// `querybatch`, say) shared with the other runners of a store, each
    /// under its own key: for each, the value another runner stored
    /// (fresh); or `Mine` (claimed: ask it, then [`Client::settle_shared`]);
    /// or `Theirs` (another runner is asking: call again later). Without a
    /// shared store, or if it fails, every item is `Mine`.
    pub async fn claim_shared(&self, keys: &[String]) -> Vec<SharedItem> {
        let Some(shared) = self
            .shared
            .as_ref()
            .filter(|_| !self.offline && !keys.is_empty())
        else {
            return vec![SharedItem::Mine; keys.len()];
        };
        let keys: Vec<String> = keys.iter().map(|k| format!("{ANSWER_KEY}{k}")).collect();
        let found = match shared.store.load(&keys, self.ttl_seconds).await {
            Ok(f) => f,
            Err(e) => {
                self.store_failed(&e);
                return vec![SharedItem::Mine; keys.len()];
            }
        };
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !found.contains_key(*k))
            .cloned()
            .collect();
        let claimed: HashSet<String> = match shared
            .store
            .claim(
                &missing,
                &shared.runner,
                shared.lease_seconds,
                self.ttl_seconds,
            )
            .await
        {
            Ok(c) => c.into_iter().collect(),
            Err(e) => {
                self.store_failed(&e);
                missing.iter().cloned().collect()
            }
        };
        keys.iter()
            .map(|k| match found.get(k) {
                Some(s) => SharedItem::Found(s.statement.clone()),
                None if claimed.contains(k) => SharedItem::Mine,
                None => SharedItem::Theirs,
            })
            .collect()
    }

    /// The key under which the answer to GET `url` is cached and shared;
    /// `None` for a URL that carries credentials (never cached).
    pub fn get_key(url: &Url) -> Option<String> {
        (!carries_credentials(url)).then(|| cache_key(url, None))
    }

    /// A validated part of a batch answer, shared as the answer (200) to
    /// its own GET; `None` if the store's text cannot hold it.
    pub fn get_answer_text(body: &[u8], retrieved_at: OffsetDateTime) -> Option<String> {
        encode_answer(&Fetched {
            status: 200,
            body: body.into(),
            url: String::new(),
            retrieved_at,
            from_cache: false,
            cache_key: None,
            cached_locally: false,
        })
    }

    /// Share the items claimed with [`Client::claim_shared`] that were
    /// answered completely (`answered`: key, value), and give up the claims
    /// on the rest (`unanswered`), so that other runners ask them.
    pub async fn settle_shared(&self, answered: Vec<(String, String)>, unanswered: Vec<String>) {
        let Some(shared) = self.shared.as_ref().filter(|_| !self.offline) else {
            return;
        };
        // What the store's text cannot hold (NUL) is given up like an
        // unanswered item, so that no runner waits for it.
        let (answered, unsaved): (Vec<_>, Vec<_>) =
            answered.into_iter().partition(|(_, v)| !v.contains('\0'));
        let answered: Vec<(String, String)> = answered
            .into_iter()
            .map(|(k, v)| (format!("{ANSWER_KEY}{k}"), v))
            .collect();
        let mut unanswered: Vec<String> = unanswered
            .iter()
            .chain(unsaved.iter().map(|(k, _)| k))
            .map(|k| format!("{ANSWER_KEY}{k}"))
            .collect();
        if !answered.is_empty()
            && let Err(e) = shared.store.save(&answered).await
        {
            self.store_failed(&e);
            // Not saved: the claims go, or others wait out the lease.
            unanswered.extend(answered.into_iter().map(|(k, _)| k));
        }
        if !unanswered.is_empty()
            && let Err(e) = shared.store.release(&unanswered, &shared.runner).await
        {
            self.store_failed(&e);
        }
    }

    /// A question not in the local cache, on a shared store: its answer
    /// from the store if another runner has it (fresh), else asked by this
    /// runner under a claim, or waited for while another runner holds one.
    /// A store that fails costs only the sharing: the question is asked.
    async fn fetch_shared(
        &self,
        shared: &SharedAnswers,
        q: Question<'_>,
    ) -> Result<Fetched, FetchError> {
        let Question {
            service,
            url,
            body,
            shown,
            key,
        } = q;
        let keys = [format!("{ANSWER_KEY}{key}")];
        let mut pause = Duration::from_millis(10);
        loop {
            // Claimed first: most questions of a run are new to the store,
            // and the claim is one round trip where load-then-claim is two.
            // And claimed only with this host's permit in hand, about to
            // ask: a claim queued behind this runner's other requests would
            // hold up runners that could ask at once.
            let permit = self.host_permit(url).await;
            match shared
                .store
                .claim(
                    &keys,
                    &shared.runner,
                    shared.lease_seconds,
                    self.ttl_seconds,
                )
                .await
            {
                Ok(claimed) if !claimed.is_empty() => {
                    return self.ask_and_share(shared, q, Some(permit)).await;
                }
                // Answered already, or another runner is asking.
                Ok(_) => drop(permit),
                Err(e) => {
                    self.store_failed(&e);
                    break;
                }
            }
            match shared.store.load(&keys, self.ttl_seconds).await {
                Ok(found) => {
                    let Some(stored) = found.get(&keys[0]) else {
                        // Another runner is asking: its answer will be in
                        // the store.
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(100));
                        continue;
                    };
                    // What this tool would not have stored is no answer:
                    // asked again, and the store mended with the new one
                    // (waiting for it to change would never end).
                    let Some((status, fetched_at, answer)) = decode_answer(&stored.statement)
                    else {
                        return self.ask_and_share(shared, q, None).await;
                    };
                    self.count(service, |s| s.cache_hits += 1);
                    return Ok(Fetched {
                        status,
                        body: answer.as_bytes().into(),
                        url: shown.to_string(),
                        retrieved_at: OffsetDateTime::from_unix_timestamp(fetched_at)
                            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                        // Like a cached answer: asked again if malformed.
                        from_cache: true,
                        cache_key: Some(key.to_string()),
                        cached_locally: false,
                    });
                }
                Err(e) => {
                    self.store_failed(&e);
                    break;
                }
            }
        }
        self.fetch_network(service, url, body, None, shown, Some(key.to_string()), None)
            .await
    }

    /// Ask, then store the answer for the other runners (or give up the
    /// claim on a question without one).
    async fn ask_and_share(
        &self,
        shared: &SharedAnswers,
        q: Question<'_>,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<Fetched, FetchError> {
        let result = self
            .fetch_network(
                q.service,
                q.url,
                q.body,
                None,
                q.shown,
                Some(q.key.to_string()),
                permit,
            )
            .await;
        let keys = [format!("{ANSWER_KEY}{}", q.key)];
        let saved = match result.as_ref().ok().and_then(encode_answer) {
            Some(text) => match shared.store.save(&[(keys[0].clone(), text)]).await {
                Ok(()) => true,
                Err(e) => {
                    self.store_failed(&e);
                    false
                }
            },
            None => false,
        };
        // No answer saved: the claim goes, or others wait out the lease.
        if !saved && let Err(e) = shared.store.release(&keys, &shared.runner).await {
            self.store_failed(&e);
        }
        result
    }

    /// `permit`: this host's, if the caller holds one already (for the
    /// first attempt).
    #[allow(clippy::too_many_arguments)]
    async fn fetch_network(
        &self,
        service: Service,
        url: &Url,
        body: Option<&[u8]>,
        token: Option<&str>,
        shown: &str,
        key: Option<String>,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<Fetched, FetchError> {
        let shown = shown.to_string();
        if self.offline {
            return Err(FetchError::NotCached { url: shown });
        }
        let down = self.down.lock().expect("down lock").get(&service).cloned();
        if let Some(reason) = down {
            // Not sent, and so not answered either: counted as failed.
            self.note_failed(service, &shown, reason.clone());
            return Err(FetchError::Down { service, reason });
        }
        let mut result = self
            .attempts(service, url, body, token, &shown, permit)
            .await;
        match &mut result {
            Ok(f) => {
                self.connect_failures
                    .lock()
                    .expect("lock")
                    .insert(service, 0);
                f.cache_key = key;
            }
            Err(e) => {
                self.count(service, |s| s.failures += 1);
                self.note_failed(service, &shown, e.why());
            }
        }
        result
    }

    async fn attempts(
        &self,
        service: Service,
        url: &Url,
        body: Option<&[u8]>,
        token: Option<&str>,
        shown: &str,
        mut permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<Fetched, FetchError> {
        let max_attempts = self.settings.retries + 1;
        let mut last = String::new();
        for attempt in 0..max_attempts {
            let outcome = {
                let permit = match permit.take() {
                    Some(p) => p,
                    None => self.host_permit(url).await,
                };
                // Checked again with the permit: requests queued behind the
                // one that found the service down must not try it too.
                if let Some(reason) = self.down.lock().expect("down lock").get(&service) {
                    return Err(FetchError::Down {
                        service,
                        reason: reason.clone(),
                    });
                }
                self.count(service, |s| s.requests += 1);
                let r = self.one_attempt(url, body, token, shown).await;
                drop(permit);
                r
            };
            match outcome {
                Attempt::Done(f) => return Ok(f),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry { reason, after } => {
                    last = reason;
                    if attempt + 1 == max_attempts {
                        break;
                    }
                    let wait = match after {
                        Some(d) if d.as_secs() > self.settings.max_retry_after_seconds => {
                            return Err(FetchError::Exhausted {
                                url: shown.to_string(),
                                attempts: attempt + 1,
                                last: format!(
                                    "{last}; asked to retry after {} s, more than the {} s allowed",
                                    d.as_secs(),
                                    self.settings.max_retry_after_seconds
                                ),
                            });
                        }
                        Some(d) => d,
                        None => backoff(attempt),
                    };
                    tokio::time::sleep(wait).await;
                }
                Attempt::Unreachable(reason) => {
                    let mut failures = self.connect_failures.lock().expect("lock");
                    let n = failures.entry(service).or_default();
                    *n += 1;
                    if *n >= DOWN_AFTER_CONNECT_FAILURES {
                        self.down
                            .lock()
                            .expect("down lock")
                            .entry(service)
                            .or_insert_with(|| reason.clone());
                    }
                    // A network that is not there is not a transient fault.
                    // The same words for every request, whichever came first.
                    return Err(FetchError::Down { service, reason });
                }
            }
        }
        if last.contains("timed out") {
            // A service that never answers would make every package wait.
            self.down
                .lock()
                .expect("down lock")
                .entry(service)
                .or_insert_with(|| "it does not answer (timed out)".into());
        }
        Err(FetchError::Exhausted {
            url: shown.to_string(),
            attempts: max_attempts,
            last,
        })
    }

    async fn one_attempt(
        &self,
        url: &Url,
        body: Option<&[u8]>,
        token: Option<&str>,
        shown: &str,
    ) -> Attempt {
        let mut req = match body {
            Some(b) => self
                .http
                .post(url.clone())
                .header("content-type", "application/json")
                .body(b.to_vec()),
            None => self.http.get(url.clone()),
        };
        req = req.header("accept", "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut response = match req.send().await {
            Ok(r) => r,
            Err(e) => return classify(e, shown),
        };
        let status = response.status().as_u16();
        if status == 429 || status == 503 || (500..600).contains(&status) || status == 408 {
            let after = retry_after(response.headers());
            return Attempt::Retry {
                reason: format!("HTTP {status}"),
                after: if status == 429 || status == 503 {
                    after
                } else {
                    None
                },
            };
        }
        if (300..400).contains(&status) {
            let to = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("nowhere");
            return Attempt::Fatal(FetchError::Redirect {
                url: shown.to_string(),
                why: format!(
                    "HTTP {status} to {to} was not followed: only http(s) to a configured host is"
                ),
            });
        }
        if !(200..300).contains(&status) && status != 404 {
            return Attempt::Fatal(FetchError::Status {
                url: shown.to_string(),
                status,
            });
        }
        let limit = self.settings.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Attempt::Fatal(FetchError::TooLarge {
                url: shown.to_string(),
                limit,
            });
        }
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > limit {
                        return Attempt::Fatal(FetchError::TooLarge {
                            url: shown.to_string(),
                            limit,
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Attempt::Retry {
                        reason: format!(
                            "the response broke off: {}",
                            error_chain(&e.without_url())
                        ),
                        after: None,
                    };
                }
            }
        }
        Attempt::Done(Fetched {
            status,
            body: bytes.into(),
            url: shown.to_string(),
            retrieved_at: OffsetDateTime::now_utc(),
            from_cache: false,
            cache_key: None,
            cached_locally: false,
        })
    }

    /// GET `url` into `to`, a chunk at a time, for a caller that checks
    /// what arrives: at most `limit` bytes, refused as soon as the announced
    /// length or what has arrived passes it (nothing over the limit is
    /// written or held). Asked once, without the cache or retries: a
    /// failure is the caller's to report, and a download is no answer to
    /// keep.
    pub async fn download(
        &self,
        url: &Url,
        limit: u64,
        to: &mut dyn std::io::Write,
    ) -> Result<u64, FetchError> {
        let shown = redact(url);
        if self.offline {
            return Err(FetchError::NotCached { url: shown });
        }
        let failed = |e: reqwest::Error| self.download_error(e, &shown);
        let mut response = self.http.get(url.clone()).send().await.map_err(failed)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: shown.clone(),
                status,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: shown.clone(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(too_large());
            }
            to.write_all(&chunk).map_err(|e| FetchError::Transport {
                url: shown.clone(),
                message: format!("cannot keep what arrived: {e}"),
            })?;
        }
        Ok(written)
    }

    /// Why a download failed, without the URL reqwest puts in its messages
    /// (credentials included).
    fn download_error(&self, e: reqwest::Error, shown: &str) -> FetchError {
        let e = e.without_url();
        let url = shown.to_string();
        if e.is_redirect() {
            return FetchError::Redirect {
                url,
                why: error_chain(&e),
            };
        }
        if e.is_timeout() {
            let why = format!(
                "no answer within {} s",
                self.settings.timeout_seconds.max(1)
            );
            return FetchError::Unreachable { url, why };
        }
        if e.is_connect() {
            // The innermost cause: "Connection refused", a certificate
            // that is not trusted.
            let mut inner: &dyn std::error::Error = &e;
            while let Some(s) = inner.source() {
                inner = s;
            }
            let why = format!("cannot connect: {inner}");
            return FetchError::Unreachable { url, why };
        }
        FetchError::Transport {
            url,
            message: error_chain(&e),
        }
    }

    async fn host_permit(&self, url: &Url) -> tokio::sync::OwnedSemaphorePermit {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
        let sem = {
            let mut hosts = self.hosts.lock().expect("hosts lock");
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.settings.concurrency.max(1))))
                .clone()
        };
        sem.acquire_owned()
            .await
            .expect("semaphores are never closed")
    }

    fn count(&self, service: Service, f: impl FnOnce(&mut Stats)) {
        f(self
            .stats
            .lock()
            .expect("stats lock")
            .entry(service)
            .or_default());
    }
}

/// Redirects a download follows, at most.
pub const MAX_DOWNLOAD_REDIRECTS: usize = 5;

/// What every client shares: who is asking, how long a connection may take,
/// compressed answers.
fn builder(settings: &Network) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(settings.timeout_seconds.clamp(1, 10)))
        .gzip(true)
}

enum Attempt {
    Done(Fetched),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The host does not resolve or refuses connections.
    Unreachable(String),
    Fatal(FetchError),
}

fn classify(e: reqwest::Error, shown: &str) -> Attempt {
    // reqwest puts the full URL, credentials included, into its messages.
    let e = e.without_url();
    let e = &e;
    let message = error_chain(e);
    if e.is_redirect() {
        return Attempt::Fatal(FetchError::Redirect {
            url: shown.to_string(),
            why: message,
        });
    }
    if e.is_timeout() {
        return Attempt::Retry {
            reason: "timed out".into(),
            after: None,
        };
    }
    if e.is_connect() {
        // The innermost cause ("Connection refused", "failed to lookup
        // address"), without the URL, so the reason is the same for all.
        let mut inner: &dyn std::error::Error = e;
        while let Some(s) = inner.source() {
            inner = s;
        }
        return Attempt::Unreachable(inner.to_string());
    }
    Attempt::Retry {
        reason: message,
        after: None,
    }
}

/// The error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - OffsetDateTime::now_utc();
    Some(Duration::from_secs(delta.whole_seconds().max(0) as u64))
}

/// Exponential backoff with jitter: about 250 ms, 500 ms, 1 s, ... up to 8 s.
fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(5)).min(8_000);
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    let jitter = u16::from_le_bytes(r) as u64 % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter + base / 4)
}

/// An answer as the store keeps it: `STATUS FETCHED_AT\n` and the body.
/// `None` for a body the store's text cannot hold (not UTF-8, or with NUL,
/// which PostgreSQL's text refuses): such an answer is not shared.
fn encode_answer(f: &Fetched) -> Option<String> {
    let body = std::str::from_utf8(&f.body).ok()?;
    if body.contains('\0') {
        return None;
    }
    Some(format!(
        "{} {}\n{body}",
        f.status,
        f.retrieved_at.unix_timestamp()
    ))
}

/// The stored answer's status, fetch time and body; `None` for anything
/// else (an answer this tool would not have shared is not one).
fn decode_answer(text: &str) -> Option<(u16, i64, &str)> {
    let (head, body) = text.split_once('\n')?;
    let (status, at) = head.split_once(' ')?;
    let status: u16 = status.parse().ok()?;
    if !((200..300).contains(&status) || status == 404) {
        return None;
    }
    Some((status, at.parse().ok()?, body))
}

fn cache_key(url: &Url, body: Option<&[u8]>) -> String {
    cache_key_shown(&redact(url), body)
}

fn cache_key_shown(shown: &str, body: Option<&[u8]>) -> String {
    match body {
        None => format!("GET {shown}"),
        Some(b) => {
            let d = Sha256::digest(b);
            let hex: String = d.iter().take(16).map(|x| format!("{x:02x}")).collect();
            format!("POST {shown} {hex}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_answers_round_trip_and_anything_else_is_no_answer() {
        let f = Fetched {
            status: 404,
            body: b"{\"error\":\"Not found\"}\n".as_slice().into(),
            url: "http://127.0.0.1/npm/x".into(),
            retrieved_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            from_cache: false,
            cache_key: None,
            cached_locally: false,
        };
        let text = encode_answer(&f).unwrap();
        assert_eq!(
            decode_answer(&text),
            Some((404, 1_700_000_000, "{\"error\":\"Not found\"}\n"))
        );
        // What the store's text cannot hold is not shared.
        for body in [&b"\xff\xfe"[..], b"a\0b"] {
            let g = Fetched {
                body: body.into(),
                ..f.clone()
            };
            assert_eq!(encode_answer(&g), None);
        }
        // A status this client never shares, or a damaged head: no answer.
        for bad in [
            "500 1700000000\nx",
            "302 1700000000\nx",
            "200\nx",
            "200 soon\nx",
            "x 1\ny",
            "200 1700000000",
            "",
        ] {
            assert_eq!(decode_answer(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cache_keys_hold_no_credentials() {
        let u = Url::parse("https://user:pw@h.example/p?token=abc&x=1&X-Amz-Signature=s&apiKey=k")
            .unwrap();
        for secret in ["user", "pw", "abc", "=s&", "=k"] {
            assert!(!cache_key(&u, None).contains(secret));
        }
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        for a in 0..10 {
            let d = backoff(a);
            assert!(d <= Duration::from_millis(10_000), "{d:?}");
        }
        assert!(backoff(0) < Duration::from_millis(400));
        assert!(backoff(3) >= Duration::from_millis(1500));
    }
}
