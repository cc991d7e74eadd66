//! Reading what a report is made from: an enriched SBOM (its signed
//! application report, or else its components' statements, each checked),
//! a TACOS report, or a signed report artifact; and how it checked out, for
//! the top of the summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::attest::{self, KeyFileError, PublicKey, Sha256Hex};
use crate::sbom::SbomError;
use crate::tacos::{self, Report};
use crate::verify;

use super::{Provenance, Summary};

pub struct Options {
    /// The trusted public key, when given.
    pub key: Option<PublicKey>,
    /// The file `key` was read from (see [`verify::Options::key_file`]).
    pub key_file: Option<PathBuf>,
    pub attestations_dir: Option<PathBuf>,
    /// Fetch nothing (see [`verify::Options::offline`]).
    pub offline: bool,
    /// A trusted root's timestamp authorities (`--trusted-root`): every
    /// artifact the report rests on must then carry an RFC 3161 timestamp
    /// that verifies against them, as with `verify --trusted-root`.
    pub timestamp_authorities: Option<Vec<crate::attest::rfc3161::TimestampAuthority>>,
    /// Keyless artifacts' signer (`--certificate-identity`, ...), as with
    /// `verify`.
    pub keyless: Option<verify::Keyless>,
    /// "Now" as a TACOS timestamp, for a report assembled from statements.
    pub now: String,
}

pub struct Loaded {
    pub report: Report,
    /// Whether everything the report rests on checked out.
    pub intact: bool,
    /// What did not check out, one line each.
    pub failures: Vec<String>,
    /// What a person should know about how it was read.
    pub notes: Vec<String>,
    pub provenance: Provenance,
    /// Each package's signed artifact (a file, or a line of a bundle), by
    /// canonical PURL.
    pub artifacts: BTreeMap<String, verify::Located>,
    pub report_artifact: Option<PathBuf>,
    /// The SBOM's text as it was read (UTF-8), when the report was made from
    /// an SBOM: SARIF places each result at its component's line, and the
    /// input may be a pipe that cannot be read again.
    pub sbom_text: Option<String>,
    /// How many artifacts were not where the references point, and the
    /// first of them: a moved SBOM without its attestations folder.
    pub missing_artifacts: Option<(usize, PathBuf)>,
    /// Files that were fetched: each one's copy (a path in `artifacts` or
    /// `report_artifact`, gone once the SBOM is no longer read) and the URL
    /// it came from, which is what a link to it should name.
    pub fetched: BTreeMap<PathBuf, String>,
}

impl Loaded {
    /// The summary, with links to the artifacts made by `link` (from an
    /// artifact's path to a link from where the summary is written); a link
    /// to an envelope in a bundle is to the bundle, with `#L<line>`.
    pub fn summary(&self, link: impl Fn(&Path) -> String) -> Summary {
        let mut s = super::summarize(&self.report);
        s.provenance = self.provenance.clone();
        s.provenance.report_artifact = self.report_artifact.as_deref().map(&link);
        let attach = |f: &mut super::Finding| {
            f.artifact = self
                .artifacts
                .get(&f.purl)
                .map(|a| format!("{}{}", link(&a.path), a.fragment()));
        };
        s.risks.iter_mut().for_each(attach);
        for row in &mut s.cisa {
            row.failing.iter_mut().for_each(attach);
        }
        s
    }
}

fn key_id(key: &PublicKey) -> String {
    key.key_id()
}

/// Why a report cannot be made from an input, naming the input.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Sbom(#[from] SbomError),
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the application report does not check out: {source}", .path.display())]
    Report {
        path: PathBuf,
        #[source]
        source: verify::Problem,
    },
    /// The report is not where its reference points: most often the SBOM
    /// was moved without its attestations folder.
    #[error(
        "{}: the application report is not where its reference points ({}): if the SBOM was moved or copied without its attestations folder, pass --attestations-dir DIR with the folder that holds it",
        .path.display(),
        .looked.display()
    )]
    ReportMissing { path: PathBuf, looked: PathBuf },
    #[error("{}: no TACOS references to report on (was it enriched?)", .path.display())]
    NothingReferenced { path: PathBuf },
    #[error("{}: not JSON: {source}", .path.display())]
    NotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The key beside a signed report, read because no key was given.
    #[error(transparent)]
    KeyBeside(#[from] KeyFileError),
    #[error("{}: {source}", .path.display())]
    Signature {
        path: PathBuf,
        #[source]
        source: attest::VerifyError,
    },
    #[error("{}: timestamp: {source}", .path.display())]
    Timestamp {
        path: PathBuf,
        #[source]
        source: attest::StampError,
    },
    #[error(
        "{}: a plain TACOS report carries no signature, so no timestamp for --trusted-root to check",
        .path.display()
    )]
    Unsigned { path: PathBuf },
    #[error("{}: the predicate is not a TACOS report: {source}", .path.display())]
    NotAReport {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: not a TACOS report as this tool writes it: {source}", .path.display())]
    NotATacosReport {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// How the SBOM's references check out: every artifact, digest, signature
/// and subject, with the given key or the one beside the artifacts; and
/// what failed, one line each (none when everything checked out).
fn provenance(
    enriched: &verify::Enriched,
    key: Option<&PublicKey>,
) -> (Provenance, Vec<String>, Option<(usize, PathBuf)>) {
    let mut p = Provenance {
        input: enriched.path().display().to_string(),
        sbom_sha256: Some(Sha256Hex::of(&enriched.bytes()).to_string()),
        ..Provenance::default()
    };
    // A report rests on every reference: a component without one counts,
    // whatever --allow-missing said.
    let o = enriched.check(false);
    let beside = o
        .keys_used_from_artifacts
        .first()
        .and_then(|k| crate::attest::keyfile::read_public_key_beside(&k.path).ok());
    p.signer_key_id = key.or(beside.as_ref()).map(key_id);
    // Keyless, every artifact was checked against the trusted root for the
    // identity asked (verify refuses any other kind then): the signer is
    // the certificate's identity, proven.
    let keyless = enriched.keyless().is_some();
    p.signer_proven = (key.is_some() || keyless) && !o.signer_unproven();
    let counted = format!(
        "{} of {} TACOS references verified",
        o.verified, o.references
    );
    let failed: Vec<String> = o.failures.iter().map(|f| f.to_string()).collect();
    let missing: Vec<&Path> = o
        .failures
        .iter()
        .filter_map(|f| f.what.missing_artifact())
        .collect();
    let missing = missing.first().map(|p| (missing.len(), p.to_path_buf()));
    if !o.failures.is_empty() {
        p.verification = "failed".into();
        p.verification_detail = format!(
            "{counted}; {} did not (run tacos-sbom verify for each)",
            o.failures.len()
        );
    } else if keyless && p.signer_proven {
        let mut signers: Vec<String> = o
            .keyless
            .iter()
            .map(|k| format!("{} (OIDC issuer {})", k.signer.identity, k.signer.issuer))
            .collect();
        signers.sort();
        signers.dedup();
        p.verification = "verified".into();
        p.verification_detail = format!(
            "{counted}: artifacts, SHA-256 digests, keyless signatures (certificate chain, SCT, transparency log and times against the trusted root) by {} and subjects",
            if signers.is_empty() {
                "no keyless signer".to_string()
            } else {
                signers.join(", ")
            }
        );
    } else if p.signer_proven {
        p.verification = "verified".into();
        let stamps = if enriched.timestamps_checked() {
            ", subjects and timestamps (against the trusted root)"
        } else {
            " and subjects"
        };
        p.verification_detail = format!(
            "{counted}: artifacts, SHA-256 digests, signatures (with the given key){stamps}"
        );
    } else if let Some(copy) = &o.given_key_shipped {
        p.verification = "intact, signer not proven".into();
        p.verification_detail = format!(
            "{counted}; the given key is the copy shipped with the artifacts ({}): signatures check, the signer is not proven; pass --key with the signer's own key",
            copy.display()
        );
    } else {
        p.verification = "intact, signer not proven".into();
        p.verification_detail = format!(
            "{counted} with the public key found beside the artifacts, which proves they are intact, not who signed them; pass --key with the signer's key"
        );
    }
    (p, failed, missing)
}

/// Read INPUT (a file, or `-` for standard input): an enriched SBOM, a
/// signed report artifact or a TACOS report.
pub fn load(input: &Path, opts: &Options) -> Result<Loaded, LoadError> {
    let vopts = verify::Options {
        key: opts.key.clone(),
        key_file: opts.key_file.clone(),
        attestations_dir: opts.attestations_dir.clone(),
        offline: opts.offline,
        timestamp_authorities: opts.timestamp_authorities.clone(),
        keyless: opts.keyless.clone(),
        ..verify::Options::default()
    };
    match verify::Enriched::read(input, &vopts) {
        Ok(enriched) => from_enriched(&enriched, &opts.now),
        Err(SbomError::NotAnSbom { .. }) => from_report(input, opts),
        Err(e) => Err(e.into()),
    }
}

/// The report of an enriched SBOM already read: its signed application
/// report, or else its components' statements, each checked. `now` (a TACOS
/// timestamp) dates a report assembled from statements.
pub fn from_enriched(enriched: &verify::Enriched, now: &str) -> Result<Loaded, LoadError> {
    let input = enriched.path();
    // Whatever the report is read from, everything the SBOM references must
    // check out, or the report says "failed" and the command exits 1: one
    // flipped byte in any artifact.
    let (provenance, unverified, missing_artifacts) = provenance(enriched, enriched.key());
    let artifacts = enriched.artifact_paths();
    let report_artifact = enriched.report_path();
    if let Some(found) = enriched.report() {
        return match found {
            Ok(report) => Ok(Loaded {
                report,
                intact: unverified.is_empty(),
                failures: unverified,
                notes: Vec::new(),
                provenance,
                artifacts,
                report_artifact,
                sbom_text: String::from_utf8(enriched.bytes()).ok(),
                missing_artifacts,
                fetched: enriched.fetched(),
            }),
            Err(source) if source.is_missing_artifact() => Err(LoadError::ReportMissing {
                path: input.to_path_buf(),
                looked: source.missing_artifact().unwrap_or(input).to_path_buf(),
            }),
            Err(source) => Err(LoadError::Report {
                path: input.to_path_buf(),
                source,
            }),
        };
    }
    let (statements, statement_failures) = enriched.statements();
    if statements.is_empty() {
        return Err(LoadError::NothingReferenced {
            path: input.to_path_buf(),
        });
    }
    let shown = input.display();
    let report = Report {
        id: tacos::FRAMEWORK_ID.into(),
        location: shown.to_string(),
        author: format!("Tool: tacos-sbom-{}", env!("CARGO_PKG_VERSION")),
        role: "Attestor".into(),
        last_modified: now.to_string(),
        tacos_version: tacos::TACOS_VERSION.into(),
        application: enriched
            .sbom()
            .subject_name()
            .unwrap_or_else(|| shown.to_string()),
        statements,
    };
    // The statements' own failures are among verify's; verify's also name
    // what no statement shows (a missing reference).
    let mut failures: Vec<String> = statement_failures.iter().map(|f| f.to_string()).collect();
    for f in unverified {
        if !failures.contains(&f) {
            failures.push(f);
        }
    }
    Ok(Loaded {
        report,
        intact: failures.is_empty(),
        failures,
        notes: vec!["no application report reference; reading the components' statements".into()],
        provenance,
        artifacts,
        report_artifact: None,
        sbom_text: String::from_utf8(enriched.bytes()).ok(),
        missing_artifacts,
        fetched: enriched.fetched(),
    })
}

/// A signed report artifact, or a plain TACOS report.
fn from_report(input: &Path, opts: &Options) -> Result<Loaded, LoadError> {
    let shown = input.display();
    let path = || input.to_path_buf();
    let bytes = crate::sbom::input_bytes(input).map_err(|source| LoadError::Read {
        path: path(),
        source,
    })?;
    let signed = is_envelope(&bytes).map_err(|source| LoadError::NotJson {
        path: path(),
        source,
    })?;
    let mut provenance = Provenance {
        input: shown.to_string(),
        sbom_sha256: None,
        verification: "not checked".into(),
        verification_detail: "a plain TACOS report carries no signature".into(),
        ..Provenance::default()
    };
    let mut notes = Vec::new();
    if signed {
        let dir = input.parent().unwrap_or(Path::new("."));
        let shipped = opts.key_file.as_deref().is_some_and(|given| {
            match (
                std::fs::canonicalize(given),
                std::fs::canonicalize(verify::key_beside(dir)),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        });
        if shipped {
            notes.push(
                "the given key is the copy shipped with the artifacts: signatures check, the signer is not proven"
                    .into(),
            );
        }
        let (key, proven) = match &opts.key {
            Some(k) => (k.clone(), !shipped),
            None => {
                let beside = verify::key_beside(input.parent().unwrap_or(Path::new(".")));
                notes.push(format!(
                    "no --key given; checking the signature with {}",
                    beside.display()
                ));
                let k = crate::attest::keyfile::read_public_key_beside(&beside)?;
                (k, false)
            }
        };
        let v =
            attest::verify_report_artifact(bytes, &key).map_err(|source| LoadError::Signature {
                path: path(),
                source,
            })?;
        if let Some(authorities) = &opts.timestamp_authorities {
            v.stamps
                .verify(authorities)
                .map_err(|source| LoadError::Timestamp {
                    path: path(),
                    source,
                })?;
        }
        provenance.signer_key_id = Some(key_id(&key));
        provenance.signer_proven = proven;
        provenance.verification = if proven {
            "verified"
        } else {
            "intact, signer not proven"
        }
        .into();
        provenance.verification_detail = "the signed report's signature".into();
        let report = v.predicate().map_err(|source| LoadError::NotAReport {
            path: path(),
            source,
        })?;
        return Ok(Loaded {
            report,
            intact: true,
            failures: Vec::new(),
            notes,
            provenance,
            artifacts: BTreeMap::new(),
            report_artifact: (input != Path::new(crate::sbom::STDIO)).then(path),
            sbom_text: None,
            missing_artifacts: None,
            fetched: BTreeMap::new(),
        });
    }
    let report = serde_json::from_slice(&bytes).map_err(|source| LoadError::NotATacosReport {
        path: path(),
        source,
    })?;
    if opts.timestamp_authorities.is_some() {
        return Err(LoadError::Unsigned { path: path() });
    }
    Ok(Loaded {
        report,
        intact: true,
        failures: Vec::new(),
        notes,
        provenance,
        artifacts: BTreeMap::new(),
        report_artifact: None,
        sbom_text: None,
        missing_artifacts: None,
        fetched: BTreeMap::new(),
    })
}

/// Whether a JSON document is a DSSE envelope (an object with a
/// `payloadType`) or a Sigstore bundle of one, read without building it: a signed report of 10,000
/// packages carries ~75 MB of payload text, a plain one a whole tree of
/// statements. An error only when it is not JSON; JSON of another shape is
/// not an envelope, and what it is instead is said when it is read as a report.
fn is_envelope(bytes: &[u8]) -> Result<bool, serde_json::Error> {
    // Only the top level's keys are kept; every value is skipped.
    match serde_json::from_slice::<BTreeMap<String, serde::de::IgnoredAny>>(bytes) {
        Ok(members) => Ok(members.contains_key("payloadType")
            || attest::sigstore::shape(bytes) == attest::sigstore::Shape::Bundle),
        Err(e) if e.is_data() => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::is_envelope;

    #[test]
    fn an_envelope_is_told_from_other_json_without_reading_it_whole() {
        assert!(is_envelope(br#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}"#).unwrap());
        assert!(is_envelope(br#"{"payloadType":7}"#).unwrap());
        assert!(is_envelope(br#"{"payloadType":null,"payloadType":2}"#).unwrap());
        assert!(is_envelope(br#"{"mediaType":"x","dsseEnvelope":{}}"#).unwrap());
        assert!(is_envelope(br#"{"dsseEnvelope":1}"#).unwrap());
        for other in [
            &br#"{"id":"x","statements":[]}"#[..],
            b"[1,2]",
            b"\"text\"",
            b"null",
            b"[1]",
            br#"{"payload":{"payloadType":1}}"#,
        ] {
            assert!(
                !is_envelope(other).unwrap(),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        for broken in [&b"{"[..], b"", b"{\"payloadType\": }", b"{} x"] {
            assert!(
                is_envelope(broken).is_err(),
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
    }
}
