//! What installing one release pulls in: its runtime dependency graph,
//! resolved transitively by the ecosystem's own rules from registry data
//! (npm ranges, PEP 508 requirements, Cargo requirements and features), or
//! taken from deps.dev's resolved graph where no registry resolution is
//! possible or where it is incomplete.
//!
//! A graph is whole only when every requirement resolved from metadata the
//! registry gave: unknown metadata, a requirement no release satisfies, a
//! dependency that is not from the registry, a condition that cannot be
//! read, or more packages than the cap each leave a *gap*, and a graph with
//! gaps can show a problem but never the absence of one. A dependency the
//! registry no longer has is *removed*: installing the release fails, which
//! is a finding, not a gap.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use super::platform;
use crate::purl::Ecosystem;
use crate::sources::hub::Sources;
use crate::sources::model::{Dependency, DependencyKind, Flag, RegistryPackage, Release};
use crate::sources::{Coverage, Lookup, depsdev, pypi, registry};
use crate::versions;

/// One package version the install pulls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub version: String,
    pub deprecated: Flag,
    /// What asked for it (`name@version`), for messages.
    pub via: String,
}

/// A resolved graph (the root not included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// How it was resolved, for evidence.
    pub method: String,
    pub nodes: Vec<Node>,
    /// Why packages may be missing from it; empty when it is whole.
    pub gaps: Vec<String>,
    /// Dependencies the registry no longer has, with what asked for them.
    pub removed: Vec<String>,
}

impl Resolved {
    pub fn is_whole(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// Resolve what a default install of `name@version` pulls in, at most `cap`
/// packages.
pub async fn resolve(
    sources: &Arc<Sources>,
    eco: Ecosystem,
    name: &str,
    version: &str,
    cap: usize,
) -> Resolved {
    let from_registry = match eco {
        Ecosystem::Npm | Ecosystem::PyPi | Ecosystem::Cargo => Some(
            Walk::new(sources.clone(), eco, cap)
                .run(name, version)
                .await,
        ),
        _ => None,
    };
    match from_registry {
        Some(r) if r.is_whole() || eco.depsdev_name().is_none() => r,
        other => {
            let dd = depsdev(sources, eco, name, version, cap).await;
            match other {
                // deps.dev fills in only when it knows the whole graph.
                Some(mut r) if !dd.is_whole() => {
                    r.gaps.extend(
                        dd.gaps
                            .into_iter()
                            .map(|g| format!("no help from deps.dev: {g}")),
                    );
                    r
                }
                _ => dd,
            }
        }
    }
}

/// Registry lookups for many names at once (the adapters remember them).
async fn lookups(
    sources: &Arc<Sources>,
    eco: Ecosystem,
    names: BTreeSet<String>,
) -> HashMap<String, Lookup<RegistryPackage>> {
    let mut set = tokio::task::JoinSet::new();
    for n in names {
        let s = sources.clone();
        set.spawn(async move {
            let l = registry::lookup(&s, eco, &n).await;
            (n, l)
        });
    }
    let mut out = HashMap::new();
    while let Some(r) = set.join_next().await {
        let (n, l) = r.expect("lookups do not panic");
        out.insert(n, l);
    }
    out
}

/// A requirement waiting to be resolved.
#[derive(Debug, Clone)]
struct Want {
    /// The registry name (npm aliases already followed).
    name: String,
    requirement: String,
    /// PyPI extras or Cargo features asked of it.
    features: Vec<String>,
    default_features: bool,
    via: String,
}

struct Walk {
    sources: Arc<Sources>,
    eco: Ecosystem,
    cap: usize,
    out: Resolved,
    /// Resolved nodes by (name, version), with the extras/features enabled
    /// on them so far.
    enabled: BTreeMap<(String, String), (BTreeSet<String>, bool)>,
    /// PyPI installs one version per name.
    pypi_pick: HashMap<String, String>,
    over_cap: bool,
}

impl Walk {
    fn new(sources: Arc<Sources>, eco: Ecosystem, cap: usize) -> Walk {
        let method = match eco {
            Ecosystem::Npm => "resolved by npm's rules from the registry's metadata",
            Ecosystem::PyPi => {
                "resolved by pip's rules from PyPI's metadata (CPython 3.12 on x86_64 Linux, no extras)"
            }
            _ => {
                "resolved by Cargo's rules from the index (x86_64-unknown-linux-gnu, default features, no build or dev dependencies)"
            }
        };
        Walk {
            sources,
            eco,
            cap,
            out: Resolved {
                method: method.to_string(),
                ..Resolved::default()
            },
            enabled: BTreeMap::new(),
            pypi_pick: HashMap::new(),
            over_cap: false,
        }
    }

    fn gap(&mut self, why: String) {
        if !self.out.gaps.contains(&why) {
            self.out.gaps.push(why);
        }
    }

    async fn run(mut self, name: &str, version: &str) -> Resolved {
        let root = format!("{name}@{version}");
        let mut wants = Vec::new();
        match registry::lookup(&self.sources, self.eco, name).await {
            Lookup::Found(f) => match f.value.release(version) {
                Some(r) => {
                    let deps = self.release_dependencies(name, &f.value, r).await;
                    self.enabled.insert(
                        (name.to_string(), version.to_string()),
                        (BTreeSet::new(), true),
                    );
                    match deps {
                        Some(deps) => {
                            wants = self.active(&root, r, &deps, &BTreeSet::new(), true);
                        }
                        None => self.gap(format!(
                            "the registry's metadata does not say what {root} depends on"
                        )),
                    }
                }
                None => self.gap(format!("the registry lists no release {version}")),
            },
            other => self.gap(format!("{name}: {}", other.why_not())),
        }
        while !wants.is_empty() && !self.over_cap {
            let names: BTreeSet<String> = wants.iter().map(|w| w.name.clone()).collect();
            let found = lookups(&self.sources, self.eco, names).await;
            let mut next = Vec::new();
            for w in wants {
                if self.over_cap {
                    break;
                }
                next.extend(self.step(w, &found).await);
            }
            wants = next;
        }
        self.out
    }

    /// Resolve one requirement; returns what its release asks for next.
    async fn step(
        &mut self,
        w: Want,
        found: &HashMap<String, Lookup<RegistryPackage>>,
    ) -> Vec<Want> {
        let pkg = match found.get(&w.name) {
            Some(Lookup::Found(f)) if f.value.removed => {
                self.out.removed.push(format!(
                    "{} (required by {}: the registry lists no releases of it)",
                    w.name, w.via
                ));
                return vec![];
            }
            Some(Lookup::Found(f)) => &f.value,
            Some(Lookup::NotFound { .. }) => {
                self.out.removed.push(format!(
                    "{} (required by {}: the registry does not have it)",
                    w.name, w.via
                ));
                return vec![];
            }
            Some(other) => {
                self.gap(format!("{}: {}", w.name, other.why_not()));
                return vec![];
            }
            None => {
                self.gap(format!("{} was not looked up", w.name));
                return vec![];
            }
        };
        let version = match self.pick(pkg, &w) {
            Ok(v) => v,
            Err(why) => {
                self.gap(why);
                return vec![];
            }
        };
        let Some(release) = pkg.release(&version) else {
            return vec![];
        };
        let key = (w.name.clone(), version.clone());
        let wanted: BTreeSet<String> = w.features.iter().cloned().collect();
        let first = !self.enabled.contains_key(&key);
        let entry = self
            .enabled
            .entry(key)
            .or_insert_with(|| (BTreeSet::new(), false));
        let before = entry.clone();
        entry.0.extend(wanted);
        entry.1 |= w.default_features;
        let now = entry.clone();
        if first {
            self.out.nodes.push(Node {
                name: w.name.clone(),
                version: version.clone(),
                deprecated: release.deprecated.clone(),
                via: w.via.clone(),
            });
            if self.out.nodes.len() > self.cap {
                self.over_cap = true;
                self.gap(format!(
                    "the graph has more than {} packages ([assessment] max_dependencies)",
                    self.cap
                ));
                return vec![];
            }
        } else if before == now {
            // Already expanded with these extras/features.
            return vec![];
        }
        let me = format!("{}@{version}", w.name);
        match self.release_dependencies(&w.name, pkg, release).await {
            Some(deps) => self.active(&me, release, &deps, &now.0, now.1),
            None => {
                self.gap(format!(
                    "the registry's metadata does not say what {me} depends on"
                ));
                vec![]
            }
        }
    }

    /// A release's declared dependencies, fetching PyPI's per-release
    /// metadata for a release other than the newest.
    async fn release_dependencies(
        &mut self,
        name: &str,
        pkg: &RegistryPackage,
        release: &Release,
    ) -> Option<Vec<Dependency>> {
        // PyPI's project answer describes only the newest release; others
        // have their own endpoint.
        if release.dependencies.is_some()
            || self.eco != Ecosystem::PyPi
            || pkg.latest_tag.as_deref() == Some(release.version.as_str())
        {
            return release.dependencies.clone();
        }
        match self
            .sources
            .ask::<pypi::ReleaseDependencies>((name.to_string(), release.version.clone()))
            .await
        {
            Lookup::Found(f) => f.value,
            other => {
                self.gap(format!(
                    "{name}@{}: no per-release metadata ({})",
                    release.version,
                    other.why_not()
                ));
                None
            }
        }
    }

    /// The version a requirement resolves to, by the ecosystem's rules.
    fn pick(&mut self, pkg: &RegistryPackage, w: &Want) -> Result<String, String> {
        match self.eco {
            Ecosystem::Npm => {
                let (v, doubt) = npm_pick(pkg, &w.name, &w.requirement)?;
                if let Some(why) = doubt {
                    self.gap(why);
                }
                Ok(v)
            }
            Ecosystem::PyPi => {
                if let Some(v) = self.pypi_pick.get(&w.name).cloned() {
                    return if pypi_satisfies(&w.requirement, &v)? {
                        Ok(v)
                    } else {
                        Err(format!(
                            "{} asks for {} {} but {v} was already chosen for another dependent (pip would backtrack)",
                            w.via, w.name, w.requirement
                        ))
                    };
                }
                let v = pypi_pick(pkg, &w.name, &w.requirement)?;
                self.pypi_pick.insert(w.name.clone(), v.clone());
                Ok(v)
            }
            _ => cargo_pick(pkg, &w.name, &w.requirement),
        }
    }

    /// The dependencies a default install of this release installs, with
    /// `features` (PyPI extras, Cargo features) enabled on it.
    fn active(
        &mut self,
        me: &str,
        release: &Release,
        deps: &[Dependency],
        features: &BTreeSet<String>,
        default_features: bool,
    ) -> Vec<Want> {
        match self.eco {
            Ecosystem::Npm => self.npm_active(me, deps),
            Ecosystem::PyPi => self.pypi_active(me, deps, features),
            _ => self.cargo_active(me, release, deps, features, default_features),
        }
    }

    fn npm_active(&mut self, me: &str, deps: &[Dependency]) -> Vec<Want> {
        let mut out = Vec::new();
        for d in deps {
            if !matches!(
                d.kind,
                DependencyKind::Normal | DependencyKind::Optional | DependencyKind::Peer
            ) {
                continue;
            }
            match npm_spec(&d.name, &d.requirement) {
                Ok((name, range)) => out.push(Want {
                    name,
                    requirement: range,
                    features: vec![],
                    default_features: true,
                    via: me.to_string(),
                }),
                Err(why) => self.gap(format!("{me} depends on {}: {why}", d.name)),
            }
        }
        out
    }

    fn pypi_active(
        &mut self,
        me: &str,
        deps: &[Dependency],
        extras: &BTreeSet<String>,
    ) -> Vec<Want> {
        let extras: Vec<String> = extras.iter().cloned().collect();
        let mut out = Vec::new();
        for d in deps {
            if let Some(m) = &d.condition {
                match platform::python_marker(m, &extras) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(why) => {
                        self.gap(format!("{me} depends on {}: {why}", d.name));
                        continue;
                    }
                }
            } else if d.kind != DependencyKind::Normal {
                continue;
            }
            if d.requirement.starts_with('@') {
                self.gap(format!(
                    "{me} depends on {} from a URL, not from the index",
                    d.name
                ));
                continue;
            }
            out.push(Want {
                name: d.name.clone(),
                requirement: d.requirement.clone(),
                features: d.features.clone(),
                default_features: true,
                via: me.to_string(),
            });
        }
        out
    }

    fn cargo_active(
        &mut self,
        me: &str,
        release: &Release,
        deps: &[Dependency],
        features: &BTreeSet<String>,
        default_features: bool,
    ) -> Vec<Want> {
        let table = release.features.clone().unwrap_or_default();
        let alias = |d: &Dependency| d.alias.clone().unwrap_or_else(|| d.name.clone());
        let optional: BTreeSet<String> = deps
            .iter()
            .filter(|d| d.kind == DependencyKind::Optional)
            .map(alias)
            .collect();
        // Features to enable, transitively; optional dependencies they turn
        // on; features asked of dependencies (`dep/feature`).
        let mut todo: Vec<String> = features.iter().cloned().collect();
        if default_features && table.contains_key("default") {
            todo.push("default".into());
        }
        let mut done = BTreeSet::new();
        let mut on: BTreeSet<String> = BTreeSet::new();
        let mut asked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut weak: Vec<(String, String)> = Vec::new();
        while let Some(f) = todo.pop() {
            if !done.insert(f.clone()) {
                continue;
            }
            match table.get(&f) {
                Some(items) => {
                    for item in items {
                        if let Some(dep) = item.strip_prefix("dep:") {
                            on.insert(dep.to_string());
                        } else if let Some((dep, feat)) = item.split_once('/') {
                            match dep.strip_suffix('?') {
                                Some(d) => weak.push((d.to_string(), feat.to_string())),
                                None => {
                                    if optional.contains(dep) {
                                        on.insert(dep.to_string());
                                    }
                                    asked
                                        .entry(dep.to_string())
                                        .or_default()
                                        .insert(feat.to_string());
                                }
                            }
                        } else {
                            todo.push(item.clone());
                        }
                    }
                }
                // An optional dependency is also a feature of its own name.
                None if optional.contains(&f) => {
                    on.insert(f);
                }
                None => {}
            }
        }
        for (dep, feat) in weak {
            if on.contains(&dep) {
                asked.entry(dep).or_default().insert(feat);
            }
        }
        let mut out = Vec::new();
        for d in deps {
            let key = alias(d);
            let included = match d.kind {
                DependencyKind::Normal => true,
                DependencyKind::Optional => on.contains(&key),
                _ => false,
            };
            if !included {
                continue;
            }
            if let Some(c) = &d.condition {
                match platform::cargo_target(c) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        self.gap(format!(
                            "{me} depends on {} for target {c:?}, which this reader cannot evaluate",
                            d.name
                        ));
                        continue;
                    }
                }
            }
            let mut feats: BTreeSet<String> = d.features.iter().cloned().collect();
            feats.extend(asked.get(&key).cloned().unwrap_or_default());
            out.push(Want {
                name: d.name.clone(),
                requirement: d.requirement.clone(),
                features: feats.into_iter().collect(),
                default_features: d.default_features,
                via: me.to_string(),
            });
        }
        out
    }
}

/// An npm dependency spec: a range or tag of the registry package, or an
/// alias (`npm:other@^1`); git, URL, file and GitHub specs are not from the
/// registry.
fn npm_spec(name: &str, spec: &str) -> Result<(String, String), String> {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_prefix("npm:") {
        return Ok(match rest.rfind('@') {
            Some(i) if i > 0 => (rest[..i].to_string(), rest[i + 1..].to_string()),
            _ => (rest.to_string(), "*".to_string()),
        });
    }
    if spec.contains(':') || spec.contains('/') {
        return Err(format!("{spec:?} is not from the registry"));
    }
    Ok((name.to_string(), spec.to_string()))
}

/// npm's choice for a range: the `latest` tag when it satisfies and is not
/// deprecated, else the highest satisfying undeprecated release, else the
/// highest satisfying one. When the answer does not say which releases are
/// deprecated and more than one satisfies, npm's choice is uncertain: the
/// second value says so.
fn npm_pick(
    pkg: &RegistryPackage,
    name: &str,
    spec: &str,
) -> Result<(String, Option<String>), String> {
    let spec = spec.trim();
    if spec == "latest" {
        let v = pkg
            .latest_tag
            .clone()
            .ok_or_else(|| format!("{name} has no `latest` tag"))?;
        return Ok((v, None));
    }
    let range = nodejs_semver::Range::parse(if spec.is_empty() { "*" } else { spec })
        .map_err(|_| format!("{name}@{spec:?}: not a range npm resolves from the registry (a tag other than latest?)"))?;
    let satisfying: Vec<&Release> = pkg
        .releases
        .iter()
        .filter(|r| nodejs_semver::Version::parse(&r.version).is_ok_and(|v| range.satisfies(&v)))
        .collect();
    let doubt = (satisfying.len() > 1
        && satisfying.iter().any(|r| r.deprecated == Flag::Unknown))
    .then(|| {
        format!(
            "npm avoids deprecated releases, and the registry answer does not say which releases of {name} are: its choice for {spec:?} is uncertain"
        )
    });
    if let Some(latest) = pkg.latest_tag.as_deref()
        && let Some(r) = satisfying.iter().find(|r| r.version == latest)
        && !r.deprecated.is_yes()
    {
        return Ok((r.version.clone(), doubt));
    }
    let highest = |list: Vec<&&Release>| {
        list.into_iter()
            .max_by(|a, b| {
                versions::compare(Ecosystem::Npm, &a.version, &b.version)
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map(|r| r.version.clone())
    };
    highest(
        satisfying
            .iter()
            .filter(|r| !r.deprecated.is_yes())
            .collect(),
    )
    .or_else(|| highest(satisfying.iter().collect()))
    .map(|v| (v, doubt))
    .ok_or_else(|| format!("no release of {name} satisfies {spec:?}"))
}

fn pypi_satisfies(requirement: &str, version: &str) -> Result<bool, String> {
    let spec = pep440_rs::VersionSpecifiers::from_str(requirement)
        .map_err(|e| format!("specifier {requirement:?}: {e}"))?;
    let v =
        pep440_rs::Version::from_str(version).map_err(|e| format!("version {version:?}: {e}"))?;
    Ok(spec.contains(&v))
}

/// pip's choice: the highest release that is not yanked and satisfies the
/// specifiers; pre-releases only when a specifier names one.
fn pypi_pick(pkg: &RegistryPackage, name: &str, requirement: &str) -> Result<String, String> {
    let spec = pep440_rs::VersionSpecifiers::from_str(requirement)
        .map_err(|e| format!("{name} {requirement:?}: {e}"))?;
    let pre = spec.iter().any(|s| s.any_prerelease());
    pkg.releases
        .iter()
        .filter(|r| !r.yanked.is_yes())
        .filter_map(|r| Some((pep440_rs::Version::from_str(&r.version).ok()?, r)))
        .filter(|(v, _)| (pre || !v.any_prerelease()) && spec.contains(v))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r.version.clone())
        .ok_or_else(|| format!("no release of {name} satisfies {requirement:?}"))
}

/// Cargo's choice: the highest release that is not yanked and matches the
/// requirement (pre-releases only when it names one).
fn cargo_pick(pkg: &RegistryPackage, name: &str, requirement: &str) -> Result<String, String> {
    let req = semver::VersionReq::parse(requirement)
        .map_err(|e| format!("{name} {requirement:?}: {e}"))?;
    pkg.releases
        .iter()
        .filter(|r| !r.yanked.is_yes())
        .filter_map(|r| Some((semver::Version::parse(&r.version).ok()?, r)))
        .filter(|(v, _)| req.matches(v))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r.version.clone())
        .ok_or_else(|| format!("no release of {name} satisfies {requirement:?}"))
}

/// deps.dev's resolved graph; each node's deprecation from the registry.
async fn depsdev(
    sources: &Arc<Sources>,
    eco: Ecosystem,
    name: &str,
    version: &str,
    cap: usize,
) -> Resolved {
    let mut out = Resolved {
        method: "resolved by deps.dev".into(),
        ..Resolved::default()
    };
    let graph = depsdev::graph(sources, eco, name, version).await;
    let found = match &graph {
        Lookup::Found(f) => f,
        other => {
            out.gaps
                .push(format!("deps.dev's graph: {}", other.why_not()));
            return out;
        }
    };
    if let Coverage::Partial(why) | Coverage::Stale(why) = &found.coverage {
        out.gaps.push(why.clone());
    }
    let nodes: Vec<_> = found
        .value
        .iter()
        .filter(|n| n.relation != "SELF")
        .collect();
    if nodes.len() > cap {
        out.gaps.push(format!(
            "the graph has more than {cap} packages ([assessment] max_dependencies)"
        ));
    }
    let names: BTreeSet<String> = nodes
        .iter()
        .take(cap)
        .filter(|n| !n.bundled)
        .map(|n| n.name.clone())
        .collect();
    let regs = lookups(sources, eco, names).await;
    let root = format!("{name}@{version}");
    for n in nodes.into_iter().take(cap) {
        if n.bundled {
            out.gaps.push(format!(
                "{} is bundled inside another package: its registry identity is not established",
                n.name
            ));
            continue;
        }
        let deprecated = match regs.get(&n.name) {
            Some(Lookup::Found(f)) => f
                .value
                .release(&n.version)
                .map(|r| r.deprecated.clone())
                .unwrap_or_default(),
            Some(Lookup::NotFound { .. }) => {
                out.removed.push(format!(
                    "{} (in deps.dev's graph of {root}: the registry does not have it)",
                    n.name
                ));
                continue;
            }
            _ => Flag::Unknown,
        };
        out.nodes.push(Node {
            name: n.name.clone(),
            version: n.version.clone(),
            deprecated,
            via: if n.relation == "DIRECT" {
                root.clone()
            } else {
                "a dependency".into()
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(versions: &[(&str, Flag)], latest: &str) -> RegistryPackage {
        RegistryPackage {
            name: "p".into(),
            latest_tag: Some(latest.into()),
            releases: versions
                .iter()
                .map(|(v, d)| Release {
                    version: v.to_string(),
                    deprecated: d.clone(),
                    yanked: Flag::No,
                    ..Release::default()
                })
                .collect(),
            ..RegistryPackage::default()
        }
    }

    #[test]
    fn npm_picks_like_npm() {
        let p = pkg(
            &[
                ("1.0.0", Flag::No),
                ("1.2.0", Flag::No),
                ("1.3.0", Flag::Yes("bad".into())),
                ("2.0.0", Flag::No),
                ("1.4.0-beta.1", Flag::No),
            ],
            "1.2.0",
        );
        let pick = |spec: &str| npm_pick(&p, "p", spec).map(|(v, _)| v);
        // The latest tag wins when it satisfies.
        assert_eq!(pick("^1.0.0").unwrap(), "1.2.0");
        assert_eq!(pick("latest").unwrap(), "1.2.0");
        assert_eq!(pick(">=2").unwrap(), "2.0.0");
        // A deprecated release only when nothing else satisfies.
        assert_eq!(pick("~1.3.0").unwrap(), "1.3.0");
        assert_eq!(npm_pick(&p, "p", "^1.0.0").unwrap().1, None);
        // Unknown deprecations make a choice among several uncertain.
        let mut q = p.clone();
        q.releases
            .iter_mut()
            .for_each(|r| r.deprecated = Flag::Unknown);
        assert!(npm_pick(&q, "p", "^1.0.0").unwrap().1.is_some());
        assert!(npm_pick(&q, "p", "2.0.0").unwrap().1.is_none());
        assert!(npm_pick(&p, "p", "^3").is_err());
        assert!(npm_pick(&p, "p", "next").is_err());
        assert_eq!(
            npm_spec("x", "npm:@s/y@^2").unwrap(),
            ("@s/y".to_string(), "^2".to_string())
        );
        assert!(npm_spec("x", "github:a/b").is_err());
        assert!(npm_spec("x", "git+https://h/x.git").is_err());
        assert!(npm_spec("x", "file:../x").is_err());
    }

    #[test]
    fn pypi_and_cargo_pick_the_highest_allowed() {
        let mut p = pkg(
            &[
                ("1.0", Flag::No),
                ("1.5", Flag::No),
                ("2.0rc1", Flag::No),
                ("1.9", Flag::No),
            ],
            "1.9",
        );
        p.releases[3].yanked = Flag::Yes("broken".into());
        assert_eq!(pypi_pick(&p, "p", ">=1.0,<2").unwrap(), "1.5");
        assert_eq!(pypi_pick(&p, "p", ">=2.0rc1").unwrap(), "2.0rc1");
        assert_eq!(pypi_pick(&p, "p", "").unwrap(), "1.5");
        assert!(pypi_satisfies("<2", "1.5").unwrap());
        let c = pkg(
            &[
                ("0.1.0", Flag::No),
                ("0.1.5", Flag::No),
                ("0.2.0", Flag::No),
            ],
            "0.2.0",
        );
        assert_eq!(cargo_pick(&c, "c", "^0.1").unwrap(), "0.1.5");
        assert_eq!(cargo_pick(&c, "c", "*").unwrap(), "0.2.0");
        assert!(cargo_pick(&c, "c", "^1").is_err());
    }
}
