//! Attestation artifacts: an in-toto Statement v1 whose predicate is a TACOS
//! statement, in a signed DSSE envelope (bare, or in a Sigstore bundle),
//! written one file per package or one line per package of a JSON Lines
//! file (the "attestation bundle" of `--layout bundle`).

pub mod certified;
pub mod dsse;
mod ecdsa;
pub mod keychoice;
pub mod keyfile;
pub mod keyless;
pub mod keys;
pub mod reference;
pub mod rfc3161;
pub mod sigstore;
pub mod trust_root;
pub mod x509;

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use dsse::{Envelope, INTOTO_PAYLOAD_TYPE, Signer};
pub use keyfile::KeyFileError;
pub use keys::{KeyAlgorithm, KeyError, PublicKey, SigningKey};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of TACOS statements written by this tool. An identifier,
/// not a location: the predicate is the TACOS v1.1 statement described by the
/// JSON Schema this tool ships (`tacos-sbom schema statement`).
pub const PREDICATE_TYPE: &str = "urn:tacos-sbom:predicate:tacos-statement:v1.1";
/// The predicate type of the application's TACOS report (many statements).
pub const REPORT_PREDICATE_TYPE: &str = "urn:tacos-sbom:predicate:tacos-report:v1.1";
/// File name suffix of application reports.
pub const REPORT_SUFFIX: &str = ".tacos-report.dsse.json";
/// File name suffix of artifacts.
pub const ARTIFACT_SUFFIX: &str = ".tacos.dsse.json";
/// File name of an attestation bundle (`--layout bundle`): this prefix, the
/// first 16 hex of the file's SHA-256, this suffix.
pub const BUNDLE_PREFIX: &str = "tacos-attestations.";
pub const BUNDLE_SUFFIX: &str = ".intoto.jsonl";
/// File name suffix of artifacts written as Sigstore bundles.
pub const SIGSTORE_ARTIFACT_SUFFIX: &str = ".tacos.sigstore.json";
/// File name suffix of application reports written as Sigstore bundles.
pub const SIGSTORE_REPORT_SUFFIX: &str = ".tacos-report.sigstore.json";
/// Suffix of a JSON Lines file whose lines are Sigstore bundles (after
/// [`BUNDLE_PREFIX`] and 16 hex of its SHA-256).
pub const SIGSTORE_LINES_SUFFIX: &str = ".sigstore.jsonl";

/// How a signed DSSE envelope is written: bare, or in a Sigstore bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// The bare envelope: what earlier versions wrote, so the default.
    #[default]
    Dsse,
    /// A Sigstore bundle v0.3 around the same envelope, naming the key.
    SigstoreBundle,
}

impl Form {
    /// The values `--envelope` and `[output] envelope` take.
    pub const NAMES: &'static [&'static str] = &["dsse", "bundle"];

    /// Taken only as written, like every enumerated value (see `suggest`).
    pub fn parse(s: &str) -> Result<Form, crate::suggest::Unknown> {
        crate::suggest::check("envelope", s, Self::NAMES)?;
        Ok(if s == "bundle" {
            Form::SigstoreBundle
        } else {
            Form::Dsse
        })
    }

    /// The suffix of a package's artifact file.
    pub fn artifact_suffix(self) -> &'static str {
        match self {
            Form::Dsse => ARTIFACT_SUFFIX,
            Form::SigstoreBundle => SIGSTORE_ARTIFACT_SUFFIX,
        }
    }

    /// The suffix of an application report's file.
    pub fn report_suffix(self) -> &'static str {
        match self {
            Form::Dsse => REPORT_SUFFIX,
            Form::SigstoreBundle => SIGSTORE_REPORT_SUFFIX,
        }
    }

    /// The suffix of the JSON Lines file of `--layout bundle`.
    pub fn lines_suffix(self) -> &'static str {
        match self {
            Form::Dsse => BUNDLE_SUFFIX,
            Form::SigstoreBundle => SIGSTORE_LINES_SUFFIX,
        }
    }

    /// The artifact's bytes: the envelope as a file (indented, a final line
    /// end) or as a line of a JSON Lines file (compact, no line end).
    fn serialize(
        self,
        envelope: &Envelope,
        signed: sigstore::Signed<'_>,
        as_line: bool,
        witnesses: sigstore::Witnesses<'_>,
    ) -> Vec<u8> {
        match self {
            Form::Dsse if as_line => {
                serde_json::to_vec(envelope).expect("an envelope of strings always serializes")
            }
            Form::Dsse => envelope.to_json_pretty().into_bytes(),
            Form::SigstoreBundle => {
                let bundle = sigstore::Bundle::new(envelope, signed, witnesses);
                if as_line {
                    bundle.to_json_line()
                } else {
                    bundle.to_json_pretty().into_bytes()
                }
            }
        }
    }
}

/// Puts an RFC 3161 timestamp on a signature: a timestamp authority's
/// answer (the DER `TimeStampResp`, which a Sigstore bundle holds) for the
/// signature's bytes. Called from several signing threads at once.
pub trait Timestamper: Sync {
    fn stamp(&self, signature: &[u8]) -> Result<Vec<u8>, TimestampFailed>;
}

/// Why a signature got no timestamp (the authority named, its URL redacted).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TimestampFailed(pub String);

/// Enters a signed envelope in a transparency log (Rekor): the entry, with
/// its proof of inclusion, as a Sigstore bundle holds it. Called from
/// several signing threads at once.
pub trait TransparencyLog: Sync {
    fn log(&self, envelope: &Envelope) -> Result<sigstore::TlogEntry, LogFailed>;
}

/// Why an envelope was not logged (the log named, its URL redacted).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LogFailed(pub String);

/// How an envelope is written: its form and, for a Sigstore bundle, who
/// timestamps its signature and which log records it (a bare DSSE envelope
/// has nowhere to hold either).
#[derive(Clone, Copy)]
pub struct Wrap<'a> {
    pub form: Form,
    pub stamp: Option<&'a dyn Timestamper>,
    pub log: Option<&'a dyn TransparencyLog>,
}

impl From<Form> for Wrap<'static> {
    fn from(form: Form) -> Self {
        Wrap {
            form,
            stamp: None,
            log: None,
        }
    }
}

impl Wrap<'_> {
    /// The artifact's bytes, as [`Form::serialize`], the signature
    /// timestamped and the envelope logged first when there is a bundle to
    /// hold them. A signer with a certificate (keyless) is named by it,
    /// others by their key id.
    fn serialize(
        self,
        envelope: &Envelope,
        signer: &dyn Signer,
        as_line: bool,
    ) -> Result<Vec<u8>, AttestError> {
        let key_id = signer.key_id();
        let signed = match signer.certificate() {
            Some(der) => sigstore::Signed::Certificate { der },
            None => sigstore::Signed::Key { hint: &key_id },
        };
        if self.form != Form::SigstoreBundle || (self.stamp.is_none() && self.log.is_none()) {
            return Ok(self
                .form
                .serialize(envelope, signed, as_line, Default::default()));
        }
        let mut token = None;
        if let Some(stamp) = self.stamp {
            use base64::Engine as _;
            let sig = envelope
                .signatures
                .first()
                .and_then(|s| {
                    base64::engine::general_purpose::STANDARD
                        .decode(&s.sig)
                        .ok()
                })
                .ok_or_else(|| {
                    TimestampFailed("the envelope has no signature to timestamp".into())
                })?;
            token = Some(stamp.stamp(&sig)?);
        }
        let entry = match self.log {
            Some(log) => Some(log.log(envelope)?),
            None => None,
        };
        let stamps: Vec<&[u8]> = token.iter().map(Vec::as_slice).collect();
        let witnesses = sigstore::Witnesses {
            rfc3161_timestamps: &stamps,
            tlog_entries: entry.as_slice(),
        };
        Ok(self.form.serialize(envelope, signed, as_line, witnesses))
    }
}

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        let s = String::deserialize(d)?;
        Form::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A lowercase hex SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn of(bytes: &[u8]) -> Sha256Hex {
        let digest = Sha256::digest(bytes);
        Sha256Hex(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Accepts 64 hex digits in either case.
    pub fn parse(s: &str) -> Option<Sha256Hex> {
        (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Sha256Hex(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement<P> {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: P,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    /// Algorithm name (in-toto spelling: `sha256`, `sha512`, ...) to lowercase hex.
    pub digest: std::collections::BTreeMap<String, String>,
}

/// Digest algorithms in-toto names and checks, with their hex lengths.
const DIGEST_ALGS: [(&str, usize); 5] = [
    ("sha256", 64),
    ("sha384", 96),
    ("sha512", 128),
    ("sha1", 40),
    ("md5", 32),
];

impl Subject {
    /// A subject for a package: the digests the SBOM recorded for it when
    /// there are any, else the SHA-256 of the canonical PURL itself, so the
    /// subject always carries a digest as in-toto requires.
    pub fn for_package(canonical_purl: &str, sbom_hashes: &[(String, String)]) -> Subject {
        let mut digest = std::collections::BTreeMap::new();
        for (alg, hex) in sbom_hashes {
            let known = DIGEST_ALGS.iter().any(|(a, len)| {
                a == alg && hex.len() == *len && hex.bytes().all(|b| b.is_ascii_hexdigit())
            });
            if known {
                digest.insert(alg.clone(), hex.to_ascii_lowercase());
            }
        }
        if digest.is_empty() {
            digest.insert("sha256".into(), Sha256Hex::of(canonical_purl.as_bytes()).0);
        }
        Subject {
            name: canonical_purl.to_string(),
            digest,
        }
    }
}

/// A signed artifact, ready to be written.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: Sha256Hex,
}

#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("signing failed: {0}")]
    Sign(#[from] dsse::SignError),
    #[error("cannot serialize the statement: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("cannot write the artifact: {0}")]
    Write(#[from] std::io::Error),
    #[error("timestamp: {0}")]
    Timestamp(#[from] TimestampFailed),
    #[error("transparency log: {0}")]
    Log(#[from] LogFailed),
}

/// Build, sign and serialize the artifact for one package.
pub fn build_artifact<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    predicate: &P,
) -> Result<Artifact, AttestError> {
    build_artifact_in(Form::Dsse, signer, subject, predicate)
}

/// [`build_artifact`], its envelope written in `form`.
pub fn build_artifact_in<'w, P: Serialize>(
    wrap: impl Into<Wrap<'w>>,
    signer: &dyn Signer,
    subject: Subject,
    predicate: &P,
) -> Result<Artifact, AttestError> {
    build(
        signer,
        subject,
        PREDICATE_TYPE,
        predicate,
        wrap.into(),
        false,
    )
}

/// Build, sign and serialize an application's TACOS report.
pub fn build_report_artifact<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    report: &P,
) -> Result<Artifact, AttestError> {
    build_report_artifact_in(Form::Dsse, signer, subject, report)
}

/// [`build_report_artifact`], its envelope written in `form`.
pub fn build_report_artifact_in<'w, P: Serialize>(
    wrap: impl Into<Wrap<'w>>,
    signer: &dyn Signer,
    subject: Subject,
    report: &P,
) -> Result<Artifact, AttestError> {
    build(
        signer,
        subject,
        REPORT_PREDICATE_TYPE,
        report,
        wrap.into(),
        true,
    )
}

/// Sign an application's TACOS report and write its envelope to `out`,
/// byte for byte what `build_report_artifact` makes, without holding it:
/// for an SBOM of 10,000 packages the report is tens of megabytes. Its JSON
/// is written three times instead (counted, hashed for the signature, then
/// base64-encoded into `out`), which is cheap when its statements are
/// already JSON (`tacos::StatementJson`). Returns the file name the
/// artifact goes by and its SHA-256.
pub fn write_report_artifact<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    report: &P,
    out: &mut dyn std::io::Write,
) -> Result<(String, Sha256Hex), AttestError> {
    write_report_artifact_in(Form::Dsse, signer, subject, report, out)
}

/// [`write_report_artifact`], its envelope written in `form`: byte for
/// byte what [`build_report_artifact_in`] makes.
pub fn write_report_artifact_in<'w, P: Serialize>(
    wrap: impl Into<Wrap<'w>>,
    signer: &dyn Signer,
    subject: Subject,
    report: &P,
    out: &mut dyn std::io::Write,
) -> Result<(String, Sha256Hex), AttestError> {
    use base64::Engine as _;
    use std::io::Write as _;
    let wrap = wrap.into();
    if wrap.form == Form::SigstoreBundle && wrap.log.is_some() {
        // A log entry is made from the whole envelope, so here it is held
        // whole (a keyless run's report only).
        let artifact = build(signer, subject, REPORT_PREDICATE_TYPE, report, wrap, true)?;
        out.write_all(&artifact.bytes)?;
        return Ok((artifact.file_name, artifact.sha256));
    }
    let purl = subject.name.clone();
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject: vec![subject],
        predicate_type: REPORT_PREDICATE_TYPE.to_string(),
        predicate: report,
    };
    let mut counted = Counting(0);
    serde_json::to_writer(&mut counted, &statement)?;
    let payload = Replayed {
        len: counted.0,
        value: &statement,
    };
    let sig = signer.sign_pae_replayed(INTOTO_PAYLOAD_TYPE, &payload)?;
    // The envelope with an empty payload, split where the payload goes: the
    // other values (constants, hex, base64) cannot hold that text.
    let key_id = signer.key_id();
    let shell = Envelope {
        payload_type: INTOTO_PAYLOAD_TYPE.to_owned(),
        payload: String::new(),
        signatures: vec![dsse::EnvelopeSignature {
            keyid: key_id.clone(),
            sig: base64::engine::general_purpose::STANDARD.encode(sig),
        }],
    };
    // Timestamped here: the shell holds the real signature.
    let form = wrap.form;
    let shell =
        String::from_utf8(wrap.serialize(&shell, signer, false)?).expect("serde_json writes UTF-8");
    let marker = "\"payload\": \"\"";
    let at = shell.find(marker).expect("the envelope has a payload") + marker.len() - 1;
    let (head, tail) = shell.split_at(at);

    let mut hashed = HashingWriter {
        inner: out,
        hasher: Sha256::new(),
    };
    hashed.write_all(head.as_bytes())?;
    {
        let b64 = base64::write::EncoderWriter::new(
            &mut hashed,
            &base64::engine::general_purpose::STANDARD,
        );
        // Counted again: bytes other than the ones signed would make an
        // envelope that does not verify.
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, Counted { inner: b64, n: 0 });
        serde_json::to_writer(&mut w, &statement)?;
        let mut counted = w.into_inner().map_err(|e| e.into_error())?;
        if counted.n != payload.len {
            return Err(AttestError::Write(std::io::Error::other(
                "the report serialized differently the second time",
            )));
        }
        counted.inner.finish()?;
    }
    hashed.write_all(tail.as_bytes())?;
    let sha256 = Sha256Hex(hex::encode(hashed.hasher.finalize()));
    Ok((report_file_name(form, &purl, &sha256), sha256))
}

/// A value's compact JSON, written again on each `replay`.
struct Replayed<'a, T> {
    len: usize,
    value: &'a T,
}

impl<T: Serialize> dsse::Replay for Replayed<'_, T> {
    fn payload_len(&self) -> usize {
        self.len
    }
    fn replay(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(out, self.value).map_err(std::io::Error::other)
    }
}

/// Counts what is written, and drops it.
struct Counting(usize);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Passes writes on and counts them.
struct Counted<W> {
    inner: W,
    n: usize,
}

impl<W: std::io::Write> std::io::Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Passes writes on and hashes what was written.
struct HashingWriter<'a> {
    inner: &'a mut dyn std::io::Write,
    hasher: Sha256,
}

impl std::io::Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A package's artifact as one line of an attestation bundle (JSON Lines):
/// the envelope as compact JSON, without the line end. Those bytes are what
/// the SBOM's reference hashes. JSON escapes every control character inside
/// strings, so the line holds no line end of its own.
pub fn build_bundle_line<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    predicate: &P,
) -> Result<(Vec<u8>, Sha256Hex), AttestError> {
    build_bundle_line_in(Form::Dsse, signer, subject, predicate)
}

/// [`build_bundle_line`], its envelope written in `form` (a line that is
/// a whole Sigstore bundle, for [`Form::SigstoreBundle`]).
pub fn build_bundle_line_in<'w, P: Serialize>(
    wrap: impl Into<Wrap<'w>>,
    signer: &dyn Signer,
    subject: Subject,
    predicate: &P,
) -> Result<(Vec<u8>, Sha256Hex), AttestError> {
    let envelope = sign_statement(signer, subject, PREDICATE_TYPE, predicate)?;
    let bytes = wrap.into().serialize(&envelope, signer, true)?;
    let sha256 = Sha256Hex::of(&bytes);
    Ok((bytes, sha256))
}

fn sign_statement<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    predicate_type: &str,
    predicate: &P,
) -> Result<Envelope, AttestError> {
    sign_subjects(signer, vec![subject], predicate_type, predicate)
}

fn sign_subjects<P: Serialize>(
    signer: &dyn Signer,
    subjects: Vec<Subject>,
    predicate_type: &str,
    predicate: &P,
) -> Result<Envelope, AttestError> {
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject: subjects,
        predicate_type: predicate_type.to_string(),
        predicate,
    };
    let payload = serde_json::to_vec(&statement)?;
    Ok(dsse::sign_envelope(signer, INTOTO_PAYLOAD_TYPE, &payload)?)
}

/// Sign a statement of any predicate type about `subjects` and serialize
/// it as `wrap` says (timestamped and logged first, for a bundle).
pub fn sign_statement_as<'w, P: Serialize>(
    wrap: impl Into<Wrap<'w>>,
    signer: &dyn Signer,
    subjects: Vec<Subject>,
    predicate_type: &str,
    predicate: &P,
) -> Result<Vec<u8>, AttestError> {
    let envelope = sign_subjects(signer, subjects, predicate_type, predicate)?;
    wrap.into().serialize(&envelope, signer, false)
}

fn build<P: Serialize>(
    signer: &dyn Signer,
    subject: Subject,
    predicate_type: &str,
    predicate: &P,
    wrap: Wrap,
    report: bool,
) -> Result<Artifact, AttestError> {
    let purl = subject.name.clone();
    let form = wrap.form;
    let envelope = sign_statement(signer, subject, predicate_type, predicate)?;
    let bytes = wrap.serialize(&envelope, signer, false)?;
    let sha256 = Sha256Hex::of(&bytes);
    let file_name = match (report, form) {
        (true, _) => report_file_name(form, &purl, &sha256),
        (false, Form::Dsse) => artifact_file_name(&purl, &sha256),
        (false, Form::SigstoreBundle) => named(&purl, &sha256, SIGSTORE_ARTIFACT_SUFFIX),
    };
    Ok(Artifact {
        file_name,
        sha256,
        bytes,
    })
}

/// The file name of an application report in `form`.
fn report_file_name(form: Form, purl: &str, sha256: &Sha256Hex) -> String {
    match form {
        // As earlier versions named it, byte for byte.
        Form::Dsse => artifact_file_name(purl, sha256).replace(ARTIFACT_SUFFIX, REPORT_SUFFIX),
        Form::SigstoreBundle => named(purl, sha256, SIGSTORE_REPORT_SUFFIX),
    }
}

/// A file name a person can read, that is safe on any file system and cannot
/// leave the directory it is joined to. It ends in part of the artifact's
/// digest: a statement depends on the run (the releases in use, the SBOM's
/// digests), so runs that share a directory must not overwrite each other's
/// artifacts, while the same artifact keeps the same name.
///
/// `pkg:npm/%40babel/core@7.24.0` becomes
/// `npm_@babel_core@7.24.0.<16 hex>.tacos.dsse.json`.
pub fn artifact_file_name(canonical_purl: &str, sha256: &Sha256Hex) -> String {
    named(canonical_purl, sha256, ARTIFACT_SUFFIX)
}

/// [`artifact_file_name`] with another suffix.
fn named(canonical_purl: &str, sha256: &Sha256Hex, suffix: &str) -> String {
    let body = canonical_purl
        .strip_prefix("pkg:")
        .unwrap_or(canonical_purl);
    // Drop qualifiers and subpath from the readable part; the digest keeps
    // PURLs that differ only there apart.
    let body = body.split(['?', '#']).next().unwrap_or(body);
    let decoded = crate::percent::decode(body);
    let mut readable = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '@' | '_');
        let c = if keep { c } else { '_' };
        // Collapse runs of separators and dots so nothing like `..` survives.
        if (c == '_' || c == '.') && readable.ends_with(['_', '.']) {
            continue;
        }
        readable.push(c);
    }
    let readable: String = readable
        .trim_matches(['_', '.'])
        .chars()
        .take(120)
        .collect();
    format!("{readable}.{}{suffix}", &sha256.as_str()[..16])
}

/// What `verify_artifact` established about an artifact.
#[derive(Debug)]
pub struct VerifiedArtifact {
    pub statement: Statement<serde_json::Value>,
    /// The timestamps it carries, not yet checked.
    pub stamps: Stamps,
}

/// The RFC 3161 timestamps an artifact carries over its signature, read
/// with its envelope and checked only against a trusted root's
/// authorities ([`Stamps::verify`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stamps {
    /// Whether the artifact is a Sigstore bundle: a bare DSSE envelope has
    /// no place for a timestamp.
    pub in_bundle: bool,
    /// Each `signedTimestamp` (DER), in order.
    pub tokens: Vec<Vec<u8>>,
    /// The envelope's signatures, base64 as written: a timestamp stamps
    /// the bytes of the one signature a bundle's envelope holds.
    signatures: Vec<String>,
}

/// Why an artifact's timestamps do not stand up against a trusted root.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    #[error(
        "no timestamp: {}; a trusted root needs a bundle with an RFC 3161 timestamp (enrich --envelope bundle --timestamp-server-url URL)",
        if *.in_bundle { "a Sigstore bundle without one" } else { "a bare DSSE envelope" }
    )]
    NoTimestamp { in_bundle: bool },
    #[error(
        "the bundle's envelope holds {0} signatures; a timestamp is checked over a bundle's one signature"
    )]
    Signatures(usize),
    #[error("rfc3161Timestamps[{index}]: {source}")]
    Invalid {
        index: usize,
        #[source]
        source: rfc3161::TimestampError,
    },
}

impl Stamps {
    fn of(envelope: &Envelope, in_bundle: bool, tokens: Vec<Vec<u8>>) -> Stamps {
        Stamps {
            in_bundle,
            tokens,
            signatures: envelope.signatures.iter().map(|s| s.sig.clone()).collect(),
        }
    }

    /// Every timestamp verified against `authorities` over the signature:
    /// at least one, and none that fails (a bad one is not outvoted by a
    /// good one: it is a document someone altered, or a wrong root).
    pub fn verify(
        &self,
        authorities: &[rfc3161::TimestampAuthority],
    ) -> Result<Vec<rfc3161::VerifiedTimestamp>, StampError> {
        if self.tokens.is_empty() {
            return Err(StampError::NoTimestamp {
                in_bundle: self.in_bundle,
            });
        }
        let [signature] = self.signatures.as_slice() else {
            return Err(StampError::Signatures(self.signatures.len()));
        };
        // The signature verified before this is asked, so it decodes.
        let signature = dsse::decode_base64(signature).unwrap_or_default();
        self.tokens
            .iter()
            .enumerate()
            .map(|(index, token)| {
                rfc3161::verify_signed_timestamp(token, &signature, authorities, None)
                    .map_err(|source| StampError::Invalid { index, source })
            })
            .collect()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VerifyError {
    #[error("not a DSSE envelope: {0}")]
    NotEnvelope(String),
    #[error("signature does not verify: {0}")]
    Signature(String),
    #[error("payload type is {0:?}, expected {INTOTO_PAYLOAD_TYPE:?}")]
    PayloadType(String),
    #[error("payload is not an in-toto Statement v1: {0}")]
    NotStatement(String),
    #[error("predicate type is {0:?}, expected {1:?}")]
    PredicateType(String, String),
    #[error(transparent)]
    Sigstore(#[from] sigstore::BundleError),
}

/// Check an artifact's signature and shape (not yet which package it names).
pub fn verify_artifact(bytes: &[u8], key: &PublicKey) -> Result<VerifiedArtifact, VerifyError> {
    verify_typed(bytes, key, PREDICATE_TYPE)
}

/// What `verify_report_artifact` established: a signed in-toto statement
/// of the report predicate type, kept as its payload's bytes.
#[derive(Debug)]
pub struct VerifiedReport {
    payload: Vec<u8>,
    /// The timestamps it carries, not yet checked.
    pub stamps: Stamps,
}

impl VerifiedReport {
    /// The predicate, read straight into `P`: the report of an SBOM of
    /// 10,000 packages is some 60 MB of JSON, several times that as a tree
    /// of `serde_json::Value`s.
    pub fn predicate<P: serde::de::DeserializeOwned>(&self) -> Result<P, serde_json::Error> {
        #[derive(Deserialize)]
        struct Only<P> {
            predicate: P,
        }
        serde_json::from_slice::<Only<P>>(&self.payload).map(|o| o.predicate)
    }
}

/// Check an application report artifact's signature and shape. It takes
/// the file's bytes to let them go once the envelope is read: a report of
/// 10,000 packages is ~75 MB, its envelope holds that text again, and
/// the decoded payload is ~56 MB more.
pub fn verify_report_artifact(
    bytes: Vec<u8>,
    key: &PublicKey,
) -> Result<VerifiedReport, VerifyError> {
    let (envelope, stamps) = in_toto_envelope(&bytes)?;
    drop(bytes);
    let payload = envelope
        .verify(key)
        .map_err(|e| VerifyError::Signature(e.to_string()))?;
    drop(envelope);
    // The statement's frame, the predicate skipped (not built).
    let statement: Statement<serde::de::IgnoredAny> =
        serde_json::from_slice(&payload).map_err(|e| VerifyError::NotStatement(e.to_string()))?;
    check_frame(&statement, REPORT_PREDICATE_TYPE)?;
    Ok(VerifiedReport { payload, stamps })
}

fn verify_typed(
    bytes: &[u8],
    key: &PublicKey,
    predicate_type: &str,
) -> Result<VerifiedArtifact, VerifyError> {
    let (envelope, stamps) = in_toto_envelope(bytes)?;
    let payload = envelope
        .verify(key)
        .map_err(|e| VerifyError::Signature(e.to_string()))?;
    let statement: Statement<serde_json::Value> =
        serde_json::from_slice(&payload).map_err(|e| VerifyError::NotStatement(e.to_string()))?;
    check_frame(&statement, predicate_type)?;
    Ok(VerifiedArtifact { statement, stamps })
}

/// A DSSE envelope of in-toto payload type (its signature not yet
/// checked): the document itself, or the one a Sigstore bundle holds, told
/// apart by the document's members; with the timestamps a bundle carries.
fn in_toto_envelope(bytes: &[u8]) -> Result<(Envelope, Stamps), VerifyError> {
    let (envelope, stamps) = match sigstore::shape(bytes) {
        sigstore::Shape::Bundle => {
            let c = sigstore::contents(bytes)?;
            let stamps = Stamps::of(&c.envelope, true, c.rfc3161_timestamps);
            (c.envelope, stamps)
        }
        sigstore::Shape::Other => {
            let envelope: Envelope = serde_json::from_slice(bytes)
                .map_err(|e| VerifyError::NotEnvelope(e.to_string()))?;
            let stamps = Stamps::of(&envelope, false, Vec::new());
            (envelope, stamps)
        }
    };
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(VerifyError::PayloadType(envelope.payload_type.clone()));
    }
    Ok((envelope, stamps))
}

/// An in-toto Statement v1 of `predicate_type`.
fn check_frame<P>(statement: &Statement<P>, predicate_type: &str) -> Result<(), VerifyError> {
    if statement.statement_type != STATEMENT_TYPE {
        return Err(VerifyError::NotStatement(format!(
            "_type is {:?}",
            statement.statement_type
        )));
    }
    if statement.predicate_type != predicate_type {
        return Err(VerifyError::PredicateType(
            statement.predicate_type.clone(),
            predicate_type.to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed report is the report `build_report_artifact` builds in
    /// memory, byte for byte, and verifies as a report.
    #[test]
    fn a_streamed_report_is_the_built_one() {
        use crate::attest::keys::{KeyAlgorithm, SigningKey};
        let statements = vec!["x\u{e9}\"\n"; 500];
        let report = serde_json::json!({"application": "a", "statements": statements});
        let forms = [Form::Dsse, Form::SigstoreBundle];
        for (alg, form) in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Ed25519]
            .into_iter()
            .flat_map(|a| forms.map(|f| (a, f)))
        {
            let key = SigningKey::generate(alg);
            let subject = || Subject::for_package("pkg:npm/app@1.0.0", &[]);
            let built = build_report_artifact_in(form, &key, subject(), &report).unwrap();
            let mut streamed = Vec::new();
            let (name, sha) =
                write_report_artifact_in(form, &key, subject(), &report, &mut streamed).unwrap();
            // Both signatures are deterministic (RFC 6979 for ECDSA).
            assert_eq!(streamed, built.bytes);
            assert_eq!(
                (name.as_str(), &sha),
                (built.file_name.as_str(), &built.sha256)
            );
            assert_eq!(sha, Sha256Hex::of(&streamed));
            assert!(name.ends_with(form.report_suffix()), "{name}");
            verify_report_artifact(streamed.clone(), key.public()).unwrap();
        }
    }

    /// Each form is read back by the same check, and only the form asked
    /// for is written: a bundle whose envelope is today's envelope, named
    /// by its own suffix.
    #[test]
    fn both_forms_verify_and_wrap_the_same_envelope() {
        use crate::attest::keys::{KeyAlgorithm, SigningKey};
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let subject = || Subject::for_package("pkg:npm/a@1.0.0", &[]);
        let predicate = serde_json::json!({"PURL": "pkg:npm/a@1.0.0"});
        let bare = build_artifact(&key, subject(), &predicate).unwrap();
        let wrapped = build_artifact_in(Form::SigstoreBundle, &key, subject(), &predicate).unwrap();
        assert!(bare.file_name.ends_with(".tacos.dsse.json"));
        assert!(
            wrapped.file_name.ends_with(".tacos.sigstore.json")
                && wrapped.file_name.starts_with("npm_a@1.0.0."),
            "{}",
            wrapped.file_name
        );
        assert_eq!(
            &wrapped.file_name[..wrapped.file_name.len() - SIGSTORE_ARTIFACT_SUFFIX.len()],
            format!("npm_a@1.0.0.{}", &wrapped.sha256.as_str()[..16])
        );
        let v: serde_json::Value = serde_json::from_slice(&wrapped.bytes).unwrap();
        let inner: serde_json::Value = serde_json::from_slice(&bare.bytes).unwrap();
        assert_eq!(
            v["dsseEnvelope"], inner,
            "the same envelope (signatures are deterministic)"
        );
        assert_eq!(
            v["verificationMaterial"]["publicKey"]["hint"],
            key.public().key_id()
        );
        for bytes in [&bare.bytes, &wrapped.bytes] {
            verify_artifact(bytes, key.public()).unwrap();
        }
        let (line, sha) =
            build_bundle_line_in(Form::SigstoreBundle, &key, subject(), &predicate).unwrap();
        assert_eq!(sha, Sha256Hex::of(&line));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&line).unwrap(),
            v
        );
        verify_artifact(&line, key.public()).unwrap();
        let other = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        assert!(matches!(
            verify_artifact(&wrapped.bytes, other.public()),
            Err(VerifyError::Signature(_))
        ));
    }

    /// A report is checked like any artifact (signature, statement type,
    /// predicate type), and its predicate read into the caller's type.
    #[test]
    fn a_report_is_read_into_its_type_and_nothing_else_passes_as_one() {
        use crate::attest::keys::{KeyAlgorithm, SigningKey};
        #[derive(Deserialize, Debug, PartialEq)]
        struct Shape {
            application: String,
        }
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let subject = || Subject::for_package("pkg:npm/app@1.0.0", &[]);
        let report = serde_json::json!({"application": "a", "statements": []});
        let built = build_report_artifact(&key, subject(), &report).unwrap();
        let verified = verify_report_artifact(built.bytes.clone(), key.public()).unwrap();
        assert_eq!(
            verified.predicate::<Shape>().unwrap(),
            Shape {
                application: "a".into()
            }
        );
        assert!(verified.predicate::<Vec<String>>().is_err());
        // A package artifact is not a report, nor the other way round.
        let package = build_artifact(&key, subject(), &report).unwrap();
        assert!(matches!(
            verify_report_artifact(package.bytes.clone(), key.public()),
            Err(VerifyError::PredicateType(..))
        ));
        assert!(matches!(
            verify_artifact(&built.bytes, key.public()),
            Err(VerifyError::PredicateType(..))
        ));
        let other = SigningKey::generate(KeyAlgorithm::Ed25519);
        assert!(matches!(
            verify_report_artifact(built.bytes.clone(), other.public()),
            Err(VerifyError::Signature(_))
        ));
    }

    /// Against a trusted root an artifact needs a timestamp, and one over
    /// a bundle's one signature: a bare envelope, a bundle without, and a
    /// bundle of two signatures are each refused before any token is read.
    #[test]
    fn stamps_need_a_bundle_a_timestamp_and_one_signature() {
        use crate::attest::keys::{KeyAlgorithm, SigningKey};
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let subject = || Subject::for_package("pkg:npm/a@1.0.0", &[]);
        let predicate = serde_json::json!({"PURL": "pkg:npm/a@1.0.0"});
        let bare = build_artifact(&key, subject(), &predicate).unwrap();
        let stamps = verify_artifact(&bare.bytes, key.public()).unwrap().stamps;
        assert!(matches!(
            stamps.verify(&[]),
            Err(StampError::NoTimestamp { in_bundle: false })
        ));
        let wrapped = build_artifact_in(Form::SigstoreBundle, &key, subject(), &predicate).unwrap();
        let stamps = verify_artifact(&wrapped.bytes, key.public())
            .unwrap()
            .stamps;
        assert!(matches!(
            stamps.verify(&[]),
            Err(StampError::NoTimestamp { in_bundle: true })
        ));
        let mut v: serde_json::Value = serde_json::from_slice(&wrapped.bytes).unwrap();
        let sig = v["dsseEnvelope"]["signatures"][0].clone();
        v["dsseEnvelope"]["signatures"] = serde_json::json!([sig.clone(), sig]);
        v["verificationMaterial"]["timestampVerificationData"] =
            serde_json::json!({"rfc3161Timestamps": [{"signedTimestamp": "MAA="}]});
        let bytes = serde_json::to_vec(&v).unwrap();
        let stamps = verify_artifact(&bytes, key.public()).unwrap().stamps;
        assert_eq!(stamps.tokens, [vec![0x30, 0]]);
        assert!(matches!(stamps.verify(&[]), Err(StampError::Signatures(2))));
    }

    #[test]
    fn file_names_are_readable_safe_and_distinct() {
        let d = Sha256Hex::of(b"x");
        let a = artifact_file_name("pkg:npm/%40babel/core@7.24.0", &d);
        assert_eq!(
            a,
            format!(
                "npm_@babel_core@7.24.0.{}{ARTIFACT_SUFFIX}",
                &d.as_str()[..16]
            )
        );
        let evil = artifact_file_name("pkg:npm/..%2F..%2Fetc/passwd@1", &d);
        assert!(!evil.contains('/') && !evil.contains(".."), "{evil}");
        assert!(!evil.starts_with('.'));
        let long = artifact_file_name(&format!("pkg:generic/{}@1", "x".repeat(5000)), &d);
        assert!(long.len() < 170);
    }

    #[test]
    fn subject_uses_sbom_digests_when_valid() {
        let s = Subject::for_package(
            "pkg:cargo/a@1",
            &[
                ("sha256".into(), "AB".repeat(32)),
                ("sha512".into(), "nothex".into()),
            ],
        );
        assert_eq!(s.digest.len(), 1);
        assert_eq!(s.digest["sha256"], "ab".repeat(32));
        let fallback = Subject::for_package("pkg:cargo/a@1", &[]);
        assert_eq!(
            fallback.digest["sha256"],
            Sha256Hex::of(b"pkg:cargo/a@1").as_str()
        );
    }
}
