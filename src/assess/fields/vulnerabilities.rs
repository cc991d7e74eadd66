//! Known vulnerabilities, of the package and of what installing it pulls
//! in: FixedVulnerabilities, CleanReleaseAvailable, DependenciesAreManaged
//! and KnownVulnerabilitiesURL.

use serde_json::json;

use super::evidence::{missing, no_data, observed};
use super::releases::{Latest, stable_releases};
use super::{Checked, Graph, Graphs};
use crate::assess::verdict::{Decided, incomplete};
use crate::purl::Ecosystem;
use crate::sources::model::{Flag, RegistryPackage, Vulnerability};
use crate::sources::{Closed, Lookup};
use crate::tacos::{Asserted, Attestation, Evidence, ReasonCode};

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
/// `vulns`: what OSV knows of each release checked; `in_use`: the
/// version the statement's PURL names, reported beside the answer.
pub fn fixed_vulnerabilities(
    vulns: &Checked,
    in_use: Option<&(String, Lookup<Vec<Vulnerability>>)>,
    latest: &Latest,
) -> Decided<Attestation> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            "no latest stable release is known to check",
        ));
    };
    let Some(lookup) = vulns.get(version) else {
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
    if let Some((v, l)) = in_use
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
pub fn clean_release_available(
    registry: &Lookup<RegistryPackage>,
    eco: Ecosystem,
    vulns: &Checked,
    all_releases_checked: bool,
    graphs: &Graphs,
) -> Decided<Attestation> {
    let Some(found) = registry.found() else {
        return Decided::unknown(missing(registry, "no release list"));
    };
    let stable = stable_releases(eco, &found.value.releases);
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
        let Some(v) = vulns.get(&r.version).and_then(|l| l.found()) else {
            all_affected = false;
            continue;
        };
        checked += 1;
        if !unwithdrawn(&v.value).is_empty() {
            continue;
        }
        all_affected = false;
        // Clean itself: what installing it pulls in decides.
        let Some(g) = graphs.get(&r.version) else {
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
        if all_releases_checked {
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
pub fn dependencies_are_managed(
    graphs: &Graphs,
    registry: &Lookup<RegistryPackage>,
    latest: &Latest,
) -> Decided<Attestation> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data("tacos-sbom", "no latest stable release is known"));
    };
    let Some(g) = graphs.get(version) else {
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
    let source = match registry.found() {
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

/// `listing`: where OSV lists the package's vulnerabilities, if it covers
/// the package.
pub fn known_vulnerabilities_url(
    listing: Option<&str>,
    eco: Ecosystem,
) -> Decided<Asserted<String>> {
    match listing {
        Some(url) => {
            let e = Evidence::new(
                "OSV",
                ReasonCode::FromPurl,
                format!(
                    "OSV's listing of {} advisories for this package",
                    eco.osv_name().unwrap_or("")
                ),
            );
            // OSV serves this listing for every package of the ecosystems it
            // covers: the URL rests on the package URL alone.
            match Closed::check(eco.osv_name().is_some(), || {
                "OSV does not cover this ecosystem".into()
            }) {
                Ok(c) => Decided::asserted(c, url.to_string(), e),
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
