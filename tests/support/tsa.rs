//! A test timestamp authority: OpenSSL's `openssl ts -reply` behind a tiny
//! HTTP server on loopback. Each authority gets its own CA (EC P-256) and a
//! TSA leaf with a critical extended key usage of timeStamping, made with
//! the `openssl` command in a temporary directory; `trusted_root` writes the
//! `trusted_root.json` naming whichever authorities a test trusts.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `openssl ts -reply` on the request.
    OpenSsl,
    /// 200 with this many bytes of zeros.
    Huge(usize),
    /// 302 to this URL.
    Redirect(String),
}

pub struct TestTsa {
    dir: tempfile::TempDir,
    pub name: String,
    /// `http://127.0.0.1:PORT/tsr`.
    pub url: String,
    pub root_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    /// The same key, issuer and serial as the leaf, without the EKU.
    pub leaf_without_eku_der: Vec<u8>,
    requests: Arc<AtomicUsize>,
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

fn pem_to_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
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
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_noeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

impl TestTsa {
    /// An authority answering with `openssl ts -reply`, accepting SHA-256
    /// imprints.
    pub fn start(name: &str) -> TestTsa {
        TestTsa::start_with(name, "sha256, sha384, sha512", Answer::OpenSsl)
    }

    /// `digests`: the imprint algorithms the authority accepts (others are
    /// answered with a rejection, failure badAlg).
    pub fn start_with(name: &str, digests: &str, answer: Answer) -> TestTsa {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ext.cnf"), EXTENSIONS).unwrap();
        for key in ["ca.key", "tsa.key"] {
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
        let root_subject = format!("/O=tacos-test/CN={name} Root");
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "ca.key",
                "-subj",
                &root_subject,
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
        let leaf_subject = format!("/O=tacos-test/CN={name}");
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                "tsa.key",
                "-subj",
                &leaf_subject,
                "-config",
                "ext.cnf",
                "-out",
                "tsa.csr",
            ],
        );
        for (section, out) in [("leaf", "tsa.pem"), ("leaf_noeku", "tsa-noeku.pem")] {
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "tsa.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    "4242",
                    "-days",
                    "3650",
                    "-sha256",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    section,
                    "-out",
                    out,
                ],
            );
        }
        std::fs::write(d.join("serial"), "01\n").unwrap();
        let ts_config = format!(
            "\
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
certs = {dir}/ca.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = {digests}
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
",
            dir = d.display()
        );
        std::fs::write(d.join("ts.cnf"), ts_config).unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let served = requests.clone();
        let work = d.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = served.fetch_add(1, Ordering::SeqCst);
                let (work, answer) = (work.clone(), answer.clone());
                std::thread::spawn(move || serve(stream, &work, n, &answer));
            }
        });
        TestTsa {
            name: name.to_string(),
            url: format!("http://127.0.0.1:{port}/tsr"),
            root_der: pem_to_der(&d.join("ca.pem")),
            leaf_der: pem_to_der(&d.join("tsa.pem")),
            leaf_without_eku_der: pem_to_der(&d.join("tsa-noeku.pem")),
            dir,
            requests,
        }
    }

    /// Leaf first, as a trusted root lists them.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![self.leaf_der.clone(), self.root_der.clone()]
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A CMS SignedData over `content` (a DER TSTInfo) by this authority's
    /// key, made by `openssl cms` (which, unlike `openssl ts`, signs with a
    /// leaf of any usage): the leaf with the timeStamping EKU, or its twin
    /// without. Returns the DER ContentInfo.
    pub fn cms_sign(&self, content: &[u8], with_eku: bool) -> Vec<u8> {
        let d = self.dir.path();
        std::fs::write(d.join("tst.der"), content).unwrap();
        let signer = if with_eku { "tsa.pem" } else { "tsa-noeku.pem" };
        openssl(
            d,
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-in",
                "tst.der",
                "-signer",
                signer,
                "-inkey",
                "tsa.key",
                "-md",
                "sha256",
                "-econtent_type",
                "1.2.840.113549.1.9.16.1.4",
                "-nosmimecap",
                "-certfile",
                "ca.pem",
                "-outform",
                "DER",
                "-out",
                "cms.der",
            ],
        );
        std::fs::read(d.join("cms.der")).unwrap()
    }

    /// Run `openssl ts -reply` on a DER query directly (no HTTP).
    pub fn reply(&self, query: &[u8]) -> Vec<u8> {
        reply(self.dir.path(), usize::MAX, query)
    }
}

/// `openssl ts -reply` keeps the next serial number in a file it rewrites:
/// two at once fail ("Error during serial number generation"), so answers
/// are made one at a time, as one counter in a real authority would.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn reply(dir: &Path, n: usize, query: &[u8]) -> Vec<u8> {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let q: PathBuf = dir.join(format!("q{n}.tsq"));
    let r: PathBuf = dir.join(format!("r{n}.tsr"));
    std::fs::write(&q, query).unwrap();
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(dir.join("ts.cnf"))
        .arg("-queryfile")
        .arg(&q)
        .arg("-out")
        .arg(&r)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl ts -reply failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&r).unwrap()
}

fn serve(stream: TcpStream, dir: &Path, n: usize, answer: &Answer) {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut stream = reader.into_inner();
    let (head, payload) = match answer {
        Answer::OpenSsl => (
            "200 OK\r\nContent-Type: application/timestamp-reply".to_string(),
            reply(dir, n, &body),
        ),
        Answer::Huge(size) => (
            "200 OK\r\nContent-Type: application/timestamp-reply".to_string(),
            vec![0u8; *size],
        ),
        Answer::Redirect(to) => (format!("302 Found\r\nLocation: {to}"), Vec::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let _ = stream.write_all(&payload);
    let _ = stream.flush();
}

/// One `timestampAuthorities[]` entry of a trusted root.
pub struct RootEntry<'a> {
    pub name: &'a str,
    pub uri: &'a str,
    pub chain: Vec<Vec<u8>>,
    pub start: &'a str,
    pub end: Option<&'a str>,
}

impl<'a> RootEntry<'a> {
    /// The authority trusted from 2020 on, with its own chain.
    pub fn of(tsa: &'a TestTsa) -> RootEntry<'a> {
        RootEntry {
            name: &tsa.name,
            uri: &tsa.url,
            chain: tsa.chain(),
            start: "2020-01-01T00:00:00Z",
            end: None,
        }
    }
}

/// A `trusted_root.json` with these timestamp authorities and nothing else.
pub fn trusted_root(entries: &[RootEntry<'_>]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let authorities: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let mut valid_for = serde_json::json!({ "start": e.start });
            if let Some(end) = e.end {
                valid_for["end"] = end.into();
            }
            serde_json::json!({
                "subject": { "organization": "tacos-test", "commonName": e.name },
                "uri": e.uri,
                "certChain": {
                    "certificates": e.chain.iter()
                        .map(|c| serde_json::json!({ "rawBytes": b64.encode(c) }))
                        .collect::<Vec<_>>()
                },
                "validFor": valid_for,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": authorities,
    }))
    .unwrap()
}
