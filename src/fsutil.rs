//! File writing that never leaves a half-written file behind, and path helpers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside `target` that becomes `target` on `commit`, and is
/// removed if dropped before that.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty());
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let temp_name = format!(
            ".{}.tmp-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let temp = match dir {
            Some(d) => d.join(temp_name),
            None => PathBuf::from(temp_name),
        };
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("writer is present until commit")
    }

    /// Flush, optionally fsync, copy `permissions` if given, and rename over the target.
    pub fn commit(mut self, sync: bool, permissions: Option<fs::Permissions>) -> io::Result<()> {
        let writer = self.writer.take().expect("commit is called once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        }
        if sync {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Write `bytes` to `target` atomically, unless it already holds exactly them.
/// Returns whether the file was written.
pub fn write_if_changed(target: &Path, bytes: &[u8]) -> io::Result<bool> {
    if let Ok(existing) = fs::read(target)
        && existing == bytes
    {
        return Ok(false);
    }
    let mut f = AtomicFile::create(target)?;
    f.writer().write_all(bytes)?;
    f.commit(false, None)?;
    Ok(true)
}

/// Write a file whose name is derived from its content. A new file is written
/// in place (one directory operation, which matters for thousands of
/// artifacts); an interrupted write leaves bytes that differ from the content,
/// which the next run finds and replaces atomically. Returns whether it wrote.
pub fn write_content_addressed(target: &Path, bytes: &[u8]) -> io::Result<bool> {
    match OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(mut f) => {
            f.write_all(bytes)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => write_if_changed(target, bytes),
        Err(e) => Err(e),
    }
}

/// An absolute, normalized form of `path` (symlinks in existing parents are
/// resolved; the final part need not exist).
pub fn absolute(path: &Path) -> io::Result<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Ok(p);
    }
    let abs = std::path::absolute(path)?;
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => Ok(absolute(parent)?.join(name)),
        _ => Ok(abs),
    }
}

/// The relative path from directory `from` to `to`; both absolute and normalized.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part.as_os_str());
    }
    out
}

/// Whether `path` lies inside directory `dir`; both absolute and normalized.
pub fn is_within(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}

/// Percent-decode `s`; invalid escapes stay as written, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        if let (b'%', Some(hi), Some(lo)) = (bytes[i], hex(i + 1), hex(i + 2)) {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b%2F%2e%2E%zz%"), "a@b/..%zz%");
    }

    #[test]
    fn relative_paths() {
        let r = relative_path(Path::new("/a/b"), Path::new("/a/b/c/d.json"));
        assert_eq!(r, Path::new("c/d.json"));
        let r = relative_path(Path::new("/a/b/x"), Path::new("/a/c/d.json"));
        assert_eq!(r, Path::new("../../c/d.json"));
    }

    #[test]
    fn atomic_file_is_removed_when_not_committed() {
        let dir = std::env::temp_dir().join(format!("tacos-fsutil-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.json");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.writer().write_all(b"partial").unwrap();
        }
        assert!(fs::read_dir(&dir).unwrap().next().is_none());
        let mut f = AtomicFile::create(&target).unwrap();
        f.writer().write_all(b"whole").unwrap();
        f.commit(true, None).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"whole");
        assert!(!write_if_changed(&target, b"whole").unwrap());
        assert!(write_if_changed(&target, b"new").unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }
}
