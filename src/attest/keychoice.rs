//! Which signing key a run uses, and where it comes from: `--key`, else
//! `$TACOS_SIGNING_KEY`, else a throwaway key when asked for one, else the
//! default key in the config directory (created on first use) — but not in
//! CI, where a key made on the spot would be thrown away with the machine
//! and nobody could check the artifacts' signer.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::keyfile::{self, KeyFileError};
use super::keys::{KeyAlgorithm, SigningKey};

/// What to do in CI when no key was given, as the refusal says it.
pub const CI_KEY_FIX: &str = "CI is set and no signing key was given: a key made here would be thrown \
    away with the machine, and nobody could check the artifacts' signer. Pass --key KEY or set \
    TACOS_SIGNING_KEY to a key kept as a CI secret (create one once with `tacos-sbom keygen -o \
    tacos-signing`, store tacos-signing.key as the secret and publish tacos-signing.pub), or pass \
    --ephemeral-key to sign with a throwaway key on purpose";

/// Where the signing key comes from, in order: `--key`,
/// `$TACOS_SIGNING_KEY`, `--ephemeral-key`, the default key (not in CI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file, and what named it (`--key` or `TACOS_SIGNING_KEY`).
    File(PathBuf, &'static str),
    /// A key made for this run and never saved.
    Ephemeral,
    /// In CI without a key: no default, which would be thrown away unseen.
    RefusedInCi,
    /// The default key, in this directory (none without a home for it).
    Default(Option<PathBuf>),
}

impl KeySource {
    /// The source of a run given `explicit` (`--key`) and `ephemeral`
    /// (`--ephemeral-key`), in this environment (`TACOS_SIGNING_KEY`, `CI`).
    pub fn choose(explicit: Option<&Path>, ephemeral: bool) -> KeySource {
        let from_env = std::env::var_os("TACOS_SIGNING_KEY");
        KeySource::choose_in(explicit, ephemeral, from_env, in_ci())
    }

    /// The key a command that signs nothing could still destroy by writing
    /// over it: the one `TACOS_SIGNING_KEY` names, or the default one.
    pub fn any() -> KeySource {
        KeySource::choose(None, false)
    }

    /// [`KeySource::choose`] with the environment given.
    fn choose_in(
        explicit: Option<&Path>,
        ephemeral: bool,
        from_env: Option<OsString>,
        ci: bool,
    ) -> KeySource {
        let from_env = from_env.filter(|v| !v.is_empty()).map(PathBuf::from);
        match (explicit, from_env) {
            (Some(k), _) => KeySource::File(k.to_path_buf(), "--key"),
            (None, Some(k)) => KeySource::File(k, "TACOS_SIGNING_KEY"),
            (None, None) if ephemeral => KeySource::Ephemeral,
            (None, None) if ci => KeySource::RefusedInCi,
            (None, None) => KeySource::Default(keyfile::default_key_dir()),
        }
    }
}

/// Whether this runs in CI (`CI` set to anything but empty, 0 or false).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The password of cosign-encrypted keys (`COSIGN_PASSWORD`; empty is a
/// valid password).
pub fn cosign_password() -> Option<Vec<u8>> {
    std::env::var_os("COSIGN_PASSWORD").map(|p| p.into_encoded_bytes())
}

/// How the key in use was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Read from a key file, named by this (`--key`, `TACOS_SIGNING_KEY`).
    File(&'static str),
    /// Made for this run, never saved: its artifacts prove only that they
    /// are intact, not who signed them.
    Ephemeral,
    /// The default key, read.
    Default,
    /// The default key, created by this run.
    DefaultCreated,
}

/// The signing key a run uses, and where it came from.
pub struct Chosen {
    pub key: SigningKey,
    /// Its file (none for a throwaway key).
    pub path: Option<PathBuf>,
    pub origin: Origin,
}

/// Why no signing key could be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyChoiceError {
    #[error(transparent)]
    File(#[from] KeyFileError),
    #[error("{}", CI_KEY_FIX)]
    RefusedInCi,
    #[error(
        "no --key given and no home directory to keep a default key in; pass --key or set TACOS_SIGNING_KEY"
    )]
    NoHome,
    #[error("the default signing key in {}: {source}", dir.display())]
    Default {
        dir: PathBuf,
        #[source]
        source: KeyFileError,
    },
}

/// Read, make or create the key `source` names (`password` opens a
/// cosign-encrypted key).
pub fn load(source: &KeySource, password: Option<&[u8]>) -> Result<Chosen, KeyChoiceError> {
    match source {
        KeySource::File(path, from) => Ok(Chosen {
            key: keyfile::read_signing_key(path, password)?,
            path: Some(path.clone()),
            origin: Origin::File(from),
        }),
        KeySource::Ephemeral => Ok(Chosen {
            key: SigningKey::generate(KeyAlgorithm::EcdsaP256),
            path: None,
            origin: Origin::Ephemeral,
        }),
        KeySource::RefusedInCi => Err(KeyChoiceError::RefusedInCi),
        KeySource::Default(None) => Err(KeyChoiceError::NoHome),
        KeySource::Default(Some(dir)) => {
            let (key, path, created) =
                keyfile::load_or_create_default(dir, password).map_err(|source| {
                    KeyChoiceError::Default {
                        dir: dir.clone(),
                        source,
                    }
                })?;
            Ok(Chosen {
                key,
                path: Some(path),
                origin: match created {
                    true => Origin::DefaultCreated,
                    false => Origin::Default,
                },
            })
        }
    }
}

/// The signer's own public key file: the public half kept beside the
/// signing key (`NAME.pub` for `NAME.key`, as `keygen` and the default key
/// write it; `NAME.pub.pem` for a legacy `NAME.pem`), when it is there and
/// holds this very key. This, not the copy written beside the artifacts
/// (which whoever can rewrite them can rewrite too), is what a verifier
/// should be given.
pub fn public_key_file(chosen: &Chosen) -> Option<PathBuf> {
    let path = chosen.path.as_deref()?;
    let wanted = chosen.key.public_key();
    public_half_names(path)
        .into_iter()
        .find(|p| keyfile::read_public_key_beside(p).is_ok_and(|k| k == wanted))
}

/// Where a key file's public half would be, most likely first.
fn public_half_names(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    if let Some(stem) = name.strip_suffix(".key") {
        out.push(path.with_file_name(format!("{stem}.pub")));
    }
    if let Some(stem) = name.strip_suffix(".pem") {
        out.push(path.with_file_name(format!("{stem}.pub.pem")));
        out.push(path.with_file_name(format!("{stem}.pub")));
    }
    out.push(path.with_file_name(format!("{name}.pub")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--key` first, then `TACOS_SIGNING_KEY` (even over
    /// `--ephemeral-key`), then a throwaway key; in CI never the default.
    #[test]
    fn the_key_comes_from_the_first_source_that_names_one() {
        let k = Path::new("k.key");
        let env = || Some(OsString::from("env.key"));
        let file = |p: &str, from| KeySource::File(PathBuf::from(p), from);
        assert_eq!(
            KeySource::choose_in(Some(k), true, env(), true),
            file("k.key", "--key")
        );
        assert_eq!(
            KeySource::choose_in(None, true, env(), true),
            file("env.key", "TACOS_SIGNING_KEY")
        );
        assert_eq!(
            KeySource::choose_in(None, true, Some(OsString::new()), true),
            KeySource::Ephemeral
        );
        assert_eq!(
            KeySource::choose_in(None, false, None, true),
            KeySource::RefusedInCi
        );
        assert!(matches!(
            KeySource::choose_in(None, false, None, false),
            KeySource::Default(_)
        ));
    }

    #[test]
    fn a_key_s_public_half_is_looked_for_under_the_names_key_files_get() {
        let names = |p: &str| public_half_names(Path::new(p));
        assert_eq!(names("d/signing.key")[0], PathBuf::from("d/signing.pub"));
        assert_eq!(
            names("d/signing-key.pem")[0],
            PathBuf::from("d/signing-key.pub.pem")
        );
        assert_eq!(names("d/k"), vec![PathBuf::from("d/k.pub")]);
    }

    #[test]
    fn in_ci_without_a_key_the_refusal_says_what_to_do() {
        let e = load(&KeySource::RefusedInCi, None).err().unwrap();
        assert_eq!(e.to_string(), CI_KEY_FIX);
        assert!(CI_KEY_FIX.contains("--ephemeral-key"));
    }
}
