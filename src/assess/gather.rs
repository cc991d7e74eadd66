//! Collecting the facts for many packages at once, in phases so that every
//! service is asked each thing once and batch endpoints are used: releases,
//! then the latest releases' dependencies, then vulnerabilities for every
//! version that matters in one batch, then dependency graphs and Scorecard.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use time::OffsetDateTime;

use super::fields::{self, DependencyFacts, Facts};
use crate::config::Assessment;
use crate::purl::Purl;
use crate::sources::hub::{Sources, VulnKey};
use crate::sources::model::{DependencyKind, Ecosystem, Flag, RegistryPackage};
use crate::sources::{Lookup, repo_url};
use crate::tacos::Statement;

/// Most stable releases checked for CleanReleaseAvailable, newest first.
const CLEAN_CANDIDATES: usize = 10;

/// Progress of a long assessment, for a person watching.
pub trait Progress: Sync {
    fn phase(&self, message: &str);
}

pub struct Assessor {
    pub sources: Arc<Sources>,
    pub cfg: Assessment,
    pub now: OffsetDateTime,
}

fn eco_of(p: &Purl) -> Ecosystem {
    Ecosystem::from_purl_type(p.ty())
}

/// Run `f` over `items` concurrently (the client limits requests per host).
async fn each<T, R, F, Fut>(items: Vec<T>, f: F) -> Vec<R>
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
    while let Some(r) = set.join_next().await {
        out.push(r.expect("assessment tasks do not panic"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

impl Assessor {
    /// Statements for `packages` (canonical PURL with version, and the
    /// releases of that package in use), in the same order.
    pub async fn assess(
        &self,
        packages: &[(Purl, Vec<String>)],
        progress: &dyn Progress,
    ) -> Vec<Statement> {
        // 1. Releases of every distinct package.
        let names: Vec<(Ecosystem, String)> = packages
            .iter()
            .map(|(p, _)| (eco_of(p), p.registry_name()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        progress.phase(&format!("looking up {} packages", names.len()));
        let registries = self.registries(names).await;

        // 2. Latest stable releases, and the dependencies of each.
        let latest: HashMap<(Ecosystem, String), Option<String>> = registries
            .iter()
            .map(|(k, l)| {
                let v = l
                    .value()
                    .and_then(|pkg| fields::newest_stable(k.0, &pkg.releases))
                    .map(|(r, _, _)| r.version.clone());
                (k.clone(), v)
            })
            .collect();
        let mut dep_names: HashMap<(Ecosystem, String), Vec<String>> = HashMap::new();
        let mut wanted: BTreeSet<(Ecosystem, String)> = BTreeSet::new();
        for (k, l) in &registries {
            let Some(pkg) = l.value() else { continue };
            let Some(Some(v)) = latest.get(k) else {
                continue;
            };
            let Some(deps) = pkg
                .releases
                .iter()
                .find(|r| &r.version == v)
                .and_then(|r| r.dependencies.as_ref())
            else {
                continue;
            };
            let mut names: Vec<String> = deps
                .iter()
                .filter(|d| matches!(d.kind, DependencyKind::Normal | DependencyKind::Optional))
                .map(|d| d.name.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            names.truncate(self.cfg.max_dependencies);
            for n in &names {
                if !registries.contains_key(&(k.0, n.clone())) {
                    wanted.insert((k.0, n.clone()));
                }
            }
            dep_names.insert(k.clone(), names);
        }
        progress.phase(&format!("looking up {} dependencies", wanted.len()));
        let mut all = registries;
        all.extend(self.registries(wanted.into_iter().collect()).await);
        let dep_latest: HashMap<(Ecosystem, String), Option<String>> = all
            .iter()
            .map(|(k, l)| {
                let v = l
                    .value()
                    .and_then(|pkg| fields::newest_stable(k.0, &pkg.releases))
                    .map(|(r, _, _)| r.version.clone());
                (k.clone(), v)
            })
            .collect();

        // 3. Vulnerabilities of every version that matters, in one batch.
        let mut queries: Vec<VulnKey> = Vec::new();
        for (k, l) in all.iter() {
            let Some(pkg) = l.value() else { continue };
            let is_package = dep_names.contains_key(k) || latest.contains_key(k);
            if latest.contains_key(k) && is_package {
                for r in fields::stable_releases(k.0, &pkg.releases)
                    .into_iter()
                    .take(CLEAN_CANDIDATES)
                {
                    queries.push((k.0, k.1.clone(), r.version.clone()));
                }
            }
            if let Some(Some(v)) = dep_latest.get(k) {
                queries.push((k.0, k.1.clone(), v.clone()));
            }
        }
        for (purl, _) in packages {
            if let Some(v) = purl.version() {
                queries.push((eco_of(purl), purl.registry_name(), v.to_string()));
            }
        }
        progress.phase(&format!(
            "checking {} versions for known vulnerabilities",
            queries.len()
        ));
        let mut vulns = self.sources.vulnerabilities(queries).await;

        // 4. deps.dev's view of each latest release, and the dependency graph
        //    of the latest releases that are clean themselves.
        let latest_keys: Vec<VulnKey> = latest
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.0, k.1.clone(), v.clone())))
            .collect();
        progress.phase(&format!(
            "asking deps.dev about {} releases",
            latest_keys.len()
        ));
        let sources = self.sources.clone();
        let depsdev: HashMap<VulnKey, _> = each(latest_keys.clone(), move |k| {
            let s = sources.clone();
            async move {
                let l = s.depsdev_version(k.0, &k.1, &k.2).await;
                (k, l)
            }
        })
        .await
        .into_iter()
        .collect();
        let clean: Vec<VulnKey> = latest_keys
            .into_iter()
            .filter(|k| {
                vulns
                    .get(k)
                    .and_then(|l| l.value())
                    .is_some_and(|v| v.iter().all(|x| x.withdrawn))
            })
            .collect();
        let sources = self.sources.clone();
        let graphs: HashMap<VulnKey, _> = each(clean, move |k| {
            let s = sources.clone();
            async move {
                let l = s.dependency_graph(k.0, &k.1, &k.2).await;
                (k, l)
            }
        })
        .await
        .into_iter()
        .collect();
        let node_queries: Vec<VulnKey> = graphs
            .iter()
            .flat_map(|(k, g)| {
                g.value()
                    .into_iter()
                    .flatten()
                    .filter(|n| n.relation != "SELF")
                    .map(|n| (k.0, n.name.clone(), n.version.clone()))
                    .collect::<Vec<_>>()
            })
            .filter(|q| !vulns.contains_key(q))
            .collect();
        if !node_queries.is_empty() {
            progress.phase(&format!(
                "checking {} dependency versions for known vulnerabilities",
                node_queries.len()
            ));
            vulns.extend(self.sources.vulnerabilities(node_queries).await);
        }

        // 5. Scorecard for each upstream repository.
        let mut repos: HashMap<(Ecosystem, String), String> = HashMap::new();
        for (k, v) in &latest {
            let Some(pkg) = all.get(k).and_then(|l| l.value()) else {
                continue;
            };
            let dd = v
                .as_ref()
                .and_then(|v| depsdev.get(&(k.0, k.1.clone(), v.clone())));
            if let Some(repo) = repository_of(pkg, v.as_deref(), dd.and_then(|d| d.value())) {
                repos.insert(k.clone(), repo);
            }
        }
        let distinct: Vec<String> = repos
            .values()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        progress.phase(&format!(
            "asking OpenSSF Scorecard about {} repositories",
            distinct.len()
        ));
        let sources = self.sources.clone();
        let scorecards: HashMap<String, _> = each(distinct, move |r| {
            let s = sources.clone();
            async move {
                let l = s.scorecard(&r).await;
                (r, l)
            }
        })
        .await
        .into_iter()
        .collect();

        // 6. The statements.
        packages
            .iter()
            .map(|(purl, in_use)| {
                let key = (eco_of(purl), purl.registry_name());
                let registry = all.get(&key).cloned().unwrap_or(Lookup::Unavailable {
                    source: "tacos-sbom".into(),
                    reason: "not looked up".into(),
                });
                let v = latest.get(&key).cloned().flatten();
                let vkey = v.as_ref().map(|v| (key.0, key.1.clone(), v.clone()));
                let versions_checked: HashMap<String, Lookup<_>> = registry
                    .value()
                    .map(|pkg| {
                        fields::stable_releases(key.0, &pkg.releases)
                            .into_iter()
                            .filter_map(|r| {
                                vulns.get(&(key.0, key.1.clone(), r.version.clone())).map(|l| (r.version.clone(), l.clone()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let dependencies = match (&registry, dep_names.get(&key)) {
                    (_, Some(names)) => {
                        let found = registry.found().expect("dependencies come from a registry answer");
                        Lookup::Found(crate::sources::Found {
                            value: names.iter().map(|n| self.dependency(key.0, n, &all, &dep_latest, &vulns)).collect(),
                            source: found.source.clone(),
                            url: found.url.clone(),
                            at: found.at,
                        })
                    }
                    (Lookup::Found(found), None) => Lookup::Unavailable {
                        source: found.source.clone(),
                        reason: match &v {
                            Some(v) => format!("the registry answer does not list the dependencies of {v}"),
                            None => "no latest stable release".into(),
                        },
                    },
                    (other, None) => other.clone().map(|_| Vec::new()),
                };
                let graph = match vkey.as_ref().and_then(|k| graphs.get(k)) {
                    Some(g) => g.clone().map(|nodes| {
                        nodes
                            .into_iter()
                            .map(|n| {
                                let l = vulns.get(&(key.0, n.name.clone(), n.version.clone())).cloned().unwrap_or(Lookup::Unavailable {
                                    source: "OSV".into(),
                                    reason: "not checked".into(),
                                });
                                (n, l)
                            })
                            .collect()
                    }),
                    None => Lookup::Unavailable {
                        source: "deps.dev".into(),
                        reason: "no dependency graph was asked for (the latest stable release is unknown or not clean itself)".into(),
                    },
                };
                let facts = Facts {
                    in_use: purl.version().map(|v| {
                        let l = vulns.get(&(key.0, key.1.clone(), v.to_string())).cloned().unwrap_or(Lookup::Unavailable {
                            source: "OSV".into(),
                            reason: "not checked".into(),
                        });
                        (v.to_string(), l)
                    }),
                    purl: purl.clone(),
                    ecosystem: key.0,
                    depsdev_latest: vkey.as_ref().and_then(|k| depsdev.get(k)).cloned().unwrap_or(Lookup::Unavailable {
                        source: "deps.dev".into(),
                        reason: "no latest stable release to ask about".into(),
                    }),
                    vulns: versions_checked,
                    dependencies,
                    graph,
                    scorecard: match repos.get(&key) {
                        Some(r) => scorecards.get(r).cloned().unwrap_or(Lookup::Unavailable { source: "OpenSSF Scorecard".into(), reason: "not asked".into() }),
                        None => Lookup::NotApplicable {
                            source: "OpenSSF Scorecard".into(),
                            why: "no upstream repository on a host Scorecard covers is known".into(),
                        },
                    },
                    vulnerabilities_listing: self.sources.vulnerabilities_listing(key.0, &key.1),
                    registry,
                    now: self.now,
                };
                super::statement(&facts, in_use.clone(), &self.cfg)
            })
            .collect()
    }

    async fn registries(
        &self,
        names: Vec<(Ecosystem, String)>,
    ) -> HashMap<(Ecosystem, String), Lookup<RegistryPackage>> {
        let sources = self.sources.clone();
        each(names, move |k| {
            let s = sources.clone();
            async move {
                let l = s.registry(k.0, &k.1).await;
                (k, l)
            }
        })
        .await
        .into_iter()
        .collect()
    }

    fn dependency(
        &self,
        eco: Ecosystem,
        name: &str,
        all: &HashMap<(Ecosystem, String), Lookup<RegistryPackage>>,
        dep_latest: &HashMap<(Ecosystem, String), Option<String>>,
        vulns: &HashMap<VulnKey, Lookup<Vec<crate::sources::model::Vulnerability>>>,
    ) -> DependencyFacts {
        let key = (eco, name.to_string());
        let reg = all.get(&key);
        let latest = dep_latest.get(&key).cloned().flatten();
        let deprecated = match (reg.and_then(|l| l.value()), &latest) {
            (Some(pkg), Some(v)) if pkg.removed => {
                Flag::Yes(format!("{} was removed from the registry ({v})", name))
            }
            (Some(pkg), Some(v)) => {
                let tag = pkg.latest_tag.as_deref().unwrap_or(v);
                pkg.releases
                    .iter()
                    .find(|r| r.version == tag)
                    .map(|r| r.deprecated.clone())
                    .unwrap_or_default()
            }
            _ => Flag::Unknown,
        };
        DependencyFacts {
            name: name.to_string(),
            latest_missing: match (&latest, reg) {
                (Some(_), _) => None,
                (None, Some(l)) if l.value().is_some() => Some("no stable release".into()),
                (None, Some(l)) => Some(l.why_not()),
                (None, None) => Some("not looked up".into()),
            },
            vulns_latest: match &latest {
                Some(v) => vulns
                    .get(&(eco, name.to_string(), v.clone()))
                    .cloned()
                    .unwrap_or(Lookup::Unavailable {
                        source: "OSV".into(),
                        reason: "not checked".into(),
                    }),
                None => Lookup::Unavailable {
                    source: "OSV".into(),
                    reason: "no latest release to check".into(),
                },
            },
            latest,
            deprecated,
        }
    }
}

/// `github.com/org/repo` for Scorecard, from what the registry or deps.dev declare.
fn repository_of(
    pkg: &RegistryPackage,
    latest: Option<&str>,
    dd: Option<&crate::sources::model::DepsDevVersion>,
) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    if let Some(v) = latest
        && let Some(r) = pkg
            .releases
            .iter()
            .find(|r| r.version == v)
            .and_then(|r| r.repository.clone())
    {
        candidates.push(r);
    }
    candidates.extend(pkg.repository.clone());
    candidates.extend(pkg.links.iter().map(|(_, u)| u.clone()));
    if let Some(d) = dd {
        candidates.extend(
            d.links
                .iter()
                .filter(|(l, _)| l == "SOURCE_REPO")
                .map(|(_, u)| u.clone()),
        );
        candidates.extend(
            d.related_projects
                .iter()
                .filter(|(_, rel)| rel == "SOURCE_REPO")
                .map(|(id, _)| format!("https://{id}")),
        );
    }
    let mut seen = HashSet::new();
    candidates
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .find_map(|c| repo_url::normalize(&c).and_then(|u| repo_url::scorecard_repo(&u)))
}
