//! Where an SBOM is read from: a file, or standard input for `-`, which can
//! be read only once however many steps need it.

use std::fs;
use std::path::Path;

use super::{Sbom, SbomError};

/// The name that stands for standard input (as an input) and standard
/// output (as `-o`).
pub const STDIO: &str = "-";

/// Standard input, read once: a run may read its input more than once
/// (verify, then report), but stdin can be read only once.
static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();

/// The bytes of an input file, or of standard input for `-`.
pub fn input_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    if path != Path::new(STDIO) {
        return fs::read(path);
    }
    STDIN
        .get_or_init(|| {
            // Nobody types an SBOM: a terminal here means nothing was piped
            // in, and reading would wait without a word.
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err("standard input is a terminal, not an SBOM: pipe one in \
                            (tacos-sbom … - < bom.json) or name the file"
                    .to_string());
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(std::io::stdin().lock(), super::MAX_INPUT_BYTES),
                &mut bytes,
            )
            .map(|_| bytes)
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// Read an SBOM from a file, or from standard input for `-`.
pub fn read_sbom(path: &Path) -> Result<Sbom, SbomError> {
    read_sbom_with(path, &super::Limits::default())
}

/// [`read_sbom`] within `limits`.
pub fn read_sbom_with(path: &Path, limits: &super::Limits) -> Result<Sbom, SbomError> {
    if path != Path::new(STDIO) {
        return Sbom::read_with(path, limits);
    }
    let bytes = input_bytes(path).map_err(|source| SbomError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Sbom::from_bytes_with(path, bytes, limits)
}
