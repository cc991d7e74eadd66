//! A release's provenance, verified: the Sigstore-signed attestations a
//! registry keeps for a release published from CI (npm's SLSA provenance;
//! PyPI's PEP 740 attestations, publish or SLSA), checked against the
//! public-good trusted root (the one both registries' attestations are
//! signed under), by a GitHub Actions identity, for exactly this release's
//! file (the statement's subject names it with the digest the registry
//! records). What it proves: that file was built (SLSA) or published (PyPI's
//! publish attestation) by a workflow of the repository Fulcio names, at
//! the commit it names. What it does not: that the build was safe, that
//! the maintainers document their build practices (an attested-only
//! field), or anything about another release.

use std::sync::LazyLock;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::attest::keyless::{self, Identity, KeylessError, Matcher};
use crate::attest::trust_root::{self, TrustedRoot};
use crate::purl::Ecosystem;
use crate::sources::json::quoted;
use crate::sources::model::{ProvenanceBundle, Release, ReleaseAttestations};
use crate::sources::npm::SLSA_PROVENANCE;
use crate::sources::{Found, Lookup, repo_url};

/// How evidence names this source.
pub const SOURCE: &str = "release provenance";
/// The OIDC issuer of GitHub Actions' tokens: the only CI provenance read.
pub const GITHUB_ACTIONS: &str = "https://token.actions.githubusercontent.com";
/// PEP 740's publish attestation: who published the file. (The predicate
/// type's identifier as PEP 740 defines it; never fetched.)
pub const PYPI_PUBLISH: &str = "https://docs.pypi.org/attestations/publish/v1";

const STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v0.1",
    "https://in-toto.io/Statement/v1",
];

static PUBLIC_GOOD: LazyLock<TrustedRoot> = LazyLock::new(trust_root::public_good);

/// What a release's provenance came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub version: String,
    /// The SHA-256 of the bundle's JSON as read.
    pub bundle_sha256: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Built from `repository` (`https://github.com/owner/repo`) by
    /// `workflow` (the certificate's identity) at `commit`.
    Verified {
        /// `built` (SLSA provenance) or `published` (PyPI's publish
        /// attestation).
        made: &'static str,
        repository: String,
        workflow: String,
        commit: Option<String>,
        signed_at: OffsetDateTime,
        /// Where the signing was logged (`log`, entry `index`).
        logged: String,
    },
    /// Present, but it proves nothing: why.
    Unverified(String),
}

impl Provenance {
    /// For the evidence's `Observed`.
    pub fn observed(&self, url: &str) -> Value {
        match &self.outcome {
            Outcome::Verified {
                made,
                repository,
                workflow,
                commit,
                signed_at,
                logged,
            } => json!({
                "release": self.version,
                "attestations": url,
                "bundleSha256": self.bundle_sha256,
                "verified": true,
                "claim": made,
                "sourceRepository": repository,
                "workflow": workflow,
                "commit": commit,
                "signedAt": crate::tacos::timestamp(*signed_at),
                "logged": logged,
            }),
            Outcome::Unverified(why) => json!({
                "release": self.version,
                "attestations": url,
                "bundleSha256": self.bundle_sha256,
                "verified": "NOASSERTION",
                "reason": why,
            }),
        }
    }
}

/// Why a release's attestation proves nothing: the first check it failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    #[error(
        "the registry records no SHA-512 for {release}'s tarball, so the provenance cannot be tied to it"
    )]
    NoDigest { release: String },
    #[error(
        "the registry lists no file with a SHA-256 for {release}, so no attestation can be tied to it"
    )]
    NoFile { release: String },
    #[error("provenance is not read for {0} packages")]
    Ecosystem(String),
    #[error(
        "it is not signed by a GitHub Actions workflow ({0}); provenance from other CI is not read"
    )]
    NotGitHubActions(KeylessError),
    #[error("its signature does not verify: {0}")]
    Signature(KeylessError),
    #[error("its statement is not JSON: {0}")]
    NotJson(crate::sources::json::JsonError),
    #[error("its payload is not an in-toto statement")]
    NotInToto,
    #[error("its statement's predicate type is {found}, not one read here{listed}")]
    Predicate { found: String, listed: String },
    #[error("its statement has no subject list")]
    NoSubjects,
    #[error("its subject is not {what} (another package, release or file)")]
    OtherSubject { what: String },
    #[error("its subject's {algorithm} is not the one the registry records for {what}")]
    OtherDigest { algorithm: String, what: String },
    #[error("its certificate names no source repository on GitHub")]
    NoRepository,
}

/// What a statement's subject must be: this release's file, by a name it
/// may be given and the digest the registry records.
#[derive(Debug, Clone)]
pub struct Subject {
    pub names: Vec<String>,
    /// `sha512` or `sha256`, as in-toto names them.
    pub algorithm: &'static str,
    pub digest: Vec<u8>,
    /// For messages: `sigstore@0.4.0's tarball`.
    pub what: String,
    /// The predicate types read.
    pub predicates: &'static [&'static str],
}

const NPM_PREDICATES: &[&str] = &SLSA_PROVENANCE;
const PYPI_PREDICATES: &[&str] = &[PYPI_PUBLISH, "https://slsa.dev/provenance/v1"];

/// The subject a release's attestations must name, or why there is none to
/// tie them to.
pub fn subject(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    release: Option<&Release>,
) -> Result<Subject, ProvenanceError> {
    let release_name = format!("{name}@{version}");
    match ecosystem {
        Ecosystem::Npm => {
            let digest = release.and_then(|r| r.sha512.clone()).ok_or_else(|| {
                ProvenanceError::NoDigest {
                    release: release_name.clone(),
                }
            })?;
            Ok(Subject {
                // npm writes a scope's `@` as it is; a package URL may escape it.
                names: vec![
                    format!("pkg:npm/{name}@{version}"),
                    format!("pkg:npm/{}@{version}", name.replacen('@', "%40", 1)),
                ],
                algorithm: "sha512",
                digest,
                what: format!("{release_name}'s tarball"),
                predicates: NPM_PREDICATES,
            })
        }
        Ecosystem::PyPi => {
            let file =
                release
                    .and_then(|r| r.file.clone())
                    .ok_or_else(|| ProvenanceError::NoFile {
                        release: release_name.clone(),
                    })?;
            Ok(Subject {
                names: vec![file.filename.clone()],
                algorithm: "sha256",
                digest: file.sha256,
                what: format!("{release_name}'s file {}", file.filename),
                predicates: PYPI_PREDICATES,
            })
        }
        other => Err(ProvenanceError::Ecosystem(format!("{other:?}"))),
    }
}

/// The attestations kept for `version` (tied to `subject`), verified as of
/// `now`. None kept is `NotFound`.
pub fn verified(
    version: &str,
    subject: Result<Subject, ProvenanceError>,
    asked: Lookup<ReleaseAttestations>,
    now: OffsetDateTime,
) -> Lookup<Provenance> {
    let found = match asked {
        Lookup::Found(f) => f,
        Lookup::NotFound { url, at, .. } => {
            return Lookup::NotFound {
                source: SOURCE.into(),
                url,
                at,
            };
        }
        Lookup::Malformed { url, reason, .. } => {
            return Lookup::Malformed {
                source: SOURCE.into(),
                url,
                reason,
            };
        }
        Lookup::Unavailable { reason, .. } => {
            return Lookup::Unavailable {
                source: SOURCE.into(),
                reason,
            };
        }
        Lookup::NotApplicable { why, .. } => {
            return Lookup::NotApplicable {
                source: SOURCE.into(),
                why,
            };
        }
    };
    if found.value.bundles.is_empty() {
        return Lookup::NotFound {
            source: SOURCE.into(),
            url: found.url,
            at: found.at,
        };
    }
    let (outcome, bundle) = judge(&subject, &found.value.bundles, now);
    let p = Provenance {
        version: version.to_string(),
        bundle_sha256: hex::encode(Sha256::digest(&bundle.bundle)),
        outcome,
    };
    Lookup::Found(Found {
        source: SOURCE.into(),
        ..found.map(|_| p)
    })
}

/// Every attestation checked: the first that verifies speaks (and any
/// other that verifies must name the same repository); none verifying
/// proves nothing, for the first one's reason.
fn judge<'a>(
    subject: &Result<Subject, ProvenanceError>,
    bundles: &'a [ProvenanceBundle],
    now: OffsetDateTime,
) -> (Outcome, &'a ProvenanceBundle) {
    let subject = match subject {
        Ok(s) => s,
        Err(why) => return (Outcome::Unverified(why.to_string()), &bundles[0]),
    };
    let mut first_failure = None;
    let mut verified: Option<(Outcome, &ProvenanceBundle)> = None;
    for b in bundles {
        match check(subject, b, &PUBLIC_GOOD, now) {
            Ok(o) => match &verified {
                None => verified = Some((o, b)),
                Some((Outcome::Verified { repository, .. }, _)) => {
                    if let Outcome::Verified {
                        repository: other, ..
                    } = &o
                        && !same_repository(repository, other)
                    {
                        return (
                            Outcome::Unverified(format!(
                                "its attestations name two repositories ({repository} and {other})"
                            )),
                            b,
                        );
                    }
                }
                Some(_) => {}
            },
            Err(why) => {
                first_failure.get_or_insert((why, b));
            }
        }
    }
    match (verified, first_failure) {
        (Some(v), _) => v,
        (None, Some((why, b))) => (Outcome::Unverified(why.to_string()), b),
        (None, None) => unreachable!("at least one attestation was checked"),
    }
}

/// Every check of one attestation, in order; `Err` says the first that
/// failed.
pub fn check(
    subject: &Subject,
    bundle: &ProvenanceBundle,
    root: &TrustedRoot,
    now: OffsetDateTime,
) -> Result<Outcome, ProvenanceError> {
    let identity = Identity {
        subject: Matcher::pattern(r"https://github\.com/[^/]+/[^/]+/\.github/workflows/.+")
            .expect("a valid pattern"),
        issuer: Matcher::Exact(GITHUB_ACTIONS.into()),
    };
    let (v, payload) =
        keyless::verify_at(&bundle.bundle, root, &identity, now).map_err(|e| match e {
            KeylessError::IdentityMismatch { .. } | KeylessError::IssuerMismatch { .. } => {
                ProvenanceError::NotGitHubActions(e)
            }
            e => ProvenanceError::Signature(e),
        })?;
    let statement: Value =
        crate::sources::json::parse(&payload).map_err(ProvenanceError::NotJson)?;
    let ty = statement.get("_type").and_then(Value::as_str);
    if !ty.is_some_and(|t| STATEMENT_TYPES.contains(&t)) {
        return Err(ProvenanceError::NotInToto);
    }
    let predicate = statement.get("predicateType").and_then(Value::as_str);
    let listed = bundle.predicate_type.as_deref();
    if !predicate.is_some_and(|p| subject.predicates.contains(&p))
        || listed.is_some_and(|l| Some(l) != predicate)
    {
        return Err(ProvenanceError::Predicate {
            found: predicate.map_or("missing".to_string(), quoted),
            listed: listed.map_or(String::new(), |l| {
                format!(" (the registry lists it as {})", quoted(l))
            }),
        });
    }
    check_subject(&statement, subject)?;
    let repository = source_repository(&v.build).ok_or(ProvenanceError::NoRepository)?;
    let commit = v
        .build
        .source_repository_digest
        .clone()
        .or_else(|| v.build.github_workflow_sha.clone())
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    let signed = v.signed_at();
    Ok(Outcome::Verified {
        made: if predicate == Some(PYPI_PUBLISH) {
            "published"
        } else {
            "built"
        },
        repository,
        workflow: v.identity.clone(),
        commit,
        signed_at: signed.time,
        logged: signed.source.to_string(),
    })
}

/// The statement names this release's file, with the registry's digest.
fn check_subject(statement: &Value, want: &Subject) -> Result<(), ProvenanceError> {
    let digest = hex::encode(&want.digest);
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or(ProvenanceError::NoSubjects)?;
    let mine: Vec<&Value> = subjects
        .iter()
        .filter(|s| {
            s.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| want.names.iter().any(|w| w == n))
        })
        .collect();
    if mine.is_empty() {
        return Err(ProvenanceError::OtherSubject {
            what: want.what.clone(),
        });
    }
    let matches = mine.iter().any(|s| {
        s.get("digest")
            .and_then(|d| d.get(want.algorithm))
            .and_then(Value::as_str)
            .is_some_and(|d| d.eq_ignore_ascii_case(&digest))
    });
    if !matches {
        return Err(ProvenanceError::OtherDigest {
            algorithm: want.algorithm.to_uppercase().replace("SHA", "SHA-"),
            what: want.what.clone(),
        });
    }
    Ok(())
}

/// The repository Fulcio recorded, as `https://github.com/owner/repo`.
fn source_repository(b: &keyless::BuildClaims) -> Option<String> {
    let raw = match (&b.source_repository_uri, &b.github_workflow_repository) {
        (Some(uri), _) => uri.clone(),
        (None, Some(owner_repo)) => format!("https://github.com/{owner_repo}"),
        (None, None) => return None,
    };
    let url = repo_url::repository(&raw)?;
    url.starts_with("https://github.com/").then_some(url)
}

/// Whether `declared` (a normalized repository URL) is the repository the
/// provenance names (GitHub compares owners and names without case).
pub fn same_repository(declared: &str, proven: &str) -> bool {
    declared.eq_ignore_ascii_case(proven)
}
