//! The machinery every adapter is asked through, the same for all: a
//! [`Question`] is asked at its service's endpoint through the shared
//! client, its answer checked by the adapter's parser before it is
//! remembered (a malformed one never is), and kept for the rest of the run,
//! so that each thing is asked about once; a [`Batch`] is split at the
//! limit its adapter declares. With `--offline`, an adapter that needs the
//! network answers only from what is stored, as it declares.
//!
//! What is particular to a service (which questions make a registry
//! listing, how OSV's pages are followed) is in the service's own file,
//! built on this.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio::sync::OnceCell;
use url::Url;

use super::adapter::{Adapter, Answers, Batch, Malformed, Question};
use super::endpoints::{Endpoint, Endpoints};
use super::http::{Client, FetchError, Fetched, Service, Stats};
use super::osv_db::OsvDb;
use super::{Found, Lookup};
use crate::purl::Ecosystem;

/// A vulnerability query: a package version in an ecosystem.
pub type VulnKey = (Ecosystem, String, String);

/// The age limits answers are judged by, and the time they are judged at.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub now: OffsetDateTime,
    pub max_osv_db_age_days: i64,
    pub max_scorecard_age_days: i64,
    pub max_insights_age_days: i64,
}

/// One value per key, made once: whoever asks while it is being made
/// waits for it rather than making it again.
pub struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            cells: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn cell(&self, key: K) -> Arc<OnceCell<V>> {
        self.cells
            .lock()
            .expect("memo lock")
            .entry(key)
            .or_default()
            .clone()
    }

    /// The value for `key`, made by `make` if nobody has made it yet.
    pub async fn get_or_make<F, Fut>(&self, key: K, make: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        self.cell(key).get_or_init(make).await.clone()
    }

    /// Whether `key`'s value is made (not merely being made).
    pub fn is_made(&self, key: &K) -> bool {
        self.cells
            .lock()
            .expect("memo lock")
            .get(key)
            .is_some_and(|c| c.initialized())
    }

    /// Give `key` its value, unless it has one.
    pub fn put(&self, key: K, value: V) {
        let _ = self.cell(key).set(value);
    }
}

/// What a question's memo is keyed by: the base URL it was asked under,
/// and the question.
type Asked<Q> = (Url, <Q as Question>::Key);

type MemoOf<Q> = Memo<Asked<Q>, Lookup<<Q as Question>::Value>>;

/// A service without an endpoint, and why (with the fix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct NoEndpoint {
    pub service: Service,
    pub why: String,
}

/// One answer of a batch endpoint, as its adapter read it.
#[derive(Debug)]
pub struct Posted<P> {
    pub page: P,
    /// Where it came from, credentials removed.
    pub url: String,
    pub at: OffsetDateTime,
}

/// Why a batch request brought no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("malformed answer from {}: {error}", .error.service)]
    Malformed { url: String, error: Malformed },
}

/// Why a whole document brought no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
}

pub struct Sources {
    client: Client,
    endpoints: Endpoints,
    osv_db: Option<(PathBuf, OsvDb)>,
    osv_web: String,
    limits: Limits,
    /// Each question type's answers this run (a `MemoOf<Q>` under Q's
    /// type), made the first time the question is asked.
    memos: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// Services packages needed that have no endpoint: how many packages,
    /// and why there is none.
    unconfigured: Mutex<BTreeMap<Service, (usize, String)>>,
    /// The packages counted there, each once.
    unconfigured_names: Mutex<HashSet<(Ecosystem, String)>>,
    /// Bearer tokens by service (never shown; answers to authenticated
    /// requests are not cached).
    tokens: HashMap<Service, String>,
}

impl Sources {
    pub fn new(
        client: Client,
        endpoints: Endpoints,
        osv_db: Option<(PathBuf, OsvDb)>,
        osv_web: String,
        limits: Limits,
    ) -> Sources {
        Sources {
            client,
            endpoints,
            osv_db,
            osv_web,
            limits,
            memos: Mutex::default(),
            unconfigured: Mutex::default(),
            unconfigured_names: Mutex::default(),
            tokens: HashMap::new(),
        }
    }

    /// Ask `service` with this bearer token from now on.
    pub fn with_token(mut self, service: Service, token: String) -> Sources {
        self.tokens.insert(service, token);
        self
    }

    /// Every endpoint in effect and where it came from.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The offline OSV database, if one is given, and where it is.
    pub fn osv_db(&self) -> Option<(&Path, &OsvDb)> {
        self.osv_db.as_ref().map(|(p, db)| (p.as_path(), db))
    }

    /// Whether vulnerabilities come from an offline database (which can
    /// check every release cheaply).
    pub fn has_osv_db(&self) -> bool {
        self.osv_db.is_some()
    }

    /// OSV's web site, for links a person follows.
    pub fn osv_web(&self) -> &str {
        &self.osv_web
    }

    pub fn stats(&self) -> BTreeMap<Service, Stats> {
        self.client.stats()
    }

    /// Services that packages needed but that have no endpoint: per
    /// service, the number of packages and the reason (with the fix).
    pub fn unconfigured(&self) -> BTreeMap<Service, (usize, String)> {
        self.unconfigured.lock().expect("unconfigured lock").clone()
    }

    /// A package decided without `service`, because it has no endpoint:
    /// counted once per package. `None` when it has one.
    pub fn note_unconfigured(
        &self,
        service: Service,
        package: (Ecosystem, String),
    ) -> Option<String> {
        let why = self.base(service).err()?.why;
        if self
            .unconfigured_names
            .lock()
            .expect("unconfigured lock")
            .insert(package)
        {
            let mut u = self.unconfigured.lock().expect("unconfigured lock");
            u.entry(service).or_insert((0, why.clone())).0 += 1;
        }
        Some(why)
    }

    /// Where `service` is asked.
    pub fn base(&self, service: Service) -> Result<&Url, NoEndpoint> {
        let why = match self.endpoints.get(service) {
            Endpoint::Url { url, .. } => return Ok(url),
            Endpoint::Missing(why) => why.clone(),
            Endpoint::Discover(_) => "the endpoint could not be discovered".into(),
        };
        Err(NoEndpoint { service, why })
    }

    /// Whether `adapter` may ask its service now: not with `--offline`
    /// when it needs the network (it answers from what is stored).
    pub fn reaches_network(&self, adapter: &Adapter) -> bool {
        adapter.network && !self.client.is_offline()
    }

    fn memo<Q: Question>(&self) -> Arc<MemoOf<Q>> {
        let any = self
            .memos
            .lock()
            .expect("memos lock")
            .entry(TypeId::of::<Q>())
            .or_insert_with(|| Arc::new(MemoOf::<Q>::default()))
            .clone();
        any.downcast::<MemoOf<Q>>()
            .expect("a question's memo is kept under its own type")
    }

    /// Ask `Q` about `key` at its service's endpoint, once a run.
    pub async fn ask<Q: Question>(&self, key: Q::Key) -> Lookup<Q::Value> {
        let service = Q::ADAPTER.service;
        match self.base(service) {
            Ok(base) => self.ask_at::<Q>(&base.clone(), key).await,
            Err(e) => Lookup::Unavailable {
                source: service.name().into(),
                reason: format!("not configured: {e}"),
            },
        }
    }

    /// Ask `Q` about `key` under `base` (an address the service itself
    /// named), once a run.
    pub async fn ask_at<Q: Question>(&self, base: &Url, key: Q::Key) -> Lookup<Q::Value> {
        let asked = (base.clone(), key);
        self.memo::<Q>()
            .get_or_make(asked.clone(), || self.fetch::<Q>(&asked.0, &asked.1))
            .await
    }

    /// Whether `Q` about `key` under `base` has been answered this run.
    pub fn answered<Q: Question>(&self, base: &Url, key: Q::Key) -> bool {
        self.memo::<Q>().is_made(&(base.clone(), key))
    }

    /// Take `lookup` as the answer to `Q` about `key` under `base` (one
    /// found in a batch answer), unless it has one.
    pub fn settle<Q: Question>(&self, base: &Url, key: Q::Key, lookup: Lookup<Q::Value>) {
        self.memo::<Q>().put((base.clone(), key), lookup);
    }

    /// GET `Q`'s path for `key` under `base` and turn the answer into a
    /// lookup. The answer is checked by `Q::parse` before it is
    /// remembered; a stored answer that no longer passes is dropped and,
    /// for a definite question, asked for again.
    async fn fetch<Q: Question>(&self, base: &Url, key: &Q::Key) -> Lookup<Q::Value> {
        let service = Q::ADAPTER.service;
        let definite = Q::ANSWERS == Answers::Definite;
        let source = service.name().to_string();
        let path = Q::path(key);
        let url = match base.join(path.trim_start_matches('/')) {
            Ok(u) => u,
            Err(e) => {
                return Lookup::Unavailable {
                    source,
                    reason: format!("cannot form a URL from {path:?}: {e}"),
                };
            }
        };
        let mut fetched = match self.tokens.get(&service) {
            Some(t) => self.client.get_with_token(service, &url, t).await,
            None => self.client.get(service, &url).await,
        };
        for attempt in 0..2 {
            let f = match fetched {
                Ok(f) => f,
                Err(e) => return unavailable(service, e),
            };
            if definite && f.is_not_found() {
                self.client.remember(&f);
                return Lookup::NotFound {
                    source,
                    url: f.url,
                    at: f.retrieved_at,
                };
            }
            if (!definite || Q::unavailable(f.status)) && f.status != 200 {
                self.client
                    .note_failed(service, &f.url, format!("HTTP {}", f.status));
                return Lookup::Unavailable {
                    source,
                    reason: format!("{}: HTTP {}", f.url, f.status),
                };
            }
            match Q::parse(&f.body, key) {
                Ok(value) => {
                    self.client.remember(&f);
                    return Lookup::Found(Found::complete(value, source, f.url, f.retrieved_at));
                }
                Err(_)
                    if definite
                        && f.from_cache
                        && attempt == 0
                        && self.reaches_network(Q::ADAPTER) =>
                {
                    // Stored by an older run, or damaged: not an answer.
                    self.client.forget(&f);
                    fetched = self.client.get_fresh(service, &url).await;
                }
                Err(e) => {
                    self.client.forget(&f);
                    self.client
                        .note_failed(service, &f.url, format!("a malformed answer: {e}"));
                    return Lookup::Malformed {
                        reason: format!("malformed answer from {source} ({}): {e}", f.url),
                        source,
                        url: f.url,
                    };
                }
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// GET a whole document from `adapter`'s service at `url` (with a
    /// bearer token, if given: its answer is then never remembered), for a
    /// reader elsewhere; `client().remember` it once it reads.
    pub async fn document(
        &self,
        adapter: &Adapter,
        url: &Url,
        token: Option<&str>,
    ) -> Result<Fetched, DocumentError> {
        let f = match token {
            Some(t) => self.client.get_with_token(adapter.service, url, t).await?,
            None => self.client.get(adapter.service, url).await?,
        };
        if f.status != 200 {
            return Err(DocumentError::Status {
                url: f.url,
                status: f.status,
            });
        }
        Ok(f)
    }

    /// `items` in requests of at most the limit `B`'s adapter declares.
    pub fn chunks<B: Batch>(items: &[B::Item]) -> std::slice::Chunks<'_, B::Item> {
        items.chunks(batch_limit::<B>())
    }

    /// Where `B` is POSTed.
    pub fn batch_url<B: Batch>(&self) -> Result<Url, NoEndpoint> {
        let path = B::ADAPTER
            .batch
            .expect("a batch's adapter declares its batch endpoint")
            .path;
        Ok(self
            .base(B::ADAPTER.service)?
            .join(path)
            .expect("a fixed relative path joins onto a base URL"))
    }

    /// One request of `B` (continuing at `page`, if given) to `url`, its
    /// answer checked by `B::parse`. Where `B` says its answers are
    /// remembered, one that passes is, and a stored one that does not is
    /// forgotten.
    pub async fn post<B: Batch>(
        &self,
        url: &Url,
        items: &[B::Item],
        page: Option<&str>,
    ) -> Result<Posted<B::Page>, BatchError> {
        debug_assert!(items.len() <= batch_limit::<B>());
        let f = self
            .client
            .post_json(B::ADAPTER.service, url, B::body(items, page))
            .await?;
        if f.status != 200 {
            self.client
                .note_failed(B::ADAPTER.service, &f.url, format!("HTTP {}", f.status));
            return Err(BatchError::Status {
                url: f.url,
                status: f.status,
            });
        }
        match B::parse(&f.body, items) {
            Ok(page) => {
                if B::REMEMBERED {
                    self.client.remember(&f);
                }
                Ok(Posted {
                    page,
                    url: f.url,
                    at: f.retrieved_at,
                })
            }
            Err(error) => {
                if B::REMEMBERED {
                    self.client.forget(&f);
                }
                self.client.note_failed(
                    B::ADAPTER.service,
                    &f.url,
                    format!("a malformed answer: {error}"),
                );
                Err(BatchError::Malformed { url: f.url, error })
            }
        }
    }
}

fn batch_limit<B: Batch>() -> usize {
    B::ADAPTER
        .batch
        .expect("a batch's adapter declares its batch endpoint")
        .limit
        .max(1)
}

fn unavailable<T>(service: Service, e: FetchError) -> Lookup<T> {
    Lookup::Unavailable {
        source: service.name().to_string(),
        reason: e.to_string(),
    }
}

/// A small HTTP server on loopback for the tests of the hub and the
/// adapters built on it: it answers each request as the test says, after
/// an optional delay, and keeps what it was asked.
#[cfg(test)]
pub(crate) mod loopback {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// One request: method, path, body.
    pub type Request = (String, String, Vec<u8>);

    type Answer = dyn Fn(&Request) -> (u16, Vec<u8>) + Send + Sync;

    pub struct Server {
        pub addr: SocketAddr,
        asked: Arc<Mutex<Vec<Request>>>,
    }

    impl Server {
        /// Serve on a free port, on the current runtime.
        pub async fn start(
            delay: Duration,
            answer: impl Fn(&Request) -> (u16, Vec<u8>) + Send + Sync + 'static,
        ) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let asked: Arc<Mutex<Vec<Request>>> = Arc::default();
            let answer: Arc<Answer> = Arc::new(answer);
            let log = asked.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (log, answer) = (log.clone(), answer.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, delay, &log, &*answer).await;
                    });
                }
            });
            Server { addr, asked }
        }

        pub fn base(&self) -> url::Url {
            url::Url::parse(&format!("http://{}/", self.addr)).unwrap()
        }

        /// Every request so far, in the order they came.
        pub fn asked(&self) -> Vec<Request> {
            self.asked.lock().unwrap().clone()
        }

        /// How many requests were for `path`.
        pub fn count(&self, path: &str) -> usize {
            self.asked().iter().filter(|r| r.1 == path).count()
        }
    }

    async fn serve(
        mut stream: TcpStream,
        delay: Duration,
        log: &Mutex<Vec<Request>>,
        answer: &Answer,
    ) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut words = head.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or("").to_string(),
            words.next().unwrap_or("").to_string(),
        );
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let request = (method, path, buf[head_end..].to_vec());
        log.lock().unwrap().push(request.clone());
        tokio::time::sleep(delay).await;
        let (status, body) = answer(&request);
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::loopback::Server;
    use super::*;
    use crate::sources::adapter::Answers;
    use crate::sources::cache::Cache;

    /// A run's sources with every service at `base`, remembering answers
    /// in `cache` if given.
    pub(crate) fn sources_at(base: &Url, cache: Option<&Path>, offline: bool) -> Arc<Sources> {
        let mut endpoints = Endpoints::resolve(&crate::config::Config::default()).unwrap();
        for s in [Service::DepsDev, Service::Osv, Service::Scorecard] {
            endpoints.set(s, base.clone(), "test");
        }
        let client = Client::new(
            crate::config::Network {
                retries: 0,
                ..Default::default()
            },
            endpoints.hosts(),
            cache.map(|d| Cache::open(d).unwrap()),
            24,
            offline,
        )
        .unwrap();
        let limits = Limits {
            now: OffsetDateTime::now_utc(),
            max_osv_db_age_days: 7,
            max_scorecard_age_days: 365,
            max_insights_age_days: 365,
        };
        Arc::new(Sources::new(
            client,
            endpoints,
            None,
            "https://osv.example.invalid".into(),
            limits,
        ))
    }

    /// A service for these tests, with a batch endpoint of three items.
    const TEST: Adapter = Adapter::batching(Service::DepsDev, "batch", 3);

    /// `doc/{key}`, answered `{"doc": key}`.
    struct Doc;

    fn read_doc(body: &[u8], key: &str) -> Result<String, String> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        match v["doc"].as_str() {
            Some(d) if d == key => Ok(d.to_string()),
            _ => Err(format!("not the document {key:?}")),
        }
    }

    impl Question for Doc {
        const ADAPTER: &'static Adapter = &TEST;
        type Key = String;
        type Value = String;

        fn path(key: &String) -> String {
            format!("doc/{key}")
        }

        fn parse(body: &[u8], key: &String) -> Result<String, Malformed> {
            read_doc(body, key).map_err(|why| TEST.malformed(why))
        }
    }

    /// The same documents, read by a stricter parser (as a newer release
    /// reads what an older one stored).
    struct Stricter;

    impl Question for Stricter {
        const ADAPTER: &'static Adapter = &TEST;
        type Key = String;
        type Value = String;

        fn path(key: &String) -> String {
            Doc::path(key)
        }

        fn parse(_: &[u8], _: &String) -> Result<String, Malformed> {
            Err(TEST.malformed("never good enough".into()))
        }
    }

    /// The same documents, as details that may be missing.
    struct Detail;

    impl Question for Detail {
        const ADAPTER: &'static Adapter = &TEST;
        const ANSWERS: Answers = Answers::BestEffort;
        type Key = String;
        type Value = String;

        fn path(key: &String) -> String {
            Doc::path(key)
        }

        fn parse(body: &[u8], key: &String) -> Result<String, Malformed> {
            Doc::parse(body, key)
        }
    }

    /// `batch`: a JSON list of numbers, answered with their doubles.
    struct Doubles;

    impl Batch for Doubles {
        const ADAPTER: &'static Adapter = &TEST;
        const REMEMBERED: bool = true;
        type Item = u32;
        type Page = Vec<u32>;

        fn body(items: &[u32], _: Option<&str>) -> Vec<u8> {
            serde_json::to_vec(items).unwrap()
        }

        fn parse(body: &[u8], items: &[u32]) -> Result<Vec<u32>, Malformed> {
            let answer: Vec<u32> = serde_json::from_slice(body)
                .map_err(|e| TEST.malformed(format!("not a list of numbers: {e}")))?;
            if answer.len() != items.len() {
                return Err(TEST.malformed("not one answer per item".into()));
            }
            Ok(answer)
        }
    }

    /// Documents by path: `doc/{key}` answers `{"doc": key}`, but
    /// `doc/bad` is HTML and `doc/gone` is not there; `batch` doubles
    /// each number, and answers a list with `13` in it with HTML.
    async fn server(delay: Duration) -> Server {
        Server::start(delay, |(_, path, body)| {
            if path == "/batch" {
                let items: Vec<u32> = serde_json::from_slice(body).unwrap_or_default();
                if items.contains(&13) {
                    return (200, b"<html>".to_vec());
                }
                let doubled: Vec<u32> = items.iter().map(|i| i * 2).collect();
                return (200, serde_json::to_vec(&doubled).unwrap());
            }
            match path.strip_prefix("/doc/") {
                Some("bad") => (200, b"<html>".to_vec()),
                Some("gone") => (404, b"{}".to_vec()),
                Some(key) => (
                    200,
                    serde_json::json!({ "doc": key }).to_string().into_bytes(),
                ),
                None => (404, b"{}".to_vec()),
            }
        })
        .await
    }

    #[tokio::test]
    async fn the_memo_makes_each_value_once_for_everyone_who_asks() {
        let memo: Arc<Memo<&str, usize>> = Arc::default();
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (memo, made) = (memo.clone(), made.clone());
            set.spawn(async move {
                memo.get_or_make("k", || async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
                })
                .await
            });
        }
        while let Some(v) = set.join_next().await {
            assert_eq!(v.unwrap(), 1);
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(memo.is_made(&"k"));
        assert!(!memo.is_made(&"other"));
        // A value given is kept; one given later does not replace it.
        memo.put("other", 7);
        memo.put("other", 8);
        assert_eq!(memo.get_or_make("other", || async { 9 }).await, 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_question_is_asked_once_a_run_however_often_it_is_asked() {
        let srv = server(Duration::from_millis(200)).await;
        // No cache: only the hub's memory can save a request.
        let sources = sources_at(&srv.base(), None, false);
        let mut set = tokio::task::JoinSet::new();
        for key in ["a", "a", "a", "a", "a", "a", "b", "b"] {
            let sources = sources.clone();
            set.spawn(async move { sources.ask::<Doc>(key.to_string()).await });
        }
        while let Some(l) = set.join_next().await {
            assert!(matches!(l.unwrap(), Lookup::Found(_)));
        }
        // And again once answered.
        let again = sources.ask::<Doc>("a".into()).await;
        assert_eq!(again.value().map(String::as_str), Some("a"));
        assert_eq!(srv.count("/doc/a"), 1, "{:?}", srv.asked());
        assert_eq!(srv.count("/doc/b"), 1, "{:?}", srv.asked());
        assert!(sources.answered::<Doc>(&srv.base(), "a".into()));
        assert!(!sources.answered::<Doc>(&srv.base(), "c".into()));
        // Another question about the same path is its own.
        assert!(matches!(
            sources.ask::<Detail>("a".into()).await,
            Lookup::Found(_)
        ));
        assert_eq!(srv.count("/doc/a"), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_malformed_answer_is_not_remembered_and_a_stored_one_that_fails_is_asked_again() {
        let srv = server(Duration::ZERO).await;
        let cache = tempfile::tempdir().unwrap();
        let run = || sources_at(&srv.base(), Some(cache.path()), false);
        let first = run();
        assert!(matches!(
            first.ask::<Doc>("good".into()).await,
            Lookup::Found(_)
        ));
        let bad = first.ask::<Doc>("bad".into()).await;
        let Lookup::Malformed {
            source,
            url,
            reason,
        } = &bad
        else {
            panic!("{bad:?}");
        };
        assert_eq!(source, "deps.dev");
        assert_eq!(url, &format!("{}doc/bad", srv.base()));
        assert!(
            reason.starts_with(&format!("malformed answer from deps.dev ({url}): ")),
            "{reason}"
        );
        // The next run finds the good answer stored, and asks for the bad
        // one again.
        let second = run();
        assert!(matches!(
            second.ask::<Doc>("good".into()).await,
            Lookup::Found(_)
        ));
        assert!(matches!(
            second.ask::<Doc>("bad".into()).await,
            Lookup::Malformed { .. }
        ));
        assert_eq!(srv.count("/doc/good"), 1);
        assert_eq!(srv.count("/doc/bad"), 2);
        // A reader that refuses what is stored asks once more, at once,
        // and drops the stored copy.
        let third = run();
        assert!(matches!(
            third.ask::<Stricter>("good".into()).await,
            Lookup::Malformed { .. }
        ));
        assert_eq!(srv.count("/doc/good"), 2);
        let fourth = run();
        assert!(matches!(
            fourth.ask::<Doc>("good".into()).await,
            Lookup::Found(_)
        ));
        assert_eq!(srv.count("/doc/good"), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn not_found_is_kept_only_where_the_service_says_it_definitely() {
        let srv = server(Duration::ZERO).await;
        let cache = tempfile::tempdir().unwrap();
        let run = || sources_at(&srv.base(), Some(cache.path()), false);
        assert!(matches!(
            run().ask::<Doc>("gone".into()).await,
            Lookup::NotFound { .. }
        ));
        assert!(matches!(
            run().ask::<Doc>("gone".into()).await,
            Lookup::NotFound { .. }
        ));
        assert_eq!(srv.count("/doc/gone"), 1);
        // Details that are not there are only not there this time.
        let detail = run().ask::<Detail>("gone".into()).await;
        assert!(matches!(detail, Lookup::Unavailable { .. }), "{detail:?}");
        assert!(detail.why_not().ends_with("HTTP 404"), "{detail:?}");
        // A malformed detail is not asked again at once.
        assert!(matches!(
            run().ask::<Detail>("bad".into()).await,
            Lookup::Malformed { .. }
        ));
        assert_eq!(srv.count("/doc/bad"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offline_an_adapter_that_needs_the_network_answers_only_from_what_is_stored() {
        let srv = server(Duration::ZERO).await;
        let cache = tempfile::tempdir().unwrap();
        let online = sources_at(&srv.base(), Some(cache.path()), false);
        assert!(online.reaches_network(&TEST));
        assert!(matches!(
            online.ask::<Doc>("kept".into()).await,
            Lookup::Found(_)
        ));
        let before = srv.asked().len();
        let offline = sources_at(&srv.base(), Some(cache.path()), true);
        assert!(!offline.reaches_network(&TEST));
        assert!(!offline.reaches_network(&crate::sources::osv_db::ADAPTER));
        assert!(matches!(
            offline.ask::<Doc>("kept".into()).await,
            Lookup::Found(_)
        ));
        let other = offline.ask::<Doc>("other".into()).await;
        assert!(
            other.why_not().contains("offline, and") && other.why_not().contains("/doc/other"),
            "{other:?}"
        );
        // What is stored and no longer passes is not asked again offline.
        assert!(matches!(
            offline.ask::<Stricter>("kept".into()).await,
            Lookup::Malformed { .. }
        ));
        // Nor is anything posted.
        let url = offline.batch_url::<Doubles>().unwrap();
        assert!(offline.post::<Doubles>(&url, &[1, 2], None).await.is_err());
        assert_eq!(srv.asked().len(), before, "{:?}", srv.asked());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_are_split_at_the_declared_limit_and_checked() {
        let srv = server(Duration::ZERO).await;
        let cache = tempfile::tempdir().unwrap();
        let sources = sources_at(&srv.base(), Some(cache.path()), false);
        let items: Vec<u32> = (1..=7).collect();
        let chunks: Vec<&[u32]> = Sources::chunks::<Doubles>(&items).collect();
        assert_eq!(chunks, [&[1, 2, 3][..], &[4, 5, 6], &[7]]);
        let url = sources.batch_url::<Doubles>().unwrap();
        assert_eq!(url.as_str(), format!("{}batch", srv.base()));
        for chunk in &chunks {
            let posted = sources.post::<Doubles>(&url, chunk, None).await.unwrap();
            assert_eq!(posted.page, chunk.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        let bodies: Vec<Vec<u32>> = srv
            .asked()
            .iter()
            .map(|(method, path, body)| {
                assert_eq!((method.as_str(), path.as_str()), ("POST", "/batch"));
                serde_json::from_slice(body).unwrap()
            })
            .collect();
        assert_eq!(bodies, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
        // A good answer is remembered, under its body.
        let again = sources_at(&srv.base(), Some(cache.path()), false);
        again.post::<Doubles>(&url, &[1, 2, 3], None).await.unwrap();
        assert_eq!(srv.asked().len(), 3);
        // A malformed one names its service, and is not remembered.
        for _ in 0..2 {
            let e = again
                .post::<Doubles>(&url, &[12, 13], None)
                .await
                .unwrap_err();
            assert!(matches!(e, BatchError::Malformed { .. }), "{e:?}");
            assert!(
                e.to_string()
                    .starts_with("malformed answer from deps.dev: not a list"),
                "{e}"
            );
        }
        assert_eq!(srv.asked().len(), 5);
    }

    #[test]
    fn every_adapter_is_listed_once_and_says_what_it_needs() {
        let declared: Vec<(Service, bool)> = crate::sources::ADAPTERS
            .iter()
            .map(|a| (a.service, a.network))
            .collect();
        let distinct: HashSet<&(Service, bool)> = declared.iter().collect();
        assert_eq!(distinct.len(), declared.len(), "{declared:?}");
        // Only the offline database answers without the network; only OSV
        // and deps.dev batch, each within its documented limit.
        for a in crate::sources::ADAPTERS {
            assert_eq!(a.network, **a != crate::sources::osv_db::ADAPTER, "{a:?}");
            match a.service {
                Service::Osv if a.network => assert_eq!(a.batch.unwrap().limit, 1000),
                Service::DepsDev => assert_eq!(a.batch.unwrap().limit, 5000),
                _ => assert!(a.batch.is_none(), "{a:?}"),
            }
        }
    }
}
