//! The `package` job: the evidence bundle of an enriched SBOM, made only of
//! what verifies (with the same rules and flags as `verify`), written
//! atomically and never over a file the tool must not touch.

use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::attest::keychoice::KeySource;
use crate::bundle::{self, Packaged};
use crate::config::Config;
use crate::enrich::{self, EnrichError};
use crate::fsutil::{self, AtomicFile, ProtectedError};
use crate::sbom::{STDIO, SbomError};
use crate::{report, tacos, verify};

/// The name a bundle written to standard output is made for.
const STDOUT_NAME: &str = "tacos-evidence.tar.gz";

/// Why no bundle was written.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(transparent)]
    Sbom(#[from] SbomError),
    #[error("{} does not verify; no bundle written", input.display())]
    DoesNotVerify { input: PathBuf },
    /// An artifact the SBOM references cannot be bundled.
    #[error("{}: {why}", input.display())]
    Referenced {
        input: PathBuf,
        why: verify::Problem,
    },
    #[error(transparent)]
    Protected(#[from] ProtectedError),
    #[error(transparent)]
    Clock(#[from] EnrichError),
    /// The report could not be loaded (its module words why).
    #[error("{0}")]
    Report(report::load::LoadError),
    /// The bundle could not be made (its module words why).
    #[error("{0}")]
    Bundle(bundle::BundleError),
    /// Writing the bundle's bytes failed.
    #[error(transparent)]
    Io(std::io::Error),
    #[error("{}: cannot create the folder {} to write the bundle in: {source}", path.display(), dir.display())]
    Folder {
        path: PathBuf,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot write the bundle: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An enriched SBOM checked as `verify` checks it: bundled only if it passed.
/// Read once: the check, the report and the bundle all use what was read.
pub struct Checked<'a> {
    input: &'a Path,
    opts: &'a verify::Options,
    enriched: verify::Enriched,
    pub outcome: verify::Outcome,
}

impl Checked<'_> {
    /// Whether it verified, under the rules it was checked with.
    pub fn passed(&self) -> bool {
        self.outcome.passed(self.opts)
    }
}

/// Verify `input` with `opts` (the flags `verify` takes).
pub fn check<'a>(input: &'a Path, opts: &'a verify::Options) -> Result<Checked<'a>, PackageError> {
    let enriched = verify::Enriched::read(input, opts)?;
    Ok(Checked {
        input,
        opts,
        outcome: enriched.verify(),
        enriched,
    })
}

/// Bundle what `checked` verified, with the public key it was checked with
/// (else the one beside the artifacts), into `output` (`-`: nothing is
/// written; the caller writes the bytes). Dated `now`, else
/// [`enrich::now`]. No output may land on the input, `key_file`, an
/// artifact, or a signing key.
pub fn bundle(
    checked: &Checked,
    output: &Path,
    key_file: Option<&Path>,
    now: Option<OffsetDateTime>,
) -> Result<Packaged, PackageError> {
    let Checked {
        input,
        opts,
        ref enriched,
        ..
    } = *checked;
    if !checked.passed() {
        return Err(PackageError::DoesNotVerify {
            input: input.to_path_buf(),
        });
    }
    let files = enriched.files().map_err(|why| PackageError::Referenced {
        input: input.to_path_buf(),
        why,
    })?;
    let stdout = output == Path::new(STDIO);
    if !stdout {
        let inputs = [input]
            .into_iter()
            .chain(key_file)
            .chain(files.iter().map(PathBuf::as_path));
        enrich::setup::protected(
            &Config::default(),
            &Default::default(),
            &KeySource::any(),
            inputs,
        )
        .check(output)?;
    }
    let now = match now {
        Some(t) => t,
        None => enrich::now()?,
    };
    let loaded = report::load::from_enriched(enriched, &tacos::timestamp(now))
        .map_err(PackageError::Report)?;
    let key_pem = match (&opts.key, files.first()) {
        (Some(k), _) => Some(k.to_spki_pem().into_bytes()),
        (None, Some(f)) => fsutil::read_regular(
            &verify::key_beside(f.parent().unwrap_or(Path::new("."))),
            1 << 20,
        )
        .ok(),
        (None, None) => None,
    };
    let name = match stdout {
        true => Path::new(STDOUT_NAME),
        false => output,
    };
    let packaged =
        bundle::package(enriched, name, &files, key_pem, &loaded).map_err(PackageError::Bundle)?;
    if !stdout {
        let write_err = |source| PackageError::Write {
            path: output.to_path_buf(),
            source,
        };
        // As enrich and keygen do: a missing folder is made, and a failure
        // names the bundle, never reading as a missing input.
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| PackageError::Folder {
                path: output.to_path_buf(),
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        let mut f = AtomicFile::create(output).map_err(write_err)?;
        f.writer()
            .write_all(&packaged.bytes)
            .map_err(PackageError::Io)?;
        f.commit(true, None).map_err(write_err)?;
    }
    Ok(packaged)
}
