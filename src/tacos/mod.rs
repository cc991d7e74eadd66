//! The TACOS v1.1 data model: statements, their values and evidence, and the
//! report that carries many statements.
//!
//! The framework publishes a field table but no schema; the JSON form here
//! follows the table (field names exactly as written there, attestation values
//! as the strings "True", "False" and "NOASSERTION") and the report container
//! that published reports use. `schema/` holds JSON Schemas for both.

pub mod self_attestation;
use std::fmt;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const TACOS_VERSION: &str = "1.1";
/// The framework's identifier, as published reports write it in `@id`.
pub const FRAMEWORK_ID: &str = "https://github.com/tacosframework/";
pub const STATEMENT_SCHEMA: &str = include_str!("schema/tacos-statement-1.1.schema.json");
pub const REPORT_SCHEMA: &str = include_str!("schema/tacos-report-1.1.schema.json");

/// The value of an attestation field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Attestation {
    True,
    False,
    #[default]
    NoAssertion,
}

impl Attestation {
    pub fn as_str(self) -> &'static str {
        match self {
            Attestation::True => "True",
            Attestation::False => "False",
            Attestation::NoAssertion => "NOASSERTION",
        }
    }
}

impl fmt::Display for Attestation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Attestation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Attestation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "True" => Ok(Attestation::True),
            "False" => Ok(Attestation::False),
            "NOASSERTION" => Ok(Attestation::NoAssertion),
            other => Err(serde::de::Error::custom(format!(
                "expected \"True\", \"False\" or \"NOASSERTION\", found {other:?}"
            ))),
        }
    }
}

/// A metadata value that may be unknown: the value, or "NOASSERTION".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Asserted<T> {
    Value(T),
    #[default]
    NoAssertion,
}

impl<T> Asserted<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Asserted::Value(v) => Some(v),
            Asserted::NoAssertion => None,
        }
    }

    pub fn is_asserted(&self) -> bool {
        matches!(self, Asserted::Value(_))
    }
}

impl<T: Serialize> Serialize for Asserted<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Asserted::Value(v) => v.serialize(s),
            Asserted::NoAssertion => s.serialize_str("NOASSERTION"),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Asserted<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if v.as_str() == Some("NOASSERTION") {
            return Ok(Asserted::NoAssertion);
        }
        T::deserialize(v)
            .map(Asserted::Value)
            .map_err(serde::de::Error::custom)
    }
}

/// `PackageStatus.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Active,
    Inactive,
    Deprecated,
    Removed,
    #[serde(rename = "EOL")]
    Eol,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageStatus {
    #[serde(rename = "Status")]
    pub status: Status,
    #[serde(rename = "LastModifiedDateTimeUTC")]
    pub last_modified: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncomeType {
    Lifted,
    Corporate,
    Foundation,
    Variable,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeStream {
    #[serde(rename = "Type")]
    pub kind: IncomeType,
    #[serde(rename = "EvidenceURL")]
    pub evidence_url: String,
    #[serde(rename = "LastModifiedDateTimeUTC")]
    pub last_modified: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SbomType {
    CycloneDX,
    #[serde(rename = "SPDX")]
    Spdx,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbomRef {
    #[serde(rename = "Type")]
    pub kind: SbomType,
    #[serde(rename = "URL")]
    pub url: String,
    #[serde(
        rename = "DigitalSignatureURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub signature_url: Option<String>,
}

/// The TACOS v1.1 fields, in the framework's table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Field {
    PackageName,
    PackagePlatform,
    #[serde(rename = "PURL")]
    Purl,
    #[serde(rename = "UpstreamRepositoryURL")]
    UpstreamRepositoryUrl,
    #[serde(rename = "SPDXLicenseLatestRelease")]
    SpdxLicenseLatestRelease,
    LatestStableRelease,
    ReleasesInUse,
    #[serde(rename = "SBOM")]
    Sbom,
    #[serde(rename = "PackageManagerMFAEnabled")]
    PackageManagerMfaEnabled,
    #[serde(rename = "SourceRepoMFAEnabled")]
    SourceRepoMfaEnabled,
    DocumentedBuildPractices,
    #[serde(rename = "KnownReleasesURL")]
    KnownReleasesUrl,
    CleanReleaseAvailable,
    FixedVulnerabilities,
    DependenciesAreManaged,
    #[serde(rename = "KnownVulnerabilitiesURL")]
    KnownVulnerabilitiesUrl,
    #[serde(rename = "PackageSecurityPolicyURL")]
    PackageSecurityPolicyUrl,
    PackageSecurityContact,
    SecurityResponsive,
    MultipleMaintainers,
    SuccessionPlan,
    NoBinariesInRepository,
    CodeReviewPractice,
    FuzzingPractice,
    #[serde(rename = "SDLCPolicyURL")]
    SdlcPolicyUrl,
    #[serde(rename = "SDLCEvidenceDataURL")]
    SdlcEvidenceDataUrl,
    PackageStatus,
    IncomeStreams,
}

impl Field {
    pub const ALL: [Field; 28] = [
        Field::PackageName,
        Field::PackagePlatform,
        Field::Purl,
        Field::UpstreamRepositoryUrl,
        Field::SpdxLicenseLatestRelease,
        Field::LatestStableRelease,
        Field::ReleasesInUse,
        Field::Sbom,
        Field::PackageManagerMfaEnabled,
        Field::SourceRepoMfaEnabled,
        Field::DocumentedBuildPractices,
        Field::KnownReleasesUrl,
        Field::CleanReleaseAvailable,
        Field::FixedVulnerabilities,
        Field::DependenciesAreManaged,
        Field::KnownVulnerabilitiesUrl,
        Field::PackageSecurityPolicyUrl,
        Field::PackageSecurityContact,
        Field::SecurityResponsive,
        Field::MultipleMaintainers,
        Field::SuccessionPlan,
        Field::NoBinariesInRepository,
        Field::CodeReviewPractice,
        Field::FuzzingPractice,
        Field::SdlcPolicyUrl,
        Field::SdlcEvidenceDataUrl,
        Field::PackageStatus,
        Field::IncomeStreams,
    ];

    /// The field's name as the framework writes it.
    pub fn name(self) -> &'static str {
        match self {
            Field::PackageName => "PackageName",
            Field::PackagePlatform => "PackagePlatform",
            Field::Purl => "PURL",
            Field::UpstreamRepositoryUrl => "UpstreamRepositoryURL",
            Field::SpdxLicenseLatestRelease => "SPDXLicenseLatestRelease",
            Field::LatestStableRelease => "LatestStableRelease",
            Field::ReleasesInUse => "ReleasesInUse",
            Field::Sbom => "SBOM",
            Field::PackageManagerMfaEnabled => "PackageManagerMFAEnabled",
            Field::SourceRepoMfaEnabled => "SourceRepoMFAEnabled",
            Field::DocumentedBuildPractices => "DocumentedBuildPractices",
            Field::KnownReleasesUrl => "KnownReleasesURL",
            Field::CleanReleaseAvailable => "CleanReleaseAvailable",
            Field::FixedVulnerabilities => "FixedVulnerabilities",
            Field::DependenciesAreManaged => "DependenciesAreManaged",
            Field::KnownVulnerabilitiesUrl => "KnownVulnerabilitiesURL",
            Field::PackageSecurityPolicyUrl => "PackageSecurityPolicyURL",
            Field::PackageSecurityContact => "PackageSecurityContact",
            Field::SecurityResponsive => "SecurityResponsive",
            Field::MultipleMaintainers => "MultipleMaintainers",
            Field::SuccessionPlan => "SuccessionPlan",
            Field::NoBinariesInRepository => "NoBinariesInRepository",
            Field::CodeReviewPractice => "CodeReviewPractice",
            Field::FuzzingPractice => "FuzzingPractice",
            Field::SdlcPolicyUrl => "SDLCPolicyURL",
            Field::SdlcEvidenceDataUrl => "SDLCEvidenceDataURL",
            Field::PackageStatus => "PackageStatus",
            Field::IncomeStreams => "IncomeStreams",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Fields whose value is "True"/"False"/"NOASSERTION".
    pub fn is_tri_state(self) -> bool {
        matches!(
            self,
            Field::PackageManagerMfaEnabled
                | Field::SourceRepoMfaEnabled
                | Field::DocumentedBuildPractices
                | Field::CleanReleaseAvailable
                | Field::FixedVulnerabilities
                | Field::DependenciesAreManaged
                | Field::SecurityResponsive
                | Field::MultipleMaintainers
                | Field::SuccessionPlan
                | Field::NoBinariesInRepository
                | Field::CodeReviewPractice
                | Field::FuzzingPractice
        )
    }

    /// Fields only a maintainer's or a published report's statement can set.
    pub fn is_attested_only(self) -> bool {
        matches!(
            self,
            Field::PackageManagerMfaEnabled
                | Field::SourceRepoMfaEnabled
                | Field::DocumentedBuildPractices
                | Field::SuccessionPlan
                | Field::SdlcPolicyUrl
                | Field::SdlcEvidenceDataUrl
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a field has its value, as a code a program can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonCode {
    /// Read from the SBOM being enriched.
    FromSbom,
    /// Derived from the package URL.
    FromPurl,
    /// Not assessed in this run.
    NotAssessed,
    /// A source answered and its data decided the value.
    Observed,
    /// A source answered but said nothing that decides the value.
    NoData,
    /// The source could not be reached or gave an unusable answer.
    SourceUnavailable,
    /// The field does not apply to this package or ecosystem.
    NotApplicable,
    /// Only a maintainer's or a published report's statement can set it.
    AttestedOnly,
    /// Taken from the maintainers' own signed self-attestation, verified
    /// to come from the package's repository.
    MaintainerAttested,
    /// Taken from a published TACOS report.
    FromReport,
    /// Published reports and automatic evidence disagree.
    Conflict,
    /// A source answered, but not in its documented shape (wrong types,
    /// another package's answer, HTML, truncated): no value was taken.
    MalformedAnswer,
    /// The evidence found does not establish the value: it is partial (a
    /// partial database, a capped or unresolved graph, a repaired report),
    /// stale, or leaves a needed fact unknown. A True or a value needs
    /// complete, current evidence.
    IncompleteEvidence,
}

/// The evidence behind one field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "ReasonCode")]
    pub code: ReasonCode,
    /// One line a reviewer can read.
    #[serde(rename = "Reason")]
    pub reason: String,
    #[serde(rename = "SourceURL", default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(
        rename = "RetrievedAtUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retrieved_at: Option<String>,
    /// The time the evidence describes, when it is not the time it was
    /// retrieved: an offline database's snapshot, a report's date, the day
    /// Scorecard ran.
    #[serde(rename = "AsOfUTC", default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// `partial` or `stale` when the source's answer was not complete and
    /// current (absent when it was).
    #[serde(rename = "Coverage", default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// What the source said, as far as it bears on the value.
    #[serde(rename = "Observed", default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<serde_json::Value>,
}

impl Evidence {
    pub fn new(source: impl Into<String>, code: ReasonCode, reason: impl Into<String>) -> Self {
        Evidence {
            source: source.into(),
            code,
            reason: reason.into(),
            url: None,
            retrieved_at: None,
            as_of: None,
            coverage: None,
            observed: None,
        }
    }
}

/// One TACOS statement about one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "PackageName")]
    pub package_name: String,
    #[serde(rename = "PackagePlatform")]
    pub package_platform: String,
    #[serde(rename = "PURL")]
    pub purl: String,
    #[serde(rename = "UpstreamRepositoryURL")]
    pub upstream_repository_url: Asserted<String>,
    #[serde(rename = "SPDXLicenseLatestRelease")]
    pub spdx_license_latest_release: Asserted<String>,
    #[serde(rename = "LatestStableRelease")]
    pub latest_stable_release: Asserted<String>,
    #[serde(rename = "ReleasesInUse")]
    pub releases_in_use: Vec<String>,
    #[serde(rename = "SBOM")]
    pub sbom: Vec<SbomRef>,
    #[serde(rename = "PackageManagerMFAEnabled")]
    pub package_manager_mfa_enabled: Attestation,
    #[serde(rename = "SourceRepoMFAEnabled")]
    pub source_repo_mfa_enabled: Attestation,
    #[serde(rename = "DocumentedBuildPractices")]
    pub documented_build_practices: Attestation,
    #[serde(rename = "KnownReleasesURL")]
    pub known_releases_url: Asserted<String>,
    #[serde(rename = "CleanReleaseAvailable")]
    pub clean_release_available: Attestation,
    #[serde(rename = "FixedVulnerabilities")]
    pub fixed_vulnerabilities: Attestation,
    #[serde(rename = "DependenciesAreManaged")]
    pub dependencies_are_managed: Attestation,
    #[serde(rename = "KnownVulnerabilitiesURL")]
    pub known_vulnerabilities_url: Asserted<String>,
    #[serde(rename = "PackageSecurityPolicyURL")]
    pub package_security_policy_url: Asserted<String>,
    #[serde(rename = "PackageSecurityContact")]
    pub package_security_contact: Asserted<String>,
    #[serde(rename = "SecurityResponsive")]
    pub security_responsive: Attestation,
    #[serde(rename = "MultipleMaintainers")]
    pub multiple_maintainers: Attestation,
    #[serde(rename = "SuccessionPlan")]
    pub succession_plan: Attestation,
    #[serde(rename = "NoBinariesInRepository")]
    pub no_binaries_in_repository: Attestation,
    #[serde(rename = "CodeReviewPractice")]
    pub code_review_practice: Attestation,
    #[serde(rename = "FuzzingPractice")]
    pub fuzzing_practice: Attestation,
    #[serde(rename = "SDLCPolicyURL")]
    pub sdlc_policy_url: Asserted<String>,
    #[serde(rename = "SDLCEvidenceDataURL")]
    pub sdlc_evidence_data_url: Asserted<String>,
    #[serde(rename = "PackageStatus")]
    pub package_status: Asserted<PackageStatus>,
    #[serde(rename = "IncomeStreams")]
    pub income_streams: Asserted<Vec<IncomeStream>>,
    /// Per field, why it has its value. Every field has an entry.
    #[serde(rename = "Evidence")]
    pub evidence: IndexMap<Field, Evidence>,
}

impl Statement {
    /// A statement with the package's identity and every other field
    /// NOASSERTION, each with the same evidence.
    pub fn blank(
        package_name: String,
        package_platform: String,
        purl: String,
        unassessed: &Evidence,
    ) -> Statement {
        Statement {
            package_name,
            package_platform,
            purl,
            upstream_repository_url: Asserted::NoAssertion,
            spdx_license_latest_release: Asserted::NoAssertion,
            latest_stable_release: Asserted::NoAssertion,
            releases_in_use: Vec::new(),
            sbom: Vec::new(),
            package_manager_mfa_enabled: Attestation::NoAssertion,
            source_repo_mfa_enabled: Attestation::NoAssertion,
            documented_build_practices: Attestation::NoAssertion,
            known_releases_url: Asserted::NoAssertion,
            clean_release_available: Attestation::NoAssertion,
            fixed_vulnerabilities: Attestation::NoAssertion,
            dependencies_are_managed: Attestation::NoAssertion,
            known_vulnerabilities_url: Asserted::NoAssertion,
            package_security_policy_url: Asserted::NoAssertion,
            package_security_contact: Asserted::NoAssertion,
            security_responsive: Attestation::NoAssertion,
            multiple_maintainers: Attestation::NoAssertion,
            succession_plan: Attestation::NoAssertion,
            no_binaries_in_repository: Attestation::NoAssertion,
            code_review_practice: Attestation::NoAssertion,
            fuzzing_practice: Attestation::NoAssertion,
            sdlc_policy_url: Asserted::NoAssertion,
            sdlc_evidence_data_url: Asserted::NoAssertion,
            package_status: Asserted::NoAssertion,
            income_streams: Asserted::NoAssertion,
            evidence: Field::ALL
                .into_iter()
                .map(|f| (f, unassessed.clone()))
                .collect(),
        }
    }

    /// The value of a tri-state field.
    pub fn attestation(&self, field: Field) -> Option<Attestation> {
        Some(match field {
            Field::PackageManagerMfaEnabled => self.package_manager_mfa_enabled,
            Field::SourceRepoMfaEnabled => self.source_repo_mfa_enabled,
            Field::DocumentedBuildPractices => self.documented_build_practices,
            Field::CleanReleaseAvailable => self.clean_release_available,
            Field::FixedVulnerabilities => self.fixed_vulnerabilities,
            Field::DependenciesAreManaged => self.dependencies_are_managed,
            Field::SecurityResponsive => self.security_responsive,
            Field::MultipleMaintainers => self.multiple_maintainers,
            Field::SuccessionPlan => self.succession_plan,
            Field::NoBinariesInRepository => self.no_binaries_in_repository,
            Field::CodeReviewPractice => self.code_review_practice,
            Field::FuzzingPractice => self.fuzzing_practice,
            _ => return None,
        })
    }

    /// Whether a field holds a value (anything but NOASSERTION).
    pub fn is_asserted(&self, field: Field) -> bool {
        if let Some(a) = self.attestation(field) {
            return a != Attestation::NoAssertion;
        }
        match field {
            Field::PackageName | Field::PackagePlatform | Field::Purl => true,
            Field::UpstreamRepositoryUrl => self.upstream_repository_url.is_asserted(),
            Field::SpdxLicenseLatestRelease => self.spdx_license_latest_release.is_asserted(),
            Field::LatestStableRelease => self.latest_stable_release.is_asserted(),
            Field::ReleasesInUse => !self.releases_in_use.is_empty(),
            Field::Sbom => !self.sbom.is_empty(),
            Field::KnownReleasesUrl => self.known_releases_url.is_asserted(),
            Field::KnownVulnerabilitiesUrl => self.known_vulnerabilities_url.is_asserted(),
            Field::PackageSecurityPolicyUrl => self.package_security_policy_url.is_asserted(),
            Field::PackageSecurityContact => self.package_security_contact.is_asserted(),
            Field::SdlcPolicyUrl => self.sdlc_policy_url.is_asserted(),
            Field::SdlcEvidenceDataUrl => self.sdlc_evidence_data_url.is_asserted(),
            Field::PackageStatus => self.package_status.is_asserted(),
            Field::IncomeStreams => self.income_streams.is_asserted(),
            _ => false,
        }
    }

    /// Set a tri-state field; other fields are left alone (returns false).
    pub fn set_attestation(&mut self, field: Field, value: Attestation) -> bool {
        let slot = match field {
            Field::PackageManagerMfaEnabled => &mut self.package_manager_mfa_enabled,
            Field::SourceRepoMfaEnabled => &mut self.source_repo_mfa_enabled,
            Field::DocumentedBuildPractices => &mut self.documented_build_practices,
            Field::CleanReleaseAvailable => &mut self.clean_release_available,
            Field::FixedVulnerabilities => &mut self.fixed_vulnerabilities,
            Field::DependenciesAreManaged => &mut self.dependencies_are_managed,
            Field::SecurityResponsive => &mut self.security_responsive,
            Field::MultipleMaintainers => &mut self.multiple_maintainers,
            Field::SuccessionPlan => &mut self.succession_plan,
            Field::NoBinariesInRepository => &mut self.no_binaries_in_repository,
            Field::CodeReviewPractice => &mut self.code_review_practice,
            Field::FuzzingPractice => &mut self.fuzzing_practice,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// The string-valued metadata fields.
    pub fn text_mut(&mut self, field: Field) -> Option<&mut Asserted<String>> {
        Some(match field {
            Field::UpstreamRepositoryUrl => &mut self.upstream_repository_url,
            Field::SpdxLicenseLatestRelease => &mut self.spdx_license_latest_release,
            Field::LatestStableRelease => &mut self.latest_stable_release,
            Field::KnownReleasesUrl => &mut self.known_releases_url,
            Field::KnownVulnerabilitiesUrl => &mut self.known_vulnerabilities_url,
            Field::PackageSecurityPolicyUrl => &mut self.package_security_policy_url,
            Field::PackageSecurityContact => &mut self.package_security_contact,
            Field::SdlcPolicyUrl => &mut self.sdlc_policy_url,
            Field::SdlcEvidenceDataUrl => &mut self.sdlc_evidence_data_url,
            _ => return None,
        })
    }

    /// A field's value as one line of text, for comparisons and messages.
    pub fn display(&self, field: Field) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        match &v[field.name()] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    pub fn set_evidence(&mut self, field: Field, evidence: Evidence) {
        self.evidence.insert(field, evidence);
    }
}

/// A TACOS attestation report: many statements and who made them, when.
/// `S` is `&Statement` where a report is only written: an application's
/// report then borrows the statements signed for its packages instead of
/// copying them (for 9,000 packages, over a hundred megabytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report<S = Statement> {
    #[serde(rename = "@id")]
    pub id: String,
    /// Where this report lives.
    pub location: String,
    pub author: String,
    pub role: String,
    #[serde(rename = "LastModifiedDateTimeUTC")]
    pub last_modified: String,
    #[serde(rename = "TACOSversion")]
    pub tacos_version: String,
    pub application: String,
    pub statements: Vec<S>,
}

/// A decided statement kept as the compact JSON it is signed as, made once.
/// Artifacts and reports embed these bytes unchanged (`Serialize` writes
/// them as they are), so each statement is serialized once instead of once
/// per artifact and once per report, and a run holds ~6 KB of text per
/// package instead of ~13 KiB of structures.
#[derive(Debug, Clone)]
pub struct StatementJson(Box<serde_json::value::RawValue>);

impl StatementJson {
    pub fn new(statement: &Statement) -> StatementJson {
        StatementJson(
            serde_json::value::to_raw_value(statement).expect("a statement always serializes"),
        )
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Text `as_str` gave, read back from where a run kept it (checked to
    /// be one JSON value; that it is a statement, its origin vouches for).
    pub(crate) fn read_back(text: String) -> serde_json::Result<StatementJson> {
        serde_json::value::RawValue::from_string(text).map(StatementJson)
    }

    /// The statement back, for the rare reader that needs its fields.
    pub fn statement(&self) -> Statement {
        serde_json::from_str(self.0.get()).expect("made from a statement, so it reads as one")
    }
}

impl Serialize for StatementJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A time as TACOS writes it: RFC 3339, whole seconds (callers give UTC).
pub fn timestamp(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Statement {
        let mut s = Statement::blank(
            "lodash".into(),
            "npm".into(),
            "pkg:npm/lodash@4.17.21".into(),
            &Evidence::new("tacos-sbom", ReasonCode::NotAssessed, "not assessed"),
        );
        s.releases_in_use = vec!["4.17.21".into()];
        s
    }

    #[test]
    fn statement_json_embeds_the_same_bytes_as_the_statement_itself() {
        let s = sample();
        let json = StatementJson::new(&s);
        assert_eq!(json.as_str(), serde_json::to_string(&s).unwrap());
        assert_eq!(json.statement(), s);
        // Inside a report, byte for byte what the typed report gives.
        fn report<S>(statements: Vec<S>) -> Report<S> {
            Report {
                id: FRAMEWORK_ID.into(),
                location: "./".into(),
                author: "Tool: t-1".into(),
                role: "Attestor".into(),
                last_modified: "2026-11-30T00:00:00Z".into(),
                tacos_version: TACOS_VERSION.into(),
                application: "app".into(),
                statements,
            }
        }
        assert_eq!(
            serde_json::to_vec(&report(vec![&json, &json])).unwrap(),
            serde_json::to_vec(&report(vec![&s, &s])).unwrap()
        );
    }

    #[test]
    fn serializes_field_names_and_values_as_the_framework_writes_them() {
        let v = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        expected.push("Evidence");
        assert_eq!(keys, expected);
        assert_eq!(v["FixedVulnerabilities"], "NOASSERTION");
        assert_eq!(v["PackageStatus"], "NOASSERTION");
        assert_eq!(v["IncomeStreams"], "NOASSERTION");
        assert_eq!(v["SBOM"], serde_json::json!([]));
        assert_eq!(v["Evidence"]["SBOM"]["ReasonCode"], "not-assessed");
    }

    #[test]
    fn round_trips() {
        let mut s = sample();
        s.fixed_vulnerabilities = Attestation::True;
        s.package_status = Asserted::Value(PackageStatus {
            status: Status::Eol,
            last_modified: "2026-11-23T00:00:00Z".into(),
        });
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"Status\":\"EOL\""));
        assert_eq!(serde_json::from_str::<Statement>(&text).unwrap(), s);
    }

    #[test]
    fn refuses_booleans_for_attestations() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["FixedVulnerabilities"] = serde_json::json!(true);
        assert!(serde_json::from_value::<Statement>(v).is_err());
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.name());
        }
    }
}
