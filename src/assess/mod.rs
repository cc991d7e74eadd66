//! Turning evidence into TACOS statements.
//!
//! Each field's value comes with a reason; without evidence a field is
//! NOASSERTION and the reason says what was missing.

pub mod fields;
pub mod gather;
pub mod merge;
pub mod platform;
pub mod resolve;
pub mod session;
pub mod verdict;

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

/// The releases of a package in use across the SBOMs, shared by every
/// version of it that is assessed (with 38,000 packages, copies of these
/// lists were 15 MB).
pub type InUse = std::sync::Arc<[String]>;

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
    set_releases_in_use(&mut s, releases_in_use);
    s
}

/// Put this run's releases in use on a statement (one decided by an earlier
/// run carries that run's).
pub fn set_releases_in_use(s: &mut Statement, releases_in_use: Vec<String>) {
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
/// it: every field decided by its own function in [`fields`], each value
/// made through [`verdict::Decided`].
pub fn statement(
    facts: &fields::Facts,
    releases_in_use: Vec<String>,
    cfg: &crate::config::Assessment,
) -> Statement {
    let mut s = identity(&facts.purl, releases_in_use, &not_assessed());
    let latest = fields::latest_stable(facts);
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
        fields::upstream_repository(facts, v)
    );
    set!(
        spdx_license_latest_release,
        Field::SpdxLicenseLatestRelease,
        fields::license_latest(facts, &latest)
    );
    s.set_evidence(Field::Sbom, fields::sbom_list());
    set!(
        known_releases_url,
        Field::KnownReleasesUrl,
        fields::known_releases_url(facts)
    );
    set!(
        known_vulnerabilities_url,
        Field::KnownVulnerabilitiesUrl,
        fields::known_vulnerabilities_url(facts)
    );
    set!(
        fixed_vulnerabilities,
        Field::FixedVulnerabilities,
        fields::fixed_vulnerabilities(facts, &latest)
    );
    set!(
        clean_release_available,
        Field::CleanReleaseAvailable,
        fields::clean_release_available(facts)
    );
    set!(
        dependencies_are_managed,
        Field::DependenciesAreManaged,
        fields::dependencies_are_managed(facts, &latest)
    );
    set!(
        multiple_maintainers,
        Field::MultipleMaintainers,
        fields::multiple_maintainers(facts)
    );
    set!(
        package_status,
        Field::PackageStatus,
        fields::package_status(facts, &latest, cfg)
    );
    set!(
        income_streams,
        Field::IncomeStreams,
        fields::income_streams(facts, v)
    );
    set!(
        no_binaries_in_repository,
        Field::NoBinariesInRepository,
        fields::no_binaries(facts, cfg)
    );
    set!(
        code_review_practice,
        Field::CodeReviewPractice,
        fields::code_review(facts, cfg)
    );
    set!(
        fuzzing_practice,
        Field::FuzzingPractice,
        fields::fuzzing(facts, cfg)
    );
    set!(
        security_responsive,
        Field::SecurityResponsive,
        fields::security_responsive(facts, cfg)
    );
    let (policy, contact) = fields::security_policy(facts);
    set!(
        package_security_policy_url,
        Field::PackageSecurityPolicyUrl,
        policy
    );
    set!(
        package_security_contact,
        Field::PackageSecurityContact,
        contact
    );
    for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
        s.set_evidence(field, fields::attested_only(field.name()));
    }
    s
}
