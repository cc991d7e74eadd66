//! `attest-self`: the maintainers' own signed answers to the TACOS fields
//! only they can attest (PackageManagerMFAEnabled, SourceRepoMFAEnabled,
//! DocumentedBuildPractices, SuccessionPlan, SDLCPolicyURL,
//! SDLCEvidenceDataURL), from a declaration kept in their repository
//! (`tacos-self.toml`), for the packages that repository releases.
//!
//! The output is one Sigstore bundle around an in-toto Statement v1 whose
//! subjects are the packages (their canonical PURLs, without versions) and
//! whose predicate ([`PREDICATE_TYPE`]) holds the declared values, the
//! repository and the time of signing. It is meant to be signed keyless in
//! the repository's own CI, so that the certificate names the repository's
//! workflow, and published at [`PUBLISHED_PATH`] in the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::attest::{self, AttestError, Form, Signer, Subject, Wrap};
use crate::purl::Purl;
use crate::sources::repo_url;

pub use crate::sources::repo_files::SELF_ATTESTATION_PATH as PUBLISHED_PATH;
pub use crate::tacos::self_attestation::{FIELDS, PREDICATE_TYPE, Predicate};
/// The declaration's default name, at the repository's root.
pub const DECLARATION: &str = "tacos-self.toml";
/// The most packages one declaration may cover.
const MAX_PACKAGES: usize = 100;
/// A declaration is a page of TOML.
const MAX_BYTES: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SelfAttestError {
    #[error("{path}: cannot read the declaration: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Invalid { path: PathBuf, why: String },
    #[error("{path}: cannot sign the self-attestation: {source}")]
    Sign {
        path: PathBuf,
        #[source]
        source: AttestError,
    },
    #[error(transparent)]
    Key(#[from] attest::keyfile::KeyFileError),
    #[error("keyless: {0}")]
    Keyless(#[from] crate::enrich::keyless::KeylessError),
    #[error("{path}: cannot write the self-attestation: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclarationFile {
    repository: String,
    packages: Vec<String>,
    attest: BTreeMap<String, toml::Value>,
    #[serde(default)]
    evidence: BTreeMap<String, String>,
}

/// A declaration, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    /// `https://host/owner/repo`.
    pub repository: String,
    /// Canonical PURLs without version or qualifiers, sorted, distinct.
    pub packages: Vec<String>,
    /// Field name → "True"/"False" or an https URL, as TACOS writes them.
    pub fields: BTreeMap<String, String>,
    /// Field name → an https URL backing it.
    pub evidence: BTreeMap<String, String>,
}

use crate::tacos::self_attestation::is_https_url as https_url;

/// Read and check the declaration at `path`.
pub fn read_declaration(path: &Path) -> Result<Declaration, SelfAttestError> {
    let bytes =
        crate::fsutil::read_regular(path, MAX_BYTES).map_err(|source| SelfAttestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    parse_declaration(&bytes).map_err(|why| SelfAttestError::Invalid {
        path: path.to_path_buf(),
        why,
    })
}

/// A declaration's bytes, checked: the repository an http(s) URL of a
/// repository; one to [`MAX_PACKAGES`] package URLs without version; at
/// least one field, each a known one with a value of its kind; evidence
/// only for declared fields, https URLs.
fn parse_declaration(bytes: &[u8]) -> Result<Declaration, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let file: DeclarationFile = toml::from_str(text).map_err(|e| {
        format!(
            "not a self-attestation declaration: {}",
            e.message().lines().next().unwrap_or("")
        )
    })?;
    let repository = repo_url::normalize(&file.repository)
        .filter(|r| r.starts_with("https://") && r.trim_end_matches('/').matches('/').count() == 4)
        .ok_or_else(|| {
            format!(
                "repository {:?} is not the https URL of a repository (https://host/owner/repo)",
                file.repository.chars().take(80).collect::<String>()
            )
        })?;
    if file.packages.is_empty() || file.packages.len() > MAX_PACKAGES {
        return Err(format!(
            "packages: name 1 to {MAX_PACKAGES} package URLs (found {})",
            file.packages.len()
        ));
    }
    let mut packages = Vec::new();
    for p in &file.packages {
        let purl = Purl::parse(p).map_err(|e| format!("packages: {p:?}: {e}"))?;
        if purl.version().is_some() || !purl.qualifiers().is_empty() || p.contains('#') {
            return Err(format!(
                "packages: {p:?}: name the package without version, qualifiers or subpath (the attestation covers its releases)"
            ));
        }
        packages.push(purl.to_string());
    }
    packages.sort();
    packages.dedup();
    if file.attest.is_empty() {
        return Err("[attest] sets no field".into());
    }
    let mut fields = BTreeMap::new();
    for (name, value) in &file.attest {
        let Some((_, boolean)) = FIELDS.iter().find(|(f, _)| f == name) else {
            return Err(format!(
                "[attest] {name}: not a field a maintainer attests (one of {})",
                FIELDS.map(|(f, _)| f).join(", ")
            ));
        };
        let v = match (boolean, value) {
            (true, toml::Value::Boolean(b)) => if *b { "True" } else { "False" }.to_string(),
            (false, toml::Value::String(u)) if https_url(u) => u.clone(),
            (true, _) => return Err(format!("[attest] {name}: true or false")),
            (false, _) => return Err(format!("[attest] {name}: an https:// URL")),
        };
        fields.insert(name.clone(), v);
    }
    for (name, url) in &file.evidence {
        if !fields.contains_key(name) {
            return Err(format!("[evidence] {name}: not set in [attest]"));
        }
        if !https_url(url) {
            return Err(format!("[evidence] {name}: an https:// URL"));
        }
    }
    Ok(Declaration {
        repository,
        packages,
        fields,
        evidence: file.evidence,
    })
}

/// The signed self-attestation: a Sigstore bundle (logged when `log` is
/// given, as a keyless signer's must be) around the statement.
pub fn sign(
    declaration: &Declaration,
    signer: &dyn Signer,
    stamp: Option<&dyn attest::Timestamper>,
    log: Option<&dyn attest::TransparencyLog>,
    now: OffsetDateTime,
) -> Result<Vec<u8>, AttestError> {
    let subjects: Vec<Subject> = declaration
        .packages
        .iter()
        .map(|p| Subject::for_package(p, &[]))
        .collect();
    let predicate = Predicate {
        repository: declaration.repository.clone(),
        packages: declaration.packages.clone(),
        attested_at: crate::tacos::timestamp(now),
        fields: declaration.fields.clone(),
        evidence: declaration.evidence.clone(),
    };
    attest::sign_statement_as(
        Wrap {
            form: Form::SigstoreBundle,
            stamp,
            log,
        },
        signer,
        subjects,
        PREDICATE_TYPE,
        &predicate,
    )
}

/// How `attest-self` signs.
pub enum SignWith {
    /// A key the maintainers keep (its public half committed beside the
    /// attestation).
    Key(PathBuf),
    /// Keyless, for the CI job's identity.
    Keyless(crate::enrich::keyless::KeylessFlags),
}

/// What `attest-self` did.
pub struct Done {
    pub packages: usize,
    pub fields: usize,
    /// The keyless identity and issuer certified, if keyless.
    pub signer: Option<(String, String)>,
}

/// Read the declaration, sign it and write the bundle to `out` (atomically;
/// a folder is made for it). Nothing is written unless all of it succeeds.
pub fn run(
    declaration: &Path,
    out: &Path,
    sign_with: &SignWith,
    network: &crate::config::Network,
) -> Result<Done, SelfAttestError> {
    let d = read_declaration(declaration)?;
    let now = OffsetDateTime::now_utc();
    let sign_err = |source| SelfAttestError::Sign {
        path: declaration.to_path_buf(),
        source,
    };
    let (bytes, signer) = match sign_with {
        SignWith::Key(path) => {
            let key = attest::keyfile::read_signing_key(
                path,
                attest::keychoice::cosign_password().as_deref(),
            )?;
            (sign(&d, &key, None, None, now).map_err(sign_err)?, None)
        }
        SignWith::Keyless(flags) => {
            use crate::enrich::keyless::{self, KeylessError};
            let prepared = keyless::prepare(flags, &|k| std::env::var(k).ok(), now)?;
            // Timestamped as `enrich --keyless` is: by the config's
            // authority, which a Rekor v2 log needs.
            let stamper = match prepared.timestamp_authority(None)? {
                Some(u) => {
                    let url = url::Url::parse(&u).map_err(|e| KeylessError::Url {
                        flag: "the signing config's timestamp authority",
                        value: crate::redact::redact_text(&u),
                        why: e.to_string(),
                    })?;
                    Some(
                        crate::sources::tsa::BlockingTsa::new(url, network)
                            .map_err(KeylessError::from)?,
                    )
                }
                None => None,
            };
            let c = keyless::certify(&prepared, network, now)?;
            let stamp = stamper.as_ref().map(|s| s as &dyn attest::Timestamper);
            let bytes = sign(&d, &c.signer, stamp, Some(&c.log), now).map_err(sign_err)?;
            (bytes, Some((c.identity, c.issuer)))
        }
    };
    let write = || -> std::io::Result<()> {
        if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = crate::fsutil::AtomicFile::create(out)?;
        std::io::Write::write_all(f.writer(), &bytes)?;
        f.commit(true, None)
    };
    write().map_err(|source| SelfAttestError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(Done {
        packages: d.packages.len(),
        fields: d.fields.len(),
        signer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
repository = "https://github.com/acme/left-pad"
packages = ["pkg:npm/left-pad", "pkg:pypi/Left_Pad"]

[attest]
PackageManagerMFAEnabled = true
SourceRepoMFAEnabled = true
DocumentedBuildPractices = true
SuccessionPlan = false
SDLCPolicyURL = "https://github.com/acme/left-pad/blob/main/CONTRIBUTING.md"

[evidence]
DocumentedBuildPractices = "https://github.com/acme/left-pad/blob/main/BUILDING.md"
"#;

    #[test]
    fn a_declaration_reads_as_tacos_writes_values() {
        let d = parse_declaration(GOOD.as_bytes()).unwrap();
        assert_eq!(d.repository, "https://github.com/acme/left-pad");
        assert_eq!(d.packages, ["pkg:npm/left-pad", "pkg:pypi/left-pad"]);
        assert_eq!(d.fields["PackageManagerMFAEnabled"], "True");
        assert_eq!(d.fields["SuccessionPlan"], "False");
        assert_eq!(
            d.fields["SDLCPolicyURL"],
            "https://github.com/acme/left-pad/blob/main/CONTRIBUTING.md"
        );
        assert_eq!(d.evidence.len(), 1);
    }

    #[test]
    fn bad_declarations_are_named() {
        for (from, to, says) in [
            (
                "https://github.com/acme/left-pad\"",
                "not a url\"",
                "not the https URL",
            ),
            (
                "\"pkg:npm/left-pad\", ",
                "\"pkg:npm/left-pad@1.0.0\", ",
                "without version",
            ),
            (
                "\"pkg:npm/left-pad\", ",
                "\"nonsense\", ",
                "packages: \"nonsense\"",
            ),
            (
                "SuccessionPlan = false",
                "SuccessionPlan = \"no\"",
                "true or false",
            ),
            (
                "SuccessionPlan = false",
                "MultipleMaintainers = true",
                "not a field a maintainer attests",
            ),
            (
                "SDLCPolicyURL = \"https://github.com",
                "SDLCPolicyURL = \"http://github.com",
                "an https:// URL",
            ),
            (
                "DocumentedBuildPractices = \"https",
                "SDLCEvidenceDataURL = \"https",
                "not set in [attest]",
            ),
            (
                "[attest]",
                "[attests]",
                "not a self-attestation declaration",
            ),
        ] {
            let changed = GOOD.replacen(from, to, 1);
            assert_ne!(changed, GOOD, "{from}");
            let e = parse_declaration(changed.as_bytes()).unwrap_err();
            assert!(e.contains(says), "{to}: {e}");
        }
    }
}
