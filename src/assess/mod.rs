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

pub use fields::statement;

/// Changes whenever what a statement's evidence means changes (not only
/// its values): part of the assessment store's fingerprint, so a statement
/// decided under older rules is decided again rather than read with the
/// new meaning. 2026-12-08: FixedVulnerabilities' evidence says when its
/// list of vulnerabilities is incomplete, and gives their aliases.
pub const DECISIONS: &str = "2026-12-08";

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
