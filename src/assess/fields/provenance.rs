//! A release's SLSA provenance, verified: the Sigstore bundle npm keeps for
//! a release published from CI, checked against the public-good trusted
//! root (the one npm's provenance is signed under), by a GitHub Actions
//! identity, for exactly this release (its subject is the package URL and
//! the SHA-512 the registry records for the tarball). What it proves: this
//! release's tarball was built by a workflow of the repository Fulcio
//! names, at the commit it names. What it does not: that the build was
//! safe, that the maintainers document their build practices (an
//! attested-only field), or anything about another release.

use std::sync::LazyLock;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::attest::keyless::{self, Identity, KeylessError, Matcher};
use crate::attest::trust_root::{self, TrustedRoot};
use crate::sources::model::Release;
use crate::sources::npm::{ProvenanceBundle, ReleaseAttestations, SLSA_PROVENANCE};
use crate::sources::{Found, Lookup, repo_url};

/// How evidence names this source.
pub const SOURCE: &str = "npm provenance";
/// The OIDC issuer of GitHub Actions' tokens: the only CI provenance read.
pub const GITHUB_ACTIONS: &str = "https://token.actions.githubusercontent.com";

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

/// The provenance npm keeps for `name`@`version` (whose registry entry is
/// `release`), verified as of `now`. No provenance is `NotFound`.
pub fn verified(
    name: &str,
    version: &str,
    release: Option<&Release>,
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
    let Some(bundle) = found.value.provenance.clone() else {
        return Lookup::NotFound {
            source: SOURCE.into(),
            url: found.url,
            at: found.at,
        };
    };
    let outcome = match check(name, version, release, &bundle, &PUBLIC_GOOD, now) {
        Ok(o) => o,
        Err(why) => Outcome::Unverified(why),
    };
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

/// Every check, in order; `Err` says the first that failed.
pub fn check(
    name: &str,
    version: &str,
    release: Option<&Release>,
    bundle: &ProvenanceBundle,
    root: &TrustedRoot,
    now: OffsetDateTime,
) -> Result<Outcome, String> {
    let expected = release
        .and_then(|r| r.sha512.clone())
        .ok_or_else(|| {
            format!("the registry records no SHA-512 for {name}@{version}'s tarball, so the provenance cannot be tied to it")
        })?;
    let identity = Identity {
        subject: Matcher::pattern(r"https://github\.com/[^/]+/[^/]+/\.github/workflows/.+")
            .expect("a valid pattern"),
        issuer: Matcher::Exact(GITHUB_ACTIONS.into()),
    };
    let (v, payload) =
        keyless::verify_at(&bundle.bundle, root, &identity, now).map_err(|e| match e {
            KeylessError::IdentityMismatch { .. } | KeylessError::IssuerMismatch { .. } => format!(
                "it is not signed by a GitHub Actions workflow ({e}); provenance from other CI is not read"
            ),
            e => format!("its signature does not verify: {e}"),
        })?;
    let statement: Value = crate::sources::json::parse(&payload)
        .map_err(|e| format!("its statement is not JSON: {e}"))?;
    let ty = statement.get("_type").and_then(Value::as_str);
    if !ty.is_some_and(|t| STATEMENT_TYPES.contains(&t)) {
        return Err("its payload is not an in-toto statement".into());
    }
    let predicate = statement.get("predicateType").and_then(Value::as_str);
    if predicate != Some(bundle.predicate_type.as_str())
        || !SLSA_PROVENANCE.contains(&bundle.predicate_type.as_str())
    {
        return Err(format!(
            "its statement's predicate type is {predicate:?}, not the SLSA provenance the registry lists it as"
        ));
    }
    check_subject(&statement, name, version, &expected)?;
    let repository = source_repository(&v.build)
        .ok_or_else(|| "its certificate names no source repository on GitHub".to_string())?;
    let commit = v
        .build
        .source_repository_digest
        .clone()
        .or_else(|| v.build.github_workflow_sha.clone())
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    let signed = v.signed_at();
    Ok(Outcome::Verified {
        repository,
        workflow: v.identity.clone(),
        commit,
        signed_at: signed.time,
        logged: signed.source.to_string(),
    })
}

/// The statement names this release, with the registry's digest.
fn check_subject(
    statement: &Value,
    name: &str,
    version: &str,
    sha512: &[u8],
) -> Result<(), String> {
    let want = hex::encode(sha512);
    // npm writes a scope's `@` as it is; a package URL may escape it.
    let names = [
        format!("pkg:npm/{name}@{version}"),
        format!("pkg:npm/{}@{version}", name.replacen('@', "%40", 1)),
    ];
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or("its statement has no subject list")?;
    let mine: Vec<&Value> = subjects
        .iter()
        .filter(|s| {
            s.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| names.iter().any(|w| w == n))
        })
        .collect();
    if mine.is_empty() {
        return Err(format!(
            "its subject is not {name}@{version} (another package or release)"
        ));
    }
    let matches = mine.iter().any(|s| {
        s.get("digest")
            .and_then(|d| d.get("sha512"))
            .and_then(Value::as_str)
            .is_some_and(|d| d.eq_ignore_ascii_case(&want))
    });
    if !matches {
        return Err(format!(
            "its subject's SHA-512 is not the one the registry records for {name}@{version}'s tarball"
        ));
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
