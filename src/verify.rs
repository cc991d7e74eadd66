//! `verify`: every TACOS reference in an enriched SBOM resolves to an artifact
//! whose SHA-256 matches, whose signature verifies, and whose subject is that
//! component's canonical PURL.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{BufRead, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use crate::attest::keyless::{self, Identity, KeylessError};
use crate::attest::reference::{
    LEGACY_PUBLIC_KEY_FILE, PUBLIC_KEY_FILE, REFERENCE_MARKER, REPORT_MARKER, SPDX_REFERENCE_TYPE,
    SPDX_REPORT_REFERENCE_TYPE,
};
use crate::attest::rfc3161::{TimestampAuthority, VerifiedTimestamp};
use crate::attest::trust_root::TrustedRoot;
use crate::attest::{self, KeyError, PublicKey, Sha256Hex, StampError, Stamps, VerifyError};
use crate::fsutil;
use crate::purl::{Purl, PurlError};
use crate::redact::{redact, redact_text};
use crate::sbom::{Component, ComponentId, FoundReference, Role, Sbom, SbomError};
use crate::sources::remote::{Downloads, RemoteError};
use crate::tacos::{Report, Statement};

/// Artifacts larger than this are refused unread (a line of a bundle too).
const MAX_ARTIFACT_BYTES: u64 = 64 << 20;

/// No report larger than this is read, whatever the SBOM claims to hold
/// (the bound of an SBOM itself: `sbom::MAX_INPUT_BYTES`); ~130,000
/// packages' statements.
const MAX_REPORT_BYTES: u64 = crate::sbom::MAX_INPUT_BYTES;

/// An application report holds a statement for every package of its SBOM
/// (enrich writes ~8 KB a package: 75 MB for 9,125 packages), so its bound
/// grows with the SBOM the user gave: twice that a component, over the
/// bound of any artifact, up to `MAX_REPORT_BYTES`.
fn max_report_bytes(components: usize) -> u64 {
    MAX_ARTIFACT_BYTES
        .saturating_add((components as u64).saturating_mul(16 << 10))
        .min(MAX_REPORT_BYTES)
}

/// Attestation bundles larger than this are refused. A bundle holds a
/// whole run's packages (10 KB × 200,000 is 2 GB); it is read once, a
/// buffer at a time, and never held whole in memory.
pub const MAX_BUNDLE_BYTES: u64 = 4 << 30;

/// The public key written beside artifacts is at most this large.
const MAX_KEY_BYTES: u64 = 1 << 20;

/// Where a reference points: a file and, in an attestation bundle, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// On disk: where the reference points, or the private copy of the file
    /// fetched from `url`.
    pub path: PathBuf,
    /// The line (from 1), from the URL's `#L<n>` fragment.
    pub line: Option<usize>,
    /// The URL the file was fetched from (without credentials or the
    /// fragment), when it was.
    pub url: Option<String>,
}

impl Located {
    /// `#L<n>` for a line of a bundle, else empty: what a link to it ends with.
    pub fn fragment(&self) -> String {
        self.line.map(|n| format!("#L{n}")).unwrap_or_default()
    }

    /// The file, as messages name it.
    pub fn place(&self) -> Place {
        Place {
            path: self.path.clone(),
            url: self.url.clone(),
        }
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n} of {}", self.place()),
            None => write!(f, "{}", self.place()),
        }
    }
}

/// A file read for a reference: on disk, or the private copy of one
/// fetched, shown as the URL it came from (the copy's path means nothing
/// to a reader, and is gone when the run is).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub path: PathBuf,
    /// Without credentials.
    pub url: Option<String>,
}

impl Place {
    fn local(path: PathBuf) -> Place {
        Place { path, url: None }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.url {
            Some(url) => f.write_str(url),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The trusted public key; without it, the key written beside the
    /// artifacts is used (which proves integrity, not origin).
    pub key: Option<PublicKey>,
    /// The file `key` was read from: when it is the copy of the public key
    /// shipped beside the artifacts, it proves nothing about the signer.
    pub key_file: Option<PathBuf>,
    /// A directory that may hold the artifacts (and may be outside the SBOM's).
    /// Given, it is where absolute references are looked for, by file name;
    /// without it, `https://` references are fetched (unless `offline`).
    pub attestations_dir: Option<PathBuf>,
    /// Fetch nothing: `https://` references then need `attestations_dir`.
    pub offline: bool,
    /// Accept components that have a valid PURL but no TACOS reference
    /// (counted, not failed).
    pub allow_missing: bool,
    /// Accept artifacts checked only with the key found beside them, which
    /// proves they are intact but not who signed them.
    pub allow_unauthenticated: bool,
    /// The timestamp authorities of a trusted root (`--trusted-root`):
    /// when given, every artifact must be a Sigstore bundle carrying an
    /// RFC 3161 timestamp, and every timestamp it carries must verify
    /// against them over its signature. Without, timestamps are counted,
    /// not checked.
    pub timestamp_authorities: Option<Vec<TimestampAuthority>>,
    /// Keyless verification: given, every artifact must be a keyless
    /// Sigstore bundle whose certificate names this identity and chains to
    /// this root, logged and timed as `attest::keyless` checks; `key` and
    /// `timestamp_authorities` are then not used.
    pub keyless: Option<Keyless>,
}

/// What keyless artifacts are checked against: a whole trusted root, and
/// who must have signed.
#[derive(Debug, Clone)]
pub struct Keyless {
    pub root: Arc<TrustedRoot>,
    /// How messages name the root (its file, or the built-in one).
    pub root_name: String,
    pub identity: Arc<Identity>,
}

/// Who must have signed, as the verifying commands' flags give it (cosign's
/// names): each of identity and issuer exactly or as a pattern.
#[derive(Debug, Clone, Default)]
pub struct IdentityFlags {
    pub identity: Option<String>,
    pub identity_regexp: Option<String>,
    pub issuer: Option<String>,
    pub issuer_regexp: Option<String>,
}

/// Why the keyless flags ask for nothing that can be checked.
#[derive(Debug, thiserror::Error)]
pub enum KeylessFlagsError {
    #[error("--{flag}-regexp is not a regular expression: {source}")]
    Pattern {
        flag: &'static str,
        source: regex::Error,
    },
    #[error(
        "keyless verification needs the signer's OIDC issuer too: --certificate-oidc-issuer ISSUER or --certificate-oidc-issuer-regexp REGEX"
    )]
    NoIssuer,
    #[error(
        "keyless verification needs the signer's identity too: --certificate-identity IDENTITY or --certificate-identity-regexp REGEX"
    )]
    NoIdentity,
    #[error(transparent)]
    Root(#[from] crate::attest::trust_root::TrustRootFileError),
}

impl Keyless {
    /// The keyless check the flags ask for, against the trusted root in
    /// `trusted_root`, else the built-in public-good one; `None` without
    /// identity flags. An identity needs an issuer and the other way round,
    /// as cosign has it.
    pub fn from_flags(
        f: &IdentityFlags,
        trusted_root: Option<&Path>,
    ) -> Result<Option<Keyless>, KeylessFlagsError> {
        use crate::attest::keyless::Matcher;
        use crate::attest::trust_root;
        let matcher = |exact: &Option<String>, pattern: &Option<String>, flag: &'static str| match (
            exact, pattern,
        ) {
            (Some(e), _) => Ok(Some(Matcher::Exact(e.clone()))),
            (None, Some(p)) => Matcher::pattern(p)
                .map(Some)
                .map_err(|source| KeylessFlagsError::Pattern { flag, source }),
            (None, None) => Ok(None),
        };
        let subject = matcher(&f.identity, &f.identity_regexp, "certificate-identity")?;
        let issuer = matcher(&f.issuer, &f.issuer_regexp, "certificate-oidc-issuer")?;
        let (subject, issuer) = match (subject, issuer) {
            (None, None) => return Ok(None),
            (Some(s), Some(i)) => (s, i),
            (Some(_), None) => return Err(KeylessFlagsError::NoIssuer),
            (None, Some(_)) => return Err(KeylessFlagsError::NoIdentity),
        };
        let (root, root_name) = match trusted_root {
            Some(path) => {
                let root = trust_root::read_trusted_root(path)?;
                let mut name = path.display().to_string();
                // Said where the root is named, so a failure that a left-out
                // log explains is read with it.
                if !root.unread_logs.is_empty() {
                    name.push_str(&format!(
                        " (its logs with RSA keys are not read: {})",
                        root.unread_logs.join(", ")
                    ));
                }
                (root, name)
            }
            None => (
                trust_root::public_good(),
                trust_root::PUBLIC_GOOD_NAME.to_string(),
            ),
        };
        Ok(Some(Keyless {
            root: Arc::new(root),
            root_name,
            identity: Arc::new(Identity { subject, issuer }),
        }))
    }
}

/// An artifact an SBOM references ([`Enriched::artifacts`]).
#[derive(Debug)]
pub struct Referenced {
    /// The component's label, or "application report".
    pub component: String,
    /// The component's canonical package URL.
    pub purl: Option<String>,
    /// Its bytes, whose SHA-256 is the one the SBOM records.
    pub bytes: Result<Vec<u8>, Problem>,
}

/// One reference (or component, or the SBOM) that did not check out.
#[derive(Debug, Clone)]
pub struct Failure {
    pub component: String,
    pub purl: Option<String>,
    pub what: Problem,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.purl {
            Some(p) => write!(f, "{} ({p}): {}", self.component, self.what),
            None => write!(f, "{}: {}", self.component, self.what),
        }
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub references: usize,
    pub verified: usize,
    pub failures: Vec<Failure>,
    /// Dependencies with a valid PURL but no TACOS reference.
    pub without_reference: usize,
    /// References on components (the rest are application reports).
    pub component_references: usize,
    /// Public keys found beside artifacts and used because no --key was given.
    pub keys_used_from_artifacts: Vec<Place>,
    /// No component has a package URL and nothing is referenced: enrich
    /// had nothing to attest (and no place for a report), so there is
    /// nothing to verify. Passes, and says so.
    pub nothing_attested: bool,
    /// The given key is the copy of the public key shipped beside the
    /// artifacts (this file): the signatures check, but whoever could
    /// replace the artifacts could replace that key too.
    pub given_key_shipped: Option<PathBuf>,
    /// Timestamps carried by artifacts that verified, left unchecked for
    /// want of a trusted root.
    pub timestamps_unchecked: usize,
    /// Each reference whose timestamps verified against the trusted root.
    pub stamped: Vec<Stamped>,
    /// Each reference whose keyless bundle verified: who signed it, when.
    pub keyless: Vec<SignedKeyless>,
}

/// A reference whose keyless bundle verified.
#[derive(Debug, Clone)]
pub struct SignedKeyless {
    pub component: String,
    pub purl: Option<String>,
    pub located: Located,
    pub signer: keyless::Verified,
}

/// A reference whose artifact's timestamps all verified.
#[derive(Debug, Clone)]
pub struct Stamped {
    pub component: String,
    pub purl: Option<String>,
    pub located: Located,
    pub timestamps: Vec<VerifiedTimestamp>,
}

/// What an artifact's timestamps came to: checked against the trusted
/// root, or (without one) only counted; or, keyless, everything its bundle
/// proves.
enum Timestamps {
    Verified(Vec<VerifiedTimestamp>),
    Unchecked(usize),
    Keyless(Box<keyless::Verified>),
}

impl Outcome {
    /// Whether some signature was checked only with a key that came with the
    /// artifacts (found beside them, or given but the copy shipped there):
    /// whoever could replace the artifacts could replace that key.
    pub fn signer_unproven(&self) -> bool {
        !self.keys_used_from_artifacts.is_empty() || self.given_key_shipped.is_some()
    }

    /// Note what a verified reference's timestamps came to.
    fn count(
        &mut self,
        stamps: Timestamps,
        component: &str,
        purl: Option<String>,
        located: &Located,
    ) {
        match stamps {
            Timestamps::Unchecked(n) => self.timestamps_unchecked += n,
            Timestamps::Verified(timestamps) => self.stamped.push(Stamped {
                component: component.to_string(),
                purl,
                located: located.clone(),
                timestamps,
            }),
            Timestamps::Keyless(signer) => self.keyless.push(SignedKeyless {
                component: component.to_string(),
                purl,
                located: located.clone(),
                signer: *signer,
            }),
        }
    }

    /// Timestamps that verified against the trusted root.
    pub fn timestamps_verified(&self) -> usize {
        self.stamped.iter().map(|s| s.timestamps.len()).sum()
    }

    /// Whether the SBOM verifies under `opts`: no failure, and the signer
    /// proven unless `allow_unauthenticated`.
    pub fn passed(&self, opts: &Options) -> bool {
        self.failures.is_empty() && (opts.allow_unauthenticated || !self.signer_unproven())
    }
}

/// Why a reference, or the SBOM as a whole, does not check out: the text
/// `verify` prints after `FAIL <sbom>: <component>: `. Cloned, because one
/// located file, bundle or key serves many references.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Problem {
    #[error("the component has no package URL")]
    NoPackageUrl,
    #[error("invalid package URL {raw:?}: {source}")]
    InvalidPackageUrl {
        raw: String,
        #[source]
        source: PurlError,
    },
    /// The component's version does not fit in its package URL.
    #[error(transparent)]
    Version(PurlError),
    #[error("the reference records no SHA-256 of the artifact")]
    NoDigest,
    #[error(
        "the reference's hashes record SHA-256 {hashes} but its comment records {comment}; one of them was altered"
    )]
    DigestsDisagree {
        hashes: Sha256Hex,
        comment: Sha256Hex,
    },
    #[error(
        "SHA-256 mismatch for {located}: the SBOM records {recorded}, {} is {actual}",
        if .located.line.is_some() { "the line" } else { "the artifact" }
    )]
    DigestMismatch {
        /// Boxed: a problem is passed around by value, and this one is the
        /// largest.
        located: Box<Located>,
        recorded: Sha256Hex,
        actual: Sha256Hex,
    },
    #[error("no --key given and {path}: {source}")]
    NoKeyBeside {
        path: Place,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The key beside remote artifacts could not be fetched.
    #[error("no --key given and {source}")]
    NoKeyFetched {
        #[source]
        source: Arc<RemoteError>,
    },
    #[error("{path}: not a PEM file")]
    KeyBesideNotText { path: Place },
    #[error("{path}: {source}")]
    KeyBeside {
        path: Place,
        #[source]
        source: Arc<KeyError>,
    },
    #[error("{located}: {source}")]
    Signature {
        located: Located,
        #[source]
        source: Arc<VerifyError>,
    },
    #[error("{located}: {source}")]
    Timestamp {
        located: Located,
        #[source]
        source: Arc<StampError>,
    },
    /// A keyless bundle that does not verify (or an artifact that is not one).
    #[error("{located}: {source}")]
    Keyless {
        located: Located,
        #[source]
        source: Arc<KeylessError>,
    },
    #[error("the artifact's subject is {} but the component is {expected}", .subjects.join(", "))]
    WrongSubject {
        subjects: Vec<String>,
        expected: String,
    },
    #[error("the TACOS statement's PURL is not {expected}")]
    WrongStatementPurl { expected: String },
    /// The signed predicate is not a TACOS statement.
    #[error(transparent)]
    NotAStatement(Arc<serde_json::Error>),
    #[error(
        "the reference {url:?} points into an attestation bundle; an application report is a file of its own"
    )]
    ReportInBundle { url: String },
    #[error("{located}: the predicate is not a TACOS report: {source}")]
    NotAReport {
        located: Located,
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// `shown` is the fragment's first 40 characters.
    #[error(
        "the reference URL's fragment \"#{shown}{}\" does not name a line of an attestation bundle (expected #L and a line number from 1)",
        if *.cut { "..." } else { "" }
    )]
    NotALine { shown: String, cut: bool },
    #[error("the reference URL {url:?} names no artifact file")]
    NoArtifactName { url: String },
    #[error(
        "the artifact is at {url}, and --offline fetches nothing: pass --attestations-dir DIR with a local copy"
    )]
    Remote { url: String },
    #[error(
        "the artifact is at {url}: only https references are fetched; pass --attestations-dir DIR with a local copy"
    )]
    NotHttps { url: String },
    /// A remote artifact (or bundle) that could not be fetched.
    #[error(transparent)]
    Fetch(Arc<RemoteError>),
    #[error("the reference URL {url:?} is not a plain path")]
    NotAPlainPath { url: String },
    #[error(
        "the reference {url:?} points outside the SBOM's directory; pass --attestations-dir DIR to allow a directory"
    )]
    Outside { url: String },
    #[error("artifact {path}: {source}")]
    Artifact {
        path: Place,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("artifact {path} is larger than {max} bytes")]
    ArtifactTooLarge { path: Place, max: u64 },
    #[error("attestation bundle {path} was not read")]
    BundleNotRead { path: Place },
    #[error("attestation bundle {path}: {source}")]
    Bundle {
        path: Place,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error(
        "attestation bundle {path} is larger than {MAX_BUNDLE_BYTES} bytes; refusing to read it"
    )]
    BundleTooLarge { path: Place },
    #[error(
        "line {line} is past the end of attestation bundle {path}, which has {}",
        crate::term::plural(*.lines, "line", "lines")
    )]
    PastTheEnd {
        path: Place,
        line: usize,
        lines: usize,
    },
    #[error("line {line} of attestation bundle {path} is larger than {MAX_ARTIFACT_BYTES} bytes")]
    LineTooLarge { path: Place, line: usize },
    #[error("line {line} of attestation bundle {path}: {source}")]
    BundleLine {
        path: Place,
        line: usize,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error(
        "has a package URL but no TACOS reference (not enriched, or its reference was removed); pass --allow-missing to accept that"
    )]
    NoReference,
    #[error("no TACOS references in this SBOM (was it enriched?)")]
    NotEnriched,
}

impl Problem {
    /// The artifact (or bundle) is not where the reference points: what a
    /// moved SBOM, or one copied without its attestations folder, shows
    /// for every reference at once.
    pub fn is_missing_artifact(&self) -> bool {
        self.missing_artifact().is_some()
    }

    /// The artifact has no timestamp to check against the trusted root:
    /// what every reference of an SBOM enriched without timestamps shows.
    pub fn is_missing_timestamp(&self) -> bool {
        matches!(self, Problem::Timestamp { source, .. } if matches!(**source, StampError::NoTimestamp { .. }))
    }

    /// Where the artifact (or bundle) was looked for and not found.
    pub fn missing_artifact(&self) -> Option<&Path> {
        match self {
            Problem::Artifact { source, path } | Problem::Bundle { source, path }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Some(&path.path)
            }
            _ => None,
        }
    }
}

/// In `verify --format json` a problem is its message.
impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An enriched SBOM, read once, with where each of its references points:
/// what `verify`, `report` and `package` all start from, so that each step
/// sees the same document (standard input can be read only once, and a
/// file read again may have changed in between).
pub struct Enriched {
    path: PathBuf,
    sbom: Sbom,
    opts: Options,
    components: Vec<Component>,
    /// Each component reference, and where it points.
    references: Vec<(ComponentId, FoundReference, Result<Located, Problem>)>,
    /// The application report references (on the document), and where
    /// they point.
    reports: Vec<(FoundReference, Result<Located, Problem>)>,
    /// The remote files the references point at, fetched when the SBOM was
    /// read, and kept (in a private directory) as long as this value.
    remote: Remote,
}

impl Enriched {
    /// Read the SBOM at `path` (a file, or `-` for standard input) and
    /// locate its references, by the rules and in the directory of `opts`.
    pub fn read(path: &Path, opts: &Options) -> Result<Enriched, SbomError> {
        let sbom = crate::sbom::read_sbom(path)?;
        Ok(Enriched::new(path, sbom, opts))
    }

    /// An SBOM already read from `path`, its references located.
    pub fn new(path: &Path, sbom: Sbom, opts: &Options) -> Enriched {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let sbom_dir = fsutil::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let opts = Options {
            attestations_dir: opts
                .attestations_dir
                .as_ref()
                .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone())),
            ..opts.clone()
        };
        let attestations_dir = opts.attestations_dir.as_deref();
        let at = |url: &str| target(url, &sbom_dir, attestations_dir, opts.offline);
        let references: Vec<_> = sbom
            .found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE)
            .into_iter()
            .map(|(id, r)| {
                let t = at(&r.url);
                (id, r, t)
            })
            .collect();
        let reports: Vec<_> = sbom
            .found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE)
            .into_iter()
            .map(|r| {
                let t = at(&r.url);
                (r, t)
            })
            .collect();
        let components = sbom.components();
        // Every remote file is here before anything is checked, each under
        // the largest bound any of its references allows (each reference is
        // bounded again when it is read).
        let mut wanted = Wanted::default();
        for (_, _, t) in &references {
            wanted.add(t, MAX_ARTIFACT_BYTES);
        }
        for (_, t) in &reports {
            wanted.add(t, max_report_bytes(components.len()));
        }
        let mut remote = Remote::default();
        // Keyless artifacts need no key: none is fetched beside them.
        remote.fetch(&wanted.0, opts.key.is_none() && opts.keyless.is_none());
        let references = references
            .into_iter()
            .map(|(id, r, t)| {
                let t = remote.located(t);
                (id, r, t)
            })
            .collect();
        let reports = reports
            .into_iter()
            .map(|(r, t)| {
                let t = remote.located(t);
                (r, t)
            })
            .collect();
        Enriched {
            path: path.to_path_buf(),
            components,
            sbom,
            opts,
            references,
            reports,
            remote,
        }
    }

    /// Each fetched file's local copy, and the URL it came from (without
    /// credentials): what a link to it should name.
    pub fn fetched(&self) -> BTreeMap<PathBuf, String> {
        self.remote
            .downloads
            .origins()
            .iter()
            .map(|(p, u)| (p.clone(), u.clone()))
            .collect()
    }

    /// The path the SBOM was read from, as given (`-` for standard input).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sbom(&self) -> &Sbom {
        &self.sbom
    }

    /// Whether timestamps are checked against a trusted root's authorities.
    pub fn timestamps_checked(&self) -> bool {
        self.opts.timestamp_authorities.is_some()
    }

    /// What keyless artifacts are checked against, when they are.
    pub fn keyless(&self) -> Option<&Keyless> {
        self.opts.keyless.as_ref()
    }

    /// The trusted key the references are checked with, when one was given.
    pub fn key(&self) -> Option<&PublicKey> {
        self.opts.key.as_ref()
    }

    /// The SBOM's bytes, as they were read.
    pub fn bytes(&self) -> Vec<u8> {
        self.sbom.bytes()
    }

    /// Check every reference under the options the SBOM was read with.
    pub fn verify(&self) -> Outcome {
        self.check(self.opts.allow_missing)
    }

    /// Check every reference; a component with a package URL and no
    /// reference is a failure unless `allow_missing`.
    pub fn check(&self, allow_missing: bool) -> Outcome {
        let mut outcome = Outcome {
            references: self.references.len(),
            component_references: self.references.len(),
            ..Outcome::default()
        };
        let mut keys = KeysBeside::default();
        let bundles = Bundles::index(self.references.iter().map(|(_, _, t)| t));
        let mut referenced = vec![false; self.components.len()];
        for (id, reference, target) in &self.references {
            let component = &self.components[id.0];
            referenced[id.0] = true;
            let expected = expected_purl(component.purl.as_deref(), component.version.as_deref());
            let result = self.check_one(
                reference,
                expected.as_deref().map_err(Clone::clone),
                target,
                &bundles,
                &mut keys,
            );
            match result {
                Ok((stamps, located)) => {
                    outcome.verified += 1;
                    outcome.count(stamps, &component.label, expected.ok(), located);
                }
                Err(what) => outcome.failures.push(Failure {
                    component: component.label.clone(),
                    purl: expected.ok(),
                    what,
                }),
            }
        }
        let unreferenced: Vec<(&Component, String)> = self
            .components
            .iter()
            .zip(&referenced)
            .filter(|(c, has_ref)| !**has_ref && c.role == Role::Dependency)
            .filter_map(|(c, _)| {
                expected_purl(c.purl.as_deref(), c.version.as_deref())
                    .ok()
                    .map(|p| (c, p))
            })
            .collect();
        outcome.without_reference = unreferenced.len();
        // An SBOM with no reference at all gets one failure below, not one per
        // component.
        let enriched = !self.references.is_empty() || !self.reports.is_empty();
        if enriched && !allow_missing {
            for (c, purl) in unreferenced {
                outcome.failures.push(Failure {
                    component: c.label.clone(),
                    purl: Some(purl),
                    what: Problem::NoReference,
                });
            }
        }
        for (r, target) in &self.reports {
            outcome.references += 1;
            match self.check_report(r, target, &mut keys) {
                Ok((_, stamps, located)) => {
                    outcome.verified += 1;
                    outcome.count(stamps, "application report", None, located);
                }
                Err(what) => outcome.failures.push(Failure {
                    component: "application report".into(),
                    purl: None,
                    what,
                }),
            }
        }
        if !enriched && outcome.without_reference == 0 {
            // What enrich writes for such an SBOM (an SPDX document that
            // describes no package, none of whose packages has a PURL): no
            // reference at all. Its output must verify.
            outcome.nothing_attested = true;
        } else if !enriched {
            outcome.failures.push(Failure {
                component: self.path.display().to_string(),
                purl: None,
                what: Problem::NotEnriched,
            });
        }
        outcome.keys_used_from_artifacts = keys.used();
        outcome.given_key_shipped = self.given_key_shipped();
        outcome
    }

    /// The given key file, when it is the public key written beside the
    /// artifacts the SBOM references (or at the top of a bundle, one folder
    /// up): the same file, not merely the same bytes, since the signer's own
    /// public key has the same bytes as its copy.
    fn given_key_shipped(&self) -> Option<PathBuf> {
        let given = self.opts.key_file.as_deref()?;
        let given = fs::canonicalize(given).ok()?;
        let dirs = self
            .references
            .iter()
            .map(|(_, _, t)| t)
            .chain(self.reports.iter().map(|(_, t)| t))
            .filter_map(|t| t.as_ref().ok()?.path.parent().map(Path::to_path_buf));
        let mut seen = HashSet::new();
        for dir in dirs {
            if !seen.insert(dir.clone()) {
                continue;
            }
            let up = dir.parent().map(Path::to_path_buf);
            for d in std::iter::once(dir).chain(up) {
                for name in [PUBLIC_KEY_FILE, LEGACY_PUBLIC_KEY_FILE] {
                    if fs::canonicalize(d.join(name)).is_ok_and(|c| c == given) {
                        return Some(d.join(name));
                    }
                }
            }
        }
        None
    }

    /// The application report the SBOM references, checked (digest and
    /// signature). `None` when it references none.
    pub fn report(&self) -> Option<Result<Report, Problem>> {
        let (r, target) = self.reports.first()?;
        Some(
            self.check_report(r, target, &mut KeysBeside::default())
                .map(|(report, _, _)| report),
        )
    }

    /// The statements of every component reference, checked (each package
    /// once), and what did not check out: for SBOMs without an application
    /// report reference.
    pub fn statements(&self) -> (Vec<Statement>, Vec<Failure>) {
        let mut keys = KeysBeside::default();
        let mut statements: Vec<Statement> = Vec::new();
        let mut failures = Vec::new();
        let bundles = Bundles::index(self.references.iter().map(|(_, _, t)| t));
        for (id, r, target) in &self.references {
            let c = &self.components[id.0];
            let got = match &self.opts.keyless {
                Some(k) => self
                    .read_recorded(r, target, &bundles, MAX_ARTIFACT_BYTES)
                    .and_then(|(bytes, located)| {
                        keyless_artifact(k, &bytes, located).map(|v| v.statement)
                    }),
                None => self
                    .read_checked(r, target, &bundles, &mut keys, MAX_ARTIFACT_BYTES)
                    .and_then(|(bytes, key, located)| {
                        let v = attest::verify_artifact(&bytes, &key).map_err(|e| {
                            Problem::Signature {
                                located: located.clone(),
                                source: Arc::new(e),
                            }
                        })?;
                        self.timestamps(&v.stamps, located)?;
                        Ok(v.statement)
                    }),
            }
            .and_then(|statement| {
                serde_json::from_value::<Statement>(statement.predicate)
                    .map_err(|e| Problem::NotAStatement(Arc::new(e)))
            });
            match got {
                Ok(s) if !statements.iter().any(|x| x.purl == s.purl) => statements.push(s),
                Ok(_) => {}
                Err(what) => failures.push(Failure {
                    component: c.label.clone(),
                    purl: c.purl.clone(),
                    what,
                }),
            }
        }
        (statements, failures)
    }

    /// Where every artifact the SBOM references is, by the same rules as
    /// `verify` (never outside the SBOM's directory or the attestations
    /// directory): each file once, however many of its lines are referenced.
    pub fn files(&self) -> Result<Vec<PathBuf>, Problem> {
        let targets = self.references.iter().map(|(_, _, t)| t);
        let mut out = Vec::new();
        for t in targets.chain(self.reports.iter().map(|(_, t)| t)) {
            out.push(t.as_ref().map_err(Clone::clone)?.path.clone());
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Where the artifact of each component reference is (a file, or a line
    /// of a bundle), by the component's canonical PURL (references that
    /// cannot be located are left out; `verify` reports them).
    pub fn artifact_paths(&self) -> BTreeMap<String, Located> {
        let mut out = BTreeMap::new();
        for (id, _, target) in &self.references {
            let c = &self.components[id.0];
            if let (Ok(purl), Ok(p)) = (
                expected_purl(c.purl.as_deref(), c.version.as_deref()),
                target,
            ) {
                out.insert(purl, p.clone());
            }
        }
        out
    }

    /// Where the application report the SBOM references is, when it names one.
    pub fn report_path(&self) -> Option<PathBuf> {
        let (_, target) = self.reports.first()?;
        target.as_ref().ok().map(|located| located.path.clone())
    }

    /// Every artifact the SBOM references (components' and the application
    /// report's), each once, read and held to the digest the SBOM records;
    /// their signatures are not checked here. What `attach` publishes.
    pub fn artifacts(&self) -> Vec<Referenced> {
        let bundles = Bundles::index(self.references.iter().map(|(_, _, t)| t));
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let components = self.references.iter().map(|(id, r, t)| {
            let c = &self.components[id.0];
            let purl = expected_purl(c.purl.as_deref(), c.version.as_deref()).ok();
            (c.label.clone(), purl, r, t, MAX_ARTIFACT_BYTES)
        });
        let reports = self.reports.iter().map(|(r, t)| {
            let max = max_report_bytes(self.components.len());
            ("application report".to_string(), None, r, t, max)
        });
        for (component, purl, reference, target, max) in components.chain(reports) {
            let key = (reference.sha256.clone(), reference.url.clone());
            if reference.sha256.is_some() && !seen.insert(key) {
                continue;
            }
            let bytes = self
                .read_recorded(reference, target, &bundles, max)
                .map(|(b, _)| b);
            out.push(Referenced {
                component,
                purl,
                bytes,
            });
        }
        out
    }

    /// Read the artifact a reference names (located by [`target`]: a file,
    /// or a line of an indexed bundle), check its digest, and pick the key
    /// to check its signature with.
    fn read_recorded<'a>(
        &self,
        reference: &FoundReference,
        target: &'a Result<Located, Problem>,
        bundles: &Bundles,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, &'a Located), Problem> {
        let recorded = reference
            .sha256
            .as_deref()
            .and_then(Sha256Hex::parse)
            .ok_or(Problem::NoDigest)?;
        // The digest is written twice (hashes and comment); both must agree,
        // or a reader trusting either one could be shown a different artifact.
        if let Some(in_comment) = reference
            .comment_sha256
            .as_deref()
            .and_then(Sha256Hex::parse)
            && in_comment != recorded
        {
            return Err(Problem::DigestsDisagree {
                hashes: recorded,
                comment: in_comment,
            });
        }
        let located = target.as_ref().map_err(Clone::clone)?;
        // Fetched or not, the bytes are hashed before anything reads them.
        let bytes = match located.line {
            Some(n) => bundles.line(&located.place(), n)?,
            None => read_limited(&located.place(), max_bytes)?,
        };
        let actual = Sha256Hex::of(&bytes);
        if actual != recorded {
            return Err(Problem::DigestMismatch {
                located: Box::new(located.clone()),
                recorded,
                actual,
            });
        }
        Ok((bytes, located))
    }

    /// [`Enriched::read_recorded`], and the key to check the artifact's
    /// signature with: the given one, else the one beside it.
    fn read_checked<'a>(
        &self,
        reference: &FoundReference,
        target: &'a Result<Located, Problem>,
        bundles: &Bundles,
        keys: &mut KeysBeside,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, PublicKey, &'a Located), Problem> {
        let (bytes, located) = self.read_recorded(reference, target, bundles, max_bytes)?;
        let key = match &self.opts.key {
            Some(k) => k.clone(),
            None => keys
                .beside(
                    located.path.parent().unwrap_or(Path::new(".")),
                    &self.remote.keys,
                )
                .map_err(|missing| {
                    // A keyless bundle has no key beside it to miss: say
                    // what it is instead, and how it is verified.
                    match crate::attest::sigstore::keyless_material(&bytes) {
                        Some(what) => Problem::Signature {
                            located: located.clone(),
                            source: Arc::new(VerifyError::Sigstore(
                                crate::attest::sigstore::BundleError::NotPublicKey(what),
                            )),
                        },
                        None => missing,
                    }
                })?,
        };
        Ok((bytes, key, located))
    }

    /// The timestamps of an artifact whose signature verified: each
    /// checked against the trusted root's authorities when one was given
    /// (and then at least one needed), else counted.
    fn timestamps(&self, stamps: &Stamps, located: &Located) -> Result<Timestamps, Problem> {
        let Some(authorities) = &self.opts.timestamp_authorities else {
            return Ok(Timestamps::Unchecked(stamps.tokens.len()));
        };
        stamps
            .verify(authorities)
            .map(Timestamps::Verified)
            .map_err(|e| Problem::Timestamp {
                located: located.clone(),
                source: Arc::new(e),
            })
    }

    fn check_one<'a>(
        &self,
        reference: &FoundReference,
        expected: Result<&str, Problem>,
        target: &'a Result<Located, Problem>,
        bundles: &Bundles,
        keys: &mut KeysBeside,
    ) -> Result<(Timestamps, &'a Located), Problem> {
        let expected = expected?;
        if let Some(k) = &self.opts.keyless {
            let (bytes, located) =
                self.read_recorded(reference, target, bundles, MAX_ARTIFACT_BYTES)?;
            let verified = keyless_artifact(k, &bytes, located)?;
            names_package(&verified.statement, expected)?;
            return Ok((Timestamps::Keyless(Box::new(verified.signer)), located));
        }
        let (bytes, key, located) =
            self.read_checked(reference, target, bundles, keys, MAX_ARTIFACT_BYTES)?;
        let verified = attest::verify_artifact(&bytes, &key).map_err(|e| Problem::Signature {
            located: located.clone(),
            source: Arc::new(e),
        })?;
        names_package(&verified.statement, expected)?;
        Ok((self.timestamps(&verified.stamps, located)?, located))
    }

    /// Check an application report reference; return the report, what
    /// its timestamps came to, and where it is.
    fn check_report<'a>(
        &self,
        reference: &FoundReference,
        target: &'a Result<Located, Problem>,
        keys: &mut KeysBeside,
    ) -> Result<(Report, Timestamps, &'a Located), Problem> {
        // enrich writes the report as a file of its own, in every layout.
        if let Ok(Located { line: Some(_), .. }) = target {
            return Err(Problem::ReportInBundle {
                url: redact_text(&reference.url),
            });
        }
        if let Some(k) = &self.opts.keyless {
            let (bytes, located) = self.read_recorded(
                reference,
                target,
                &Bundles::default(),
                max_report_bytes(self.components.len()),
            )?;
            let keyless_error = |e| Problem::Keyless {
                located: located.clone(),
                source: Arc::new(e),
            };
            let (verified, signer) = keyless::verify_report_artifact(bytes, &k.root, &k.identity)
                .map_err(keyless_error)?;
            let report = verified.predicate().map_err(|e| Problem::NotAReport {
                located: located.clone(),
                source: Arc::new(e),
            })?;
            return Ok((report, Timestamps::Keyless(Box::new(signer)), located));
        }
        let (bytes, key, located) = self.read_checked(
            reference,
            target,
            &Bundles::default(),
            keys,
            max_report_bytes(self.components.len()),
        )?;
        let verified =
            attest::verify_report_artifact(bytes, &key).map_err(|e| Problem::Signature {
                located: located.clone(),
                source: Arc::new(e),
            })?;
        let stamps = self.timestamps(&verified.stamps, located)?;
        let report = verified.predicate().map_err(|e| Problem::NotAReport {
            located: located.clone(),
            source: Arc::new(e),
        })?;
        Ok((report, stamps, located))
    }
}

/// A keyless artifact verified against `k`, its failure named by where it is.
fn keyless_artifact(
    k: &Keyless,
    bytes: &[u8],
    located: &Located,
) -> Result<keyless::KeylessArtifact, Problem> {
    keyless::verify_artifact(bytes, &k.root, &k.identity).map_err(|e| Problem::Keyless {
        located: located.clone(),
        source: Arc::new(e),
    })
}

/// The statement is about the package `expected` names: its subject, and
/// the TACOS statement's PURL.
fn names_package(
    statement: &attest::Statement<serde_json::Value>,
    expected: &str,
) -> Result<(), Problem> {
    let subjects: Vec<&str> = statement.subject.iter().map(|s| s.name.as_str()).collect();
    if !subjects.contains(&expected) {
        return Err(Problem::WrongSubject {
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            expected: expected.to_string(),
        });
    }
    if statement.predicate.get("PURL").and_then(|p| p.as_str()) != Some(expected) {
        return Err(Problem::WrongStatementPurl {
            expected: expected.to_string(),
        });
    }
    Ok(())
}

/// Verify the SBOM at `path`: [`Enriched::read`], then [`Enriched::verify`].
pub fn verify(path: &Path, opts: &Options) -> Result<Outcome, SbomError> {
    Ok(Enriched::read(path, opts)?.verify())
}

/// [`Enriched::files`] of the SBOM at `path`, read for this alone.
pub fn referenced_files(
    path: &Path,
    opts: &Options,
) -> Result<Result<Vec<PathBuf>, Problem>, SbomError> {
    Ok(Enriched::read(path, opts)?.files())
}

/// The canonical PURL `enrich` would have used for a component.
fn expected_purl(raw: Option<&str>, version: Option<&str>) -> Result<String, Problem> {
    let raw = raw.ok_or(Problem::NoPackageUrl)?;
    let purl = Purl::parse(raw).map_err(|source| Problem::InvalidPackageUrl {
        raw: raw.to_string(),
        source,
    })?;
    let purl = match (purl.version(), version) {
        (None, Some(v)) if !v.is_empty() => purl.with_version(v).map_err(Problem::Version)?,
        _ => purl,
    };
    Ok(purl.to_string())
}

/// The public keys found beside artifacts (when no key is given), each read
/// once a run, and remembered for saying which were used.
#[derive(Default)]
struct KeysBeside(HashMap<PathBuf, (Place, Result<PublicKey, Problem>)>);

impl KeysBeside {
    /// The key beside the artifacts in `dir`: fetched with them when they
    /// were (`fetched`, by the directory of their copies), else on disk.
    fn beside(
        &mut self,
        dir: &Path,
        fetched: &HashMap<PathBuf, Result<Place, Arc<RemoteError>>>,
    ) -> Result<PublicKey, Problem> {
        let place = match fetched.get(dir) {
            Some(Ok(place)) => place.clone(),
            Some(Err(e)) => return Err(Problem::NoKeyFetched { source: e.clone() }),
            None => Place::local(key_beside(dir)),
        };
        self.0
            .entry(place.path.clone())
            .or_insert_with(|| {
                // Beside the artifacts, so it came with them: a regular
                // file or nothing (a pipe there would hang).
                let key = fsutil::read_regular(&place.path, MAX_KEY_BYTES)
                    .map_err(|e| Problem::NoKeyBeside {
                        path: place.clone(),
                        source: Arc::new(e),
                    })
                    .and_then(|bytes| {
                        String::from_utf8(bytes).map_err(|_| Problem::KeyBesideNotText {
                            path: place.clone(),
                        })
                    })
                    .and_then(|text| {
                        PublicKey::from_pem(&text).map_err(|e| Problem::KeyBeside {
                            path: place.clone(),
                            source: Arc::new(e),
                        })
                    });
                (place, key)
            })
            .1
            .clone()
    }

    /// The keys that were read and used, in order.
    fn used(self) -> Vec<Place> {
        let mut used: Vec<Place> = self
            .0
            .into_values()
            .filter(|(_, k)| k.is_ok())
            .map(|(p, _)| p)
            .collect();
        used.sort();
        used
    }
}

/// The public key written beside artifacts in `dir`: `tacos-sbom.pub`, or
/// the name earlier versions wrote (`tacos-sbom.pub.pem`) when only that
/// one is there.
pub fn key_beside(dir: &Path) -> PathBuf {
    let current = dir.join(PUBLIC_KEY_FILE);
    let legacy = dir.join(LEGACY_PUBLIC_KEY_FILE);
    if !current.exists() && legacy.exists() {
        legacy
    } else {
        current
    }
}

/// Where a reference points, before anything is fetched.
#[derive(Debug)]
enum Target {
    Here(Located),
    /// A file to fetch (the URL without its fragment) and the line of it.
    There {
        url: Url,
        line: Option<usize>,
    },
}

/// Where a reference URL points: the file (by [`locate`]), or, for an
/// absolute URL when no attestations directory is given, the `https` URL
/// to fetch it from (`offline`: none); and, when the URL has a fragment,
/// the line of the attestation bundle it names. A fragment that is not `L`
/// and a line number is refused, never ignored.
fn target(
    url: &str,
    sbom_dir: &Path,
    attestations_dir: Option<&Path>,
    offline: bool,
) -> Result<Target, Problem> {
    // '#' is percent-encoded in file names enrich writes, so the first one
    // starts the fragment, in relative and absolute URLs alike.
    let line = url
        .split_once('#')
        .map(|(_, fragment)| bundle_line(fragment))
        .transpose()?;
    if attestations_dir.is_none()
        && let Ok(mut absolute) = Url::parse(url)
    {
        if offline {
            return Err(Problem::Remote {
                url: redact_text(url),
            });
        }
        if absolute.scheme() != "https" {
            return Err(Problem::NotHttps {
                url: redact_text(url),
            });
        }
        // The same file name a local copy would need.
        file_name_of(&absolute, url)?;
        absolute.set_fragment(None);
        return Ok(Target::There {
            url: absolute,
            line,
        });
    }
    let path = locate(url, sbom_dir, attestations_dir)?;
    Ok(Target::Here(Located {
        path,
        line,
        url: None,
    }))
}

/// The remote files an SBOM's references point at, each once, in the
/// order first referenced, with the largest bound any reference allows.
#[derive(Default)]
struct Wanted(Vec<(Url, u64)>, HashMap<String, usize>);

impl Wanted {
    /// `whole`: the bound of the file as a reference of this kind reads it
    /// whole; a line of a bundle may be in a file up to [`MAX_BUNDLE_BYTES`].
    fn add(&mut self, target: &Result<Target, Problem>, whole: u64) {
        let Ok(Target::There { url, line }) = target else {
            return;
        };
        let max = if line.is_some() {
            MAX_BUNDLE_BYTES
        } else {
            whole
        };
        match self.1.get(url.as_str()) {
            Some(&i) => self.0[i].1 = self.0[i].1.max(max),
            None => {
                self.1.insert(url.as_str().to_string(), self.0.len());
                self.0.push((url.clone(), max));
            }
        }
    }
}

/// The remote files of one SBOM's references: fetched all at once, before
/// any is read, each once; without a trusted key, the public key beside
/// them too (which, as beside local artifacts, proves they are intact, not
/// who signed them).
#[derive(Default)]
struct Remote {
    downloads: Downloads,
    /// Each file's URL (without fragment), and where its copy is.
    files: HashMap<String, Result<PathBuf, Arc<RemoteError>>>,
    /// The key beside fetched artifacts, by the directory of their copies.
    keys: HashMap<PathBuf, Result<Place, Arc<RemoteError>>>,
}

impl Remote {
    fn fetch(&mut self, wanted: &[(Url, u64)], keys: bool) {
        for (url, max) in wanted {
            let got = self.downloads.fetch(url, *max).map_err(Arc::new);
            if keys
                && let Ok(copy) = &got
                && let Some(dir) = copy.parent()
                && !self.keys.contains_key(dir)
            {
                let key = self.key_beside(url).map_err(Arc::new);
                self.keys.insert(dir.to_path_buf(), key);
            }
            self.files.insert(url.as_str().to_string(), got);
        }
    }

    /// The public key published beside the artifact at `url`: its current
    /// name, or the one earlier versions wrote when only that one is there.
    fn key_beside(&mut self, url: &Url) -> Result<Place, RemoteError> {
        let mut fetch = |name: &str| {
            let key_url = url.join(name).map_err(|e| RemoteError::Setup {
                url: redact(url),
                why: e.to_string(),
            })?;
            let path = self.downloads.fetch(&key_url, MAX_KEY_BYTES)?;
            Ok::<_, RemoteError>(Place {
                path,
                url: Some(redact(&key_url)),
            })
        };
        match fetch(PUBLIC_KEY_FILE) {
            Err(e) if e.is_not_found() => fetch(LEGACY_PUBLIC_KEY_FILE).map_err(|_| e),
            found => found,
        }
    }

    /// Where a reference points on disk: a fetched file's copy.
    fn located(&self, target: Result<Target, Problem>) -> Result<Located, Problem> {
        match target? {
            Target::Here(located) => Ok(located),
            Target::There { url, line } => {
                let path = match self.files.get(url.as_str()) {
                    Some(got) => got.clone().map_err(Problem::Fetch)?,
                    None => {
                        return Err(Problem::Fetch(Arc::new(RemoteError::Setup {
                            url: redact(&url),
                            why: "it was not fetched".into(),
                        })));
                    }
                };
                Ok(Located {
                    path,
                    line,
                    url: Some(redact(&url)),
                })
            }
        }
    }
}

/// The line a `#L<n>` fragment names: `L` and a positive decimal number,
/// without sign or leading zeros, as enrich writes it.
fn bundle_line(fragment: &str) -> Result<usize, Problem> {
    let digits = fragment.strip_prefix('L').unwrap_or("");
    let plain = !digits.is_empty()
        && digits.len() <= 19
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    match digits.parse::<usize>() {
        Ok(n) if plain => Ok(n),
        _ => {
            let shown: String = fragment.chars().take(40).collect();
            Err(Problem::NotALine {
                cut: shown.len() < fragment.len(),
                shown,
            })
        }
    }
}

/// The attestation bundles a run's references point into, each read once,
/// in one pass, remembering where the referenced lines are (not their
/// bytes: a bundle may be gigabytes). A line is read again, from the same
/// open file, only when its reference is checked, and hashed then, so a
/// bundle that changes in between fails the digest check.
#[derive(Default)]
struct Bundles(HashMap<PathBuf, Result<BundleIndex, Problem>>);

struct BundleIndex {
    file: fs::File,
    /// How many lines the bundle has.
    lines: usize,
    /// Offset and length (without the line end) of each referenced line.
    wanted: HashMap<usize, (u64, u64)>,
}

impl Bundles {
    /// Index every bundle that `targets` point into.
    fn index<'a>(targets: impl IntoIterator<Item = &'a Result<Located, Problem>>) -> Bundles {
        let mut wanted: HashMap<&Path, (Place, HashSet<usize>)> = HashMap::new();
        for t in targets.into_iter().flatten() {
            if let Some(n) = t.line {
                wanted
                    .entry(&t.path)
                    .or_insert_with(|| (t.place(), HashSet::new()))
                    .1
                    .insert(n);
            }
        }
        Bundles(
            wanted
                .into_iter()
                .map(|(path, (place, lines))| {
                    (path.to_path_buf(), BundleIndex::read(&place, &lines))
                })
                .collect(),
        )
    }

    /// The bytes of line `n` (from 1) of the bundle at `place`, without its
    /// line end.
    fn line(&self, place: &Place, n: usize) -> Result<Vec<u8>, Problem> {
        let index = self
            .0
            .get(&place.path)
            .ok_or_else(|| Problem::BundleNotRead {
                path: place.clone(),
            })?
            .as_ref()
            .map_err(Clone::clone)?;
        let Some(&(offset, len)) = index.wanted.get(&n) else {
            return Err(Problem::PastTheEnd {
                path: place.clone(),
                line: n,
                lines: index.lines,
            });
        };
        if len > MAX_ARTIFACT_BYTES {
            return Err(Problem::LineTooLarge {
                path: place.clone(),
                line: n,
            });
        }
        let mut bytes = vec![0; len as usize];
        let mut file = &index.file;
        file.seek(std::io::SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| Problem::BundleLine {
                path: place.clone(),
                line: n,
                source: Arc::new(e),
            })?;
        Ok(bytes)
    }
}

impl BundleIndex {
    /// One pass over the bundle at `path`, a buffer at a time: count its
    /// lines and note where each of `wanted` is. Refused over
    /// [`MAX_BUNDLE_BYTES`], before and while reading.
    fn read(place: &Place, wanted: &HashSet<usize>) -> Result<BundleIndex, Problem> {
        let io = |e: std::io::Error| Problem::Bundle {
            path: place.clone(),
            source: Arc::new(e),
        };
        // Evidence from others: a pipe standing for a bundle is refused,
        // never waited on.
        let file = fsutil::open_regular(&place.path).map_err(io)?;
        let too_large = || Problem::BundleTooLarge {
            path: place.clone(),
        };
        if file.metadata().map_err(io)?.len() > MAX_BUNDLE_BYTES {
            return Err(too_large());
        }
        let mut found = HashMap::with_capacity(wanted.len());
        let (mut offset, mut line_start, mut line) = (0u64, 0u64, 1usize);
        {
            let mut reader =
                std::io::BufReader::with_capacity(1 << 20, (&file).take(MAX_BUNDLE_BYTES + 1));
            loop {
                let buf = reader.fill_buf().map_err(io)?;
                if buf.is_empty() {
                    break;
                }
                let mut from = 0;
                while let Some(k) = buf[from..].iter().position(|&b| b == b'\n') {
                    let end = offset + (from + k) as u64;
                    if wanted.contains(&line) {
                        found.insert(line, (line_start, end - line_start));
                    }
                    line += 1;
                    line_start = end + 1;
                    from += k + 1;
                }
                let n = buf.len();
                offset += n as u64;
                reader.consume(n);
            }
        }
        // It may have grown since its size was asked.
        if offset > MAX_BUNDLE_BYTES {
            return Err(too_large());
        }
        // A last line without a line end is a line too.
        let lines = if line_start < offset {
            if wanted.contains(&line) {
                found.insert(line, (line_start, offset - line_start));
            }
            line
        } else {
            line - 1
        };
        Ok(BundleIndex {
            file,
            lines,
            wanted: found,
        })
    }
}

/// Where the artifact a reference names lives on disk. Relative references
/// resolve against the SBOM's directory and may not leave it (or the given
/// attestations directory); absolute URLs are looked up by file name in the
/// attestations directory (without one, [`target`] fetches them). A
/// fragment (`#L<n>`) is not part of the path.
fn locate(url: &str, sbom_dir: &Path, attestations_dir: Option<&Path>) -> Result<PathBuf, Problem> {
    if let Ok(absolute) = Url::parse(url) {
        let name = file_name_of(&absolute, url)?;
        return match attestations_dir {
            Some(dir) => Ok(dir.join(name)),
            None => Err(Problem::Remote {
                url: redact_text(url),
            }),
        };
    }
    let mut path = sbom_dir.to_path_buf();
    let file = url.split_once('#').map_or(url, |(file, _)| file);
    for segment in file.split('/') {
        let segment = crate::percent::decode(segment);
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                path.pop();
            }
            s if s.contains(['\\', '\0']) => {
                return Err(Problem::NotAPlainPath {
                    url: redact_text(url),
                });
            }
            s => path.push(s),
        }
    }
    let inside = |root: &Path| fsutil::is_within(&path, root);
    if (inside(sbom_dir) || attestations_dir.is_some_and(inside))
        && (path.exists() || attestations_dir.is_none())
    {
        return Ok(path);
    }
    // A bundle moved elsewhere: look for the file by name.
    if let Some(dir) = attestations_dir
        && let Some(name) = path.file_name()
    {
        return Ok(dir.join(name));
    }
    Err(Problem::Outside {
        url: redact_text(url),
    })
}

/// The file an absolute reference URL names: its last path segment,
/// decoded, a plain file name (`url` is the reference as written).
fn file_name_of(absolute: &Url, url: &str) -> Result<String, Problem> {
    absolute
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(crate::percent::decode)
        .filter(|n| is_plain_file_name(n))
        .ok_or_else(|| Problem::NoArtifactName {
            url: redact_text(url),
        })
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// An artifact's bytes: a regular file (a pipe or a device standing for
/// one is refused, never waited on) of at most `max` bytes.
fn read_limited(place: &Place, max: u64) -> Result<Vec<u8>, Problem> {
    let io = |e| Problem::Artifact {
        path: place.clone(),
        source: Arc::new(e),
    };
    let file = fsutil::open_regular(&place.path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(Problem::ArtifactTooLarge {
            path: place.clone(),
            max,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_references_stay_inside_the_sbom_directory() {
        let dir = Path::new("/work/out");
        assert_eq!(
            locate("tacos-attestations/a%40b.json", dir, None).unwrap(),
            Path::new("/work/out/tacos-attestations/a@b.json")
        );
        assert!(locate("../../etc/passwd", dir, None).is_err());
        assert!(locate("%2e%2e/%2e%2e/etc/passwd", dir, None).is_err());
        // Absolute without a directory: not on disk (`target` fetches it).
        assert!(locate("https://example.invalid/a/x.json", dir, None).is_err());
        assert_eq!(
            locate(
                "https://example.invalid/a/x.json",
                dir,
                Some(Path::new("/att"))
            )
            .unwrap(),
            Path::new("/att/x.json")
        );
        assert!(locate("https://example.invalid/a/..", dir, Some(Path::new("/att"))).is_err());
    }

    /// A reference resolved to a place on disk, as without fetching.
    fn target(
        url: &str,
        sbom_dir: &Path,
        attestations_dir: Option<&Path>,
    ) -> Result<Located, Problem> {
        match super::target(url, sbom_dir, attestations_dir, false)? {
            Target::Here(located) => Ok(located),
            there => panic!("{url}: {there:?}"),
        }
    }

    #[test]
    fn https_references_are_fetched_unless_a_directory_is_given_or_offline() {
        let dir = Path::new("/work/out");
        let at = |url: &str, offline| super::target(url, dir, None, offline);
        match at("https://u:pw@h.invalid/a/b.jsonl#L7", false).unwrap() {
            Target::There { url, line } => {
                assert_eq!(url.as_str(), "https://u:pw@h.invalid/a/b.jsonl");
                assert_eq!(line, Some(7));
            }
            t => panic!("{t:?}"),
        }
        // Offline, or not https: refused, asking for a directory, and
        // never showing credentials.
        for (url, offline, says) in [
            (
                "https://u:pw@h.invalid/a/x.json",
                true,
                "--offline fetches nothing",
            ),
            (
                "http://u:pw@h.invalid/a/x.json",
                false,
                "only https references",
            ),
            ("file:///srv/a/x.json", false, "only https references"),
        ] {
            let e = at(url, offline).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("--attestations-dir"), "{e}");
            assert!(!e.contains("pw"), "{e}");
        }
        // The fragment and the file name are checked before anything is asked.
        assert!(matches!(
            at("https://h.invalid/a/x.jsonl#L0", false),
            Err(Problem::NotALine { .. })
        ));
        assert!(matches!(
            at("https://h.invalid/a/", false),
            Err(Problem::NoArtifactName { .. })
        ));
        // A directory given is looked in by name, as before.
        assert!(matches!(
            super::target(
                "https://h.invalid/a/x.json",
                dir,
                Some(Path::new("/att")),
                true
            ),
            Ok(Target::Here(_))
        ));
    }

    #[test]
    fn a_fetched_file_is_shown_as_its_url() {
        let located = Located {
            path: PathBuf::from("/tmp/tacos-sbom-fetched.x/0/b.jsonl"),
            line: Some(3),
            url: Some("https://h.invalid/a/b.jsonl".into()),
        };
        assert_eq!(located.to_string(), "line 3 of https://h.invalid/a/b.jsonl");
        let e = Problem::PastTheEnd {
            path: located.place(),
            line: 3,
            lines: 2,
        };
        assert_eq!(
            e.to_string(),
            "line 3 is past the end of attestation bundle https://h.invalid/a/b.jsonl, which has 2 lines"
        );
    }

    #[test]
    fn a_fragment_names_a_line_of_a_bundle_or_is_refused() {
        let dir = Path::new("/work/out");
        let t = target("att/b.intoto.jsonl#L42", dir, None).unwrap();
        assert_eq!(t.path, Path::new("/work/out/att/b.intoto.jsonl"));
        assert_eq!((t.line, t.fragment()), (Some(42), "#L42".to_string()));
        assert_eq!(t.to_string(), "line 42 of /work/out/att/b.intoto.jsonl");
        let t = target("att/x.tacos.dsse.json", dir, None).unwrap();
        assert_eq!((t.line, t.fragment()), (None, String::new()));
        let t = target(
            "https://h.invalid/a/b.jsonl#L7",
            dir,
            Some(Path::new("/att")),
        )
        .unwrap();
        assert_eq!(
            (t.path.as_path(), t.line),
            (Path::new("/att/b.jsonl"), Some(7))
        );
        assert_eq!(bundle_line("L1").unwrap(), 1);
        assert_eq!(bundle_line("L18446744073").unwrap(), 18446744073);
        for bad in [
            "",
            "L",
            "L0",
            "L01",
            "L-1",
            "L+1",
            "l1",
            "L1-L2",
            "L1 ",
            "L1\n",
            "L\u{ff11}",
            "L99999999999999999999",
            "x",
        ] {
            let e = bundle_line(bad).unwrap_err().to_string();
            assert!(e.contains("does not name a line"), "{bad:?}: {e}");
        }
        let long = format!("L{}", "9".repeat(10_000));
        assert!(
            bundle_line(&long).unwrap_err().to_string().len() < 300,
            "shown bounded"
        );
        // The fragment is checked before the path, and never read as part of it.
        assert!(
            target("../x#L1", dir, None)
                .unwrap_err()
                .to_string()
                .contains("outside")
        );
        assert!(
            target("a#L0", dir, None)
                .unwrap_err()
                .to_string()
                .contains("does not name")
        );
    }

    #[test]
    fn a_bundle_is_indexed_in_one_pass_and_its_lines_read_back() {
        let dir = std::env::temp_dir().join(format!("tacos-bundle-index-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.jsonl");
        // Lines straddling the read buffer, an empty line, no final line end.
        let long = "y".repeat((1 << 20) + 5);
        fs::write(&path, format!("a\n{long}\n\nlast")).unwrap();
        let located = |line| {
            Ok(Located {
                path: path.clone(),
                line: Some(line),
                url: None,
            })
        };
        let bundles = Bundles::index(&[located(1), located(2), located(3), located(4), located(5)]);
        let place = Place::local(path.clone());
        assert_eq!(bundles.line(&place, 1).unwrap(), b"a");
        assert_eq!(bundles.line(&place, 2).unwrap(), long.as_bytes());
        assert_eq!(bundles.line(&place, 3).unwrap(), b"");
        assert_eq!(bundles.line(&place, 4).unwrap(), b"last");
        let e = bundles.line(&place, 5).unwrap_err().to_string();
        assert!(
            e.contains("line 5 is past the end") && e.contains("which has 4 lines"),
            "{e}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// enrich wrote a 75,307,955-byte application report for a 10,000-component
    /// SBOM, and `verify` refused it as larger than any artifact may be.
    #[test]
    fn a_report_may_be_as_large_as_its_sbom_needs_and_no_larger() {
        let path = std::env::temp_dir().join(format!("tacos-report-cap-{}", std::process::id()));
        let file = fs::File::create(&path).unwrap();
        // Sparse: no disk is used for it.
        file.set_len(75_307_955).unwrap();
        let path = Place::local(path);
        assert!(read_limited(&path, MAX_ARTIFACT_BYTES).is_err());
        assert_eq!(
            read_limited(&path, max_report_bytes(10_000)).unwrap().len(),
            75_307_955
        );
        let e = read_limited(&path, max_report_bytes(10))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is larger than"), "{e}");
        // An SBOM that claims millions of components does not lift it
        // further than any SBOM may be large.
        assert_eq!(max_report_bytes(usize::MAX), 1 << 30);
        assert_eq!(max_report_bytes(10_000_000), 1 << 30);
        fs::remove_file(&path.path).unwrap();
    }

    #[test]
    fn identity_flags_need_both_halves_and_default_to_the_public_good_root() {
        let none = Keyless::from_flags(&IdentityFlags::default(), None).unwrap();
        assert!(none.is_none());
        let only_identity = IdentityFlags {
            identity: Some("https://github.com/o/r/.github/workflows/x.yml@refs/heads/main".into()),
            ..Default::default()
        };
        assert!(matches!(
            Keyless::from_flags(&only_identity, None),
            Err(KeylessFlagsError::NoIssuer)
        ));
        let bad = IdentityFlags {
            identity_regexp: Some("(".into()),
            issuer: Some("https://token.actions.githubusercontent.com".into()),
            ..Default::default()
        };
        let e = Keyless::from_flags(&bad, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--certificate-identity-regexp is not a regular expression"),
            "{e}"
        );
        let both = IdentityFlags {
            issuer: Some("https://token.actions.githubusercontent.com".into()),
            ..only_identity
        };
        let k = Keyless::from_flags(&both, None).unwrap().unwrap();
        assert_eq!(k.root_name, crate::attest::trust_root::PUBLIC_GOOD_NAME);
        let missing = Keyless::from_flags(&both, Some(Path::new("no-such-root.json")));
        assert!(matches!(missing, Err(KeylessFlagsError::Root(_))));
        // A root whose retired RSA log is left out says so where it is named.
        let staging = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sigstore/staging-trusted-root.json");
        let k = Keyless::from_flags(&both, Some(&staging)).unwrap().unwrap();
        assert!(
            k.root_name.ends_with(
                "staging-trusted-root.json (its logs with RSA keys are not read: https://ctfe.sigstage.dev/test (PKCS1_RSA_PKCS1V5))"
            ),
            "{}",
            k.root_name
        );
    }
}
