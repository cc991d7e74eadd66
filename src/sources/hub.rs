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
use super::http::{Client, FetchError, Fetched, Service, Stats};
use super::model::{
    DepsDevPackage, DepsDevVersion, Ecosystem, Flag, GraphNode, RegistryPackage, Release,
    Scorecard, Vulnerability,
};
use super::osv_db::OsvDb;
use super::osv_record::OsvRecord;
use super::{Found, Lookup, crates, depsdev, npm, osv, pypi, scorecard};

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

pub struct Sources {
    client: Client,
    endpoints: Endpoints,
    osv_db: Option<(PathBuf, OsvDb)>,
    osv_web: String,
    registry: Memo<(Ecosystem, String), Lookup<RegistryPackage>>,
    depsdev_version: Memo<VulnKey, Lookup<DepsDevVersion>>,
    graphs: Memo<VulnKey, Lookup<Vec<GraphNode>>>,
    scorecards: Memo<String, Lookup<Scorecard>>,
    vuln_records: Memo<String, Option<OsvRecord>>,
    crates_api: OnceCell<Option<Url>>,
}

impl Sources {
    pub fn new(
        client: Client,
        endpoints: Endpoints,
        osv_db: Option<(PathBuf, OsvDb)>,
        osv_web: String,
    ) -> Sources {
        Sources {
            client,
            endpoints,
            osv_db,
            osv_web,
            registry: Mutex::default(),
            depsdev_version: Mutex::default(),
            graphs: Mutex::default(),
            scorecards: Mutex::default(),
            vuln_records: Mutex::default(),
            crates_api: OnceCell::new(),
        }
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
            Endpoint::Discover => Err("the endpoint could not be discovered".into()),
        }
    }

    /// GET `path` under a service's base and turn the answer into a lookup.
    async fn get_parsed<T>(
        &self,
        service: Service,
        base: &Url,
        path: &str,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
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
        match self.client.get(service, &url).await {
            Ok(f) => to_lookup(service, f, parse),
            Err(e) => unavailable(service, e),
        }
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
        let service = match eco {
            Ecosystem::Npm => Service::Npm,
            Ecosystem::PyPi => Service::PyPi,
            Ecosystem::Cargo => Service::CratesIndex,
            _ => return self.depsdev_package(eco, name).await,
        };
        let base = match self.base(service) {
            Ok(b) => b.clone(),
            Err(why) => {
                return Lookup::Unavailable {
                    source: service.name().into(),
                    reason: format!("not configured: {why}"),
                };
            }
        };
        match eco {
            Ecosystem::Npm => {
                self.get_parsed(service, &base, &npm::packument_path(name), |b| {
                    npm::parse_packument(b).map_err(|e| e.to_string())
                })
                .await
            }
            Ecosystem::PyPi => {
                self.get_parsed(service, &base, &pypi::project_path(name), |b| {
                    pypi::parse_project(b).map_err(|e| e.to_string())
                })
                .await
            }
            _ => {
                let mut index = self
                    .get_parsed(service, &base, &crates::index_path(name), |b| {
                        crates::parse_index(b).map_err(|e| e.to_string())
                    })
                    .await;
                if let Lookup::Found(found) = &mut index {
                    self.enrich_from_crates_api(name, &mut found.value).await;
                }
                index
            }
        }
    }

    /// The crates.io web API adds what the index lacks: repository, times,
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
                |b| crates::parse_api_crate(b).map_err(|e| e.to_string()),
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
                |b| crates::parse_owners(b).map_err(|e| e.to_string()),
            )
            .await;
        if let Some(o) = owners.value() {
            pkg.maintainers = Some(o.clone());
        }
    }

    async fn crates_api_base(&self) -> Option<Url> {
        self.crates_api
            .get_or_init(|| async {
                if let Ok(u) = self.base(Service::CratesApi) {
                    return Some(u.clone());
                }
                let index = self.base(Service::CratesIndex).ok()?.clone();
                let config = self
                    .get_parsed(Service::CratesIndex, &index, "config.json", |b| {
                        crates::parse_index_config(b).map_err(|e| e.to_string())
                    })
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
            depsdev::parse_package,
        )
        .await
        .map(|p| from_depsdev(name, p))
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
                depsdev::parse_version,
            )
        })
        .await
    }

    pub async fn dependency_graph(
        &self,
        eco: Ecosystem,
        name: &str,
        version: &str,
    ) -> Lookup<Vec<GraphNode>> {
        let key = (eco, name.to_string(), version.to_string());
        memo(&self.graphs, key, || {
            self.depsdev(
                eco,
                |system| depsdev::dependencies_path(system, name, version),
                depsdev::parse_dependencies,
            )
        })
        .await
    }

    /// Ask deps.dev about a package in its own system's terms.
    async fn depsdev<T>(
        &self,
        eco: Ecosystem,
        path: impl FnOnce(&str) -> String,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
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
            self.get_parsed(
                Service::Scorecard,
                &base,
                &scorecard::project_path(repo),
                |b| scorecard::parse(b).map_err(|e| e.to_string()),
            )
            .await
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
                    let lookup = if r.affected.is_empty() && !r.undecided.is_empty() {
                        Lookup::Unavailable {
                            source,
                            reason: format!(
                                "records that could not be evaluated: {}",
                                r.undecided
                                    .iter()
                                    .map(|(id, why)| format!("{id} ({why})"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        }
                    } else {
                        Lookup::Found(Found {
                            value: r.affected,
                            source,
                            url: format!("file://{}", path.display()),
                            at: OffsetDateTime::now_utc(),
                        })
                    };
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
        let mut at = OffsetDateTime::now_utc();
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
                let answer = self.client.post_json(Service::Osv, &url, body).await;
                let parsed = answer.map_err(|e| e.to_string()).and_then(|f| {
                    at = f.retrieved_at;
                    if f.status != 200 {
                        return Err(format!("HTTP {}", f.status));
                    }
                    osv::parse_querybatch(&f.body, chunk.len())
                });
                match parsed {
                    Ok(results) => {
                        for (q, (found, token)) in chunk.iter().zip(results) {
                            let key = (q.ecosystem, q.name.clone(), q.version.clone());
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
                Lookup::Found(Found {
                    value: vulns,
                    source: "OSV".into(),
                    url: url.to_string(),
                    at,
                }),
            );
        }
        out
    }

    async fn osv_record(&self, base: &Url, id: &str) -> Option<OsvRecord> {
        memo(&self.vuln_records, id.to_string(), || async {
            let url = base.join(&osv::vuln_path(id)).ok()?;
            let f = self.client.get(Service::Osv, &url).await.ok()?;
            if f.status != 200 {
                return None;
            }
            serde_json::from_slice(&f.body).ok()
        })
        .await
    }
}

fn to_lookup<T>(
    service: Service,
    f: Fetched,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Lookup<T> {
    let source = service.name().to_string();
    if f.is_not_found() {
        return Lookup::NotFound {
            source,
            url: f.url,
            at: f.retrieved_at,
        };
    }
    match parse(&f.body) {
        Ok(value) => Lookup::Found(Found {
            value,
            source,
            url: f.url,
            at: f.retrieved_at,
        }),
        Err(e) => Lookup::Unavailable {
            source,
            reason: format!("unusable answer from {}: {e}", f.url),
        },
    }
}

fn unavailable<T>(service: Service, e: FetchError) -> Lookup<T> {
    Lookup::Unavailable {
        source: service.name().to_string(),
        reason: e.to_string(),
    }
}

/// deps.dev's version list seen as a registry listing (its times are real).
fn from_depsdev(name: &str, p: DepsDevPackage) -> RegistryPackage {
    RegistryPackage {
        name: name.to_string(),
        latest_tag: p
            .versions
            .iter()
            .find(|v| v.is_default)
            .map(|v| v.version.clone()),
        releases: p
            .versions
            .into_iter()
            .map(|v| Release {
                version: v.version,
                published: v.published,
                yanked: Flag::Unknown,
                deprecated: if v.is_deprecated {
                    Flag::Yes("deprecated on deps.dev".into())
                } else {
                    Flag::No
                },
                ..Release::default()
            })
            .collect(),
        times_trustworthy: true,
        ..RegistryPackage::default()
    }
}
