//! Reading the inputs and resolving their packages, once across all of
//! them, and checking before anything is written that every output can be.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::inputs::{Input, output_path, same_file};
use super::{
    DocSummary, EnrichError, MAX_LINES_PER_INPUT, Options, Output, Reporter, SkipReason, Skipped,
    Statements, shown,
};
use crate::assess;
use crate::attest::reference::{DEFAULT_ATTESTATIONS_DIR, PUBLIC_KEY_FILE};
use crate::fsutil;
use crate::purl::Purl;
use crate::sbom::{ComponentId, Role, STDIO, Sbom, SbomError, input_bytes};

/// One resolved package: a canonical PURL and what the SBOMs said of it.
pub(super) struct Package {
    pub(super) purl: Purl,
    /// Digests every occurrence in the SBOMs agrees on (algorithm, hex).
    pub(super) hashes: Vec<(String, String)>,
}

pub(super) struct Loaded {
    pub(super) sbom: Sbom,
    pub(super) output: PathBuf,
    /// Dependency components with a usable PURL, and its canonical form.
    pub(super) resolved: Vec<(ComponentId, String)>,
    pub(super) summary: DocSummary,
}

/// One input that was read. With several inputs the document itself is
/// not kept: it is read again (and checked to be the same bytes) when its
/// turn to be written comes, so memory holds one document at a time.
pub(super) struct Doc {
    pub(super) input: PathBuf,
    pub(super) output: PathBuf,
    /// SHA-256 of the bytes first read.
    pub(super) digest: [u8; 32],
    pub(super) kept: Option<Loaded>,
}

/// The inputs read and their packages resolved, before anything is signed or
/// written.
pub struct Plan {
    pub(super) docs: Vec<Doc>,
    pub(super) failures: Vec<EnrichError>,
    /// By canonical PURL.
    pub(super) packages: BTreeMap<String, Package>,
    /// Versions in use, by package (PURL without version).
    pub(super) releases: HashMap<String, BTreeSet<String>>,
    pub(super) limits: crate::sbom::Limits,
}

/// `tacos-attestations` beside the output; in the working directory when the
/// output is standard output or a device such as `/dev/null`, whose
/// directory is not the user's.
pub(super) fn default_attestations_dir(output: &Path) -> PathBuf {
    let special = fsutil::write_target(output).is_ok_and(|(_, special)| special);
    match output.parent() {
        Some(p) if !special => p.join(DEFAULT_ATTESTATIONS_DIR),
        _ => PathBuf::from(DEFAULT_ATTESTATIONS_DIR),
    }
}

impl Plan {
    /// Where the artifacts go: `--attestations-dir`, else beside the first output.
    fn attestations_dir(&self, opts: &Options) -> Option<PathBuf> {
        let first = self.docs.first()?;
        Some(match &opts.attestations_dir {
            Some(d) => d.clone(),
            None => default_attestations_dir(&first.output),
        })
    }

    /// Check, before anything is written, that every place an output goes
    /// can take it: each output file's directory and the attestations
    /// directory (artifacts, reports and the public key), each by creating
    /// and removing a probe file; that no output name is taken by a
    /// directory; and that no output lands on a `protected` file (the
    /// signing key, the store, an input: by identity, through any link).
    /// Leaves nothing behind, creates no directory.
    pub fn check_outputs(
        &self,
        opts: &Options,
        protected: &fsutil::Protected,
    ) -> Result<(), EnrichError> {
        let taken = |path: &Path| EnrichError::Output {
            path: path.to_path_buf(),
            message: "a directory has this name, so the output cannot be written there".into(),
        };
        let mut dirs = Vec::new();
        for l in &self.docs {
            if l.output == Path::new(STDIO) {
                continue;
            }
            if l.output.is_dir() {
                return Err(taken(&l.output));
            }
            protected
                .check(&l.output)
                .map_err(|e| EnrichError::Output {
                    path: l.output.clone(),
                    message: format!("refusing to write here: {}", e.what),
                })?;
            // Where the bytes go: through a symbolic link; nowhere to probe
            // for a device or a pipe, which is written into.
            let (target, special) =
                fsutil::write_target(&l.output).map_err(|e| EnrichError::Output {
                    path: l.output.clone(),
                    message: format!("cannot write here: {e}"),
                })?;
            if special {
                continue;
            }
            // The directory, or the nearest one that exists (the rest is
            // created when the output is written).
            let mut dir = target
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            while !dir.exists() {
                match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                    Some(p) => dir = p,
                    None => {
                        dir = Path::new(".");
                        break;
                    }
                }
            }
            dirs.push(dir.to_path_buf());
        }
        if let Some(dir) = self.attestations_dir(opts) {
            let key = dir.join(PUBLIC_KEY_FILE);
            if key.is_dir() {
                return Err(taken(&key));
            }
            dirs.push(dir);
        }
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            fsutil::probe_writable(&dir).map_err(|e| EnrichError::Output {
                path: dir.clone(),
                message: format!(
                    "cannot write here ({e}); choose a writable place with -o or --attestations-dir"
                ),
            })?;
        }
        Ok(())
    }

    /// Whether no input could be read, so there is nothing to sign or write.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// How many inputs were read.
    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// Inputs that could not be read.
    pub fn take_failures(&mut self) -> Vec<EnrichError> {
        std::mem::take(&mut self.failures)
    }

    /// Where this run keeps its statements: with several inputs a
    /// scratch file (like the documents, they are not all held in memory);
    /// with one, memory (its report is signed while its packages are, from
    /// all of them at once).
    pub fn statements(&self) -> std::io::Result<Statements> {
        match self.docs.len() {
            0 | 1 => Ok(Statements::with_capacity(self.packages.len())),
            _ => Statements::spilled(),
        }
    }

    /// Every distinct package (canonical PURL with version) with the
    /// versions of that package in use across all inputs: what to assess.
    pub fn packages(&self) -> Vec<(Purl, assess::InUse)> {
        let shared: HashMap<&String, assess::InUse> = self
            .releases
            .iter()
            .map(|(id, versions)| (id, versions.iter().cloned().collect()))
            .collect();
        self.packages
            .values()
            .map(|p| {
                let in_use = shared
                    .get(&p.purl.package_id())
                    .cloned()
                    .unwrap_or_else(|| Vec::new().into());
                (p.purl.clone(), in_use)
            })
            .collect()
    }
}

/// Read `inputs` and resolve their packages, once across all of them.
/// With one input the document is kept for writing; with several, only
/// what the assessment needs is kept (see [`Doc`]).
pub fn plan(
    inputs: &[Input],
    opts: &Options,
    reporter: &dyn Reporter,
) -> Result<Plan, EnrichError> {
    plan_with(inputs, opts, reporter, &|_| {})
}

/// `plan`, showing `peek` each input's bytes before they are parsed, so
/// that work depending only on them can start meanwhile (the command line
/// asks the registries' clients for their settings).
pub fn plan_with(
    inputs: &[Input],
    opts: &Options,
    reporter: &dyn Reporter,
    peek: &dyn Fn(&[u8]),
) -> Result<Plan, EnrichError> {
    let mut failures = Vec::new();
    let mut docs = Vec::new();
    let mut outputs_seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    let limits = crate::sbom::Limits {
        max_input_bytes: opts.max_input_bytes,
        ..Default::default()
    };
    let keep = inputs.len() == 1;
    // A line per input for a few; a count (with rate and ETA) for many.
    let chatty = inputs.len() <= MAX_LINES_PER_INPUT;
    let mut not_sboms = 0;
    let mut packages: BTreeMap<String, Package> = BTreeMap::new();
    let mut releases: HashMap<String, BTreeSet<String>> = HashMap::new();
    if !chatty {
        reporter.note(&format!("reading {} SBOMs", inputs.len()));
    }
    for (n, input) in inputs.iter().enumerate() {
        let output = output_path(input, &opts.output);
        let path = &input.path;
        let stdio = path == Path::new(STDIO) || output == Path::new(STDIO);
        if opts.output != Output::InPlace && !stdio && same_file(path, &output) {
            return Err(EnrichError::Usage(format!(
                "{}: the output would overwrite the input; pass -o OUTPUT, or --in-place to replace it",
                path.display()
            )));
        }
        let key = fsutil::absolute(&output).unwrap_or_else(|_| output.clone());
        if let Some(other) = outputs_seen.insert(key, path.clone()) {
            return Err(EnrichError::Usage(format!(
                "{} and {} would both be written to {}; pass -o DIR with distinct names",
                other.display(),
                path.display(),
                output.display()
            )));
        }
        if !chatty {
            reporter.progress("reading", n + 1, inputs.len());
        }
        match load(path, output.clone(), &limits, peek) {
            Ok((l, digest)) => {
                if chatty {
                    let encoding = match l.sbom.encoding() {
                        crate::sbom::Encoding::Utf8 => String::new(),
                        e => format!(" in {}", e.name()),
                    };
                    reporter.note(&format!(
                        "read {}: {}{encoding}, {} components",
                        path.display(),
                        l.summary.format,
                        l.summary.components
                    ));
                }
                add_packages(&l, &mut packages, &mut releases);
                docs.push(Doc {
                    input: path.clone(),
                    output,
                    digest,
                    kept: keep.then_some(l),
                });
            }
            Err(EnrichError::Sbom(SbomError::NotAnSbom { .. })) if input.root.is_some() => {
                not_sboms += 1;
                if chatty {
                    reporter.note(&format!("skipped {}: not an SBOM", path.display()));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    if !chatty && not_sboms > 0 {
        reporter.note(&format!(
            "passed over {} found in the directories that are not SBOMs",
            crate::term::plural(not_sboms, "file", "files")
        ));
    }
    Ok(Plan {
        docs,
        failures,
        packages,
        releases,
        limits,
    })
}

/// Add a document's packages to the distinct set (a package's hashes are
/// those every document that names it agrees on).
fn add_packages(
    l: &Loaded,
    packages: &mut BTreeMap<String, Package>,
    releases: &mut HashMap<String, BTreeSet<String>>,
) {
    let components = l.sbom.components();
    for (id, canonical) in &l.resolved {
        let component = &components[id.0];
        let purl = Purl::parse(canonical).expect("canonical PURLs parse");
        if let Some(v) = purl.version() {
            releases
                .entry(purl.package_id())
                .or_default()
                .insert(v.to_string());
        }
        let hashes: Vec<(String, String)> = component
            .hashes
            .iter()
            .map(|h| (h.alg.clone(), h.hex.clone()))
            .collect();
        packages
            .entry(canonical.clone())
            .and_modify(|p| p.hashes.retain(|h| hashes.contains(h)))
            .or_insert(Package { purl, hashes });
    }
}

pub(super) fn load(
    input: &Path,
    output: PathBuf,
    limits: &crate::sbom::Limits,
    peek: &dyn Fn(&[u8]),
) -> Result<(Loaded, [u8; 32]), EnrichError> {
    let bytes = if input == Path::new(STDIO) {
        input_bytes(input).map_err(|source| SbomError::Io {
            path: input.to_path_buf(),
            source,
        })?
    } else {
        Sbom::read_bytes(input, limits)?
    };
    peek(&bytes);
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let sbom = Sbom::from_bytes_with(input, bytes, limits)?;
    let mut summary = DocSummary {
        input: input.to_path_buf(),
        output: output.clone(),
        format: sbom.format(),
        subject: sbom.subject_name(),
        components: 0,
        with_purl: 0,
        references: 0,
        skipped: Vec::new(),
        report: None,
        report_note: None,
    };
    let mut resolved = Vec::new();
    for c in sbom.components() {
        if c.role == Role::Subject {
            continue;
        }
        summary.components += 1;
        let Some(raw) = c.purl.as_deref().filter(|p| !p.trim().is_empty()) else {
            summary.skipped.push(Skipped {
                component: c.label.clone(),
                reason: SkipReason::NoPurl,
            });
            continue;
        };
        summary.with_purl += 1;
        let parsed = Purl::parse(raw).and_then(|p| match (p.version(), c.version.as_deref()) {
            (None, Some(v)) if !v.is_empty() => p.with_version(v),
            _ => Ok(p),
        });
        match parsed {
            Ok(p) if p.has_path_traversal() => {
                return Err(EnrichError::PathTraversal {
                    path: input.to_path_buf(),
                    component: c.label.clone(),
                    purl: shown(raw).into_owned(),
                });
            }
            Err(_) if names_a_path(raw) => {
                return Err(EnrichError::PathTraversal {
                    path: input.to_path_buf(),
                    component: c.label.clone(),
                    purl: shown(raw).into_owned(),
                });
            }
            Ok(p) => resolved.push((c.id, p.to_string())),
            Err(e) => summary.skipped.push(Skipped {
                component: c.label.clone(),
                reason: SkipReason::InvalidPurl {
                    purl: raw.to_string(),
                    why: e.to_string(),
                },
            }),
        }
    }
    summary.references = resolved.len();
    Ok((
        Loaded {
            sbom,
            output,
            resolved,
            summary,
        },
        digest,
    ))
}

/// Whether a PURL, once percent-decoded, holds a `..` path segment: a PURL
/// that does is hostile even when it is otherwise invalid.
fn names_a_path(raw: &str) -> bool {
    let body = raw.split(['?', '#']).next().unwrap_or(raw);
    crate::percent::decode(body)
        .split(['/', '\\'])
        .any(|s| s == "..")
}
