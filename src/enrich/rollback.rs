//! Taking back what a failed run wrote.

use std::fs;
use std::path::{Path, PathBuf};

/// Files and directories a run created. Unless `keep` is called, they are
/// removed again when this is dropped — on an error return and while a panic
/// unwinds alike — so a run that fails leaves no partial output behind.
/// Files that existed before the run are never listed, so never removed.
#[derive(Default)]
pub(super) struct Rollback {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    keep: bool,
}

impl Rollback {
    /// `fs::create_dir_all`, remembering each directory it creates.
    pub(super) fn create_dir_all(&mut self, dir: &Path) -> std::io::Result<()> {
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

    pub(super) fn file(&mut self, path: PathBuf) {
        self.files.push(path);
    }

    pub(super) fn keep(&mut self) {
        self.keep = true;
    }

    /// Take over what `other` created: taken back with this one's, or kept.
    pub(super) fn adopt(&mut self, mut other: Rollback) {
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
