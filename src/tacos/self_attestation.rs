//! The maintainers' self-attestation (`tacos-sbom attest-self`): the
//! predicate of the in-toto statement it signs, and where it is published.
//! Written by `selfattest`, read by the assessment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The predicate type of a self-attestation.
pub const PREDICATE_TYPE: &str = "urn:tacos-sbom:predicate:self-attestation:v1";

/// The fields a self-attestation may set, as TACOS names them, and whether
/// each is True/False (else an https URL).
pub const FIELDS: [(&str, bool); 6] = [
    ("PackageManagerMFAEnabled", true),
    ("SourceRepoMFAEnabled", true),
    ("DocumentedBuildPractices", true),
    ("SuccessionPlan", true),
    ("SDLCPolicyURL", false),
    ("SDLCEvidenceDataURL", false),
];

/// The predicate: who attests (the repository), for which packages
/// (canonical PURLs without version), when, and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    pub repository: String,
    pub packages: Vec<String>,
    #[serde(rename = "attestedAt")]
    pub attested_at: String,
    /// Field name → "True"/"False" or an https URL.
    pub fields: BTreeMap<String, String>,
    /// Field name → an https URL backing it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

impl Predicate {
    /// Every field is one a maintainer attests, with a value of its kind,
    /// and evidence only for fields set; packages and repository present.
    pub fn check(&self) -> Result<(), PredicateError> {
        self.problem().map_err(PredicateError)
    }

    fn problem(&self) -> Result<(), String> {
        if self.packages.is_empty() {
            return Err("it names no package".into());
        }
        for (name, value) in &self.fields {
            match FIELDS.iter().find(|(f, _)| f == name) {
                None => return Err(format!("{name:?} is not a field a maintainer attests")),
                Some((_, true)) if value != "True" && value != "False" => {
                    return Err(format!("{name} is {value:?}, not True or False"));
                }
                Some((_, false)) if !is_https_url(value) => {
                    return Err(format!("{name} is not an https URL"));
                }
                _ => {}
            }
        }
        if let Some(name) = self.evidence.keys().find(|k| !self.fields.contains_key(*k)) {
            return Err(format!("evidence for {name:?}, which it does not set"));
        }
        if let Some((name, _)) = self.evidence.iter().find(|(_, u)| !is_https_url(u)) {
            return Err(format!("the evidence for {name} is not an https URL"));
        }
        Ok(())
    }
}

/// What is wrong with a self-attestation's predicate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PredicateError(pub String);

/// An https URL with a host, no white space or control characters.
pub fn is_https_url(s: &str) -> bool {
    s.starts_with("https://")
        && s.len() > "https://".len()
        && s.len() <= 2048
        && url::Url::parse(s).is_ok_and(|u| u.host_str().is_some())
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
