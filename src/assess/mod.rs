//! Turning evidence into TACOS statements.
//!
//! Each field's value comes with a reason; without evidence a field is
//! NOASSERTION and the reason says what was missing.

pub mod fields;
pub mod gather;
pub mod license;
pub mod merge;
pub mod session;

use crate::purl::Purl;
use crate::tacos::{Evidence, Field, ReasonCode, Statement};

/// What a package is called on its platform, as TACOS `PackagePlatform`.
pub fn platform(purl: &Purl) -> String {
    match purl.ty() {
        "gem" => "rubygems",
        "golang" => "go",
        "composer" => "packagist",
        "cargo" => "cargo",
        "pypi" => "pypi",
        other => other,
    }
    .to_string()
}

/// A statement with what the package URL and the SBOMs establish: the
/// package's identity and the releases in use. Every other field is
/// NOASSERTION with `unassessed` as the reason.
pub fn identity(purl: &Purl, releases_in_use: Vec<String>, unassessed: &Evidence) -> Statement {
    let canonical = purl.to_string();
    let mut s = Statement::blank(
        purl.registry_name(),
        platform(purl),
        canonical.clone(),
        unassessed,
    );
    let from_purl = |what: &str| {
        Evidence::new(
            "purl",
            ReasonCode::FromPurl,
            format!("{what} from the canonical package URL {canonical}"),
        )
    };
    s.set_evidence(Field::PackageName, from_purl("name"));
    s.set_evidence(Field::PackagePlatform, from_purl("platform"));
    s.set_evidence(Field::Purl, from_purl("canonical form"));
    let reason = match releases_in_use.len() {
        0 => "no version of this package is named in the SBOM(s)".to_string(),
        _ => format!(
            "versions of this package in the SBOM(s): {}",
            releases_in_use.join(", ")
        ),
    };
    s.set_evidence(
        Field::ReleasesInUse,
        Evidence::new("sbom", ReasonCode::FromSbom, reason),
    );
    s.releases_in_use = releases_in_use;
    s
}

/// The reason given for fields a run did not assess.
pub fn not_assessed() -> Evidence {
    Evidence::new(
        "tacos-sbom",
        ReasonCode::NotAssessed,
        "not assessed: no package source was consulted for this field",
    )
}

/// The full statement for one package version from the facts gathered about
/// it: every field decided by its own function in [`fields`].
pub fn statement(
    facts: &fields::Facts,
    releases_in_use: Vec<String>,
    cfg: &crate::config::Assessment,
) -> Statement {
    use crate::tacos::Asserted;
    let mut s = identity(&facts.purl, releases_in_use, &not_assessed());
    let latest = fields::latest_stable(facts);
    let version = latest.value.clone();
    let v = version.as_deref();
    s.latest_stable_release = match &latest.value {
        Some(x) => Asserted::Value(x.clone()),
        None => Asserted::NoAssertion,
    };
    s.set_evidence(Field::LatestStableRelease, latest.evidence);

    let d = fields::upstream_repository(facts, v);
    s.upstream_repository_url = d.value;
    s.set_evidence(Field::UpstreamRepositoryUrl, d.evidence);
    let d = fields::license_latest(facts, v);
    s.spdx_license_latest_release = d.value;
    s.set_evidence(Field::SpdxLicenseLatestRelease, d.evidence);
    s.set_evidence(Field::Sbom, fields::sbom_list());
    let d = fields::known_releases_url(facts);
    s.known_releases_url = d.value;
    s.set_evidence(Field::KnownReleasesUrl, d.evidence);
    let d = fields::known_vulnerabilities_url(facts);
    s.known_vulnerabilities_url = d.value;
    s.set_evidence(Field::KnownVulnerabilitiesUrl, d.evidence);

    let d = fields::fixed_vulnerabilities(facts, v);
    s.fixed_vulnerabilities = d.value;
    s.set_evidence(Field::FixedVulnerabilities, d.evidence);
    let d = fields::clean_release_available(facts, v);
    s.clean_release_available = d.value;
    s.set_evidence(Field::CleanReleaseAvailable, d.evidence);
    let d = fields::dependencies_are_managed(facts, v);
    s.dependencies_are_managed = d.value;
    s.set_evidence(Field::DependenciesAreManaged, d.evidence);

    let d = fields::multiple_maintainers(facts);
    s.multiple_maintainers = d.value;
    s.set_evidence(Field::MultipleMaintainers, d.evidence);
    let d = fields::package_status(facts, v, cfg);
    s.package_status = d.value;
    s.set_evidence(Field::PackageStatus, d.evidence);
    let d = fields::income_streams(facts, v);
    s.income_streams = d.value;
    s.set_evidence(Field::IncomeStreams, d.evidence);

    let d = fields::no_binaries(facts, cfg);
    s.no_binaries_in_repository = d.value;
    s.set_evidence(Field::NoBinariesInRepository, d.evidence);
    let d = fields::code_review(facts, cfg);
    s.code_review_practice = d.value;
    s.set_evidence(Field::CodeReviewPractice, d.evidence);
    let d = fields::fuzzing(facts, cfg);
    s.fuzzing_practice = d.value;
    s.set_evidence(Field::FuzzingPractice, d.evidence);
    let d = fields::security_responsive(facts, cfg);
    s.security_responsive = d.value;
    s.set_evidence(Field::SecurityResponsive, d.evidence);
    let (policy, contact) = fields::security_policy(facts);
    s.package_security_policy_url = policy.value;
    s.set_evidence(Field::PackageSecurityPolicyUrl, policy.evidence);
    s.package_security_contact = contact.value;
    s.set_evidence(Field::PackageSecurityContact, contact.evidence);

    for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
        s.set_evidence(field, fields::attested_only(field.name()));
    }
    s
}
