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

/// Each vulnerability's aliases (a CVE beside a GHSA), by id, for a
/// reader matching what others call it (a VEX statement); none when none
/// has any.
fn aliases(v: &[&Vulnerability]) -> Option<serde_json::Value> {
    let map: serde_json::Map<String, serde_json::Value> = v
        .iter()
        .filter(|x| !x.aliases.is_empty())
        .map(|x| (x.id.clone(), json!(x.aliases)))
        .collect();
    (!map.is_empty()).then_some(serde_json::Value::Object(map))
}

/// `{"version", "vulnerabilities": [ids]}` and, when any has one,
/// `"aliases"`.
fn affected(version: &str, live: &[&Vulnerability]) -> serde_json::Value {
    let mut o = json!({"version": version, "vulnerabilities": live.iter().map(|v| &v.id).collect::<Vec<_>>()});
    if let Some(a) = aliases(live) {
        o["aliases"] = a;
    }
    o
}

/// `note` with `"incomplete": why` when the answer it rests on is not the
/// whole world (partial or stale): a reader must not take its list of
/// vulnerabilities as all there are.
fn incomplete_if(
    mut note: serde_json::Value,
    closed: Result<crate::sources::Closed, crate::sources::NotClosed>,
) -> serde_json::Value {
    if let Err(why) = closed {
        note["incomplete"] = json!(why.to_string());
    }
    note
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
                    incomplete_if(affected(version, &live), found.closed()),
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
                let note = if live.is_empty() {
                    json!({"version": v, "vulnerabilities": [], "fixedIn": []})
                } else {
                    d.evidence_mut().reason.push_str(&format!(
                        "; the version in use, {v}, is affected by {}",
                        ids(&live)
                    ));
                    let mut o = affected(v, &live);
                    o["fixedIn"] = json!(fixed);
                    o
                };
                incomplete_if(note, x.closed())
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
/// in what installing it pulls in. True needs such a release, known not
/// to be withdrawn, whose own check and whole resolved graph are
/// closed-world; False needs every
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
        // A withdrawn release is no clean release to offer (stable_releases
        // passes over those known withdrawn); one that may be is not either.
        let closed = Closed::all([
            found.closed(),
            v.closed(),
            Closed::check(r.yanked != Flag::Unknown, || {
                format!("whether {} was withdrawn is unknown", r.version)
            }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::testkit::*;
    use crate::sources::Coverage;
    use crate::sources::model::Release;

    type Vulns = Lookup<Vec<Vulnerability>>;

    #[test]
    fn fixed_vulnerabilities_asks_about_the_latest_stable_release() {
        let cases: Vec<(&str, Checked, Is, ReasonCode, &str)> = vec![
            (
                "no known vulnerability",
                checked(vec![("1.0.0", osv(vec![]))]),
                Is::True,
                ReasonCode::Observed,
                "no known vulnerability affects the latest stable release 1.0.0",
            ),
            (
                "a withdrawn advisory is no vulnerability",
                checked(vec![("1.0.0", osv(vec![withdrawn("GHSA-w")]))]),
                Is::True,
                ReasonCode::Observed,
                "no known vulnerability affects the latest stable release 1.0.0",
            ),
            (
                "affected",
                checked(vec![(
                    "1.0.0",
                    osv(vec![vuln("GHSA-1"), withdrawn("GHSA-w"), vuln("GHSA-2")]),
                )]),
                Is::False,
                ReasonCode::Observed,
                "the latest stable release 1.0.0 is affected by GHSA-1, GHSA-2",
            ),
            (
                "a partial answer still proves a vulnerability",
                checked(vec![(
                    "1.0.0",
                    with_coverage(
                        &osv(vec![vuln("GHSA-1")]),
                        Coverage::Partial("3 of 9 pages".into()),
                    ),
                )]),
                Is::False,
                ReasonCode::Observed,
                "is affected by GHSA-1",
            ),
            (
                "the latest release was not checked",
                checked(vec![("0.9.0", osv(vec![]))]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "release 1.0.0 was not checked for vulnerabilities",
            ),
        ];
        for (case, vulns, is, code, says) in cases {
            expect(
                case,
                &fixed_vulnerabilities(&vulns, None, &established("1.0.0")),
                is,
                code,
                says,
            );
        }
        for (lookup, code) in failures::<Vec<Vulnerability>>("OSV") {
            expect(
                &format!("{code:?}"),
                &fixed_vulnerabilities(
                    &checked(vec![("1.0.0", lookup)]),
                    None,
                    &established("1.0.0"),
                ),
                Is::NoAssertion,
                code,
                "vulnerabilities of 1.0.0 unknown: ",
            );
        }
        expect(
            "no latest stable release",
            &fixed_vulnerabilities(&checked(vec![]), None, &no_latest()),
            Is::NoAssertion,
            ReasonCode::NoData,
            "no latest stable release is known to check",
        );
    }

    #[test]
    fn fixed_vulnerabilities_is_true_only_on_closed_world_evidence() {
        let clean = osv(vec![]);
        for (case, l) in degraded(&clean) {
            expect_incomplete(
                case,
                &fixed_vulnerabilities(&checked(vec![("1.0.0", l)]), None, &established("1.0.0")),
                "OSV's answer is",
            );
        }
        expect_incomplete(
            "latest release not established",
            &fixed_vulnerabilities(
                &checked(vec![("1.0.0", clean)]),
                None,
                &unestablished("1.0.0"),
            ),
            "whether 1.0.0 is deprecated is unknown",
        );
    }

    #[test]
    fn fixed_vulnerabilities_reports_the_version_in_use_beside_the_answer() {
        let vulns = checked(vec![("1.0.0", osv(vec![]))]);
        let in_use = |version: &str, l: Vulns| Some((version.to_string(), l));
        let old = Vulnerability {
            fixed_in: vec!["1.0.0".into()],
            ..vuln("GHSA-old")
        };
        let cases = vec![
            (
                "an affected version in use",
                in_use("0.9.0", osv(vec![old, withdrawn("GHSA-w")])),
                "no known vulnerability affects the latest stable release 1.0.0; the version in use, 0.9.0, is affected by GHSA-old",
                Some(
                    json!({"version": "0.9.0", "vulnerabilities": ["GHSA-old"], "fixedIn": ["1.0.0"]}),
                ),
            ),
            (
                "a clean version in use",
                in_use("0.9.0", osv(vec![])),
                "no known vulnerability affects the latest stable release 1.0.0",
                Some(json!({"version": "0.9.0", "vulnerabilities": [], "fixedIn": []})),
            ),
            (
                "a version in use OSV was not asked about",
                in_use("0.9.0", failures("OSV").remove(2).0),
                "no known vulnerability affects the latest stable release 1.0.0",
                Some(json!({"version": "0.9.0", "unknown": "OSV unavailable: connection refused"})),
            ),
            (
                "the latest release is the one in use",
                in_use("1.0.0", osv(vec![vuln("GHSA-x")])),
                "no known vulnerability affects the latest stable release 1.0.0",
                None,
            ),
            (
                "no version in use",
                None,
                "no known vulnerability affects the latest stable release 1.0.0",
                None,
            ),
        ];
        for (case, in_use, reason, note) in cases {
            let d = fixed_vulnerabilities(&vulns, in_use.as_ref(), &established("1.0.0"));
            assert_eq!(d.value(), &Attestation::True, "{case}");
            assert_eq!(d.evidence().reason, reason, "{case}");
            let observed = d.evidence().observed.as_ref().unwrap();
            assert_eq!(observed.get("inUse"), note.as_ref(), "{case}");
        }
        // With nothing observed about the latest release, the note still shows.
        let d = fixed_vulnerabilities(
            &checked(vec![("1.0.0", failures("OSV").remove(2).0)]),
            Some(&("0.9.0".into(), osv(vec![vuln("GHSA-old")]))),
            &established("1.0.0"),
        );
        assert_eq!(d.value(), &Attestation::NoAssertion);
        assert_eq!(
            d.evidence().observed.as_ref().unwrap()["inUse"]["vulnerabilities"],
            json!(["GHSA-old"])
        );
    }

    fn clean_graph() -> Graph {
        graph(vec![
            (node("a@1.0.0"), osv(vec![])),
            (node("b@2.0.0"), osv(vec![withdrawn("GHSA-w")])),
        ])
    }

    fn vulnerable_graph() -> Graph {
        graph(vec![
            (node("a@1.0.0"), osv(vec![])),
            (node("dep@1.0.0"), osv(vec![vuln("GHSA-d")])),
        ])
    }

    fn clean_release(
        registry: &Lookup<RegistryPackage>,
        vulns: &Checked,
        all_releases_checked: bool,
        graphs: &Graphs,
    ) -> Decided<Attestation> {
        clean_release_available(
            registry,
            Ecosystem::Npm,
            vulns,
            all_releases_checked,
            graphs,
        )
    }

    #[test]
    fn clean_release_available_needs_a_clean_release_and_a_clean_graph() {
        let two = registry_of(&["1.0.0", "2.0.0"]);
        let mut removed_dep = clean_graph();
        removed_dep
            .resolved
            .removed
            .push("left-pad@^1 (from pkg@2.0.0)".into());
        let mut deprecated_dep = clean_graph();
        deprecated_dep.resolved.nodes[0].deprecated = Flag::Yes("unmaintained".into());
        let cases: Vec<(&str, Checked, bool, Graphs, Is, ReasonCode, &str)> = vec![
            (
                "the newest release and its graph are clean",
                checked(vec![("2.0.0", osv(vec![])), ("1.0.0", osv(vec![]))]),
                true,
                graphs(vec![("2.0.0", clean_graph())]),
                Is::True,
                ReasonCode::Observed,
                "release 2.0.0 and the 2 packages installing it pulls in (resolved by npm's rules) have no known vulnerability",
            ),
            (
                "a clean release that installs nothing else",
                checked(vec![("2.0.0", osv(vec![]))]),
                false,
                graphs(vec![("2.0.0", graph(vec![]))]),
                Is::True,
                ReasonCode::Observed,
                "release 2.0.0 has no known vulnerability and installs no other package (resolved by npm's rules)",
            ),
            (
                "deprecated dependencies do not make a release unclean",
                checked(vec![("2.0.0", osv(vec![]))]),
                false,
                graphs(vec![("2.0.0", deprecated_dep)]),
                Is::True,
                ReasonCode::Observed,
                "release 2.0.0 and the 2 packages",
            ),
            (
                "an older release, when the newest is affected itself",
                checked(vec![
                    ("2.0.0", osv(vec![vuln("GHSA-2")])),
                    ("1.0.0", osv(vec![])),
                ]),
                true,
                graphs(vec![("1.0.0", clean_graph())]),
                Is::True,
                ReasonCode::Observed,
                "release 1.0.0 and the 2 packages",
            ),
            (
                "an older release, when the newest pulls in a vulnerability",
                checked(vec![("2.0.0", osv(vec![])), ("1.0.0", osv(vec![]))]),
                true,
                graphs(vec![
                    ("2.0.0", vulnerable_graph()),
                    ("1.0.0", graph(vec![])),
                ]),
                Is::True,
                ReasonCode::Observed,
                "release 1.0.0 has no known vulnerability",
            ),
            (
                "every stable release is affected",
                checked(vec![
                    ("2.0.0", osv(vec![vuln("GHSA-2")])),
                    ("1.0.0", osv(vec![vuln("GHSA-1")])),
                ]),
                true,
                graphs(vec![]),
                Is::False,
                ReasonCode::Observed,
                "every one of the 2 stable releases is affected by a known vulnerability",
            ),
            (
                "a clean release pulls in a vulnerability",
                checked(vec![
                    ("2.0.0", osv(vec![])),
                    ("1.0.0", osv(vec![vuln("GHSA-1")])),
                ]),
                true,
                graphs(vec![("2.0.0", vulnerable_graph())]),
                Is::NoAssertion,
                ReasonCode::IncompleteEvidence,
                "2 of 2 stable releases were checked; no clean release with a complete, clean dependency graph was found: 2.0.0 is clean itself but pulls in: dep@1.0.0 (via pkg@1.0.0) is affected by GHSA-d",
            ),
            (
                "a clean release pulls in a removed package",
                checked(vec![
                    ("2.0.0", osv(vec![])),
                    ("1.0.0", osv(vec![vuln("GHSA-1")])),
                ]),
                true,
                graphs(vec![("2.0.0", removed_dep)]),
                Is::NoAssertion,
                ReasonCode::IncompleteEvidence,
                "2.0.0 is clean itself but pulls in: left-pad@^1 (from pkg@2.0.0) has been removed from the registry",
            ),
            (
                "a clean release whose graph was not resolved",
                checked(vec![("2.0.0", osv(vec![])), ("1.0.0", osv(vec![]))]),
                true,
                graphs(vec![]),
                Is::NoAssertion,
                ReasonCode::IncompleteEvidence,
                "2 of 2 stable releases were checked; no clean release with a complete, clean dependency graph was found",
            ),
            (
                "an affected release and one not checked",
                checked(vec![("2.0.0", osv(vec![vuln("GHSA-2")]))]),
                false,
                graphs(vec![]),
                Is::NoAssertion,
                ReasonCode::IncompleteEvidence,
                "1 of 2 stable releases were checked (the newest ones); no clean release",
            ),
            (
                "an affected release and one OSV could not answer for",
                checked(vec![
                    ("2.0.0", osv(vec![vuln("GHSA-2")])),
                    ("1.0.0", failures("OSV").remove(2).0),
                ]),
                true,
                graphs(vec![]),
                Is::NoAssertion,
                ReasonCode::IncompleteEvidence,
                "1 of 2 stable releases were checked; no clean release",
            ),
        ];
        for (case, vulns, all, graphs, is, code, says) in cases {
            expect(
                case,
                &clean_release(&two, &vulns, all, &graphs),
                is,
                code,
                says,
            );
        }
        let only_pre = registry_of(&["1.0.0-rc.1"]);
        expect(
            "no stable release",
            &clean_release(&only_pre, &checked(vec![]), true, &graphs(vec![])),
            Is::NoAssertion,
            ReasonCode::NoData,
            "there is no stable release to check",
        );
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &clean_release(&registry, &checked(vec![]), true, &graphs(vec![])),
                Is::NoAssertion,
                code,
                "no release list: ",
            );
        }
    }

    #[test]
    fn clean_release_available_is_true_only_on_closed_world_evidence() {
        let one = registry_of(&["2.0.0"]);
        let clean = || checked(vec![("2.0.0", osv(vec![]))]);
        let whole = || graphs(vec![("2.0.0", clean_graph())]);
        // The release list, the release's own check, each node's check.
        for (case, l) in degraded(&one) {
            expect_incomplete(
                case,
                &clean_release(&l, &clean(), true, &whole()),
                "2.0.0 is clean itself, but npm's answer is",
            );
        }
        for (case, l) in degraded(&osv(vec![])) {
            expect_incomplete(
                case,
                &clean_release(&one, &checked(vec![("2.0.0", l)]), true, &whole()),
                "2.0.0 is clean itself, but OSV's answer is",
            );
        }
        for (case, l) in degraded(&osv(vec![])) {
            let g = graph(vec![(node("a@1.0.0"), osv(vec![])), (node("b@1.0.0"), l)]);
            expect_incomplete(
                case,
                &clean_release(&one, &clean(), true, &graphs(vec![("2.0.0", g)])),
                "2.0.0 is clean itself, but the graph of 2.0.0: b@1.0.0: OSV's answer is",
            );
        }
        for (l, code) in failures::<Vec<Vulnerability>>("OSV") {
            let g = graph(vec![(node("b@1.0.0"), l)]);
            expect_incomplete(
                &format!("a node's check: {code:?}"),
                &clean_release(&one, &clean(), true, &graphs(vec![("2.0.0", g)])),
                "the graph of 2.0.0: b@1.0.0: ",
            );
        }
        // A capped or otherwise unresolved graph.
        let mut capped = clean_graph();
        capped
            .resolved
            .gaps
            .push("the graph stops at 500 packages (max_dependencies)".into());
        expect_incomplete(
            "capped graph",
            &clean_release(&one, &clean(), true, &graphs(vec![("2.0.0", capped)])),
            "2.0.0 is clean itself, but the graph of 2.0.0: the graph stops at 500 packages (max_dependencies)",
        );
        // "Every release is affected" is a claim about every release.
        let affected = checked(vec![("2.0.0", osv(vec![vuln("GHSA-2")]))]);
        for (case, l) in degraded(&one) {
            expect_incomplete(
                case,
                &clean_release(&l, &affected, true, &graphs(vec![])),
                "every one of the 1 stable releases is affected by a known vulnerability; not asserted, because the evidence is incomplete: npm's answer is",
            );
        }
    }

    /// A release whose withdrawal is unknown (deps.dev does not report Go
    /// retractions or NuGet unlisting) is not known to be available: like
    /// LatestStableRelease, CleanReleaseAvailable does not take it on trust.
    #[test]
    fn clean_release_available_is_not_a_release_that_may_have_been_withdrawn() {
        let go = registry(vec![
            release("v1.0.0"),
            Release {
                yanked: Flag::Unknown,
                ..release("v2.0.0")
            },
        ]);
        let rule = |vulns: &Checked, graphs: &Graphs| {
            clean_release_available(&go, Ecosystem::Go, vulns, true, graphs)
        };
        expect_incomplete(
            "withdrawal unknown",
            &rule(
                &checked(vec![
                    ("v2.0.0", osv(vec![])),
                    ("v1.0.0", osv(vec![vuln("GO-1")])),
                ]),
                &graphs(vec![("v2.0.0", clean_graph())]),
            ),
            "v2.0.0 is clean itself, but whether v2.0.0 was withdrawn is unknown",
        );
        expect(
            "an older release known not to be withdrawn",
            &rule(
                &checked(vec![("v2.0.0", osv(vec![])), ("v1.0.0", osv(vec![]))]),
                &graphs(vec![("v2.0.0", clean_graph()), ("v1.0.0", graph(vec![]))]),
            ),
            Is::True,
            ReasonCode::Observed,
            "release v1.0.0 has no known vulnerability and installs no other package",
        );
    }

    fn managed(graphs: &Graphs, latest: &Latest) -> Decided<Attestation> {
        dependencies_are_managed(graphs, &registry_of(&["1.0.0"]), latest)
    }

    #[test]
    fn dependencies_are_managed_reads_the_latest_releases_whole_graph() {
        let mut deprecated = clean_graph();
        deprecated.resolved.nodes[1].deprecated = Flag::Yes("unmaintained".into());
        let mut removed = clean_graph();
        removed
            .resolved
            .removed
            .push("left-pad@^1 (from pkg@1.0.0)".into());
        let mut capped_vulnerable = vulnerable_graph();
        capped_vulnerable
            .resolved
            .gaps
            .push("the graph stops at 500 packages".into());
        let cases: Vec<(&str, Graph, Is, &str)> = vec![
            (
                "a whole, clean graph",
                clean_graph(),
                Is::True,
                "the 2 packages installing 1.0.0 pulls in (resolved by npm's rules) have no known vulnerability and none is deprecated or removed",
            ),
            (
                "one package",
                graph(vec![(node("a@1.0.0"), osv(vec![]))]),
                Is::True,
                "the 1 package installing 1.0.0 pulls in",
            ),
            (
                "no dependencies",
                graph(vec![]),
                Is::True,
                "installing 1.0.0 pulls in no other package (resolved by npm's rules)",
            ),
            (
                "a vulnerable package",
                vulnerable_graph(),
                Is::False,
                "installing 1.0.0 pulls in: dep@1.0.0 (via pkg@1.0.0) is affected by GHSA-d",
            ),
            (
                "a deprecated package",
                deprecated,
                Is::False,
                "installing 1.0.0 pulls in: b@2.0.0 is deprecated (unmaintained)",
            ),
            (
                "a removed package",
                removed,
                Is::False,
                "installing 1.0.0 pulls in: left-pad@^1 (from pkg@1.0.0) has been removed from the registry",
            ),
            (
                "a vulnerability found in a capped graph is found",
                capped_vulnerable,
                Is::False,
                "dep@1.0.0 (via pkg@1.0.0) is affected by GHSA-d",
            ),
        ];
        for (case, g, is, says) in cases {
            let d = managed(&graphs(vec![("1.0.0", g)]), &established("1.0.0"));
            expect(case, &d, is, ReasonCode::Observed, says);
            assert_eq!(d.evidence().source, "npm", "{case}");
        }
        expect(
            "not resolved",
            &managed(
                &graphs(vec![("0.9.0", clean_graph())]),
                &established("1.0.0"),
            ),
            Is::NoAssertion,
            ReasonCode::NoData,
            "the dependencies of 1.0.0 were not resolved",
        );
        expect(
            "no latest stable release",
            &managed(&graphs(vec![]), &no_latest()),
            Is::NoAssertion,
            ReasonCode::NoData,
            "no latest stable release is known",
        );
        let (unknown, _) = failures::<RegistryPackage>("npm").remove(0);
        let d = dependencies_are_managed(
            &graphs(vec![("1.0.0", vulnerable_graph())]),
            &unknown,
            &established("1.0.0"),
        );
        assert_eq!(outcome(&d), (Is::False, ReasonCode::Observed));
        assert_eq!(d.evidence().source, "tacos-sbom");
    }

    #[test]
    fn dependencies_are_managed_is_true_only_on_closed_world_evidence() {
        let with_node = |l: Vulns, deprecated: Flag| {
            let mut n = node("dep@1.0.0");
            n.deprecated = deprecated;
            graphs(vec![(
                "1.0.0",
                graph(vec![(node("a@1.0.0"), osv(vec![])), (n, l)]),
            )])
        };
        for (case, l) in degraded(&osv(vec![])) {
            expect_incomplete(
                case,
                &managed(&with_node(l, Flag::No), &established("1.0.0")),
                "no problem found among the 2 packages resolved for 1.0.0; not asserted, because the evidence is incomplete: dep@1.0.0: OSV's answer is",
            );
        }
        for (l, code) in failures::<Vec<Vulnerability>>("OSV") {
            expect_incomplete(
                &format!("{code:?}"),
                &managed(&with_node(l, Flag::No), &established("1.0.0")),
                "dep@1.0.0: ",
            );
        }
        expect_incomplete(
            "deprecation unknown",
            &managed(
                &with_node(osv(vec![]), Flag::Unknown),
                &established("1.0.0"),
            ),
            "dep@1.0.0: whether it is deprecated is unknown",
        );
        let mut capped = clean_graph();
        capped
            .resolved
            .gaps
            .push("the graph stops at 500 packages".into());
        expect_incomplete(
            "capped graph",
            &managed(&graphs(vec![("1.0.0", capped)]), &established("1.0.0")),
            "no problem found among the 2 packages resolved for 1.0.0; not asserted, because the evidence is incomplete: the graph stops at 500 packages",
        );
        expect_incomplete(
            "latest release not established",
            &managed(
                &graphs(vec![("1.0.0", clean_graph())]),
                &unestablished("1.0.0"),
            ),
            "whether 1.0.0 is deprecated is unknown",
        );
    }

    #[test]
    fn known_vulnerabilities_url_rests_on_the_package_url() {
        let url = "https://osv.example/list?ecosystem=npm&q=pkg";
        expect(
            "an ecosystem OSV covers",
            &known_vulnerabilities_url(Some(url), Ecosystem::Npm),
            value(url),
            ReasonCode::FromPurl,
            "OSV's listing of npm advisories for this package",
        );
        expect_incomplete(
            "an ecosystem OSV does not cover",
            &known_vulnerabilities_url(Some(url), Ecosystem::Other),
            "OSV does not cover this ecosystem",
        );
        expect(
            "no listing",
            &known_vulnerabilities_url(None, Ecosystem::Other),
            Is::NoAssertion,
            ReasonCode::NotApplicable,
            "OSV does not cover this package's ecosystem",
        );
    }
}
