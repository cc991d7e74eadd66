//! What the registry and deps.dev declare about the package:
//! UpstreamRepositoryURL, SPDXLicenseLatestRelease and SBOM.

use serde_json::{Value, json};

use super::evidence::{answer_missing, missing, no_data, observed, with_code};
use super::provenance::{self, Outcome, Provenance};
use super::releases::Latest;
use crate::assess::verdict::{Decided, incomplete};
use crate::license::{self, Normalized};
use crate::sources::model::{DepsDevVersion, RegistryPackage};
use crate::sources::{Closed, Found, Lookup, NotClosed, repo_url};
use crate::tacos::{Asserted, Evidence, ReasonCode};

/// The upstream repository, validated: from a repository field or a link
/// the registry labels as the source (never a homepage, never an issues or
/// CI page), else deps.dev's SOURCE_REPO link.
pub struct Repository {
    pub url: String,
    pub raw: String,
    pub place: &'static str,
    pub closed: Result<Closed, NotClosed>,
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

/// The upstream repository, and what the provenance of the release in use
/// says of it: a verified provenance naming the same repository confirms
/// it (in the evidence), one naming another contradicts the declaration
/// (a conflict, never a value), and one that does not verify, or none,
/// leaves the declaration standing alone, as the evidence says.
pub fn upstream_repository(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: Option<&str>,
    provenance: &Lookup<Provenance>,
) -> Decided<Asserted<String>> {
    match repository(registry, depsdev, latest) {
        Some(r) => match r.closed {
            Ok(c) => {
                let mut e = r.evidence;
                match provenance_says(&r.url, provenance) {
                    Said::Nothing => {}
                    Said::Note(note, observed) => {
                        e.reason.push_str(&format!("; {note}"));
                        if let Some(Value::Object(o)) = e.observed.as_mut() {
                            o.insert("provenance".into(), observed);
                        }
                    }
                    Said::Contradicts(why, observed) => {
                        e.code = ReasonCode::Conflict;
                        e.reason.push_str(&format!("; not asserted: {why}"));
                        if let Some(Value::Object(o)) = e.observed.as_mut() {
                            o.insert("provenance".into(), observed);
                        }
                        return Decided::unknown(e);
                    }
                }
                Decided::asserted(c, r.url, e)
            }
            Err(why) => Decided::unknown(incomplete(r.evidence, &why)),
        },
        None => {
            let mut e = missing(registry, "no repository URL");
            if let Some(found) = registry.found() {
                match &found.value.details_missing {
                    Some(why) => {
                        let what = "no repository URL (and deps.dev gives none)";
                        e = answer_missing(&found.source, what, why);
                    }
                    None => {
                        e.code = ReasonCode::NoData;
                        e.reason = "no repository URL is declared in a repository field or a link labelled as the source (a homepage is not taken for the repository), and deps.dev gives none".into();
                    }
                }
            }
            Decided::unknown(e)
        }
    }
}

enum Said {
    Nothing,
    Note(String, Value),
    Contradicts(String, Value),
}

fn provenance_says(declared: &str, provenance: &Lookup<Provenance>) -> Said {
    let Lookup::Found(f) = provenance else {
        return Said::Nothing;
    };
    let p = &f.value;
    let observed = p.observed(&f.url);
    match &p.outcome {
        Outcome::Verified {
            made,
            repository,
            workflow,
            commit,
            logged,
            ..
        } => {
            let at = commit
                .as_deref()
                .map(|c| format!(" at commit {c}"))
                .unwrap_or_default();
            if provenance::same_repository(declared, repository) {
                Said::Note(
                    format!(
                        "confirmed by the verified provenance of release {}: {made} from {repository}{at} by {workflow} ({logged})",
                        p.version
                    ),
                    observed,
                )
            } else {
                Said::Contradicts(
                    format!(
                        "the verified provenance of release {} says it was {made} from {repository}{at} by {workflow}, not from the declared repository (a repository renamed or moved since that release looks the same from here)",
                        p.version
                    ),
                    observed,
                )
            }
        }
        Outcome::Unverified(why) => Said::Note(
            format!(
                "release {}'s provenance proves nothing ({why}), so the declaration stands alone",
                p.version
            ),
            observed,
        ),
    }
}

pub fn license_latest(
    registry: &Lookup<RegistryPackage>,
    depsdev: &Lookup<DepsDevVersion>,
    latest: &Latest,
) -> Decided<Asserted<String>> {
    let Some(version) = latest.version.as_deref() else {
        return Decided::unknown(no_data(
            "tacos-sbom",
            "no latest stable release is known, so its license is not either",
        ));
    };
    let declared = registry.found().and_then(|found| {
        found
            .value
            .release(version)
            .and_then(|r| r.license.clone())
            .map(|l| (found, l))
    });
    if let Some((found, declared)) = declared {
        return license_decision(found, &declared, version, latest);
    }
    if let Some(found) = depsdev.found()
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
    let mut e = missing(registry, "no license");
    if let Some(found) = registry.found() {
        match &found.value.details_missing {
            Some(why) => e = answer_missing(&found.source, "no license data", why),
            // A complete answer, read, without a license.
            None => {
                e.code = ReasonCode::NoData;
                e.reason =
                    format!("release {version} declares no license in the registry metadata");
            }
        }
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

pub fn sbom_list() -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::NoData,
        "no source consulted lists a published SBOM for the latest release",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::fields::latest_stable;
    use crate::assess::fields::testkit::*;
    use crate::purl::Ecosystem;
    use crate::sources::model::Release;

    fn no_depsdev() -> Lookup<DepsDevVersion> {
        failures("deps.dev").remove(2).0
    }

    fn depsdev_links(links: &[(&str, &str)]) -> Lookup<DepsDevVersion> {
        complete(
            DepsDevVersion {
                links: links
                    .iter()
                    .map(|(l, u)| (l.to_string(), u.to_string()))
                    .collect(),
                ..depsdev("1.0.0")
            },
            "deps.dev",
        )
    }

    fn declaring(
        release_repo: Option<&str>,
        package_repo: Option<&str>,
        links: &[(&str, &str)],
    ) -> Lookup<RegistryPackage> {
        complete(
            RegistryPackage {
                repository: package_repo.map(String::from),
                links: links
                    .iter()
                    .map(|(l, u)| (l.to_string(), u.to_string()))
                    .collect(),
                ..package(vec![Release {
                    repository: release_repo.map(String::from),
                    ..release("1.0.0")
                }])
            },
            "npm",
        )
    }

    #[test]
    fn upstream_repository_comes_from_a_declared_source_never_a_homepage() {
        let homepage = ("Homepage", "https://github.com/o/home");
        let source = ("Source Code", "https://github.com/o/r");
        let none = "no repository URL is declared in a repository field or a link labelled as the source (a homepage is not taken for the repository), and deps.dev gives none";
        let cases = vec![
            (
                "the latest release's repository field comes first",
                declaring(
                    Some("git+https://github.com/o/r.git"),
                    Some("https://github.com/o/other"),
                    &[],
                ),
                no_depsdev(),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "https://github.com/o/r from the latest stable release's repository field (\"git+https://github.com/o/r.git\")",
            ),
            (
                "then the package's repository field",
                declaring(None, Some("github:o/r"), &[homepage, source]),
                no_depsdev(),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "from the package's repository field",
            ),
            (
                "then a link labelled as the source",
                declaring(None, None, &[homepage, source]),
                no_depsdev(),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "from a project link labelled as the source",
            ),
            (
                "a page of a repository is not the repository",
                declaring(Some("https://github.com/o/r/issues"), None, &[source]),
                no_depsdev(),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "from a project link labelled as the source",
            ),
            (
                "a homepage is not taken for the repository",
                declaring(None, None, &[homepage]),
                depsdev_links(&[("HOMEPAGE", "https://github.com/o/home")]),
                Is::NoAssertion,
                ReasonCode::NoData,
                none,
            ),
            (
                "else deps.dev's SOURCE_REPO link",
                declaring(None, None, &[homepage]),
                depsdev_links(&[("SOURCE_REPO", "https://github.com/o/r.git")]),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "https://github.com/o/r from deps.dev's SOURCE_REPO link",
            ),
        ];
        for (case, registry, depsdev, is, code, says) in cases {
            expect(
                case,
                &upstream_repository(&registry, &depsdev, Some("1.0.0"), &no_provenance()),
                is,
                code,
                says,
            );
        }
    }

    #[test]
    fn upstream_repository_without_a_registry_answer() {
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &upstream_repository(&registry, &no_depsdev(), None, &no_provenance()),
                Is::NoAssertion,
                code,
                "no repository URL: ",
            );
            expect(
                &format!("{code:?}, deps.dev knows it"),
                &upstream_repository(
                    &registry,
                    &depsdev_links(&[("SOURCE_REPO", "https://github.com/o/r")]),
                    None,
                    &no_provenance(),
                ),
                value("https://github.com/o/r"),
                ReasonCode::Observed,
                "from deps.dev's SOURCE_REPO link",
            );
        }
    }

    #[test]
    fn upstream_repository_is_asserted_only_on_closed_world_evidence() {
        let registry = declaring(None, Some("https://github.com/o/r"), &[]);
        for (case, l) in degraded(&registry) {
            expect_incomplete(
                case,
                &upstream_repository(&l, &no_depsdev(), Some("1.0.0"), &no_provenance()),
                "npm's answer is",
            );
        }
        let depsdev = depsdev_links(&[("SOURCE_REPO", "https://github.com/o/r")]);
        let silent = declaring(None, None, &[]);
        for (case, l) in degraded(&depsdev) {
            expect_incomplete(
                case,
                &upstream_repository(&silent, &l, Some("1.0.0"), &no_provenance()),
                "deps.dev's answer is",
            );
        }
    }

    fn no_provenance() -> Lookup<Provenance> {
        Lookup::NotApplicable {
            source: provenance::SOURCE.into(),
            why: "not npm".into(),
        }
    }

    fn licensed(license: Option<&str>) -> Lookup<RegistryPackage> {
        registry(vec![Release {
            license: license.map(String::from),
            ..release("1.0.0")
        }])
    }

    /// A listing whose second answer (crates: the web API's) was missing.
    fn without_details(mut l: Lookup<RegistryPackage>, transient: bool) -> Lookup<RegistryPackage> {
        if let Lookup::Found(f) = &mut l {
            f.value.details_missing = Some(crate::sources::model::AnswerGap {
                why: "the crates.io API answered 404 for x".into(),
                transient,
            });
        }
        l
    }

    fn depsdev_licenses(licenses: &[&str]) -> Lookup<DepsDevVersion> {
        complete(
            DepsDevVersion {
                licenses: licenses.iter().map(|l| l.to_string()).collect(),
                ..depsdev("1.0.0")
            },
            "deps.dev",
        )
    }

    #[test]
    fn license_of_the_latest_release_is_a_valid_spdx_expression() {
        let cases = vec![
            (
                "the registry's declared expression",
                licensed(Some("MIT")),
                depsdev_licenses(&["Apache-2.0"]),
                value("MIT"),
                ReasonCode::Observed,
                "MIT: the license 1.0.0 declares",
            ),
            (
                "a name that means exactly one license",
                licensed(Some("MIT License")),
                no_depsdev(),
                value("MIT"),
                ReasonCode::Observed,
                "MIT: the license 1.0.0 declares (normalized from the license name \"MIT License\")",
            ),
            (
                "a name that could mean several is not guessed",
                licensed(Some("BSD License")),
                depsdev_licenses(&["BSD-3-Clause"]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "release 1.0.0: \"BSD License\" is not a valid SPDX license expression",
            ),
            (
                "deps.dev when the registry declares none",
                licensed(None),
                depsdev_licenses(&["Apache-2.0"]),
                value("Apache-2.0"),
                ReasonCode::Observed,
                "Apache-2.0: the license 1.0.0 declares",
            ),
            (
                "deps.dev's several licenses all apply",
                licensed(None),
                depsdev_licenses(&["MIT", "Apache-2.0 OR MIT"]),
                value("(MIT) AND (Apache-2.0 OR MIT)"),
                ReasonCode::Observed,
                "the license 1.0.0 declares",
            ),
            (
                "none declared anywhere",
                licensed(None),
                depsdev_licenses(&[]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "release 1.0.0 declares no license in the registry metadata",
            ),
            (
                "the answer with the licenses was missing",
                without_details(licensed(None), false),
                depsdev_licenses(&[]),
                Is::NoAssertion,
                ReasonCode::NoData,
                "no license data: the crates.io API answered 404 for x",
            ),
            (
                "the answer with the licenses failed",
                without_details(licensed(None), true),
                depsdev_licenses(&[]),
                Is::NoAssertion,
                ReasonCode::SourceUnavailable,
                "no license data: the crates.io API answered 404 for x",
            ),
        ];
        for (case, registry, depsdev, is, code, says) in cases {
            let latest = latest_stable(&registry, Ecosystem::Npm);
            expect(
                case,
                &license_latest(&registry, &depsdev, &latest),
                is,
                code,
                says,
            );
        }
        expect(
            "no latest stable release",
            &license_latest(&licensed(Some("MIT")), &no_depsdev(), &no_latest()),
            Is::NoAssertion,
            ReasonCode::NoData,
            "no latest stable release is known, so its license is not either",
        );
        for (registry, code) in failures::<RegistryPackage>("npm") {
            expect(
                &format!("{code:?}"),
                &license_latest(&registry, &no_depsdev(), &established("1.0.0")),
                Is::NoAssertion,
                code,
                "no license: ",
            );
        }
    }

    #[test]
    fn license_is_asserted_only_on_closed_world_evidence() {
        let registry = licensed(Some("MIT"));
        for (case, l) in degraded(&registry) {
            let latest = latest_stable(&l, Ecosystem::Npm);
            expect_incomplete(
                case,
                &license_latest(&l, &no_depsdev(), &latest),
                "npm's answer is",
            );
        }
        for (case, l) in degraded(&depsdev_licenses(&["MIT"])) {
            expect_incomplete(
                case,
                &license_latest(&licensed(None), &l, &established("1.0.0")),
                "deps.dev's answer is",
            );
        }
        // The registry's answer is complete, but whether 1.0.0 is the
        // latest stable release is not established.
        expect_incomplete(
            "latest release not established",
            &license_latest(&registry, &no_depsdev(), &unestablished("1.0.0")),
            "whether 1.0.0 is deprecated is unknown",
        );
    }

    #[test]
    fn no_source_lists_a_published_sbom() {
        let e = sbom_list();
        assert_eq!(e.code, ReasonCode::NoData);
        assert_eq!(
            e.reason,
            "no source consulted lists a published SBOM for the latest release"
        );
    }
}
