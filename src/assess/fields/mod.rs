//! One function per TACOS field (or small family): evidence in, value and
//! reason out. Nothing here touches the network; `gather` collected the
//! facts. A True or a value is made only with a [`Closed`](crate::sources::Closed)
//! witness (see [`super::verdict`]): complete, well-formed, current
//! evidence about exactly this package. Without it a field is False when a
//! problem was found, else NOASSERTION with a reason that names what was
//! incomplete.
//!
//! One file per family of fields, each with its tests: `releases`,
//! `metadata` (repository, license, SBOM), `vulnerabilities` (and what
//! installing the package pulls in), `stewardship` (maintainers, status,
//! income), `scorecard` (practices), `attested` (fields only an
//! attestation sets). Each rule is given only the facts it reads;
//! [`statement`] hands them out.

mod attested;
mod evidence;
pub mod insights;
pub mod maintainers;
mod metadata;
pub mod provenance;
mod releases;
mod scorecard;
mod stewardship;
mod vulnerabilities;

pub use attested::{REGISTRY_RULES, RegistryRule, attested_only};
pub use metadata::{Repository, license_latest, repository, sbom_list, upstream_repository};
pub use releases::{Latest, known_releases_url, latest_stable, newest_stable, stable_releases};
pub use scorecard::{code_review, fuzzing, no_binaries, security_policy, security_responsive};
pub use stewardship::{income_streams, multiple_maintainers, package_status};
pub use vulnerabilities::{
    clean_release_available, dependencies_are_managed, fixed_vulnerabilities,
    known_vulnerabilities_url,
};

use std::collections::HashMap;

use time::OffsetDateTime;

use super::resolve::Resolved;
use crate::config::Assessment;
use crate::purl::{Ecosystem, Purl};
use crate::sources::Lookup;
use crate::sources::insights::SecurityInsights;
use crate::sources::model::{DepsDevVersion, RegistryPackage, Scorecard, Vulnerability};
use crate::tacos::{Attestation, Field, Statement};

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
    pub vulns: Checked,
    /// Whether every stable release was checked (an offline database checks
    /// them all; the OSV API is asked about the newest few).
    pub all_releases_checked: bool,
    /// Known vulnerabilities of the version this statement's PURL names (the
    /// one in use), reported beside FixedVulnerabilities.
    pub in_use: Option<(String, Lookup<Vec<Vulnerability>>)>,
    /// Resolved dependency graphs by release (the latest stable release,
    /// and the newest releases that are clean themselves).
    pub graphs: Graphs,
    /// Scorecard's result for the validated upstream repository (not
    /// applicable when there is none).
    pub scorecard: Lookup<Scorecard>,
    /// The validated upstream repository's Security Insights file (not
    /// applicable when there is no validated GitHub repository).
    pub insights: Lookup<SecurityInsights>,
    /// The validated GitHub repository's self-attestation, verified.
    pub self_attestation: Lookup<maintainers::SelfAttested>,
    /// `[self_attestation] max_age_days`.
    pub self_attestation_max_age_days: i64,
    /// The SLSA provenance the registry keeps for the release in use,
    /// verified (npm; not applicable elsewhere).
    pub provenance: Lookup<provenance::Provenance>,
    /// Where OSV lists the package's vulnerabilities, if OSV covers it.
    pub vulnerabilities_listing: Option<String>,
    pub now: OffsetDateTime,
}

/// What OSV knows of each release checked, by version.
pub type Checked = HashMap<String, Lookup<Vec<Vulnerability>>>;

/// Resolved dependency graphs, by the release they were resolved for.
pub type Graphs = HashMap<String, Graph>;

/// A resolved graph and what is known of each node's vulnerabilities
/// (in the order of `resolved.nodes`).
#[derive(Debug, Clone)]
pub struct Graph {
    pub resolved: Resolved,
    pub vulns: Vec<Lookup<Vec<Vulnerability>>>,
}

/// The full statement for one package version from the facts gathered about
/// it: every field decided by its own function, given only the facts it
/// reads, each value made through [`super::verdict::Decided`].
pub fn statement(f: &Facts, releases_in_use: Vec<String>, cfg: &Assessment) -> Statement {
    let mut s = super::identity(&f.purl, releases_in_use, &super::not_assessed());
    let latest = latest_stable(&f.registry, f.ecosystem);
    let v = latest.version.as_deref();
    macro_rules! set {
        ($slot:ident, $field:expr, $decided:expr) => {{
            let (value, evidence) = $decided.into_parts();
            s.$slot = value;
            s.set_evidence($field, evidence);
        }};
    }
    set!(
        latest_stable_release,
        Field::LatestStableRelease,
        latest.decided.clone()
    );
    set!(
        upstream_repository_url,
        Field::UpstreamRepositoryUrl,
        upstream_repository(&f.registry, &f.depsdev_latest, v, &f.provenance)
    );
    set!(
        spdx_license_latest_release,
        Field::SpdxLicenseLatestRelease,
        license_latest(&f.registry, &f.depsdev_latest, &latest)
    );
    s.set_evidence(Field::Sbom, sbom_list());
    set!(
        known_releases_url,
        Field::KnownReleasesUrl,
        known_releases_url(&f.registry)
    );
    set!(
        known_vulnerabilities_url,
        Field::KnownVulnerabilitiesUrl,
        known_vulnerabilities_url(f.vulnerabilities_listing.as_deref(), f.ecosystem)
    );
    set!(
        fixed_vulnerabilities,
        Field::FixedVulnerabilities,
        fixed_vulnerabilities(&f.vulns, f.in_use.as_ref(), &latest)
    );
    set!(
        clean_release_available,
        Field::CleanReleaseAvailable,
        clean_release_available(
            &f.registry,
            f.ecosystem,
            &f.vulns,
            f.all_releases_checked,
            &f.graphs
        )
    );
    set!(
        dependencies_are_managed,
        Field::DependenciesAreManaged,
        dependencies_are_managed(&f.graphs, &f.registry, &latest)
    );
    set!(
        multiple_maintainers,
        Field::MultipleMaintainers,
        multiple_maintainers(&f.registry)
    );
    set!(
        package_status,
        Field::PackageStatus,
        package_status(&f.registry, &f.depsdev_latest, &latest, f.now, cfg)
    );
    let consulted = insights::consulted(&f.insights);
    set!(
        income_streams,
        Field::IncomeStreams,
        insights::either(
            income_streams(&f.registry, v, f.now),
            insights::funding(&f.insights, f.now),
            consulted
        )
    );
    set!(
        no_binaries_in_repository,
        Field::NoBinariesInRepository,
        no_binaries(&f.scorecard, cfg)
    );
    set!(
        code_review_practice,
        Field::CodeReviewPractice,
        code_review(&f.scorecard, cfg)
    );
    set!(
        fuzzing_practice,
        Field::FuzzingPractice,
        fuzzing(&f.scorecard, cfg)
    );
    set!(
        security_responsive,
        Field::SecurityResponsive,
        security_responsive(&f.scorecard, cfg)
    );
    let (policy, contact) = security_policy(&f.scorecard);
    set!(
        package_security_policy_url,
        Field::PackageSecurityPolicyUrl,
        insights::either(policy, insights::security_policy(&f.insights), consulted)
    );
    set!(
        package_security_contact,
        Field::PackageSecurityContact,
        insights::either(contact, insights::security_contact(&f.insights), consulted)
    );
    for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
        s.set_evidence(field, attested_only(field.name()));
    }
    // SDLCPolicyURL is the one attested-only field the maintainers'
    // Security Insights file speaks to.
    set!(
        sdlc_policy_url,
        Field::SdlcPolicyUrl,
        insights::either(
            crate::assess::verdict::Decided::unknown(attested_only(Field::SdlcPolicyUrl.name())),
            insights::development_policy(&f.insights),
            consulted
        )
    );
    self_attested(&mut s, f, latest_released(f));
    for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
        if let Some(e) = s.evidence.get_mut(&field) {
            attested::with_registry_context(e, f.ecosystem, field);
        }
    }
    s
}

/// When the release in use was published, if the registry says.
fn latest_released(f: &Facts) -> Option<time::OffsetDateTime> {
    let v = f.purl.version()?;
    f.registry.value()?.release(v)?.published
}

/// The attested-only fields the maintainers' verified self-attestation
/// sets; signed, it stands over the unsigned Security Insights file for
/// SDLCPolicyURL. Where it sets nothing, the reason gains why (when a
/// repository was looked in).
fn self_attested(s: &mut Statement, f: &Facts, released: Option<time::OffsetDateTime>) {
    use crate::assess::verdict::Decided;
    let ctx = maintainers::Context {
        purl: &f.purl,
        released,
        now: f.now,
        max_age_days: f.self_attestation_max_age_days,
    };
    let looked = !matches!(f.self_attestation, Lookup::NotApplicable { .. });
    let note = |s: &mut Statement, field: Field, why: maintainers::Silent| {
        if looked && let Some(e) = s.evidence.get_mut(&field) {
            e.reason
                .push_str(&format!("; self-attestation: {}", why.reason));
        }
    };
    macro_rules! flag {
        ($slot:ident, $field:expr) => {{
            match maintainers::flag(&f.self_attestation, $field.name(), &ctx) {
                Ok(d) => {
                    let d: Decided<Attestation> = d;
                    let (value, evidence) = d.into_parts();
                    s.$slot = value;
                    s.set_evidence($field, evidence);
                }
                Err(why) => note(s, $field, why),
            }
        }};
    }
    // A URL it cannot assert (stale) never takes the place of one that
    // was asserted (the Security Insights file's): it is noted instead.
    macro_rules! url {
        ($slot:ident, $field:expr) => {{
            match maintainers::url(&f.self_attestation, $field.name(), &ctx) {
                Ok(d) if d.value().is_asserted() || !s.$slot.is_asserted() => {
                    let (value, evidence) = d.into_parts();
                    s.$slot = value;
                    s.set_evidence($field, evidence);
                }
                Ok(d) => note(
                    s,
                    $field,
                    maintainers::Silent {
                        code: d.evidence().code,
                        reason: d.evidence().reason.clone(),
                    },
                ),
                Err(why) => note(s, $field, why),
            }
        }};
    }
    flag!(package_manager_mfa_enabled, Field::PackageManagerMfaEnabled);
    flag!(source_repo_mfa_enabled, Field::SourceRepoMfaEnabled);
    flag!(documented_build_practices, Field::DocumentedBuildPractices);
    flag!(succession_plan, Field::SuccessionPlan);
    url!(sdlc_policy_url, Field::SdlcPolicyUrl);
    url!(sdlc_evidence_data_url, Field::SdlcEvidenceDataUrl);
}

#[cfg(test)]
mod testkit;

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::sources::model::{Account, Funding, Maintainers, Release};
    use crate::sources::{Coverage, Found};
    use crate::tacos::{Asserted, Attestation, ReasonCode};

    pub(super) fn facts() -> Facts {
        let r = Release {
            license: Some("MIT".into()),
            repository: Some("git+https://github.com/o/r.git".into()),
            funding: Some(vec![Funding {
                kind: Some("github".into()),
                url: "https://github.com/sponsors/o".into(),
            }]),
            ..release("1.0.0")
        };
        Facts {
            purl: Purl::parse("pkg:npm/pkg@0.9.0").unwrap(),
            ecosystem: Ecosystem::Npm,
            registry: complete(
                RegistryPackage {
                    maintainers: Some(Maintainers {
                        accounts: vec![Account::named("alice"), Account::named("bob")],
                        organisation: None,
                    }),
                    ..package(vec![release("0.9.0"), r])
                },
                "npm",
            ),
            depsdev_latest: complete(
                DepsDevVersion {
                    is_deprecated: Some(false),
                    ..depsdev("1.0.0")
                },
                "deps.dev",
            ),
            vulns: checked(vec![
                ("1.0.0", osv(vec![])),
                ("0.9.0", osv(vec![vuln("GHSA-old")])),
            ]),
            all_releases_checked: false,
            in_use: Some(("0.9.0".into(), osv(vec![vuln("GHSA-old")]))),
            graphs: graphs(vec![("1.0.0", graph(vec![(node("a@1.0.0"), osv(vec![]))]))]),
            // Each practice decided differently, so that a field wired to
            // another's rule shows.
            scorecard: scorecard(&[
                ("Binary-Artifacts", 10),
                ("Code-Review", 3),
                ("Fuzzing", -1),
                ("Maintained", 10),
                ("Security-Policy", 10),
            ]),
            insights: Lookup::NotApplicable {
                source: "OpenSSF Security Insights".into(),
                why: "no validated GitHub repository".into(),
            },
            self_attestation: Lookup::NotApplicable {
                source: maintainers::SOURCE.into(),
                why: "no validated GitHub repository".into(),
            },
            self_attestation_max_age_days: 365,
            provenance: Lookup::NotApplicable {
                source: provenance::SOURCE.into(),
                why: "not asked".into(),
            },
            vulnerabilities_listing: Some("https://osv.example/list?q=pkg".into()),
            now: NOW,
        }
    }

    /// Every field is set from its own rule, given the facts it reads.
    #[test]
    fn the_statement_takes_each_field_from_its_rule() {
        let f = facts();
        let cfg = Assessment::default();
        let s = statement(&f, vec!["0.9.0".into()], &cfg);
        let latest = latest_stable(&f.registry, f.ecosystem);
        let v = latest.version.as_deref();
        macro_rules! from {
            ($slot:ident, $field:expr, $decided:expr) => {{
                let d = $decided;
                assert_eq!(&s.$slot, d.value(), "{}", $field);
                assert_eq!(&s.evidence[&$field], d.evidence(), "{}", $field);
            }};
        }
        from!(
            latest_stable_release,
            Field::LatestStableRelease,
            latest.decided.clone()
        );
        from!(
            upstream_repository_url,
            Field::UpstreamRepositoryUrl,
            upstream_repository(&f.registry, &f.depsdev_latest, v, &f.provenance)
        );
        from!(
            spdx_license_latest_release,
            Field::SpdxLicenseLatestRelease,
            license_latest(&f.registry, &f.depsdev_latest, &latest)
        );
        from!(
            known_releases_url,
            Field::KnownReleasesUrl,
            known_releases_url(&f.registry)
        );
        from!(
            known_vulnerabilities_url,
            Field::KnownVulnerabilitiesUrl,
            known_vulnerabilities_url(f.vulnerabilities_listing.as_deref(), f.ecosystem)
        );
        from!(
            fixed_vulnerabilities,
            Field::FixedVulnerabilities,
            fixed_vulnerabilities(&f.vulns, f.in_use.as_ref(), &latest)
        );
        from!(
            clean_release_available,
            Field::CleanReleaseAvailable,
            clean_release_available(&f.registry, f.ecosystem, &f.vulns, false, &f.graphs)
        );
        from!(
            dependencies_are_managed,
            Field::DependenciesAreManaged,
            dependencies_are_managed(&f.graphs, &f.registry, &latest)
        );
        from!(
            multiple_maintainers,
            Field::MultipleMaintainers,
            multiple_maintainers(&f.registry)
        );
        from!(
            package_status,
            Field::PackageStatus,
            package_status(&f.registry, &f.depsdev_latest, &latest, NOW, &cfg)
        );
        from!(
            income_streams,
            Field::IncomeStreams,
            income_streams(&f.registry, v, NOW)
        );
        from!(
            no_binaries_in_repository,
            Field::NoBinariesInRepository,
            no_binaries(&f.scorecard, &cfg)
        );
        from!(
            code_review_practice,
            Field::CodeReviewPractice,
            code_review(&f.scorecard, &cfg)
        );
        from!(
            fuzzing_practice,
            Field::FuzzingPractice,
            fuzzing(&f.scorecard, &cfg)
        );
        from!(
            security_responsive,
            Field::SecurityResponsive,
            security_responsive(&f.scorecard, &cfg)
        );
        let (policy, contact) = security_policy(&f.scorecard);
        from!(
            package_security_policy_url,
            Field::PackageSecurityPolicyUrl,
            policy
        );
        from!(
            package_security_contact,
            Field::PackageSecurityContact,
            contact
        );
        assert_eq!(s.evidence[&Field::Sbom], sbom_list());
        for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
            assert_eq!(s.evidence[&field], attested_only(field.name()));
        }
        // The facts were rich enough that the rules disagree: a field
        // wired to another's rule would not pass the checks above.
        assert_eq!(
            (
                s.no_binaries_in_repository,
                s.code_review_practice,
                s.fuzzing_practice
            ),
            (
                Attestation::True,
                Attestation::False,
                Attestation::NoAssertion
            )
        );
        assert_eq!(s.fixed_vulnerabilities, Attestation::True);
        assert_eq!(s.clean_release_available, Attestation::True);
        assert_eq!(s.dependencies_are_managed, Attestation::True);
        assert_eq!(s.latest_stable_release, Asserted::Value("1.0.0".into()));
        // Identity and the releases in use come from the package URL and the SBOM.
        assert_eq!(
            (
                s.package_name.as_str(),
                s.package_platform.as_str(),
                s.purl.as_str()
            ),
            ("pkg", "npm", "pkg:npm/pkg@0.9.0")
        );
        for field in [Field::PackageName, Field::PackagePlatform, Field::Purl] {
            assert_eq!(s.evidence[&field].code, ReasonCode::FromPurl);
        }
        assert_eq!(s.releases_in_use, ["0.9.0"]);
        assert_eq!(
            s.evidence[&Field::ReleasesInUse].reason,
            "versions of this package in the SBOM(s): 0.9.0"
        );
        assert!(Field::ALL.iter().all(|f| s.evidence.contains_key(f)));
    }

    /// With no source answering, nothing is asserted and every field says why.
    #[test]
    fn a_statement_from_no_answers_asserts_nothing_but_identity() {
        let (registry, _) = failures::<RegistryPackage>("npm").remove(2);
        let f = Facts {
            registry,
            depsdev_latest: failures("deps.dev").remove(2).0,
            vulns: checked(vec![]),
            in_use: None,
            graphs: graphs(vec![]),
            scorecard: failures("OpenSSF Scorecard").remove(3).0,
            vulnerabilities_listing: None,
            ..facts()
        };
        let s = statement(&f, vec![], &Assessment::default());
        for field in Field::ALL {
            let e = &s.evidence[&field];
            let identity = matches!(
                field,
                Field::PackageName | Field::PackagePlatform | Field::Purl | Field::ReleasesInUse
            );
            if identity {
                assert!(matches!(
                    e.code,
                    ReasonCode::FromPurl | ReasonCode::FromSbom
                ));
                continue;
            }
            assert!(!s.is_asserted(field), "{field}: {}", e.reason);
            assert!(
                !matches!(e.code, ReasonCode::Observed | ReasonCode::NotAssessed),
                "{field}: {:?} {}",
                e.code,
                e.reason
            );
        }
        assert_eq!(
            s.evidence[&Field::ReleasesInUse].reason,
            "no version of this package is named in the SBOM(s)"
        );
    }

    fn recorded(rel: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(rel),
        )
        .unwrap()
    }

    /// Real answers, read by the real parsers: the full registry answer
    /// decides; the same package from a mirror that strips maintainers,
    /// deprecation notices and publish times decides nothing positive.
    #[test]
    fn recorded_registry_answers_decide_as_much_as_they_show() {
        let cfg = Assessment::default();
        let full = crate::sources::npm::parse_packument(
            &recorded("registry/npm-complete-examples/lodash.json"),
            "lodash",
        )
        .unwrap();
        let full = Lookup::Found(Found::complete(
            full,
            "npm",
            "https://npm.example/lodash",
            NOW,
        ));
        let latest = latest_stable(&full, Ecosystem::Npm);
        assert_eq!(
            latest.decided.value(),
            &Asserted::Value("4.17.21".to_string())
        );
        assert_eq!(
            multiple_maintainers(&full).value(),
            &Attestation::True,
            "{}",
            multiple_maintainers(&full).evidence().reason
        );
        let none = failures("deps.dev").remove(2).0;
        expect(
            "lodash's last release was in 2021",
            &package_status(&full, &none, &latest, NOW, &cfg),
            value("Inactive"),
            ReasonCode::Observed,
            "the newest release (4.17.21) is",
        );
        expect(
            "lodash's license",
            &license_latest(&full, &none, &latest),
            value("MIT"),
            ReasonCode::Observed,
            "MIT: the license 4.17.21 declares",
        );
        let mirrored =
            crate::sources::npm::parse_packument(&recorded("registry/npm/lodash.json"), "lodash")
                .unwrap();
        let mirrored = Lookup::Found(Found::complete(
            mirrored,
            "npm",
            "https://npm.example/lodash",
            NOW,
        ));
        let latest = latest_stable(&mirrored, Ecosystem::Npm);
        expect_incomplete(
            "the mirror strips deprecation notices",
            &latest.decided,
            "is deprecated is unknown",
        );
        expect(
            "the mirror strips maintainers",
            &multiple_maintainers(&mirrored),
            Is::NoAssertion,
            ReasonCode::NoData,
            "does not list who can publish",
        );
        expect_incomplete(
            "the mirror's times are its own",
            &package_status(&mirrored, &none, &latest, NOW, &cfg),
            "release times are unknown",
        );
    }

    #[test]
    fn a_recorded_scorecard_answer_decides_the_practices_while_current() {
        let cfg = Assessment::default();
        let parsed = crate::sources::scorecard::parse(
            &recorded("api/scorecard/github.com_ossf_scorecard.2025-11-15.json"),
            "github.com/ossf/scorecard",
        )
        .unwrap();
        let current = Lookup::Found(Found::complete(
            parsed,
            "OpenSSF Scorecard",
            "https://scorecard.example/projects/github.com/ossf/scorecard",
            NOW,
        ));
        for d in [
            no_binaries(&current, &cfg),
            code_review(&current, &cfg),
            fuzzing(&current, &cfg),
            security_responsive(&current, &cfg),
        ] {
            assert_eq!(d.value(), &Attestation::True, "{}", d.evidence().reason);
        }
        assert_eq!(
            security_policy(&current).0.value(),
            &Asserted::Value("https://github.com/ossf/scorecard/security/policy".to_string())
        );
        // A year on, the same answer is past `max_scorecard_age_days`.
        let old = with_coverage(&current, Coverage::Stale("373 days old".into()));
        for d in [
            no_binaries(&old, &cfg),
            code_review(&old, &cfg),
            fuzzing(&old, &cfg),
            security_responsive(&old, &cfg),
        ] {
            expect_incomplete("a year old", &d, "373 days old");
        }
    }
}

#[cfg(test)]
mod self_attestation_tests {
    use super::maintainers::*;
    use crate::assess::fields::testkit::*;
    use crate::config::Assessment;
    use crate::sources::Lookup;
    use crate::sources::insights::parse_yaml;
    use crate::tacos::self_attestation::Predicate;
    use crate::tacos::{Asserted, Attestation, timestamp};
    use std::collections::BTreeMap;
    use time::{Duration, OffsetDateTime};

    fn attested(signed_at: OffsetDateTime, fields: &[(&str, &str)]) -> Lookup<SelfAttested> {
        complete(
            SelfAttested {
                repository: "github.com/ossf/scorecard".into(),
                file_url: None,
                sha256: "00".repeat(32),
                signed_by: "a test".into(),
                identity: None,
                issuer: None,
                key_id: Some("k".into()),
                signed_at,
                root_name: "a test root".into(),
                predicate: Predicate {
                    repository: "https://github.com/ossf/scorecard".into(),
                    packages: vec!["pkg:npm/pkg".into()],
                    attested_at: timestamp(signed_at),
                    fields: fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<BTreeMap<_, _>>(),
                    evidence: BTreeMap::new(),
                },
            },
            SOURCE,
        )
    }

    /// A stale self-attestation's URL does not wipe the one the Security
    /// Insights file asserted; a current one stands over it.
    #[test]
    fn a_stale_url_never_replaces_an_asserted_one() {
        let mut si = parse_yaml(include_bytes!(
            "../../../tests/fixtures/repos/github.com/ossf/scorecard/security-insights.yml"
        ))
        .unwrap();
        si.repository = "github.com/ossf/scorecard".into();
        si.path = "security-insights.yml".into();
        let ours = "https://github.com/ossf/scorecard/blob/main/docs/sdlc.md";
        let contributing = "https://github.com/ossf/scorecard/blob/main/CONTRIBUTING.md";
        for (age, want, true_mfa) in [(1000, contributing, false), (1, ours, true)] {
            let mut f = super::tests::facts();
            f.insights = complete(si.clone(), "OpenSSF Security Insights");
            f.self_attestation = attested(
                NOW - Duration::days(age),
                &[
                    ("SDLCPolicyURL", ours),
                    ("PackageManagerMFAEnabled", "True"),
                ],
            );
            let s = super::statement(&f, vec![], &Assessment::default());
            assert_eq!(s.sdlc_policy_url, Asserted::Value(want.into()), "{age}");
            assert_eq!(
                s.package_manager_mfa_enabled == Attestation::True,
                true_mfa,
                "{age}"
            );
            if age > 365 {
                let e = &s.evidence[&crate::tacos::Field::SdlcPolicyUrl];
                assert!(e.reason.contains("max_age_days"), "{}", e.reason);
            }
        }
    }
}
