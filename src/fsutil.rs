//! File writing that never leaves a half-written file behind, and path helpers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside `target` that becomes `target` on `commit`, and is
/// removed on every other path: dropped before `commit`, or `commit` failing.
///
/// A target that is a symbolic link is written through: the file it points
/// to is replaced and the link stays. A target that exists and is neither a
/// file nor a directory (`/dev/null`, a named pipe, a terminal) is written
/// into directly: renaming a file over it would put a file in its place.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
    /// Whether the temporary file still exists and is ours to remove.
    pending: bool,
    /// Writing straight into a special file: no temporary file, no rename.
    direct: bool,
}

impl AtomicFile {
    /// A temporary file with the default mode (0666 less the umask).
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        AtomicFile::create_mode(target, None)
    }

    /// A file this tool names itself inside a directory (an artifact, a
    /// report, the public key beside them): never written through a link or
    /// into a special file someone put under that name, which would write
    /// outside the directory. Such a name is refused, naming it; a regular
    /// file there is replaced by the rename, which never follows a link.
    pub fn create_own(target: &Path) -> io::Result<AtomicFile> {
        refuse_unless_regular(target)?;
        AtomicFile::create_at(target, None)
    }

    /// A temporary file that only its owner can read or write (0600 on Unix),
    /// from the moment it exists: for private keys, which must never be
    /// readable by others, not even while being written.
    pub fn create_private(target: &Path) -> io::Result<AtomicFile> {
        AtomicFile::create_mode(target, Some(0o600))
    }

    fn create_mode(target: &Path, mode: Option<u32>) -> io::Result<AtomicFile> {
        let (target, special) = write_target(target)?;
        let target = target.as_ref();
        if !special {
            return AtomicFile::create_at(target, mode);
        }
        if mode.is_some() {
            // A private key goes only into a file made for it, 0600.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file; a private key is written only to a new or regular file",
            ));
        }
        let file = OpenOptions::new().write(true).open(target)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp: target.to_path_buf(),
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            pending: false,
            direct: true,
        })
    }

    /// The temporary file beside `target`, taken as it is (no link resolved).
    fn create_at(target: &Path, mode: Option<u32>) -> io::Result<AtomicFile> {
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
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let file = options.open(&temp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            pending: true,
            direct: false,
        })
    }

    /// Where the bytes are written until `commit`.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("writer is present until commit")
    }

    /// Flush, optionally fsync, copy `permissions` if given, and rename over the target.
    pub fn commit(mut self, sync: bool, permissions: Option<fs::Permissions>) -> io::Result<()> {
        if self.direct {
            // Not ours to sync or to change the mode of: only flushed.
            return self.finish(false, None);
        }
        self.finish(sync, permissions)?;
        fs::rename(&self.temp, &self.target)?;
        self.pending = false;
        Ok(())
    }

    /// Like `commit`, to another name in the same directory: for a file
    /// named after its content, whose name is known only once it is written.
    pub fn commit_as(mut self, target: &Path, sync: bool) -> io::Result<()> {
        if self.direct {
            return Err(not_renamed(&self.target));
        }
        // The name is this tool's own (a report or bundle named after its
        // digest): whatever else stands there is refused, not replaced.
        refuse_unless_regular(target)?;
        self.target = target.to_path_buf();
        self.commit(sync, None)
    }

    /// Like `commit`, but never replaces an existing target: fails with
    /// `AlreadyExists` instead, even if another process created it meanwhile.
    pub fn commit_new(mut self, sync: bool) -> io::Result<()> {
        if self.direct {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists (and is not a regular file)",
            ));
        }
        self.finish(sync, None)?;
        // A hard link is created atomically and only where nothing exists.
        match fs::hard_link(&self.temp, &self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            // File systems without hard links: check, then rename.
            Err(_) => {
                if fs::symlink_metadata(&self.target).is_ok() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "the file exists",
                    ));
                }
                fs::rename(&self.temp, &self.target)?;
                self.pending = false;
                return Ok(());
            }
        }
        // The target holds the bytes now; the temporary name goes.
        self.pending = false;
        let _ = fs::remove_file(&self.temp);
        Ok(())
    }

    fn finish(&mut self, sync: bool, permissions: Option<fs::Permissions>) -> io::Result<()> {
        let writer = self.writer.take().expect("commit is called once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        }
        if sync {
            file.sync_all()?;
        }
        Ok(())
    }
}

/// Where writing `target` puts the bytes, as `AtomicFile` writes it: the
/// file a symbolic link points to (a link to nothing is an error), and
/// whether that is an existing special file (a device, a pipe) written into
/// directly rather than replaced from a temporary file beside it.
pub fn write_target(target: &Path) -> io::Result<(std::borrow::Cow<'_, Path>, bool)> {
    let target = match fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            std::borrow::Cow::Owned(fs::canonicalize(target).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("a symbolic link to nothing that can be written: {e}"),
                )
            })?)
        }
        _ => std::borrow::Cow::Borrowed(target),
    };
    let special = fs::metadata(&target).is_ok_and(|m| !m.is_file() && !m.is_dir());
    Ok((target, special))
}

/// What kind of thing stands at a path, in words, for messages.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Refuse a name that exists as anything but a regular file (a link is
/// not followed to see what it points at). A missing name is fine.
fn refuse_unless_regular(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, where this tool writes a file of its own; refusing to write through it (remove it if it is not meant to be there)",
                path.display(),
                kind_of(&m)
            ),
        )),
        _ => Ok(()),
    }
}

/// Open `path` for reading only if it is a regular file. A named pipe, a
/// device or a socket standing where a file should be is refused, naming
/// it, and never waited on: it is opened without blocking, then checked.
/// For files that come with evidence (artifacts, bundles, keys beside
/// them, published reports), never for an input the user named, which may
/// be a pipe on purpose.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO without a writer would block forever.
        // It changes nothing for reading a regular file.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, not a regular file",
                path.display(),
                kind_of(&meta)
            ),
        ));
    }
    Ok(file)
}

/// The bytes of the regular file at `path` (see [`open_regular`]), at most
/// `max` of them: a larger file is an error.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {max} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

/// Create `dir` and its missing parents 0700 (on Unix): directories made
/// for private data (the cache, the store) are not listable by others.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Create a database file 0600 before SQLite opens it (SQLite gives its
/// WAL and shared-memory files the database file's mode). An existing
/// name that is not a regular file (a named pipe, which SQLite would wait
/// on forever; a link) is refused.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    refuse_unless_regular(path)?;
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
        // Neither through a link planted after the check, nor waiting on a pipe.
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = o.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, not a regular file",
                path.display(),
                kind_of(&meta)
            ),
        ));
    }
    Ok(())
}

/// A file's identity: the same file under any name, link or hard link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of what `path` names (links followed); `None` if nothing.
    pub fn of(path: &Path) -> Option<FileId> {
        fs::metadata(path).ok().map(|m| FileId::from_meta(&m))
    }

    #[cfg(unix)]
    fn from_meta(m: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }

    // Without inode numbers, the size and time stand in (a weaker check).
    #[cfg(not(unix))]
    fn from_meta(m: &fs::Metadata) -> FileId {
        FileId {
            dev: m.len(),
            ino: m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64),
        }
    }
}

/// Files and directories an output must never land on: the signing key,
/// the public key, the store, an input (by file identity, so a symbolic or
/// hard link under another name is caught), or anything inside the cache.
#[derive(Debug, Default, Clone)]
pub struct Protected {
    files: Vec<(FileId, String)>,
    dirs: Vec<(FileId, String)>,
}

/// An output that would land on a protected file.
#[derive(Debug, thiserror::Error)]
#[error("{}: refusing to write here: {what}", output.display())]
pub struct ProtectedError {
    pub output: PathBuf,
    pub what: String,
}

impl Protected {
    /// Protect the file at `path`, if there is one (`what`: "the signing
    /// key", "the input", ...).
    pub fn file(&mut self, path: &Path, what: &str) {
        if let Some(id) = FileId::of(path) {
            self.files
                .push((id, format!("it is {what} {}", path.display())));
        }
    }

    /// Protect everything inside the directory at `path`, if there is one.
    pub fn dir(&mut self, path: &Path, what: &str) {
        if let Some(id) = FileId::of(path) {
            self.dirs
                .push((id, format!("it is inside {what} {}", path.display())));
        }
    }

    /// Whether writing `output` (as [`AtomicFile::create`] writes it:
    /// through a link, into a device) would land on something protected.
    pub fn check(&self, output: &Path) -> Result<(), ProtectedError> {
        let refuse = |what: &str| ProtectedError {
            output: output.to_path_buf(),
            what: what.to_string(),
        };
        let Ok((target, special)) = write_target(output) else {
            // A link to nothing: refused where it is written.
            return Ok(());
        };
        if let Some(id) = FileId::of(&target)
            && let Some((_, what)) = self.files.iter().find(|(f, _)| *f == id)
        {
            return Err(refuse(what));
        }
        if special || self.dirs.is_empty() {
            return Ok(());
        }
        // Each directory the file would be in, resolved, up to the root.
        let mut dir = absolute(&target)
            .ok()
            .and_then(|t| t.parent().map(Path::to_path_buf));
        while let Some(d) = dir {
            if let Some(id) = FileId::of(&d)
                && let Some((_, what)) = self.dirs.iter().find(|(f, _)| *f == id)
            {
                return Err(refuse(what));
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(())
    }
}

/// Temporary files that [`AtomicFile`] left in `dir` when its process was
/// killed (`.NAME.tmp-PID-N`), removed: those of processes that no longer
/// run here and untouched for ten minutes (a directory shared between
/// machines may hold another machine's, still being written). Nothing
/// else is touched. Returns how many were removed.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    const STALE: std::time::Duration = std::time::Duration::from_secs(600);
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temporary_pid) else {
            continue;
        };
        if pid == std::process::id() || process_runs(pid) != Some(false) {
            continue;
        }
        let stale = e
            .metadata()
            .ok()
            .filter(|m| m.file_type().is_file())
            .and_then(|m| {
                m.modified()
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .map(|age| age >= STALE)
            });
        if stale == Some(true) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file's name as [`AtomicFile`] makes it
/// (`.NAME.tmp-PID-N`), if it is one.
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(".tmp-")?;
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether process `pid` runs on this machine: `None` where that cannot be
/// told (no `/proc`).
pub fn process_runs(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
}

fn not_renamed(special: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: not a regular file, not renamed", special.display()),
    )
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Close before removing (the order matters on Windows).
        self.writer = None;
        if self.pending {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Write `bytes` to `target`, a file of this tool's own in its directory
/// (see [`AtomicFile::create_own`]), atomically, unless it already holds
/// exactly them. Returns whether the file was written.
pub fn write_if_changed(target: &Path, bytes: &[u8]) -> io::Result<bool> {
    refuse_unless_regular(target)?;
    if holds(target, bytes) {
        return Ok(false);
    }
    let mut f = AtomicFile::create_own(target)?;
    f.writer().write_all(bytes)?;
    f.commit(false, None)?;
    Ok(true)
}

/// Whether the regular file at `target` holds exactly `bytes` (read
/// without following a link, and without reading more than they are long).
pub fn holds(target: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let Ok(file) = options.open(target) else {
        return false;
    };
    if !file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
    {
        return false;
    }
    let mut existing = Vec::with_capacity(bytes.len());
    file.take(bytes.len() as u64 + 1)
        .read_to_end(&mut existing)
        .is_ok_and(|_| existing == bytes)
}

/// What `write_content_addressed` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file did not exist and was created.
    New,
    /// A file of that name held other bytes and was replaced.
    Replaced,
    /// The file already held exactly these bytes.
    Unchanged,
}

/// Write a file whose name is derived from its content. A new file is written
/// in place (one directory operation, which matters for thousands of
/// artifacts); a failed write removes what it wrote, and an interrupted one
/// leaves bytes that differ from the content, which the next run finds and
/// replaces atomically.
pub fn write_content_addressed(target: &Path, bytes: &[u8]) -> io::Result<Written> {
    match OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(mut f) => match f.write_all(bytes) {
            Ok(()) => Ok(Written::New),
            Err(e) => {
                // Leave nothing half-written behind (a full disk, a quota).
                drop(f);
                let _ = fs::remove_file(target);
                Err(e)
            }
        },
        // A link or a pipe under an artifact's (predictable) name is
        // refused by `write_if_changed`, never written through.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Ok(match write_if_changed(target, bytes)? {
                true => Written::Replaced,
                false => Written::Unchanged,
            })
        }
        Err(e) => Err(e),
    }
}

/// Check, without leaving anything behind, that files can be created in
/// `dir`, or, if it does not exist yet, in the nearest ancestor that does
/// (where it would be created). The check is a real one: a probe file is
/// created and removed, so it answers for read-only mounts, ACLs and root
/// alike, where permission bits would not.
pub fn probe_writable(dir: &Path) -> io::Result<()> {
    let mut existing = dir;
    loop {
        match fs::metadata(existing) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a directory", existing.display()),
                ));
            }
            // Missing, or under a file: look at the parent, which says which.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                match existing.parent() {
                    Some(p) if !p.as_os_str().is_empty() => existing = p,
                    // A relative path's first part: it lives in the current directory.
                    _ => {
                        existing = Path::new(".");
                        break;
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    let probe = existing.join(format!(
        ".tacos-sbom-probe-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let name_it = |e: io::Error| match existing == dir {
        true => e,
        // Say which directory said no, when it is not the one asked about.
        false => io::Error::new(e.kind(), format!("{}: {e}", existing.display())),
    };
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(name_it)?;
    fs::remove_file(&probe).map_err(name_it)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Found when `report -o /dev/null` put a regular file in place of
    /// /dev/null (as root): a named pipe stands in for it here.
    #[cfg(unix)]
    #[test]
    fn a_special_file_is_written_into_not_replaced() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        let mut f = AtomicFile::create(&fifo).unwrap();
        f.writer().write_all(b"through the pipe").unwrap();
        f.commit(true, Some(fs::Permissions::from_mode(0o600)))
            .unwrap();
        // Checked before waiting for the reader, which a replaced pipe would leave blocked.
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );

        // A private key is not poured into one; nothing is opened.
        let e = AtomicFile::create_private(&fifo).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }

    /// A symbolic link is written through: its file gets the bytes, the link
    /// stays a link. One that points nowhere is an error, and nothing is made.
    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        let mut f = AtomicFile::create(&link).unwrap();
        f.writer().write_all(b"new").unwrap();
        f.commit(true, None).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");

        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("missing/x.json", &dangling).unwrap();
        assert!(AtomicFile::create(&dangling).is_err());
        assert!(!dir.path().join("missing").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn relative_paths() {
        let r = relative_path(Path::new("/a/b"), Path::new("/a/b/c/d.json"));
        assert_eq!(r, Path::new("c/d.json"));
        let r = relative_path(Path::new("/a/b/x"), Path::new("/a/c/d.json"));
        assert_eq!(r, Path::new("../../c/d.json"));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tacos-fsutil-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_owner_only_from_the_moment_it_exists() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("private");
        let target = dir.join("k.key");
        let mut f = AtomicFile::create_private(&target).unwrap();
        let mode = fs::metadata(f.temp_path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the temporary file, before anything is written"
        );
        f.writer().write_all(b"secret").unwrap();
        f.commit(true, None).unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_commit_leaves_no_temporary_file() {
        let dir = scratch("failed");
        // Renaming a file over a directory fails.
        let target = dir.join("taken");
        fs::create_dir(&target).unwrap();
        let mut f = AtomicFile::create_private(&target).unwrap();
        f.writer().write_all(b"secret").unwrap();
        assert!(f.commit(true, None).is_err());
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(left, vec![target.clone()], "only the directory is left");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commit_new_never_replaces_a_file() {
        let dir = scratch("new");
        let target = dir.join("k.key");
        fs::write(&target, "mine").unwrap();
        let mut f = AtomicFile::create_private(&target).unwrap();
        f.writer().write_all(b"theirs").unwrap();
        let err = f.commit_new(true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&target).unwrap(), "mine");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_file(&target).unwrap();
        let mut f = AtomicFile::create_private(&target).unwrap();
        f.writer().write_all(b"new").unwrap();
        f.commit_new(true).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn probing_leaves_nothing_and_reports_what_is_not_a_directory() {
        let dir = scratch("probe");
        probe_writable(&dir).unwrap();
        probe_writable(&dir.join("not/yet/made")).unwrap();
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::write(dir.join("file"), "x").unwrap();
        let err = probe_writable(&dir.join("file/sub")).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
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
