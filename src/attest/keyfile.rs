//! Key files: reading a signing or public key, the default signing key created
//! on first use, and writing key pairs so that a private key is never
//! readable by anyone but its owner — not even while it is being written —
//! and no temporary copy of it outlives a failed write.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::keys::{KeyAlgorithm, KeyError, PublicKey, SigningKey};
use crate::fsutil::AtomicFile;

/// The default signing key's file name, in the config directory. Every key
/// file this tool writes is named alike: `NAME.key` (private) and
/// `NAME.pub` (public), as `keygen` and cosign name them.
pub const DEFAULT_KEY_FILE: &str = "signing.key";
/// Its public half, beside it.
pub const DEFAULT_PUBLIC_KEY_FILE: &str = "signing.pub";
/// The names earlier versions gave the default key; still read.
pub const LEGACY_KEY_FILE: &str = "signing-key.pem";
pub const LEGACY_PUBLIC_KEY_FILE: &str = "signing-key.pub.pem";

/// How a private key file is written.
#[derive(Debug, Clone, Copy)]
pub enum PrivateFormat<'a> {
    /// Unencrypted PKCS#8 PEM, readable by OpenSSL.
    Pkcs8,
    /// cosign's encrypted layout, with this password.
    Cosign(&'a [u8]),
}
/// Key files are small; anything larger is not one (and is not read whole).
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{}: cannot read the {what}: {source}", path.display())]
    Read {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{}: not a PEM key file (binary data)", path.display())]
    NotText { path: PathBuf },
    #[error("{}: larger than {MAX_KEY_FILE_BYTES} bytes, so not a PEM key file", path.display())]
    TooLarge { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error("{} exists", path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot create the key directory: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot write the key: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Where the default signing key lives: `$TACOS_SBOM_CONFIG_DIR`, else the
/// platform's config directory (`$XDG_CONFIG_HOME`, else `~/.config`, as
/// etcetera reads them) + `tacos-sbom`.
pub fn default_key_dir() -> Option<PathBuf> {
    use etcetera::BaseStrategy as _;
    if let Some(d) = std::env::var_os("TACOS_SBOM_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("tacos-sbom"))
}

/// Read a key file as text, refusing binary and oversized files.
fn read_text(path: &Path, what: &'static str) -> Result<String, KeyFileError> {
    let read_err = |source| KeyFileError::Read {
        path: path.to_path_buf(),
        what,
        source,
    };
    let file = fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|_| KeyFileError::NotText {
        path: path.to_path_buf(),
    })
}

/// Read a private key file (PKCS#8, SEC1 or cosign-encrypted PEM).
pub fn read_signing_key(path: &Path, password: Option<&[u8]>) -> Result<SigningKey, KeyFileError> {
    let text = read_text(path, "signing key")?;
    SigningKey::from_pem(&text, password).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a public key file (SPKI PEM).
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    let text = read_text(path, "public key")?;
    PublicKey::from_pem(&text).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Read the public key found beside artifacts: it came with them, so it is
/// a regular file or refused (a pipe there would be waited on forever).
pub fn read_public_key_beside(path: &Path) -> Result<PublicKey, KeyFileError> {
    let bytes = crate::fsutil::read_regular(path, MAX_KEY_FILE_BYTES).map_err(|source| {
        KeyFileError::Read {
            path: path.to_path_buf(),
            what: "public key",
            source,
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| KeyFileError::NotText {
        path: path.to_path_buf(),
    })?;
    PublicKey::from_pem(&text).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// The default signing key, read from `dir`, or created there (ECDSA P-256)
/// when there is none. Returns the key, its path and whether it was created.
pub fn load_or_create_default(
    dir: &Path,
    password: Option<&[u8]>,
) -> Result<(SigningKey, PathBuf, bool), KeyFileError> {
    let path = dir.join(DEFAULT_KEY_FILE);
    let legacy = dir.join(LEGACY_KEY_FILE);
    if fs::symlink_metadata(&path).is_err() && fs::symlink_metadata(&legacy).is_ok() {
        return Ok((read_signing_key(&legacy, password)?, legacy, false));
    }
    if fs::symlink_metadata(&path).is_ok() {
        return Ok((read_signing_key(&path, password)?, path, false));
    }
    let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
    match write_key_pair(&key, &path, &dir.join(DEFAULT_PUBLIC_KEY_FILE), false) {
        Ok(()) => Ok((key, path, true)),
        // Another run created it meanwhile: use that one, so both sign alike.
        Err(KeyFileError::Exists { .. }) if fs::symlink_metadata(&path).is_ok() => {
            Ok((read_signing_key(&path, password)?, path, false))
        }
        Err(e) => Err(e),
    }
}

/// Create `dir` and any missing parents with mode 0700 (on Unix): a directory
/// made to hold a private key is not listable by others.
pub fn create_key_dir(dir: &Path) -> Result<(), KeyFileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|source| KeyFileError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// Write `key` as PKCS#8 PEM to `private` (mode 0600 from the moment the file
/// exists) and its SPKI PEM to `public`. Without `overwrite`, an existing file
/// is never replaced (`Exists`), even one created by another process while
/// this one was writing. A failure leaves no temporary file, and no private
/// key without its public half that this call created.
pub fn write_key_pair(
    key: &SigningKey,
    private: &Path,
    public: &Path,
    overwrite: bool,
) -> Result<(), KeyFileError> {
    write_key_pair_inspecting(
        key,
        private,
        public,
        overwrite,
        PrivateFormat::Pkcs8,
        |_| {},
    )
}

/// `write_key_pair`, with the private key in `format`.
pub fn write_key_pair_as(
    key: &SigningKey,
    private: &Path,
    public: &Path,
    overwrite: bool,
    format: PrivateFormat<'_>,
) -> Result<(), KeyFileError> {
    write_key_pair_inspecting(key, private, public, overwrite, format, |_| {})
}

/// `write_key_pair`, calling `inspect` with the private key's temporary file
/// once the key is in it and before it takes its final name, so tests can
/// see what another user could have seen at that moment.
fn write_key_pair_inspecting(
    key: &SigningKey,
    private: &Path,
    public: &Path,
    overwrite: bool,
    format: PrivateFormat<'_>,
    inspect: impl FnOnce(&Path),
) -> Result<(), KeyFileError> {
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty())
        && fs::symlink_metadata(dir).is_err()
    {
        create_key_dir(dir)?;
    }
    if let Some(dir) = public.parent().filter(|d| !d.as_os_str().is_empty())
        && fs::symlink_metadata(dir).is_err()
    {
        create_key_dir(dir)?;
    }
    if !overwrite {
        for p in [private, public] {
            if fs::symlink_metadata(p).is_ok() {
                return Err(KeyFileError::Exists {
                    path: p.to_path_buf(),
                });
            }
        }
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeyFileError::Write { path, source }
    };
    // Both files are written in full before either takes its name.
    let mut private_file = AtomicFile::create_private(private).map_err(write_err(private))?;
    private_file
        .writer()
        .write_all(
            match format {
                PrivateFormat::Pkcs8 => key.to_pkcs8_pem(),
                PrivateFormat::Cosign(password) => key.to_cosign_pem(password),
            }
            .as_bytes(),
        )
        .and_then(|()| private_file.writer().flush())
        .map_err(write_err(private))?;
    inspect(private_file.temp_path());
    let mut public_file = AtomicFile::create(public).map_err(write_err(public))?;
    public_file
        .writer()
        .write_all(key.public_key().to_spki_pem().as_bytes())
        .map_err(write_err(public))?;

    let exists = |path: &Path| {
        let path = path.to_path_buf();
        move |e: io::Error| match e.kind() {
            io::ErrorKind::AlreadyExists => KeyFileError::Exists { path },
            _ => KeyFileError::Write { path, source: e },
        }
    };
    if overwrite {
        private_file
            .commit(true, None)
            .map_err(write_err(private))?;
        public_file.commit(true, None).map_err(write_err(public))?;
    } else {
        private_file.commit_new(true).map_err(exists(private))?;
        if let Err(e) = public_file.commit_new(true).map_err(exists(public)) {
            // Half a new pair is no pair: take back the private key.
            let _ = fs::remove_file(private);
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("tacos-keyfile-")
            .tempdir()
            .unwrap()
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn the_private_key_is_owner_only_while_it_is_written() {
        let dir = temp_dir();
        let key = SigningKey::generate(KeyAlgorithm::EcdsaP256);
        let private = dir.path().join("keys/k.key");
        let mut seen = None;
        write_key_pair_inspecting(
            &key,
            &private,
            &dir.path().join("keys/k.pub"),
            false,
            PrivateFormat::Pkcs8,
            |temp| {
                let text = fs::read_to_string(temp).unwrap();
                assert!(text.contains("PRIVATE KEY"), "the key is in it by now");
                seen = Some(mode(temp));
            },
        )
        .unwrap();
        // Before this change the temporary file was 0666 less the umask
        // (0644 here) until it was renamed.
        assert_eq!(seen, Some(0o600));
        assert_eq!(mode(&private), 0o600);
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        let again = read_signing_key(&private, None).unwrap();
        assert_eq!(again.public_key(), key.public_key());
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file_and_no_half_pair() {
        let dir = temp_dir();
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        // The public key's name is taken by a directory: its commit fails.
        fs::create_dir(dir.path().join("k.pub")).unwrap();
        let err = write_key_pair(
            &key,
            &dir.path().join("k.key"),
            &dir.path().join("k.pub"),
            false,
        )
        .unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { .. }), "{err}");
        // With overwrite, the rename onto the directory fails.
        let err = write_key_pair(
            &key,
            &dir.path().join("k.key"),
            &dir.path().join("k.pub"),
            true,
        )
        .unwrap_err();
        assert!(matches!(err, KeyFileError::Write { .. }), "{err}");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.contains(".tmp-")),
            "temporary files left: {names:?}"
        );
    }

    #[test]
    fn an_existing_key_is_never_replaced_without_overwrite() {
        let dir = temp_dir();
        let private = dir.path().join("k.key");
        fs::write(&private, "mine").unwrap();
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        let err = write_key_pair(&key, &private, &dir.path().join("k.pub"), false).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { .. }));
        assert_eq!(fs::read_to_string(&private).unwrap(), "mine");
        assert!(!dir.path().join("k.pub").exists());
    }

    #[test]
    fn the_default_key_is_created_once_and_then_reused() {
        let dir = temp_dir();
        let keys = dir.path().join("config/tacos-sbom");
        let (first, path, created) = load_or_create_default(&keys, None).unwrap();
        assert!(created);
        assert_eq!(path, keys.join(DEFAULT_KEY_FILE));
        let (second, _, created) = load_or_create_default(&keys, None).unwrap();
        assert!(!created);
        assert_eq!(first.public_key(), second.public_key());
        let public = read_public_key(&keys.join(DEFAULT_PUBLIC_KEY_FILE)).unwrap();
        assert_eq!(public, first.public_key());
    }

    #[test]
    fn a_default_key_under_the_old_name_is_still_used() {
        let dir = temp_dir();
        let key = SigningKey::generate(KeyAlgorithm::Ed25519);
        write_key_pair(
            &key,
            &dir.path().join(LEGACY_KEY_FILE),
            &dir.path().join(LEGACY_PUBLIC_KEY_FILE),
            false,
        )
        .unwrap();
        let (found, path, created) = load_or_create_default(dir.path(), None).unwrap();
        assert!(!created);
        assert_eq!(path, dir.path().join(LEGACY_KEY_FILE));
        assert_eq!(found.public_key(), key.public_key());
        assert!(!dir.path().join(DEFAULT_KEY_FILE).exists());
    }

    #[test]
    fn unreadable_key_files_name_the_file_and_the_problem() {
        let dir = temp_dir();
        let missing = dir.path().join("missing.key");
        let err = read_signing_key(&missing, None).unwrap_err().to_string();
        assert!(
            err.contains("missing.key: cannot read the signing key"),
            "{err}"
        );
        let binary = dir.path().join("binary.key");
        fs::write(&binary, [0u8, 159, 146, 150]).unwrap();
        let err = read_signing_key(&binary, None).unwrap_err().to_string();
        assert!(err.contains("binary.key: not a PEM key file"), "{err}");
        let big = dir.path().join("big.pub");
        fs::write(&big, vec![b'a'; (MAX_KEY_FILE_BYTES + 1) as usize]).unwrap();
        let err = read_public_key(&big).unwrap_err().to_string();
        assert!(err.contains("big.pub: larger than"), "{err}");
    }
}
