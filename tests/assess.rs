//! The assessment against local servers that serve the recorded responses:
//! known answers field by field, offline equals online, the cache, and every
//! kind of upstream fault ending in a retry or a NOASSERTION with the reason.

mod common;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use server::{Fault, FixtureServer};

fn start() -> FixtureServer {
    FixtureServer::start(&fixtures())
}

/// Run the binary with the server's endpoints and a private cache.
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
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tmp.join("cache");
    let mut all: Vec<&str> = args.to_vec();
    if !args.contains(&"--no-cache") && !args.contains(&"--cache-dir") {
        all.extend(["--cache-dir", cache.to_str().unwrap()]);
    }
    tacos_env(tmp.path(), &all, &env_ref)
}

/// Statements written by an enrich run, by canonical PURL.
fn statements(dir: &std::path::Path) -> BTreeMap<String, Value> {
    use base64::Engine;
    let mut out = BTreeMap::new();
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
        out.insert(
            st["predicate"]["PURL"].as_str().unwrap().to_string(),
            st["predicate"].clone(),
        );
    }
    out
}

fn assess_one(
    srv: &FixtureServer,
    tmp: &Temp,
    purl: &str,
    extra: &[(&str, &str)],
    flags: &[&str],
) -> (Value, String) {
    let mut args = vec!["assess", purl];
    args.extend_from_slice(flags);
    let o = run(srv, tmp, &args, extra);
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (v[0].clone(), stderr(&o))
}

/// Every NOASSERTION has a reason; every True rests on an observation or a report.
fn check_evidence(purl: &str, s: &Value) {
    for (field, e) in s["Evidence"].as_object().unwrap() {
        assert!(
            !e["Reason"].as_str().unwrap_or("").is_empty(),
            "{purl} {field} has no reason"
        );
        if s[field] == "True" {
            let code = e["ReasonCode"].as_str().unwrap();
            assert!(
                code == "observed" || code == "from-report",
                "{purl} {field} is True on {code}: {e}"
            );
        }
    }
}

#[test]
fn pypi_sample_known_answers_field_by_field() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let o = run(&srv, &tmp, &["enrich", "in.json", "-o", "out.json"], &[]);
    assert_ok(&o);
    let all = statements(&tmp.join("tacos-attestations"));
    for (p, s) in &all {
        check_evidence(p, s);
    }
    let s = &all["pkg:pypi/urllib3@1.26.4"];
    assert_eq!(s["LatestStableRelease"], "2.8.0");
    assert_eq!(s["SPDXLicenseLatestRelease"], "MIT");
    assert_eq!(
        s["FixedVulnerabilities"], "True",
        "{}",
        s["Evidence"]["FixedVulnerabilities"]
    );
    let in_use = &s["Evidence"]["FixedVulnerabilities"]["Observed"]["inUse"];
    assert_eq!(in_use["version"], "1.26.4");
    assert!(
        !in_use["vulnerabilities"].as_array().unwrap().is_empty(),
        "urllib3 1.26.4 is vulnerable: {in_use}"
    );
    assert_eq!(s["MultipleMaintainers"], "True");
    assert_eq!(
        s["UpstreamRepositoryURL"],
        "https://github.com/urllib3/urllib3"
    );
    assert_eq!(s["ReleasesInUse"], serde_json::json!(["1.26.4"]));
    for f in [
        "PackageManagerMFAEnabled",
        "SourceRepoMFAEnabled",
        "DocumentedBuildPractices",
        "SuccessionPlan",
    ] {
        assert_eq!(s[f], "NOASSERTION");
        assert_eq!(s["Evidence"][f]["ReasonCode"], "attested-only");
    }

    let j = &all["pkg:pypi/jinja2@2.11.2"];
    assert_eq!(j["LatestStableRelease"], "3.1.6");
    assert_eq!(j["FixedVulnerabilities"], "True");
    let in_use = &j["Evidence"]["FixedVulnerabilities"]["Observed"]["inUse"];
    assert!(
        !in_use["vulnerabilities"].as_array().unwrap().is_empty(),
        "jinja2 2.11.2 is vulnerable: {in_use}"
    );

    let d = &all["pkg:pypi/django@3.1"];
    assert_eq!(d["LatestStableRelease"], "6.1.3");
    assert_eq!(d["SPDXLicenseLatestRelease"], "BSD-3-Clause");
    // PyPI lists no people for organization-owned projects: unknown, not one.
    assert_eq!(d["MultipleMaintainers"], "NOASSERTION");
}

#[test]
fn npm_and_cargo_known_answers() {
    let srv = start();
    let tmp = Temp::new();
    let (lodash, _) = assess_one(&srv, &tmp, "pkg:npm/lodash@4.17.15", &[], &[]);
    check_evidence("lodash", &lodash);
    // The mirror strips deprecation notices: the newest release (4.18.1)
    // may be deprecated, so it is not asserted to be the latest stable one.
    assert_eq!(lodash["LatestStableRelease"], "NOASSERTION");
    let e = &lodash["Evidence"]["LatestStableRelease"];
    assert_eq!(e["ReasonCode"], "incomplete-evidence", "{e}");
    assert!(e["Reason"].as_str().unwrap().contains("4.18.1"), "{e}");
    assert!(e["Reason"].as_str().unwrap().contains("deprecat"), "{e}");
    let in_use = &lodash["Evidence"]["FixedVulnerabilities"]["Observed"]["inUse"];
    assert!(
        !in_use["vulnerabilities"].as_array().unwrap().is_empty(),
        "lodash 4.17.15 is vulnerable: {in_use}"
    );
    // The npm recordings come through a mirror that strips maintainers and
    // deprecation notices: unknown, never False.
    assert_eq!(lodash["MultipleMaintainers"], "NOASSERTION");
    assert_eq!(lodash["PackageStatus"], "NOASSERTION");

    let (flatmap, _) = assess_one(&srv, &tmp, "pkg:npm/flatmap-stream@0.1.1", &[], &[]);
    assert_eq!(
        flatmap["PackageStatus"]["Status"], "Removed",
        "{}",
        flatmap["Evidence"]["PackageStatus"]
    );

    for (purl, latest_not) in [
        ("pkg:cargo/chrono@0.4.19", "chrono"),
        ("pkg:cargo/time@0.1.43", "time"),
        ("pkg:cargo/openssl@0.10.55", "openssl"),
    ] {
        let (s, _) = assess_one(&srv, &tmp, purl, &[], &[]);
        check_evidence(purl, &s);
        let in_use = &s["Evidence"]["FixedVulnerabilities"]["Observed"]["inUse"];
        assert!(
            !in_use["vulnerabilities"].as_array().unwrap().is_empty(),
            "{purl} is vulnerable: {in_use}"
        );
        assert_eq!(
            s["FixedVulnerabilities"], "True",
            "{latest_not}: {}",
            s["Evidence"]["FixedVulnerabilities"]
        );
    }
}

/// Build `<dir>/PyPI/all.zip`, OSV's layout for an ecosystem's whole
/// export, from the recorded PyPI records.
fn pypi_export(dir: &std::path::Path) -> PathBuf {
    use std::io::Write;
    let eco = dir.join("PyPI");
    std::fs::create_dir_all(&eco).unwrap();
    let path = eco.join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("osv/PyPI"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        zip.start_file(f.file_name().unwrap().to_string_lossy(), opts)
            .unwrap();
        zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    path
}

#[test]
fn an_osv_database_proves_absence_only_as_a_whole_current_export() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    assert_ok(&run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "online.json",
            "--attestations-dir",
            "online",
        ],
        &[],
    ));
    let offline = |name: &str, db: &std::path::Path, config: Option<&std::path::Path>| {
        let mut args = vec![
            "enrich".to_string(),
            "in.json".into(),
            "-o".into(),
            format!("{name}.json"),
            "--attestations-dir".into(),
            name.into(),
            "--offline".into(),
            "--osv-db".into(),
            db.to_string_lossy().into_owned(),
        ];
        if let Some(c) = config {
            args.extend(["--config".into(), c.to_string_lossy().into_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = srv.total();
        assert_ok(&run(&srv, &tmp, &args, &[]));
        assert_eq!(srv.total(), before, "offline asks no service");
        statements(&tmp.join(name))
    };
    let online = statements(&tmp.join("online"));

    // Loose records are a partial database: they prove what they hold, never
    // that nothing else exists.
    let partial = offline("partial", &fixture("osv"), None);
    // The whole PyPI export, but its newest record is from 2024: too old.
    let export = pypi_export(&tmp.join("db"));
    let stale = offline("stale", &export, None);
    // The same export, accepted as current by configuration.
    let cfg = tmp.join("old-db-ok.toml");
    std::fs::write(
        &cfg,
        "[assessment]
max_osv_db_age_days = 100000
",
    )
    .unwrap();
    let whole = offline("whole", &tmp.join("db"), Some(&cfg));

    let mut trues = 0;
    for (purl, a) in &online {
        let f = "FixedVulnerabilities";
        match a[f].as_str().unwrap() {
            "True" => {
                trues += 1;
                for (what, b, word) in [
                    ("partial", &partial[purl], "whole export"),
                    ("stale", &stale[purl], "days before this run"),
                ] {
                    assert_eq!(b[f], "NOASSERTION", "{purl} {what}: {}", b["Evidence"][f]);
                    let e = &b["Evidence"][f];
                    assert_eq!(e["ReasonCode"], "incomplete-evidence", "{e}");
                    assert!(e["Reason"].as_str().unwrap().contains(word), "{what}: {e}");
                    assert_eq!(e["AsOfUTC"], "2024-10-09T23:22:49Z", "{e}");
                }
            }
            // A vulnerability found is found, whatever the database's coverage.
            other => assert_eq!(partial[purl][f], other, "{purl}"),
        }
        assert_eq!(
            a[f], whole[purl][f],
            "{purl}: online {} / whole export {}",
            a["Evidence"][f], whole[purl]["Evidence"][f]
        );
        assert_eq!(
            a["LatestStableRelease"], whole[purl]["LatestStableRelease"],
            "{purl}"
        );
    }
    assert!(
        trues > 5,
        "the test needs packages whose latest release is clean: {trues}"
    );
}

#[test]
fn a_second_run_makes_no_requests_for_what_is_fresh() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    assert_ok(&run(
        &srv,
        &tmp,
        &["enrich", "in.json", "-o", "a.json"],
        &[],
    ));
    let first = srv.total();
    assert!(first > 20, "{:?}", srv.counts());
    // The assessment store holds every decided statement: a second run
    // reuses them all and asks nothing.
    let o = run(&srv, &tmp, &["enrich", "in.json", "-o", "b.json"], &[]);
    assert_ok(&o);
    assert_eq!(
        srv.total(),
        first,
        "the second run asked: {:?}",
        srv.counts()
    );
    assert!(
        stderr(&o).contains("23 statements reused, 0 assessed"),
        "{}",
        stderr(&o)
    );
    // With an empty store, the response cache answers: what failed (an
    // error answer) is not cached and is asked again; every answer that was
    // given is.
    let failed = srv.error_answers();
    let fresh_store = tmp.join("other-store.sqlite3");
    let o = run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "c.json",
            "--store",
            fresh_store.to_str().unwrap(),
        ],
        &[],
    );
    assert_ok(&o);
    assert_eq!(
        srv.total() - first,
        failed,
        "the third run asked more than what failed: {:?}",
        srv.counts()
    );
    assert!(stderr(&o).contains("cached"), "{}", stderr(&o));
    // Past the TTL, statements are decided again.
    let cfg = tmp.join("no-ttl.toml");
    std::fs::write(&cfg, "[cache]\nttl_hours = 0\n").unwrap();
    let o = run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "d.json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    );
    assert_ok(&o);
    assert!(
        stderr(&o).contains("0 statements reused, 23 assessed"),
        "{}",
        stderr(&o)
    );
}

fn fast_config(tmp: &Temp) -> PathBuf {
    let p = tmp.join("fast.toml");
    std::fs::write(&p, "[network]\ntimeout_seconds = 2\nretries = 2\nmax_retry_after_seconds = 5\nmax_response_bytes = 10000000\n").unwrap();
    p
}

#[test]
fn transient_server_errors_are_retried() {
    let srv = start();
    let tmp = Temp::new();
    let cfg = fast_config(&tmp);
    srv.fault(
        "/pypi/pypi/urllib3",
        Fault::Status {
            status: 500,
            times: 2,
        },
    );
    let (s, _) = assess_one(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        &[],
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(s["LatestStableRelease"], "2.8.0", "decided after two 500s");
    srv.clear_faults();
    srv.fault(
        "/osv/v1/querybatch",
        Fault::TooMany {
            retry_after: 1,
            times: 1,
        },
    );
    let started = Instant::now();
    let (s, _) = assess_one(
        &srv,
        &tmp,
        "pkg:pypi/jinja2@2.11.2",
        &[],
        &["--no-cache", "--config", cfg.to_str().unwrap()],
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );
    assert_eq!(s["FixedVulnerabilities"], "True");
}

/// A fault on OSV never turns into a True, and the run ends.
#[test]
fn osv_faults_end_in_noassertion_with_the_reason() {
    let cases: Vec<(Fault, &str)> = vec![
        (
            Fault::Status {
                status: 500,
                times: 100,
            },
            "HTTP 500",
        ),
        (Fault::Hang, "timed out"),
        (Fault::Truncated, "attempts"),
        (Fault::NotJson, "not JSON"),
        (Fault::Huge(1 << 30), "larger than"),
        (Fault::Redirect("file:///etc/passwd".into()), "redirect"),
        (
            Fault::Redirect("http://other-host.example.invalid/v1/querybatch".into()),
            "redirect",
        ),
    ];
    for (fault, expect) in cases {
        let srv = start();
        let tmp = Temp::new();
        let cfg = fast_config(&tmp);
        srv.fault("/osv/", fault.clone());
        let started = Instant::now();
        let (s, err) = assess_one(
            &srv,
            &tmp,
            "pkg:pypi/urllib3@1.26.4",
            &[],
            &["--no-cache", "--config", cfg.to_str().unwrap()],
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        for f in ["FixedVulnerabilities", "CleanReleaseAvailable"] {
            assert_eq!(s[f], "NOASSERTION", "{fault:?}: {f} = {}", s[f]);
            let reason = s["Evidence"][f]["Reason"].as_str().unwrap();
            assert!(!reason.is_empty());
        }
        let reason = s["Evidence"]["FixedVulnerabilities"]["Reason"]
            .as_str()
            .unwrap();
        assert!(reason.contains(expect), "{fault:?}: {reason}\n{err}");
        // What OSV does not decide is still decided from the registry.
        assert_eq!(s["LatestStableRelease"], "2.8.0");
    }
}

#[test]
fn an_unreachable_service_is_named_once_and_the_run_finishes_fast() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let o = run(
        &srv,
        &tmp,
        &["enrich", "in.json", "-o", "out.json", "--no-cache"],
        &[("TACOS_SCORECARD_URL", &dead), ("TACOS_DEPSDEV_URL", &dead)],
    );
    assert_ok(&o);
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = stderr(&o);
    assert_eq!(
        err.matches("note: OpenSSF Scorecard did not answer")
            .count(),
        1,
        "{err}"
    );
    let all = statements(&tmp.join("tacos-attestations"));
    let s = &all["pkg:pypi/urllib3@1.26.4"];
    assert_eq!(s["CodeReviewPractice"], "NOASSERTION");
    assert_eq!(
        s["Evidence"]["CodeReviewPractice"]["ReasonCode"],
        "source-unavailable"
    );
}

/// The registries' clients are asked where their registries are while the
/// SBOM is still being read: once each, and only the clients of the
/// ecosystems the SBOM names.
#[test]
fn each_named_registry_client_is_asked_once_and_no_other() {
    let tmp = Temp::new();
    let bin = tmp.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = tmp.join("asked.log");
    // A stand-in for npm that logs each call and answers like npm does.
    let npm = bin.join("npm");
    std::fs::write(
        &npm,
        format!(
            "#!/bin/sh\necho \"npm $*\" >> '{}'\necho http://127.0.0.1:9/npm-from-client/\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbom/generated");
    let run = |sbom: &str, out: &str| {
        let o = tacos_env(
            tmp.path(),
            &[
                "enrich",
                fixtures.join(sbom).to_str().unwrap(),
                "-o",
                tmp.join(out).to_str().unwrap(),
                "--offline",
                "--ephemeral-key",
            ],
            &[
                ("PATH", &path),
                ("HOME", tmp.path().to_str().unwrap()),
                ("TACOS_NPM_REGISTRY_URL", ""),
                ("NPM_CONFIG_REGISTRY", ""),
                ("npm_config_registry", ""),
            ],
        );
        assert_ok(&o);
        std::fs::read_to_string(&log).unwrap_or_default()
    };
    // Only PyPI packages: npm is never asked.
    assert_eq!(run("pypi-flask-django-env.cdx16.json", "py.json"), "");
    // npm packages: npm is asked once, and its answer is the endpoint used.
    assert_eq!(
        run("npm-webapp.cdx16.json", "npm.json"),
        "npm config get registry\n"
    );
    let all = statements(&tmp.join("tacos-attestations"));
    let any_npm = all
        .iter()
        .find(|(p, _)| p.starts_with("pkg:npm/"))
        .map(|(_, s)| s.to_string())
        .unwrap();
    assert!(any_npm.contains("127.0.0.1:9/npm-from-client"), "{any_npm}");
}

#[test]
fn an_unconfigured_registry_is_unknown_with_how_to_configure_it() {
    let srv = start();
    let tmp = Temp::new();
    let base: Vec<(String, String)> = srv
        .env()
        .into_iter()
        .filter(|(k, _)| {
            k != "TACOS_PYPI_URL" && k != "TACOS_CRATES_INDEX_URL" && k != "TACOS_CRATES_API_URL"
        })
        .chain([
            ("TACOS_PYPI_URL".to_string(), String::new()),
            ("TACOS_CRATES_INDEX_URL".to_string(), String::new()),
            ("TACOS_CRATES_API_URL".to_string(), String::new()),
            ("HOME".into(), tmp.path().to_string_lossy().into_owned()),
            (
                "CARGO_HOME".into(),
                tmp.join("cargo-home").to_string_lossy().into_owned(),
            ),
            ("PIP_INDEX_URL".into(), String::new()),
        ])
        .collect();
    let run = |extra: &[(&str, &str)], purl: &str| {
        let mut env = base.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let o = tacos_env(tmp.path(), &["assess", purl, "--no-cache"], &env_ref);
        assert_ok(&o);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        (v[0].clone(), stderr(&o))
    };
    // No pip to ask and nothing configured: unknown, with the fix, and the
    // run says so once.
    let empty = tmp.join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let (s, err) = run(
        &[
            ("PATH", empty.to_str().unwrap()),
            ("PIP_CONFIG_FILE", "/nonexistent"),
        ],
        "pkg:pypi/urllib3@1.26.4",
    );
    let reason = s["Evidence"]["LatestStableRelease"]["Reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("TACOS_PYPI_URL"), "{reason}");
    assert_eq!(err.matches("got no data from the PyPI").count(), 1, "{err}");
    // pip's own configuration, as pip reads it (the real pip is asked).
    let conf = tmp.join("pip.conf");
    std::fs::write(
        &conf,
        format!("[global]\nindex-url = {}/simple\n", srv.url("pypi")),
    )
    .unwrap();
    let (s, err) = run(
        &[("PIP_CONFIG_FILE", conf.to_str().unwrap())],
        "pkg:pypi/urllib3@1.26.4",
    );
    assert_eq!(s["LatestStableRelease"], "2.8.0", "{err}");
    // Cargo: the index cargo itself would use (tests/cargo_index.rs); one
    // read over git cannot be asked, and the run says how to set one.
    let (s, err) = run(
        &[("CARGO_REGISTRIES_CRATES_IO_PROTOCOL", "git")],
        "pkg:cargo/chrono@0.4.19",
    );
    assert_eq!(s["LatestStableRelease"], "NOASSERTION");
    assert!(err.contains("TACOS_CRATES_INDEX_URL"), "{err}");
    std::fs::create_dir_all(tmp.join(".cargo")).unwrap();
    std::fs::write(
        tmp.join(".cargo/config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+{}/\"\n",
            srv.url("crates-index")
        ),
    )
    .unwrap();
    let (s, err) = run(&[], "pkg:cargo/chrono@0.4.19");
    assert_ne!(s["LatestStableRelease"], "NOASSERTION", "{err}");
    std::fs::remove_file(tmp.join(".cargo/config.toml")).unwrap();
    let sparse = format!("sparse+{}/", srv.url("crates-index"));
    let (s, err) = run(
        &[("TACOS_CRATES_INDEX_URL", &sparse)],
        "pkg:cargo/chrono@0.4.19",
    );
    assert_ne!(s["LatestStableRelease"], "NOASSERTION", "{err}");
}

#[test]
fn published_reports_fill_attested_fields_and_conflicts_are_reported() {
    let srv = start();
    let tmp = Temp::new();
    std::fs::create_dir(tmp.join("reports")).unwrap();
    std::fs::write(
        tmp.join("reports/vendor.json"),
        r#"{"author": "Vendor", "LastModifiedDateTimeUTC": "2026-10-01T00:00:00Z", "statements": [
            {"PURL": "pkg:pypi/urllib3", "SuccessionPlan": "True", "FixedVulnerabilities": "False", "SDLCPolicyURL": "https://example.invalid/sdlc"}
        ]}"#,
    )
    .unwrap();
    // Sloppy, as published examples are: a trailing comma, casing drift.
    // Read, but a repaired answer proves no True.
    std::fs::write(
        tmp.join("reports/sloppy.json"),
        r#"{"author": "Other", "LastModifiedDateTimeUTC": "2026-10-01T00:00:00Z", "statements": [
            {"PURL": "pkg:pypi/urllib3", "documentedBuildPractices": "True",}
        ]}"#,
    )
    .unwrap();
    std::fs::write(tmp.join("reports/broken.json"), "not json").unwrap();
    let (s, err) = assess_one(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        &[],
        &["--reports", tmp.join("reports").to_str().unwrap()],
    );
    assert_eq!(s["SuccessionPlan"], "True");
    assert_eq!(s["Evidence"]["SuccessionPlan"]["ReasonCode"], "from-report");
    assert_eq!(s["SDLCPolicyURL"], "https://example.invalid/sdlc");
    assert_eq!(s["DocumentedBuildPractices"], "NOASSERTION");
    let e = &s["Evidence"]["DocumentedBuildPractices"];
    assert!(e["Reason"].as_str().unwrap().contains("repaired"), "{e}");
    // The assessment says True; the report says False: kept, and reported.
    assert_eq!(s["FixedVulnerabilities"], "True");
    assert_eq!(
        s["Evidence"]["FixedVulnerabilities"]["ReasonCode"],
        "conflict"
    );
    assert!(
        err.contains("conflict: pkg:pypi/urllib3@1.26.4 FixedVulnerabilities: published False"),
        "{err}"
    );
    assert!(
        err.contains("broken.json"),
        "the unreadable report is named: {err}"
    );
}

#[test]
fn the_tidelift_report_api_is_read_with_the_token() {
    let srv = start();
    let tmp = Temp::new();
    let cfg = tmp.join("t.toml");
    std::fs::write(
        &cfg,
        "[tidelift]\norganization = \"acme\"\nproject = \"web app\"\n",
    )
    .unwrap();
    let (s, _) = assess_one(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        &[("TIDELIFT_API_KEY", "tidelift-test-token")],
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(s["PackageManagerMFAEnabled"], "True");
    assert!(
        s["Evidence"]["PackageManagerMFAEnabled"]["Source"]
            .as_str()
            .unwrap()
            .contains("attestation-report")
    );
    let (s, err) = assess_one(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        &[("TIDELIFT_API_KEY", "wrong")],
        &["--config", cfg.to_str().unwrap()],
    );
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION");
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(!err.contains("wrong"), "the token is never shown: {err}");
}

/// A statement's values and where each came from, without the times.
fn values_and_sources(s: &Value) -> Value {
    let mut s = s.clone();
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !k.ends_with("UTC"));
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut s);
    s
}

#[test]
fn deps_dev_is_asked_in_batches_and_decides_the_same_as_one_by_one() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/npm-webapp.cdx16.json"),
        "in.json",
    );
    // A small page, so that following the pages is tested.
    srv.set_depsdev_page(7);
    let enrich = |name: &str| {
        let cache = tmp.join(&format!("cache-{name}"));
        let o = run(
            &srv,
            &tmp,
            &[
                "enrich",
                "in.json",
                "-o",
                &format!("{name}.json"),
                "--attestations-dir",
                &format!("att-{name}"),
                "--cache-dir",
                cache.to_str().unwrap(),
            ],
            &[],
        );
        assert_ok(&o);
        (statements(&tmp.join(&format!("att-{name}"))), stderr(&o))
    };
    let (batched, _) = enrich("batched");
    let pages = srv.hits("/depsdev/v3alpha/versionbatch");
    // Only what the batch left unanswered (versions the stand-in does not
    // know) is asked one by one.
    let batched_singles = srv.hits_under("/depsdev/v3/systems/");
    assert!(pages >= 2, "pages were followed: {pages}");

    // The batch endpoint failing: every version asked one by one.
    srv.fault(
        "/depsdev/v3alpha/",
        Fault::Status {
            status: 503,
            times: 1000,
        },
    );
    let before = srv.hits_under("/depsdev/v3/systems/");
    let (one_by_one, _) = enrich("single");
    let asked_singly = srv.hits_under("/depsdev/v3/systems/") - before;
    assert!(
        asked_singly > pages + batched_singles,
        "{asked_singly} vs {pages} pages"
    );
    srv.clear_faults();

    // A hostile batch answer (about a package that was not asked): it is
    // not believed; the versions are asked one by one.
    srv.fault(
        "/depsdev/v3alpha/",
        Fault::Body {
            status: 200,
            body: br#"{"responses": [{"request": {"versionKey": {"system": "NPM", "name": "evil", "version": "1.0.0"}},
                "version": {"versionKey": {"system": "NPM", "name": "evil", "version": "1.0.0"}, "licenses": ["MIT"]}}]}"#
                .to_vec(),
        },
    );
    let (hostile, err) = enrich("hostile");
    assert!(err.contains("malformed answer from deps.dev"), "{err}");
    srv.clear_faults();

    assert_eq!(batched.len(), one_by_one.len());
    for (purl, s) in &batched {
        assert_eq!(
            values_and_sources(s),
            values_and_sources(&one_by_one[purl]),
            "{purl}"
        );
        assert_eq!(
            values_and_sources(s),
            values_and_sources(&hostile[purl]),
            "{purl}"
        );
    }

    // What a batch answered is cached per version: a run on the same cache
    // (with a fresh store) asks deps.dev nothing.
    let before = srv.counts().get("depsdev").copied().unwrap_or(0);
    let cache = tmp.join("cache-batched");
    let o = run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "again.json",
            "--attestations-dir",
            "att-again",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--store",
            tmp.join("fresh-store.sqlite3").to_str().unwrap(),
        ],
        &[],
    );
    assert_ok(&o);
    assert_eq!(
        srv.counts().get("depsdev").copied().unwrap_or(0),
        before,
        "{}",
        stderr(&o)
    );
}

/// A statement decided while a source was unreachable is not kept in the
/// store: the next run asks again instead of repeating the gap for a day.
#[test]
fn a_gap_from_an_unreachable_source_is_not_stored() {
    let srv = start();
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let cfg = fast_config(&tmp);
    srv.fault(
        "/osv/",
        Fault::Status {
            status: 503,
            times: 1000,
        },
    );
    let o = run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "a.json",
            "--attestations-dir",
            "att-a",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    );
    assert_ok(&o);
    let gaps = statements(&tmp.join("att-a"))
        .values()
        .filter(|s| s["Evidence"].to_string().contains("source-unavailable"))
        .count();
    assert!(gaps > 0, "the fault made no gap: {}", stderr(&o));
    srv.clear_faults();
    let o = run(
        &srv,
        &tmp,
        &[
            "enrich",
            "in.json",
            "-o",
            "b.json",
            "--attestations-dir",
            "att-b",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    );
    assert_ok(&o);
    let err = stderr(&o);
    let reused: usize = err
        .lines()
        .find(|l| l.starts_with("store "))
        .and_then(|l| l.split(": ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no store line: {err}"));
    assert!(
        reused <= 23 - gaps,
        "{reused} reused with {gaps} gaps: {err}"
    );
    assert!(
        statements(&tmp.join("att-b"))
            .values()
            .all(|s| !s["Evidence"].to_string().contains("source-unavailable")),
        "{err}"
    );
}
