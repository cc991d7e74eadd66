//! Writing a run's outputs in order: the attestations directory, every
//! package's artifact, the public key, then each SBOM with its references
//! and its application's signed report. What a failed run wrote is taken
//! back ([`Rollback`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::links::{Links, Placed};
use super::plan::{Doc, Loaded, Package, Plan, default_attestations_dir, load};
use super::rollback::Rollback;
use super::sign::{SignJob, Signing, sign_report, write_bundle, write_files};
use super::{
    EnrichError, MAX_LINES_PER_INPUT, Options, Output, Reporter, Statements, Summary, scratch, tool,
};
use crate::assess;
use crate::attest::reference::{
    CDX_REFERENCE_TYPE, PUBLIC_KEY_FILE, REFERENCE_MARKER, REPORT_MARKER, SPDX_REFERENCE_TYPE,
    SPDX_REPORT_REFERENCE_TYPE,
};
use crate::attest::{self, Sha256Hex, Signer, Subject};
use crate::config::Layout;
use crate::fsutil::{self, AtomicFile};
use crate::sbom::{Changes, ComponentId, Edited, Format, Reference, STDIO, Tool};
use crate::tacos::{self, StatementJson};

/// What every step of writing needs, fixed for the run.
struct Ctx<'a> {
    /// The attestations directory, absolute.
    dir: &'a Path,
    opts: &'a Options,
    limits: &'a crate::sbom::Limits,
    tool: &'a Tool,
    signer: &'a dyn Signer,
    /// Timestamps each signature of a Sigstore bundle, when given.
    stamp: Option<&'a dyn attest::Timestamper>,
    /// Enters each Sigstore bundle's envelope in a transparency log, when given.
    log: Option<&'a dyn attest::TransparencyLog>,
    reporter: &'a dyn Reporter,
}

impl<'a> Ctx<'a> {
    fn wrap(&self) -> attest::Wrap<'a> {
        attest::Wrap {
            form: self.opts.envelope,
            stamp: self.stamp,
            log: self.log,
        }
    }
}

/// A signed report's file name and digest, or why it could not be signed.
type SignedReport = (String, Sha256Hex);

/// Sign and write every package's statement (a package without one gets a
/// statement of only what the SBOM establishes), then write each SBOM.
pub fn execute(
    plan: Plan,
    statements: Statements,
    opts: &Options,
    signer: &dyn Signer,
    reporter: &dyn Reporter,
) -> Result<Summary, EnrichError> {
    execute_stamped(plan, statements, opts, signer, None, None, reporter)
}

/// [`execute`], each Sigstore bundle's signature timestamped by `stamp`
/// and its envelope entered in `log`, when given.
pub fn execute_stamped(
    plan: Plan,
    mut statements: Statements,
    opts: &Options,
    signer: &dyn Signer,
    stamp: Option<&dyn attest::Timestamper>,
    log: Option<&dyn attest::TransparencyLog>,
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
    // Everything created from here on is taken back if the run fails.
    let mut created = Rollback::default();
    let dir = attestations_dir(&docs, opts, reporter, &mut created)?;
    complete(&packages, &releases, &mut statements)?;
    let jobs: Vec<SignJob> = packages
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
    let tool = tool();
    let ctx = Ctx {
        dir: &dir,
        opts,
        limits: &limits,
        tool: &tool,
        signer,
        stamp,
        log,
        reporter,
    };
    let (signed, early_report) = sign_packages(&ctx, &docs, &jobs, &statements, &mut created);
    let (artifacts, written, bundle) = signed?;
    if let Some(b) = &bundle {
        reporter.note(&match opts.envelope {
            attest::Form::Dsse => format!("attestation bundle: {}", b.display()),
            attest::Form::SigstoreBundle => {
                format!("JSON Lines file of Sigstore bundles: {}", b.display())
            }
        });
    }
    summary.bundle = bundle;
    summary.artifacts_written = written;
    summary.public_key = write_public_key(&ctx, &mut created)?;
    summary.attestations_dir = Some(dir.clone());
    drop(jobs);
    write_documents(
        &ctx,
        docs,
        &artifacts,
        early_report,
        statements,
        &mut summary,
        &mut created,
    )?;
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

/// Create the attestations directory (`--attestations-dir`, else beside the
/// first output) and clear it, and each output's directory, of what killed
/// runs left half-written. Returns it as an absolute path.
fn attestations_dir(
    docs: &[Doc],
    opts: &Options,
    reporter: &dyn Reporter,
    created: &mut Rollback,
) -> Result<PathBuf, EnrichError> {
    let dir = match &opts.attestations_dir {
        Some(d) => d.clone(),
        None => default_attestations_dir(&docs[0].output),
    };
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
    Ok(dir)
}

/// Give every package not assessed a statement of only what the SBOMs
/// establish, then seal the statements for reading.
fn complete(
    packages: &BTreeMap<String, Package>,
    releases: &HashMap<String, BTreeSet<String>>,
    statements: &mut Statements,
) -> Result<(), EnrichError> {
    let unassessed = assess::not_assessed();
    for (canonical, p) in packages {
        if !statements.contains(canonical) {
            let in_use = releases
                .get(&p.purl.package_id())
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            let statement = assess::identity(&p.purl, in_use, &unassessed);
            statements.insert(canonical.clone(), StatementJson::new(&statement));
        }
    }
    statements.seal().map_err(scratch)
}

/// What signing the packages gave: where each artifact went, how many were
/// (re)written and the bundle, if any.
type Signed = Result<(Placed, usize, Option<PathBuf>), EnrichError>;

/// Sign every package into its artifact file or the bundle. One SBOM's
/// report needs only the statements, not the artifacts: it is signed on a
/// thread of its own meanwhile, instead of on one core after them (with
/// many SBOMs, each is read again for its report, after signing). The
/// report's file is this run's to take back if anything fails.
fn sign_packages(
    ctx: &Ctx,
    docs: &[Doc],
    jobs: &[SignJob],
    statements: &Statements,
    created: &mut Rollback,
) -> (Signed, Option<Result<SignedReport, EnrichError>>) {
    let attestations = if jobs.len() == 1 {
        "attestation"
    } else {
        "attestations"
    };
    ctx.reporter.note(&match ctx.opts.envelope {
        attest::Form::Dsse => format!(
            "signing {} {attestations} into {}{}",
            jobs.len(),
            if ctx.opts.layout == Layout::Bundle {
                "one bundle in "
            } else {
                ""
            },
            ctx.dir.display()
        ),
        attest::Form::SigstoreBundle => format!(
            "signing {} {attestations} as Sigstore bundles into {}{}",
            jobs.len(),
            if ctx.opts.layout == Layout::Bundle {
                "one JSON Lines file in "
            } else {
                ""
            },
            ctx.dir.display()
        ),
    });
    let early = match docs {
        [doc] => doc
            .kept
            .as_ref()
            .filter(|l| l.sbom.can_hold_document_reference()),
        _ => None,
    };
    let (signed, early_report) = std::thread::scope(|scope| {
        let report = early.map(|l| {
            scope.spawn(move || {
                let mut mine = Rollback::default();
                let signed = quoted(l, statements).and_then(|quoted| {
                    let report = application_report(l, &quoted, ctx);
                    sign_report(
                        l,
                        &report,
                        ctx.dir,
                        ctx.signer,
                        ctx.wrap(),
                        ctx.opts.report_subject.as_ref(),
                        &mut mine,
                    )
                });
                (signed, mine)
            })
        });
        let signing = Signing {
            jobs,
            statements,
            dir: ctx.dir,
            signer: ctx.signer,
            reporter: ctx.reporter,
            wrap: ctx.wrap(),
        };
        let signed = match ctx.opts.layout {
            Layout::Files => write_files(&signing, created).map(|(p, w)| (p, w, None)),
            Layout::Bundle => write_bundle(&signing, created),
        };
        let report = report.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (signed, report)
    });
    let early_report = early_report.map(|(signed, mine)| {
        created.adopt(mine);
        signed
    });
    (signed, early_report)
}

/// Write the signer's public key beside the artifacts, if it has one to
/// show (a key already there with the same bytes is left as it is).
fn write_public_key(ctx: &Ctx, created: &mut Rollback) -> Result<Option<PathBuf>, EnrichError> {
    let Some(pem) = ctx.signer.public_key_pem() else {
        return Ok(None);
    };
    let key_path = ctx.dir.join(PUBLIC_KEY_FILE);
    let existed = fs::symlink_metadata(&key_path).is_ok();
    fsutil::write_if_changed(&key_path, pem.as_bytes()).map_err(|source| EnrichError::Write {
        path: key_path.clone(),
        source,
    })?;
    if !existed {
        created.file(key_path.clone());
    }
    Ok(Some(key_path))
}

/// Write each SBOM with its references, signing its application's report
/// first (the one signed early, for a single SBOM). An input that cannot
/// be read again, or changed since it was first read, or cannot be
/// written is a failure of its own; the others are still written.
fn write_documents(
    ctx: &Ctx,
    docs: Vec<Doc>,
    artifacts: &Placed,
    mut early_report: Option<Result<SignedReport, EnrichError>>,
    mut statements: Statements,
    summary: &mut Summary,
    created: &mut Rollback,
) -> Result<(), EnrichError> {
    let total = docs.len();
    let chatty = total <= MAX_LINES_PER_INPUT;
    if !chatty {
        ctx.reporter.note(&format!("writing {total} SBOMs"));
    }
    for (n, doc) in docs.into_iter().enumerate() {
        if !chatty {
            ctx.reporter.progress("writing", n + 1, total);
        }
        let mut l = match reread(doc, ctx.limits) {
            Ok(l) => l,
            Err(e) => {
                summary.failures.push(e);
                continue;
            }
        };
        let placed = match l.sbom.can_hold_document_reference() {
            true if early_report.is_some() => early_report.take().transpose()?,
            true => {
                let quoted = quoted(&l, &statements)?;
                let report = application_report(&l, &quoted, ctx);
                Some(sign_report(
                    &l,
                    &report,
                    ctx.dir,
                    ctx.signer,
                    ctx.wrap(),
                    ctx.opts.report_subject.as_ref(),
                    created,
                )?)
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
            l.summary.report = Some(ctx.dir.join(file));
        }
        // The last report is signed: unless declarations quote them or the
        // known vulnerabilities are written from them, the statements (~6 KB
        // a package) need not stay while it is written.
        if n + 1 == total && !ctx.opts.declarations && !ctx.opts.vulnerabilities {
            statements = Statements::default();
        }
        match write_document(&l, artifacts, placed.as_ref(), &statements, ctx, created) {
            Ok(()) => summary.documents.push(l.summary),
            Err(e) => summary.failures.push(e),
        }
    }
    Ok(())
}

/// The document of `doc`: the one kept since it was read, else read again,
/// and refused if its bytes are not those read first.
fn reread(doc: Doc, limits: &crate::sbom::Limits) -> Result<Loaded, EnrichError> {
    match doc.kept {
        Some(l) => Ok(l),
        None => match load(&doc.input, doc.output.clone(), limits, &|_| {})? {
            (l, digest) if digest == doc.digest => Ok(l),
            _ => Err(EnrichError::Changed { path: doc.input }),
        },
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
    use super::declarations as decl;
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

/// `vulnerabilities[]` entries for a CycloneDX document (1.4 and later;
/// the XML writer renders the same entries as elements): each vulnerability known in a version in use, by OSV id, its
/// aliases as references, affecting each component (by `bom-ref`) of that
/// version. A pair the document already records — an entry naming the id
/// or one of its aliases and affecting that component — is left to it, so
/// every analysis an author wrote stays theirs and a second run adds
/// nothing. Components without a `bom-ref` cannot be named, so are left out.
fn known_vulnerabilities(
    l: &Loaded,
    statements: &Statements,
) -> Result<Vec<serde_json::Value>, EnrichError> {
    use serde_json::json;
    let cyclonedx = match l.sbom.format() {
        Format::CycloneDxJson(v) | Format::CycloneDxXml(v) => v,
        _ => return Ok(Vec::new()),
    };
    if cyclonedx < crate::sbom::CdxVersion::V1_4 {
        return Ok(Vec::new());
    }
    let recorded = l.sbom.recorded_vulnerabilities();
    let web = crate::sources::osv::web_base();
    let source = |id: &str| json!({"name": "OSV", "url": format!("{}/vulnerability/{id}", web.trim_end_matches('/'))});
    // By id, in first-seen order: its aliases and the components it affects.
    let mut found: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let components = l.sbom.components();
    for (id, canonical) in &l.resolved {
        let Some(bom_ref) = components[id.0].bom_ref.clone() else {
            continue;
        };
        let Some(st) = statements.get(canonical).map_err(scratch)? else {
            continue;
        };
        for (vuln, aliases) in crate::report::vulns::in_use(&st.statement()).found {
            let mut names = vec![vuln.clone()];
            names.extend(aliases.iter().cloned());
            if recorded.records(&names, &bom_ref) {
                continue;
            }
            match at.get(&vuln) {
                Some(&n) => {
                    let refs = &mut found[n].2;
                    if refs.last() != Some(&bom_ref) && !refs.contains(&bom_ref) {
                        refs.push(bom_ref.clone());
                    }
                }
                None => {
                    at.insert(vuln.clone(), found.len());
                    found.push((vuln, aliases, vec![bom_ref.clone()]));
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|(id, aliases, refs)| {
            let mut v = json!({
                "id": id,
                "source": source(&id),
                "affects": refs.iter().map(|r| json!({"ref": r})).collect::<Vec<_>>(),
            });
            if !aliases.is_empty() {
                v["references"] = aliases
                    .iter()
                    .map(|a| json!({"id": a, "source": source(a)}))
                    .collect();
            }
            v
        })
        .collect())
}

/// The TACOS report for one document: its application and the statements
/// of its packages, in document order.
fn application_report<'s>(
    l: &Loaded,
    quoted: &'s [Cow<'_, StatementJson>],
    ctx: &Ctx,
) -> tacos::Report<&'s StatementJson> {
    let Ctx {
        dir, opts, tool, ..
    } = *ctx;
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

fn write_document(
    l: &Loaded,
    artifacts: &Placed,
    report: Option<&SignedReport>,
    statements: &Statements,
    ctx: &Ctx,
    created: &mut Rollback,
) -> Result<(), EnrichError> {
    let Ctx {
        dir, opts, tool, ..
    } = *ctx;
    if let Some(parent) = l.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        created
            .create_dir_all(parent)
            .map_err(|source| EnrichError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
    }
    let links = Links::new(dir, &l.output, opts.base_url.as_ref());
    let root_members = if opts.declarations {
        declarations(l, artifacts, statements, dir, opts)?
    } else {
        Vec::new()
    };
    let vulnerabilities = if opts.vulnerabilities {
        known_vulnerabilities(l, statements)?
    } else {
        Vec::new()
    };
    let changes = Changes {
        vulnerabilities,
        root_members,
        document_refs: report
            .map(|r| report_reference(r, &links, opts.envelope))
            .into_iter()
            .collect(),
        document_marker: REPORT_MARKER,
        spdx_document_reference_type: SPDX_REPORT_REFERENCE_TYPE,
        component_refs: component_references(l, artifacts, &links, opts.envelope),
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
    save(l, &edited, opts)
}

/// Each resolved component's reference to its package's envelope.
fn component_references(
    l: &Loaded,
    artifacts: &Placed,
    links: &Links,
    form: attest::Form,
) -> Vec<(ComponentId, Reference)> {
    l.resolved
        .iter()
        .map(|(id, canonical)| {
            let placement = &artifacts[canonical];
            let sha = &placement.sha256;
            let envelope = match (form, placement.line) {
                (attest::Form::Dsse, Some(n)) => {
                    format!("DSSE envelope on line {n} of a JSON Lines bundle")
                }
                (attest::Form::Dsse, None) => "DSSE envelope".into(),
                (attest::Form::SigstoreBundle, Some(n)) => format!(
                    "DSSE envelope in a Sigstore bundle v0.3 on line {n} of a JSON Lines file"
                ),
                (attest::Form::SigstoreBundle, None) => {
                    "DSSE envelope in a Sigstore bundle v0.3".into()
                }
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
        .collect()
}

/// The document's reference to its application's signed report.
fn report_reference((file, sha): &SignedReport, links: &Links, form: attest::Form) -> Reference {
    let envelope = match form {
        attest::Form::Dsse => "DSSE envelope",
        attest::Form::SigstoreBundle => "DSSE envelope in a Sigstore bundle v0.3",
    };
    Reference {
        url: links.url(file),
        sha256: sha.to_string(),
        comment: format!(
            "{REPORT_MARKER} for the application (TACOS v1.1 report, in-toto Statement v1, {envelope}; predicate {}); sha256:{sha}",
            attest::REPORT_PREDICATE_TYPE
        ),
    }
}

/// Write the enriched document: to standard output, or atomically to its
/// file (over the input with `--in-place`, keeping its permissions).
fn save(l: &Loaded, edited: &Edited, opts: &Options) -> Result<(), EnrichError> {
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
