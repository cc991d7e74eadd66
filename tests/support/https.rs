//! An HTTPS server on loopback for the remote-reference tests: a test CA and
//! a leaf certificate for 127.0.0.1 made with the `openssl` command at test
//! time, TLS by rustls, and an answer per path, hostile ones included.
//! Connections are counted as they are accepted, before any TLS, so that a
//! test can tell that none was made. [`PlainListener`] is a loopback port
//! that only counts connections (for `http://` URLs that must not be used).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What a path is answered with.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The file of the requested name in this directory (the path below
    /// the route's prefix, percent-decoded; 404 if there is none).
    Files(PathBuf),
    /// This status, with a short body.
    Status(u16),
    /// 302 to this location.
    Redirect(String),
    /// 200 with this many bytes, without a Content-Length: the body ends
    /// when the connection closes, or, `chunked`, with the last chunk.
    Endless { bytes: u64, chunked: bool },
    /// 200 announcing this Content-Length, then nothing.
    Announce(u64),
    /// Read the request, never answer (until the server is dropped).
    Hang,
}

struct State {
    /// Exact paths, and prefixes (ending in `/`); the longest match wins.
    routes: Mutex<Vec<(String, Answer)>>,
    connections: AtomicUsize,
    /// Requests per path (as sent, query included).
    requests: Mutex<BTreeMap<String, usize>>,
    /// The Authorization headers received.
    authorizations: Mutex<Vec<String>>,
    stop: AtomicBool,
}

pub struct HttpsServer {
    pub port: u16,
    /// The test CA's certificate (PEM): what `SSL_CERT_FILE` names.
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
    state: Arc<State>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EXTENSIONS: &str = "\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// A CA and a leaf for 127.0.0.1 signed by it, in `d`: `ca.pem`,
/// `leaf.pem`, `leaf.key`.
fn make_certificates(d: &Path) {
    std::fs::write(d.join("ext.cnf"), EXTENSIONS).unwrap();
    for key in ["ca.key", "leaf.key"] {
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                key,
            ],
        );
    }
    openssl(
        d,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "ca.key",
            "-subj",
            "/O=tacos-test/CN=tacos-test HTTPS Root",
            "-days",
            "3650",
            "-sha256",
            "-config",
            "ext.cnf",
            "-extensions",
            "ca",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "leaf.key",
            "-subj",
            "/O=tacos-test/CN=127.0.0.1",
            "-config",
            "ext.cnf",
            "-out",
            "leaf.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "365",
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "leaf",
            "-out",
            "leaf.pem",
        ],
    );
}

impl HttpsServer {
    pub fn start() -> HttpsServer {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.path().join("leaf.pem"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(dir.path().join("leaf.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let state = Arc::new(State {
            routes: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            requests: Mutex::new(BTreeMap::new()),
            authorizations: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                st.connections.fetch_add(1, Ordering::SeqCst);
                let (st, config) = (st.clone(), config.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, config, &st);
                });
            }
        });
        HttpsServer {
            port,
            ca: dir.path().join("ca.pem"),
            _dir: dir,
            state,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Answer `path` (a prefix if it ends in `/`) with `answer`; a later
    /// route for the same path replaces the earlier one.
    pub fn route(&self, path: &str, answer: Answer) {
        let mut routes = self.state.routes.lock().unwrap();
        routes.retain(|(p, _)| p != path);
        routes.push((path.to_string(), answer));
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Requests per path so far.
    pub fn requests(&self) -> BTreeMap<String, usize> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn authorizations(&self) -> Vec<String> {
        self.state.authorizations.lock().unwrap().clone()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        // Hanging answers end; the accept loop ends at its next connection.
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn answer_for(state: &State, path: &str) -> Option<(String, Answer)> {
    let routes = state.routes.lock().unwrap();
    routes
        .iter()
        .filter(|(p, _)| p == path || (p.ends_with('/') && path.starts_with(p.as_str())))
        .max_by_key(|(p, _)| p.len())
        .cloned()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    state: &State,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(&mut tls);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(v.trim().to_string());
        }
    }
    drop(reader);
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    *state
        .requests
        .lock()
        .unwrap()
        .entry(target.clone())
        .or_default() += 1;
    if let Some(a) = authorization {
        state.authorizations.lock().unwrap().push(a);
    }
    let path = target.split('?').next().unwrap_or("/");
    let head = |status: &str, extra: &str| {
        format!("HTTP/1.1 {status}\r\nConnection: close\r\n{extra}\r\n").into_bytes()
    };
    let short = |status: &str| {
        let body = format!("{status}\n");
        let mut r = head(
            status,
            &format!(
                "Content-Type: text/plain\r\nContent-Length: {}\r\n",
                body.len()
            ),
        );
        r.extend_from_slice(body.as_bytes());
        r
    };
    match answer_for(state, path) {
        None => tls.write_all(&short("404 Not Found"))?,
        Some((prefix, Answer::Files(dir))) => {
            let name = percent_decode(&path[prefix.len().min(path.len())..]);
            let file = dir.join(&name);
            match std::fs::read(&file) {
                Ok(bytes) if !name.is_empty() && !name.contains('/') => {
                    tls.write_all(&head(
                        "200 OK",
                        &format!(
                            "Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
                            bytes.len()
                        ),
                    ))?;
                    tls.write_all(&bytes)?;
                }
                _ => tls.write_all(&short("404 Not Found"))?,
            }
        }
        Some((_, Answer::Status(code))) => {
            let words = match code {
                404 => "Not Found",
                403 => "Forbidden",
                500 => "Internal Server Error",
                _ => "Status",
            };
            tls.write_all(&short(&format!("{code} {words}")))?;
        }
        Some((_, Answer::Redirect(to))) => {
            tls.write_all(&head(
                "302 Found",
                &format!("Location: {to}\r\nContent-Length: 0\r\n"),
            ))?;
        }
        Some((_, Answer::Announce(n))) => {
            tls.write_all(&head(
                "200 OK",
                &format!("Content-Type: application/json\r\nContent-Length: {n}\r\n"),
            ))?;
        }
        Some((_, Answer::Endless { bytes, chunked })) => {
            let extra = if chunked {
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            } else {
                "Content-Type: application/json\r\n"
            };
            tls.write_all(&head("200 OK", extra))?;
            let block = vec![b' '; 64 << 10];
            let mut left = bytes;
            // Streamed, never held: the client stops reading at its limit,
            // and the write fails then.
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                if chunked {
                    tls.write_all(format!("{n:x}\r\n").as_bytes())?;
                }
                tls.write_all(&block[..n])?;
                if chunked {
                    tls.write_all(b"\r\n")?;
                }
                left -= n as u64;
            }
            if chunked {
                tls.write_all(b"0\r\n\r\n")?;
            }
        }
        Some((_, Answer::Hang)) => {
            while !state.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return Ok(());
        }
    }
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// A loopback port that accepts connections, counts them and closes them:
/// where a URL points that must never be asked.
pub struct PlainListener {
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

impl PlainListener {
    pub fn start() -> PlainListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let c = connections.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                c.fetch_add(1, Ordering::SeqCst);
                drop(s);
            }
        });
        PlainListener { port, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
