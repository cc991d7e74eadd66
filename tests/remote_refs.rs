//! Issue 22, item 5: `https://` references in an SBOM are fetched (size
//! limited, through the shared HTTP client, redirects bounded) and checked
//! against the SBOM's digest before anything in them is read. The real
//! binary against a real HTTPS server on loopback (`support/https.rs`: a
//! test CA made with `openssl` at test time, which the tool trusts through
//! `SSL_CERT_FILE`, read by the platform verifier reqwest uses on Linux),
//! serving what `enrich --base-url https://127.0.0.1:PORT/att/` wrote; and
//! the hostile answers a server can give. No internet.

mod common;
#[path = "support/https.rs"]
mod https;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use https::{Answer, HttpsServer, PlainListener};

const SAMPLE: &str = "pypi-flask-django-env.cdx16.json";
const KEY: &str = ".tacos-config/signing.pub";
/// A run that takes longer is killed and the test fails: nothing may hang.
const BOUND: u64 = 60;
/// `verify`'s bound on one artifact (`MAX_ARTIFACT_BYTES`).
const ARTIFACT_LIMIT: u64 = 64 << 20;

/// An SBOM enriched with `--base-url` pointing at a server that serves its
/// artifacts, and nothing left where enrich wrote them.
struct Site {
    tmp: Temp,
    server: HttpsServer,
    /// `https://127.0.0.1:PORT/att/`.
    base: String,
    served: PathBuf,
}

impl Site {
    fn new(extra: &[&str]) -> Site {
        let tmp = Temp::new();
        let server = HttpsServer::start();
        let base = format!("{}/att/", server.origin());
        let mut args = vec!["--base-url", base.as_str()];
        args.extend_from_slice(extra);
        enrich_sample_offline(&tmp, SAMPLE, "out.json", "published", &args);
        // Outside the directory verify runs in: what it checks came over
        // the network.
        let served = tmp.join("elsewhere/served");
        std::fs::create_dir(tmp.join("elsewhere")).unwrap();
        std::fs::rename(tmp.join("published"), &served).unwrap();
        std::fs::create_dir(tmp.join("tmpdir")).unwrap();
        server.route("/att/", Answer::Files(served.clone()));
        Site {
            tmp,
            server,
            base,
            served,
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("SSL_CERT_FILE", self.server.ca.display().to_string()),
            ("TMPDIR", self.tmpdir().display().to_string()),
        ];
        // Loopback is reached directly, whatever the machine's settings.
        for k in [
            "SSL_CERT_DIR",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            env.push((k, String::new()));
        }
        env
    }

    /// Where the tool makes its private directory for fetched files.
    fn tmpdir(&self) -> PathBuf {
        self.tmp.join("tmpdir")
    }

    /// The binary, killed after [`BOUND`] seconds; the private directory
    /// must be gone when it returns.
    fn run(&self, args: &[&str]) -> Output {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let o = tacos_within(self.tmp.path(), args, &env, BOUND);
        self.assert_nothing_left();
        o
    }

    fn assert_nothing_left(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmpdir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "the fetched files are removed: {left:?}");
    }

    fn verify(&self, extra: &[&str]) -> Output {
        let mut args = vec!["verify", "out.json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// The artifacts served (package attestations and bundles, and the
    /// application report), by file name.
    fn artifacts(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.served)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".pub"))
            .collect();
        v.sort();
        v
    }

    /// Package attestations only (no report), by file name.
    fn packages(&self) -> Vec<String> {
        self.artifacts()
            .into_iter()
            .filter(|n| !n.contains("tacos-report"))
            .collect()
    }

    fn url(&self, name: &str) -> String {
        format!("{}{name}", self.base)
    }

    /// Replace `from` with `to` in the enriched SBOM.
    fn rewrite_sbom(&self, from: &str, to: &str) {
        let p = self.tmp.join("out.json");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from));
        std::fs::write(&p, text.replace(from, to)).unwrap();
    }

    /// The subject of a served package attestation (its PURL).
    fn subject(&self, name: &str) -> String {
        use base64::Engine;
        let env: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.served.join(name)).unwrap()).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap();
        let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        statement["subject"][0]["name"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn fail_lines(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.starts_with("FAIL "))
        .map(str::to_string)
        .collect()
}

/// The one FAIL line that names `needle`.
#[track_caller]
fn fail_line(o: &Output, needle: &str) -> String {
    let lines: Vec<String> = fail_lines(o)
        .into_iter()
        .filter(|l| l.contains(needle))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one FAIL line names {needle}:\nstdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
    lines[0].clone()
}

/// "N of N TACOS references verified": N.
#[track_caller]
fn all_verified(o: &Output) -> usize {
    assert_ok(o);
    let err = stderr(o);
    let line = err
        .lines()
        .find(|l| l.contains("TACOS references verified"))
        .unwrap_or_else(|| panic!("{err}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "of").unwrap();
    let (a, b) = (words[at - 1], words[at + 1]);
    assert_eq!(a, b, "{line}");
    a.parse().unwrap()
}

#[test]
fn every_reference_is_fetched_once_and_verified_by_verify_report_and_package() {
    let site = Site::new(&[]);
    let before = site.tmp.files();
    let o = site.verify(&["--key", KEY]);
    assert!(all_verified(&o) >= 20, "{}", stderr(&o));
    // Each artifact once, and nothing else: the key was given.
    let asked = site.server.requests();
    let expected: Vec<String> = site
        .artifacts()
        .iter()
        .map(|n| format!("/att/{n}"))
        .collect();
    assert_eq!(asked.keys().cloned().collect::<Vec<_>>(), expected);
    assert!(asked.values().all(|n| *n == 1), "{asked:?}");
    assert_eq!(
        site.tmp.files(),
        before,
        "nothing is written but the private directory, which is gone"
    );

    // Without --key, the key beside them is fetched too, and said to prove
    // nothing about the signer.
    let o = site.verify(&["--allow-unauthenticated"]);
    all_verified(&o);
    assert!(
        stderr(&o).contains(&format!(
            "signatures were checked with {} found beside the artifacts",
            site.url("tacos-sbom.pub")
        )),
        "{}",
        stderr(&o)
    );
    assert_eq!(site.server.requests()["/att/tacos-sbom.pub"], 1);

    // report and package read the SBOM the same way.
    let o = site.run(&[
        "report",
        "out.json",
        "--key",
        KEY,
        "-f",
        "json",
        "-o",
        "summary.json",
    ]);
    assert_ok(&o);
    let summary = std::fs::read_to_string(site.tmp.join("summary.json")).unwrap();
    assert!(summary.contains("\"verified\""), "{summary}");
    // The report's link is where it was fetched from, not the copy.
    let report = site
        .artifacts()
        .into_iter()
        .find(|n| n.contains("tacos-report"))
        .unwrap();
    assert!(summary.contains(&site.url(&report)), "{summary}");
    assert!(!summary.contains("tacos-sbom-fetched"), "{summary}");

    let o = site.run(&["package", "out.json", "--key", KEY, "-o", "evidence.tar.gz"]);
    assert_ok(&o);
    let listed = Command::new("tar")
        .arg("-tzf")
        .arg(site.tmp.join("evidence.tar.gz"))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for name in site.artifacts() {
        assert!(
            listed.contains(&format!("evidence/attestations/{name}\n")),
            "{name} in\n{listed}"
        );
    }
}

#[test]
fn a_bundle_is_fetched_once_and_each_line_verified() {
    let site = Site::new(&["--layout", "bundle"]);
    let o = site.verify(&["--key", KEY]);
    assert!(all_verified(&o) >= 20, "{}", stderr(&o));
    let asked = site.server.requests();
    // The JSON Lines bundle and the application report, once each.
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        asked
            .keys()
            .any(|p| p.ends_with(".intoto.jsonl") && asked[p] == 1),
        "{asked:?}"
    );

    // A changed byte in one line fails that line's component only.
    let bundle = site
        .artifacts()
        .into_iter()
        .find(|n| n.ends_with(".intoto.jsonl"))
        .unwrap();
    let path = site.served.join(&bundle);
    let text = std::fs::read_to_string(&path).unwrap();
    let second = text.lines().nth(1).unwrap();
    std::fs::write(
        &path,
        text.replacen(second, &second.replacen('{', "[", 1), 1),
    )
    .unwrap();
    let o = site.verify(&["--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line = fail_line(&o, "SHA-256 mismatch");
    assert!(
        line.contains(&format!(
            "line 2 of {}: the SBOM records",
            site.url(&bundle)
        )),
        "{line}"
    );
}

#[test]
fn a_changed_byte_fails_its_component_naming_the_url_before_anything_is_read() {
    let site = Site::new(&[]);
    let name = site.packages()[0].clone();
    let purl = site.subject(&name);
    // No longer JSON: a check that read before hashing would say so.
    let path = site.served.join(&name);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen('{', "[", 1)).unwrap();
    let o = site.verify(&["--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(fail_lines(&o).len(), 1, "{}", stdout(&o));
    let line = fail_line(&o, &purl);
    assert!(
        line.contains(&format!(
            "SHA-256 mismatch for {}: the SBOM records",
            site.url(&name)
        )),
        "{line}"
    );
}

/// The binary as [`Site::run`] runs it, and its peak resident memory
/// (VmHWM, in bytes), read while it runs.
fn run_measured(site: &Site, args: &[&str]) -> (Output, u64) {
    let env = site.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = command(
        Command::new(env!("CARGO_BIN_EXE_tacos-sbom")),
        site.tmp.path(),
        args,
        &env,
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            b
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status_file = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + Duration::from_secs(BOUND);
    let mut peak = 0u64;
    let status = loop {
        // VmHWM only grows; the last reading is the peak up to then.
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{args:?} hung");
        std::thread::sleep(Duration::from_millis(5));
    };
    site.assert_nothing_left();
    (
        Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
        peak,
    )
}

#[test]
fn an_over_limit_body_is_refused_and_never_held() {
    let site = Site::new(&[]);
    let names = site.packages();
    let over = ARTIFACT_LIMIT + (4 << 20);
    // No Content-Length (the body ends when the connection closes),
    // chunked, and an announced length over the limit.
    site.server.route(
        &format!("/att/{}", names[0]),
        Answer::Endless {
            bytes: over,
            chunked: false,
        },
    );
    site.server.route(
        &format!("/att/{}", names[1]),
        Answer::Endless {
            bytes: over,
            chunked: true,
        },
    );
    site.server.route(
        &format!("/att/{}", names[2]),
        Answer::Announce(ARTIFACT_LIMIT + 1),
    );
    let (o, peak) = run_measured(&site, &["verify", "out.json", "--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(fail_lines(&o).len(), 3, "{}", stdout(&o));
    for name in &names[..3] {
        let line = fail_line(&o, &site.url(name));
        assert!(
            line.contains(&format!(
                "fetching {} failed: the response is larger than {ARTIFACT_LIMIT} bytes",
                site.url(name)
            )),
            "{line}"
        );
    }
    // Less than the limit itself: a body is never held whole.
    assert!(peak > 0, "measured");
    assert!(
        peak < ARTIFACT_LIMIT,
        "peak resident memory {peak} bytes while refusing {over}-byte bodies"
    );
}

#[test]
fn a_server_that_never_answers_fails_in_bounded_time_naming_the_url() {
    let site = Site::new(&[]);
    let name = site.packages()[0].clone();
    site.server.route(&format!("/att/{name}"), Answer::Hang);
    // The private directory's mode, seen while verify waits.
    let done = Arc::new(AtomicBool::new(false));
    let mode = Arc::new(AtomicU32::new(0));
    let watcher = {
        let (done, mode, dir) = (done.clone(), mode.clone(), site.tmpdir());
        std::thread::spawn(move || {
            use std::os::unix::fs::PermissionsExt;
            while !done.load(Ordering::SeqCst) {
                for e in std::fs::read_dir(&dir).unwrap().flatten() {
                    if let Ok(m) = e.metadata() {
                        mode.store(m.permissions().mode() & 0o7777, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let started = Instant::now();
    let o = site.verify(&["--key", KEY]);
    done.store(true, Ordering::SeqCst);
    watcher.join().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(BOUND));
    let line = fail_line(&o, &format!("fetching {} failed", site.url(&name)));
    assert!(line.contains("no answer within 30 s"), "{line}");
    assert_eq!(
        mode.load(Ordering::SeqCst),
        0o700,
        "the fetched files are kept in a directory only the user can enter"
    );
}

#[test]
fn redirects_are_followed_at_most_five_times_and_only_to_https() {
    let site = Site::new(&[]);
    let plain = PlainListener::start();
    let names = site.packages();
    let (looping, to_http, moved) = (&names[0], &names[1], &names[2]);
    site.server.route(
        &format!("/att/{looping}"),
        Answer::Redirect(format!("/att/{looping}")),
    );
    site.server.route(
        &format!("/att/{to_http}"),
        Answer::Redirect(format!("http://127.0.0.1:{}/att/{to_http}", plain.port)),
    );
    site.server.route(
        &format!("/att/{moved}"),
        Answer::Redirect(format!("/moved/{moved}")),
    );
    site.server
        .route("/moved/", Answer::Files(site.served.clone()));
    let o = site.verify(&["--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(fail_lines(&o).len(), 2, "{}", stdout(&o));
    let line = fail_line(&o, &site.url(looping));
    assert!(line.contains("more than 5 redirects"), "{line}");
    let asked = site.server.requests();
    assert_eq!(asked[&format!("/att/{looping}")], 6, "the first and 5 more");
    let line = fail_line(&o, &site.url(to_http));
    assert!(
        line.contains("redirect") && line.contains("not https"),
        "{line}"
    );
    assert_eq!(plain.connections(), 0, "http is never asked");
    // Redirects within the bounds are followed.
    assert_eq!(asked[&format!("/moved/{moved}")], 1);
}

#[test]
fn a_plain_http_reference_is_refused_unasked() {
    let site = Site::new(&[]);
    let plain = PlainListener::start();
    let http = format!("http://127.0.0.1:{}/att/", plain.port);
    site.rewrite_sbom(&site.base, &http);
    let o = site.verify(&["--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let name = &site.packages()[0];
    let line = fail_line(&o, &format!("{http}{name}"));
    assert!(line.contains("only https references are fetched"), "{line}");
    assert!(line.contains("--attestations-dir"), "{line}");
    assert_eq!(plain.connections() + site.server.connections(), 0);
}

#[test]
fn offline_fetches_nothing_and_says_how_to_verify() {
    let site = Site::new(&[]);
    let o = site.verify(&["--offline", "--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let name = &site.packages()[0];
    let line = fail_line(&o, &site.url(name));
    assert!(
        line.contains("--offline") && line.contains("pass --attestations-dir"),
        "{line}"
    );
    for args in [
        &[
            "report",
            "out.json",
            "--offline",
            "--key",
            KEY,
            "-o",
            "r.md",
        ][..],
        &[
            "package",
            "out.json",
            "--offline",
            "--key",
            KEY,
            "-o",
            "e.tar.gz",
        ],
    ] {
        let o = site.run(args);
        assert!(!o.status.success(), "{args:?}");
        let said = format!("{}{}", stdout(&o), stderr(&o));
        assert!(said.contains("--attestations-dir"), "{args:?}: {said}");
    }
    assert_eq!(site.server.connections(), 0, "no connection was made");
    // A given directory is the offline path, and wins without --offline too.
    let served = site.served.display().to_string();
    all_verified(&site.verify(&["--offline", "--attestations-dir", &served, "--key", KEY]));
    all_verified(&site.verify(&["--attestations-dir", &served, "--key", KEY]));
    assert_eq!(site.server.connections(), 0, "no connection was made");
}

#[test]
fn credentials_in_reference_urls_are_used_and_never_shown() {
    let site = Site::new(&[]);
    let with_credentials = site.base.replace("https://", "https://deploy:s3cr3t@");
    site.rewrite_sbom(&site.base, &with_credentials);
    let missing = &site.packages()[0];
    site.server
        .route(&format!("/att/{missing}"), Answer::Status(404));
    let mut said = String::new();
    let o = site.verify(&["-v", "--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let line = fail_line(&o, &site.url(missing));
    assert!(
        line.contains(&format!(
            "fetching {} failed: HTTP 404 Not Found",
            site.url(missing)
        )),
        "{line}"
    );
    said += &format!("{}{}", stdout(&o), stderr(&o));
    let o = site.verify(&["--format", "json", "--key", KEY]);
    said += &format!("{}{}", stdout(&o), stderr(&o));
    let o = site.run(&[
        "report", "out.json", "--key", KEY, "-f", "html", "-o", "r.html",
    ]);
    said += &format!("{}{}", stdout(&o), stderr(&o));
    if let Ok(html) = std::fs::read_to_string(site.tmp.join("r.html")) {
        said += &html;
    }
    assert!(said.contains(&site.base), "{said}");
    assert!(
        !said.contains("s3cr3t") && !said.contains("deploy:"),
        "{said}"
    );
    // They were sent as the URL gave them.
    assert!(!site.server.authorizations().is_empty());
}

/// Nothing on disk beside the SBOM answers for a remote reference.
#[test]
fn a_remote_reference_is_never_looked_up_beside_the_sbom() {
    let site = Site::new(&[]);
    let name = site.packages()[0].clone();
    site.server
        .route(&format!("/att/{name}"), Answer::Status(404));
    std::fs::create_dir(site.tmp.join("att")).unwrap();
    std::fs::copy(site.served.join(&name), site.tmp.join("att").join(&name)).unwrap();
    let o = site.verify(&["--key", KEY]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    fail_line(
        &o,
        &format!("fetching {} failed: HTTP 404", site.url(&name)),
    );
}
