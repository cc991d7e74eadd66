//! Compliance outputs: the signed application report, the summary and CISA
//! mapping (recounted independently from the artifacts), the policy gate,
//! the reproducible evidence bundle, and the HTML page in a real browser.

mod common;
#[path = "support/server.rs"]
mod server;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// Enrich the PyPI sample against the fixture server.
fn enriched() -> (server::FixtureServer, Temp) {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let o = run(&srv, &tmp, &["enrich", "in.json", "-o", "out.json"]);
    assert_ok(&o);
    (srv, tmp)
}

fn run(srv: &server::FixtureServer, tmp: &Temp, args: &[&str]) -> std::process::Output {
    let env: Vec<(String, String)> = srv.env();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tmp.join("cache");
    let mut all = args.to_vec();
    if matches!(args.first(), Some(&"enrich")) {
        all.extend(["--cache-dir", cache.to_str().unwrap()]);
    }
    tacos_env(tmp.path(), &all, &env_ref)
}

fn decode(path: &Path) -> Value {
    use base64::Engine;
    let env: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// Count a field's values over statements, independently of the tool's
/// summary code: tri-state as written, metadata by presence, PackageStatus
/// Active vs other.
fn recount(statements: &[Value], field: &str) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for s in statements {
        let v = &s[field];
        let outcome = match (field, v) {
            (_, Value::String(x)) if x == "NOASSERTION" => 2,
            ("PackageStatus", Value::Object(o)) => usize::from(o["Status"] != "Active"),
            (_, Value::String(x)) if x == "True" => 0,
            (_, Value::String(x)) if x == "False" => 1,
            ("SBOM", Value::Array(a)) if a.is_empty() => 2,
            _ => 0,
        };
        match outcome {
            0 => c.0 += 1,
            1 => c.1 += 1,
            _ => c.2 += 1,
        }
    }
    c
}

#[test]
fn the_application_report_is_signed_referenced_and_verified() {
    let (_srv, tmp) = enriched();
    let out: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("out.json")).unwrap()).unwrap();
    let refs = out["externalReferences"]
        .as_array()
        .expect("BOM-level references");
    let r = refs
        .iter()
        .find(|r| r["comment"].as_str().unwrap().starts_with("TACOS report"))
        .unwrap();
    assert_eq!(r["type"], "attestation");
    let path = tmp.join(r["url"].as_str().unwrap());
    let key = tmp.join("tacos-attestations/tacos-sbom.pub");
    let (code, text) = judge(
        "verify-dsse.py",
        &[path.to_str().unwrap(), key.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");
    let st = decode(&path);
    assert_eq!(
        st["predicateType"],
        "urn:tacos-sbom:predicate:tacos-report:v1.1"
    );
    let report = &st["predicate"];
    assert_eq!(report["TACOSversion"], "1.1");
    assert_eq!(report["role"], "Attestor");
    assert_eq!(report["LastModifiedDateTimeUTC"], "2026-11-23T00:00:00Z");
    assert!(
        report["author"]
            .as_str()
            .unwrap()
            .starts_with("Tool: tacos-sbom-")
    );
    assert_eq!(report["statements"].as_array().unwrap().len(), 23);
    let p = tmp.join("report.json");
    std::fs::write(&p, report.to_string()).unwrap();
    let (code, text) = check_jsonschema(
        &repo().join("src/tacos/schema/tacos-report-1.1.schema.json"),
        &[p],
    );
    assert_eq!(code, 0, "{text}");

    let o = tacos(
        tmp.path(),
        &["verify", "out.json", "--allow-unauthenticated"],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("24 of 24"), "{}", stderr(&o));
    // A flipped byte in the report fails verification, naming it.
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len() / 2;
    bytes[n] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let o = tacos(tmp.path(), &["verify", "out.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("application report"), "{}", stdout(&o));
}

#[test]
fn the_summary_and_mapping_agree_with_an_independent_recount() {
    let (_srv, tmp) = enriched();
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "--format",
            "json",
            "-o",
            "summary.json",
        ],
    );
    assert_ok(&o);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("summary.json")).unwrap()).unwrap();
    // The statements, straight from the artifacts.
    let statements: Vec<Value> = std::fs::read_dir(tmp.join("tacos-attestations"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tacos.dsse.json"))
        .map(|p| decode(&p)["predicate"].clone())
        .collect();
    assert_eq!(summary["packages"], statements.len());
    for c in summary["baseline"].as_array().unwrap() {
        let f = c["field"].as_str().unwrap();
        let (t, fa, na) = recount(&statements, f);
        assert_eq!(
            (
                c["True"].as_u64().unwrap() as usize,
                c["False"].as_u64().unwrap() as usize,
                c["NOASSERTION"].as_u64().unwrap() as usize
            ),
            (t, fa, na),
            "{f}"
        );
    }
    let rows = summary["cisa"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1a", "1b", "1c", "1d", "1e", "1f", "2", "3", "4"]);
    for r in rows {
        let failing = r["failing"].as_array().unwrap().len();
        let mut expected_failing = 0;
        for f in r["fields"].as_array().unwrap() {
            let name = f["field"].as_str().unwrap();
            let (t, fa, na) = recount(&statements, name);
            assert_eq!(
                (
                    f["True"].as_u64().unwrap() as usize,
                    f["False"].as_u64().unwrap() as usize,
                    f["NOASSERTION"].as_u64().unwrap() as usize
                ),
                (t, fa, na)
            );
            expected_failing += fa;
        }
        assert_eq!(failing, expected_failing, "row {}", r["id"]);
        let status = r["status"].as_str().unwrap();
        assert_eq!(
            status == "Not met",
            failing > 0,
            "row {}: {status}",
            r["id"]
        );
    }
    // Attested-only fields are never decided here: rows resting only on them are undetermined.
    assert_eq!(rows[0]["status"], "Undetermined");
    // Vulnerable versions in use become concrete upgrade steps.
    let steps: Vec<&str> = summary["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("Upgrade urllib3 from 1.26.4 to 2.8.0")),
        "{steps:?}"
    );

    let o = tacos(tmp.path(), &["report", "out.json", "--format", "md"]);
    assert_ok(&o);
    let md = stdout(&o);
    for section in [
        "## Security baseline",
        "## Identified risks",
        "## Known limitations",
        "## Next steps",
        "## CISA Secure Software Development Attestation Form",
    ] {
        assert!(md.contains(section), "{section}");
    }
}

#[test]
fn the_policy_gate_fails_ci_with_the_violations() {
    let (srv, tmp) = enriched();
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "--fail-on",
            "FixedVulnerabilities=True",
            "-o",
            "s.md",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("POLICY pkg:pypi/urllib3@1.26.4 has FixedVulnerabilities=True"),
        "{}",
        stderr(&o)
    );
    let o = tacos(
        tmp.path(),
        &["report", "out.json", "--max-noassertion", "5", "-o", "s.md"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("NOASSERTION, more than the 5% allowed"),
        "{}",
        stderr(&o)
    );
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "--fail-on",
            "PackageStatus=Removed",
            "-o",
            "s.md",
        ],
    );
    assert_ok(&o);
    let o = tacos(
        tmp.path(),
        &["report", "out.json", "--fail-on", "Nonsense=True"],
    );
    assert_eq!(o.status.code(), Some(2));
    // The same gate in enrich, from the config file.
    std::fs::write(
        tmp.join("tacos-sbom.toml"),
        "[policy]\nfail_on = [\"FixedVulnerabilities=True\"]\n",
    )
    .unwrap();
    let o = run(&srv, &tmp, &["enrich", "in.json", "-o", "out2.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        tmp.join("out2.json").exists(),
        "the output is written; the gate only sets the exit code"
    );
}

fn bundle(tmp: &Temp, out: &str) -> Vec<u8> {
    let o = tacos(
        tmp.path(),
        &["package", "out.json", "-o", out, "--allow-unauthenticated"],
    );
    assert_ok(&o);
    std::fs::read(tmp.join(out)).unwrap()
}

#[test]
fn the_evidence_bundle_is_reproducible_complete_and_safe() {
    let (_srv, tmp) = enriched();
    std::fs::create_dir(tmp.join("a")).unwrap();
    std::fs::create_dir(tmp.join("b")).unwrap();
    let first = bundle(&tmp, "a/evidence.tar.gz");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = bundle(&tmp, "b/evidence.tar.gz");
    assert_eq!(first, second, "the same inputs give the same bytes");
    // Unpack with the system tar and check the sums with the system sha256sum.
    let dir = tmp.join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    let o = std::process::Command::new("tar")
        .arg("xzf")
        .arg(tmp.join("a/evidence.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    let root = dir.join("evidence");
    let o = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let listing: Vec<PathBuf> = walk(&root);
    let names: Vec<String> = listing
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for want in [
        "SHA256SUMS",
        "manifest.json",
        "summary.md",
        "summary.html",
        "summary.json",
        "cisa-mapping.json",
        "tacos-sbom.pub",
        "sbom/out.json",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("attestations/"))
            .count(),
        24,
        "23 packages and the report"
    );
    // The bundled SBOM verifies where it lands, with the signer's own key;
    // the copy shipped in the bundle proves only that it is intact.
    let own = tmp.join(".tacos-config/signing.pub");
    let o = tacos(
        &root,
        &[
            "verify",
            "sbom/out.json",
            "--attestations-dir",
            "attestations",
            "--key",
            own.to_str().unwrap(),
        ],
    );
    assert_ok(&o);
    let o = tacos(
        &root,
        &[
            "verify",
            "sbom/out.json",
            "--attestations-dir",
            "attestations",
            "--key",
            "tacos-sbom.pub",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the given key is the copy shipped with the artifacts"),
        "{}",
        stderr(&o)
    );
    // A reference that points outside the SBOM's directory is refused.
    let text = std::fs::read_to_string(tmp.join("out.json")).unwrap();
    let evil = text.replacen("\"url\": \"tacos-attestations/", "\"url\": \"../../etc/", 1);
    std::fs::write(tmp.join("out.json"), evil).unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out.json",
            "-o",
            "evil.tar.gz",
            "--allow-unauthenticated",
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(!tmp.join("evil.tar.gz").exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The HTML page in headless Chromium: it loads without console errors,
/// shows the counts, and its filter works.
#[test]
fn the_html_summary_works_in_a_real_browser() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        panic!(
            "Chromium is not installed: .ci/run installs Debian's chromium package (apt-get install chromium)"
        );
    };
    let (_srv, tmp) = enriched();
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "--format",
            "html",
            "-o",
            "summary.html",
        ],
    );
    assert_ok(&o);
    let json = tacos(tmp.path(), &["report", "out.json", "--format", "json"]);
    let summary: Value = serde_json::from_str(&stdout(&json)).unwrap();
    // Append a probe that exercises the filter and reports what the page shows.
    let mut html = std::fs::read_to_string(tmp.join("summary.html")).unwrap();
    let probe = "<script>(function(){var f=document.getElementById('filter');f.value='urllib3';f.dispatchEvent(new Event('input'));\
        var out=document.createElement('pre');out.id='probe';out.textContent=JSON.stringify({packages:document.getElementById('packages').textContent,\
        shown:document.getElementById('shown').textContent,rows:document.querySelectorAll('#findings tbody tr').length,\
        bars:document.querySelectorAll('#chart rect').length,cisa:document.querySelectorAll('#cisa tbody tr').length,\
        known:document.querySelectorAll('#vulnerabilities tbody tr').length,\
        verdict:document.getElementById('verdict-status').textContent,verdictShown:document.getElementById('verdict').getBoundingClientRect().height>0,\
        verification:document.getElementById('verification').textContent,sha:document.getElementById('sbom-sha256').textContent,\
        artifacts:Array.prototype.map.call(document.querySelectorAll('#findings a.artifact'),function(a){return a.getAttribute('href');}),\
        hrefs:Array.prototype.map.call(document.querySelectorAll('a'),function(a){return a.href;})});document.body.appendChild(out);})();</script>";
    html = html.replace("</body>", &format!("{probe}</body>"));
    let page = tmp.join("probe.html");
    std::fs::write(&page, html).unwrap();
    let profile = tmp.join("chromium-profile");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let start = dom
        .find("<pre id=\"probe\">")
        .unwrap_or_else(|| panic!("the probe did not run:\n{dom}\n{log}"));
    let body = &dom[start + "<pre id=\"probe\">".len()..];
    let probe: Value =
        serde_json::from_str(&body[..body.find("</pre>").unwrap()].replace("&quot;", "\""))
            .unwrap();
    assert_eq!(probe["packages"], summary["packages"].to_string());
    assert_eq!(probe["cisa"], 9);
    // The known vulnerabilities in the versions in use, one row each.
    let known = summary["knownVulnerabilities"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(known > 0, "the PyPI sample has vulnerable versions in use");
    assert_eq!(probe["known"], known);
    let risks = summary["risks"].as_array().unwrap();
    assert_eq!(probe["rows"], risks.len());
    let urllib3 = risks
        .iter()
        .filter(|r| r["package"].as_str().unwrap().contains("urllib3"))
        .count();
    assert_eq!(probe["shown"], urllib3.to_string());
    let bars: usize = summary["baseline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            ["True", "False", "NOASSERTION"]
                .iter()
                .filter(|k| c[**k].as_u64().unwrap() > 0)
                .count()
        })
        .sum();
    assert_eq!(
        probe["bars"],
        bars + 3,
        "a bar per non-zero value, plus the legend"
    );
    // The headline is shown and agrees with the rows.
    assert_eq!(probe["verdict"], summary["verdict"]);
    assert_eq!(probe["verdictShown"], true);
    assert!(
        probe["verification"]
            .as_str()
            .unwrap()
            .contains("signer not proven"),
        "{}",
        probe["verification"]
    );
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(std::fs::read(tmp.join("out.json")).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(probe["sha"], digest);
    // Every finding links to its signed artifact, which is there.
    let links = probe["artifacts"].as_array().unwrap();
    assert_eq!(links.len(), risks.len());
    for l in links {
        let l = l.as_str().unwrap();
        assert!(l.starts_with("tacos-attestations/"), "{l}");
        assert!(tmp.join(&l.replace("%40", "@")).exists(), "{l}");
    }
    // No link leaves http(s) or the page's folder.
    for h in probe["hrefs"].as_array().unwrap() {
        let h = h.as_str().unwrap();
        assert!(
            h.starts_with("file://") || h.starts_with("https://") || h.starts_with("http://"),
            "{h}"
        );
    }
}

#[test]
fn cyclonedx_1_6_declarations_validate_against_the_official_schema() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    assert_ok(&run(&srv, &tmp, &["enrich", "in.json", "-o", "plain.json"]));
    assert_ok(&run(
        &srv,
        &tmp,
        &["enrich", "in.json", "-o", "decl.json", "--declarations"],
    ));
    let (code, text) = judge(
        "validate-cdx.py",
        &[tmp.join("decl.json").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("official pass"), "{text}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("decl.json")).unwrap()).unwrap();
    let claims = doc["declarations"]["claims"].as_array().unwrap();
    assert!(claims.len() > 20, "{} claims", claims.len());
    let refs: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    assert!(
        claims
            .iter()
            .all(|c| refs.contains(&c["target"].as_str().unwrap()))
    );
    let map = doc["declarations"]["attestations"][0]["map"]
        .as_array()
        .unwrap();
    assert_eq!(map.len(), 12, "one entry per TACOS attestation field");
    let fixed = map
        .iter()
        .find(|m| m["requirement"] == "tacos-sbom:requirement:FixedVulnerabilities")
        .unwrap();
    assert!(!fixed["claims"].as_array().unwrap().is_empty());
    // Enriching again replaces them rather than adding more.
    assert_ok(&run(
        &srv,
        &tmp,
        &["enrich", "decl.json", "-o", "again.json", "--declarations"],
    ));
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("again.json")).unwrap()).unwrap();
    assert_eq!(again["declarations"], doc["declarations"]);
    let plain = std::fs::metadata(tmp.join("plain.json")).unwrap().len();
    let with = std::fs::metadata(tmp.join("decl.json")).unwrap().len();
    println!("declarations: {plain} -> {with} bytes");
}
