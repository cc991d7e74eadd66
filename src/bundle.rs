//! The evidence bundle: an enriched SBOM with every artifact it references,
//! the application report, the summary (Markdown and HTML), the CISA form
//! mapping, the public key, `SHA256SUMS` and a manifest, as a reproducible
//! `.tar.gz` (sorted entries, fixed times and owners, no absolute or parent
//! paths, so unpacking never writes outside its folder).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::attest::Sha256Hex;
use crate::report::Summary;
use crate::verify::Enriched;

/// Why a bundle was not made: a path refused in it, a file not read, or
/// the archive not written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{folder:?} is not a plain folder name")]
    Folder { folder: String },
    #[error("refusing the path {path:?} in a bundle")]
    Path { path: String },
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Archive(std::io::Error),
}

/// One file of the bundle, by its path inside the bundle's folder.
pub struct Entry {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Whether a path is safe inside an archive: relative, plain segments only.
fn safe(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0', ':']))
}

/// Build the archive bytes. `mtime` (Unix seconds) is every entry's time.
pub fn build(
    folder: &str,
    mut entries: Vec<Entry>,
    summary: &Summary,
    mtime: u64,
) -> Result<Vec<u8>, BundleError> {
    if !safe(folder) || folder.contains('/') {
        return Err(BundleError::Folder {
            folder: folder.to_string(),
        });
    }
    for e in &entries {
        if !safe(&e.path) {
            return Err(BundleError::Path {
                path: e.path.clone(),
            });
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries.dedup_by(|a, b| a.path == b.path);
    let sums: String = entries
        .iter()
        .map(|e| format!("{}  {}\n", Sha256Hex::of(&e.bytes), e.path))
        .collect();
    let manifest = json!({
        "tool": format!("tacos-sbom {}", env!("CARGO_PKG_VERSION")),
        "application": summary.application,
        "created": summary.generated,
        "packages": summary.packages,
        "files": entries.iter().map(|e| json!({"path": e.path, "bytes": e.bytes.len(), "sha256": Sha256Hex::of(&e.bytes).to_string()})).collect::<Vec<_>>(),
    });
    entries.push(Entry {
        path: "SHA256SUMS".into(),
        bytes: sums.into_bytes(),
    });
    entries.push(Entry {
        path: "manifest.json".into(),
        bytes: format!(
            "{}\n",
            serde_json::to_string_pretty(&manifest).expect("serializes")
        )
        .into_bytes(),
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut dirs: Vec<String> = vec![folder.to_string()];
    for e in &entries {
        let mut parts: Vec<&str> = e.path.split('/').collect();
        parts.pop();
        let mut prefix = folder.to_string();
        for p in parts {
            prefix = format!("{prefix}/{p}");
            if !dirs.contains(&prefix) {
                dirs.push(prefix.clone());
            }
        }
    }
    dirs.sort();
    let io = BundleError::Archive;
    for d in &dirs {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_mtime(mtime);
        h.set_size(0);
        tar.append_data(&mut h, format!("{d}/"), std::io::empty())
            .map_err(io)?;
    }
    for e in &entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_size(e.bytes.len() as u64);
        tar.append_data(&mut h, format!("{folder}/{}", e.path), e.bytes.as_slice())
            .map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    let mut bytes = gz.finish().map_err(io)?;
    bytes.flush().map_err(io)?;
    Ok(bytes)
}

/// A bundle made: its bytes, the folder it unpacks into, and how many
/// artifacts it holds.
pub struct Packaged {
    pub bytes: Vec<u8>,
    pub folder: String,
    pub artifacts: usize,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Put an enriched SBOM (already verified: the bytes that were checked,
/// not the file read again), the artifacts it references (`files`), the
/// public key and the summaries together, the summaries linking to the
/// artifacts as they lie in the bundle.
pub fn package(
    sbom: &Enriched,
    output: &Path,
    files: &[PathBuf],
    key_pem: Option<Vec<u8>>,
    loaded: &crate::report::load::Loaded,
) -> Result<Packaged, BundleError> {
    let sbom_name = match file_name(sbom.path()) {
        n if n.is_empty() || n == crate::sbom::STDIO => "sbom.json".to_string(),
        n => n,
    };
    let mut entries = vec![Entry {
        path: format!("sbom/{sbom_name}"),
        bytes: sbom.bytes(),
    }];
    for f in files {
        // What the SBOM references, not what the user named: regular files only.
        let bytes =
            crate::fsutil::read_regular(f, crate::verify::MAX_BUNDLE_BYTES).map_err(|source| {
                BundleError::Read {
                    path: f.to_path_buf(),
                    source,
                }
            })?;
        entries.push(Entry {
            path: format!("attestations/{}", file_name(f)),
            bytes,
        });
    }
    if let Some(pem) = key_pem {
        entries.push(Entry {
            path: crate::attest::reference::PUBLIC_KEY_FILE.into(),
            bytes: pem,
        });
    }
    let summary = loaded.summary(|p| format!("attestations/{}", file_name(p)));
    entries.push(Entry {
        path: "summary.md".into(),
        bytes: crate::report::render_markdown(&summary).into_bytes(),
    });
    entries.push(Entry {
        path: "summary.html".into(),
        bytes: crate::report::render_html(&summary).into_bytes(),
    });
    entries.push(Entry {
        path: "summary.json".into(),
        bytes: crate::report::render_json(&summary).into_bytes(),
    });
    entries.push(Entry {
        path: "cisa-mapping.json".into(),
        bytes: format!(
            "{}\n",
            serde_json::to_string_pretty(&summary.cisa).expect("serializes")
        )
        .into_bytes(),
    });
    let mtime = time::OffsetDateTime::parse(
        &loaded.report.last_modified,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.unix_timestamp().max(0) as u64)
    .unwrap_or(0);
    let folder = folder_name(output);
    let bytes = build(&folder, entries, &summary, mtime)?;
    Ok(Packaged {
        bytes,
        folder,
        artifacts: files.len(),
    })
}

/// The bundle's folder name from its file name: `evidence.tar.gz` → `evidence`.
pub fn folder_name(output: &Path) -> String {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".tar.gz")
        .or_else(|| name.strip_suffix(".tgz"))
        .unwrap_or(&name);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_matches('.').to_string();
    if clean.is_empty() {
        "tacos-evidence".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_escape_are_refused() {
        for bad in ["../x", "/etc/passwd", "a/../b", "a//b", "", "c:\\x", "."] {
            assert!(!safe(bad), "{bad}");
        }
        assert!(safe(
            "attestations/npm_@babel_core@7.0.0.abc.tacos.dsse.json"
        ));
        assert_eq!(folder_name(Path::new("out/evidence.tar.gz")), "evidence");
        assert_eq!(folder_name(Path::new("..tgz")), "tacos-evidence");
    }
}
