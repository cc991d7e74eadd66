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
use crate::purl::{Ecosystem, Purl};
use crate::sources::Lookup;
use crate::sources::model::{DepsDevVersion, RegistryPackage, Scorecard, Vulnerability};

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
