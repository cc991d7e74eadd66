//! A real OCI registry for a test: Debian's `docker-registry` (CNCF
//! distribution 2.8, which has no referrers API, so clients keep the
//! `sha256-<hex>` tag index), on a free loopback port, storing in a
//! temporary directory; optionally behind htpasswd (Basic) authentication.
//! Killed when dropped. A small HTTP/1.1 client of the test's own pushes
//! the image that attestations are attached to, and reads what the tool
//! wrote, independently of the tool's client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// User and password of the authenticated registry; the bcrypt line is
/// what `htpasswd -B` writes for them (cost 4: a test's, made with
/// Python's crypt module).
pub const USER: &str = "tacos";
pub const PASSWORD: &str = "s3cret-registry-pass";
const HTPASSWD: &str = "tacos:$2b$04$xzKlLxcV31UJPQACR5lHOOqfYR0NrxcJUElDIzh.dV/TDNDyPckQy\n";

/// Status, headers (names lowercased), body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

pub struct Registry {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
    pub auth: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> PathBuf {
    for p in ["/usr/bin/docker-registry", "/usr/local/bin/docker-registry"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "Debian's docker-registry (CNCF distribution) is not installed: apt-get install docker-registry (the test command .ci/test does)"
    )
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Registry {
    pub fn start(dir: &Path, auth: bool) -> Registry {
        let port = free_port();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        if auth {
            std::fs::write(dir.join("htpasswd"), HTPASSWD).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test-registry\n    path: {}\n",
                dir.join("htpasswd").display()
            ));
        }
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let child = Command::new(binary())
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.log")).unwrap())
            .spawn()
            .expect("docker-registry starts");
        let r = Registry {
            child,
            dir: dir.to_path_buf(),
            port,
            auth,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200 | 401, _, _)) = r.request("GET", "/v2/", &[], &[]) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start: {}",
                std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// One request; (status, headers lowercased, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Answer> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host(),
            body.len()
        );
        if self.auth {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
            head.push_str(&format!("Authorization: Basic {token}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no header end"))?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Ok((status, headers, body))
    }

    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let (status, headers, _) = self
            .request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], &[])
            .unwrap();
        assert_eq!(status, 202, "upload start");
        let location = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .unwrap();
        let path = location
            .strip_prefix(&format!("http://{}", self.host()))
            .unwrap_or(&location)
            .to_string();
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, _, body) = self
            .request(
                "PUT",
                &format!("{path}{sep}digest={digest}"),
                &[("Content-Type", "application/octet-stream")],
                bytes,
            )
            .unwrap();
        assert_eq!(
            status,
            201,
            "blob upload: {}",
            String::from_utf8_lossy(&body)
        );
        digest
    }

    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let (status, _, body) = self
            .request(
                "PUT",
                &format!("/v2/{repo}/manifests/{reference}"),
                &[("Content-Type", media_type)],
                bytes,
            )
            .unwrap();
        assert_eq!(
            status,
            201,
            "manifest put: {}",
            String::from_utf8_lossy(&body)
        );
    }

    pub fn get_manifest(&self, repo: &str, reference: &str) -> Option<Vec<u8>> {
        let (status, _, body) = self
            .request(
                "GET",
                &format!("/v2/{repo}/manifests/{reference}"),
                &[(
                    "Accept",
                    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
                )],
                &[],
            )
            .unwrap();
        (status == 200).then_some(body)
    }

    /// Push a small image (an OCI image config and one layer named by
    /// `name`) and return its manifest's digest.
    pub fn push_image(&self, repo: &str, name: &str) -> String {
        let layer = format!("the layer of {name}\n").into_bytes();
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]},
            "config": {"Labels": {"name": name}}
        });
        let config = serde_json::to_vec(&config).unwrap();
        self.push_blob(repo, &config);
        self.push_blob(repo, &layer);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(&layer), "size": layer.len()}]
        });
        let bytes = serde_json::to_vec(&manifest).unwrap();
        self.put_manifest(
            repo,
            name,
            "application/vnd.oci.image.manifest.v1+json",
            &bytes,
        );
        sha256(&bytes)
    }

    /// Where the registry keeps a blob's bytes (for changing them behind
    /// its back).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
    out
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
