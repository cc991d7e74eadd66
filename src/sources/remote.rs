//! The files an SBOM's `https://` references point at, fetched for `verify`,
//! `report` and `package`: each URL once a run, through the shared HTTP
//! client ([`Client::for_downloads`]: bounded size, redirects and time), into
//! a private temporary directory (0700) that goes when the run does.
//! Nothing here reads what it fetched: the caller checks each file against
//! the digest its SBOM records before anything in it is read.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use url::Url;

use super::http::{Client, FetchError};
use crate::config::Network;
use crate::redact::redact;

/// Why a remote file is not here.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    #[error("fetching {url} failed: {}", why(.source))]
    Failed {
        /// Credentials removed.
        url: String,
        #[source]
        source: FetchError,
    },
    /// A host that could not be reached, or did not answer in time, is not
    /// asked again in the same run: each of its files would wait as long.
    #[error("{url} was not fetched: an earlier request to {host} in this run failed ({why})")]
    HostDown {
        url: String,
        host: String,
        why: String,
    },
    #[error("{url} names no file to fetch")]
    NoFileName { url: String },
    /// The private directory, the HTTP client or its runtime.
    #[error("cannot fetch {url}: {why}")]
    Setup { url: String, why: String },
}

impl RemoteError {
    /// The server said there is no such file.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            RemoteError::Failed {
                source: FetchError::Status { status: 404, .. },
                ..
            }
        )
    }
}

/// The reason, with a status's words ("HTTP 404 Not Found").
fn why(e: &FetchError) -> String {
    match e {
        FetchError::Status { status, .. } => {
            match reqwest::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
            {
                Some(words) => format!("HTTP {status} {words}"),
                None => format!("HTTP {status}"),
            }
        }
        e => e.why(),
    }
}

/// The remote files of one run, each fetched once, and where each went.
pub struct Downloads {
    /// Made when the first file is fetched; removed on drop.
    dir: Option<tempfile::TempDir>,
    client: Option<(Client, tokio::runtime::Runtime)>,
    /// Each remote directory's local one: a file keeps its name and its
    /// neighbours, so that what is looked for beside it (the public key) is
    /// beside it here too.
    dirs: HashMap<String, PathBuf>,
    /// Each URL asked for (without its fragment), and where it went.
    files: HashMap<String, Result<PathBuf, RemoteError>>,
    /// Each local copy, and the URL it came from (credentials removed).
    origins: HashMap<PathBuf, String>,
    /// Hosts that could not be reached, or did not answer in time, and why.
    down: HashMap<String, String>,
    /// Local directories made so far (each is named by its number).
    made: usize,
    settings: Network,
}

impl Default for Downloads {
    fn default() -> Self {
        Downloads::new(Network::default())
    }
}

impl Downloads {
    /// Nothing is made (directory, client) until something is fetched.
    pub fn new(settings: Network) -> Downloads {
        Downloads {
            dir: None,
            client: None,
            dirs: HashMap::new(),
            files: HashMap::new(),
            origins: HashMap::new(),
            down: HashMap::new(),
            made: 0,
            settings,
        }
    }

    /// The local copy of the file at `url` (its fragment ignored), fetched
    /// now unless it was this run already: at most `limit` bytes, over
    /// https (the caller refuses other schemes; redirects may not leave it).
    pub fn fetch(&mut self, url: &Url, limit: u64) -> Result<PathBuf, RemoteError> {
        let mut url = url.clone();
        url.set_fragment(None);
        if let Some(done) = self.files.get(url.as_str()) {
            return done.clone();
        }
        let got = self.download(&url, limit);
        if let Ok(path) = &got {
            self.origins.insert(path.clone(), redact(&url));
        }
        self.files.insert(url.as_str().to_string(), got.clone());
        got
    }

    /// The URL a local copy came from, credentials removed.
    pub fn origin(&self, path: &Path) -> Option<&str> {
        self.origins.get(path).map(String::as_str)
    }

    /// Every local copy, and the URL it came from.
    pub fn origins(&self) -> &HashMap<PathBuf, String> {
        &self.origins
    }

    fn download(&mut self, url: &Url, limit: u64) -> Result<PathBuf, RemoteError> {
        let shown = redact(url);
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
        if let Some(why) = self.down.get(&host) {
            return Err(RemoteError::HostDown {
                url: shown,
                host,
                why: why.clone(),
            });
        }
        let name = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(crate::percent::decode)
            .filter(|n| is_plain_file_name(n))
            .ok_or_else(|| RemoteError::NoFileName { url: shown.clone() })?;
        let setup = |why: String| RemoteError::Setup {
            url: shown.clone(),
            why,
        };
        let path = self.place(url, &name).map_err(setup)?;
        // Created here, never opened through a link; another URL of the same
        // name went to a directory of its own (`place`).
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| setup(format!("{}: {e}", path.display())))?;
        if self.client.is_none() {
            let client =
                Client::for_downloads(self.settings.clone()).map_err(|e| setup(e.to_string()))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| setup(format!("cannot start the HTTP runtime: {e}")))?;
            self.client = Some((client, runtime));
        }
        let (client, runtime) = self.client.as_ref().expect("made above");
        let got = runtime
            .block_on(client.download(url, limit, &mut file))
            .and_then(|_| {
                file.flush().map_err(|e| FetchError::Transport {
                    url: shown.clone(),
                    message: format!("cannot keep what arrived: {e}"),
                })
            });
        match got {
            Ok(()) => Ok(path),
            Err(source) => {
                // What did arrive is of no use, and may be large.
                drop(file);
                let _ = fs::remove_file(&path);
                if let FetchError::Unreachable { why, .. } = &source {
                    self.down.insert(host, why.clone());
                }
                Err(RemoteError::Failed { url: shown, source })
            }
        }
    }

    /// Where the file `name` at `url` goes: in its remote directory's local
    /// one, or, when another URL there had the same name (a query that
    /// differs), in a directory of its own.
    fn place(&mut self, url: &Url, name: &str) -> Result<PathBuf, String> {
        if self.dir.is_none() {
            self.dir =
                Some(private_dir().map_err(|e| {
                    format!("cannot make a private directory for fetched files: {e}")
                })?);
        }
        let root = self.dir.as_ref().expect("made above").path().to_path_buf();
        let mut remote_dir = url.clone();
        remote_dir.set_query(None);
        if let Ok(mut segments) = remote_dir.path_segments_mut() {
            segments.pop().push("");
        }
        let key = remote_dir.as_str().to_string();
        let mut fresh = || -> Result<PathBuf, String> {
            let d = root.join(self.made.to_string());
            make_private_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            self.made += 1;
            Ok(d)
        };
        let dir = match self.dirs.get(&key) {
            Some(d) if !d.join(name).exists() => d.clone(),
            Some(_) => fresh()?,
            None => {
                let d = fresh()?;
                self.dirs.insert(key, d.clone());
                d
            }
        };
        Ok(dir.join(name))
    }
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// A directory only this user may enter, removed when dropped.
fn private_dir() -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix("tacos-sbom-fetched.");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o700));
    }
    b.tempdir()
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_said_in_words_and_credentials_never() {
        let e = RemoteError::Failed {
            url: redact(&Url::parse("https://u:pw@h.invalid/a/x.json?token=t").unwrap()),
            source: FetchError::Status {
                url: String::new(),
                status: 404,
            },
        };
        let shown = e.to_string();
        assert_eq!(
            shown,
            "fetching https://h.invalid/a/x.json?token=REDACTED failed: HTTP 404 Not Found"
        );
    }

    #[test]
    fn files_keep_their_names_beside_their_neighbours_and_nothing_is_made_unasked() {
        let mut d = Downloads::default();
        assert!(d.dir.is_none());
        let a = Url::parse("https://h.invalid/att/a.json").unwrap();
        let p = d.place(&a, "a.json").unwrap();
        fs::write(&p, b"").unwrap();
        let b = d
            .place(
                &Url::parse("https://h.invalid/att/b.json").unwrap(),
                "b.json",
            )
            .unwrap();
        assert_eq!(p.parent(), b.parent());
        assert_eq!(p.file_name().unwrap(), "a.json");
        // The same name from elsewhere in the directory (another query):
        // a directory of its own.
        let again = d
            .place(
                &Url::parse("https://h.invalid/att/a.json?v=2").unwrap(),
                "a.json",
            )
            .unwrap();
        assert_ne!(again.parent(), p.parent());
        let other = d
            .place(&Url::parse("https://h.invalid/x/a.json").unwrap(), "a.json")
            .unwrap();
        assert_ne!(other.parent(), p.parent());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let root = d.dir.as_ref().unwrap().path().to_path_buf();
            for dir in [root.clone(), p.parent().unwrap().to_path_buf()] {
                let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o700, "{}", dir.display());
            }
            drop(d);
            assert!(!root.exists(), "removed with the run");
        }
    }

    #[test]
    fn a_url_without_a_file_name_is_refused_unasked() {
        let mut d = Downloads::default();
        let e = d
            .fetch(&Url::parse("https://h.invalid/att/").unwrap(), 10)
            .unwrap_err();
        assert!(matches!(e, RemoteError::NoFileName { .. }), "{e}");
        assert!(d.client.is_none() && d.dir.is_none());
    }
}
