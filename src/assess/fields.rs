//! One function per TACOS field (or small family): evidence in, value and
//! reason out. Nothing here touches the network; `gather` collected the
//! facts. A True or a value is made only with a [`Closed`] witness (see
//! [`super::verdict`]): complete, well-formed, current evidence about
//! exactly this package. Without it a field is False when a problem was
//! found, else NOASSERTION with a reason that names what was incomplete.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::json;
use time::OffsetDateTime;

use super::resolve::Resolved;
use super::verdict::{Adverse, Decided, incomplete};
use crate::config::Assessment;
use crate::license::{self, Normalized};
use crate::purl::Ecosystem;
use crate::purl::Purl;
use crate::sources::model::{
    DepsDevVersion, Flag, RegistryPackage, Release, Scorecard, Vulnerability,
};
use crate::sources::{Closed, Coverage, Found, Lookup, repo_url};
use crate::tacos::{
    Asserted, Attestation, Evidence, IncomeStream, IncomeType, PackageStatus, ReasonCode, timestamp,
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
    /// Whether every stable release was checked (an offline database checks
    /// them all; the OSV API is asked about the newest few).
    pub all_releases_checked: bool,
    /// Known vulnerabilities of the version this statement's PURL names (the
    /// one in use), reported beside FixedVulnerabilities.
    pub in_use: Option<(String, Lookup<Vec<Vulnerability>>)>,
    /// Resolved dependency graphs by release (the latest stable release,
    /// and the newest releases that are clean themselves).
    pub graphs: HashMap<String, Graph>,
    /// Scorecard's result for the validated upstream repository (not
    /// applicable when there is none).
    pub scorecard: Lookup<Scorecard>,
    /// Where OSV lists the package's vulnerabilities, if OSV covers it.
    pub vulnerabilities_listing: Option<String>,
    pub now: OffsetDateTime,
}

/// A resolved graph and what is known of each node's vulnerabilities
/// (in the order of `resolved.nodes`).
#[derive(Debug, Clone)]
pub struct Graph {
    pub resolved: Resolved,
    pub vulns: Vec<Lookup<Vec<Vulnerability>>>,
}

/// Evidence drawn from one source's answer.
fn observed<T>(found: &Found<T>, reason: impl Into<String>, what: serde_json::Value) -> Evidence {
    let mut e = Evidence::new(found.source.clone(), ReasonCode::Observed, reason);
    e.url = Some(found.url.clone());
    e.retrieved_at = Some(timestamp(found.at));
    if found.as_of != found.at {
        e.as_of = Some(timestamp(found.as_of));
    }
    if found.coverage != Coverage::Complete {
        e.coverage = Some(found.coverage.word().to_string());
    }
    e.observed = Some(what);
    e
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
        Lookup::Malformed { source, reason, .. } => (
            source.clone(),
            ReasonCode::MalformedAnswer,
            format!("{what}: {reason}"),
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
    match lookup {
        Lookup::NotFound { url, at, .. } => {
            e.url = Some(url.clone());
            e.retrieved_at = Some(timestamp(*at));
        }
        Lookup::Malformed { url, .. } => e.url = Some(url.clone()),
        _ => {}
    }
    e
}

fn no_data(source: &str, reason: impl Into<String>) -> Evidence {
    Evidence::new(source, ReasonCode::NoData, reason)
}

fn with_code(mut e: Evidence, code: ReasonCode) -> Evidence {
    e.code = code;
    e
}

// ---- releases -------------------------------------------------------------

/// The latest stable release, whether it is established, and the evidence.
pub struct Latest {
    pub version: Option<String>,
    /// Closed when the release list is complete and every fact that could
    /// make another release the latest (yanks, deprecations, readable
    /// versions) is known.
    pub closed: Result<Closed, String>,
    pub decided: Decided<Asserted<String>>,
}

/// The newest release that is not a pre-release, not yanked and not
/// deprecated, by the ecosystem's own version order.
pub fn latest_stable(f: &Facts) -> Latest {
    let none = |e: Evidence, why: String| Latest {
        version: None,
        closed: Err(why),
        decided: Decided::unknown(e),
    };
    let Some(found) = f.registry.found() else {
        return none(
            missing(&f.registry, "no release list"),
            f.registry.why_not(),
        );
    };
    let pkg = &found.value;
    if pkg.removed {
        return none(
            with_code(
                observed(
                    found,
                    "the registry lists no releases (the package was removed)",
                    json!({"releases": 0}),
                ),
                ReasonCode::NoData,
            ),
            "the package was removed".into(),
        );
    }
    let Some((release, considered)) = newest_stable(f.ecosystem, &pkg.releases) else {
        return none(
            with_code(
                observed(
                    found,
                    format!(
                        "none of {} releases is a stable, unyanked, undeprecated release whose version {} order can read",
                        pkg.releases.len(),
                        ecosystem_order(f.ecosystem)
                    ),
                    json!({"releases": pkg.releases.len()}),
                ),
                ReasonCode::NoData,
            ),
            "no stable release".into(),
        );
    };
    let version = release.version.clone();
    // A version the ecosystem's order cannot read might be the newest,
    // except where the client never installs one: pip skips versions that
    // are not PEP 440, and the npm and Cargo registries accept only SemVer.
    let unreadable: Vec<&str> = match f.ecosystem {
        Ecosystem::PyPi | Ecosystem::Npm | Ecosystem::Cargo => vec![],
        eco => pkg
            .releases
            .iter()
            .filter(|r| versions::is_prerelease(eco, &r.version).is_none())
            .map(|r| r.version.as_str())
            .collect(),
    };
    let closed = Closed::all([
        found.closed(),
        Closed::check(release.deprecated != Flag::Unknown, || {
            format!(
                "whether {version} is deprecated is unknown (the registry answer carries no deprecation notices)"
            )
        }),
        Closed::check(release.yanked != Flag::Unknown, || {
            format!("whether {version} was withdrawn is unknown")
        }),
        Closed::check(unreadable.is_empty(), || {
            format!(
                "{} release(s) have versions {} order cannot read, so a newer one cannot be ruled out ({})",
                unreadable.len(),
                ecosystem_order(f.ecosystem),
                unreadable
                    .iter()
                    .take(5)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    ]);
    let e = observed(
        found,
        format!(
            "{version}: newest of {considered} releases that is not a pre-release, yanked or deprecated, by {} version order",
            ecosystem_order(f.ecosystem)
        ),
        json!({"latest": version, "registryLatestTag": pkg.latest_tag}),
    );
    let decided = match &closed {
        Ok(c) => Decided::asserted(*c, version.clone(), e),
        Err(why) => Decided::unknown(incomplete(e, why)),
    };
    Latest {
        version: Some(version),
        closed,
        decided,
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

/// (release, releases considered).
pub fn newest_stable(eco: Ecosystem, releases: &[Release]) -> Option<(&Release, usize)> {
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
    best.map(|b| (b, releases.len()))
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
        Some(found) if !found.value.releases.is_empty() => {
            let e = observed(
                found,
                format!(
                    "{} lists {} releases of the package here",
                    found.source,
                    found.value.releases.len()
                ),
                json!({"releases": found.value.releases.len()}),
            );
            match found.closed() {
                Ok(c) => Decided::asserted(c, found.url.clone(), e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        _ => Decided::unknown(missing(&f.registry, "no release listing")),
    }
}

// ---- repository, license, funding -------------------------------------------

/// The upstream repository, validated: from a repository field or a link
/// the registry labels as the source (never a homepage, never an issues or
/// CI page), else deps.dev's SOURCE_REPO link.
pub struct Repository {
    pub url: String,
    pub raw: String,
    pub place: &'static str,
    pub closed: Result<Closed, String>,
    evidence: Evidence,
}

pub fn repository(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: Option<&str>,
) -> Option<Repository> {
    if let Some(found) = registry.found() {
        let pkg = &found.value;
        let from_release = latest
            .and_then(|v| pkg.release(v))
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
                    .filter(|(label, _)| repo_url::is_source_label(label))
                    .map(|(_, u)| (u.clone(), "a project link labelled as the source")),
            );
        for (raw, place) in candidates {
            if let Some(url) = repo_url::repository(&raw) {
                let evidence = observed(
                    found,
                    format!("{url} from {place} ({raw:?})"),
                    json!({"declared": raw}),
                );
                return Some(Repository {
                    closed: found.closed(),
                    url,
                    raw,
                    place,
                    evidence,
                });
            }
        }
    }
    let found = depsdev.found()?;
    found
        .value
        .links
        .iter()
        .filter(|(label, _)| label == "SOURCE_REPO")
        .find_map(|(_, raw)| {
            let url = repo_url::repository(raw)?;
            Some(Repository {
                evidence: observed(
                    found,
                    format!("{url} from deps.dev's SOURCE_REPO link ({raw:?})"),
                    json!({"link": raw}),
                ),
                closed: found.closed(),
                url,
                raw: raw.clone(),
                place: "deps.dev's SOURCE_REPO link",
            })
        })
}

pub fn upstream_repository(f: &Facts, latest: Option<&str>) -> Decided<Asserted<String>> {
    match repository(&f.registry, &f.depsdev_latest, latest) {
        Some(r) => match r.closed {
            Ok(c) => Decided::asserted(c, r.url, r.evidence),
            Err(why) => Decided::unknown(incomplete(r.evidence, &why)),
        },
        None => {
            let mut e = missing(&f.registry, "no repository URL");
            if f.registry.found().is_some() {
                e.code = ReasonCode::NoData;
                e.reason = "no repository URL is declared in a repository field or a link labelled as the source (a homepage is not taken for the repository), and deps.dev gives none".into();
            }
            Decided::unknown(e)
        }
    }
}

pub fn license_latest(f: &Facts, latest: &Latest) -> Decided<Asserted<String>> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            "no latest stable release is known, so its license is not either",
        ));
    };
    let declared = f.registry.found().and_then(|found| {
        found
            .value
            .release(version)
            .and_then(|r| r.license.clone())
            .map(|l| (found, l))
    });
    if let Some((found, declared)) = declared {
        return license_decision(found, &declared, version, latest);
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
        return license_decision(found, &joined, version, latest);
    }
    let mut e = missing(&f.registry, "no license");
    if f.registry.found().is_some() {
        e.code = ReasonCode::NoData;
        e.reason = format!("release {version} declares no license in the registry metadata");
    }
    Decided::unknown(e)
}

fn license_decision<T>(
    found: &Found<T>,
    declared: &str,
    version: &str,
    latest: &Latest,
) -> Decided<Asserted<String>> {
    match license::normalize(declared) {
        Normalized::Spdx { expression, note } => {
            let mut reason = format!("{expression}: the license {version} declares");
            if let Some(n) = note {
                reason.push_str(&format!(" ({n})"));
            }
            let e = observed(found, reason, json!({"declared": declared}));
            match Closed::all([found.closed(), latest.closed.clone()]) {
                Ok(c) => Decided::asserted(c, expression, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        Normalized::Unknown(why) => Decided::unknown(with_code(
            observed(
                found,
                format!("release {version}: {why}"),
                json!({"declared": declared}),
            ),
            ReasonCode::NoData,
        )),
    }
}

pub fn income_streams(f: &Facts, latest: Option<&str>) -> Decided<Asserted<Vec<IncomeStream>>> {
    let Some(found) = f.registry.found() else {
        return Decided::unknown(missing(&f.registry, "no funding information"));
    };
    let pkg = &found.value;
    let funding = latest
        .and_then(|v| pkg.release(v))
        .and_then(|r| r.funding.clone())
        .or_else(|| pkg.funding.clone());
    let Some(funding) = funding.filter(|f| !f.is_empty()) else {
        return Decided::unknown(with_code(
            observed(
                found,
                "no funding is declared in the registry metadata (which does not show that there is none)",
                json!({"funding": null}),
            ),
            ReasonCode::NoData,
        ));
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
        return Decided::unknown(with_code(
            observed(
                found,
                "funding is declared but without a usable URL",
                json!({"funding": funding.iter().map(|x| &x.url).collect::<Vec<_>>()}),
            ),
            ReasonCode::NoData,
        ));
    }
    let e = observed(
        found,
        format!(
            "{} funding link(s) declared in the registry metadata: Tidelift counts as Lifted, sponsorship platforms as Variable",
            streams.len()
        ),
        json!({"funding": funding.iter().map(|x| json!({"type": x.kind, "url": x.url})).collect::<Vec<_>>()}),
    );
    match found.closed() {
        Ok(c) => Decided::asserted(c, streams, e),
        Err(why) => Decided::unknown(incomplete(e, &why)),
    }
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
pub fn fixed_vulnerabilities(f: &Facts, latest: &Latest) -> Decided<Attestation> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            "no latest stable release is known to check",
        ));
    };
    let Some(lookup) = f.vulns.get(version) else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            format!("release {version} was not checked for vulnerabilities"),
        ));
    };
    let mut d = match lookup.found() {
        Some(found) => {
            let live = unwithdrawn(&found.value);
            if live.is_empty() {
                let e = observed(
                    found,
                    format!("no known vulnerability affects the latest stable release {version}"),
                    json!({"version": version, "vulnerabilities": []}),
                );
                match Closed::all([found.closed(), latest.closed.clone()]) {
                    Ok(c) => Decided::proven(c, e),
                    Err(why) => Decided::unknown(incomplete(e, &why)),
                }
            } else {
                Decided::refuted(observed(
                    found,
                    format!(
                        "the latest stable release {version} is affected by {}",
                        ids(&live)
                    ),
                    json!({"version": version, "vulnerabilities": live.iter().map(|v| &v.id).collect::<Vec<_>>()}),
                ))
            }
        }
        None => Decided::unknown(missing(
            lookup,
            &format!("vulnerabilities of {version} unknown"),
        )),
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
                    d.evidence_mut().reason.push_str(&format!(
                        "; the version in use, {v}, is affected by {}",
                        ids(&live)
                    ));
                    json!({"version": v, "vulnerabilities": live.iter().map(|x| &x.id).collect::<Vec<_>>(), "fixedIn": fixed})
                }
            }
            None => json!({"version": v, "unknown": l.why_not()}),
        };
        let obs = d.evidence_mut().observed.get_or_insert_with(|| json!({}));
        if let Some(o) = obs.as_object_mut() {
            o.insert("inUse".into(), note);
        }
    }
    d
}

/// What a resolved graph shows: the problems found (vulnerable, deprecated
/// or removed packages) and why it cannot show their absence.
struct GraphFindings {
    problems: Vec<String>,
    unknown: Vec<String>,
}

fn graph_findings(g: &Graph, count_deprecation: bool) -> GraphFindings {
    let mut problems: Vec<String> = g
        .resolved
        .removed
        .iter()
        .map(|r| format!("{r} has been removed from the registry"))
        .collect();
    let mut unknown: Vec<String> = g.resolved.gaps.clone();
    for (n, l) in g.resolved.nodes.iter().zip(&g.vulns) {
        match l.found() {
            Some(x) => {
                let live = unwithdrawn(&x.value);
                if !live.is_empty() {
                    problems.push(format!(
                        "{}@{} (via {}) is affected by {}",
                        n.name,
                        n.version,
                        n.via,
                        ids(&live)
                    ));
                } else if let Err(why) = x.closed() {
                    unknown.push(format!("{}@{}: {why}", n.name, n.version));
                }
            }
            None => unknown.push(format!("{}@{}: {}", n.name, n.version, l.why_not())),
        }
        if count_deprecation {
            match &n.deprecated {
                Flag::Yes(msg) => {
                    problems.push(format!("{}@{} is deprecated ({msg})", n.name, n.version))
                }
                Flag::Unknown => unknown.push(format!(
                    "{}@{}: whether it is deprecated is unknown",
                    n.name, n.version
                )),
                Flag::No => {}
            }
        }
    }
    GraphFindings { problems, unknown }
}

fn packages(n: usize) -> String {
    if n == 1 {
        "1 package".into()
    } else {
        format!("{n} packages")
    }
}

/// The resolved packages, for the evidence (at most 200).
fn graph_list(g: &Graph) -> Vec<String> {
    g.resolved
        .nodes
        .iter()
        .take(200)
        .map(|n| format!("{}@{}", n.name, n.version))
        .collect()
}

fn summarize(list: &[String], n: usize) -> String {
    let mut s = list.iter().take(n).cloned().collect::<Vec<_>>().join("; ");
    if list.len() > n {
        s.push_str(&format!("; and {} more", list.len() - n));
    }
    s
}

/// CleanReleaseAvailable: some release has no known vulnerability, itself or
/// in what installing it pulls in. True needs such a release whose own
/// check and whole resolved graph are closed-world; False needs every
/// stable release of a complete release list to be affected itself.
pub fn clean_release_available(f: &Facts) -> Decided<Attestation> {
    let Some(found) = f.registry.found() else {
        return Decided::unknown(missing(&f.registry, "no release list"));
    };
    let stable = stable_releases(f.ecosystem, &found.value.releases);
    if stable.is_empty() {
        return Decided::unknown(no_data(
            &found.source,
            "there is no stable release to check",
        ));
    }
    let mut checked = 0;
    let mut all_affected = true;
    let mut notes: Vec<String> = Vec::new();
    for r in &stable {
        let Some(v) = f.vulns.get(&r.version).and_then(|l| l.found()) else {
            all_affected = false;
            continue;
        };
        checked += 1;
        if !unwithdrawn(&v.value).is_empty() {
            continue;
        }
        all_affected = false;
        // Clean itself: what installing it pulls in decides.
        let Some(g) = f.graphs.get(&r.version) else {
            continue;
        };
        let findings = graph_findings(g, false);
        if !findings.problems.is_empty() {
            notes.push(format!(
                "{} is clean itself but pulls in: {}",
                r.version,
                summarize(&findings.problems, 3)
            ));
            continue;
        }
        let e = observed(
            v,
            match g.resolved.nodes.len() {
                0 => format!(
                    "release {} has no known vulnerability and installs no other package ({})",
                    r.version, g.resolved.method
                ),
                n => format!(
                    "release {} and the {} installing it pulls in ({}) have no known vulnerability",
                    r.version,
                    packages(n),
                    g.resolved.method
                ),
            },
            json!({"version": r.version, "graph": graph_list(g)}),
        );
        let closed = Closed::all([
            found.closed(),
            v.closed(),
            Closed::check(findings.unknown.is_empty(), || {
                format!(
                    "the graph of {}: {}",
                    r.version,
                    summarize(&findings.unknown, 3)
                )
            }),
        ]);
        match closed {
            Ok(c) => return Decided::proven(c, e),
            Err(why) => notes.push(format!("{} is clean itself, but {why}", r.version)),
        }
    }
    if all_affected && checked == stable.len() {
        let e = observed(
            found,
            format!(
                "every one of the {checked} stable releases is affected by a known vulnerability"
            ),
            json!({"stableReleases": checked}),
        );
        // "No release is clean" is a claim about every release: the list
        // must be complete.
        return match found.closed() {
            Ok(_) => Decided::refuted(e),
            Err(why) => Decided::unknown(incomplete(e, &why)),
        };
    }
    let mut reason = format!(
        "{checked} of {} stable releases were checked{}; no clean release with a complete, clean dependency graph was found",
        stable.len(),
        if f.all_releases_checked {
            ""
        } else {
            " (the newest ones)"
        }
    );
    if !notes.is_empty() {
        reason.push_str(&format!(": {}", summarize(&notes, 3)));
    }
    Decided::unknown(Evidence::new(
        "tacos-sbom",
        ReasonCode::IncompleteEvidence,
        reason,
    ))
}

/// DependenciesAreManaged: installing the latest stable release pulls in no
/// package with a known vulnerability, none deprecated and none removed.
/// True needs the whole resolved graph and a closed check of every node.
pub fn dependencies_are_managed(f: &Facts, latest: &Latest) -> Decided<Attestation> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data("tacos-sbom", "no latest stable release is known"));
    };
    let Some(g) = f.graphs.get(version) else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            format!("the dependencies of {version} were not resolved"),
        ));
    };
    let findings = graph_findings(g, true);
    let summary = json!({
        "version": version,
        "resolved": g.resolved.method,
        "graph": graph_list(g),
        "problems": findings.problems,
        "unknown": findings.unknown.iter().take(20).collect::<Vec<_>>(),
    });
    let source = match f.registry.found() {
        Some(r) => r.source.clone(),
        None => "tacos-sbom".into(),
    };
    let mut e = Evidence::new(source, ReasonCode::Observed, "");
    e.observed = Some(summary);
    if !findings.problems.is_empty() {
        e.reason = format!(
            "installing {version} pulls in: {}",
            summarize(&findings.problems, 5)
        );
        return Decided::refuted(e);
    }
    e.reason = match g.resolved.nodes.len() {
        0 => format!(
            "installing {version} pulls in no other package ({})",
            g.resolved.method
        ),
        n => format!(
            "the {} installing {version} pulls in ({}) have no known vulnerability and none is deprecated or removed",
            packages(n),
            g.resolved.method
        ),
    };
    let closed = Closed::all([
        latest.closed.clone(),
        Closed::check(findings.unknown.is_empty(), || {
            summarize(&findings.unknown, 5)
        }),
    ]);
    match closed {
        Ok(c) => Decided::proven(c, e),
        Err(why) => {
            e.reason = format!(
                "no problem found among the {} resolved for {version}",
                packages(g.resolved.nodes.len())
            );
            Decided::unknown(incomplete(e, &why))
        }
    }
}

pub fn known_vulnerabilities_url(f: &Facts) -> Decided<Asserted<String>> {
    match &f.vulnerabilities_listing {
        Some(url) => {
            let e = Evidence::new(
                "OSV",
                ReasonCode::FromPurl,
                format!(
                    "OSV's listing of {} advisories for this package",
                    f.ecosystem.osv_name().unwrap_or("")
                ),
            );
            // OSV serves this listing for every package of the ecosystems it
            // covers: the URL rests on the package URL alone.
            match Closed::check(f.ecosystem.osv_name().is_some(), || {
                "OSV does not cover this ecosystem".into()
            }) {
                Ok(c) => Decided::asserted(c, url.clone(), e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        None => Decided::unknown(Evidence::new(
            "OSV",
            ReasonCode::NotApplicable,
            "OSV does not cover this package's ecosystem",
        )),
    }
}

// ---- maintainers and status --------------------------------------------------

/// MultipleMaintainers: more than one *person* can publish. Names are
/// compared case-insensitively; an organisation or team among the owners
/// hides how many people it has.
pub fn multiple_maintainers(f: &Facts) -> Decided<Attestation> {
    let Some(found) = f.registry.found() else {
        return Decided::unknown(missing(&f.registry, "maintainers unknown"));
    };
    let Some(m) = &found.value.maintainers else {
        return Decided::unknown(with_code(
            observed(
                found,
                format!(
                    "{}'s answer does not list who can publish (mirrors strip it)",
                    found.source
                ),
                json!({"maintainers": null}),
            ),
            ReasonCode::NoData,
        ));
    };
    let people = m.people();
    let obs = json!({"accounts": m.names(), "people": people, "organisation": m.organisation});
    match (people.len(), &m.organisation) {
        (n, _) if n > 1 => {
            let e = observed(
                found,
                format!("{n} people can publish in {}", found.source),
                obs,
            );
            match found.closed() {
                Ok(c) => Decided::proven(c, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        (1, None) => Decided::refuted(observed(
            found,
            format!("1 person can publish in {}", found.source),
            obs,
        )),
        (n, Some(org)) => Decided::unknown(with_code(
            observed(
                found,
                format!(
                    "{n} account(s) listed, and the organisation or team {org:?} can publish too: how many people it has is unknown"
                ),
                obs,
            ),
            ReasonCode::NoData,
        )),
        (_, None) => Decided::unknown(with_code(
            observed(found, "the answer lists no one who can publish", obs),
            ReasonCode::NoData,
        )),
    }
}

/// PackageStatus: Removed, Deprecated or Inactive when found (partial
/// evidence can show them); Active only on a complete answer that shows
/// the current release undeprecated and a release within the threshold.
pub fn package_status(
    f: &Facts,
    latest: &Latest,
    cfg: &Assessment,
) -> Decided<Asserted<PackageStatus>> {
    let Some(found) = f.registry.found() else {
        return Decided::unknown(missing(&f.registry, "status unknown"));
    };
    let pkg = &found.value;
    let now = timestamp(f.now);
    if pkg.removed {
        return Decided::adverse(
            Adverse::Removed,
            now,
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
    if pkg.releases.iter().all(|r| r.yanked.is_yes()) {
        return Decided::adverse(
            Adverse::Removed,
            now,
            observed(
                found,
                "every release is yanked",
                json!({"releases": pkg.releases.len()}),
            ),
        );
    }
    let tag = pkg.latest_tag.as_deref().or(latest.version.as_deref());
    let current = tag.and_then(|v| pkg.release(v));
    if let Some(Flag::Yes(msg)) = current.map(|r| &r.deprecated) {
        return Decided::adverse(
            Adverse::Deprecated,
            now,
            observed(
                found,
                format!("release {} is deprecated: {msg}", tag.unwrap_or_default()),
                json!({"deprecated": msg}),
            ),
        );
    }
    if let Some(d) = f.depsdev_latest.found()
        && d.value.is_deprecated == Some(true)
    {
        let why = d.value.deprecated_reason.clone().unwrap_or_default();
        return Decided::adverse(
            Adverse::Deprecated,
            now,
            observed(
                d,
                format!("deps.dev marks {} deprecated {why}", d.value.version),
                json!({"isDeprecated": true}),
            ),
        );
    }
    if pkg
        .classifiers
        .iter()
        .any(|c| c.contains("Development Status :: 7 - Inactive"))
    {
        return Decided::adverse(
            Adverse::Inactive,
            now,
            observed(
                found,
                "the package declares the classifier Development Status :: 7 - Inactive",
                json!({"classifier": "Development Status :: 7 - Inactive"}),
            ),
        );
    }
    // The age of the newest release decides Active or Inactive, and needs
    // every release's time: a release without one might be the newest.
    // (A withdrawn release without a time, such as a PyPI version with no
    // files, was never installable and says nothing of activity.)
    let untimed: Vec<&str> = pkg
        .releases
        .iter()
        .filter(|r| r.published.is_none() && !r.yanked.is_yes())
        .map(|r| r.version.as_str())
        .collect();
    if !pkg.times_trustworthy || !untimed.is_empty() {
        return Decided::unknown(with_code(
            observed(
                found,
                if pkg.times_trustworthy {
                    format!(
                        "{} release(s) have no readable publish time ({}), so the newest release's age is unknown",
                        untimed.len(),
                        untimed
                            .iter()
                            .take(5)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    "release times are unknown (the registry answer has no trustworthy publish times)".into()
                },
                json!({"times": null}),
            ),
            ReasonCode::IncompleteEvidence,
        ));
    }
    let Some((when, version)) = pkg
        .releases
        .iter()
        .filter_map(|r| r.published.map(|p| (p, &r.version)))
        .max_by_key(|(p, _)| *p)
    else {
        return Decided::unknown(with_code(
            observed(
                found,
                "no release has a publish time",
                json!({"times": null}),
            ),
            ReasonCode::NoData,
        ));
    };
    let days = (f.now - when).whole_days();
    let obs = json!({"newestRelease": version, "published": timestamp(when), "days": days, "threshold": cfg.inactive_after_days});
    if days > cfg.inactive_after_days {
        let e = observed(
            found,
            format!(
                "the newest release ({version}) is {days} days old, over the {}-day threshold",
                cfg.inactive_after_days
            ),
            obs,
        );
        return match found.closed() {
            Ok(_) => Decided::adverse(Adverse::Inactive, now, e),
            Err(why) => Decided::unknown(incomplete(e, &why)),
        };
    }
    let e = observed(
        found,
        format!(
            "not deprecated; the newest release ({version}) is {days} days old, within the {}-day threshold",
            cfg.inactive_after_days
        ),
        obs,
    );
    let depsdev_says_no = f
        .depsdev_latest
        .found()
        .is_some_and(|d| d.value.is_deprecated == Some(false) && d.closed().is_ok());
    let closed = Closed::all([
        found.closed(),
        Closed::check(
            current.is_some_and(|r| r.deprecated == Flag::No) || depsdev_says_no,
            || {
                "whether the current release is deprecated is unknown (the registry answer carries no deprecation notices)".into()
            },
        ),
    ]);
    match closed {
        Ok(c) => Decided::asserted(
            c,
            PackageStatus {
                status: crate::tacos::Status::Active,
                last_modified: now,
            },
            e,
        ),
        Err(why) => Decided::unknown(incomplete(e, &why)),
    }
}

// ---- OpenSSF Scorecard ---------------------------------------------------------

fn scorecard_check(f: &Facts, check: &str, threshold: i32, field: &str) -> Decided<Attestation> {
    let Some(found) = f.scorecard.found() else {
        return Decided::unknown(missing(
            &f.scorecard,
            &format!("no Scorecard result for {field}"),
        ));
    };
    let Some(c) = found.value.check(check) else {
        return Decided::unknown(with_code(
            observed(
                found,
                format!("the Scorecard result has no {check} check"),
                json!({"check": check}),
            ),
            ReasonCode::NoData,
        ));
    };
    let obs = json!({"repository": found.value.repository, "check": check, "score": c.score, "threshold": threshold, "reason": c.reason});
    if c.score < 0 {
        return Decided::unknown(with_code(
            observed(
                found,
                format!("Scorecard's {check} check was inconclusive (-1)"),
                obs,
            ),
            ReasonCode::NoData,
        ));
    }
    if c.score >= threshold {
        let e = observed(
            found,
            format!(
                "Scorecard {check} scores {}/10 for {}, at or above the threshold {threshold}",
                c.score, found.value.repository
            ),
            obs,
        );
        match found.closed() {
            Ok(cl) => Decided::proven(cl, e),
            Err(why) => Decided::unknown(incomplete(e, &why)),
        }
    } else {
        Decided::refuted(observed(
            found,
            format!(
                "Scorecard {check} scores {}/10 for {}, below the threshold {threshold}",
                c.score, found.value.repository
            ),
            obs,
        ))
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
        return Decided::unknown(missing(&f.scorecard, "no Scorecard result"));
    };
    let m = found.value.check("Maintained").map(|c| c.score);
    let p = found.value.check("Security-Policy").map(|c| c.score);
    let obs = json!({"repository": found.value.repository, "Maintained": m, "Security-Policy": p, "thresholds": [cfg.scorecard_maintained, cfg.scorecard_security_policy]});
    match (m, p) {
        (Some(m), Some(p))
            if m >= cfg.scorecard_maintained && p >= cfg.scorecard_security_policy =>
        {
            let e = observed(
                found,
                format!(
                    "Scorecard Maintained {m}/10 and Security-Policy {p}/10 meet the thresholds ({} and {})",
                    cfg.scorecard_maintained, cfg.scorecard_security_policy
                ),
                obs,
            );
            match found.closed() {
                Ok(c) => Decided::proven(c, e),
                Err(why) => Decided::unknown(incomplete(e, &why)),
            }
        }
        (Some(m), Some(p))
            if (0..cfg.scorecard_maintained).contains(&m)
                && (0..cfg.scorecard_security_policy).contains(&p) =>
        {
            Decided::refuted(observed(
                found,
                format!(
                    "Scorecard Maintained {m}/10 and Security-Policy {p}/10 are both below the thresholds"
                ),
                obs,
            ))
        }
        _ => Decided::unknown(with_code(
            observed(
                found,
                "Scorecard's Maintained and Security-Policy checks do not agree or are inconclusive",
                obs,
            ),
            ReasonCode::NoData,
        )),
    }
}

/// The security policy GitHub shows for a repository whose policy Scorecard found.
pub fn security_policy(f: &Facts) -> (Decided<Asserted<String>>, Decided<Asserted<String>>) {
    let none = |e: Evidence| (Decided::unknown(e.clone()), Decided::unknown(e));
    let Some(found) = f.scorecard.found() else {
        return none(missing(&f.scorecard, "no Scorecard result"));
    };
    let score = found.value.check("Security-Policy").map(|c| c.score);
    let repo = &found.value.repository;
    match score {
        Some(s) if s > 0 && repo.starts_with("github.com/") => {
            let url = format!("https://{repo}/security/policy");
            let pe = observed(
                found,
                format!("Scorecard found a security policy ({s}/10); GitHub shows it at {url}"),
                json!({"Security-Policy": s}),
            );
            let ce = observed(
                found,
                format!(
                    "the security policy at {url} is the published way to report vulnerabilities"
                ),
                json!({"Security-Policy": s}),
            );
            match found.closed() {
                Ok(c) => (
                    Decided::asserted(c, url.clone(), pe),
                    Decided::asserted(c, url, ce),
                ),
                Err(why) => (
                    Decided::unknown(incomplete(pe, &why)),
                    Decided::unknown(incomplete(ce, &why)),
                ),
            }
        }
        Some(s) => none(with_code(
            observed(
                found,
                format!("Scorecard found no usable security policy (Security-Policy {s}/10)"),
                json!({"Security-Policy": s}),
            ),
            ReasonCode::NoData,
        )),
        None => none(with_code(
            observed(
                found,
                "the Scorecard result has no Security-Policy check",
                json!({}),
            ),
            ReasonCode::NoData,
        )),
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
