//! One function per TACOS field (or small family): evidence in, value and
//! reason out. Nothing here touches the network; `gather` collected the
//! facts. A True or a value is made only with a [`Closed`] witness (see
//! [`super::verdict`]): complete, well-formed, current evidence about
//! exactly this package. Without it a field is False when a problem was
//! found, else NOASSERTION with a reason that names what was incomplete.

mod attested;
mod evidence;
mod metadata;
mod releases;
mod scorecard;
mod stewardship;
mod vulnerabilities;

pub use attested::attested_only;
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
use crate::sources::model::{DepsDevVersion, RegistryPackage, Scorecard, Vulnerability};
use crate::tacos::{Field, Statement};

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
        upstream_repository(&f.registry, &f.depsdev_latest, v)
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
    set!(
        income_streams,
        Field::IncomeStreams,
        income_streams(&f.registry, v, f.now)
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
        policy
    );
    set!(
        package_security_contact,
        Field::PackageSecurityContact,
        contact
    );
    for field in Field::ALL.into_iter().filter(|f| f.is_attested_only()) {
        s.set_evidence(field, attested_only(field.name()));
    }
    s
}
