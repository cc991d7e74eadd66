//! The messages a new user meets in the first hour, against the real
//! binary and loopback servers: every source that failed is named once
//! (with its endpoint and how many questions went unanswered), a reason names a
//! missing answer rather than blaming the package, no phase announces
//! zero work, and an empty standard input is called that.

mod common;
#[path = "support/server.rs"]
mod server;

use common::*;
use serde_json::Value;
use server::{Fault, FixtureServer};

/// The binary with `srv`'s endpoints (those in `extra` override them),
/// no cache, and OSV's web site off the internet.
fn run(
    srv: &FixtureServer,
    tmp: &Temp,
    args: &[&str],
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut env: Vec<(String, String)> = srv.env();
    env.push((
        "TACOS_OSV_WEB_URL".into(),
        "https://osv.example.invalid".into(),
    ));
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = args.to_vec();
    all.push("--no-cache");
    tacos_within(tmp.path(), &all, &env, 120)
}

/// The `note:` lines of stderr that name `service` first.
fn notes_on<'a>(err: &'a str, service: &str) -> Vec<&'a str> {
    let prefix = format!("note: {service} ");
    err.lines().filter(|l| l.starts_with(&prefix)).collect()
}

fn statement(o: &std::process::Output) -> Value {
    let all: Value = serde_json::from_slice(&o.stdout).expect("assess prints JSON");
    all[0].clone()
}

/// `assess pkg:maven/…` asks deps.dev once and OSV once: when each of
/// those single requests fails, each service still gets its note, with
/// the endpoint and the count, and only one.
#[test]
fn a_service_whose_only_request_failed_is_named_once() {
    let tmp = Temp::new();
    // Every service at the closed loopback port (tests/common).
    let o = tacos_within(
        tmp.path(),
        &[
            "assess",
            "--no-cache",
            "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
        ],
        &[],
        120,
    );
    assert_ok(&o);
    let err = stderr(&o);
    for service in ["deps.dev", "OSV"] {
        let notes = notes_on(&err, service);
        assert_eq!(notes.len(), 1, "{service}:\n{err}");
        assert!(notes[0].contains(CLOSED), "{service}: {}", notes[0]);
        assert!(notes[0].contains("1 question "), "{service}: {}", notes[0]);
        assert!(notes[0].ends_with("NOASSERTION"), "{}", notes[0]);
    }
    let s = statement(&o);
    assert_eq!(s["LatestStableRelease"], "NOASSERTION");
}

/// A service that answers, but with errors or a malformed answer, is
/// not "down"; its fields are NOASSERTION all the same, so it is named.
#[test]
fn a_service_answering_errors_or_garbage_is_named_with_the_count() {
    for (fault, expect) in [
        (
            Fault::Status {
                status: 500,
                times: 1000,
            },
            "HTTP 500",
        ),
        (Fault::NotJson, "malformed answer"),
    ] {
        let srv = FixtureServer::start(&fixtures());
        srv.fault("/depsdev", fault.clone());
        let tmp = Temp::new();
        let o = run(&srv, &tmp, &["assess", "pkg:npm/left-pad@1.3.0"], &[]);
        assert_ok(&o);
        let err = stderr(&o);
        let notes = notes_on(&err, "deps.dev");
        assert_eq!(notes.len(), 1, "{fault:?}:\n{err}");
        assert!(notes[0].contains(&srv.url("depsdev")), "{}", notes[0]);
        assert!(notes[0].contains(expect), "{fault:?}: {}", notes[0]);
        assert!(notes[0].contains("question"), "{}", notes[0]);
        // The registry answered: it is not named.
        assert!(notes_on(&err, "npm registry").is_empty(), "{err}");
    }
}

/// `enrich` names a failing service once per run, not once per package,
/// and counts every request that failed.
#[test]
fn enrich_names_a_failing_service_once_with_every_failed_request_counted() {
    let srv = FixtureServer::start(&fixtures());
    srv.fault(
        "/depsdev",
        Fault::Status {
            status: 502,
            times: 100_000,
        },
    );
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/npm-webapp.cdx16.json"),
        "in.json",
    );
    let o = run(&srv, &tmp, &["enrich", "in.json", "-o", "out.json"], &[]);
    assert_ok(&o);
    let err = stderr(&o);
    let notes = notes_on(&err, "deps.dev");
    assert_eq!(notes.len(), 1, "{err}");
    let count: u64 = notes[0]
        .split(" question")
        .next()
        .and_then(|s| s.rsplit(['(', ' ']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {}", notes[0]));
    assert!(count > 1, "{}", notes[0]);
    assert!(notes[0].contains("HTTP 502"), "{}", notes[0]);
}

/// A mirror whose web API answers 404 for a crate its index lists: the
/// license reason names the missing answer, and the API gets its note.
/// The value stays NOASSERTION.
#[test]
fn a_missing_api_answer_is_not_blamed_on_the_package() {
    let srv = FixtureServer::start(&fixtures());
    // The crates API knows only what was recorded (not serde): 404.
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let o = run(&srv, &tmp, &["assess", "pkg:cargo/serde@1.0.210"], &[]);
    assert_ok(&o);
    let err = stderr(&o);
    let s = statement(&o);
    assert_eq!(s["SPDXLicenseLatestRelease"], "NOASSERTION", "{s:#}");
    let reason = s["Evidence"]["SPDXLicenseLatestRelease"]["Reason"]
        .as_str()
        .unwrap();
    assert!(!reason.contains("declares no license"), "{reason}");
    assert!(reason.contains("crates.io API answered 404"), "{reason}");
    assert!(reason.contains("serde"), "{reason}");
    // An answer that is absent (404) will be absent next run too: no-data,
    // kept in the store; only a failure that may pass is
    // source-unavailable. The reason is what tells the two apart.
    assert_eq!(
        s["Evidence"]["SPDXLicenseLatestRelease"]["ReasonCode"], "no-data",
        "{s:#}"
    );
    let notes = notes_on(&err, "crates.io API");
    assert_eq!(notes.len(), 1, "{err}");
    assert!(notes[0].contains("404"), "{}", notes[0]);
}

/// No phase says it asks about nothing ("asking deps.dev about 0
/// releases"): with every service closed, no release is known.
#[test]
fn no_phase_announces_zero_work() {
    let tmp = Temp::new();
    let o = tacos_within(
        tmp.path(),
        &["assess", "--no-cache", "pkg:maven/junit/junit@4.12"],
        &[],
        120,
    );
    assert_ok(&o);
    let err = stderr(&o);
    for line in err.lines() {
        let zero = [" 0 release", " 0 repositor", " 0 version", " 0 package"]
            .iter()
            .any(|z| line.contains(z));
        assert!(!zero, "a zero-count line: {line}\n{err}");
    }
    // The phase with work is still announced.
    assert!(err.contains("looking up 1 package"), "{err}");
}

/// `enrich -` with nothing on standard input: named as standard input,
/// not as a file called `-`; exit 2 and nothing written.
#[test]
fn an_empty_standard_input_is_called_that() {
    let tmp = Temp::new();
    let o = tacos_within(tmp.path(), &["enrich", "-"], &[], 60);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("standard input is empty"), "{err}");
    assert!(!err.contains("the file is empty"), "{err}");
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    let written: Vec<String> = tmp
        .files()
        .into_iter()
        .filter(|f| !f.starts_with(".tacos-config") && !f.starts_with(".cache"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

/// `enrich -` typed at a terminal, nothing piped in: said at once, not a
/// silent wait for an SBOM nobody will type. The terminal is a real
/// pseudo-terminal (util-linux `script`); its output is stdout and stderr
/// together.
#[test]
fn a_terminal_as_standard_input_is_said_not_waited_on() {
    use std::process::{Command, Stdio};
    let tmp = Temp::new();
    let line = format!(
        "'{}' enrich - -o out.json",
        env!("CARGO_BIN_EXE_tacos-sbom")
    );
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(tmp.path())
        .env("TACOS_SBOM_CONFIG_DIR", tmp.join(".tacos-config"))
        .env("XDG_CACHE_HOME", tmp.join(".cache"))
        .env_remove("CI")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let o = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    let status = status.unwrap_or_else(|| panic!("still waiting after 30 s: {said}"));
    assert_eq!(status.code(), Some(2), "{said}");
    assert!(said.contains("standard input is a terminal"), "{said}");
    assert!(!tmp.join("out.json").exists());
}
