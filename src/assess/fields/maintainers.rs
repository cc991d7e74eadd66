//! The maintainers' self-attestation (`attest-self`), found at
//! `.tacos/self-attestation.sigstore.json` in the validated upstream
//! repository on GitHub, and what it decides: the fields only a maintainer
//! can attest.
//!
//! It counts only when all of this holds: it is a keyless Sigstore bundle
//! that verifies against the trusted root (`[self_attestation]
//! trusted_root`, else the public-good one built in) and whose certificate
//! was issued to a GitHub Actions workflow of exactly that repository
//! (identity `https://github.com/OWNER/REPO/.github/workflows/…@refs/…`,
//! issuer GitHub's) — or a key-signed bundle whose signature verifies with
//! the public key committed beside it (`.tacos/self-attestation.pub`: who
//! can commit to the repository speaks for it); its statement is a self-attestation whose repository is that
//! repository and whose packages name this package; and, for a True or a
//! value, it is current: signed after the release in use was published,
//! or within `[self_attestation] max_age_days`. A False it states is taken
//! from any verified one that names the package. Otherwise it is ignored,
//! and the reason says which check failed.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;

use crate::assess::verdict::{Decided, incomplete};
use crate::attest::keyless::{self, Identity, Matcher};
use crate::attest::trust_root::TrustedRoot;
use crate::attest::{STATEMENT_TYPE, Sha256Hex, Statement};
use crate::purl::Purl;
use crate::sources::repo_files::{RepoFile, SELF_ATTESTATION_KEY_PATH, SELF_ATTESTATION_PATH};
use crate::sources::{Coverage, Found, Lookup};
use crate::tacos::self_attestation::{PREDICATE_TYPE, Predicate};
use crate::tacos::{Asserted, Attestation, Evidence, ReasonCode, timestamp};

/// How evidence names this source.
pub const SOURCE: &str = "maintainers' self-attestation";
/// The OIDC issuer of GitHub Actions' tokens.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What self-attestations are checked against.
#[derive(Debug, Clone)]
pub struct Trust {
    pub root: Arc<TrustedRoot>,
    /// How messages name the root.
    pub root_name: String,
    pub max_age_days: i64,
}

/// A self-attestation that verified for its repository.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfAttested {
    /// `github.com/owner/repo`.
    pub repository: String,
    pub file_url: Option<String>,
    pub sha256: String,
    /// Who signed, for people: the certificate's identity and issuer, or
    /// the committed key.
    pub signed_by: String,
    /// The certificate's identity and OIDC issuer (keyless only).
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// The committed key's id (key-signed only).
    pub key_id: Option<String>,
    /// Keyless: the earliest time the log or a timestamp proves. Key-signed:
    /// the time the signed predicate states.
    pub signed_at: OffsetDateTime,
    pub root_name: String,
    pub predicate: Predicate,
}

/// The identity a repository's workflows are certified as: any workflow
/// file of exactly `github.com/owner/repo` (owner and name compared as
/// GitHub does, without case), at any ref.
pub fn workflow_identity(repo: &str) -> Identity {
    let owner_repo = repo.strip_prefix("github.com/").unwrap_or(repo);
    let pattern = format!(
        r"https://github\.com/(?i:{})/\.github/workflows/[^/@]+@refs/.+",
        regex::escape(owner_repo)
    );
    Identity {
        subject: Matcher::pattern(&pattern).expect("an escaped name makes a valid pattern"),
        issuer: Matcher::Exact(GITHUB_ACTIONS_ISSUER.into()),
    }
}

/// Whether the file is a keyless bundle (a certificate names its signer).
pub fn is_keyless(file: &RepoFile) -> bool {
    crate::attest::sigstore::keyless_material(&file.bytes).is_some()
}

/// Verify the file found in `repo` (`github.com/owner/repo`): keyless, its
/// signature and a certificate for that repository's workflows; else with
/// the key committed beside it (`key`); then its statement and predicate.
fn verify(
    repo: &str,
    file: &RepoFile,
    key: Option<Lookup<RepoFile>>,
    trust: &Trust,
) -> Result<SelfAttested, String> {
    let (payload, signed) = if is_keyless(file) {
        let (signer, payload) = keyless::verify(&file.bytes, &trust.root, &workflow_identity(repo))
            .map_err(|e| format!("it does not verify against {}: {e}", trust.root_name))?;
        let signed = Signed {
            by: format!(
                "{} (issuer {}), verified against {}",
                signer.identity, signer.issuer, trust.root_name
            ),
            identity: Some(signer.identity.clone()),
            issuer: Some(signer.issuer.clone()),
            key_id: None,
            at: Some(signer.signed_at().time),
        };
        (payload, signed)
    } else {
        let pem = match key {
            Some(Lookup::Found(k)) => k.value.bytes,
            Some(Lookup::NotFound { .. }) | None => {
                return Err(format!(
                    "it is signed with a key, and the repository has no public key at {SELF_ATTESTATION_KEY_PATH}"
                ));
            }
            Some(other) => {
                return Err(format!(
                    "its public key ({SELF_ATTESTATION_KEY_PATH}) could not be read: {}",
                    other.why_not()
                ));
            }
        };
        let text = std::str::from_utf8(&pem)
            .map_err(|_| format!("{SELF_ATTESTATION_KEY_PATH} is not text"))?;
        let public = crate::attest::PublicKey::from_pem(text)
            .map_err(|e| format!("{SELF_ATTESTATION_KEY_PATH} is not a public key: {e}"))?;
        let envelope = crate::attest::sigstore::envelope(&file.bytes)
            .map_err(|e| format!("it is not a Sigstore bundle: {e}"))?;
        let payload = envelope.verify(&public).map_err(|e| {
            format!("it does not verify with the key at {SELF_ATTESTATION_KEY_PATH}: {e}")
        })?;
        let signed = Signed {
            by: format!(
                "the key {} committed at {SELF_ATTESTATION_KEY_PATH}",
                public.key_id()
            ),
            identity: None,
            issuer: None,
            key_id: Some(public.key_id()),
            at: None,
        };
        (payload, signed)
    };
    let statement: Statement<Predicate> = serde_json::from_slice(&payload)
        .map_err(|e| format!("its statement is not a self-attestation: {e}"))?;
    if statement.statement_type != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
        return Err(format!(
            "its statement is of predicate type {:?}, not {PREDICATE_TYPE}",
            crate::term::escape(&statement.predicate_type)
        ));
    }
    let p = statement.predicate;
    p.check()
        .map_err(|why| format!("its predicate is malformed: {why}"))?;
    let attested_repo = crate::sources::repo_url::scorecard_repo(&p.repository);
    if !attested_repo
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(repo))
    {
        return Err(format!(
            "it attests for {}, not {repo}",
            crate::term::escape(&p.repository)
        ));
    }
    let mut subjects: Vec<&str> = statement.subject.iter().map(|s| s.name.as_str()).collect();
    subjects.sort_unstable();
    let mut named: Vec<&str> = p.packages.iter().map(String::as_str).collect();
    named.sort_unstable();
    if subjects != named {
        return Err("its subjects are not the packages its predicate names".into());
    }
    // Key-signed, the time is the one the signed predicate states; one
    // ahead of the clock is refused.
    let signed_at = match signed.at {
        Some(t) => t,
        None => {
            let t = OffsetDateTime::parse(
                &p.attested_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| "its attestedAt is not an RFC 3339 time".to_string())?;
            if t > OffsetDateTime::now_utc() + time::Duration::days(1) {
                return Err(format!("its attestedAt {} is in the future", p.attested_at));
            }
            t
        }
    };
    Ok(SelfAttested {
        repository: repo.to_string(),
        file_url: file.html_url.clone(),
        sha256: Sha256Hex::of(&file.bytes).as_str().to_string(),
        signed_by: signed.by,
        identity: signed.identity,
        issuer: signed.issuer,
        key_id: signed.key_id,
        signed_at,
        root_name: trust.root_name.clone(),
        predicate: p,
    })
}

/// Who signed, as verified.
struct Signed {
    by: String,
    identity: Option<String>,
    issuer: Option<String>,
    key_id: Option<String>,
    at: Option<OffsetDateTime>,
}

/// The answer for `repo`, verified: a file that does not verify is a
/// malformed answer, naming why.
pub fn verified(
    repo: &str,
    lookup: Lookup<RepoFile>,
    key: Option<Lookup<RepoFile>>,
    trust: &Trust,
) -> Lookup<SelfAttested> {
    match lookup {
        Lookup::Found(f) => match verify(repo, &f.value, key, trust) {
            Ok(sa) => Lookup::Found(Found {
                source: SOURCE.into(),
                as_of: sa.signed_at,
                ..f.map(|_| sa)
            }),
            Err(why) => Lookup::Malformed {
                source: SOURCE.into(),
                url: f.url,
                reason: format!("the self-attestation in {repo} is ignored: {why}"),
            },
        },
        Lookup::NotFound { url, at, .. } => Lookup::NotFound {
            source: SOURCE.into(),
            url,
            at,
        },
        Lookup::Malformed { url, reason, .. } => Lookup::Malformed {
            source: SOURCE.into(),
            url,
            reason,
        },
        Lookup::Unavailable { reason, .. } => Lookup::Unavailable {
            source: SOURCE.into(),
            reason,
        },
        Lookup::NotApplicable { why, .. } => Lookup::NotApplicable {
            source: SOURCE.into(),
            why,
        },
    }
}

/// Why the self-attestation decides nothing for a field.
#[derive(Debug, Clone)]
pub struct Silent {
    pub code: ReasonCode,
    pub reason: String,
}

impl Silent {
    fn no_data(reason: String) -> Silent {
        Silent {
            code: ReasonCode::NoData,
            reason,
        }
    }
}

/// What a package's statement needs to judge a self-attestation.
pub struct Context<'a> {
    pub purl: &'a Purl,
    /// When the release in use was published, if known.
    pub released: Option<OffsetDateTime>,
    pub now: OffsetDateTime,
    pub max_age_days: i64,
}

/// The canonical PURL without version, qualifiers or subpath.
fn package_of(purl: &Purl) -> String {
    let s = purl.to_string();
    let end = s.find(['@', '?', '#']).unwrap_or(s.len());
    s[..end].to_string()
}

/// The self-attestation as it stands for this package: covering it, and
/// current or stale; or why it says nothing of it.
fn judged(sa: &Lookup<SelfAttested>, ctx: &Context) -> Result<Found<SelfAttested>, Silent> {
    let Some(found) = sa.found() else {
        let reason = match sa {
            Lookup::NotFound { .. } => {
                format!("the repository publishes no self-attestation ({SELF_ATTESTATION_PATH})")
            }
            Lookup::Malformed { reason, .. } => reason.clone(),
            Lookup::Unavailable { reason, .. } => {
                format!("the self-attestation could not be fetched: {reason}")
            }
            Lookup::NotApplicable { why, .. } => why.clone(),
            Lookup::Found(_) => unreachable!("found above"),
        };
        let code = match sa {
            Lookup::Malformed { .. } => ReasonCode::MalformedAnswer,
            Lookup::Unavailable { .. } => ReasonCode::SourceUnavailable,
            _ => ReasonCode::NoData,
        };
        return Err(Silent { code, reason });
    };
    let s = &found.value;
    let package = package_of(ctx.purl);
    if !s.predicate.packages.contains(&package) {
        return Err(Silent::no_data(format!(
            "the self-attestation of {} names {}, not {package}",
            s.repository,
            s.predicate.packages.join(", ")
        )));
    }
    let mut f = found.clone();
    let after_release = ctx.released.is_some_and(|r| s.signed_at >= r);
    let age = (ctx.now - s.signed_at).whole_days();
    if !after_release && age > ctx.max_age_days {
        f.coverage = Coverage::Stale(format!(
            "signed on {}, {}{age} days before this run, over the {}-day limit ([self_attestation] max_age_days)",
            s.signed_at.date(),
            match ctx.released {
                Some(r) => format!(
                    "before the release in use was published ({}), and ",
                    r.date()
                ),
                None => String::new(),
            },
            ctx.max_age_days
        ));
    }
    Ok(f)
}

fn evidence(found: &Found<SelfAttested>, field: &str, value: &str) -> Evidence {
    let s = &found.value;
    let mut e = Evidence::new(
        SOURCE,
        ReasonCode::MaintainerAttested,
        format!(
            "the maintainers of {} attest {field} = {value}, signed by {} on {}",
            s.repository,
            s.signed_by,
            s.signed_at.date(),
        ),
    );
    e.url = Some(s.file_url.clone().unwrap_or_else(|| found.url.clone()));
    e.retrieved_at = Some(timestamp(found.at));
    e.as_of = Some(timestamp(s.signed_at));
    if found.coverage != Coverage::Complete {
        e.coverage = Some(found.coverage.word().to_string());
    }
    e.observed = Some(json!({
        "repository": s.repository,
        "file": SELF_ATTESTATION_PATH,
        "sha256": s.sha256,
        "signer": s.identity,
        "issuer": s.issuer,
        "keyId": s.key_id,
        "signedAt": timestamp(s.signed_at),
        "attestedAt": s.predicate.attested_at,
        "value": value,
        "evidenceURL": s.predicate.evidence.get(field),
    }));
    e
}

/// A True/False field the self-attestation sets for this package: a True
/// only while current, a False from any that verified. `Err` says why it
/// decides nothing.
pub fn flag(
    sa: &Lookup<SelfAttested>,
    field: &str,
    ctx: &Context,
) -> Result<Decided<Attestation>, Silent> {
    let (found, value, e) = stated(sa, field, ctx)?;
    Ok(match value.as_str() {
        "True" => match found.closed() {
            Ok(c) => Decided::proven(c, e),
            Err(why) => Decided::unknown(incomplete(e, &why.0)),
        },
        _ => Decided::refuted(e),
    })
}

/// The self-attestation as it stands for this package, the value it
/// states for `field`, and the evidence for it.
fn stated(
    sa: &Lookup<SelfAttested>,
    field: &str,
    ctx: &Context,
) -> Result<(Found<SelfAttested>, String, Evidence), Silent> {
    let found = judged(sa, ctx)?;
    let Some(value) = found.value.predicate.fields.get(field).cloned() else {
        return Err(Silent::no_data(format!(
            "the self-attestation of {} does not set {field}",
            found.value.repository
        )));
    };
    let e = evidence(&found, field, &value);
    Ok((found, value, e))
}

/// A URL field the self-attestation sets for this package, while current.
pub fn url(
    sa: &Lookup<SelfAttested>,
    field: &str,
    ctx: &Context,
) -> Result<Decided<Asserted<String>>, Silent> {
    let (found, value, e) = stated(sa, field, ctx)?;
    Ok(match found.closed() {
        Ok(c) => Decided::asserted(c, value, e),
        Err(why) => Decided::unknown(incomplete(e, &why.0)),
    })
}
