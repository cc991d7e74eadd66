//! Collecting the facts for many packages at once, in phases so that every
//! service is asked each thing once and batch endpoints are used: releases;
//! vulnerabilities of the releases that matter, in one batch; what
//! installing the latest (and the newest clean) release pulls in, resolved
//! by each ecosystem's rules, and that graph's vulnerabilities; deps.dev;
//! then Scorecard and the Security Insights file of each validated
//! upstream repository.

use crate::term::plural;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use time::OffsetDateTime;

use super::fields::{self, Facts, Graph};
use super::resolve::{self, Resolved};
use crate::config::Assessment;
use crate::purl::Ecosystem;
use crate::purl::Purl;
use crate::sources::hub::{Sources, VulnKey};
use crate::sources::insights::{self, SecurityInsights};
use crate::sources::model::{DepsDevVersion, RegistryPackage, Release, Scorecard, Vulnerability};
use crate::sources::repo_files;
use crate::sources::{Lookup, depsdev, npm, osv, pypi, registry, repo_url, scorecard};
use crate::tacos::Statement;
use fields::maintainers::SelfAttested;
use fields::provenance::{self, Outcome, Provenance};

/// Stable releases checked against the OSV API for CleanReleaseAvailable,
/// newest first (an offline database checks every release).
const CLEAN_CANDIDATES: usize = 10;

/// Progress of a long assessment, for a person watching.
pub trait Progress: Sync {
    fn phase(&self, message: &str);
    /// `done` of `total` items of the current phase finished.
    fn progress(&self, _phase: &str, _done: usize, _total: usize) {}
}

pub struct Assessor {
    pub sources: Arc<Sources>,
    pub cfg: Assessment,
    pub now: OffsetDateTime,
    /// What maintainers' self-attestations are verified against.
    pub self_attestation: fields::maintainers::Trust,
}

fn eco_of(p: &Purl) -> Ecosystem {
    Ecosystem::from_purl_type(p.ty())
}

type Key = (Ecosystem, String);

/// A phase's line, only when it has something to do: "asking deps.dev
/// about 0 releases" tells a person nothing and reads like a fault.
fn announce(progress: &dyn Progress, count: usize, message: impl FnOnce(usize) -> String) {
    if count > 0 {
        progress.phase(&message(count));
    }
}

/// Run `f` over `items` concurrently (the client limits requests per host).
async fn each<T, R, F, Fut>(items: Vec<T>, f: F, (progress, phase): (&dyn Progress, &str)) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let fut = f(item);
        set.spawn(async move { (i, fut.await) });
    }
    let mut out: Vec<(usize, R)> = Vec::new();
    let total = set.len();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("assessment tasks do not panic"));
        progress.progress(phase, out.len(), total);
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// What the phases found, for the statements.
struct Gathered {
    registries: HashMap<Key, Lookup<RegistryPackage>>,
    /// Each package's newest stable release, if it has one.
    latest: HashMap<Key, Option<String>>,
    vulns: HashMap<VulnKey, Lookup<Vec<Vulnerability>>>,
    resolved: HashMap<VulnKey, Resolved>,
    depsdev: HashMap<VulnKey, Lookup<DepsDevVersion>>,
    /// Each package's upstream repository as Scorecard names it, or why
    /// Scorecard cannot be asked about it.
    repos: HashMap<Key, Result<String, String>>,
    scorecards: HashMap<String, Lookup<Scorecard>>,
    /// Each GitHub repository's Security Insights file.
    insights: HashMap<String, Lookup<SecurityInsights>>,
    /// Each GitHub repository's self-attestation, verified.
    self_attestations: HashMap<String, Lookup<SelfAttested>>,
    /// The provenance of each npm release in use, verified.
    provenance: HashMap<VulnKey, Lookup<Provenance>>,
}

impl Gathered {
    /// deps.dev's view of the package's latest stable release.
    fn depsdev_latest(&self, k: &Key) -> Lookup<DepsDevVersion> {
        match self.latest.get(k).cloned().flatten() {
            Some(v) => {
                self.depsdev
                    .get(&(k.0, k.1.clone(), v))
                    .cloned()
                    .unwrap_or(Lookup::Unavailable {
                        source: "deps.dev".into(),
                        reason: "not asked".into(),
                    })
            }
            None => Lookup::Unavailable {
                source: "deps.dev".into(),
                reason: "no latest stable release to ask about".into(),
            },
        }
    }
}

impl Assessor {
    /// Statements for `packages` (canonical PURL with version, and the
    /// releases of that package in use), in the same order.
    pub async fn assess(
        &self,
        packages: &[(Purl, super::InUse)],
        progress: &dyn Progress,
    ) -> Vec<Statement> {
        let registries = self.lookup_registries(packages, progress).await;
        let latest = latest_releases(&registries);
        // deps.dev needs only the latest releases, so it is asked while the
        // vulnerability checks and the dependency resolution (which need
        // each other's answers) run, rather than after them.
        let latest_keys = ask_depsdev_about(&latest, progress);
        let checks = async {
            let mut vulns = self
                .check_vulnerabilities(packages, &registries, progress)
                .await;
            let resolved = self
                .resolve_dependencies(&registries, &latest, &mut vulns, progress)
                .await;
            (vulns, resolved)
        };
        let ((vulns, resolved), depsdev, provenance) = tokio::join!(
            checks,
            depsdev::versions(&self.sources, latest_keys),
            self.ask_provenance(packages, &registries, progress)
        );
        let mut gathered = Gathered {
            registries,
            latest,
            vulns,
            resolved,
            depsdev,
            repos: HashMap::new(),
            scorecards: HashMap::new(),
            insights: HashMap::new(),
            self_attestations: HashMap::new(),
            provenance,
        };
        self.ask_scorecard(&mut gathered, progress).await;
        self.decide(packages, &gathered)
    }

    /// 1. The releases of every distinct package.
    async fn lookup_registries(
        &self,
        packages: &[(Purl, super::InUse)],
        progress: &dyn Progress,
    ) -> HashMap<Key, Lookup<RegistryPackage>> {
        let names: Vec<Key> = packages
            .iter()
            .map(|(p, _)| (eco_of(p), p.registry_name()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        announce(progress, names.len(), |n| {
            format!("looking up {}", plural(n, "package", "packages"))
        });
        let sources = self.sources.clone();
        each(
            names,
            move |k| {
                let s = sources.clone();
                async move {
                    let l = registry::lookup(&s, k.0, &k.1).await;
                    (k, l)
                }
            },
            (progress, "registries"),
        )
        .await
        .into_iter()
        .collect()
    }

    /// 3. Known vulnerabilities of the releases that matter, in one batch:
    ///    the newest stable releases (every one, with an offline database)
    ///    and the releases in use.
    async fn check_vulnerabilities(
        &self,
        packages: &[(Purl, super::InUse)],
        registries: &HashMap<Key, Lookup<RegistryPackage>>,
        progress: &dyn Progress,
    ) -> HashMap<VulnKey, Lookup<Vec<Vulnerability>>> {
        let all_releases = self.sources.has_osv_db();
        let mut queries: Vec<VulnKey> = Vec::new();
        for (k, l) in registries {
            let Some(pkg) = l.value() else { continue };
            let stable = fields::stable_releases(k.0, &pkg.releases);
            let take = if all_releases {
                stable.len()
            } else {
                CLEAN_CANDIDATES
            };
            for r in stable.into_iter().take(take) {
                queries.push((k.0, k.1.clone(), r.version.clone()));
            }
        }
        for (purl, _) in packages {
            if let Some(v) = purl.version() {
                queries.push((eco_of(purl), purl.registry_name(), v.to_string()));
            }
        }
        announce(progress, queries.len(), |n| {
            format!(
                "checking {} for known vulnerabilities",
                plural(n, "version", "versions")
            )
        });
        osv::vulnerabilities(&self.sources, queries).await
    }

    /// 4. What installing the latest release pulls in, and the newest
    ///    release that is clean itself when that is another one; then the
    ///    vulnerabilities of the versions those graphs hold, into `vulns`.
    async fn resolve_dependencies(
        &self,
        registries: &HashMap<Key, Lookup<RegistryPackage>>,
        latest: &HashMap<Key, Option<String>>,
        vulns: &mut HashMap<VulnKey, Lookup<Vec<Vulnerability>>>,
        progress: &dyn Progress,
    ) -> HashMap<VulnKey, Resolved> {
        let mut roots: BTreeSet<VulnKey> = BTreeSet::new();
        for (k, l) in registries {
            let Some(pkg) = l.value() else { continue };
            if let Some(Some(v)) = latest.get(k) {
                roots.insert((k.0, k.1.clone(), v.clone()));
            }
            let clean = fields::stable_releases(k.0, &pkg.releases)
                .into_iter()
                .find(|r| {
                    vulns
                        .get(&(k.0, k.1.clone(), r.version.clone()))
                        .and_then(|l| l.value())
                        .is_some_and(|v| v.iter().all(|x| x.withdrawn))
                });
            if let Some(r) = clean {
                roots.insert((k.0, k.1.clone(), r.version.clone()));
            }
        }
        announce(progress, roots.len(), |n| {
            format!(
                "resolving what installing {} pulls in",
                plural(n, "release", "releases")
            )
        });
        let sources = self.sources.clone();
        let cap = self.cfg.max_dependencies;
        let resolved: HashMap<VulnKey, Resolved> = each(
            roots.into_iter().collect(),
            move |k: VulnKey| {
                let s = sources.clone();
                async move {
                    let r = resolve::resolve(&s, k.0, &k.1, &k.2, cap).await;
                    (k, r)
                }
            },
            (progress, "dependencies"),
        )
        .await
        .into_iter()
        .collect();
        let node_queries: Vec<VulnKey> = resolved
            .iter()
            .flat_map(|(k, r)| {
                r.nodes
                    .iter()
                    .map(|n| (k.0, n.name.clone(), n.version.clone()))
                    .collect::<Vec<_>>()
            })
            .filter(|q| !vulns.contains_key(q))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !node_queries.is_empty() {
            progress.phase(&format!(
                "checking {} of dependencies for known vulnerabilities",
                plural(node_queries.len(), "version", "versions")
            ));
            vulns.extend(osv::vulnerabilities(&self.sources, node_queries).await);
        }
        resolved
    }

    /// 2b. The attestations the registry keeps for each release in use
    ///     (npm's SLSA provenance, PyPI's PEP 740 attestations of the
    ///     release's source distribution), verified, beside the
    ///     vulnerability checks: they need only the registry's answer.
    async fn ask_provenance(
        &self,
        packages: &[(Purl, super::InUse)],
        registries: &HashMap<Key, Lookup<RegistryPackage>>,
        progress: &dyn Progress,
    ) -> HashMap<VulnKey, Lookup<Provenance>> {
        let mut asked: Vec<(VulnKey, Option<Release>)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (purl, _) in packages {
            let key = (eco_of(purl), purl.registry_name());
            let (Ecosystem::Npm | Ecosystem::PyPi, Some(version)) = (key.0, purl.version()) else {
                continue;
            };
            let vk = (key.0, key.1.clone(), version.to_string());
            if !seen.insert(vk.clone()) {
                continue;
            }
            // Only a release the registry lists can be tied to its file;
            // npm's record says whether it has attestations (as npm's own
            // client reads it: a mirror that strips the pointer keeps none
            // either), PyPI's JSON API does not, so PyPI is always asked.
            let release = registries
                .get(&key)
                .and_then(Lookup::value)
                .and_then(|pkg| pkg.release(version))
                .cloned();
            if release
                .as_ref()
                .is_some_and(|r| key.0 == Ecosystem::PyPi || r.attestations_listed)
            {
                asked.push((vk, release));
            }
        }
        announce(progress, asked.len(), |n| {
            format!(
                "checking the provenance of {}",
                plural(n, "release", "releases")
            )
        });
        let sources = self.sources.clone();
        let now = self.now;
        each(
            asked,
            move |(vk, release)| {
                let s = sources.clone();
                async move {
                    let subject = provenance::subject(vk.0, &vk.1, &vk.2, release.as_ref());
                    let l = match vk.0 {
                        // PyPI keeps attestations per file: the file is the question.
                        Ecosystem::PyPi => match release.as_ref().and_then(|r| r.file.as_ref()) {
                            Some(f) => {
                                s.ask::<pypi::Provenance>((
                                    vk.1.clone(),
                                    vk.2.clone(),
                                    f.filename.clone(),
                                ))
                                .await
                            }
                            None => Lookup::NotApplicable {
                                source: provenance::SOURCE.into(),
                                why: "the registry lists no file of this release with a SHA-256"
                                    .into(),
                            },
                        },
                        _ => {
                            s.ask::<npm::Attestations>((vk.1.clone(), vk.2.clone()))
                                .await
                        }
                    };
                    let p = provenance::verified(&vk.2, subject, l, now);
                    (vk, p)
                }
            },
            (progress, "provenance"),
        )
        .await
        .into_iter()
        .collect()
    }

    /// 5. Scorecard and the Security Insights file (GitHub's contents
    ///    API), only for a validated upstream repository.
    async fn ask_scorecard(&self, gathered: &mut Gathered, progress: &dyn Progress) {
        // The repositories verified provenance names, by package (a scan
        // of every release's per package would grow with the square).
        let mut proven: HashMap<Key, Vec<(&str, &str)>> = HashMap::new();
        for (vk, l) in &gathered.provenance {
            if let Some(Outcome::Verified { repository, .. }) = l.value().map(|p| &p.outcome) {
                proven
                    .entry((vk.0, vk.1.clone()))
                    .or_default()
                    .push((vk.2.as_str(), repository.as_str()));
            }
        }
        let mut repos: HashMap<Key, Result<String, String>> = HashMap::new();
        for (k, reg) in &gathered.registries {
            let dd = gathered.depsdev_latest(k);
            let v = gathered.latest.get(k).cloned().flatten();
            let r = match fields::repository(reg, &dd, v.as_deref()) {
                None => Err("no upstream repository is established".to_string()),
                Some(r) => match (r.closed, repo_url::scorecard_repo(&r.url)) {
                    (Err(why), _) => {
                        Err(format!("the upstream repository is not established: {why}"))
                    }
                    (Ok(_), None) => Err(format!("Scorecard does not cover {}", r.url)),
                    (Ok(_), Some(id)) => match contradicted(&proven, k, &r.url) {
                        Some(why) => Err(why),
                        None => Ok(id),
                    },
                },
            };
            repos.insert(k.clone(), r);
        }
        let distinct: Vec<String> = repos
            .values()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let on_github: Vec<String> = distinct
            .iter()
            .filter(|r| r.starts_with("github.com/"))
            .cloned()
            .collect();
        announce(progress, distinct.len(), |n| {
            format!(
                "asking OpenSSF Scorecard about {}",
                plural(n, "repository", "repositories")
            )
        });
        gathered.scorecards = self
            .per_repository(distinct, (progress, "Scorecard"), |s, r| async move {
                scorecard::lookup(&s, &r).await
            })
            .await;
        announce(progress, on_github.len(), |n| {
            format!(
                "looking for Security Insights files in {}",
                plural(n, "repository", "repositories")
            )
        });
        gathered.insights = self
            .per_repository(
                on_github.clone(),
                (progress, "Security Insights"),
                |s, r| async move { insights::lookup(&s, &r).await },
            )
            .await;
        announce(progress, on_github.len(), |n| {
            format!(
                "looking for maintainers' self-attestations in {}",
                plural(n, "repository", "repositories")
            )
        });
        let trust = self.self_attestation.clone();
        gathered.self_attestations = self
            .per_repository(on_github, (progress, "self-attestations"), move |s, r| {
                let trust = trust.clone();
                async move {
                    let file = s.ask::<repo_files::SelfAttestation>(r.clone()).await;
                    // Its key only for a key-signed one.
                    let key = match &file {
                        Lookup::Found(f) if !fields::maintainers::is_keyless(&f.value) => {
                            Some(s.ask::<repo_files::SelfAttestationKey>(r.clone()).await)
                        }
                        _ => None,
                    };
                    fields::maintainers::verified(&r, file, key, &trust)
                }
            })
            .await;
        gathered.repos = repos;
    }

    /// `ask` about each repository, concurrently, by repository.
    async fn per_repository<T, F, Fut>(
        &self,
        repos: Vec<String>,
        phase: (&dyn Progress, &str),
        ask: F,
    ) -> HashMap<String, Lookup<T>>
    where
        T: Send + 'static,
        F: Fn(Arc<Sources>, String) -> Fut,
        Fut: std::future::Future<Output = Lookup<T>> + Send + 'static,
    {
        let sources = self.sources.clone();
        each(
            repos,
            move |r| {
                let asked = ask(sources.clone(), r.clone());
                async move { (r, asked.await) }
            },
            phase,
        )
        .await
        .into_iter()
        .collect()
    }

    /// 6. The statements. Each package's dependency graphs, found by its
    ///    name (a scan of every graph per package would grow with the
    ///    square of the packages).
    fn decide(&self, packages: &[(Purl, super::InUse)], g: &Gathered) -> Vec<Statement> {
        let mut graphs_of: HashMap<(Ecosystem, &str), Vec<(&VulnKey, &Resolved)>> = HashMap::new();
        for (k, r) in &g.resolved {
            graphs_of
                .entry((k.0, k.1.as_str()))
                .or_default()
                .push((k, r));
        }
        packages
            .iter()
            .map(|(purl, in_use)| {
                let key = (eco_of(purl), purl.registry_name());
                let graphs = graphs_of.get(&(key.0, key.1.as_str()));
                let facts = self.facts(purl, &key, graphs.map(Vec::as_slice), g);
                super::statement(&facts, in_use.to_vec(), &self.cfg)
            })
            .collect()
    }

    /// What the phases found about one package.
    fn facts(
        &self,
        purl: &Purl,
        key: &Key,
        graphs: Option<&[(&VulnKey, &Resolved)]>,
        g: &Gathered,
    ) -> Facts {
        let not_checked = || Lookup::Unavailable {
            source: "OSV".into(),
            reason: "not checked".into(),
        };
        let registry = g
            .registries
            .get(key)
            .cloned()
            .unwrap_or(Lookup::Unavailable {
                source: "tacos-sbom".into(),
                reason: "not looked up".into(),
            });
        let checked: HashMap<String, Lookup<Vec<Vulnerability>>> = registry
            .value()
            .map(|pkg| {
                pkg.releases
                    .iter()
                    .filter_map(|r| {
                        g.vulns
                            .get(&(key.0, key.1.clone(), r.version.clone()))
                            .map(|l| (r.version.clone(), l.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let graphs: HashMap<String, Graph> = graphs
            .into_iter()
            .flatten()
            .map(|&(k, r)| {
                let node_vulns = r
                    .nodes
                    .iter()
                    .map(|n| {
                        g.vulns
                            .get(&(k.0, n.name.clone(), n.version.clone()))
                            .cloned()
                            .unwrap_or_else(not_checked)
                    })
                    .collect();
                (
                    k.2.clone(),
                    Graph {
                        resolved: r.clone(),
                        vulns: node_vulns,
                    },
                )
            })
            .collect();
        Facts {
            in_use: purl.version().map(|v| {
                let l = g
                    .vulns
                    .get(&(key.0, key.1.clone(), v.to_string()))
                    .cloned()
                    .unwrap_or_else(not_checked);
                (v.to_string(), l)
            }),
            purl: purl.clone(),
            ecosystem: key.0,
            depsdev_latest: g.depsdev_latest(key),
            vulns: checked,
            all_releases_checked: self.sources.has_osv_db(),
            graphs,
            scorecard: match g.repos.get(key) {
                Some(Ok(r)) => g.scorecards.get(r).cloned().unwrap_or(Lookup::Unavailable {
                    source: "OpenSSF Scorecard".into(),
                    reason: "not asked".into(),
                }),
                Some(Err(why)) => Lookup::NotApplicable {
                    source: "OpenSSF Scorecard".into(),
                    why: why.clone(),
                },
                None => Lookup::NotApplicable {
                    source: "OpenSSF Scorecard".into(),
                    why: "no upstream repository is established".into(),
                },
            },
            insights: match g.repos.get(key) {
                Some(Ok(r)) => g.insights.get(r).cloned().unwrap_or(Lookup::NotApplicable {
                    source: "OpenSSF Security Insights".into(),
                    why: format!(
                        "{r} is not on GitHub, whose contents API is where the file is looked for"
                    ),
                }),
                Some(Err(why)) => Lookup::NotApplicable {
                    source: "OpenSSF Security Insights".into(),
                    why: why.clone(),
                },
                None => Lookup::NotApplicable {
                    source: "OpenSSF Security Insights".into(),
                    why: "no upstream repository is established".into(),
                },
            },
            self_attestation: match g.repos.get(key) {
                Some(Ok(r)) => {
                    g.self_attestations
                        .get(r)
                        .cloned()
                        .unwrap_or(Lookup::NotApplicable {
                            source: fields::maintainers::SOURCE.into(),
                            why: format!(
                                "{r} is not on GitHub, where self-attestations are looked for"
                            ),
                        })
                }
                Some(Err(why)) => Lookup::NotApplicable {
                    source: fields::maintainers::SOURCE.into(),
                    why: why.clone(),
                },
                None => Lookup::NotApplicable {
                    source: fields::maintainers::SOURCE.into(),
                    why: "no upstream repository is established".into(),
                },
            },
            self_attestation_max_age_days: self.self_attestation.max_age_days,
            provenance: match purl.version() {
                Some(v) if matches!(key.0, Ecosystem::Npm | Ecosystem::PyPi) => g
                    .provenance
                    .get(&(key.0, key.1.clone(), v.to_string()))
                    .cloned()
                    .unwrap_or(Lookup::NotApplicable {
                        source: fields::provenance::SOURCE.into(),
                        why: format!(
                            "not asked: no registry answer lists attestations of release {v}"
                        ),
                    }),
                _ => Lookup::NotApplicable {
                    source: fields::provenance::SOURCE.into(),
                    why: "provenance is read for npm and PyPI releases only".into(),
                },
            },
            vulnerabilities_listing: osv::listing(&self.sources, key.0, &key.1),
            registry,
            now: self.now,
        }
    }
}

/// Why the declared repository `url` of package `k` is not taken for its
/// own: a verified provenance of a release in use names another.
fn contradicted(proven: &HashMap<Key, Vec<(&str, &str)>>, k: &Key, url: &str) -> Option<String> {
    let mut named: Vec<&(&str, &str)> = proven
        .get(k)?
        .iter()
        .filter(|(_, repository)| !fields::provenance::same_repository(url, repository))
        .collect();
    // The same release named whatever order the map keeps.
    named.sort();
    named.first().map(|(version, repository)| {
        format!(
            "the upstream repository is not established: the verified provenance of release {version} names {repository}, not the declared {url}"
        )
    })
}

/// Each package's newest stable release, if it has one.
fn latest_releases(
    registries: &HashMap<Key, Lookup<RegistryPackage>>,
) -> HashMap<Key, Option<String>> {
    registries
        .iter()
        .map(|(k, l)| {
            let v = l
                .value()
                .and_then(|pkg| fields::newest_stable(k.0, &pkg.releases))
                .map(|(r, _)| r.version.clone());
            (k.clone(), v)
        })
        .collect()
}

/// 2. The latest releases deps.dev is asked about (licenses, links,
///    deprecation), announced before the checks start.
fn ask_depsdev_about(
    latest: &HashMap<Key, Option<String>>,
    progress: &dyn Progress,
) -> Vec<VulnKey> {
    let keys: Vec<VulnKey> = latest
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.0, k.1.clone(), v.clone())))
        .collect();
    announce(progress, keys.len(), |n| {
        format!("asking deps.dev about {}", plural(n, "release", "releases"))
    });
    keys
}
