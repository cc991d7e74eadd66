//! The crates index cargo itself would use, when none is given to the tool:
//! cargo's source replacement (in cargo's home or the project's
//! `.cargo/config.toml`), a protocol the tool cannot read, a configuration
//! cargo could not read either. The index is a loopback server; no test
//! here resolves to cargo's built-in default, which is on the internet
//! (that path is a unit test in src/sources/endpoints.rs).

mod common;
#[path = "support/server.rs"]
mod server;

use std::path::Path;

use common::*;
use serde_json::Value;
use server::{Fault, FixtureServer};

/// In the recorded index and in the recorded API answers.
const PURL: &str = "pkg:cargo/regex@1.0.0";

/// The binary with the server's services, except the crates index and API,
/// which are left to cargo's configuration: cargo's home in `home`, run in
/// `cwd`.
fn run(srv: &FixtureServer, cwd: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    let mut env: Vec<(String, String)> = srv
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("TACOS_CRATES_"))
        .collect();
    for (k, v) in [
        ("TACOS_CRATES_INDEX_URL", ""),
        ("TACOS_CRATES_API_URL", ""),
        ("CARGO_REGISTRIES_CRATES_IO_PROTOCOL", ""),
        ("TACOS_OSV_WEB_URL", "https://osv.example.invalid"),
    ] {
        env.push((k.into(), v.into()));
    }
    env.push(("CARGO_HOME".into(), home.to_string_lossy().into_owned()));
    env.push(("HOME".into(), home.to_string_lossy().into_owned()));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    tacos_env(cwd, args, &env_ref)
}

fn assess(srv: &FixtureServer, cwd: &Path, home: &Path) -> (Value, String) {
    let o = run(srv, cwd, home, &["assess", PURL, "--no-cache"]);
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (v[0].clone(), stderr(&o))
}

/// `doctor`'s line for the crates index.
fn doctor_index_line(srv: &FixtureServer, cwd: &Path, home: &Path) -> String {
    let o = run(srv, cwd, home, &["doctor"]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    all.lines()
        .find(|l| l.trim_start().starts_with("crates.io index"))
        .unwrap_or_else(|| panic!("no crates index line:\n{all}"))
        .to_string()
}

fn mirror(srv: &FixtureServer) -> String {
    format!(
        "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+{}/\"\n",
        srv.url("crates-index")
    )
}

/// A working directory and an empty cargo home, side by side.
fn dirs(tmp: &Temp) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cwd, home) = (tmp.join("work"), tmp.join("cargo-home"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    (cwd, home)
}

#[test]
fn cargos_source_replacement_in_its_home_is_the_index_and_names_its_file() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let (cwd, home) = dirs(&tmp);
    let config = home.join("config.toml");
    std::fs::write(&config, mirror(&srv)).unwrap();
    // The recorded API answer (2018) predates the index's latest release
    // (1.13.2): the API answers for that release here, in the API's shape.
    let api = "/crates-api/api/v1/crates/regex";
    srv.fault(
        &format!("{api}$"),
        Fault::Body {
            status: 200,
            body: br#"{"crate": {"name": "regex", "repository": "https://github.com/rust-lang/regex"},
                "versions": [{"num": "1.13.2", "license": "MIT OR Apache-2.0", "created_at": "2026-11-18T02:53:15Z", "yanked": false}]}"#
                .to_vec(),
        },
    );
    let (s, err) = assess(&srv, &cwd, &home);
    assert_eq!(s["LatestStableRelease"], "1.13.2", "{err}");
    // The license comes from the API the index's config.json names.
    assert_eq!(s["SPDXLicenseLatestRelease"], "MIT OR Apache-2.0", "{err}");
    assert!(srv.hits_under("/crates-index/") > 0 && srv.hits(api) > 0);
    let line = doctor_index_line(&srv, &cwd, &home);
    assert!(line.contains(&srv.url("crates-index")), "{line}");
    assert!(
        line.contains(&format!(
            "cargo's source replacement in {}",
            config.display()
        )),
        "{line}"
    );
}

#[test]
fn a_projects_own_cargo_configuration_is_honoured() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let (cwd, home) = dirs(&tmp);
    std::fs::create_dir_all(cwd.join(".cargo")).unwrap();
    let config = cwd.join(".cargo/config.toml");
    std::fs::write(&config, mirror(&srv)).unwrap();
    let (s, err) = assess(&srv, &cwd, &home);
    assert_eq!(s["LatestStableRelease"], "1.13.2", "{err}");
    let line = doctor_index_line(&srv, &cwd, &home);
    let origin = format!("cargo's source replacement in {}", config.display());
    assert!(line.contains(&origin), "{line}");
}

#[test]
fn an_index_read_over_git_is_unknown_with_how_to_set_one_and_asks_nothing() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let (cwd, home) = dirs(&tmp);
    std::fs::write(
        home.join("config.toml"),
        "[registries.crates-io]\nprotocol = \"git\"\n",
    )
    .unwrap();
    let (s, err) = assess(&srv, &cwd, &home);
    assert_eq!(s["LatestStableRelease"], "NOASSERTION");
    assert_eq!(s["SPDXLicenseLatestRelease"], "NOASSERTION");
    let reason = s["Evidence"]["LatestStableRelease"]["Reason"]
        .as_str()
        .unwrap();
    for said in [
        "git",
        "TACOS_CRATES_INDEX_URL",
        "registries.crates-io.protocol",
    ] {
        assert!(reason.contains(said), "{said}: {reason}");
    }
    assert!(!reason.contains('<'), "a placeholder: {reason}");
    assert!(err.contains("TACOS_CRATES_INDEX_URL"), "{err}");
    assert_eq!(
        srv.hits_under("/crates-index/") + srv.hits_under("/crates-api/"),
        0
    );
    let line = doctor_index_line(&srv, &cwd, &home);
    assert!(line.contains("(none)") && line.contains("git"), "{line}");
}

#[test]
fn a_cargo_configuration_cargo_cannot_read_is_named() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let (cwd, home) = dirs(&tmp);
    std::fs::create_dir_all(cwd.join(".cargo")).unwrap();
    let config = cwd.join(".cargo/config.toml");
    std::fs::write(&config, "[source.crates-io\nreplace-with = \"mirror\"\n").unwrap();
    let (s, err) = assess(&srv, &cwd, &home);
    assert_eq!(s["LatestStableRelease"], "NOASSERTION");
    let reason = s["Evidence"]["LatestStableRelease"]["Reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains(&config.display().to_string()) && reason.contains("not valid TOML"),
        "{reason}"
    );
    assert!(err.contains(&config.display().to_string()), "{err}");
    assert_eq!(srv.hits_under("/crates-index/"), 0);
}
