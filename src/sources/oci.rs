//! An OCI registry (the distribution API): the image an attestation is
//! attached to, blobs and manifests pushed and read back by digest, and the
//! image's referrers — from the referrers API where the registry has one,
//! else from the `sha256-<hex>` tag-schema index that registries without it
//! (CNCF distribution and the large hosted ones today) are given instead.
//!
//! Everything read is size-bounded and checked against the digest it was
//! asked by before anyone reads it. Credentials come from the environment or
//! the Docker configuration (and its credential helpers), are sent only to
//! the registry and its token service, and are never shown.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::Url;

use crate::attest::Sha256Hex;
use crate::config::Network;
use crate::redact::redact;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The empty descriptor's media type, and its two bytes (`{}`).
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_BLOB: &[u8] = b"{}";

/// A manifest or an index is small; the distribution spec lets registries
/// refuse anything over 4 MiB.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Environment variables holding the registry credentials, which win over
/// the Docker configuration.
pub const USERNAME_ENV: &str = "TACOS_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "TACOS_REGISTRY_PASSWORD";

const MAX_REDIRECTS: usize = 5;

/// An image named by digest: `REGISTRY/REPOSITORY@sha256:<hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Host, with its port when one is given.
    pub registry: String,
    pub repository: String,
    pub digest: Sha256Hex,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImageRefError {
    #[error(
        "{0:?}: name the image by digest (REGISTRY/REPOSITORY@sha256:<64 hex>); a tag can be moved to another image after it is attested"
    )]
    NoDigest(String),
    #[error("{0:?}: the digest is not sha256:<64 lowercase hex>")]
    BadDigest(String),
    #[error(
        "{0:?}: name the registry (a host with a dot or a port, or localhost) before the repository, e.g. registry.example/team/app@sha256:…"
    )]
    NoRegistry(String),
    #[error(
        "{0:?}: a repository is lowercase path components of letters and digits separated by '.', '_', '__', '-' or '/'"
    )]
    BadRepository(String),
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, ImageRefError> {
        let shown = crate::term::escape(s).into_owned();
        let (name, digest) = s
            .rsplit_once('@')
            .ok_or_else(|| ImageRefError::NoDigest(shown.clone()))?;
        let digest = digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .and_then(Sha256Hex::parse)
            .ok_or_else(|| ImageRefError::BadDigest(shown.clone()))?;
        let (registry, repository) = name
            .split_once('/')
            .ok_or_else(|| ImageRefError::NoRegistry(shown.clone()))?;
        let registry_ok = !registry.is_empty()
            && (registry.contains(['.', ':']) || registry == "localhost")
            && registry.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        if !registry_ok {
            return Err(ImageRefError::NoRegistry(shown));
        }
        // A tag after the digest's name (`repo:tag@sha256:…`) is allowed and
        // ignored, as other clients do: the digest decides.
        let repository = match repository.rsplit_once(':') {
            Some((r, tag)) if !tag.contains('/') => r,
            _ => repository,
        };
        if !valid_repository(repository) {
            return Err(ImageRefError::BadRepository(shown));
        }
        Ok(ImageRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            digest,
        })
    }

    /// `sha256:<hex>`.
    pub fn digest_str(&self) -> String {
        format!("sha256:{}", self.digest.as_str())
    }

    /// The tag-schema tag under which referrers are listed when the
    /// registry has no referrers API.
    pub fn fallback_tag(&self) -> String {
        format!("sha256-{}", self.digest.as_str())
    }

    /// Whether the registry's host is a loopback address (or `localhost`):
    /// spoken to over plain HTTP, as container clients do.
    pub fn is_loopback(&self) -> bool {
        let host = host_of(&self.registry);
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}@sha256:{}",
            self.registry,
            self.repository,
            self.digest.as_str()
        )
    }
}

fn host_of(registry: &str) -> &str {
    if registry.starts_with('[') {
        return registry.split_once(']').map_or(registry, |(h, _)| h);
    }
    registry.rsplit_once(':').map_or(registry, |(h, _)| h)
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 255
        && r.split('/').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && part.as_bytes()[0].is_ascii_alphanumeric()
                && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
        })
}

/// A content descriptor (OCI image spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: format!("sha256:{}", Sha256Hex::of(bytes).as_str()),
            size: bytes.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
        }
    }

    /// The descriptor's digest, when it is a well-formed SHA-256 one (the
    /// only algorithm this client reads content by).
    pub fn sha256(&self) -> Option<Sha256Hex> {
        self.digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .and_then(Sha256Hex::parse)
    }
}

/// An image manifest, as this tool writes and reads referrers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index: what the referrers API answers, and the tag-schema
/// fallback holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Index {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

impl Index {
    pub fn new(manifests: Vec<Descriptor>) -> Index {
        Index {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_string()),
            manifests,
        }
    }
}

/// How the registry lists an image's referrers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The referrers API (`/v2/<name>/referrers/<digest>`).
    Api,
    /// The `sha256-<hex>` tag-schema index.
    TagIndex,
}

#[derive(Debug, Error)]
pub enum OciError {
    #[error("registry {registry}: {what}: {why}")]
    Failed {
        registry: String,
        what: String,
        why: String,
    },
    #[error("registry {registry}: {what}: answered HTTP {status}{detail}")]
    Status {
        registry: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error("registry {registry}: {what}: larger than {max} bytes, not read")]
    TooLarge {
        registry: String,
        what: String,
        max: u64,
    },
    #[error(
        "registry {registry}: {what}: the content's SHA-256 is {actual}, not the {expected} it was asked by (changed in the registry, or served wrong)"
    )]
    DigestMismatch {
        registry: String,
        what: String,
        expected: String,
        actual: String,
    },
    #[error("registry {registry}: {what}: not a well-formed {kind}: {why}")]
    Malformed {
        registry: String,
        what: String,
        kind: &'static str,
        why: String,
    },
    #[error("registry {registry}: credentials: {why}")]
    Credentials { registry: String, why: String },
}

impl OciError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, OciError::Status { status: 404, .. })
    }
}

/// A user name and a secret for one registry. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// Where [`credentials`] found them: said in messages instead of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Environment,
    DockerConfig(PathBuf),
    Helper(String),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Environment => write!(f, "{USERNAME_ENV}/{PASSWORD_ENV}"),
            CredentialSource::DockerConfig(p) => write!(f, "{}", p.display()),
            CredentialSource::Helper(h) => write!(f, "docker-credential-{h}"),
        }
    }
}

/// The Docker configuration file: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerAuth>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(rename = "identitytoken", default)]
    identity_token: Option<String>,
}

/// The credentials for `registry`, looked up as container clients do: the
/// environment (`TACOS_REGISTRY_USERNAME`/`_PASSWORD`), then the Docker
/// configuration's `credHelpers` entry for the host, its `auths` entry, its
/// `credsStore`. None found is not an error: anonymous access is tried.
pub fn credentials(registry: &str) -> Result<Option<(Credentials, CredentialSource)>, OciError> {
    let failed = |why: String| OciError::Credentials {
        registry: registry.to_string(),
        why,
    };
    if let (Ok(username), Ok(secret)) = (std::env::var(USERNAME_ENV), std::env::var(PASSWORD_ENV))
        && !username.is_empty()
    {
        return Ok(Some((
            Credentials { username, secret },
            CredentialSource::Environment,
        )));
    }
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let text = match crate::fsutil::read_regular(&path, 1 << 20) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(format!("{}: {e}", path.display()))),
    };
    let config: DockerConfig = serde_json::from_slice(&text).map_err(|e| {
        failed(format!(
            "{}: not a Docker configuration: {e}",
            path.display()
        ))
    })?;
    let keys = [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ];
    if let Some(helper) = keys.iter().find_map(|k| config.cred_helpers.get(k)) {
        return helper_credentials(helper, registry).map_err(failed);
    }
    if let Some(auth) = keys.iter().find_map(|k| config.auths.get(k)) {
        if auth
            .identity_token
            .as_deref()
            .is_some_and(|t| !t.is_empty())
        {
            return Err(failed(format!(
                "{}: its entry holds an identity token, which this tool cannot use yet; log in with a user name and password or token, or set {USERNAME_ENV} and {PASSWORD_ENV}",
                path.display()
            )));
        }
        let pair = match (&auth.auth, &auth.username, &auth.password) {
            (Some(a), _, _) if !a.is_empty() => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .ok()
                    .and_then(|d| String::from_utf8(d).ok())
                    .ok_or_else(|| {
                        failed(format!(
                            "{}: the \"auth\" entry is not base64 of user:password",
                            path.display()
                        ))
                    })?;
                let (u, p) = decoded.split_once(':').ok_or_else(|| {
                    failed(format!(
                        "{}: the \"auth\" entry is not user:password",
                        path.display()
                    ))
                })?;
                Some((u.to_string(), p.to_string()))
            }
            (_, Some(u), Some(p)) => Some((u.clone(), p.clone())),
            _ => None,
        };
        if let Some((username, secret)) = pair {
            return Ok(Some((
                Credentials { username, secret },
                CredentialSource::DockerConfig(path),
            )));
        }
    }
    match config.creds_store.as_deref().filter(|s| !s.is_empty()) {
        Some(store) => helper_credentials(store, registry).map_err(failed),
        None => Ok(None),
    }
}

/// Ask `docker-credential-<helper> get` for the registry's credentials (the
/// host on standard input, JSON on standard output); "not found" is none.
fn helper_credentials(
    helper: &str,
    registry: &str,
) -> Result<Option<(Credentials, CredentialSource)>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!(
            "credential helper name {helper:?} is not a plain name"
        ));
    }
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        // Its message may quote what it was given; only the fact is said.
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct HelperAnswer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout)
        .map_err(|_| format!("{program} get: its answer is not the credential helpers' JSON"))?;
    if answer.username == "<token>" {
        return Err(format!(
            "{program}: the registry's entry is an identity token, which this tool cannot use yet; set {USERNAME_ENV} and {PASSWORD_ENV}"
        ));
    }
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        Credentials {
            username: answer.username,
            secret: answer.secret,
        },
        CredentialSource::Helper(helper.to_string()),
    )))
}

/// A client for one repository of one registry.
pub struct Registry {
    http: reqwest::Client,
    base: Url,
    registry: String,
    repository: String,
    credentials: Option<Credentials>,
    /// The bearer token the registry's token service gave, for the scope
    /// asked (pull, or pull and push).
    token: Mutex<Option<String>>,
    push: bool,
}

/// What the registry said about a pushed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub descriptor: Descriptor,
    /// The registry answered with `OCI-Subject`: it lists referrers itself
    /// (no tag-schema index needed).
    pub registry_indexes: bool,
}

impl Registry {
    /// A client for `image`'s repository: plain HTTP for a loopback
    /// registry or when `plain_http`, HTTPS otherwise. `push` asks the
    /// token service for push as well as pull.
    pub fn new(
        image: &ImageRef,
        network: &Network,
        plain_http: bool,
        credentials: Option<Credentials>,
        push: bool,
    ) -> Result<Registry, OciError> {
        let scheme = if plain_http || image.is_loopback() {
            "http"
        } else {
            "https"
        };
        let failed = |why: String| OciError::Failed {
            registry: image.registry.clone(),
            what: "client".into(),
            why,
        };
        let base = Url::parse(&format!("{scheme}://{}/v2/", image.registry))
            .map_err(|e| failed(format!("not a registry address: {e}")))?;
        // Blob downloads are redirected to storage elsewhere (that is how the
        // large registries serve them); never to a weaker scheme. The client
        // drops the Authorization header when a redirect leaves the host.
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("more than 5 redirects");
            }
            let first = &attempt.previous()[0];
            if first.scheme() == "https" && attempt.url().scheme() != "https" {
                return attempt.error("a redirect from https to another scheme");
            }
            attempt.follow()
        });
        let http = reqwest::Client::builder()
            .user_agent(super::http::USER_AGENT)
            .redirect(policy)
            .connect_timeout(Duration::from_secs(network.timeout_seconds.clamp(1, 10)))
            // A silent server fails after this long without a byte; a
            // large blob that keeps arriving is not cut off by a total.
            .read_timeout(Duration::from_secs(network.timeout_seconds.max(1)))
            .build()
            .map_err(|e| failed(format!("cannot make an HTTP client: {e}")))?;
        Ok(Registry {
            http,
            base,
            registry: image.registry.clone(),
            repository: image.repository.clone(),
            credentials,
            token: Mutex::new(None),
            push,
        })
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    fn url(&self, rest: &str) -> Url {
        // The repository was checked to be path-safe; `rest` is ours.
        self.base
            .join(&format!("{}/{rest}", self.repository))
            .expect("a registry path joins")
    }

    fn failed(&self, what: &str, why: String) -> OciError {
        OciError::Failed {
            registry: self.registry.clone(),
            what: what.to_string(),
            why,
        }
    }

    /// Send a request built by `build`, answering one authentication
    /// challenge (Basic, or a Bearer token from the registry's token
    /// service) and sending it again.
    async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OciError> {
        let token = self.token.lock().expect("token lock").clone();
        let first = self.authorize(build(&self.http), token.as_deref());
        let response = first
            .send()
            .await
            .map_err(|e| self.failed(what, describe(&e)))?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_default();
        let token = self.answer_challenge(what, &challenge).await?;
        *self.token.lock().expect("token lock") = Some(token.clone());
        self.authorize(build(&self.http), Some(&token))
            .send()
            .await
            .map_err(|e| self.failed(what, describe(&e)))
    }

    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(t) => request.header(reqwest::header::AUTHORIZATION, t),
            None => request,
        }
    }

    /// The Authorization header value that answers `challenge`.
    async fn answer_challenge(&self, what: &str, challenge: &str) -> Result<String, OciError> {
        let (scheme, params) = parse_challenge(challenge);
        let no_credentials = || {
            self.failed(
                what,
                format!(
                    "the registry asks for credentials and none were found (set {USERNAME_ENV} and {PASSWORD_ENV}, or log in with docker/podman/oras)"
                ),
            )
        };
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let c = self.credentials.as_ref().ok_or_else(no_credentials)?;
                Ok(basic(c))
            }
            "bearer" => {
                let realm = params
                    .get("realm")
                    .and_then(|r| Url::parse(r).ok())
                    .ok_or_else(|| {
                        self.failed(what, "a Bearer challenge without a usable realm".into())
                    })?;
                // Credentials go to the token service only over TLS, or on
                // this machine.
                let local = realm.host_str().is_some_and(|h| {
                    h == "localhost" || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
                });
                if realm.scheme() != "https" && !local {
                    return Err(self.failed(
                        what,
                        format!(
                            "the token service {} is not HTTPS; credentials are not sent to it",
                            redact(&realm)
                        ),
                    ));
                }
                let mut url = realm.clone();
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(service) = params.get("service") {
                        q.append_pair("service", service);
                    }
                    let actions = if self.push { "pull,push" } else { "pull" };
                    q.append_pair(
                        "scope",
                        &format!("repository:{}:{actions}", self.repository),
                    );
                }
                let mut request = self.http.get(url);
                if let Some(c) = &self.credentials {
                    request = request.header(reqwest::header::AUTHORIZATION, basic(c));
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| self.failed(what, format!("token service: {}", describe(&e))))?;
                let status = response.status();
                if !status.is_success() {
                    let why = if status == reqwest::StatusCode::UNAUTHORIZED
                        && self.credentials.is_none()
                    {
                        return Err(no_credentials());
                    } else {
                        format!(
                            "token service {} answered HTTP {}",
                            redact(&realm),
                            status.as_u16()
                        )
                    };
                    return Err(self.failed(what, why));
                }
                let body = read_bounded(response, 64 << 10)
                    .await
                    .map_err(|e| self.failed(what, format!("token service: {e}")))?;
                #[derive(Deserialize)]
                struct TokenAnswer {
                    #[serde(default)]
                    token: Option<String>,
                    #[serde(default)]
                    access_token: Option<String>,
                }
                let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
                    self.failed(
                        what,
                        "the token service's answer is not JSON with a token".into(),
                    )
                })?;
                let token = answer
                    .token
                    .or(answer.access_token)
                    .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
                    .ok_or_else(|| self.failed(what, "the token service gave no token".into()))?;
                Ok(format!("Bearer {token}"))
            }
            _ => Err(self.failed(
                what,
                "answered 401 without a Basic or Bearer challenge".into(),
            )),
        }
    }

    /// A manifest (or index) by tag or digest: its bytes, bounded and (by
    /// digest) checked, and its media type as the registry gave it.
    pub async fn manifest(&self, reference: &str) -> Result<(Vec<u8>, String), OciError> {
        let what = format!("manifest {}", crate::term::escape(reference));
        let url = self.url(&format!("manifests/{reference}"));
        let accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(", ");
        let response = self
            .send(&what, |h| {
                h.get(url.clone()).header(reqwest::header::ACCEPT, &accept)
            })
            .await?;
        let response = self.ok(&what, response).await?;
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let bytes = self
            .body(&what, response, MAX_MANIFEST_BYTES as u64)
            .await?;
        if let Some(hex) = reference.strip_prefix("sha256:") {
            self.check_digest(&what, hex, &bytes)?;
        }
        Ok((bytes, media_type))
    }

    /// A blob by digest, at most `max` bytes, checked against the digest.
    pub async fn blob(&self, descriptor: &Descriptor, max: u64) -> Result<Vec<u8>, OciError> {
        let what = format!("blob {}", crate::term::escape(&descriptor.digest));
        let hex = descriptor.sha256().ok_or_else(|| OciError::Malformed {
            registry: self.registry.clone(),
            what: what.clone(),
            kind: "descriptor",
            why: "the digest is not sha256:<64 hex>".into(),
        })?;
        if descriptor.size > max {
            return Err(OciError::TooLarge {
                registry: self.registry.clone(),
                what,
                max,
            });
        }
        let url = self.url(&format!("blobs/sha256:{}", hex.as_str()));
        let response = self.send(&what, |h| h.get(url.clone())).await?;
        let response = self.ok(&what, response).await?;
        let bytes = self.body(&what, response, max.min(descriptor.size)).await?;
        self.check_digest(&what, hex.as_str(), &bytes)?;
        Ok(bytes)
    }

    /// Whether the repository already holds the blob.
    pub async fn has_blob(&self, digest: &str) -> Result<bool, OciError> {
        let what = format!("blob {digest}");
        let url = self.url(&format!("blobs/{digest}"));
        let response = self.send(&what, |h| h.head(url.clone())).await?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(self.status_error(&what, status, String::new())),
        }
    }

    /// Upload a blob unless the repository has it (one monolithic upload:
    /// attestations are kilobytes). Returns whether it was uploaded.
    pub async fn push_blob(&self, bytes: &[u8]) -> Result<bool, OciError> {
        let digest = format!("sha256:{}", Sha256Hex::of(bytes).as_str());
        if self.has_blob(&digest).await? {
            return Ok(false);
        }
        let what = format!("upload of blob {digest}");
        let start = self.url("blobs/uploads/");
        let response = self
            .send(&what, |h| {
                h.post(start.clone())
                    .header(reqwest::header::CONTENT_LENGTH, "0")
            })
            .await?;
        let response = self.ok(&what, response).await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.failed(&what, "the upload's answer has no Location".into()))?;
        let mut put = self
            .base
            .join(location)
            .map_err(|_| self.failed(&what, "the upload's Location is not a URL".into()))?;
        // The upload session may live elsewhere (storage the registry hands
        // the upload to), never under a weaker scheme; credentials are sent
        // only to the registry itself.
        if self.base.scheme() == "https" && put.scheme() != "https" {
            return Err(self.failed(&what, "the upload's Location is not HTTPS".into()));
        }
        put.query_pairs_mut().append_pair("digest", &digest);
        let body = bytes.to_vec();
        let request = |h: &reqwest::Client| {
            h.put(put.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body.clone())
        };
        let response = if put.origin() == self.base.origin() {
            self.send(&what, request).await?
        } else {
            request(&self.http)
                .send()
                .await
                .map_err(|e| self.failed(&what, describe(&e)))?
        };
        self.ok(&what, response).await?;
        Ok(true)
    }

    /// Put a manifest (or index) under `reference` (its digest, or a tag).
    pub async fn push_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Pushed, OciError> {
        let what = format!("manifest {}", crate::term::escape(reference));
        let url = self.url(&format!("manifests/{reference}"));
        let body = bytes.to_vec();
        let response = self
            .send(&what, |h| {
                h.put(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, media_type)
                    .body(body.clone())
            })
            .await?;
        let response = self.ok(&what, response).await?;
        let registry_indexes = response.headers().contains_key("oci-subject");
        Ok(Pushed {
            descriptor: Descriptor::of(media_type, bytes),
            registry_indexes,
        })
    }

    /// The referrers of `digest`: the referrers API's answer where the
    /// registry has one, else the tag-schema index (none: empty).
    pub async fn referrers(&self, digest: &str) -> Result<(Vec<Descriptor>, Listing), OciError> {
        let what = format!("referrers of {digest}");
        let url = self.url(&format!("referrers/{digest}"));
        let response = self
            .send(&what, |h| {
                h.get(url.clone())
                    .header(reqwest::header::ACCEPT, OCI_INDEX)
            })
            .await?;
        // A registry without the API answers 404 (or 400/405 for a path it
        // does not route); one with it answers an index, possibly empty.
        let status = response.status().as_u16();
        let is_index = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(OCI_INDEX));
        if status == 200 && is_index {
            // A listing in pages would be checked only in part: refused,
            // not passed on its first page.
            if response.headers().contains_key(reqwest::header::LINK) {
                return Err(self.failed(
                    &what,
                    "the registry lists the referrers in pages (a Link header), which this client does not follow yet; nothing was checked".into(),
                ));
            }
            let bytes = self
                .body(&what, response, MAX_MANIFEST_BYTES as u64)
                .await?;
            let index = self.parse_index(&what, &bytes)?;
            return Ok((index.manifests, Listing::Api));
        }
        if !matches!(status, 200 | 400 | 404 | 405) {
            return Err(self.status_error(&what, status, String::new()));
        }
        Ok((self.tag_index(digest).await?.manifests, Listing::TagIndex))
    }

    /// The tag-schema index of `digest` (empty when there is none).
    pub async fn tag_index(&self, digest: &str) -> Result<Index, OciError> {
        let tag = digest.replacen(':', "-", 1);
        match self.manifest(&tag).await {
            Ok((bytes, _)) => self.parse_index(&format!("referrers index {tag}"), &bytes),
            Err(e) if e.is_not_found() => Ok(Index::new(Vec::new())),
            Err(e) => Err(e),
        }
    }

    fn parse_index(&self, what: &str, bytes: &[u8]) -> Result<Index, OciError> {
        let index: Index = serde_json::from_slice(bytes).map_err(|e| OciError::Malformed {
            registry: self.registry.clone(),
            what: what.to_string(),
            kind: "image index",
            why: e.to_string(),
        })?;
        if index.schema_version != 2 {
            return Err(OciError::Malformed {
                registry: self.registry.clone(),
                what: what.to_string(),
                kind: "image index",
                why: format!("schemaVersion {}", index.schema_version),
            });
        }
        Ok(index)
    }

    async fn ok(
        &self,
        what: &str,
        response: reqwest::Response,
    ) -> Result<reqwest::Response, OciError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The distribution error body names the problem ("MANIFEST_INVALID");
        // a little of it helps, escaped.
        let detail = read_bounded(response, 4096)
            .await
            .ok()
            .and_then(|b| error_codes(&b))
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        Err(self.status_error(what, status.as_u16(), detail))
    }

    fn status_error(&self, what: &str, status: u16, detail: String) -> OciError {
        let detail = match status {
            401 | 403 if detail.is_empty() => {
                " (not allowed with the credentials given; see docs/attach.md)".to_string()
            }
            _ => detail,
        };
        OciError::Status {
            registry: self.registry.clone(),
            what: what.to_string(),
            status,
            detail,
        }
    }

    async fn body(
        &self,
        what: &str,
        response: reqwest::Response,
        max: u64,
    ) -> Result<Vec<u8>, OciError> {
        read_bounded(response, max).await.map_err(|e| match e {
            ReadError::TooLarge => OciError::TooLarge {
                registry: self.registry.clone(),
                what: what.to_string(),
                max,
            },
            ReadError::Http(why) => self.failed(what, why),
        })
    }

    fn check_digest(&self, what: &str, hex: &str, bytes: &[u8]) -> Result<(), OciError> {
        let actual = Sha256Hex::of(bytes);
        if actual.as_str() != hex {
            return Err(OciError::DigestMismatch {
                registry: self.registry.clone(),
                what: what.to_string(),
                expected: format!("sha256:{hex}"),
                actual: format!("sha256:{}", actual.as_str()),
            });
        }
        Ok(())
    }
}

fn basic(c: &Credentials) -> String {
    let pair = format!("{}:{}", c.username, c.secret);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// `Bearer realm="…",service="…",scope="…"` → ("Bearer", params).
pub fn parse_challenge(header: &str) -> (String, BTreeMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            after.split_once(',').map_or((after, ""), |(v, n)| (v, n))
        };
        params.insert(key, value.to_string());
        rest = next.trim_start_matches([',', ' ']);
    }
    (scheme.to_string(), params)
}

/// The `code`s of a distribution error body, escaped for a message.
fn error_codes(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let errors: Errors = serde_json::from_slice(body).ok()?;
    let text: Vec<String> = errors
        .errors
        .iter()
        .take(3)
        .map(|e| {
            let m: String = e.message.chars().take(120).collect();
            crate::term::escape(&format!("{}: {m}", e.code)).into_owned()
        })
        .collect();
    (!text.is_empty()).then(|| text.join("; "))
}

enum ReadError {
    TooLarge,
    Http(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::TooLarge => f.write_str("the answer is too large"),
            ReadError::Http(why) => f.write_str(why),
        }
    }
}

async fn read_bounded(mut response: reqwest::Response, max: u64) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Http(describe(&e)))?
    {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong with a request, without its URL (reqwest puts the full
/// URL, credentials included, into its messages).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect refused"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() || detail.contains("://") {
        kind.to_string()
    } else {
        format!("{kind} ({})", crate::term::escape(&detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn image_references_name_a_registry_a_repository_and_a_digest() {
        let r = ImageRef::parse(&format!("127.0.0.1:5000/team/app@sha256:{HEX}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert!(r.is_loopback());
        assert_eq!(r.fallback_tag(), format!("sha256-{HEX}"));
        assert_eq!(
            r.to_string(),
            format!("127.0.0.1:5000/team/app@sha256:{HEX}")
        );
        let tagged = ImageRef::parse(&format!("registry.example/app:v1@sha256:{HEX}")).unwrap();
        assert_eq!(tagged.repository, "app");
        assert!(!tagged.is_loopback());
        assert!(
            ImageRef::parse(&format!("localhost/app@sha256:{HEX}"))
                .unwrap()
                .is_loopback()
        );
        assert!(
            ImageRef::parse(&format!("[::1]:5000/app@sha256:{HEX}"))
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn tags_short_names_and_odd_repositories_are_refused() {
        let err = |s: &str| ImageRef::parse(s).unwrap_err();
        assert!(matches!(
            err("registry.example/app:v1"),
            ImageRefError::NoDigest(_)
        ));
        assert!(matches!(
            err("registry.example/app@sha256:abc"),
            ImageRefError::BadDigest(_)
        ));
        assert!(matches!(
            err(&format!(
                "registry.example/app@sha256:{}",
                HEX.to_uppercase()
            )),
            ImageRefError::BadDigest(_)
        ));
        assert!(matches!(
            err(&format!("app@sha256:{HEX}")),
            ImageRefError::NoRegistry(_)
        ));
        assert!(matches!(
            err(&format!("team/app@sha256:{HEX}")),
            ImageRefError::NoRegistry(_)
        ));
        assert!(matches!(
            err(&format!("r.example/App@sha256:{HEX}")),
            ImageRefError::BadRepository(_)
        ));
        assert!(matches!(
            err(&format!("r.example/a/../b@sha256:{HEX}")),
            ImageRefError::BadRepository(_)
        ));
        assert!(matches!(
            err(&format!("r.example/a?x@sha256:{HEX}")),
            ImageRefError::BadRepository(_)
        ));
    }

    #[test]
    fn challenges_are_read_with_quoted_commas() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        assert_eq!(parse_challenge(r#"Basic realm="r""#).0, "Basic");
    }

    #[test]
    fn credentials_never_print() {
        let c = Credentials {
            username: "u".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
