//! Loopback Sigstore: `tests/conformance/sigstore-standin.mjs` in a node
//! child process, a Fulcio (`@sigstore/mock`'s CA, with an SCT from its
//! test CT log) and a Rekor v1 log of our own (RFC 6962 tree, signed
//! checkpoints and SETs) with a Rekor v2 log beside it (Ed25519 checkpoints,
//! no SETs), each service on its own ephemeral port, plus the
//! `trusted_root.json` naming them. Faults for negative tests are chosen at
//! start. A test that includes this file also includes `support/tsa.rs` as
//! `mod tsa` (the trusted root merges its timestamp authorities).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::Generate;
use serde_json::Value;

use crate::tsa::{RootEntry, trusted_root};

/// Faults the stand-ins commit; the default commits none.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rekor answers with a genuine entry for another artifact (another
    /// statement, signed by another key), its proof and SET intact.
    pub rekor_wrong_body: bool,
    /// Rekor signs its SETs with a key the trusted root does not name.
    pub rekor_bad_set: bool,
    /// Fulcio's CA and CT log work at this RFC 3339 time: certificates are
    /// valid for 10 minutes from it.
    pub fulcio_clock: Option<String>,
}

pub struct SigstoreStandin {
    child: Child,
    /// Held open: the stand-in exits when its stdin closes.
    stdin: Option<ChildStdin>,
    log: tempfile::NamedTempFile,
    /// `http://127.0.0.1:PORT`, serving `POST /api/v2/signingCert`.
    pub fulcio_url: String,
    /// `http://127.0.0.1:PORT`, serving `POST /api/v1/log/entries` and
    /// `GET /api/v1/log`, `/api/v1/log/entries/UUID`, `/api/v1/log/publicKey`
    /// (v1), and `POST /api/v2/log/entries` (v2).
    pub rekor_url: String,
    trusted_root: Value,
}

fn conformance_home() -> PathBuf {
    std::env::var_os("CONFORMANCE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/conformance"))
}

impl SigstoreStandin {
    pub fn start(opts: Options) -> SigstoreStandin {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/conformance/sigstore-standin.mjs");
        let mut args: Vec<String> = vec![script.display().to_string()];
        if opts.rekor_wrong_body {
            args.push("--rekor-wrong-body".into());
        }
        if opts.rekor_bad_set {
            args.push("--rekor-bad-set".into());
        }
        if let Some(at) = &opts.fulcio_clock {
            args.extend(["--fulcio-clock".into(), at.clone()]);
        }
        let log = tempfile::NamedTempFile::new().unwrap();
        // Not skipped without node: CI installs it (tests/conformance/INSTALL.sh),
        // so its absence is a broken setup, said plainly.
        let mut child = Command::new("node")
            .args(&args)
            .env("CONFORMANCE_HOME", conformance_home())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node ({e}): install node and run tests/conformance/INSTALL.sh (the README's test command does)")
            });
        let stdout = child.stdout.take().unwrap();
        // A bounded wait for the ready line: a stand-in that hangs fails the
        // test instead of stalling it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let ready: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!(
                    "sigstore-standin.mjs did not start (exit {status:?}; run tests/conformance/INSTALL.sh if @sigstore/mock is missing); it said:\n{}{}",
                    line,
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                );
            }
        };
        let text = |k: &str| ready[k].as_str().unwrap().to_string();
        SigstoreStandin {
            stdin: child.stdin.take(),
            child,
            log,
            fulcio_url: text("fulcio"),
            rekor_url: text("rekor"),
            trusted_root: ready["trustedRoot"].clone(),
        }
    }

    /// The trusted root as the stand-in printed it: its CA, CT log and
    /// Rekor log, no timestamp authorities.
    pub fn trusted_root(&self) -> &Value {
        &self.trusted_root
    }

    /// A `trusted_root.json` naming the stand-in's CA, CT log and Rekor log
    /// and these timestamp authorities (`tsa::trusted_root`'s entries).
    pub fn trusted_root_json(&self, tsa: &[RootEntry<'_>]) -> String {
        let mut root: Value = serde_json::from_str(&trusted_root(tsa)).unwrap();
        for k in ["tlogs", "certificateAuthorities", "ctlogs"] {
            root[k] = self.trusted_root[k].clone();
        }
        serde_json::to_string_pretty(&root).unwrap()
    }

    /// A Sigstore signing config (v0.2) naming the stand-ins' Fulcio and
    /// Rekor (API version 1) and, when given, a timestamp authority's URL:
    /// what `enrich --keyless --signing-config` reads.
    pub fn signing_config_json(&self, tsa: Option<&str>) -> String {
        self.signing_config_json_rekor(tsa, 1)
    }

    /// [`Self::signing_config_json`] naming the stand-in's Rekor with API
    /// version `rekor_api` (2: its tile log).
    pub fn signing_config_json_rekor(&self, tsa: Option<&str>, rekor_api: u32) -> String {
        let service = |url: &str| serde_json::json!({"url": url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}});
        let mut rekor = service(&self.rekor_url);
        rekor["majorApiVersion"] = rekor_api.into();
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(&self.fulcio_url)],
            "rekorTlogUrls": [rekor],
            "tsaUrls": tsa.map(|u| vec![service(u)]).unwrap_or_default(),
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        })
        .to_string()
    }

    /// What the stand-in wrote to stderr so far: one line per request, with
    /// the status and, for a refusal, its message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for SigstoreStandin {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An OIDC identity token for the stand-in's Fulcio: a JWT with `iss`,
/// `sub`, `aud: "sigstore"`, `iat`/`nbf` now and `exp` in ten minutes, then
/// `extra_claims` (a JSON object) over those. Fulcio certifies `email` when
/// there is one (then it needs `email_verified: true`), else `sub`. Signed
/// ES256 by a key made for it, which nothing checks: `@sigstore/mock`
/// decodes the token without verifying it.
pub fn identity_token(sub: &str, iss: &str, extra_claims: Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = serde_json::json!({
        "iss": iss,
        "sub": sub,
        "aud": "sigstore",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    });
    if let Value::Object(extra) = extra_claims {
        for (k, v) in extra {
            claims[k] = v;
        }
    }
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"ES256","typ":"JWT"}"#);
    let payload = b64.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let key = p256::ecdsa::SigningKey::generate();
    let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64.encode(signature.to_bytes()))
}

/// A tiny GitHub Actions token service: answers `{"value": TOKEN}` when
/// asked with the request token as bearer and `audience=sigstore`, 401
/// otherwise; records each request line and Authorization header.
pub struct ActionsTokenService {
    pub url: String,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl ActionsTokenService {
    pub fn start(bearer: &'static str, token: String) -> ActionsTokenService {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/_apis/token?api-version=2.0",
            listener.local_addr().unwrap()
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                let mut auth = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    if line.to_ascii_lowercase().starts_with("authorization:") {
                        auth = line.trim_end().to_string();
                    }
                }
                let ok = request.contains("audience=sigstore")
                    && auth.eq_ignore_ascii_case(&format!("authorization: bearer {bearer}"));
                log.lock()
                    .unwrap()
                    .push(format!("{} | {auth}", request.trim_end()));
                let body = if ok {
                    serde_json::json!({"count": 1, "value": token}).to_string()
                } else {
                    "{\"message\":\"unauthorized\"}".to_string()
                };
                let status = if ok { "200 OK" } else { "401 Unauthorized" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
            }
        });
        ActionsTokenService { url, seen }
    }
}
