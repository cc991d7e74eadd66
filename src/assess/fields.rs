//! One function per TACOS field (or small family): evidence in, value and
//! reason out. Nothing here touches the network; `gather` collected the
//! facts. A value is never guessed: without evidence it is NOASSERTION and
//! the reason says what was missing.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::license::{self, Normalized};
use crate::config::Assessment;
use crate::purl::Purl;
use crate::sources::model::{
    DepsDevVersion, Ecosystem, Flag, GraphNode, RegistryPackage, Release, Scorecard, Vulnerability,
};
use crate::sources::{Found, Lookup};
use crate::tacos::{
    Asserted, Attestation, Evidence, IncomeStream, IncomeType, PackageStatus, ReasonCode, Status,
};
use crate::versions;

/// Everything known about one package version when its statement is made.
#[derive(Debug, Clone)]
pub struct Facts {
    pub purl: Purl,
    pub ecosystem: Ecosystem,
    /// The package's releases (a registry, or deps.dev for ecosystems without one).
    pub registry: Lookup<RegistryPackage>,
    /// deps.dev's view of the latest stable release.
    pub depsdev_latest: Lookup<DepsDevVersion>,
    /// Known vulnerabilities by version, for the versions that were checked.
    pub vulns: HashMap<String, Lookup<Vec<Vulnerability>>>,
    /// Known vulnerabilities of the version this statement's PURL names (the
    /// one in use), reported beside FixedVulnerabilities.
    pub in_use: Option<(String, Lookup<Vec<Vulnerability>>)>,
    /// Direct runtime dependencies of the latest stable release.
    pub dependencies: Lookup<Vec<DependencyFacts>>,
    /// The resolved dependency graph of the latest stable release, each node
    /// with its known vulnerabilities.
    pub graph: Lookup<Vec<(GraphNode, Lookup<Vec<Vulnerability>>)>>,
    pub scorecard: Lookup<Scorecard>,
    /// Where OSV lists the package's vulnerabilities, if OSV covers it.
    pub vulnerabilities_listing: Option<String>,
    pub now: OffsetDateTime,
}

/// What is known of one direct dependency.
#[derive(Debug, Clone)]
pub struct DependencyFacts {
    pub name: String,
    pub latest: Option<String>,
    /// Why `latest` is unknown, when it is.
    pub latest_missing: Option<String>,
    pub deprecated: Flag,
    pub vulns_latest: Lookup<Vec<Vulnerability>>,
}

/// A field's value and the evidence for it.
pub struct Decided<T> {
    pub value: T,
    pub evidence: Evidence,
}

fn decided<T>(value: T, evidence: Evidence) -> Decided<T> {
    Decided { value, evidence }
}

pub fn timestamp(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Evidence drawn from one source's answer.
fn observed<T>(found: &Found<T>, reason: impl Into<String>, what: serde_json::Value) -> Evidence {
    Evidence {
        source: found.source.clone(),
        code: ReasonCode::Observed,
        reason: reason.into(),
        url: Some(found.url.clone()),
        retrieved_at: Some(timestamp(found.at)),
        observed: Some(what),
    }
}

/// Evidence for a value that could not be decided from `lookup`.
fn missing<T>(lookup: &Lookup<T>, what: &str) -> Evidence {
    let (source, code, reason) = match lookup {
        Lookup::Found(f) => (
            f.source.clone(),
            ReasonCode::NoData,
            format!("{what}: {} says nothing that decides it", f.source),
        ),
        Lookup::NotFound { source, .. } => (
            source.clone(),
            ReasonCode::NoData,
            format!("{what}: {source} does not know this package"),
        ),
        Lookup::Unavailable { source, reason } => (
            source.clone(),
            ReasonCode::SourceUnavailable,
            format!("{what}: {source} unavailable ({reason})"),
        ),
        Lookup::NotApplicable { source, why } => (
            source.clone(),
            ReasonCode::NotApplicable,
            format!("{what}: {why}"),
        ),
    };
    let mut e = Evidence::new(source, code, reason);
    if let Lookup::NotFound { url, at, .. } = lookup {
        e.url = Some(url.clone());
        e.retrieved_at = Some(timestamp(*at));
    }
    e
}

fn no_data(source: &str, reason: impl Into<String>) -> Evidence {
    Evidence::new(source, ReasonCode::NoData, reason)
}

// ---- releases -------------------------------------------------------------

/// The newest release that is not a pre-release, not yanked and not
/// deprecated, by the ecosystem's own version order.
pub fn latest_stable(f: &Facts) -> Decided<Option<String>> {
    let Some(found) = f.registry.found() else {
        return decided(None, missing(&f.registry, "no release list"));
    };
    let pkg = &found.value;
    if pkg.removed {
        return decided(
            None,
            observed(
                found,
                "the registry lists no releases (the package was removed)",
                json!({"releases": 0}),
            ),
        );
    }
    match newest_stable(f.ecosystem, &pkg.releases) {
        Some((release, considered, deprecation_known)) => {
            let mut reason = format!(
                "{}: newest of {considered} releases that is not a pre-release, yanked or deprecated, by {} version order",
                release.version,
                ecosystem_order(f.ecosystem)
            );
            if !deprecation_known {
                reason.push_str(" (the registry answer carries no deprecation notices, so a deprecated release could not be excluded)");
            }
            decided(
                Some(release.version.clone()),
                observed(
                    found,
                    reason,
                    json!({"latest": release.version, "registryLatestTag": pkg.latest_tag}),
                ),
            )
        }
        None => decided(
            None,
            observed(
                found,
                format!(
                    "none of {} releases is a stable, unyanked, undeprecated release whose version {} order can read",
                    pkg.releases.len(),
                    ecosystem_order(f.ecosystem)
                ),
                json!({"releases": pkg.releases.len()}),
            ),
        ),
    }
}

fn ecosystem_order(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::Npm => "npm (SemVer)",
        Ecosystem::PyPi => "PEP 440",
        Ecosystem::Cargo => "Cargo (SemVer)",
        Ecosystem::Maven => "Maven",
        Ecosystem::Go => "Go module",
        Ecosystem::RubyGems => "RubyGems",
        Ecosystem::NuGet => "NuGet",
        _ => "SemVer",
    }
}

/// (release, releases considered, whether deprecation was known for it).
pub fn newest_stable(eco: Ecosystem, releases: &[Release]) -> Option<(&Release, usize, bool)> {
    let mut best: Option<&Release> = None;
    for r in releases {
        if versions::is_prerelease(eco, &r.version) != Some(false)
            || r.yanked.is_yes()
            || r.deprecated.is_yes()
        {
            continue;
        }
        best = match best {
            None => Some(r),
            Some(b) => match versions::compare(eco, &r.version, &b.version) {
                Some(Ordering::Greater) => Some(r),
                _ => Some(b),
            },
        };
    }
    best.map(|b| (b, releases.len(), b.deprecated != Flag::Unknown))
}

/// Stable releases, newest first.
pub fn stable_releases(eco: Ecosystem, releases: &[Release]) -> Vec<&Release> {
    let mut v: Vec<&Release> = releases
        .iter()
        .filter(|r| {
            versions::is_prerelease(eco, &r.version) == Some(false)
                && !r.yanked.is_yes()
                && !r.deprecated.is_yes()
        })
        .collect();
    v.sort_by(|a, b| versions::compare(eco, &b.version, &a.version).unwrap_or(Ordering::Equal));
    v
}

pub fn known_releases_url(f: &Facts) -> Decided<Asserted<String>> {
    match f.registry.found() {
        Some(found) if !found.value.releases.is_empty() => decided(
            Asserted::Value(found.url.clone()),
            observed(
                found,
                format!(
                    "{} lists {} releases of the package here",
                    found.source,
                    found.value.releases.len()
                ),
                json!({"releases": found.value.releases.len()}),
            ),
        ),
        _ => decided(
            Asserted::NoAssertion,
            missing(&f.registry, "no release listing"),
        ),
    }
}

fn release<'a>(pkg: &'a RegistryPackage, version: &str) -> Option<&'a Release> {
    pkg.releases.iter().find(|r| r.version == version)
}

// ---- repository, license, funding -------------------------------------------

pub fn upstream_repository(f: &Facts, latest: Option<&str>) -> Decided<Asserted<String>> {
    if let Some(found) = f.registry.found() {
        let pkg = &found.value;
        let from_release = latest
            .and_then(|v| release(pkg, v))
            .and_then(|r| r.repository.clone());
        let candidates = from_release
            .into_iter()
            .map(|r| (r, "the latest stable release's repository field"))
            .chain(
                pkg.repository
                    .clone()
                    .map(|r| (r, "the package's repository field")),
            )
            .chain(
                pkg.links
                    .iter()
                    .filter(|(label, _)| is_source_label(label))
                    .map(|(_, u)| (u.clone(), "a project link labelled as source")),
            );
        for (raw, place) in candidates {
            if let Some(url) = crate::sources::repo_url::normalize(&raw) {
                return decided(
                    Asserted::Value(url.clone()),
                    observed(
                        found,
                        format!("{url} from {place} ({raw:?})"),
                        json!({"declared": raw}),
                    ),
                );
            }
        }
    }
    if let Some(found) = f.depsdev_latest.found() {
        for (label, raw) in &found.value.links {
            if label == "SOURCE_REPO"
                && let Some(url) = crate::sources::repo_url::normalize(raw)
            {
                return decided(
                    Asserted::Value(url.clone()),
                    observed(
                        found,
                        format!("{url} from deps.dev's SOURCE_REPO link ({raw:?})"),
                        json!({"link": raw}),
                    ),
                );
            }
        }
    }
    let mut e = missing(&f.registry, "no repository URL");
    if f.registry.found().is_some() {
        e.reason =
            "no repository URL is declared in the registry metadata or deps.dev links".into();
    }
    decided(Asserted::NoAssertion, e)
}

fn is_source_label(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    ["source", "repository", "code", "github", "source code"]
        .iter()
        .any(|s| l == *s || l.starts_with(&format!("{s} ")))
}

pub fn license_latest(f: &Facts, latest: Option<&str>) -> Decided<Asserted<String>> {
    let Some(version) = latest else {
        return decided(
            Asserted::NoAssertion,
            no_data(
                "tacos-sbom",
                "no latest stable release is known, so its license is not either",
            ),
        );
    };
    let declared = f.registry.found().and_then(|found| {
        release(&found.value, version)
            .and_then(|r| r.license.clone())
            .map(|l| (found, l))
    });
    if let Some((found, declared)) = declared {
        return license_decision(found, &declared, version);
    }
    if let Some(found) = f.depsdev_latest.found()
        && !found.value.licenses.is_empty()
    {
        let joined = if found.value.licenses.len() == 1 {
            found.value.licenses[0].clone()
        } else {
            found
                .value
                .licenses
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        return license_decision(found, &joined, version);
    }
    let mut e = missing(&f.registry, "no license");
    if f.registry.found().is_some() {
        e.reason = format!("release {version} declares no license in the registry metadata");
    }
    decided(Asserted::NoAssertion, e)
}

fn license_decision<T>(
    found: &Found<T>,
    declared: &str,
    version: &str,
) -> Decided<Asserted<String>> {
    match license::normalize(declared) {
        Normalized::Spdx { expression, note } => {
            let mut reason = format!("{expression}: the license {version} declares");
            if let Some(n) = note {
                reason.push_str(&format!(" ({n})"));
            }
            decided(
                Asserted::Value(expression),
                observed(found, reason, json!({"declared": declared})),
            )
        }
        Normalized::Unknown(why) => {
            let mut e = observed(
                found,
                format!("release {version}: {why}"),
                json!({"declared": declared}),
            );
            e.code = ReasonCode::NoData;
            decided(Asserted::NoAssertion, e)
        }
    }
}

pub fn income_streams(f: &Facts, latest: Option<&str>) -> Decided<Asserted<Vec<IncomeStream>>> {
    let Some(found) = f.registry.found() else {
        return decided(
            Asserted::NoAssertion,
            missing(&f.registry, "no funding information"),
        );
    };
    let pkg = &found.value;
    let funding = latest
        .and_then(|v| release(pkg, v))
        .and_then(|r| r.funding.clone())
        .or_else(|| pkg.funding.clone());
    let Some(funding) = funding.filter(|f| !f.is_empty()) else {
        let mut e = observed(
            found,
            "no funding is declared in the registry metadata (which does not show that there is none)",
            json!({"funding": null}),
        );
        e.code = ReasonCode::NoData;
        return decided(Asserted::NoAssertion, e);
    };
    let now = timestamp(f.now);
    let streams: Vec<IncomeStream> = funding
        .iter()
        .filter(|x| x.url.starts_with("https://") || x.url.starts_with("http://"))
        .map(|x| IncomeStream {
            kind: match x.kind.as_deref() {
                Some("tidelift") => IncomeType::Lifted,
                _ => IncomeType::Variable,
            },
            evidence_url: x.url.clone(),
            last_modified: now.clone(),
        })
        .collect();
    if streams.is_empty() {
        return decided(
            Asserted::NoAssertion,
            observed(
                found,
                "funding is declared but without a usable URL",
                json!({"funding": funding.iter().map(|x| &x.url).collect::<Vec<_>>()}),
            ),
        );
    }
    let reason = format!(
        "{} funding link(s) declared in the registry metadata: Tidelift counts as Lifted, sponsorship platforms as Variable",
        streams.len()
    );
    decided(
        Asserted::Value(streams),
        observed(
            found,
            reason,
            json!({"funding": funding.iter().map(|x| json!({"type": x.kind, "url": x.url})).collect::<Vec<_>>()}),
        ),
    )
}

// ---- vulnerabilities ----------------------------------------------------------

fn unwithdrawn(v: &[Vulnerability]) -> Vec<&Vulnerability> {
    v.iter().filter(|x| !x.withdrawn).collect()
}

fn ids(v: &[&Vulnerability]) -> String {
    v.iter()
        .map(|x| x.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// FixedVulnerabilities: the latest stable release has no known, unwithdrawn vulnerability.
pub fn fixed_vulnerabilities(f: &Facts, latest: Option<&str>) -> Decided<Attestation> {
    let Some(version) = latest else {
        return decided(
            Attestation::NoAssertion,
            no_data("tacos-sbom", "no latest stable release is known to check"),
        );
    };
    let Some(lookup) = f.vulns.get(version) else {
        return decided(
            Attestation::NoAssertion,
            no_data(
                "tacos-sbom",
                format!("release {version} was not checked for vulnerabilities"),
            ),
        );
    };
    let mut d = match lookup.found() {
        Some(found) => {
            let live = unwithdrawn(&found.value);
            if live.is_empty() {
                decided(
                    Attestation::True,
                    observed(
                        found,
                        format!(
                            "no known vulnerability affects the latest stable release {version}"
                        ),
                        json!({"version": version, "vulnerabilities": []}),
                    ),
                )
            } else {
                decided(
                    Attestation::False,
                    observed(
                        found,
                        format!(
                            "the latest stable release {version} is affected by {}",
                            ids(&live)
                        ),
                        json!({"version": version, "vulnerabilities": live.iter().map(|v| &v.id).collect::<Vec<_>>()}),
                    ),
                )
            }
        }
        None => decided(
            Attestation::NoAssertion,
            missing(lookup, &format!("vulnerabilities of {version} unknown")),
        ),
    };
    // The version in use is not what the field asks about, but a reviewer
    // needs it next to the answer.
    if let Some((v, l)) = &f.in_use
        && v != version
    {
        let note = match l.found() {
            Some(x) => {
                let live = unwithdrawn(&x.value);
                let fixed: Vec<&str> = live
                    .iter()
                    .flat_map(|x| x.fixed_in.iter().map(String::as_str))
                    .collect();
                if live.is_empty() {
                    json!({"version": v, "vulnerabilities": [], "fixedIn": []})
                } else {
                    d.evidence.reason.push_str(&format!(
                        "; the version in use, {v}, is affected by {}",
                        ids(&live)
                    ));
                    json!({"version": v, "vulnerabilities": live.iter().map(|x| &x.id).collect::<Vec<_>>(), "fixedIn": fixed})
                }
            }
            None => json!({"version": v, "unknown": l.why_not()}),
        };
        let obs = d.evidence.observed.get_or_insert_with(|| json!({}));
        if let Some(o) = obs.as_object_mut() {
            o.insert("inUse".into(), note);
        }
    }
    d
}

/// CleanReleaseAvailable: some release has no known vulnerability, itself or
/// in its resolved dependencies. True needs a release with no known
/// vulnerability and a resolved dependency graph with none either (or no
/// dependencies); False needs every stable release to be affected itself.
pub fn clean_release_available(f: &Facts, latest: Option<&str>) -> Decided<Attestation> {
    let Some(found) = f.registry.found() else {
        return decided(
            Attestation::NoAssertion,
            missing(&f.registry, "no release list"),
        );
    };
    let stable = stable_releases(f.ecosystem, &found.value.releases);
    if stable.is_empty() {
        return decided(
            Attestation::NoAssertion,
            no_data(&found.source, "there is no stable release to check"),
        );
    }
    let mut all_affected = true;
    let mut checked = 0;
    for r in &stable {
        let Some(lookup) = f.vulns.get(&r.version) else {
            all_affected = false;
            continue;
        };
        let Some(v) = lookup.found() else {
            all_affected = false;
            continue;
        };
        checked += 1;
        let live = unwithdrawn(&v.value);
        if !live.is_empty() {
            continue;
        }
        all_affected = false;
        // A release clean itself: its dependencies decide.
        if Some(r.version.as_str()) != latest {
            continue;
        }
        let declared = r
            .dependencies
            .as_ref()
            .map(|d| d.iter().filter(|x| counts_at_runtime(x.kind)).count());
        if declared == Some(0) {
            return decided(
                Attestation::True,
                observed(
                    v,
                    format!(
                        "release {} has no known vulnerability and no runtime dependencies",
                        r.version
                    ),
                    json!({"version": r.version, "dependencies": 0}),
                ),
            );
        }
        match f.graph.found() {
            Some(graph) => {
                let mut unknown = Vec::new();
                let mut dirty = Vec::new();
                for (node, nv) in &graph.value {
                    if node.relation == "SELF" {
                        continue;
                    }
                    match nv.found() {
                        Some(x) if unwithdrawn(&x.value).is_empty() => {}
                        Some(x) => dirty.push(format!(
                            "{}@{} ({})",
                            node.name,
                            node.version,
                            ids(&unwithdrawn(&x.value))
                        )),
                        None => unknown.push(format!("{}@{}", node.name, node.version)),
                    }
                }
                if dirty.is_empty() && unknown.is_empty() {
                    return decided(
                        Attestation::True,
                        observed(
                            graph,
                            format!(
                                "release {} and the {} packages of its resolved dependency graph have no known vulnerability",
                                r.version,
                                graph.value.len().saturating_sub(1)
                            ),
                            json!({"version": r.version, "graphSize": graph.value.len()}),
                        ),
                    );
                }
                let mut e = observed(
                    graph,
                    if dirty.is_empty() {
                        format!(
                            "release {} has no known vulnerability, but these dependencies could not be checked: {}",
                            r.version,
                            unknown.join(", ")
                        )
                    } else {
                        format!(
                            "release {} has no known vulnerability itself, but its resolved dependencies do: {}",
                            r.version,
                            dirty.join("; ")
                        )
                    },
                    json!({"version": r.version, "affectedDependencies": dirty, "unchecked": unknown}),
                );
                e.code = ReasonCode::NoData;
                return decided(Attestation::NoAssertion, e);
            }
            None => {
                let mut e = missing(
                    &f.graph,
                    &format!(
                        "release {} has no known vulnerability itself, but its resolved dependency graph is unknown",
                        r.version
                    ),
                );
                e.code = ReasonCode::NoData;
                return decided(Attestation::NoAssertion, e);
            }
        }
    }
    if all_affected && checked == stable.len() {
        return decided(
            Attestation::False,
            observed(
                found,
                format!(
                    "every one of the {checked} stable releases is affected by a known vulnerability"
                ),
                json!({"stableReleases": checked}),
            ),
        );
    }
    decided(
        Attestation::NoAssertion,
        no_data(
            "tacos-sbom",
            format!(
                "{checked} of {} stable releases were checked; no clean release with a known dependency graph was found",
                stable.len()
            ),
        ),
    )
}

fn counts_at_runtime(kind: crate::sources::model::DependencyKind) -> bool {
    use crate::sources::model::DependencyKind::*;
    matches!(kind, Normal | Optional)
}

/// DependenciesAreManaged: the latest release's dependencies all have no
/// known vulnerability in their latest releases and none is deprecated.
pub fn dependencies_are_managed(f: &Facts, latest: Option<&str>) -> Decided<Attestation> {
    let Some(version) = latest else {
        return decided(
            Attestation::NoAssertion,
            no_data("tacos-sbom", "no latest stable release is known"),
        );
    };
    let Some(deps) = f.dependencies.found() else {
        return decided(
            Attestation::NoAssertion,
            missing(
                &f.dependencies,
                &format!("the dependencies of {version} are unknown"),
            ),
        );
    };
    if deps.value.is_empty() {
        return decided(
            Attestation::True,
            observed(
                deps,
                format!("release {version} has no runtime dependencies"),
                json!({"dependencies": []}),
            ),
        );
    }
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    for d in &deps.value {
        if let Flag::Yes(msg) = &d.deprecated {
            bad.push(format!("{} is deprecated ({msg})", d.name));
        }
        match (&d.latest, d.vulns_latest.found()) {
            (Some(l), Some(v)) => {
                let live = unwithdrawn(&v.value);
                if !live.is_empty() {
                    bad.push(format!("{}@{l} is affected by {}", d.name, ids(&live)));
                }
            }
            (Some(l), None) => {
                unknown.push(format!("{}@{l}: {}", d.name, d.vulns_latest.why_not()))
            }
            (None, _) => unknown.push(format!(
                "{}: {}",
                d.name,
                d.latest_missing
                    .as_deref()
                    .unwrap_or("latest release unknown")
            )),
        }
        if d.deprecated == Flag::Unknown {
            unknown.push(format!("{}: deprecation unknown", d.name));
        }
    }
    let summary = json!({"dependencies": deps.value.iter().map(|d| json!({"name": d.name, "latest": d.latest})).collect::<Vec<_>>(), "problems": bad, "unknown": unknown});
    if !bad.is_empty() {
        return decided(
            Attestation::False,
            observed(
                deps,
                format!("dependencies of {version}: {}", bad.join("; ")),
                summary,
            ),
        );
    }
    if !unknown.is_empty() {
        let mut e = observed(
            deps,
            format!(
                "{} dependencies of {version} could not be fully checked: {}",
                unknown.len(),
                unknown.join("; ")
            ),
            summary,
        );
        e.code = ReasonCode::NoData;
        return decided(Attestation::NoAssertion, e);
    }
    decided(
        Attestation::True,
        observed(
            deps,
            format!(
                "the {} runtime dependencies of {version} have no known vulnerability in their latest releases and none is deprecated",
                deps.value.len()
            ),
            summary,
        ),
    )
}

pub fn known_vulnerabilities_url(f: &Facts) -> Decided<Asserted<String>> {
    match &f.vulnerabilities_listing {
        Some(url) => decided(
            Asserted::Value(url.clone()),
            Evidence::new(
                "OSV",
                ReasonCode::FromPurl,
                format!(
                    "OSV's listing of {} advisories for this package",
                    f.ecosystem.osv_name().unwrap_or("")
                ),
            ),
        ),
        None => decided(
            Asserted::NoAssertion,
            Evidence::new(
                "OSV",
                ReasonCode::NotApplicable,
                "OSV does not cover this package's ecosystem",
            ),
        ),
    }
}

// ---- maintainers and status --------------------------------------------------

pub fn multiple_maintainers(f: &Facts) -> Decided<Attestation> {
    let Some(found) = f.registry.found() else {
        return decided(
            Attestation::NoAssertion,
            missing(&f.registry, "maintainers unknown"),
        );
    };
    match &found.value.maintainers {
        Some(m) if m.len() > 1 => decided(
            Attestation::True,
            observed(
                found,
                format!("{} maintainers can publish in {}", m.len(), found.source),
                json!({"maintainers": m}),
            ),
        ),
        Some(m) if m.len() == 1 => decided(
            Attestation::False,
            observed(
                found,
                format!("1 maintainer can publish in {}", found.source),
                json!({"maintainers": m}),
            ),
        ),
        _ => {
            let mut e = observed(
                found,
                format!(
                    "{}'s answer does not list maintainers (mirrors strip them)",
                    found.source
                ),
                json!({"maintainers": null}),
            );
            e.code = ReasonCode::NoData;
            decided(Attestation::NoAssertion, e)
        }
    }
}

pub fn package_status(
    f: &Facts,
    latest: Option<&str>,
    cfg: &Assessment,
) -> Decided<Asserted<PackageStatus>> {
    let Some(found) = f.registry.found() else {
        return decided(
            Asserted::NoAssertion,
            missing(&f.registry, "status unknown"),
        );
    };
    let pkg = &found.value;
    let status = |s: Status| {
        Asserted::Value(PackageStatus {
            status: s,
            last_modified: timestamp(f.now),
        })
    };
    if pkg.removed {
        return decided(
            status(Status::Removed),
            observed(
                found,
                format!(
                    "{} lists no releases: the package was removed",
                    found.source
                ),
                json!({"releases": 0}),
            ),
        );
    }
    if !pkg.releases.is_empty() && pkg.releases.iter().all(|r| r.yanked.is_yes()) {
        return decided(
            status(Status::Removed),
            observed(
                found,
                "every release is yanked",
                json!({"releases": pkg.releases.len()}),
            ),
        );
    }
    let tag = pkg.latest_tag.as_deref().or(latest);
    let current = tag.and_then(|v| release(pkg, v));
    let depsdev_deprecated = f
        .depsdev_latest
        .found()
        .and_then(|d| d.value.is_deprecated.map(|x| (d, x)));
    match (current.map(|r| &r.deprecated), depsdev_deprecated) {
        (Some(Flag::Yes(msg)), _) => {
            return decided(
                status(Status::Deprecated),
                observed(
                    found,
                    format!("release {} is deprecated: {msg}", tag.unwrap_or_default()),
                    json!({"deprecated": msg}),
                ),
            );
        }
        (_, Some((d, true))) => {
            let why = d.value.deprecated_reason.clone().unwrap_or_default();
            return decided(
                status(Status::Deprecated),
                observed(
                    d,
                    format!("deps.dev marks {} deprecated {why}", d.value.version),
                    json!({"isDeprecated": true}),
                ),
            );
        }
        (Some(Flag::No), _) | (_, Some((_, false))) => {}
        _ => {
            let mut e = observed(
                found,
                "whether the package is deprecated is unknown: the registry answer carries no deprecation notices",
                json!({"deprecation": null}),
            );
            e.code = ReasonCode::NoData;
            return decided(Asserted::NoAssertion, e);
        }
    }
    if pkg
        .classifiers
        .iter()
        .any(|c| c.contains("Development Status :: 7 - Inactive"))
    {
        return decided(
            status(Status::Inactive),
            observed(
                found,
                "the package declares the classifier Development Status :: 7 - Inactive",
                json!({"classifier": "Development Status :: 7 - Inactive"}),
            ),
        );
    }
    if !pkg.times_trustworthy {
        let mut e = observed(
            found,
            "release times are unknown (the registry answer has no trustworthy publish times)",
            json!({"times": null}),
        );
        e.code = ReasonCode::NoData;
        return decided(Asserted::NoAssertion, e);
    }
    let newest = pkg
        .releases
        .iter()
        .filter_map(|r| r.published.map(|p| (p, &r.version)))
        .max_by_key(|(p, _)| *p);
    let Some((when, version)) = newest else {
        let mut e = observed(
            found,
            "no release has a publish time",
            json!({"times": null}),
        );
        e.code = ReasonCode::NoData;
        return decided(Asserted::NoAssertion, e);
    };
    let days = (f.now - when).whole_days();
    let obs = json!({"newestRelease": version, "published": timestamp(when), "days": days, "threshold": cfg.inactive_after_days});
    if days > cfg.inactive_after_days {
        decided(
            status(Status::Inactive),
            observed(
                found,
                format!(
                    "the newest release ({version}) is {days} days old, over the {}-day threshold",
                    cfg.inactive_after_days
                ),
                obs,
            ),
        )
    } else {
        decided(
            status(Status::Active),
            observed(
                found,
                format!(
                    "not deprecated; the newest release ({version}) is {days} days old, within the {}-day threshold",
                    cfg.inactive_after_days
                ),
                obs,
            ),
        )
    }
}

// ---- OpenSSF Scorecard ---------------------------------------------------------

fn scorecard_check(f: &Facts, check: &str, threshold: i32, field: &str) -> Decided<Attestation> {
    let Some(found) = f.scorecard.found() else {
        return decided(
            Attestation::NoAssertion,
            missing(&f.scorecard, &format!("no Scorecard result for {field}")),
        );
    };
    let Some(c) = found.value.check(check) else {
        let mut e = observed(
            found,
            format!("the Scorecard result has no {check} check"),
            json!({"check": check}),
        );
        e.code = ReasonCode::NoData;
        return decided(Attestation::NoAssertion, e);
    };
    let obs = json!({"repository": found.value.repository, "check": check, "score": c.score, "threshold": threshold, "reason": c.reason});
    if c.score < 0 {
        let mut e = observed(
            found,
            format!("Scorecard's {check} check was inconclusive (-1)"),
            obs,
        );
        e.code = ReasonCode::NoData;
        return decided(Attestation::NoAssertion, e);
    }
    if c.score >= threshold {
        decided(
            Attestation::True,
            observed(
                found,
                format!(
                    "Scorecard {check} scores {}/10, at or above the threshold {threshold}",
                    c.score
                ),
                obs,
            ),
        )
    } else {
        decided(
            Attestation::False,
            observed(
                found,
                format!(
                    "Scorecard {check} scores {}/10, below the threshold {threshold}",
                    c.score
                ),
                obs,
            ),
        )
    }
}

pub fn no_binaries(f: &Facts, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(
        f,
        "Binary-Artifacts",
        cfg.scorecard_binary_artifacts,
        "NoBinariesInRepository",
    )
}

pub fn code_review(f: &Facts, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(
        f,
        "Code-Review",
        cfg.scorecard_code_review,
        "CodeReviewPractice",
    )
}

pub fn fuzzing(f: &Facts, cfg: &Assessment) -> Decided<Attestation> {
    scorecard_check(f, "Fuzzing", cfg.scorecard_fuzzing, "FuzzingPractice")
}

/// SecurityResponsive: Scorecard's Maintained and Security-Policy checks both
/// pass; False when both are conclusive and fail.
pub fn security_responsive(f: &Facts, cfg: &Assessment) -> Decided<Attestation> {
    let Some(found) = f.scorecard.found() else {
        return decided(
            Attestation::NoAssertion,
            missing(&f.scorecard, "no Scorecard result"),
        );
    };
    let m = found.value.check("Maintained").map(|c| c.score);
    let p = found.value.check("Security-Policy").map(|c| c.score);
    let obs = json!({"repository": found.value.repository, "Maintained": m, "Security-Policy": p, "thresholds": [cfg.scorecard_maintained, cfg.scorecard_security_policy]});
    match (m, p) {
        (Some(m), Some(p))
            if m >= cfg.scorecard_maintained && p >= cfg.scorecard_security_policy =>
        {
            decided(
                Attestation::True,
                observed(
                    found,
                    format!(
                        "Scorecard Maintained {m}/10 and Security-Policy {p}/10 meet the thresholds ({} and {})",
                        cfg.scorecard_maintained, cfg.scorecard_security_policy
                    ),
                    obs,
                ),
            )
        }
        (Some(m), Some(p))
            if (0..cfg.scorecard_maintained).contains(&m)
                && (0..cfg.scorecard_security_policy).contains(&p) =>
        {
            decided(
                Attestation::False,
                observed(
                    found,
                    format!(
                        "Scorecard Maintained {m}/10 and Security-Policy {p}/10 are both below the thresholds"
                    ),
                    obs,
                ),
            )
        }
        _ => {
            let mut e = observed(
                found,
                "Scorecard's Maintained and Security-Policy checks do not agree or are inconclusive",
                obs,
            );
            e.code = ReasonCode::NoData;
            decided(Attestation::NoAssertion, e)
        }
    }
}

/// The security policy GitHub shows for a repository whose policy Scorecard found.
pub fn security_policy(f: &Facts) -> (Decided<Asserted<String>>, Decided<Asserted<String>>) {
    let none = |e: Evidence| {
        (
            decided(Asserted::NoAssertion, e.clone()),
            decided(Asserted::NoAssertion, e),
        )
    };
    let Some(found) = f.scorecard.found() else {
        return none(missing(&f.scorecard, "no Scorecard result"));
    };
    let score = found.value.check("Security-Policy").map(|c| c.score);
    let repo = &found.value.repository;
    match score {
        Some(s) if s > 0 && repo.starts_with("github.com/") => {
            let url = format!("https://{repo}/security/policy");
            let policy = decided(
                Asserted::Value(url.clone()),
                observed(
                    found,
                    format!("Scorecard found a security policy ({s}/10); GitHub shows it at {url}"),
                    json!({"Security-Policy": s}),
                ),
            );
            let contact = decided(
                Asserted::Value(url.clone()),
                observed(
                    found,
                    format!(
                        "the security policy at {url} is the published way to report vulnerabilities"
                    ),
                    json!({"Security-Policy": s}),
                ),
            );
            (policy, contact)
        }
        Some(s) => {
            let mut e = observed(
                found,
                format!("Scorecard found no usable security policy (Security-Policy {s}/10)"),
                json!({"Security-Policy": s}),
            );
            e.code = ReasonCode::NoData;
            none(e)
        }
        None => {
            let mut e = observed(
                found,
                "the Scorecard result has no Security-Policy check",
                json!({}),
            );
            e.code = ReasonCode::NoData;
            none(e)
        }
    }
}

pub fn attested_only(field: &str) -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::AttestedOnly,
        format!(
            "{field} can only be set by a maintainer's attestation or a published TACOS report, and none set it"
        ),
    )
}

pub fn sbom_list() -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::NoData,
        "no source consulted lists a published SBOM for the latest release",
    )
}
