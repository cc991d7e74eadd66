//! A real HTTP server on loopback that stands in for the upstream services:
//! it serves the recorded responses in `tests/fixtures` as they are, and
//! answers what was not recorded from the real data, in the services'
//! documented shapes:
//!
//! - OSV `querybatch`/`query` answers are computed from the real OSV records
//!   in `fixtures/osv` (explicit `versions` lists, and introduced/fixed/
//!   last_affected ranges compared as SemVer, or PEP 440 for PyPI). This is the
//!   test's own small evaluator, not the tool's.
//! - deps.dev `GetVersion`/`GetPackage` answers are built from the registry
//!   recordings and those OSV answers (the two recorded examples are served
//!   as recorded). Built answers carry `"x-fixture": "built-from-registry-and-osv-data"`.
//!
//! Faults can be injected per path prefix, every answer can be delayed, and
//! requests are counted per service. Used by the tests and the benchmark.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Something to do instead of answering.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status the next `times` requests.
    Status { status: u16, times: u32 },
    /// 429 with `Retry-After: secs` the next `times` requests.
    TooMany { retry_after: u64, times: u32 },
    /// Accept, read the request, never answer.
    Hang,
    /// Announce a body, send half of it, close.
    Truncated,
    /// 200 with a body that is not JSON.
    NotJson,
    /// 200 with a body of this many bytes (streamed, never held in memory).
    Huge(u64),
    /// A redirect to this location.
    Redirect(String),
    /// Answer with this status and body (every time).
    Body { status: u16, body: Vec<u8> },
}

struct State {
    fixtures: PathBuf,
    base: Mutex<String>,
    delay: Mutex<Duration>,
    faults: Mutex<Vec<(String, Fault)>>,
    counts: Mutex<BTreeMap<String, u64>>,
    /// Answers that were neither 200 nor 404: a client does not cache them.
    errors: Mutex<u64>,
    /// Requests per path (query included).
    paths: Mutex<BTreeMap<String, u64>>,
    osv: Osv,
    /// Responses per page of a deps.dev batch answer.
    depsdev_page: Mutex<usize>,
    /// Items asked for in batch requests, per batch endpoint (a deps.dev
    /// batch's later pages repeat the items: counted once).
    items: Mutex<BTreeMap<String, u64>>,
    /// Answer 404 (absent) rather than an error for what was not recorded.
    unrecorded_absent: Mutex<bool>,
    /// GitHub API requests that carried the test token `github-test-token`.
    github_authorized: Mutex<u64>,
}

pub struct FixtureServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    _thread: std::thread::JoinHandle<()>,
}

impl FixtureServer {
    pub fn start(fixtures: &Path) -> FixtureServer {
        FixtureServer::start_at(fixtures, 0)
    }

    /// On loopback port `port` (0: any free one): a fixed port gives the
    /// same URLs, and so the same cache keys, run after run.
    pub fn start_at(fixtures: &Path, port: u16) -> FixtureServer {
        let osv = Osv::load(&fixtures.join("osv"));
        let state = Arc::new(State {
            fixtures: fixtures.to_path_buf(),
            base: Mutex::new(String::new()),
            delay: Mutex::new(Duration::ZERO),
            faults: Mutex::new(Vec::new()),
            counts: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(0),
            paths: Mutex::new(BTreeMap::new()),
            osv,
            depsdev_page: Mutex::new(1000),
            items: Mutex::new(BTreeMap::new()),
            unrecorded_absent: Mutex::new(false),
            github_authorized: Mutex::new(0),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let st = st.clone();
                    tokio::spawn(async move {
                        let _ = serve(stream, st).await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        *state.base.lock().unwrap() = format!("http://{addr}");
        FixtureServer {
            addr,
            state,
            _thread: thread,
        }
    }

    pub fn url(&self, service: &str) -> String {
        format!("http://{}/{service}", self.addr)
    }

    /// The environment variables that point the tool at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("TACOS_DEPSDEV_URL", "depsdev"),
            ("TACOS_OSV_URL", "osv"),
            ("TACOS_SCORECARD_URL", "scorecard"),
            ("TACOS_NPM_REGISTRY_URL", "npm"),
            ("TACOS_PYPI_URL", "pypi"),
            ("TACOS_CRATES_INDEX_URL", "crates-index"),
            ("TACOS_CRATES_API_URL", "crates-api"),
            ("TACOS_GITHUB_API_URL", "github"),
            ("TACOS_TIDELIFT_URL", "tidelift"),
        ]
        .into_iter()
        .map(|(k, s)| (k.to_string(), self.url(s)))
        .collect()
    }

    /// How many responses a page of a deps.dev batch answer holds (the
    /// real page size is not documented).
    pub fn set_depsdev_page(&self, n: usize) {
        *self.state.depsdev_page.lock().unwrap() = n.max(1);
    }

    pub fn set_delay(&self, d: Duration) {
        *self.state.delay.lock().unwrap() = d;
    }

    /// Apply `fault` to requests whose path starts with `prefix` (or, for
    /// a prefix ending in `$`, whose path is exactly the rest).
    pub fn fault(&self, prefix: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .push((prefix.to_string(), fault));
    }

    pub fn clear_faults(&self) {
        self.state.faults.lock().unwrap().clear();
    }

    /// Requests received per service (first path segment).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts.lock().unwrap().clone()
    }

    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }

    /// Requests so far for exactly this path.
    /// GitHub API requests made with the test token.
    pub fn github_authorized(&self) -> u64 {
        *self.state.github_authorized.lock().unwrap()
    }

    pub fn hits(&self, path: &str) -> u64 {
        self.state
            .paths
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests so far whose path starts with `prefix`.
    pub fn hits_under(&self, prefix: &str) -> u64 {
        self.state
            .paths
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Remove the faults set for `prefix`.
    pub fn clear_fault(&self, prefix: &str) {
        self.state
            .faults
            .lock()
            .unwrap()
            .retain(|(p, _)| p != prefix);
    }

    /// Answers so far that were neither 200 nor 404.
    pub fn error_answers(&self) -> u64 {
        *self.state.errors.lock().unwrap()
    }

    /// Registries that know only what was recorded: 404 for the rest, a
    /// complete answer ("no such package"), where by default the rest get
    /// an error. For fleets, where a statement with an unavailable source
    /// is not stored and so is assessed again by each runner that needs it.
    pub fn set_unrecorded_absent(&self, yes: bool) {
        *self.state.unrecorded_absent.lock().unwrap() = yes;
    }

    /// Items asked for in batch requests, per batch endpoint: what a fleet
    /// must ask exactly once per package, however it splits the batches.
    pub fn batch_items(&self) -> BTreeMap<String, u64> {
        self.state.items.lock().unwrap().clone()
    }

    /// Forget every count: requests per service and per path, batch items.
    pub fn reset_counts(&self) {
        self.state.counts.lock().unwrap().clear();
        self.state.paths.lock().unwrap().clear();
        self.state.items.lock().unwrap().clear();
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    authorization: Option<String>,
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let authorization = header("authorization");
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        body,
        authorization,
    })
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    gzip: bool,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn json(status: u16, v: &Value) -> Answer {
        Answer {
            status,
            body: v.to_string().into_bytes(),
            gzip: false,
            headers: vec![],
        }
    }
    fn not_found() -> Answer {
        Answer::json(404, &json!({"code": 5, "message": "not found"}))
    }
}

/// What was not recorded is not known to be absent: a registry's 404
/// means "removed", so an unrecorded package gets an error instead, unless
/// the test asked for registries that know only what was recorded.
fn not_recorded(st: &State) -> Answer {
    if *st.unrecorded_absent.lock().unwrap() {
        Answer::not_found()
    } else {
        Answer::json(424, &json!({"error": "not recorded in the test fixtures"}))
    }
}

async fn serve(mut stream: TcpStream, st: Arc<State>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await else {
        return Ok(());
    };
    let service = req
        .path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    *st.counts.lock().unwrap().entry(service).or_default() += 1;
    *st.paths
        .lock()
        .unwrap()
        .entry(req.path.clone())
        .or_default() += 1;
    let delay = *st.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fault = {
        let mut faults = st.faults.lock().unwrap();
        let mut found = None;
        for (prefix, f) in faults.iter_mut() {
            let hit = match prefix.strip_suffix('$') {
                Some(exact) => req.path.split('?').next() == Some(exact),
                None => req.path.starts_with(prefix.as_str()),
            };
            if hit {
                match f {
                    Fault::Status { times, .. } | Fault::TooMany { times, .. } if *times == 0 => {
                        continue;
                    }
                    Fault::Status { times, .. } | Fault::TooMany { times, .. } => *times -= 1,
                    _ => {}
                }
                found = Some(f.clone());
                break;
            }
        }
        found
    };
    let answer = match fault {
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Some(Fault::Truncated) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{\"name\": \"trunc";
            stream.write_all(head.as_bytes()).await?;
            return stream.shutdown().await;
        }
        Some(Fault::Huge(n)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {n}\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let block = vec![b' '; 1 << 16];
            let mut sent = 0u64;
            while sent < n {
                if stream.write_all(&block).await.is_err() {
                    return Ok(()); // the client gave up, as it should
                }
                sent += block.len() as u64;
            }
            return Ok(());
        }
        Some(Fault::NotJson) => Answer {
            status: 200,
            body: b"<html>Service temporarily moved</html>".to_vec(),
            gzip: false,
            headers: vec![],
        },
        Some(Fault::Status { status, .. }) => Answer::json(status, &json!({"error": "injected"})),
        Some(Fault::TooMany { retry_after, .. }) => Answer {
            status: 429,
            body: b"{}".to_vec(),
            gzip: false,
            headers: vec![("retry-after".into(), retry_after.to_string())],
        },
        Some(Fault::Body { status, body }) => Answer {
            status,
            body,
            gzip: false,
            headers: vec![],
        },
        Some(Fault::Redirect(to)) => Answer {
            status: 302,
            body: vec![],
            gzip: false,
            headers: vec![("location".into(), to)],
        },
        None => route(&st, &req),
    };
    if answer.status != 200 && answer.status != 404 {
        *st.errors.lock().unwrap() += 1;
    }
    let reason = match answer.status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    if answer.gzip {
        head.push_str("content-encoding: gzip\r\n");
    }
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&answer.body).await?;
    stream.shutdown().await
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A recorded file, as stored (gzip or not).
fn file_answer(path: &Path) -> Option<Answer> {
    if let Ok(body) = std::fs::read(path) {
        return Some(Answer {
            status: 200,
            body,
            gzip: false,
            headers: vec![],
        });
    }
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    std::fs::read(gz).ok().map(|body| Answer {
        status: 200,
        body,
        gzip: true,
        headers: vec![],
    })
}

/// A recorded JSON file's parsed content.
fn file_json(path: &Path) -> Option<Value> {
    if let Ok(b) = std::fs::read(path) {
        return serde_json::from_slice(&b).ok();
    }
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(gz)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).ok())
        .flatten()
}

fn pep503(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn pypi_file(st: &State, name: &str) -> Option<PathBuf> {
    let dir = st.fixtures.join("registry/pypi");
    let want = pep503(name);
    std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok())
        .find_map(|e| {
            let f = e.file_name().to_string_lossy().to_string();
            let stem = f.trim_end_matches(".gz").trim_end_matches(".json");
            (pep503(stem) == want && f.ends_with(".json")
                || f.ends_with(".json.gz") && pep503(stem) == want)
                .then(|| dir.join(format!("{stem}.json")))
        })
}

fn npm_file(st: &State, name: &str) -> PathBuf {
    st.fixtures
        .join("registry/npm")
        .join(format!("{}.json", name.replace('/', "__")))
}

fn route(st: &State, req: &Request) -> Answer {
    let path = req.path.split('?').next().unwrap_or("").to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
    let (service, rest) = (parts[0], parts.get(1).copied().unwrap_or(""));
    match service {
        // npm's attestations of a release: the recorded ones, else npm's
        // 404 (most releases have none).
        "npm" if rest.starts_with("-/npm/v1/attestations/") => {
            let release = pct_decode(&rest["-/npm/v1/attestations/".len()..]);
            if release.contains("..") {
                return Answer::not_found();
            }
            let file = st
                .fixtures
                .join("provenance/npm")
                .join(format!("{}.json", release.replace('/', "__")));
            file_answer(&file).unwrap_or_else(|| Answer::json(404, &json!({"error": "Not found"})))
        }
        "npm" => file_answer(&npm_file(st, &pct_decode(rest))).unwrap_or_else(|| not_recorded(st)),
        // PyPI's integrity API: a file's recorded PEP 740 provenance, else
        // its 404 (most files have none).
        "pypi" if rest.starts_with("integrity/") => {
            let parts: Vec<String> = rest.split('/').map(pct_decode).collect();
            match parts.as_slice() {
                [_, _project, _version, file, last]
                    if last == "provenance" && !file.contains("..") && !file.contains('/') =>
                {
                    file_answer(
                        &st.fixtures
                            .join("provenance/pypi")
                            .join(format!("{file}.provenance")),
                    )
                    .unwrap_or_else(|| {
                        Answer::json(404, &json!({"message": "No provenance available"}))
                    })
                }
                _ => Answer::not_found(),
            }
        }
        "pypi" => {
            let name = rest
                .strip_prefix("pypi/")
                .and_then(|r| r.strip_suffix("/json"));
            name.and_then(|n| pypi_file(st, &pct_decode(n)))
                .and_then(|p| file_answer(&p))
                .unwrap_or_else(|| not_recorded(st))
        }
        "crates-index" => {
            if rest == "config.json" {
                let base = st.base.lock().unwrap().clone();
                return Answer::json(
                    200,
                    &json!({"dl": format!("{base}/crates-dl"), "api": format!("{base}/crates-api")}),
                );
            }
            if rest.contains("..") {
                return Answer::not_found();
            }
            file_answer(&st.fixtures.join("registry/crates/index").join(rest))
                .unwrap_or_else(|| not_recorded(st))
        }
        "crates-api" => {
            let name = rest.strip_prefix("api/v1/crates/").unwrap_or("");
            if name.contains('/') || name.contains("..") {
                return Answer::not_found();
            }
            file_answer(
                &st.fixtures
                    .join("registry/crates-api-examples")
                    .join(format!("{name}.json")),
            )
            .unwrap_or_else(|| not_recorded(st))
        }
        "osv" => osv_route(st, &req.method, rest, &req.body),
        // Tidelift's attestation-report API: answers a report for any
        // project, to the bearer token `tidelift-test-token` only.
        "tidelift"
            if rest.starts_with("external-api/v1/") && rest.ends_with("/attestation-report") =>
        {
            if req.authorization.as_deref() != Some("Bearer tidelift-test-token") {
                return Answer::json(401, &json!({"error": "unauthorized"}));
            }
            Answer::json(
                200,
                &json!({
                    "@id": "https://github.com/tacosframework/",
                    "author": "Tidelift test",
                    "role": "Attestor",
                    "LastModifiedDateTimeUTC": "2026-11-01T00:00:00Z",
                    "TACOSversion": "1.1",
                    "application": "test",
                    "statements": [{"PURL": "pkg:pypi/urllib3", "PackageManagerMFAEnabled": "True"}]
                }),
            )
        }
        "depsdev" if req.method == "POST" && rest == "v3alpha/versionbatch" => {
            depsdev_batch(st, &req.body)
        }
        "depsdev" => depsdev_route(st, rest),
        // GitHub's API: with a token, only the test's (`github-test-token`).
        "github" => match req.authorization.as_deref() {
            None => github_contents(st, rest),
            Some("Bearer github-test-token") => {
                *st.github_authorized.lock().unwrap() += 1;
                github_contents(st, rest)
            }
            Some(_) => Answer::json(401, &json!({"message": "Bad credentials"})),
        },
        "scorecard" => {
            let repo = rest.strip_prefix("projects/").unwrap_or("");
            let dir = st.fixtures.join("api/scorecard");
            let mut best: Option<(String, PathBuf)> = None;
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let v: Value = serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
                if v["repo"]["name"].as_str() == Some(repo) {
                    let date = v["date"].as_str().unwrap_or("").to_string();
                    if best.as_ref().is_none_or(|(d, _)| &date > d) {
                        best = Some((date, e.path()));
                    }
                }
            }
            best.and_then(|(_, p)| file_answer(&p))
                .unwrap_or_else(Answer::not_found)
        }
        _ => Answer::not_found(),
    }
}

/// GitHub's contents API (`repos/{owner}/{repo}/contents/{path}`) over
/// the real files in `fixtures/repos/github.com/`: the documented shape
/// (`type`, `path`, `size`, base64 `content` in lines of 60) built around
/// the file; 404 for a file not there.
fn github_contents(st: &State, rest: &str) -> Answer {
    use base64::Engine;
    let Some(after) = rest.strip_prefix("repos/") else {
        return Answer::not_found();
    };
    let mut parts = after.splitn(4, '/');
    let (Some(owner), Some(repo), Some("contents"), Some(path)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Answer::not_found();
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.split('/').any(|s| s == ".." || s.is_empty()) {
        return Answer::not_found();
    }
    let file = st
        .fixtures
        .join("repos/github.com")
        .join(owner)
        .join(repo)
        .join(path);
    let Ok(bytes) = std::fs::read(&file) else {
        return Answer::json(404, &json!({"message": "Not Found", "status": "404"}));
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    Answer::json(
        200,
        &json!({
            "type": "file",
            "encoding": "base64",
            "size": bytes.len(),
            "name": path.rsplit('/').next(),
            "path": path,
            "content": lines.join("\n") + "\n",
            "html_url": format!("https://github.test/{owner}/{repo}/blob/main/{path}"),
        }),
    )
}

// ---- OSV stand-in --------------------------------------------------------

struct Osv {
    /// (ecosystem, normalized name) -> records
    index: HashMap<(String, String), Vec<Arc<Value>>>,
    by_id: HashMap<String, Arc<Value>>,
}

fn norm_name(eco: &str, name: &str) -> String {
    if eco == "PyPI" {
        pep503(name)
    } else {
        name.to_string()
    }
}

impl Osv {
    fn load(dir: &Path) -> Osv {
        let mut index: HashMap<(String, String), Vec<Arc<Value>>> = HashMap::new();
        let mut by_id = HashMap::new();
        for eco in std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
        {
            for f in std::fs::read_dir(eco.path()).unwrap().flatten() {
                let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(f.path()).unwrap())
                else {
                    continue;
                };
                let v = Arc::new(v);
                by_id.insert(v["id"].as_str().unwrap_or("").to_string(), v.clone());
                for a in v["affected"].as_array().into_iter().flatten() {
                    let e = a["package"]["ecosystem"].as_str().unwrap_or("").to_string();
                    let n = norm_name(&e, a["package"]["name"].as_str().unwrap_or(""));
                    let list = index.entry((e, n)).or_default();
                    if !list.iter().any(|x| Arc::ptr_eq(x, &v)) {
                        list.push(v.clone());
                    }
                }
            }
        }
        Osv { index, by_id }
    }

    fn affected_ids(&self, eco: &str, name: &str, version: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let key = (eco.to_string(), norm_name(eco, name));
        for rec in self.index.get(&key).into_iter().flatten() {
            if rec.get("withdrawn").is_some_and(|w| !w.is_null()) {
                continue;
            }
            let hit = rec["affected"].as_array().into_iter().flatten().any(|a| {
                a["package"]["ecosystem"] == eco
                    && norm_name(eco, a["package"]["name"].as_str().unwrap_or("")) == key.1
                    && affects(eco, a, version)
            });
            if hit {
                out.push((
                    rec["id"].as_str().unwrap_or("").to_string(),
                    rec["modified"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
        out.sort();
        out
    }
}

/// Compare two versions the simple way the test needs: PEP 440 for PyPI,
/// SemVer (leading `v` dropped) for everything else.
fn cmp(eco: &str, a: &str, b: &str) -> Option<std::cmp::Ordering> {
    if eco == "PyPI" {
        let a: pep440_rs::Version = a.parse().ok()?;
        let b: pep440_rs::Version = b.parse().ok()?;
        return Some(a.cmp(&b));
    }
    let a = semver::Version::parse(a.trim_start_matches('v')).ok()?;
    let b = semver::Version::parse(b.trim_start_matches('v')).ok()?;
    Some(a.cmp(&b))
}

fn affects(eco: &str, affected: &Value, version: &str) -> bool {
    if affected["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v == version)
    {
        return true;
    }
    for range in affected["ranges"].as_array().into_iter().flatten() {
        if range["type"] == "GIT" {
            continue;
        }
        let mut start: Option<String> = None;
        for ev in range["events"].as_array().into_iter().flatten() {
            if let Some(i) = ev["introduced"].as_str() {
                start = Some(i.to_string());
            }
            let below = |bound: &str, inclusive: bool| {
                cmp(eco, version, bound).is_some_and(|o| {
                    o == std::cmp::Ordering::Less || (inclusive && o == std::cmp::Ordering::Equal)
                })
            };
            let at_or_after_start = |s: &str| {
                s == "0" || cmp(eco, version, s).is_some_and(|o| o != std::cmp::Ordering::Less)
            };
            if let Some(f) = ev["fixed"].as_str()
                && let Some(s) = start.take()
                && at_or_after_start(&s)
                && below(f, false)
            {
                return true;
            }
            if let Some(l) = ev["last_affected"].as_str()
                && let Some(s) = start.take()
                && at_or_after_start(&s)
                && below(l, true)
            {
                return true;
            }
        }
        if let Some(s) = start
            && (s == "0" || cmp(eco, version, &s).is_some_and(|o| o != std::cmp::Ordering::Less))
        {
            return true;
        }
    }
    false
}

fn osv_route(st: &State, method: &str, rest: &str, body: &[u8]) -> Answer {
    match (method, rest) {
        ("POST", "v1/querybatch") => {
            let Ok(q) = serde_json::from_slice::<Value>(body) else {
                return Answer::json(400, &json!({"code": 3, "message": "invalid JSON"}));
            };
            let queries = q["queries"].as_array().cloned().unwrap_or_default();
            if queries.len() > 1000 {
                return Answer::json(400, &json!({"code": 3, "message": "Too many queries."}));
            }
            *st.items
                .lock()
                .unwrap()
                .entry("osv querybatch".into())
                .or_default() += queries.len() as u64;
            let results: Vec<Value> = queries
                .iter()
                .map(|q| {
                    let eco = q["package"]["ecosystem"].as_str().unwrap_or("");
                    let name = q["package"]["name"].as_str().unwrap_or("");
                    let version = q["version"].as_str().unwrap_or("");
                    let ids = st.osv.affected_ids(eco, name, version);
                    if ids.is_empty() {
                        json!({})
                    } else {
                        json!({"vulns": ids.iter().map(|(id, m)| json!({"id": id, "modified": m})).collect::<Vec<_>>()})
                    }
                })
                .collect();
            Answer::json(200, &json!({"results": results}))
        }
        ("GET", r) if r.starts_with("v1/vulns/") => {
            let id = &r["v1/vulns/".len()..];
            match st.osv.by_id.get(id) {
                Some(v) => Answer::json(200, v),
                None => Answer::json(404, &json!({"code": 5, "message": "Bug not found."})),
            }
        }
        _ => Answer::not_found(),
    }
}

// ---- deps.dev stand-in ---------------------------------------------------

/// `GetVersionBatch`: each request answered as `GetVersion` would answer
/// it, a version it does not know left without `version`, in pages whose
/// token is the offset of the next one.
fn depsdev_batch(st: &State, body: &[u8]) -> Answer {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return Answer::json(400, &json!({"code": 3, "message": "invalid JSON"}));
    };
    let Some(requests) = req["requests"].as_array() else {
        return Answer::json(400, &json!({"code": 3, "message": "no requests"}));
    };
    if requests.len() > 5000 {
        return Answer::json(400, &json!({"code": 3, "message": "too many requests"}));
    }
    let start: usize = match req["pageToken"].as_str().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("page-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return Answer::json(400, &json!({"code": 3, "message": "bad page token"})),
        },
    };
    if start == 0 {
        *st.items
            .lock()
            .unwrap()
            .entry("depsdev versionbatch".into())
            .or_default() += requests.len() as u64;
    }
    let page = *st.depsdev_page.lock().unwrap();
    let end = (start + page).min(requests.len());
    let mut responses = Vec::new();
    for r in &requests[start.min(end)..end] {
        let k = &r["versionKey"];
        let (Some(system), Some(name), Some(version)) = (
            k["system"].as_str(),
            k["name"].as_str(),
            k["version"].as_str(),
        ) else {
            return Answer::json(
                400,
                &json!({"code": 3, "message": "a request without a versionKey"}),
            );
        };
        let one = depsdev_route(
            st,
            &format!(
                "v3/systems/{}/packages/{}/versions/{}",
                system.to_ascii_lowercase(),
                pct_encode(name),
                pct_encode(version)
            ),
        );
        let mut item = json!({"request": r});
        if one.status == 200 {
            item["version"] = serde_json::from_slice(&one.body).unwrap();
        }
        responses.push(item);
    }
    let mut out = json!({"responses": responses});
    if end < requests.len() {
        out["nextPageToken"] = json!(format!("page-{end}"));
    }
    Answer::json(200, &out)
}

fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn depsdev_route(st: &State, rest: &str) -> Answer {
    // v3/systems/{system}/packages/{name}[/versions/{version}]
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.len() < 4 || segs[0] != "v3" || segs[1] != "systems" || segs[3] != "packages" {
        return Answer::not_found();
    }
    let system = segs[2].to_ascii_uppercase();
    let name = pct_decode(segs.get(4).copied().unwrap_or(""));
    let version = match (segs.get(5), segs.get(6)) {
        (Some(&"versions"), Some(v)) => Some(pct_decode(v)),
        _ => None,
    };
    if let Some(v) = &version {
        let recorded = format!(
            "{}-{}-{}.getversion.json",
            system.to_lowercase(),
            name.replace('/', "__"),
            v
        );
        if let Some(a) = file_answer(&st.fixtures.join("api/depsdev").join(recorded)) {
            return a;
        }
    }
    let (eco, registry) = match system.as_str() {
        "NPM" => ("npm", file_json(&npm_file(st, &name))),
        "PYPI" => ("PyPI", pypi_file(st, &name).and_then(|p| file_json(&p))),
        _ => return Answer::not_found(),
    };
    let Some(reg) = registry else {
        return Answer::not_found();
    };
    let versions: Vec<(String, Value)> = match eco {
        "npm" => reg["versions"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        _ => reg["releases"]
            .as_object()
            .map(|m| m.keys().map(|k| (k.clone(), Value::Null)).collect())
            .unwrap_or_default(),
    };
    let default = match eco {
        "npm" => reg["dist-tags"]["latest"].as_str().map(str::to_string),
        _ => reg["info"]["version"].as_str().map(str::to_string),
    };
    match version {
        None => Answer::json(
            200,
            &json!({
                "x-fixture": "built-from-registry-and-osv-data",
                "packageKey": {"system": system, "name": name},
                "versions": versions.iter().map(|(v, _)| json!({
                    "versionKey": {"system": system, "name": name, "version": v},
                    "isDefault": Some(v) == default.as_ref(),
                })).collect::<Vec<_>>(),
            }),
        ),
        Some(v) => {
            let Some((_, meta)) = versions.iter().find(|(k, _)| *k == v) else {
                return Answer::not_found();
            };
            let license = match eco {
                "npm" => meta["license"].as_str().map(str::to_string),
                _ => None,
            };
            let advisories: Vec<Value> = st
                .osv
                .affected_ids(eco, &name, &v)
                .into_iter()
                .map(|(id, _)| json!({"id": id}))
                .collect();
            Answer::json(
                200,
                &json!({
                    "x-fixture": "built-from-registry-and-osv-data",
                    "versionKey": {"system": system, "name": name, "version": v},
                    "isDefault": Some(&v) == default.as_ref(),
                    "licenses": license.into_iter().collect::<Vec<_>>(),
                    "advisoryKeys": advisories,
                    "links": [],
                    "relatedProjects": [],
                }),
            )
        }
    }
}
