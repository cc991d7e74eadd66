//! The pipeline: read SBOMs, resolve PURLs, assess each distinct package once,
//! sign one artifact per package (a file each, or a line each of one
//! bundle), and write each SBOM back with references.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use crate::assess;
use crate::attest::reference::{
    CDX_REFERENCE_TYPE, DEFAULT_ATTESTATIONS_DIR, PUBLIC_KEY_FILE, REFERENCE_MARKER, REPORT_MARKER,
    SPDX_REFERENCE_TYPE, SPDX_REPORT_REFERENCE_TYPE,
};
use crate::attest::{self, Artifact, Sha256Hex, Signer, Subject};
use crate::config::Layout;
use crate::fsutil::{self, AtomicFile, Written};
use crate::purl::Purl;
use crate::sbom::{
    Changes, ComponentId, Format, Reference, Role, STDIO, Sbom, SbomError, Tool, input_bytes,
};
use crate::tacos::{self, StatementJson};

mod declarations;
mod statements;
pub use statements::Statements;

pub fn tool() -> Tool {
    Tool {
        vendor: "tacos-sbom".into(),
        name: "tacos-sbom".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Where enriched SBOMs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Beside each input, as `NAME.tacos.json` (keeping `.cdx`/`.spdx`).
    Beside,
    /// This file (one input only).
    File(PathBuf),
    /// Into this directory, each under its derived name.
    Dir(PathBuf),
    /// Over the input, atomically.
    InPlace,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub output: Output,
    pub attestations_dir: Option<PathBuf>,
    pub base_url: Option<Url>,
    pub now: OffsetDateTime,
    /// Named in the reports' author beside the tool.
    pub organization: Option<String>,
    /// Also express the assessment as CycloneDX 1.6 `declarations`.
    pub declarations: bool,
    /// Largest SBOM read, in bytes (`[input] max_bytes`).
    pub max_input_bytes: u64,
    /// One file per package, or one bundle of them all.
    pub layout: Layout,
}

/// Progress and notes for a person watching; the CLI decides how to show them.
pub trait Reporter: Sync {
    fn note(&self, message: &str);
    /// `done` of `total` in `phase` ("reading", "signing", "writing").
    fn progress(&self, phase: &str, done: usize, total: usize);
}

/// A value from the input as a message shows it: at most 200 characters,
/// so that a huge one cannot flood the terminal.
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()).into(),
        None => s.into(),
    }
}

/// Why a component got no reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub component: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoPurl,
    InvalidPurl { purl: String, why: String },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::NoPurl => f.write_str("no package URL"),
            SkipReason::InvalidPurl { purl, why } => {
                write!(f, "invalid package URL {:?}: {why}", shown(purl))
            }
        }
    }
}

/// What happened to one input.
#[derive(Debug, Clone)]
pub struct DocSummary {
    pub input: PathBuf,
    pub output: PathBuf,
    pub format: Format,
    pub subject: Option<String>,
    /// Components other than the subject.
    pub components: usize,
    pub with_purl: usize,
    pub references: usize,
    pub skipped: Vec<Skipped>,
    /// The application's signed TACOS report, when the document has a place
    /// to reference it.
    pub report: Option<PathBuf>,
    /// Why there is no report reference, when there is none.
    pub report_note: Option<String>,
}

#[derive(Debug)]
pub struct Summary {
    pub documents: Vec<DocSummary>,
    /// Inputs that could not be enriched; nothing was written for them.
    pub failures: Vec<EnrichError>,
    pub packages: usize,
    pub artifacts_written: usize,
    pub attestations_dir: Option<PathBuf>,
    pub public_key: Option<PathBuf>,
    /// The attestation bundle, with `Layout::Bundle` (and packages to sign).
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error(transparent)]
    Sbom(#[from] SbomError),
    #[error(
        "{path}: refusing this SBOM: component {component} has a package URL whose name is a path ({purl}); this looks like a path-traversal attempt"
    )]
    PathTraversal {
        path: PathBuf,
        component: String,
        purl: String,
    },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the file changed while this run was enriching it (its SHA-256 is not what was read first); nothing was written for it"
    )]
    Changed { path: PathBuf },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "this run's statements, kept in a scratch file in the temporary directory, could not be written or read back: {source}"
    )]
    Scratch {
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("signing {purl}: {source}")]
    Sign {
        purl: String,
        #[source]
        source: attest::AttestError,
    },
}

/// One input: a file named on the command line (or in a list), or found by
/// walking a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The directory it was found under. A file found there that turns out
    /// not to be an SBOM at all is passed over quietly (one that is an SBOM
    /// the tool cannot read is reported like a named file), and with `-o
    /// DIR` its output keeps its place relative to this directory.
    pub root: Option<PathBuf>,
}

/// Expand directories, recursively, into the files they hold that may be
/// SBOMs, skipping this tool's own outputs, hidden directories and
/// symbolic links to directories (so a walk cannot loop or leave the tree).
/// Files named explicitly are kept as they are.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, EnrichError> {
    let mut out = Vec::new();
    for p in paths {
        if p != Path::new(STDIO) && p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found.into_iter().map(|f| Input {
                path: f,
                root: Some(p.clone()),
            }));
        } else {
            out.push(Input {
                path: p.clone(),
                root: None,
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), EnrichError> {
    let entries = fs::read_dir(dir).map_err(|source| EnrichError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in entries {
        let e = e.map_err(|source| EnrichError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        // The entry itself, not what a link points at.
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if !name.starts_with('.') {
                walk(&e.path(), found)?;
            }
        } else if (kind.is_file() || (kind.is_symlink() && e.path().is_file()))
            && sbom_like_name(&name)
        {
            found.push(e.path());
        }
    }
    Ok(())
}

/// Paths listed one per line in `text` (`--from-list`): blank lines are
/// skipped, and so is the end-of-line `\r` of a list written on Windows.
pub fn list_inputs(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Whether a file in a directory may hold an SBOM in any serialization the
/// tool reads or names (CycloneDX JSON/XML/protobuf, SPDX JSON, tag-value,
/// YAML, XML, RDF, SPDX 3 JSON-LD), and is not one of its own outputs.
fn sbom_like_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let ours = name.contains(".tacos.") || name.contains(".tacos-report.");
    let extensions = [
        ".json", ".jsonld", ".xml", ".spdx", ".tv", ".yaml", ".yml", ".rdf", ".cdx", ".bom",
        ".cdx.bin",
    ];
    !ours && extensions.iter().any(|e| name.ends_with(e))
}

/// `bom.json` → `bom.tacos.json`; `x.cdx.json` → `x.tacos.cdx.json`;
/// `bom.xml` → `bom.tacos.xml`: the output keeps the input's extension.
pub fn derived_name(input: &Path) -> String {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sbom.json".into());
    if name.contains(".tacos.") {
        return name;
    }
    for suffix in [
        ".cdx.json",
        ".spdx.json",
        ".spdx3.json",
        ".bom.json",
        ".cdx.xml",
        ".bom.xml",
        ".json",
        ".jsonld",
        ".xml",
        ".spdx",
        ".tv",
    ] {
        if let Some(stem) = name.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return format!("{stem}.tacos{suffix}");
        }
    }
    format!("{name}.tacos.json")
}

fn output_path(input: &Input, output: &Output) -> PathBuf {
    let path = &input.path;
    match output {
        Output::Beside => path.with_file_name(derived_name(path)),
        Output::File(f) => f.clone(),
        // Found under a directory: the same place under DIR, so that two
        // `bom.json` in different folders do not collide.
        Output::Dir(d) => match input
            .root
            .as_ref()
            .and_then(|r| path.strip_prefix(r).ok())
            .and_then(Path::parent)
        {
            Some(rel) => d.join(rel).join(derived_name(path)),
            None => d.join(derived_name(path)),
        },
        Output::InPlace => path.to_path_buf(),
    }
}

/// One resolved package: a canonical PURL and what the SBOMs said of it.
struct Package {
    purl: Purl,
    /// Digests every occurrence in the SBOMs agrees on (algorithm, hex).
    hashes: Vec<(String, String)>,
}

struct Loaded {
    sbom: Sbom,
    output: PathBuf,
    /// Dependency components with a usable PURL, and its canonical form.
    resolved: Vec<(ComponentId, String)>,
    summary: DocSummary,
}

/// One input that was read. With several inputs the document itself is
/// not kept: it is read again (and checked to be the same bytes) when its
/// turn to be written comes, so memory holds one document at a time.
struct Doc {
    input: PathBuf,
    output: PathBuf,
    /// SHA-256 of the bytes first read.
    digest: [u8; 32],
    kept: Option<Loaded>,
}

/// The inputs read and their packages resolved, before anything is signed or
/// written.
pub struct Plan {
    docs: Vec<Doc>,
    failures: Vec<EnrichError>,
    /// By canonical PURL.
    packages: BTreeMap<String, Package>,
    /// Versions in use, by package (PURL without version).
    releases: HashMap<String, BTreeSet<String>>,
    limits: crate::sbom::Limits,
}

/// `tacos-attestations` beside the output; in the working directory when the
/// output is standard output or a device such as `/dev/null`, whose
/// directory is not the user's.
fn default_attestations_dir(output: &Path) -> PathBuf {
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

/// Above this many inputs, reading and writing are counted, not listed.
const MAX_LINES_PER_INPUT: usize = 20;

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

/// Sign and write every package's statement (a package without one gets a
/// statement of only what the SBOM establishes), then write each SBOM.
pub fn execute(
    plan: Plan,
    mut statements: Statements,
    opts: &Options,
    signer: &dyn Signer,
    reporter: &dyn Reporter,
) -> Result<Summary, EnrichError> {
    let Plan {
        docs,
        failures,
        packages,
        releases,
        limits,
    } = plan;
    let mut summary = Summary {
        documents: Vec::new(),
        failures,
        packages: packages.len(),
        artifacts_written: 0,
        attestations_dir: None,
        public_key: None,
        bundle: None,
    };
    if docs.is_empty() {
        return Ok(summary);
    }

    let dir = match &opts.attestations_dir {
        Some(d) => d.clone(),
        None => default_attestations_dir(&docs[0].output),
    };
    // Everything created from here on is taken back if the run fails.
    let mut created = Rollback::default();
    created
        .create_dir_all(&dir)
        .map_err(|source| EnrichError::Write {
            path: dir.clone(),
            source,
        })?;
    let dir = fsutil::absolute(&dir).map_err(|source| EnrichError::Write {
        path: dir.clone(),
        source,
    })?;
    // What killed runs left half-written here goes (their temporary files).
    let mut places: BTreeSet<&Path> = docs
        .iter()
        .filter(|d| d.output != Path::new(STDIO))
        .map(|d| match d.output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        })
        .collect();
    places.insert(&dir);
    let stale: usize = places
        .into_iter()
        .map(fsutil::remove_stale_temporaries)
        .sum();
    if stale > 0 {
        reporter.note(&format!(
            "removed {} that killed runs left behind",
            crate::term::plural(stale, "temporary file", "temporary files")
        ));
    }

    let unassessed = assess::not_assessed();
    for (canonical, p) in &packages {
        if !statements.contains(canonical) {
            let in_use = releases
                .get(&p.purl.package_id())
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            let statement = assess::identity(&p.purl, in_use, &unassessed);
            statements.insert(canonical.clone(), StatementJson::new(&statement));
        }
    }
    statements.seal().map_err(scratch)?;
    let jobs: Vec<Job> = packages
        .iter()
        .map(|(canonical, p)| {
            (
                canonical.clone(),
                Subject::for_package(canonical, &p.hashes),
            )
        })
        .collect();
    // Each job holds what it needs of them.
    drop(packages);
    drop(releases);
    reporter.note(&format!(
        "signing {} {} into {}{}",
        jobs.len(),
        if jobs.len() == 1 {
            "attestation"
        } else {
            "attestations"
        },
        if opts.layout == Layout::Bundle {
            "one bundle in "
        } else {
            ""
        },
        dir.display()
    ));
    let tool = tool();
    // One SBOM's report needs only the statements, not the artifacts: it is
    // signed on a thread of its own while the packages are, instead of on
    // one core after them. (With many SBOMs, each is read again for its
    // report, after signing.)
    let early = match docs.as_slice() {
        [doc] => doc
            .kept
            .as_ref()
            .filter(|l| l.sbom.can_hold_document_reference()),
        _ => None,
    };
    let (signed, early_report) = std::thread::scope(|scope| {
        let report = early.map(|l| {
            let (statements, dir, tool) = (&statements, &dir, &tool);
            scope.spawn(move || {
                let mut mine = Rollback::default();
                let signed = quoted(l, statements).and_then(|quoted| {
                    let report = application_report(l, &quoted, dir, opts, tool);
                    sign_report(l, &report, dir, signer, &mut mine)
                });
                (signed, mine)
            })
        });
        let signing = Signing {
            jobs: &jobs,
            statements: &statements,
            dir: &dir,
            signer,
            reporter,
        };
        let signed = match opts.layout {
            Layout::Files => write_files(&signing, &mut created).map(|(p, w)| (p, w, None)),
            Layout::Bundle => write_bundle(&signing, &mut created),
        };
        let report = report.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (signed, report)
    });
    // The report's file is this run's to take back if anything fails.
    let mut early_report = early_report.map(|(signed, mine)| {
        created.adopt(mine);
        signed
    });
    let (artifacts, written, bundle) = signed?;
    if let Some(b) = &bundle {
        reporter.note(&format!("attestation bundle: {}", b.display()));
    }
    summary.bundle = bundle;
    summary.artifacts_written = written;

    if let Some(pem) = signer.public_key_pem() {
        let key_path = dir.join(PUBLIC_KEY_FILE);
        let existed = fs::symlink_metadata(&key_path).is_ok();
        fsutil::write_if_changed(&key_path, pem.as_bytes()).map_err(|source| {
            EnrichError::Write {
                path: key_path.clone(),
                source,
            }
        })?;
        if !existed {
            created.file(key_path.clone());
        }
        summary.public_key = Some(key_path);
    }
    summary.attestations_dir = Some(dir.clone());

    drop(jobs);
    let total = docs.len();
    let chatty = total <= MAX_LINES_PER_INPUT;
    if !chatty {
        reporter.note(&format!("writing {total} SBOMs"));
    }
    for (n, doc) in docs.into_iter().enumerate() {
        if !chatty {
            reporter.progress("writing", n + 1, total);
        }
        let mut l = match doc.kept {
            Some(l) => l,
            None => match load(&doc.input, doc.output.clone(), &limits, &|_| {}) {
                Ok((l, digest)) if digest == doc.digest => l,
                Ok(_) => {
                    summary
                        .failures
                        .push(EnrichError::Changed { path: doc.input });
                    continue;
                }
                Err(e) => {
                    summary.failures.push(e);
                    continue;
                }
            },
        };
        let placed = match l.sbom.can_hold_document_reference() {
            true if early_report.is_some() => early_report.take().transpose()?,
            true => {
                let quoted = quoted(&l, &statements)?;
                let report = application_report(&l, &quoted, &dir, opts, &tool);
                Some(sign_report(&l, &report, &dir, signer, &mut created)?)
            }
            false => {
                l.summary.report_note = Some(
                    "the SPDX document describes no package to attach the application report to"
                        .into(),
                );
                None
            }
        };
        if let Some((file, _)) = &placed {
            l.summary.report = Some(dir.join(file));
        }
        // The last report is signed: unless declarations quote them, the
        // statements (~6 KB a package) need not stay while it is written.
        if n + 1 == total && !opts.declarations {
            statements = Statements::default();
        }
        let written = write_document(
            &l,
            &artifacts,
            placed.as_ref(),
            &statements,
            &dir,
            opts,
            &tool,
            &mut created,
        );
        match written {
            Ok(()) => summary.documents.push(l.summary),
            Err(e) => summary.failures.push(e),
        }
    }
    if summary.documents.is_empty() {
        // No SBOM was written: its artifacts, report and key would only be
        // partial output. `created` takes them back as it goes.
        summary.artifacts_written = 0;
        summary.attestations_dir = None;
        summary.public_key = None;
        summary.bundle = None;
    } else {
        created.keep();
    }
    Ok(summary)
}

/// Files and directories a run created. Unless `keep` is called, they are
/// removed again when this is dropped — on an error return and while a panic
/// unwinds alike — so a run that fails leaves no partial output behind.
/// Files that existed before the run are never listed, so never removed.
#[derive(Default)]
struct Rollback {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    keep: bool,
}

impl Rollback {
    /// `fs::create_dir_all`, remembering each directory it creates.
    fn create_dir_all(&mut self, dir: &Path) -> std::io::Result<()> {
        let mut missing = Vec::new();
        let mut d = dir;
        while fs::symlink_metadata(d).is_err() {
            missing.push(d.to_path_buf());
            match d.parent() {
                Some(p) if !p.as_os_str().is_empty() => d = p,
                _ => break,
            }
        }
        fs::create_dir_all(dir)?;
        // Outermost first, so that removal in reverse goes innermost first.
        self.dirs.extend(missing.into_iter().rev());
        Ok(())
    }

    fn file(&mut self, path: PathBuf) {
        self.files.push(path);
    }

    fn keep(&mut self) {
        self.keep = true;
    }

    /// Take over what `other` created: taken back with this one's, or kept.
    fn adopt(&mut self, mut other: Rollback) {
        self.files.append(&mut other.files);
        self.dirs.append(&mut other.dirs);
    }
}

impl Drop for Rollback {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for f in self.files.iter().rev() {
            let _ = fs::remove_file(f);
        }
        for d in self.dirs.iter().rev() {
            // Only if empty: never what someone else put there meanwhile.
            let _ = fs::remove_dir(d);
        }
    }
}

/// CycloneDX 1.6 `declarations` and `definitions` for one document, when it
/// can hold them and holds none that another tool wrote.
fn declarations(
    l: &Loaded,
    artifacts: &Placed,
    statements: &Statements,
    dir: &Path,
    opts: &Options,
) -> Result<Vec<(String, serde_json::Value)>, EnrichError> {
    use self::declarations as decl;
    let modern =
        matches!(l.sbom.format(), Format::CycloneDxJson(v) if v >= crate::sbom::CdxVersion::V1_6);
    let foreign = ["declarations", "definitions"].iter().any(|k| {
        l.sbom
            .root_member_text(k)
            .is_some_and(|t| !t.contains(decl::ASSESSOR_REF) && !t.contains(decl::STANDARD_REF))
    });
    if !modern || foreign {
        return Ok(Vec::new());
    }
    let links = Links::new(dir, &l.output, opts.base_url.as_ref());
    let components = l.sbom.components();
    let mut urls = Vec::new();
    for (id, canonical) in &l.resolved {
        let (Some(bom_ref), Some(placement), Some(st)) = (
            components[id.0].bom_ref.clone(),
            artifacts.get(canonical),
            statements.get(canonical).map_err(scratch)?,
        ) else {
            continue;
        };
        // Read back from JSON: declarations are opt-in, and rare.
        urls.push((bom_ref, links.placement(placement), st.statement()));
    }
    let subjects: Vec<decl::Subject<'_>> = urls
        .iter()
        .map(|(b, u, s)| decl::Subject {
            bom_ref: b,
            artifact_url: u,
            statement: s,
        })
        .collect();
    let (declarations, definitions) = decl::build(&subjects, &crate::tacos::timestamp(opts.now));
    Ok(vec![
        ("declarations".into(), declarations),
        ("definitions".into(), definitions),
    ])
}

/// The TACOS report for one document: its application and the statements
/// of its packages, in document order.
fn application_report<'s>(
    l: &Loaded,
    quoted: &'s [Cow<'_, StatementJson>],
    dir: &Path,
    opts: &Options,
    tool: &Tool,
) -> tacos::Report<&'s StatementJson> {
    let statements = quoted.iter().map(|s| s.as_ref()).collect();
    let mut author = format!("Tool: {}-{}", tool.name, tool.version);
    if let Some(org) = &opts.organization {
        author.push_str(&format!("; Organization: {org}"));
    }
    let location = match &opts.base_url {
        Some(b) => b.to_string(),
        None => {
            let rel = Links::new(dir, &l.output, None).url("");
            if rel.is_empty() { "./".into() } else { rel }
        }
    };
    tacos::Report {
        id: tacos::FRAMEWORK_ID.to_string(),
        location,
        author,
        role: "Attestor".into(),
        last_modified: crate::tacos::timestamp(opts.now),
        tacos_version: tacos::TACOS_VERSION.into(),
        application: l
            .summary
            .subject
            .clone()
            .unwrap_or_else(|| "unnamed application (the SBOM names no subject)".into()),
        statements,
    }
}

/// The statements a document's report quotes: each of its packages' once,
/// in document order (read back, if they were written out, for this
/// report alone).
fn quoted<'a>(
    l: &Loaded,
    statements: &'a Statements,
) -> Result<Vec<Cow<'a, StatementJson>>, EnrichError> {
    let mut seen = std::collections::HashSet::new();
    let mut quoted = Vec::new();
    for (_, canonical) in &l.resolved {
        if seen.insert(canonical.as_str())
            && let Some(s) = statements.get(canonical).map_err(scratch)?
        {
            quoted.push(s);
        }
    }
    Ok(quoted)
}

fn scratch(source: std::io::Error) -> EnrichError {
    EnrichError::Scratch { source }
}

/// Sign and write the report. Its subject is the application: its PURL (or
/// name) and the digests the SBOM records for it, else the digest of that
/// name, like a package's; not the SBOM's own bytes, which enriching changes.
fn sign_report(
    l: &Loaded,
    report: &tacos::Report<&StatementJson>,
    dir: &Path,
    signer: &dyn Signer,
    created: &mut Rollback,
) -> Result<(String, Sha256Hex), EnrichError> {
    let subject_component = l
        .sbom
        .components()
        .into_iter()
        .find(|c| c.role == Role::Subject);
    let name = subject_component
        .as_ref()
        .and_then(|c| c.purl.as_deref())
        .and_then(|p| Purl::parse(p).ok())
        .map(|p| p.to_string())
        .unwrap_or_else(|| report.application.clone());
    let hashes: Vec<(String, String)> = subject_component
        .map(|c| c.hashes.into_iter().map(|h| (h.alg, h.hex)).collect())
        .unwrap_or_default();
    let subject = Subject::for_package(&name, &hashes);
    // Streamed into a temporary file, renamed once its digest (and so its
    // name) is known: the report holds every package's statement again.
    let placeholder = dir.join(format!("report{}", attest::REPORT_SUFFIX));
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EnrichError::Write { path, source }
    };
    let mut file = AtomicFile::create_own(&placeholder).map_err(write_err(&placeholder))?;
    let (file_name, sha256) = attest::write_report_artifact(signer, subject, report, file.writer())
        .map_err(|source| match source {
            attest::AttestError::Write(e) => EnrichError::Write {
                path: placeholder.clone(),
                source: e,
            },
            source => EnrichError::Sign { purl: name, source },
        })?;
    let path = dir.join(&file_name);
    // Same name, same bytes: one already there is replaced by its equal
    // (a link or a pipe under that name is refused), and is not this run's
    // to take back.
    let existed = fs::symlink_metadata(&path).is_ok();
    file.commit_as(&path, true).map_err(write_err(&path))?;
    if !existed {
        created.file(path);
    }
    Ok((file_name, sha256))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fsutil::absolute(a), fsutil::absolute(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn load(
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
    fsutil::percent_decode(body)
        .split(['/', '\\'])
        .any(|s| s == "..")
}

/// Where one package's envelope went: its file, and in a bundle its line.
#[derive(Debug, Clone)]
struct Placement {
    file: String,
    /// The line (from 1) of a bundle that holds the envelope.
    line: Option<usize>,
    /// SHA-256 of the file, or of the line (without its line end).
    sha256: Sha256Hex,
}

/// Where each package's artifact went, by canonical PURL.
type Placed = HashMap<String, Placement>;

/// One package to sign: its canonical PURL and subject (its statement is
/// kept by canonical PURL).
type Job = (String, Subject);

/// What signing every package needs.
struct Signing<'a> {
    jobs: &'a [Job],
    statements: &'a Statements,
    dir: &'a Path,
    signer: &'a dyn Signer,
    reporter: &'a dyn Reporter,
}

/// Sign every job on all cores and hand each result, with the job's index,
/// to `take` on this thread (creating files in one directory from several
/// threads only makes them wait on the directory's lock). Workers take jobs
/// in order from a shared counter, so results arrive close to job order:
/// a bundle, written in job order, then holds only a few out of turn.
fn sign_all<T: Send>(
    signing: &Signing,
    sign: &(dyn Fn(Subject, &StatementJson) -> Result<T, attest::AttestError> + Sync),
    mut take: impl FnMut(usize, T) -> Result<(), EnrichError>,
) -> Result<(), EnrichError> {
    let Signing {
        jobs,
        statements,
        reporter,
        ..
    } = *signing;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<T, EnrichError>)>(256);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((canonical, subject)) = jobs.get(i) else {
                        return;
                    };
                    let signed = statements.get(canonical).map_err(scratch).and_then(|s| {
                        let s = s.expect("every package was given a statement before signing");
                        sign(subject.clone(), &s).map_err(|source| EnrichError::Sign {
                            purl: canonical.clone(),
                            source,
                        })
                    });
                    let failed = signed.is_err();
                    if tx.send((i, signed)).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Returning early drops the receiver, which stops the workers.
        for (n, (i, received)) in rx.into_iter().enumerate() {
            take(i, received?)?;
            if (n + 1).is_multiple_of(64) || n + 1 == jobs.len() {
                reporter.progress("signing", n + 1, jobs.len());
            }
        }
        Ok(())
    })
}

/// Sign every job and write one artifact file per package. Returns where
/// each went and how many files were (re)written.
fn write_files(signing: &Signing, created: &mut Rollback) -> Result<(Placed, usize), EnrichError> {
    let Signing {
        jobs, dir, signer, ..
    } = *signing;
    let mut placed = HashMap::with_capacity(jobs.len());
    let mut written = 0;
    let sign = |subject: Subject, statement: &StatementJson| {
        attest::build_artifact(signer, subject, statement)
    };
    sign_all(signing, &sign, |i, artifact: Artifact| {
        let path = dir.join(&artifact.file_name);
        match fsutil::write_content_addressed(&path, &artifact.bytes) {
            Ok(Written::New) => {
                created.file(path);
                written += 1;
            }
            Ok(Written::Replaced) => written += 1,
            Ok(Written::Unchanged) => {}
            Err(source) => return Err(EnrichError::Write { path, source }),
        }
        placed.insert(
            jobs[i].0.clone(),
            Placement {
                file: artifact.file_name,
                line: None,
                sha256: artifact.sha256,
            },
        );
        Ok(())
    })?;
    Ok((placed, written))
}

/// Sign every job into one attestation bundle: each envelope a line of
/// compact JSON, in job (canonical-PURL) order so the same input gives the
/// same file. It is named after its own SHA-256, so a later run into the
/// same directory never changes what earlier SBOMs reference, and written
/// to a temporary file renamed into place, so no reader sees half of it.
/// Returns where each envelope went, how many were written (none when the
/// same bundle was there already) and the bundle, if there was anything
/// to sign.
fn write_bundle(
    signing: &Signing,
    created: &mut Rollback,
) -> Result<(Placed, usize, Option<PathBuf>), EnrichError> {
    let Signing {
        jobs, dir, signer, ..
    } = *signing;
    if jobs.is_empty() {
        return Ok((HashMap::new(), 0, None));
    }
    // The real name depends on the content; this one only names the
    // temporary file.
    let placeholder = dir.join(format!(
        "{}{}",
        attest::BUNDLE_PREFIX.trim_end_matches('.'),
        attest::BUNDLE_SUFFIX
    ));
    let write_err = |source| EnrichError::Write {
        path: placeholder.clone(),
        source,
    };
    let mut file = AtomicFile::create_own(&placeholder).map_err(write_err)?;
    let mut hasher = Sha256::new();
    let mut digests: Vec<Sha256Hex> = Vec::with_capacity(jobs.len());
    // Signed out of turn, waiting for the lines before them.
    let mut waiting: BTreeMap<usize, (Vec<u8>, Sha256Hex)> = BTreeMap::new();
    let sign = |subject: Subject, statement: &StatementJson| {
        attest::build_bundle_line(signer, subject, statement)
    };
    sign_all(signing, &sign, |i, line| {
        waiting.insert(i, line);
        while let Some((bytes, sha)) = waiting.remove(&digests.len()) {
            let w = file.writer();
            w.write_all(&bytes)
                .and_then(|()| w.write_all(b"\n"))
                .map_err(write_err)?;
            hasher.update(&bytes);
            hasher.update(b"\n");
            digests.push(sha);
        }
        Ok(())
    })?;
    debug_assert_eq!(digests.len(), jobs.len());
    let digest = hex::encode(hasher.finalize());
    let name = format!(
        "{}{}{}",
        attest::BUNDLE_PREFIX,
        &digest[..16],
        attest::BUNDLE_SUFFIX
    );
    let path = dir.join(&name);
    // Same name, same bytes: a bundle already there is replaced by its
    // equal (atomically), and is not this run's to take back.
    let existed = fs::symlink_metadata(&path).is_ok();
    file.commit_as(&path, true)
        .map_err(|source| EnrichError::Write {
            path: path.clone(),
            source,
        })?;
    let written = if existed {
        0
    } else {
        created.file(path.clone());
        jobs.len()
    };
    let placed = jobs
        .iter()
        .zip(digests)
        .enumerate()
        .map(|(i, ((canonical, _), sha256))| {
            (
                canonical.clone(),
                Placement {
                    file: name.clone(),
                    line: Some(i + 1),
                    sha256,
                },
            )
        })
        .collect();
    Ok((placed, written, Some(path)))
}

/// Where one output SBOM finds the artifacts: under a base URL, or by a path
/// relative to the SBOM's own directory. That directory is resolved once:
/// resolving a path costs a system call per component, and a run links
/// thousands of artifacts.
enum Links<'a> {
    Base(String),
    Relative { from: PathBuf, dir: &'a Path },
}

impl<'a> Links<'a> {
    fn new(dir: &'a Path, output: &Path, base: Option<&Url>) -> Links<'a> {
        if let Some(base) = base {
            let mut s = base.as_str().to_string();
            if !s.ends_with('/') {
                s.push('/');
            }
            return Links::Base(s);
        }
        let from = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| fsutil::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
            .unwrap_or_else(|| fsutil::absolute(Path::new(".")).unwrap_or_default());
        Links::Relative { from, dir }
    }

    /// The URL of an artifact file.
    fn url(&self, file_name: &str) -> String {
        match self {
            Links::Base(base) => format!("{base}{file_name}"),
            Links::Relative { from, dir } => fsutil::relative_path(from, &dir.join(file_name))
                .components()
                .map(|c| encode_segment(&c.as_os_str().to_string_lossy()))
                .collect::<Vec<_>>()
                .join("/"),
        }
    }

    /// The URL of a package's envelope: its file's, and in a bundle `#L<line>`.
    fn placement(&self, p: &Placement) -> String {
        let mut url = self.url(&p.file);
        if let Some(line) = p.line {
            url.push_str(&format!("#L{line}"));
        }
        url
    }
}

/// Percent-encode a path segment for use in a relative URL.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@+!$&'()*,;=:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn write_document(
    l: &Loaded,
    artifacts: &Placed,
    report: Option<&(String, Sha256Hex)>,
    statements: &Statements,
    dir: &Path,
    opts: &Options,
    tool: &Tool,
    created: &mut Rollback,
) -> Result<(), EnrichError> {
    if let Some(parent) = l.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        created
            .create_dir_all(parent)
            .map_err(|source| EnrichError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
    }
    let links = Links::new(dir, &l.output, opts.base_url.as_ref());
    let component_refs = l
        .resolved
        .iter()
        .map(|(id, canonical)| {
            let placement = &artifacts[canonical];
            let sha = &placement.sha256;
            let envelope = match placement.line {
                Some(n) => format!("DSSE envelope on line {n} of a JSON Lines bundle"),
                None => "DSSE envelope".into(),
            };
            let reference = Reference {
                url: links.placement(placement),
                sha256: sha.to_string(),
                comment: format!(
                    "{REFERENCE_MARKER} for {canonical} (in-toto Statement v1, {envelope}; predicate {}); sha256:{sha}",
                    attest::PREDICATE_TYPE
                ),
            };
            (*id, reference)
        })
        .collect();
    let document_refs = report
        .map(|(file, sha)| Reference {
            url: links.url(file),
            sha256: sha.to_string(),
            comment: format!(
                "{REPORT_MARKER} for the application (TACOS v1.1 report, in-toto Statement v1, DSSE envelope; predicate {}); sha256:{sha}",
                attest::REPORT_PREDICATE_TYPE
            ),
        })
        .into_iter()
        .collect();
    let root_members = if opts.declarations {
        declarations(l, artifacts, statements, dir, opts)?
    } else {
        Vec::new()
    };
    let changes = Changes {
        root_members,
        document_refs,
        document_marker: REPORT_MARKER,
        spdx_document_reference_type: SPDX_REPORT_REFERENCE_TYPE,
        component_refs,
        tool,
        marker: REFERENCE_MARKER,
        spdx_reference_type: SPDX_REFERENCE_TYPE,
        cdx_reference_type: CDX_REFERENCE_TYPE,
        now: opts.now,
    };
    let edited = l.sbom.enrich(&changes);
    // The edits hold their own text now; the references need not stay
    // alive while the document is written (on large SBOMs, tens of MB).
    drop(changes);
    let write_err = |source| EnrichError::Write {
        path: l.output.clone(),
        source,
    };
    if l.output == Path::new(STDIO) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        return match edited.write_to(&mut out).and_then(|()| out.flush()) {
            // The reader went away (`| head`): what it wanted it has.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(write_err),
        };
    }
    let permissions = match opts.output {
        Output::InPlace => fs::metadata(&l.summary.input).ok().map(|m| m.permissions()),
        _ => None,
    };
    let mut file = AtomicFile::create(&l.output).map_err(write_err)?;
    edited.write_to(file.writer()).map_err(write_err)?;
    file.writer().flush().map_err(write_err)?;
    file.commit(true, permissions).map_err(write_err)?;
    Ok(())
}

impl DocSummary {
    /// The one-line summary printed at the end of a run.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} -> {}: {}, {} with PURL, {} written",
            self.input.display(),
            self.output.display(),
            crate::term::plural(self.components, "component", "components"),
            self.with_purl,
            crate::term::plural(self.references, "reference", "references")
        );
        if !self.skipped.is_empty() {
            let no_purl = self
                .skipped
                .iter()
                .filter(|s| s.reason == SkipReason::NoPurl)
                .count();
            let invalid = self.skipped.len() - no_purl;
            line.push_str(&format!(
                ", {} skipped ({no_purl} without PURL, {invalid} with an invalid PURL)",
                self.skipped.len()
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Artifact links from an SBOM: relative to the SBOM's directory (which
    /// need not exist yet), percent-encoded, or under a base URL with or
    /// without its final slash.
    #[test]
    fn links_are_relative_to_the_sbom_s_directory_or_under_the_base() {
        let root = tempfile::tempdir().unwrap();
        let root = fsutil::absolute(root.path()).unwrap();
        let dir = root.join("att");
        std::fs::create_dir(&dir).unwrap();
        let placement = |line| Placement {
            file: "npm_a b@1.json".into(),
            line,
            sha256: Sha256Hex::of(b""),
        };

        let beside = Links::new(&dir, &dir.join("a.json"), None);
        assert_eq!(beside.url("x.json"), "x.json");
        assert_eq!(beside.url(""), "");
        let below = Links::new(&dir, &root.join("out/deeper/a.json"), None);
        assert_eq!(below.url(""), "../../att");
        assert_eq!(
            below.placement(&placement(None)),
            "../../att/npm_a%20b@1.json"
        );
        assert_eq!(
            below.placement(&placement(Some(7))),
            "../../att/npm_a%20b@1.json#L7"
        );
        for base in ["https://example.test/att", "https://example.test/att/"] {
            let base = Url::parse(base).unwrap();
            let links = Links::new(&dir, &root.join("a.json"), Some(&base));
            assert_eq!(links.url("r.json"), "https://example.test/att/r.json");
        }
    }
}
