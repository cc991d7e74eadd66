//! `verify`: every TACOS reference in an enriched SBOM resolves to an artifact
//! whose SHA-256 matches, whose signature verifies, and whose subject is that
//! component's canonical PURL.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{BufRead, Read, Seek};
use std::path::{Path, PathBuf};

use url::Url;

use crate::attest::reference::{
    LEGACY_PUBLIC_KEY_FILE, PUBLIC_KEY_FILE, REFERENCE_MARKER, REPORT_MARKER, SPDX_REFERENCE_TYPE,
    SPDX_REPORT_REFERENCE_TYPE,
};
use crate::attest::{self, PublicKey, Sha256Hex};
use crate::fsutil;
use crate::purl::Purl;
use crate::sbom::{FoundReference, SbomError};
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

/// Where a reference points: a file and, in an attestation bundle, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    /// The line (from 1), from the URL's `#L<n>` fragment.
    pub line: Option<usize>,
}

impl Located {
    /// `#L<n>` for a line of a bundle, else empty: what a link to it ends with.
    pub fn fragment(&self) -> String {
        self.line.map(|n| format!("#L{n}")).unwrap_or_default()
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n} of {}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The trusted public key; without it, the key written beside the
    /// artifacts is used (which proves integrity, not origin).
    pub key: Option<PublicKey>,
    /// A directory that may hold the artifacts (and may be outside the SBOM's).
    pub attestations_dir: Option<PathBuf>,
    /// Accept components that have a valid PURL but no TACOS reference
    /// (counted, not failed).
    pub allow_missing: bool,
    /// Accept artifacts checked only with the key found beside them, which
    /// proves they are intact but not who signed them.
    pub allow_unauthenticated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub component: String,
    pub purl: Option<String>,
    pub what: String,
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
    pub keys_used_from_artifacts: Vec<PathBuf>,
    /// No component has a package URL and nothing is referenced: enrich
    /// had nothing to attest (and no place for a report), so there is
    /// nothing to verify. Passes, and says so.
    pub nothing_attested: bool,
}

impl Outcome {
    /// Whether some signature was checked only with a key found beside the
    /// artifacts: whoever could replace the artifacts could replace that key.
    pub fn signer_unproven(&self) -> bool {
        !self.keys_used_from_artifacts.is_empty()
    }

    /// Whether the SBOM verifies under `opts`: no failure, and the signer
    /// proven unless `allow_unauthenticated`.
    pub fn passed(&self, opts: &Options) -> bool {
        self.failures.is_empty() && (opts.allow_unauthenticated || !self.signer_unproven())
    }
}

pub fn verify(path: &Path, opts: &Options) -> Result<Outcome, SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let sbom_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let sbom_dir = fsutil::absolute(sbom_dir).unwrap_or_else(|_| sbom_dir.to_path_buf());
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let components = sbom.components();
    let found = sbom.found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE);
    let mut outcome = Outcome {
        references: found.len(),
        component_references: found.len(),
        ..Outcome::default()
    };
    let mut keys_beside: HashMap<PathBuf, Result<PublicKey, String>> = HashMap::new();
    let targets: Vec<Result<Located, String>> = found
        .iter()
        .map(|(_, r)| target(&r.url, &sbom_dir, attestations_dir.as_deref()))
        .collect();
    let bundles = Bundles::index(&targets);

    let mut referenced = vec![false; components.len()];
    for ((id, reference), target) in found.iter().zip(&targets) {
        let component = &components[id.0];
        referenced[id.0] = true;
        let expected = expected_purl(component.purl.as_deref(), component.version.as_deref());
        let fail = |what: String| Failure {
            component: component.label.clone(),
            purl: expected.as_ref().ok().cloned(),
            what,
        };
        let result = check_one(
            reference,
            expected.as_deref().map_err(Clone::clone),
            target,
            &bundles,
            opts.key.as_ref(),
            &mut keys_beside,
        );
        match result {
            Ok(()) => outcome.verified += 1,
            Err(what) => outcome.failures.push(fail(what)),
        }
    }
    let document_references =
        sbom.found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE);
    let unreferenced: Vec<(&crate::sbom::Component, String)> = components
        .iter()
        .zip(&referenced)
        .filter(|(c, has_ref)| !**has_ref && c.role == crate::sbom::Role::Dependency)
        .filter_map(|(c, _)| {
            expected_purl(c.purl.as_deref(), c.version.as_deref())
                .ok()
                .map(|p| (c, p))
        })
        .collect();
    outcome.without_reference = unreferenced.len();
    // An SBOM with no reference at all gets one failure below, not one per
    // component.
    let enriched = !found.is_empty() || !document_references.is_empty();
    if enriched && !opts.allow_missing {
        for (c, purl) in unreferenced {
            outcome.failures.push(Failure {
                component: c.label.clone(),
                purl: Some(purl),
                what: "has a package URL but no TACOS reference (not enriched, or its reference was removed); pass --allow-missing to accept that".into(),
            });
        }
    }
    for r in document_references {
        outcome.references += 1;
        match check_report(
            &r,
            components.len(),
            &sbom_dir,
            attestations_dir.as_deref(),
            opts.key.as_ref(),
            &mut keys_beside,
        ) {
            Ok(_) => outcome.verified += 1,
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
            component: path.display().to_string(),
            purl: None,
            what: "no TACOS references in this SBOM (was it enriched?)".into(),
        });
    }
    outcome.keys_used_from_artifacts = keys_beside
        .into_iter()
        .filter(|(_, k)| k.is_ok())
        .map(|(p, _)| p)
        .collect();
    outcome.keys_used_from_artifacts.sort();
    Ok(outcome)
}

/// The canonical PURL `enrich` would have used for a component.
fn expected_purl(raw: Option<&str>, version: Option<&str>) -> Result<String, String> {
    let raw = raw.ok_or("the component has no package URL")?;
    let purl = Purl::parse(raw).map_err(|e| format!("invalid package URL {raw:?}: {e}"))?;
    let purl = match (purl.version(), version) {
        (None, Some(v)) if !v.is_empty() => purl.with_version(v).map_err(|e| e.to_string())?,
        _ => purl,
    };
    Ok(purl.to_string())
}

/// Read the artifact a reference names (located by [`target`]: a file, or
/// a line of an indexed bundle), check its digest, and pick the key to
/// check its signature with.
fn read_checked<'a>(
    reference: &FoundReference,
    target: &'a Result<Located, String>,
    bundles: &Bundles,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
    max_bytes: u64,
) -> Result<(Vec<u8>, PublicKey, &'a Located), String> {
    let recorded = reference
        .sha256
        .as_deref()
        .and_then(Sha256Hex::parse)
        .ok_or("the reference records no SHA-256 of the artifact")?;
    // The digest is written twice (hashes and comment); both must agree, or
    // a reader trusting either one could be shown a different artifact.
    if let Some(in_comment) = reference
        .comment_sha256
        .as_deref()
        .and_then(Sha256Hex::parse)
        && in_comment != recorded
    {
        return Err(format!(
            "the reference's hashes record SHA-256 {recorded} but its comment records {in_comment}; one of them was altered"
        ));
    }
    let located = target.as_ref().map_err(Clone::clone)?;
    let bytes = match located.line {
        Some(n) => bundles.line(&located.path, n)?,
        None => read_limited(&located.path, max_bytes)?,
    };
    let actual = Sha256Hex::of(&bytes);
    if actual != recorded {
        let what = if located.line.is_some() {
            "the line"
        } else {
            "the artifact"
        };
        return Err(format!(
            "SHA-256 mismatch for {located}: the SBOM records {recorded}, {what} is {actual}"
        ));
    }
    let key = match key {
        Some(k) => k.clone(),
        None => {
            let beside = key_beside(located.path.parent().unwrap_or(Path::new(".")));
            keys_beside
                .entry(beside.clone())
                .or_insert_with(|| {
                    // Beside the artifacts, so it came with them: a
                    // regular file or nothing (a pipe there would hang).
                    fsutil::read_regular(&beside, 1 << 20)
                        .map_err(|e| format!("no --key given and {}: {e}", beside.display()))
                        .and_then(|b| {
                            String::from_utf8(b)
                                .map_err(|_| format!("{}: not a PEM file", beside.display()))
                        })
                        .and_then(|t| {
                            PublicKey::from_pem(&t)
                                .map_err(|e| format!("{}: {e}", beside.display()))
                        })
                })
                .clone()?
        }
    };
    Ok((bytes, key, located))
}

fn check_one(
    reference: &FoundReference,
    expected: Result<&str, String>,
    target: &Result<Located, String>,
    bundles: &Bundles,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
) -> Result<(), String> {
    let expected = expected?;
    let (bytes, key, located) = read_checked(
        reference,
        target,
        bundles,
        key,
        keys_beside,
        MAX_ARTIFACT_BYTES,
    )?;
    let verified = attest::verify_artifact(&bytes, &key).map_err(|e| format!("{located}: {e}"))?;
    let subjects: Vec<&str> = verified
        .statement
        .subject
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    if !subjects.contains(&expected) {
        return Err(format!(
            "the artifact's subject is {} but the component is {expected}",
            subjects.join(", ")
        ));
    }
    if verified
        .statement
        .predicate
        .get("PURL")
        .and_then(|p| p.as_str())
        != Some(expected)
    {
        return Err(format!("the TACOS statement's PURL is not {expected}"));
    }
    Ok(())
}

/// Check an application report reference; return the report.
fn check_report(
    reference: &FoundReference,
    components: usize,
    sbom_dir: &Path,
    attestations_dir: Option<&Path>,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
) -> Result<Report, String> {
    let target = target(&reference.url, sbom_dir, attestations_dir);
    // enrich writes the report as a file of its own, in every layout.
    if let Ok(Located { line: Some(_), .. }) = &target {
        return Err(format!(
            "the reference {:?} points into an attestation bundle; an application report is a file of its own",
            reference.url
        ));
    }
    let (bytes, key, located) = read_checked(
        reference,
        &target,
        &Bundles::default(),
        key,
        keys_beside,
        max_report_bytes(components),
    )?;
    let verified =
        attest::verify_report_artifact(bytes, &key).map_err(|e| format!("{located}: {e}"))?;
    verified
        .predicate()
        .map_err(|e| format!("{located}: the predicate is not a TACOS report: {e}"))
}

/// The application report an enriched SBOM references, checked (digest and
/// signature). `Ok(None)` when the SBOM references none.
pub fn referenced_report(
    path: &Path,
    opts: &Options,
) -> Result<Option<Result<Report, String>>, SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let sbom_dir = sbom_dir(path);
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let mut keys = HashMap::new();
    Ok(sbom
        .found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE)
        .first()
        .map(|r| {
            check_report(
                r,
                sbom.components().len(),
                &sbom_dir,
                attestations_dir.as_deref(),
                opts.key.as_ref(),
                &mut keys,
            )
        }))
}

/// The statements of every component reference, checked, for SBOMs without
/// an application report reference.
pub fn referenced_statements(
    path: &Path,
    opts: &Options,
) -> Result<(Vec<Statement>, Vec<Failure>), SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let sbom_dir = sbom_dir(path);
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let components = sbom.components();
    let mut keys = HashMap::new();
    let mut statements: Vec<Statement> = Vec::new();
    let mut failures = Vec::new();
    let found = sbom.found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE);
    let targets: Vec<Result<Located, String>> = found
        .iter()
        .map(|(_, r)| target(&r.url, &sbom_dir, attestations_dir.as_deref()))
        .collect();
    let bundles = Bundles::index(&targets);
    for ((id, r), target) in found.iter().zip(&targets) {
        let c = &components[id.0];
        let got = read_checked(
            r,
            target,
            &bundles,
            opts.key.as_ref(),
            &mut keys,
            MAX_ARTIFACT_BYTES,
        )
        .and_then(|(bytes, key, located)| {
            attest::verify_artifact(&bytes, &key).map_err(|e| format!("{located}: {e}"))
        })
        .and_then(|v| {
            serde_json::from_value::<Statement>(v.statement.predicate).map_err(|e| e.to_string())
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
    Ok((statements, failures))
}

/// Where every artifact an SBOM references is, by the same rules as
/// `verify` (never outside the SBOM's directory or `attestations_dir`).
pub fn referenced_files(
    path: &Path,
    opts: &Options,
) -> Result<Result<Vec<PathBuf>, String>, SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let sbom_dir = sbom_dir(path);
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let urls: Vec<String> = sbom
        .found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE)
        .into_iter()
        .map(|(_, r)| r.url)
        .chain(
            sbom.found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE)
                .into_iter()
                .map(|r| r.url),
        )
        .collect();
    let mut out = Vec::new();
    for u in urls {
        // A bundle once, however many of its lines are referenced.
        match target(&u, &sbom_dir, attestations_dir.as_deref()) {
            Ok(located) => out.push(located.path),
            Err(e) => return Ok(Err(e)),
        }
    }
    out.sort();
    out.dedup();
    Ok(Ok(out))
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

/// Where the artifact of each component reference is (a file, or a line of
/// a bundle), by the component's canonical PURL (references that cannot be
/// located are left out; `verify` reports them).
pub fn artifact_paths(
    path: &Path,
    opts: &Options,
) -> Result<std::collections::BTreeMap<String, Located>, SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let sbom_dir = sbom_dir(path);
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let components = sbom.components();
    let mut out = std::collections::BTreeMap::new();
    for (id, r) in sbom.found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE) {
        let c = &components[id.0];
        if let (Ok(purl), Ok(p)) = (
            expected_purl(c.purl.as_deref(), c.version.as_deref()),
            target(&r.url, &sbom_dir, attestations_dir.as_deref()),
        ) {
            out.insert(purl, p);
        }
    }
    Ok(out)
}

/// Where the application report an SBOM references is, when it names one.
pub fn report_path(path: &Path, opts: &Options) -> Result<Option<PathBuf>, SbomError> {
    let sbom = crate::sbom::read_sbom(path)?;
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    Ok(sbom
        .found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE)
        .first()
        .and_then(|r| target(&r.url, &sbom_dir(path), attestations_dir.as_deref()).ok())
        .map(|located| located.path))
}

fn sbom_dir(path: &Path) -> PathBuf {
    let d = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fsutil::absolute(d).unwrap_or_else(|_| d.to_path_buf())
}

/// Where a reference URL points: the file (by [`locate`]) and, when the URL
/// has a fragment, the line of the attestation bundle it names. A fragment
/// that is not `L` and a line number is refused, never ignored.
fn target(url: &str, sbom_dir: &Path, attestations_dir: Option<&Path>) -> Result<Located, String> {
    // '#' is percent-encoded in file names enrich writes, so the first one
    // starts the fragment, in relative and absolute URLs alike.
    let line = url
        .split_once('#')
        .map(|(_, fragment)| bundle_line(fragment))
        .transpose()?;
    let path = locate(url, sbom_dir, attestations_dir)?;
    Ok(Located { path, line })
}

/// The line a `#L<n>` fragment names: `L` and a positive decimal number,
/// without sign or leading zeros, as enrich writes it.
fn bundle_line(fragment: &str) -> Result<usize, String> {
    let digits = fragment.strip_prefix('L').unwrap_or("");
    let plain = !digits.is_empty()
        && digits.len() <= 19
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    match digits.parse::<usize>() {
        Ok(n) if plain => Ok(n),
        _ => {
            let shown: String = fragment.chars().take(40).collect();
            let more = if shown.len() < fragment.len() {
                "..."
            } else {
                ""
            };
            Err(format!(
                "the reference URL's fragment \"#{shown}{more}\" does not name a line of an attestation bundle (expected #L and a line number from 1)"
            ))
        }
    }
}

/// The attestation bundles a run's references point into, each read once,
/// in one pass, remembering where the referenced lines are (not their
/// bytes: a bundle may be gigabytes). A line is read again, from the same
/// open file, only when its reference is checked, and hashed then, so a
/// bundle that changes in between fails the digest check.
#[derive(Default)]
struct Bundles(HashMap<PathBuf, Result<BundleIndex, String>>);

struct BundleIndex {
    file: fs::File,
    /// How many lines the bundle has.
    lines: usize,
    /// Offset and length (without the line end) of each referenced line.
    wanted: HashMap<usize, (u64, u64)>,
}

impl Bundles {
    /// Index every bundle that `targets` point into.
    fn index(targets: &[Result<Located, String>]) -> Bundles {
        let mut wanted: HashMap<&Path, HashSet<usize>> = HashMap::new();
        for t in targets.iter().flatten() {
            if let Some(n) = t.line {
                wanted.entry(&t.path).or_default().insert(n);
            }
        }
        Bundles(
            wanted
                .into_iter()
                .map(|(path, lines)| (path.to_path_buf(), BundleIndex::read(path, &lines)))
                .collect(),
        )
    }

    /// The bytes of line `n` (from 1) of the bundle at `path`, without its
    /// line end.
    fn line(&self, path: &Path, n: usize) -> Result<Vec<u8>, String> {
        let shown = path.display();
        let index = self
            .0
            .get(path)
            .ok_or_else(|| format!("attestation bundle {shown} was not read"))?
            .as_ref()
            .map_err(Clone::clone)?;
        let Some(&(offset, len)) = index.wanted.get(&n) else {
            return Err(format!(
                "line {n} is past the end of attestation bundle {shown}, which has {}",
                crate::term::plural(index.lines, "line", "lines")
            ));
        };
        if len > MAX_ARTIFACT_BYTES {
            return Err(format!(
                "line {n} of attestation bundle {shown} is larger than {MAX_ARTIFACT_BYTES} bytes"
            ));
        }
        let mut bytes = vec![0; len as usize];
        let mut file = &index.file;
        file.seek(std::io::SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| format!("line {n} of attestation bundle {shown}: {e}"))?;
        Ok(bytes)
    }
}

impl BundleIndex {
    /// One pass over the bundle at `path`, a buffer at a time: count its
    /// lines and note where each of `wanted` is. Refused over
    /// [`MAX_BUNDLE_BYTES`], before and while reading.
    fn read(path: &Path, wanted: &HashSet<usize>) -> Result<BundleIndex, String> {
        let shown = path.display();
        let io = |e: std::io::Error| format!("attestation bundle {shown}: {e}");
        // Evidence from others: a pipe standing for a bundle is refused,
        // never waited on.
        let file = fsutil::open_regular(path).map_err(io)?;
        let too_large = || {
            format!(
                "attestation bundle {shown} is larger than {MAX_BUNDLE_BYTES} bytes; refusing to read it"
            )
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
/// attestations directory. A fragment (`#L<n>`) is not part of the path.
fn locate(url: &str, sbom_dir: &Path, attestations_dir: Option<&Path>) -> Result<PathBuf, String> {
    if let Ok(absolute) = Url::parse(url) {
        let name = absolute
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(crate::percent::decode)
            .filter(|n| is_plain_file_name(n))
            .ok_or_else(|| format!("the reference URL {url:?} names no artifact file"))?;
        return match attestations_dir {
            Some(dir) => Ok(dir.join(name)),
            None => Err(format!(
                "the artifact is at {url}; fetching remote artifacts is not supported yet, pass --attestations-dir with a local copy"
            )),
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
                return Err(format!("the reference URL {url:?} is not a plain path"));
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
    Err(format!(
        "the reference {url:?} points outside the SBOM's directory; pass --attestations-dir DIR to allow a directory"
    ))
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// An artifact's bytes: a regular file (a pipe or a device standing for
/// one is refused, never waited on) of at most `max` bytes.
fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file =
        fsutil::open_regular(path).map_err(|e| format!("artifact {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("artifact {}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "artifact {} is larger than {max} bytes",
            path.display()
        ));
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
        assert_eq!(bundle_line("L1"), Ok(1));
        assert_eq!(bundle_line("L18446744073"), Ok(18446744073));
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
            let e = bundle_line(bad).unwrap_err();
            assert!(e.contains("does not name a line"), "{bad:?}: {e}");
        }
        let long = format!("L{}", "9".repeat(10_000));
        assert!(bundle_line(&long).unwrap_err().len() < 300, "shown bounded");
        // The fragment is checked before the path, and never read as part of it.
        assert!(
            target("../x#L1", dir, None)
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            target("a#L0", dir, None)
                .unwrap_err()
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
            })
        };
        let bundles = Bundles::index(&[located(1), located(2), located(3), located(4), located(5)]);
        assert_eq!(bundles.line(&path, 1).unwrap(), b"a");
        assert_eq!(bundles.line(&path, 2).unwrap(), long.as_bytes());
        assert_eq!(bundles.line(&path, 3).unwrap(), b"");
        assert_eq!(bundles.line(&path, 4).unwrap(), b"last");
        let e = bundles.line(&path, 5).unwrap_err();
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
        assert!(read_limited(&path, MAX_ARTIFACT_BYTES).is_err());
        assert_eq!(
            read_limited(&path, max_report_bytes(10_000)).unwrap().len(),
            75_307_955
        );
        let e = read_limited(&path, max_report_bytes(10)).unwrap_err();
        assert!(e.contains("is larger than"), "{e}");
        // An SBOM that claims millions of components does not lift it
        // further than any SBOM may be large.
        assert_eq!(max_report_bytes(usize::MAX), 1 << 30);
        assert_eq!(max_report_bytes(10_000_000), 1 << 30);
        fs::remove_file(&path).unwrap();
    }
}
