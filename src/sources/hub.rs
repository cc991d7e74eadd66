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
        }
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

    pub fn tidelift_base(&self) -> Option<Url> {
        self.base(Service::Tidelift).ok().cloned()
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
        let mut fetched = self.client.get(service, &url).await;
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
            if !definite && f.status != 200 {
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
