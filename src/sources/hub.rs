//! Every adapter behind one handle: each asks its service through the shared
//! client, parses the answer into the normalized model, and remembers it for
//! the rest of the run, so that one package is asked about once.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio::sync::OnceCell;
use url::Url;

use super::endpoints::{Endpoint, Endpoints};
use super::http::{Client, FetchError, Service, SharedItem, Stats};
use super::model::{
    Dependency, DepsDevPackage, DepsDevVersion, Flag, GraphNode, RegistryPackage, Release,
    Scorecard, Vulnerability,
};
use super::osv_db::OsvDb;
use super::osv_record::OsvRecord;
use super::{Coverage, Found, Lookup, crates, depsdev, npm, osv, pypi, scorecard};
use crate::purl::Ecosystem;

type Memo<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

async fn memo<K, V, F, Fut>(map: &Memo<K, V>, key: K, make: F) -> V
where
    K: Eq + Hash,
    V: Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = V>,
{
    let cell = map
        .lock()
        .expect("memo lock")
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(make).await.clone()
}

/// A vulnerability query: a package version in an ecosystem.
pub type VulnKey = (Ecosystem, String, String);

/// The age limits answers are judged by, and the time they are judged at.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub now: OffsetDateTime,
    pub max_osv_db_age_days: i64,
    pub max_scorecard_age_days: i64,
}

pub struct Sources {
    client: Client,
    endpoints: Endpoints,
    osv_db: Option<(PathBuf, OsvDb)>,
    osv_web: String,
    limits: Limits,
    registry: Memo<(Ecosystem, String), Lookup<RegistryPackage>>,
    pypi_releases: Memo<(String, String), Lookup<Option<Vec<Dependency>>>>,
    depsdev_version: Memo<VulnKey, Lookup<DepsDevVersion>>,
    graphs: Memo<VulnKey, Lookup<Vec<GraphNode>>>,
    scorecards: Memo<String, Lookup<Scorecard>>,
    vuln_records: Memo<String, Option<OsvRecord>>,
    crates_api: OnceCell<Option<Url>>,
    /// Registries asked about packages without an endpoint: how many
    /// packages, and why there is none.
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
            registry: Mutex::default(),
            pypi_releases: Mutex::default(),
            depsdev_version: Mutex::default(),
            graphs: Mutex::default(),
            scorecards: Mutex::default(),
            vuln_records: Mutex::default(),
            crates_api: OnceCell::new(),
            unconfigured: Mutex::default(),
            unconfigured_names: Mutex::default(),
        }
    }

    /// Every endpoint in effect and where it came from.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Registries that packages needed but that have no endpoint: per
    /// service, the number of packages and the reason (with the fix).
    pub fn unconfigured(&self) -> BTreeMap<Service, (usize, String)> {
        self.unconfigured.lock().expect("unconfigured lock").clone()
    }

    /// Ask the ecosystems' own clients for their registries now, in the
    /// background (see `Endpoints::discover_in_background`). Every package
    /// of these ecosystems asks for its registry anyway, so no client is
    /// asked that would not have been.
    pub fn discover_registries(&self, ecosystems: impl IntoIterator<Item = Ecosystem>) {
        self.endpoints
            .discover_in_background(ecosystems.into_iter().filter_map(registry_service));
    }

    /// A package decided without its registry, because it has no endpoint:
    /// counted once per package. Also for statements reused from the
    /// store, which were decided under the same endpoints.
    pub fn note_unconfigured(&self, eco: Ecosystem, name: &str) -> Option<String> {
        let service = registry_service(eco)?;
        let why = self.base(service).err()?;
        if self
            .unconfigured_names
            .lock()
            .expect("unconfigured lock")
            .insert((eco, name.to_string()))
        {
            let mut u = self.unconfigured.lock().expect("unconfigured lock");
            u.entry(service).or_insert((0, why.clone())).0 += 1;
        }
        Some(why)
    }

    /// Whether vulnerabilities come from an offline database (which can
    /// check every release cheaply).
    pub fn has_osv_db(&self) -> bool {
        self.osv_db.is_some()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tidelift_base(&self) -> Option<Url> {
        self.base(Service::Tidelift).ok().cloned()
    }

    pub fn stats(&self) -> BTreeMap<Service, Stats> {
        self.client.stats()
    }

    /// Where OSV's web listing for a package is.
    pub fn vulnerabilities_listing(&self, eco: Ecosystem, name: &str) -> Option<String> {
        let e = eco.osv_name()?;
        let mut url = Url::parse(&self.osv_web).ok()?;
        url.set_path("/list");
        url.query_pairs_mut()
            .append_pair("ecosystem", e)
            .append_pair("q", name);
        Some(url.to_string())
    }

    fn base(&self, service: Service) -> Result<&Url, String> {
        match self.endpoints.get(service) {
            Endpoint::Url { url, .. } => Ok(url),
            Endpoint::Missing(why) => Err(why.clone()),
            Endpoint::Discover(_) => Err("the endpoint could not be discovered".into()),
        }
    }

    /// GET `path` under a service's base and turn the answer into a lookup.
    /// The answer is checked by `parse` before it is cached; a cached
    /// answer that no longer passes is dropped and asked for again.
    async fn get_parsed<T>(
        &self,
        service: Service,
        base: &Url,
        path: &str,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Lookup<T> {
        let source = service.name().to_string();
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
            if f.is_not_found() {
                self.client.remember(&f);
                return Lookup::NotFound {
                    source,
                    url: f.url,
                    at: f.retrieved_at,
                };
            }
            match parse(&f.body) {
                Ok(value) => {
                    self.client.remember(&f);
                    return Lookup::Found(Found::complete(value, source, f.url, f.retrieved_at));
                }
                Err(e) if f.from_cache && attempt == 0 && !self.client.is_offline() => {
                    // Stored by an older run, or damaged: not an answer.
                    self.client.forget(&f);
                    let _ = e;
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

    /// The package's releases: its registry where there is an adapter,
    /// deps.dev otherwise.
    pub async fn registry(&self, eco: Ecosystem, name: &str) -> Lookup<RegistryPackage> {
        memo(&self.registry, (eco, name.to_string()), || {
            self.fetch_registry(eco, name)
        })
        .await
    }

    async fn fetch_registry(&self, eco: Ecosystem, name: &str) -> Lookup<RegistryPackage> {
        let Some(service) = registry_service(eco) else {
            return self.depsdev_package(eco, name).await;
        };
        let base = match self.base(service) {
            Ok(b) => b.clone(),
            Err(_) => {
                let why = self.note_unconfigured(eco, name).unwrap_or_default();
                return Lookup::Unavailable {
                    source: service.name().into(),
                    reason: format!("not configured: {why}"),
                };
            }
        };
        match eco {
            Ecosystem::Npm => {
                self.get_parsed(service, &base, &npm::packument_path(name), |b| {
                    npm::parse_packument(b, name)
                })
                .await
            }
            Ecosystem::PyPi => {
                self.get_parsed(service, &base, &pypi::project_path(name), |b| {
                    pypi::parse_project(b, name)
                })
                .await
            }
            _ => {
                let mut index = self
                    .get_parsed(service, &base, &crates::index_path(name), |b| {
                        crates::parse_index(b, name)
                    })
                    .await;
                if let Lookup::Found(found) = &mut index {
                    self.enrich_from_crates_api(name, &mut found.value).await;
                }
                index
            }
        }
    }

    /// One PyPI release's dependencies (the project answer has only the
    /// newest release's): for resolving a range that excludes the newest.
    pub async fn pypi_release_dependencies(
        &self,
        name: &str,
        version: &str,
    ) -> Lookup<Option<Vec<Dependency>>> {
        memo(
            &self.pypi_releases,
            (name.to_string(), version.to_string()),
            || async {
                let base = match self.base(Service::PyPi) {
                    Ok(b) => b.clone(),
                    Err(why) => {
                        return Lookup::Unavailable {
                            source: Service::PyPi.name().into(),
                            reason: format!("not configured: {why}"),
                        };
                    }
                };
                self.get_parsed(
                    Service::PyPi,
                    &base,
                    &pypi::release_path(name, version),
                    |b| pypi::parse_release(b, name, version),
                )
                .await
            },
        )
        .await
    }

    /// The crates.io web API adds what the index lacks: repository,
    /// licenses and owners. Its absence leaves those unknown.
    async fn enrich_from_crates_api(&self, name: &str, pkg: &mut RegistryPackage) {
        let Some(api) = self.crates_api_base().await else {
            return;
        };
        let krate = self
            .get_parsed(
                Service::CratesApi,
                &api,
                &crates::api_crate_path(name),
                |b| crates::parse_api_crate(b, name),
            )
            .await;
        if let Some(k) = krate.value() {
            k.merge_into(pkg);
        }
        let owners = self
            .get_parsed(
                Service::CratesApi,
                &api,
                &crates::api_owners_path(name),
                crates::parse_owners,
            )
            .await;
        if let Some(o) = owners.value() {
            pkg.maintainers = Some(o.clone());
        }
        // The index already holds the crate's release times (`pubtime`).
    }

    async fn crates_api_base(&self) -> Option<Url> {
        self.crates_api
            .get_or_init(|| async {
                if let Ok(u) = self.base(Service::CratesApi) {
                    return Some(u.clone());
                }
                let index = self.base(Service::CratesIndex).ok()?.clone();
                let config = self
                    .get_parsed(
                        Service::CratesIndex,
                        &index,
                        "config.json",
                        crates::parse_index_config,
                    )
                    .await;
                let api = config.value()?.1.clone()?;
                let mut url = Url::parse(&api).ok()?;
                if !url.path().ends_with('/') {
                    let p = format!("{}/", url.path());
                    url.set_path(&p);
                }
                // Only a host already trusted for the index.
                (url.host_str() == index.host_str()).then_some(url)
            })
            .await
            .clone()
    }

    /// deps.dev's version list, as a registry listing.
    async fn depsdev_package(&self, eco: Ecosystem, name: &str) -> Lookup<RegistryPackage> {
        self.depsdev(
            eco,
            |system| depsdev::package_path(system, name),
            |b| depsdev::parse_package(b, name),
        )
        .await
        .map(|p| from_depsdev(eco, name, p))
    }

    pub async fn depsdev_version(
        &self,
        eco: Ecosystem,
        name: &str,
        version: &str,
    ) -> Lookup<DepsDevVersion> {
        let key = (eco, name.to_string(), version.to_string());
        memo(&self.depsdev_version, key, || {
            self.depsdev(
                eco,
                |system| depsdev::version_path(system, name, version),
                |b| depsdev::parse_version(b, name, version),
            )
        })
        .await
    }

    /// deps.dev's view of many versions: GetVersionBatch for those not
    /// already known (cached answers are reused), up to 5,000 a call, every
    /// page followed. Each answer in a batch is checked like a GetVersion
    /// answer and cached as one, so the statement is the same whichever
    /// way it was asked. What a batch leaves unanswered, or a batch that
    /// fails, is asked with GetVersion (whose 404 is definite).
    pub async fn depsdev_versions(
        self: &Arc<Self>,
        keys: Vec<VulnKey>,
    ) -> HashMap<VulnKey, Lookup<DepsDevVersion>> {
        let mut single: Vec<VulnKey> = Vec::new();
        let mut batched: HashMap<depsdev::VersionKey, (VulnKey, Url)> = HashMap::new();
        let base = self.base(Service::DepsDev).ok().cloned();
        for k in keys.into_iter().collect::<BTreeSet<_>>() {
            let (Some(system), Some(base)) = (k.0.depsdev_name(), &base) else {
                single.push(k);
                continue;
            };
            let known = self
                .depsdev_version
                .lock()
                .expect("memo lock")
                .get(&k)
                .is_some_and(|c| c.initialized());
            let url = base.join(&depsdev::version_path(system, &k.1, &k.2));
            match url {
                Ok(url) if !known && !self.client.is_cached(&url) && !self.client.is_offline() => {
                    batched.insert((system.to_string(), k.1.clone(), k.2.clone()), (k, url));
                }
                _ => single.push(k),
            }
        }
        // On a shared store each version's answer is shared as the answer
        // to its own GET: a version another runner has (or is asking
        // about) is left to that GET, which finds it in the store or
        // waits for it, rather than batched again here.
        // Each version with the key its GET is shared under, if any.
        let mut keyed: Vec<(depsdev::VersionKey, Option<String>)> = batched
            .iter()
            .map(|(key, (_, url))| (key.clone(), Client::get_key(url)))
            .collect();
        keyed.sort();
        let shared_keys: Vec<String> = keyed.iter().filter_map(|(_, s)| s.clone()).collect();
        let claims = self.client.claim_shared(&shared_keys).await;
        let not_mine: HashSet<&String> = shared_keys
            .iter()
            .zip(&claims)
            .filter(|(_, c)| **c != SharedItem::Mine)
            .map(|(k, _)| k)
            .collect();
        let asked: Vec<depsdev::VersionKey> = keyed
            .into_iter()
            .filter(|(_, s)| s.as_ref().is_none_or(|k| !not_mine.contains(k)))
            .map(|(key, _)| key)
            .collect();
        let mut settled = (Vec::new(), Vec::new());
        if let Some(base) = &base
            && !asked.is_empty()
        {
            for chunk in asked.chunks(depsdev::MAX_BATCH) {
                let answered = self.depsdev_batch(base, chunk).await;
                for key in chunk {
                    let (k, url) = &batched[key];
                    match answered.get(key) {
                        Some((value, raw, at)) => {
                            self.client.remember_as_get(url, raw, *at);
                            if let Some(key) = Client::get_key(url) {
                                match Client::get_answer_text(raw, *at) {
                                    Some(text) => settled.0.push((key, text)),
                                    None => settled.1.push(key),
                                }
                            }
                            let found = Lookup::Found(Found::complete(
                                value.clone(),
                                Service::DepsDev.name().to_string(),
                                crate::redact::redact(url),
                                *at,
                            ));
                            let cell = self
                                .depsdev_version
                                .lock()
                                .expect("memo lock")
                                .entry(k.clone())
                                .or_default()
                                .clone();
                            let _ = cell.set(found);
                        }
                        None => {
                            settled.1.extend(Client::get_key(url));
                            single.push(k.clone());
                        }
                    }
                }
            }
        }
        self.client.settle_shared(settled.0, settled.1).await;
        let mut set = tokio::task::JoinSet::new();
        for k in single
            .into_iter()
            .chain(batched.into_values().map(|(k, _)| k))
        {
            let hub = self.clone();
            set.spawn(async move {
                let l = hub.depsdev_version(k.0, &k.1, &k.2).await;
                (k, l)
            });
        }
        let mut out = HashMap::new();
        while let Some(r) = set.join_next().await {
            let (k, l) = r.expect("deps.dev lookups do not panic");
            out.insert(k, l);
        }
        out
    }

    /// One GetVersionBatch call, all its pages: what deps.dev answered with
    /// a version. A page that is malformed, or a call that fails, ends it:
    /// the rest is asked one by one.
    async fn depsdev_batch(
        &self,
        base: &Url,
        keys: &[depsdev::VersionKey],
    ) -> HashMap<depsdev::VersionKey, (DepsDevVersion, Vec<u8>, OffsetDateTime)> {
        let mut out = HashMap::new();
        let Ok(url) = base.join(depsdev::VERSION_BATCH_PATH) else {
            return out;
        };
        let asked: HashSet<depsdev::VersionKey> = keys.iter().cloned().collect();
        let mut token: Option<String> = None;
        let mut seen_tokens = HashSet::new();
        // Each page must answer something: at most one page per key.
        for _ in 0..=keys.len() {
            let body = depsdev::batch_body(keys, token.as_deref());
            let fetched = match self.client.post_json(Service::DepsDev, &url, body).await {
                Ok(f) if f.status == 200 => f,
                _ => break,
            };
            let page = match depsdev::parse_batch(&fetched.body, &asked) {
                Ok(p) => p,
                Err(e) => {
                    self.client.warn(format!(
                        "malformed answer from deps.dev ({}): {e}; asking one version at a time",
                        fetched.url
                    ));
                    break;
                }
            };
            let progress = page.found.len() + page.unanswered.len();
            for (k, v, raw) in page.found {
                out.insert(k, (v, raw, fetched.retrieved_at));
            }
            match page.next_page_token {
                Some(t) if progress > 0 && seen_tokens.insert(t.clone()) => token = Some(t),
                _ => break,
            }
        }
        out
    }

    pub async fn dependency_graph(
        &self,
        eco: Ecosystem,
        name: &str,
        version: &str,
    ) -> Lookup<Vec<GraphNode>> {
        let key = (eco, name.to_string(), version.to_string());
        memo(&self.graphs, key, || async {
            let graph = self
                .depsdev(
                    eco,
                    |system| depsdev::dependencies_path(system, name, version),
                    |b| depsdev::parse_dependencies(b, name, version),
                )
                .await;
            // A graph deps.dev could not fully resolve can show a problem,
            // never the absence of one.
            match graph {
                Lookup::Found(mut f) => {
                    let (nodes, error) = std::mem::take(&mut f.value);
                    if let Some(e) = error {
                        f.coverage =
                            Coverage::Partial(format!("deps.dev could not resolve all of it: {e}"));
                    }
                    Lookup::Found(f.map(|_| nodes))
                }
                other => other.map(|(nodes, _)| nodes),
            }
        })
        .await
    }

    /// Ask deps.dev about a package in its own system's terms.
    async fn depsdev<T>(
        &self,
        eco: Ecosystem,
        path: impl FnOnce(&str) -> String,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Lookup<T> {
        let Some(system) = eco.depsdev_name() else {
            return Lookup::NotApplicable {
                source: "deps.dev".into(),
                why: "deps.dev does not cover this ecosystem".into(),
            };
        };
        let base = match self.base(Service::DepsDev) {
            Ok(b) => b.clone(),
            Err(why) => {
                return Lookup::Unavailable {
                    source: "deps.dev".into(),
                    reason: why,
                };
            }
        };
        self.get_parsed(Service::DepsDev, &base, &path(system), parse)
            .await
    }

    /// OpenSSF Scorecard for `github.com/org/repo`; not scanned → NotFound.
    /// A result older than the limit is stale: it can show a failing check,
    /// not a passing one.
    pub async fn scorecard(&self, repo: &str) -> Lookup<Scorecard> {
        memo(&self.scorecards, repo.to_string(), || async {
            let base = match self.base(Service::Scorecard) {
                Ok(b) => b.clone(),
                Err(why) => {
                    return Lookup::Unavailable {
                        source: "OpenSSF Scorecard".into(),
                        reason: why,
                    };
                }
            };
            let mut l = self
                .get_parsed(
                    Service::Scorecard,
                    &base,
                    &scorecard::project_path(repo),
                    |b| scorecard::parse(b, repo),
                )
                .await;
            if let Lookup::Found(f) = &mut l {
                f.as_of = f.value.date;
                let days = (self.limits.now - f.value.date).whole_days();
                if days > self.limits.max_scorecard_age_days {
                    f.coverage = Coverage::Stale(format!(
                        "Scorecard ran on {}, {days} days before this run, over the {}-day limit ([assessment] max_scorecard_age_days)",
                        f.value.date.date(),
                        self.limits.max_scorecard_age_days
                    ));
                }
            }
            l
        })
        .await
    }

    /// Known vulnerabilities for many package versions at once: from the
    /// offline database when one is given, else OSV's batch API.
    pub async fn vulnerabilities(
        self: &Arc<Self>,
        queries: Vec<VulnKey>,
    ) -> HashMap<VulnKey, Lookup<Vec<Vulnerability>>> {
        let mut out = HashMap::new();
        let mut online = Vec::new();
        // Sorted, so that the same set makes the same batches (and cache keys).
        let queries: Vec<VulnKey> = queries
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for q in queries {
            if q.0.osv_name().is_none() {
                out.insert(
                    q,
                    Lookup::NotApplicable {
                        source: "OSV".into(),
                        why: "OSV does not cover this package type".into(),
                    },
                );
                continue;
            }
            match &self.osv_db {
                Some((path, db)) => {
                    let source = format!("offline OSV database {}", path.display());
                    if !db.covers(q.0) {
                        out.insert(
                            q.clone(),
                            Lookup::Unavailable {
                                source,
                                reason: format!(
                                    "it holds no {} records",
                                    q.0.osv_name().unwrap_or("")
                                ),
                            },
                        );
                        continue;
                    }
                    let r = db.query(q.0, &q.1, &q.2);
                    let mut coverage =
                        db.coverage(q.0, self.limits.now, self.limits.max_osv_db_age_days);
                    if !r.undecided.is_empty() {
                        coverage = coverage.and(Coverage::Partial(format!(
                            "records that could not be evaluated for {}: {}",
                            q.2,
                            r.undecided
                                .iter()
                                .map(|(id, why)| format!("{id} ({why})"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    let at = OffsetDateTime::now_utc();
                    let lookup = Lookup::Found(Found {
                        value: r.affected,
                        source,
                        url: format!("file://{}", path.display()),
                        at,
                        as_of: db
                            .snapshot(q.0)
                            .and_then(|s| s.newest)
                            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                        coverage,
                    });
                    out.insert(q, lookup);
                }
                None => online.push(q),
            }
        }
        if !online.is_empty() {
            out.extend(self.osv_api(online).await);
        }
        out
    }

    async fn osv_api(
        self: &Arc<Self>,
        queries: Vec<VulnKey>,
    ) -> HashMap<VulnKey, Lookup<Vec<Vulnerability>>> {
        let mut out = HashMap::new();
        let base = match self.base(Service::Osv) {
            Ok(b) => b.clone(),
            Err(why) => {
                for q in queries {
                    out.insert(
                        q,
                        Lookup::Unavailable {
                            source: "OSV".into(),
                            reason: why.clone(),
                        },
                    );
                }
                return out;
            }
        };
        let url = base.join(osv::QUERYBATCH_PATH).expect("a fixed path joins");
        let mut ids: HashMap<VulnKey, Vec<String>> = HashMap::new();
        let mut failed: HashMap<VulnKey, String> = HashMap::new();
        let mut asked_at: HashMap<VulnKey, OffsetDateTime> = HashMap::new();
        // On a shared store each version's answer is shared apart from the
        // batch it came in (runners batch different sets together): asked
        // by the runner that claims it, waited for by the others.
        let shown = crate::redact::redact(&url);
        let item_key = |(e, n, v): &VulnKey| {
            format!("OSV {shown} {} {n} {v}", e.osv_name().unwrap_or_default())
        };
        let mut remaining: Vec<VulnKey> = queries.clone();
        let mut pause = std::time::Duration::from_millis(10);
        while !remaining.is_empty() {
            let keys: Vec<String> = remaining.iter().map(item_key).collect();
            let claims = self.client.claim_shared(&keys).await;
            let mut mine = Vec::new();
            let mut theirs = Vec::new();
            for (q, claim) in remaining.drain(..).zip(claims) {
                match claim {
                    SharedItem::Found(text) => match osv::decode_item(&text) {
                        Some((at, found)) => {
                            asked_at.insert(q.clone(), at);
                            ids.insert(q, found);
                        }
                        // Damaged: asked again, and the store mended.
                        None => mine.push(q),
                    },
                    SharedItem::Mine => mine.push(q),
                    SharedItem::Theirs => theirs.push(q),
                }
            }
            if !mine.is_empty() {
                self.osv_ask(&url, &mine, &mut ids, &mut failed, &mut asked_at)
                    .await;
                let (mut answered, mut unanswered) = (Vec::new(), Vec::new());
                for q in &mine {
                    match (failed.contains_key(q), asked_at.get(q)) {
                        (false, Some(at)) => answered.push((
                            item_key(q),
                            osv::encode_item(*at, ids.get(q).map(Vec::as_slice).unwrap_or(&[])),
                        )),
                        _ => unanswered.push(item_key(q)),
                    }
                }
                self.client.settle_shared(answered, unanswered).await;
            }
            if !theirs.is_empty() {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(200));
            }
            remaining = theirs;
        }
        // Each record's details once, to skip withdrawn ones and name fixes.
        let unique: HashSet<String> = ids.values().flatten().cloned().collect();
        let records: HashMap<String, Option<OsvRecord>> = {
            let mut set = tokio::task::JoinSet::new();
            for id in unique {
                let this = self.clone();
                let base = base.clone();
                set.spawn(async move {
                    let record = this.osv_record(&base, &id).await;
                    (id, record)
                });
            }
            let mut m = HashMap::new();
            while let Some(Ok((id, r))) = set.join_next().await {
                m.insert(id, r);
            }
            m
        };
        for q in queries {
            if let Some(reason) = failed.remove(&q) {
                out.insert(
                    q,
                    Lookup::Unavailable {
                        source: "OSV".into(),
                        reason,
                    },
                );
                continue;
            }
            // Only an answer proves there is nothing: none, none known.
            let Some(at) = asked_at.get(&q).copied() else {
                out.insert(
                    q,
                    Lookup::Unavailable {
                        source: "OSV".into(),
                        reason: "not answered".into(),
                    },
                );
                continue;
            };
            let found_ids = ids.remove(&q).unwrap_or_default();
            let vulns = found_ids
                .iter()
                .map(|id| match records.get(id).cloned().flatten() {
                    Some(r) => r.to_vulnerability(q.0, &q.1),
                    // Known to affect, details unavailable: counted as live.
                    None => Vulnerability {
                        id: id.clone(),
                        aliases: vec![],
                        summary: None,
                        fixed_in: vec![],
                        withdrawn: false,
                    },
                })
                .collect();
            out.insert(
                q,
                Lookup::Found(Found::complete(
                    vulns,
                    "OSV",
                    crate::redact::redact(&url),
                    at,
                )),
            );
        }
        out
    }

    /// Ask OSV's `querybatch` about `queries`, every page followed: the IDs
    /// found for each, when it was answered, or why it was not.
    async fn osv_ask(
        &self,
        url: &Url,
        queries: &[VulnKey],
        ids: &mut HashMap<VulnKey, Vec<String>>,
        failed: &mut HashMap<VulnKey, String>,
        asked_at: &mut HashMap<VulnKey, OffsetDateTime>,
    ) {
        let mut pending: Vec<osv::Query> = queries
            .iter()
            .map(|(e, n, v)| osv::Query {
                ecosystem: *e,
                name: n.clone(),
                version: v.clone(),
                page_token: None,
            })
            .collect();
        while !pending.is_empty() {
            let mut next = Vec::new();
            for chunk in pending.chunks(osv::BATCH_LIMIT) {
                let body = osv::querybatch_body(chunk);
                let answer = self.client.post_json(Service::Osv, url, body).await;
                let mut answered_at = OffsetDateTime::now_utc();
                let parsed = answer.map_err(|e| e.to_string()).and_then(|f| {
                    answered_at = f.retrieved_at;
                    if f.status != 200 {
                        return Err(format!("HTTP {}", f.status));
                    }
                    match osv::parse_querybatch(&f.body, chunk.len()) {
                        Ok(r) => {
                            self.client.remember(&f);
                            Ok(r)
                        }
                        Err(e) => {
                            self.client.forget(&f);
                            Err(format!("malformed answer from OSV: {e}"))
                        }
                    }
                });
                match parsed {
                    Ok(results) => {
                        for (q, (found, token)) in chunk.iter().zip(results) {
                            let key = (q.ecosystem, q.name.clone(), q.version.clone());
                            // As of its first page: the older time.
                            asked_at.entry(key.clone()).or_insert(answered_at);
                            ids.entry(key).or_default().extend(found);
                            if let Some(t) = token {
                                next.push(osv::Query {
                                    page_token: Some(t),
                                    ..q.clone()
                                });
                            }
                        }
                    }
                    Err(reason) => {
                        for q in chunk {
                            failed.insert(
                                (q.ecosystem, q.name.clone(), q.version.clone()),
                                reason.clone(),
                            );
                        }
                    }
                }
            }
            pending = next;
        }
    }

    /// A record's details; `None` when they cannot be had (the record then
    /// counts as live: known to affect, details unknown).
    async fn osv_record(&self, base: &Url, id: &str) -> Option<OsvRecord> {
        memo(&self.vuln_records, id.to_string(), || async {
            let url = base.join(&osv::vuln_path(id)).ok()?;
            let f = self.client.get(Service::Osv, &url).await.ok()?;
            if f.status != 200 {
                return None;
            }
            match super::osv_record::parse(&f.body, id) {
                Ok(r) => {
                    self.client.remember(&f);
                    Some(r)
                }
                Err(_) => {
                    self.client.forget(&f);
                    None
                }
            }
        })
        .await
    }
}

/// The registry a package's releases come from, where there is an adapter.
fn registry_service(eco: Ecosystem) -> Option<Service> {
    match eco {
        Ecosystem::Npm => Some(Service::Npm),
        Ecosystem::PyPi => Some(Service::PyPi),
        Ecosystem::Cargo => Some(Service::CratesIndex),
        _ => None,
    }
}

fn unavailable<T>(service: Service, e: FetchError) -> Lookup<T> {
    Lookup::Unavailable {
        source: service.name().to_string(),
        reason: e.to_string(),
    }
}

/// deps.dev's version list seen as a registry listing (its times are real).
/// Maven has no yanking; deps.dev does not report Go retractions or NuGet
/// unlisting, so there whether a release was withdrawn is unknown.
fn from_depsdev(eco: Ecosystem, name: &str, p: DepsDevPackage) -> RegistryPackage {
    let yanked = match eco {
        Ecosystem::Maven => Flag::No,
        _ => Flag::Unknown,
    };
    RegistryPackage {
        name: name.to_string(),
        latest_tag: p
            .versions
            .iter()
            .find(|v| v.is_default)
            .map(|v| v.version.clone()),
        times_trustworthy: p.versions.iter().all(|v| v.published.is_some()),
        releases: p
            .versions
            .into_iter()
            .map(|v| Release {
                version: v.version,
                published: v.published,
                yanked: yanked.clone(),
                deprecated: if v.is_deprecated {
                    Flag::Yes("deprecated on deps.dev".into())
                } else {
                    Flag::No
                },
                ..Release::default()
            })
            .collect(),
        ..RegistryPackage::default()
    }
}
