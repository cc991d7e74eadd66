//! `verify`: every TACOS reference in an enriched SBOM resolves to an artifact
//! whose SHA-256 matches, whose signature verifies, and whose subject is that
//! component's canonical PURL.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use url::Url;

use crate::attest::{self, PublicKey, Sha256Hex};
use crate::enrich::{
    LEGACY_PUBLIC_KEY_FILE, PUBLIC_KEY_FILE, REFERENCE_MARKER, REPORT_MARKER, SPDX_REFERENCE_TYPE,
    SPDX_REPORT_REFERENCE_TYPE,
};
use crate::fsutil;
use crate::purl::Purl;
use crate::sbom::{FoundReference, SbomError};
use crate::tacos::{Report, Statement};

/// Artifacts larger than this are refused unread.
const MAX_ARTIFACT_BYTES: u64 = 64 << 20;

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
    let sbom = crate::enrich::read_sbom(path)?;
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

    let mut referenced = vec![false; components.len()];
    for (id, reference) in &found {
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
            &sbom_dir,
            attestations_dir.as_deref(),
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
    if !enriched {
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

/// Locate and read the artifact a reference names, check its digest, and
/// pick the key to check its signature with.
fn read_checked(
    reference: &FoundReference,
    sbom_dir: &Path,
    attestations_dir: Option<&Path>,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
) -> Result<(Vec<u8>, PublicKey, PathBuf), String> {
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
    let path = locate(&reference.url, sbom_dir, attestations_dir)?;
    let bytes = read_limited(&path)?;
    let actual = Sha256Hex::of(&bytes);
    if actual != recorded {
        return Err(format!(
            "SHA-256 mismatch for {}: the SBOM records {recorded}, the artifact is {actual}",
            path.display()
        ));
    }
    let key = match key {
        Some(k) => k.clone(),
        None => {
            let beside = key_beside(path.parent().unwrap_or(Path::new(".")));
            keys_beside
                .entry(beside.clone())
                .or_insert_with(|| {
                    fs::read_to_string(&beside)
                        .map_err(|e| format!("no --key given and {}: {e}", beside.display()))
                        .and_then(|t| {
                            PublicKey::from_pem(&t)
                                .map_err(|e| format!("{}: {e}", beside.display()))
                        })
                })
                .clone()?
        }
    };
    Ok((bytes, key, path))
}

fn check_one(
    reference: &FoundReference,
    expected: Result<&str, String>,
    sbom_dir: &Path,
    attestations_dir: Option<&Path>,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
) -> Result<(), String> {
    let expected = expected?;
    let (bytes, key, path) = read_checked(reference, sbom_dir, attestations_dir, key, keys_beside)?;
    let verified =
        attest::verify_artifact(&bytes, &key).map_err(|e| format!("{}: {e}", path.display()))?;
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
    sbom_dir: &Path,
    attestations_dir: Option<&Path>,
    key: Option<&PublicKey>,
    keys_beside: &mut HashMap<PathBuf, Result<PublicKey, String>>,
) -> Result<Report, String> {
    let (bytes, key, path) = read_checked(reference, sbom_dir, attestations_dir, key, keys_beside)?;
    let verified = attest::verify_report_artifact(&bytes, &key)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_value(verified.statement.predicate).map_err(|e| {
        format!(
            "{}: the predicate is not a TACOS report: {e}",
            path.display()
        )
    })
}

/// The application report an enriched SBOM references, checked (digest and
/// signature). `Ok(None)` when the SBOM references none.
pub fn referenced_report(
    path: &Path,
    opts: &Options,
) -> Result<Option<Result<Report, String>>, SbomError> {
    let sbom = crate::enrich::read_sbom(path)?;
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
    let sbom = crate::enrich::read_sbom(path)?;
    let sbom_dir = sbom_dir(path);
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    let components = sbom.components();
    let mut keys = HashMap::new();
    let mut statements: Vec<Statement> = Vec::new();
    let mut failures = Vec::new();
    for (id, r) in sbom.found_references(REFERENCE_MARKER, SPDX_REFERENCE_TYPE) {
        let c = &components[id.0];
        let got = read_checked(
            &r,
            &sbom_dir,
            attestations_dir.as_deref(),
            opts.key.as_ref(),
            &mut keys,
        )
        .and_then(|(bytes, key, p)| {
            attest::verify_artifact(&bytes, &key).map_err(|e| format!("{}: {e}", p.display()))
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
    let sbom = crate::enrich::read_sbom(path)?;
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
        match locate(&u, &sbom_dir, attestations_dir.as_deref()) {
            Ok(p) => out.push(p),
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

/// Where the artifact of each component reference is, by the component's
/// canonical PURL (references that cannot be located are left out; `verify`
/// reports them).
pub fn artifact_paths(
    path: &Path,
    opts: &Options,
) -> Result<std::collections::BTreeMap<String, PathBuf>, SbomError> {
    let sbom = crate::enrich::read_sbom(path)?;
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
            locate(&r.url, &sbom_dir, attestations_dir.as_deref()),
        ) {
            out.insert(purl, p);
        }
    }
    Ok(out)
}

/// Where the application report an SBOM references is, when it names one.
pub fn report_path(path: &Path, opts: &Options) -> Result<Option<PathBuf>, SbomError> {
    let sbom = crate::enrich::read_sbom(path)?;
    let attestations_dir = opts
        .attestations_dir
        .as_ref()
        .map(|d| fsutil::absolute(d).unwrap_or_else(|_| d.clone()));
    Ok(sbom
        .found_document_references(REPORT_MARKER, SPDX_REPORT_REFERENCE_TYPE)
        .first()
        .and_then(|r| locate(&r.url, &sbom_dir(path), attestations_dir.as_deref()).ok()))
}

fn sbom_dir(path: &Path) -> PathBuf {
    let d = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fsutil::absolute(d).unwrap_or_else(|_| d.to_path_buf())
}

/// Where the artifact a reference names lives on disk. Relative references
/// resolve against the SBOM's directory and may not leave it (or the given
/// attestations directory); absolute URLs are looked up by file name in the
/// attestations directory.
fn locate(url: &str, sbom_dir: &Path, attestations_dir: Option<&Path>) -> Result<PathBuf, String> {
    if let Ok(absolute) = Url::parse(url) {
        let name = absolute
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(fsutil::percent_decode)
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
    for segment in url.split('/') {
        let segment = fsutil::percent_decode(segment);
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

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("artifact {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_ARTIFACT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("artifact {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_ARTIFACT_BYTES {
        return Err(format!(
            "artifact {} is larger than {MAX_ARTIFACT_BYTES} bytes",
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
}
