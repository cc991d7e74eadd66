//! How many values each field gets, per sample, against the recorded answers
//! served from loopback: the figures behind "determinacy does not drop".
//! Not a check (the numbers move when the rules do, on purpose); run with
//! `cargo test --test determinacy -- --ignored --nocapture` (with
//! `TACOS_DETERMINACY_DUMP=DIR` it also writes every statement there).

mod common;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

fn statements(dir: &std::path::Path) -> Vec<Value> {
    use base64::Engine;
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".tacos.dsse.json") {
            continue;
        }
        let env: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap();
        let st: Value = serde_json::from_slice(&payload).unwrap();
        if st["predicate"].get("PURL").is_some() {
            out.push(st["predicate"].clone());
        }
    }
    out
}

fn class(v: &Value) -> &'static str {
    match v {
        Value::String(s) if s == "True" => "T",
        Value::String(s) if s == "False" => "F",
        Value::String(s) if s == "NOASSERTION" => "N",
        Value::Object(o) if o.get("Status").and_then(Value::as_str) == Some("Active") => "T",
        Value::Object(_) => "F",
        Value::Array(a) if a.is_empty() => "N",
        _ => "T",
    }
}

#[test]
#[ignore]
fn determinacy_table() {
    let srv = server::FixtureServer::start(&fixtures());
    for sample in [
        "npm-webapp.cdx16.json",
        "pypi-flask-django-env.cdx16.json",
        "cargo-cli.cargo-sbom.spdx23.json",
    ] {
        let tmp = Temp::new();
        tmp.copy_in(&repo().join("sample-sboms").join(sample), "in.json");
        let mut env: Vec<(String, String)> = srv.env();
        env.push((
            "TACOS_OSV_WEB_URL".into(),
            "https://osv.example.invalid".into(),
        ));
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let cache = tmp.join("cache");
        let o = tacos_env(
            tmp.path(),
            &[
                "enrich",
                "in.json",
                "-o",
                "out.json",
                "--cache-dir",
                cache.to_str().unwrap(),
            ],
            &env_ref,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let all = statements(&tmp.join("tacos-attestations"));
        if let Some(dir) = std::env::var_os("TACOS_DETERMINACY_DUMP") {
            let out = std::path::Path::new(&dir).join(format!("{sample}.statements.json"));
            std::fs::write(out, serde_json::to_string_pretty(&all).unwrap()).unwrap();
        }
        let mut counts: BTreeMap<String, [usize; 3]> = BTreeMap::new();
        for s in &all {
            for (k, v) in s.as_object().unwrap() {
                if matches!(
                    k.as_str(),
                    "Evidence" | "PackageName" | "PackagePlatform" | "PURL" | "ReleasesInUse"
                ) {
                    continue;
                }
                let c = counts.entry(k.clone()).or_default();
                match class(v) {
                    "T" => c[0] += 1,
                    "F" => c[1] += 1,
                    _ => c[2] += 1,
                }
            }
        }
        println!("## {sample}: {} statements", all.len());
        println!("| field | True/value | False/adverse | NOASSERTION |");
        println!("|---|---:|---:|---:|");
        for (k, c) in &counts {
            println!("| {k} | {} | {} | {} |", c[0], c[1], c[2]);
        }
        println!();
    }
}
