//! Every output the tool writes for the sample SBOMs and one SBOM of each
//! other format, with a fixed key and clock: the enriched SBOMs, every
//! artifact, the evidence bundles, the reports and the messages. Not a
//! check: a refactoring that must change nothing is checked by writing
//! this before and after and comparing (`diff -r`).
//!
//! Answers carry the time they were retrieved, so the runs answer
//! `--offline` from one cache, filled once from the recorded answers on a
//! fixed loopback port and copied into each run. Run with
//! `TACOS_SNAPSHOT_CACHE=DIR TACOS_SNAPSHOT_DIR=DIR cargo test --test
//! snapshot -- --ignored` (the cache is filled if DIR does not exist, and
//! reused as it is if it does: keep it for the run after the change).

mod common;
#[path = "support/server.rs"]
mod server;

use std::path::Path;

use common::*;

/// What differs between two runs of the same build and is not output:
/// the temporary directory's name.
fn scrubbed(text: &[u8], tmp: &Path) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .replace(&tmp.display().to_string(), "<tmp>")
        .into_bytes()
}

#[test]
#[ignore]
fn snapshot() {
    let Some(out) = std::env::var_os("TACOS_SNAPSHOT_DIR") else {
        panic!("set TACOS_SNAPSHOT_DIR to the directory to write into");
    };
    let out = std::path::PathBuf::from(out);
    let cache = std::path::PathBuf::from(
        std::env::var_os("TACOS_SNAPSHOT_CACHE").expect("set TACOS_SNAPSHOT_CACHE"),
    );
    // Started only to fill the cache; its URLs stay the runs' endpoints.
    let srv = server::FixtureServer::start_at(&fixtures(), 47_613);
    srv.set_unrecorded_absent(true);
    let mut env: Vec<(String, String)> = srv.env();
    env.push((
        "TACOS_OSV_WEB_URL".into(),
        "https://osv.example.invalid".into(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let inputs = [
        repo().join("sample-sboms/npm-webapp.cdx16.json"),
        repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        fixture("sbom/generated/cargo-cli.cdx14.xml"),
        fixture("sbom/generated/pypi-requests.sbom4python.spdx"),
        fixture("sbom/spdx/spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json"),
    ];
    let purls = [
        "pkg:npm/lodash@4.17.15",
        "pkg:pypi/django@3.1",
        "pkg:cargo/chrono@0.4.19",
    ];
    if !cache.exists() {
        let tmp = Temp::new();
        let c = cache.to_str().unwrap();
        for input in &inputs {
            let name = input.file_name().unwrap().to_string_lossy().into_owned();
            tmp.copy_in(input, &name);
            let o = tacos_env(
                tmp.path(),
                &[
                    "enrich",
                    &name,
                    "-o",
                    "x",
                    "--ephemeral-key",
                    "--cache-dir",
                    c,
                ],
                &env,
            );
            assert_ok(&o);
        }
        let mut args = vec!["assess"];
        args.extend(purls);
        args.extend(["--cache-dir", c]);
        assert_ok(&tacos_env(tmp.path(), &args, &env));
    }
    drop(srv);
    let copy_cache = |to: &Path| {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(&cache)
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        for layout in ["files", "bundle"] {
            let tmp = Temp::new();
            tmp.copy_in(input, &name);
            copy_cache(&tmp.join("cache"));
            for ext in ["key", "pub"] {
                std::fs::copy(
                    repo().join(format!("tests/data/keys/snapshot.{ext}")),
                    tmp.join(&format!("k.{ext}")),
                )
                .unwrap();
            }
            let mut log = Vec::new();
            let mut run = |label: &str, args: &[&str]| {
                let o = tacos_env(tmp.path(), args, &env);
                log.extend(format!("== {label}: exit {:?}\n", o.status.code()).bytes());
                log.extend(scrubbed(&o.stdout, tmp.path()));
                log.extend(b"-- stderr\n");
                log.extend(scrubbed(&o.stderr, tmp.path()));
            };
            run(
                "enrich",
                &[
                    "enrich",
                    &name,
                    "-o",
                    "out/enriched",
                    "--key",
                    "k.key",
                    "--layout",
                    layout,
                    "--cache-dir",
                    "cache",
                    "--offline",
                    "--declarations",
                ],
            );
            run(
                "verify",
                &["verify", "out/enriched", "--key", "k.pub", "-f", "json"],
            );
            for f in ["md", "json", "html", "sarif"] {
                run(
                    &format!("report {f}"),
                    &[
                        "report",
                        "out/enriched",
                        "-f",
                        f,
                        "-o",
                        &format!("out/report.{f}"),
                    ],
                );
            }
            run(
                "package",
                &[
                    "package",
                    "out/enriched",
                    "-o",
                    "out/evidence.tar.gz",
                    "--allow-unauthenticated",
                ],
            );
            let dest = out.join(&name).join(layout);
            std::fs::create_dir_all(&dest).unwrap();
            std::fs::write(dest.join("log.txt"), &log).unwrap();
            for dir in ["out", "tacos-attestations", "out/tacos-attestations"] {
                let Ok(entries) = std::fs::read_dir(tmp.join(dir)) else {
                    continue;
                };
                for e in entries.flatten() {
                    if e.path().is_file() {
                        let to = dest.join(dir.replace('/', "_"));
                        std::fs::create_dir_all(&to).unwrap();
                        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
                    }
                }
            }
        }
    }
    let tmp = Temp::new();
    copy_cache(&tmp.join("cache"));
    let mut args = vec!["assess"];
    args.extend(purls);
    args.extend(["--cache-dir", "cache", "--offline"]);
    let o = tacos_env(tmp.path(), &args, &env);
    std::fs::write(out.join("assess.json"), &o.stdout).unwrap();
    std::fs::write(out.join("assess.stderr"), scrubbed(&o.stderr, tmp.path())).unwrap();
}
