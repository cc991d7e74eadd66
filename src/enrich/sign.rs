//! Signing: every package's statement on all cores, into one artifact file
//! each or one bundle of them all, and each application's report.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::links::{Placed, Placement};
use super::plan::Loaded;
use super::rollback::Rollback;
use super::{EnrichError, Reporter, Statements, scratch};
use crate::attest::{self, Artifact, Sha256Hex, Signer, Subject};
use crate::fsutil::{self, AtomicFile, Written};
use crate::purl::Purl;
use crate::sbom::Role;
use crate::tacos::{self, StatementJson};

/// How many signatures are timestamped (and logged) at once.
const TIMESTAMPING_THREADS: usize = 8;

/// One package to sign: its canonical PURL and subject (its statement is
/// kept by canonical PURL).
pub(super) type SignJob = (String, Subject);

/// What signing every package needs.
pub(super) struct Signing<'a> {
    pub(super) jobs: &'a [SignJob],
    pub(super) statements: &'a Statements,
    pub(super) dir: &'a Path,
    pub(super) signer: &'a dyn Signer,
    pub(super) reporter: &'a dyn Reporter,
    /// Each envelope bare, or in a Sigstore bundle (then perhaps
    /// timestamped).
    pub(super) wrap: attest::Wrap<'a>,
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
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // A timestamp or a log entry is a round trip to its service: more
    // threads wait on it than there are cores.
    let threads = match (signing.wrap.stamp, signing.wrap.log) {
        (None, None) => cores,
        _ => cores.max(TIMESTAMPING_THREADS),
    }
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
pub(super) fn write_files(
    signing: &Signing,
    created: &mut Rollback,
) -> Result<(Placed, usize), EnrichError> {
    let Signing {
        jobs,
        dir,
        signer,
        wrap,
        ..
    } = *signing;
    let mut placed = HashMap::with_capacity(jobs.len());
    let mut written = 0;
    let sign = |subject: Subject, statement: &StatementJson| {
        attest::build_artifact_in(wrap, signer, subject, statement)
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

/// Sign every job into one attestation bundle (a JSON Lines file; with
/// Sigstore bundles, each line is one): each artifact a line of
/// compact JSON, in job (canonical-PURL) order so the same input gives the
/// same file. It is named after its own SHA-256, so a later run into the
/// same directory never changes what earlier SBOMs reference, and written
/// to a temporary file renamed into place, so no reader sees half of it.
/// Returns where each envelope went, how many were written (none when the
/// same bundle was there already) and the bundle, if there was anything
/// to sign.
pub(super) fn write_bundle(
    signing: &Signing,
    created: &mut Rollback,
) -> Result<(Placed, usize, Option<PathBuf>), EnrichError> {
    let Signing {
        jobs,
        dir,
        signer,
        wrap,
        ..
    } = *signing;
    let form = wrap.form;
    if jobs.is_empty() {
        return Ok((HashMap::new(), 0, None));
    }
    // The real name depends on the content; this one only names the
    // temporary file.
    let placeholder = dir.join(format!(
        "{}{}",
        attest::BUNDLE_PREFIX.trim_end_matches('.'),
        form.lines_suffix()
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
        attest::build_bundle_line_in(wrap, signer, subject, statement)
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
        form.lines_suffix()
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

/// Sign and write the report. Its subject is the application: its PURL (or
/// name) and the digests the SBOM records for it, else the digest of that
/// name, like a package's; not the SBOM's own bytes, which enriching changes.
/// Or, when given, the image it is attached to.
pub(super) fn sign_report(
    l: &Loaded,
    report: &tacos::Report<&StatementJson>,
    dir: &Path,
    signer: &dyn Signer,
    wrap: attest::Wrap,
    image: Option<&Subject>,
    created: &mut Rollback,
) -> Result<(String, Sha256Hex), EnrichError> {
    let form = wrap.form;
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
    let subject = match image {
        Some(image) => image.clone(),
        None => Subject::for_package(&name, &hashes),
    };
    // Streamed into a temporary file, renamed once its digest (and so its
    // name) is known: the report holds every package's statement again.
    let placeholder = dir.join(format!("report{}", form.report_suffix()));
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EnrichError::Write { path, source }
    };
    let mut file = AtomicFile::create_own(&placeholder).map_err(write_err(&placeholder))?;
    let (file_name, sha256) =
        attest::write_report_artifact_in(wrap, signer, subject, report, file.writer()).map_err(
            |source| match source {
                attest::AttestError::Write(e) => EnrichError::Write {
                    path: placeholder.clone(),
                    source: e,
                },
                source => EnrichError::Sign { purl: name, source },
            },
        )?;
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
