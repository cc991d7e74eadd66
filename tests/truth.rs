//! A True (or a value) only where the evidence proves it. Real recorded
//! answers, and malformed, partial, stale and hostile variants of them,
//! served from loopback: for every adapter, no variant may turn a field
//! True or be cached; and one regression test per class of wrong True.

mod common;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};
use server::{Fault, FixtureServer};

fn start() -> FixtureServer {
    FixtureServer::start(&fixtures())
}

/// `assess PURL` against the server with a private cache; the statement
/// and stderr.
fn assess(
    srv: &FixtureServer,
    tmp: &Temp,
    purl: &str,
    cache: &str,
    config: Option<&str>,
    flags: &[&str],
) -> (Value, String) {
    let mut env: Vec<(String, String)> = srv.env();
    env.push((
        "TACOS_OSV_WEB_URL".into(),
        "https://osv.example.invalid".into(),
    ));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache_dir = tmp.join(cache);
    let mut args = vec!["assess", purl, "--cache-dir", cache_dir.to_str().unwrap()];
    let cfg_path = tmp.join(&format!("{cache}.toml"));
    if let Some(c) = config {
        std::fs::write(&cfg_path, c).unwrap();
        args.extend(["--config", cfg_path.to_str().unwrap()]);
    }
    args.extend_from_slice(flags);
    let o = tacos_env(tmp.path(), &args, &env_ref);
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (v[0].clone(), stderr(&o))
}

/// Fields that hold True or a value, leaving out what the package URL and
/// the SBOM establish by themselves.
fn asserted(s: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (k, v) in s.as_object().unwrap() {
        if matches!(
            k.as_str(),
            "Evidence"
                | "PackageName"
                | "PackagePlatform"
                | "PURL"
                | "ReleasesInUse"
                | "KnownVulnerabilitiesURL"
        ) {
            continue;
        }
        let yes = match v {
            Value::String(x) => x != "NOASSERTION" && x != "False",
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => o.get("Status").and_then(Value::as_str) == Some("Active"),
            _ => false,
        };
        if yes {
            out.insert(k.clone());
        }
    }
    out
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// The recording's JSON with one change.
fn with(base: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(base).unwrap();
    change(&mut v);
    v.to_string().into_bytes()
}

/// Variants every answer gets: not JSON, cut off, and empty shapes.
fn generic(base: &[u8]) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "HTML with status 200".into(),
            b"<html><body>Service temporarily moved</body></html>".to_vec(),
        ),
        ("truncated".into(), base[..base.len() / 2].to_vec()),
        ("null".into(), b"null".to_vec()),
        ("an empty object".into(), b"{}".to_vec()),
        ("an empty list".into(), b"[]".to_vec()),
    ]
}

/// Each key set to each wrong type; the required ones also removed (an
/// optional key left out is a well-formed answer that says less).
fn wrong_types(base: &[u8], required: &[&str], optional: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for key in required.iter().chain(optional) {
        let path: Vec<&str> = key.split('.').collect();
        let original = path
            .iter()
            .try_fold(serde_json::from_slice::<Value>(base).unwrap(), |v, k| {
                v.get(*k).cloned()
            })
            .unwrap_or(Value::Null);
        for wrong in [
            json!("x"),
            json!(7),
            json!(null),
            json!([]),
            json!({}),
            json!(true),
        ] {
            // An optional key may also be null.
            if std::mem::discriminant(&wrong) == std::mem::discriminant(&original)
                || (wrong.is_null() && !required.contains(key))
            {
                continue;
            }
            let w = wrong.clone();
            out.push((
                format!("{key} = {wrong}"),
                with(base, |v| {
                    let (last, parents) = path.split_last().unwrap();
                    let mut cur = v;
                    for p in parents {
                        cur = cur.get_mut(*p).unwrap();
                    }
                    cur[*last] = w;
                }),
            ));
        }
        if !required.contains(key) {
            continue;
        }
        out.push((
            format!("no {key}"),
            with(base, |v| {
                let (last, parents) = path.split_last().unwrap();
                let mut cur = v;
                for p in parents {
                    cur = cur.get_mut(*p).unwrap();
                }
                cur.as_object_mut().unwrap().remove(*last);
            }),
        ));
    }
    out
}

/// Whether the cache in `dir` holds an answer for a URL ending in `path`.
fn cached(dir: &std::path::Path, path: &str) -> bool {
    let db = rusqlite::Connection::open(dir.join("responses.sqlite3")).unwrap();
    let keys: Vec<String> = db
        .prepare("SELECT key FROM responses")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    keys.iter().any(|k| {
        let url = k.split_whitespace().nth(1).unwrap_or("");
        url.ends_with(path)
    })
}

/// One adapter under test: the package whose statement it feeds, the path
/// its answer comes from, the healthy answer, and its malformed variants.
struct Case {
    adapter: &'static str,
    purl: &'static str,
    path: String,
    /// Where a good answer is cached, when not under `path` (a batch answer
    /// is cached per item, as the single lookup's answer).
    cache_path: Option<String>,
    healthy: Vec<u8>,
    /// Served beside it (path, body) for the healthy statement to have
    /// something to assert.
    also: Vec<(String, Vec<u8>)>,
    config: Option<&'static str>,
    /// Fields this adapter's answer decides: none may be True under a
    /// variant, and some must be on the healthy answer.
    fields: &'static [&'static str],
    variants: Vec<(String, Vec<u8>)>,
}

fn cases() -> Vec<Case> {
    let lodash = read("registry/npm-complete-examples/lodash.json");
    let urllib3 = read("registry/pypi/urllib3.json");
    let chrono = read("registry/crates/index/ch/ro/chrono");
    let scorecard = read("api/scorecard/github.com_ossf_scorecard.2025-11-15.json");
    let depsdev = read("api/depsdev/npm-lodash-4.17.20.getversion.json");
    let batch = read("api/osv/querybatch-npm-single-vuln.response.json");
    // The recorded result, as if Scorecard had scanned lodash's repository:
    // a test construction, so that the healthy answer asserts something.
    let lodash_scorecard = with(&scorecard, |v| {
        v["repo"]["name"] = json!("github.com/lodash/lodash")
    });
    let scorecard_path = "/scorecard/projects/github.com/lodash/lodash".to_string();
    let old_scorecard_ok = "[assessment]\nmax_scorecard_age_days = 100000\n";

    let mut npm = generic(&lodash);
    npm.extend(wrong_types(
        &lodash,
        &["name", "versions"],
        &["maintainers", "dist-tags", "time"],
    ));
    npm.push((
        "another package's answer".into(),
        read("registry/npm-complete-examples/chalk.json"),
    ));
    npm.push((
        "a release that says it is another version".into(),
        with(&lodash, |v| {
            v["versions"]["4.17.21"]["version"] = json!("4.17.20")
        }),
    ));

    let mut pypi = generic(&urllib3);
    pypi.extend(wrong_types(
        &urllib3,
        &["info", "info.name", "info.version", "releases"],
        &["info.requires_dist", "ownership", "info.project_urls"],
    ));
    pypi.push((
        "another package's answer".into(),
        read("registry/pypi/idna.json"),
    ));

    let chrono_text = String::from_utf8(chrono.clone()).unwrap();
    let mut crates = generic(&chrono);
    crates.push((
        "another crate's index file".into(),
        read("registry/crates/index/3/l/log"),
    ));
    crates.push((
        "a version that is not a string".into(),
        chrono_text
            .replacen("\"vers\":\"0.1.0\"", "\"vers\":1", 1)
            .replacen("\"vers\": \"0.1.0\"", "\"vers\": 1", 1)
            .into_bytes(),
    ));
    crates.push((
        "yanked as a string".into(),
        chrono_text
            .replace("\"yanked\":false", "\"yanked\":\"no\"")
            .replace("\"yanked\": false", "\"yanked\": \"no\"")
            .into_bytes(),
    ));
    crates.push((
        "a line cut off".into(),
        chrono_text.as_bytes()[..chrono_text.len() - 40].to_vec(),
    ));

    let mut sc = generic(&lodash_scorecard);
    sc.extend(wrong_types(
        &lodash_scorecard,
        &["date", "repo", "checks"],
        &[],
    ));
    sc.push(("another repository's answer".into(), scorecard.clone()));
    sc.push((
        "a score out of range (99)".into(),
        with(&lodash_scorecard, |v| v["checks"][0]["score"] = json!(99)),
    ));
    sc.push((
        "a score out of range (-5)".into(),
        with(&lodash_scorecard, |v| v["checks"][1]["score"] = json!(-5)),
    ));
    sc.push((
        "an undated answer".into(),
        with(&lodash_scorecard, |v| v["date"] = json!("someday")),
    ));

    let mut osv = generic(&batch);
    osv.extend(wrong_types(&batch, &["results"], &[]));
    osv.push((
        "another query's answer (one result too many)".into(),
        read("api/osv/querybatch-mixed-npm-packagist-go.response.json"),
    ));
    osv.push((
        "vulns that is not a list".into(),
        with(&batch, |v| v["results"][0]["vulns"] = json!("GHSA-x")),
    ));

    let mut dd = generic(&depsdev);
    dd.extend(wrong_types(
        &depsdev,
        &["versionKey"],
        &["licenses", "links", "isDeprecated", "publishedAt"],
    ));
    dd.push(("another version's answer".into(), depsdev.clone()));

    // deps.dev's batch: every GetVersion variant inside an otherwise good
    // batch answer, and the batch's own shape broken.
    let asked = json!({"versionKey": {"system": "NPM", "name": "lodash", "version": "4.17.21"}});
    let mut dd_batch = generic(br#"{"responses": []}"#);
    for (label, body) in &dd {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            dd_batch.push((
                format!("a batch holding {label}"),
                json!({"responses": [{"request": asked, "version": v}]})
                    .to_string()
                    .into_bytes(),
            ));
        }
    }
    dd_batch.push((
        "responses that is not a list".into(),
        json!({"responses": {"request": asked}})
            .to_string()
            .into_bytes(),
    ));
    dd_batch.push((
        "a response about a version not asked".into(),
        json!({"responses": [{"request": {"versionKey": {"system": "NPM", "name": "lodash", "version": "4.17.20"}},
                              "version": serde_json::from_slice::<Value>(&depsdev).unwrap()}]})
        .to_string()
        .into_bytes(),
    ));
    dd_batch.push((
        "a page token that is a number".into(),
        json!({"responses": [], "nextPageToken": 2})
            .to_string()
            .into_bytes(),
    ));

    // Security Insights: the real ossf/scorecard file, as if published in
    // lodash's repository (its repository.url changed to say so: a test
    // construction, so that the healthy answer asserts something), in
    // GitHub's contents shape.
    let si_text = String::from_utf8(read(
        "repos/github.com/ossf/scorecard/security-insights.yml",
    ))
    .unwrap()
    .replace(
        "  url: https://github.com/ossf/scorecard\n  accepts",
        "  url: https://github.com/lodash/lodash\n  accepts",
    );
    let si_path = "/github/repos/lodash/lodash/contents/security-insights.yml".to_string();
    let si_ok = "[assessment]\nmax_insights_age_days = 100000\n";
    let si_healthy = contents("security-insights.yml", si_text.as_bytes());
    let mut si = generic(&si_healthy);
    si.extend(wrong_types(
        &si_healthy,
        &["type", "path", "size", "encoding", "content"],
        &[],
    ));
    let si_yaml = |label: &str, from: &str, to: &str| {
        let changed = si_text.replacen(from, to, 1);
        assert_ne!(changed, si_text, "{label}");
        (
            label.to_string(),
            contents("security-insights.yml", changed.as_bytes()),
        )
    };
    si.push((
        "the file of another repository".into(),
        contents(
            "security-insights.yml",
            &read("repos/github.com/ossf/scorecard/security-insights.yml"),
        ),
    ));
    si.push(si_yaml(
        "schema 1.0.0",
        "schema-version: 2.2.0",
        "schema-version: 1.0.0",
    ));
    si.push(si_yaml(
        "schema 3.0.0",
        "schema-version: 2.2.0",
        "schema-version: 3.0.0",
    ));
    si.push(si_yaml(
        "reviewed in the future",
        "last-reviewed: '2026-10-08'",
        "last-reviewed: '2999-01-01'",
    ));
    si.push(si_yaml(
        "a key given twice",
        "  schema-version: 2.2.0\n",
        "  schema-version: 2.2.0\n  schema-version: 2.1.0\n",
    ));
    si.push(si_yaml(
        "a policy that is not a URL",
        "policy: https://github.com/ossf/scorecard/blob/main/SECURITY.md",
        "policy: 'file:///etc/passwd'",
    ));
    si.push((
        "an alias bomb".into(),
        contents("security-insights.yml", alias_bomb().as_bytes()),
    ));
    si.push((
        "a size over the limit".into(),
        with(&si_healthy, |v| v["size"] = json!(10_000_000)),
    ));
    si.push((
        "another file's answer".into(),
        contents(".github/security-insights.yml", si_text.as_bytes()),
    ));

    vec![
        Case {
            adapter: "OpenSSF Security Insights",
            purl: "pkg:npm/lodash@4.17.15",
            path: si_path,
            cache_path: None,
            healthy: si_healthy,
            also: vec![("/npm/lodash".into(), lodash.clone())],
            config: Some(si_ok),
            fields: &[
                "PackageSecurityPolicyURL",
                "PackageSecurityContact",
                "SDLCPolicyURL",
            ],
            variants: si,
        },
        Case {
            adapter: "npm registry",
            purl: "pkg:npm/lodash@4.17.15",
            path: "/npm/lodash".into(),
            cache_path: None,
            healthy: lodash.clone(),
            also: vec![],
            config: None,
            fields: &[
                "LatestStableRelease",
                "MultipleMaintainers",
                "FixedVulnerabilities",
                "KnownReleasesURL",
                "UpstreamRepositoryURL",
            ],
            variants: npm,
        },
        Case {
            adapter: "PyPI",
            purl: "pkg:pypi/urllib3@1.26.4",
            path: "/pypi/pypi/urllib3/json".into(),
            cache_path: None,
            healthy: urllib3.clone(),
            also: vec![],
            config: None,
            fields: &[
                "LatestStableRelease",
                "MultipleMaintainers",
                "FixedVulnerabilities",
                "PackageStatus",
                "SPDXLicenseLatestRelease",
            ],
            variants: pypi,
        },
        Case {
            adapter: "crates.io index",
            purl: "pkg:cargo/chrono@0.4.19",
            path: "/crates-index/ch/ro/chrono".into(),
            cache_path: None,
            healthy: chrono.clone(),
            also: vec![],
            config: None,
            fields: &[
                "LatestStableRelease",
                "FixedVulnerabilities",
                "PackageStatus",
                "KnownReleasesURL",
            ],
            variants: crates,
        },
        Case {
            adapter: "OpenSSF Scorecard",
            purl: "pkg:npm/lodash@4.17.15",
            path: scorecard_path.clone(),
            cache_path: None,
            healthy: lodash_scorecard.clone(),
            also: vec![("/npm/lodash".into(), lodash.clone())],
            config: Some(old_scorecard_ok),
            fields: &[
                "CodeReviewPractice",
                "SecurityResponsive",
                "PackageSecurityPolicyURL",
                "NoBinariesInRepository",
            ],
            variants: sc,
        },
        Case {
            adapter: "OSV",
            // Django's latest release installs asgiref and sqlparse: every
            // vulnerability field depends on OSV's answers.
            purl: "pkg:pypi/django@3.1",
            path: "/osv/v1/querybatch".into(),
            cache_path: None,
            healthy: Vec::new(),
            also: vec![],
            config: None,
            fields: &[
                "FixedVulnerabilities",
                "CleanReleaseAvailable",
                "DependenciesAreManaged",
            ],
            variants: osv,
        },
        Case {
            adapter: "deps.dev",
            purl: "pkg:npm/lodash@4.17.15",
            path: "/depsdev/v3/systems/NPM/packages/lodash/versions/4.17.21".into(),
            cache_path: None,
            healthy: Vec::new(),
            // The batch answers nothing, so the version is asked by itself.
            also: vec![
                ("/npm/lodash".into(), lodash.clone()),
                (
                    "/depsdev/v3alpha/versionbatch".into(),
                    br#"{"responses": []}"#.to_vec(),
                ),
            ],
            config: None,
            fields: &[],
            variants: dd,
        },
        Case {
            adapter: "deps.dev batch",
            purl: "pkg:npm/lodash@4.17.15",
            path: "/depsdev/v3alpha/versionbatch".into(),
            cache_path: Some("/depsdev/v3/systems/NPM/packages/lodash/versions/4.17.21".into()),
            healthy: Vec::new(),
            // The single lookup a bad batch falls back to is unusable too,
            // so nothing good can come from elsewhere.
            also: vec![
                ("/npm/lodash".into(), lodash),
                (
                    "/depsdev/v3/systems/NPM/packages/lodash/versions/4.17.21".into(),
                    b"null".to_vec(),
                ),
            ],
            config: None,
            fields: &[],
            variants: dd_batch,
        },
    ]
}

#[test]
fn no_malformed_answer_from_any_adapter_makes_a_true_or_is_cached() {
    let srv = start();
    let tmp = Temp::new();
    let mut ran = 0;
    for case in cases() {
        srv.clear_faults();
        for (path, body) in &case.also {
            srv.fault(
                &format!("{path}$"),
                Fault::Body {
                    status: 200,
                    body: body.clone(),
                },
            );
        }
        // The healthy answer (the server's own where none is given) asserts
        // the fields this adapter decides: otherwise this test proves nothing.
        let exact = format!("{}$", case.path);
        if !case.healthy.is_empty() {
            srv.fault(
                &exact,
                Fault::Body {
                    status: 200,
                    body: case.healthy.clone(),
                },
            );
        }
        let healthy_cache = format!("healthy-{}", case.adapter);
        let (healthy, _) = assess(&srv, &tmp, case.purl, &healthy_cache, case.config, &[]);
        let healthy_fields = asserted(&healthy);
        // (A healthy answer is cached: the check below can tell.)
        assert!(
            cached(
                &tmp.join(&healthy_cache),
                case.cache_path.as_ref().unwrap_or(&case.path)
            ),
            "{}: the healthy answer was not cached",
            case.adapter
        );
        for f in case.fields {
            assert!(
                healthy_fields.contains(*f),
                "{}: the healthy answer does not assert {f}: {}",
                case.adapter,
                healthy["Evidence"][*f]
            );
        }
        // With the adapter's answer unusable, what the other sources assert.
        srv.clear_fault(&exact);
        srv.fault(
            &exact,
            Fault::Body {
                status: 400,
                body: b"{}".to_vec(),
            },
        );
        let (without, _) = assess(
            &srv,
            &tmp,
            case.purl,
            &format!("without-{}", case.adapter),
            case.config,
            &[],
        );
        let others = asserted(&without);
        for (i, (label, body)) in case.variants.iter().enumerate() {
            srv.clear_fault(&exact);
            srv.fault(
                &exact,
                Fault::Body {
                    status: 200,
                    body: body.clone(),
                },
            );
            let cache = format!("{}-{i}", case.adapter);
            let (s, _) = assess(&srv, &tmp, case.purl, &cache, case.config, &[]);
            let now = asserted(&s);
            let gained: Vec<&String> = now.difference(&others).collect();
            assert!(
                gained.is_empty(),
                "{} answering {label}: {gained:?} asserted: {}",
                case.adapter,
                gained
                    .iter()
                    .map(|f| s["Evidence"][f.as_str()].to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            for f in case.fields {
                assert_ne!(s[*f], "True", "{} answering {label}: {f}", case.adapter);
            }
            // Not cached: the cache holds no answer for the path, and with
            // the fault gone the next run asks again.
            assert!(
                !cached(
                    &tmp.join(&cache),
                    case.cache_path.as_ref().unwrap_or(&case.path)
                ),
                "{} answering {label}: the answer was cached",
                case.adapter
            );
            srv.clear_fault(&exact);
            let before = srv.hits(&case.path);
            // (A store of its own: the statement decided from the bad
            // answer is not what this looks at.)
            let store = tmp.join(&format!("{cache}-again.sqlite3"));
            assess(
                &srv,
                &tmp,
                case.purl,
                &cache,
                case.config,
                &["--store", store.to_str().unwrap()],
            );
            assert!(
                srv.hits(&case.path) > before,
                "{} answering {label}: the answer was cached",
                case.adapter
            );
            ran += 1;
        }
    }
    assert!(ran > 60, "{ran} variants");
}

// ---- one regression test per class ------------------------------------------

/// A complete npm packument (maintainers, deprecation notices, publish
/// times), hand-written for an edge case.
fn packument(name: &str, versions: &[(&str, Value)]) -> Vec<u8> {
    let mut vs = serde_json::Map::new();
    let mut time = serde_json::Map::new();
    time.insert("created".into(), json!("2026-01-01T00:00:00Z"));
    time.insert("modified".into(), json!("2026-10-01T00:00:00Z"));
    for (i, (v, meta)) in versions.iter().enumerate() {
        let mut m = meta.clone();
        m["name"] = json!(name);
        m["version"] = json!(v);
        vs.insert(v.to_string(), m);
        time.insert(
            v.to_string(),
            json!(format!("2026-0{}-01T00:00:00Z", i % 9 + 1)),
        );
    }
    json!({
        "name": name,
        "dist-tags": {"latest": versions.last().unwrap().0},
        "maintainers": [{"name": "alice"}, {"name": "bob"}],
        "versions": vs,
        "time": time,
    })
    .to_string()
    .into_bytes()
}

/// A YAML file whose aliases expand to 9^9 strings ("billion laughs").
fn alias_bomb() -> String {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (i, prev) in ('b'..='i').zip('a'..='h') {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{i}: &{i} [{refs}]\n"));
    }
    bomb.push_str(
        "header:\n  schema-version: 2.0.0\n  last-reviewed: '2026-01-01'\n  comment: *i\n",
    );
    bomb
}

/// Answer `path` with `body` from now on (replacing an earlier answer).
fn serve(srv: &FixtureServer, path: &str, body: Vec<u8>) {
    let exact = format!("{path}$");
    srv.clear_fault(&exact);
    srv.fault(&exact, Fault::Body { status: 200, body });
}

#[test]
fn unknown_dependencies_are_not_no_dependencies() {
    let srv = start();
    let tmp = Temp::new();
    // luigi 3.6.0 installs tornado and python-daemon from its setup.py; its
    // index metadata has no Requires-Dist.
    serve(
        &srv,
        "/pypi/pypi/luigi/json",
        read("registry/pypi-examples/pypi_response_luigi.json"),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:pypi/luigi@3.6.0", "luigi", None, &[]);
    assert_eq!(
        s["FixedVulnerabilities"], "True",
        "{}",
        s["Evidence"]["FixedVulnerabilities"]
    );
    for f in ["DependenciesAreManaged", "CleanReleaseAvailable"] {
        assert_eq!(s[f], "NOASSERTION", "{f}: {}", s["Evidence"][f]);
        assert!(
            s["Evidence"][f].to_string().contains("depends on"),
            "{f}: {}",
            s["Evidence"][f]
        );
    }
    // npm dependencies written as a list, as releases published before npm
    // normalized package.json wrote them (a string is no form npm ever
    // published: tests/hostile_answers.rs).
    for (i, deps) in [json!([]), json!(["lodash"])].into_iter().enumerate() {
        let name = format!("tacos-odd-deps-{i}");
        serve(
            &srv,
            &format!("/npm/{name}"),
            packument(&name, &[("1.0.0", json!({"dependencies": deps}))]),
        );
        let (s, _) = assess(
            &srv,
            &tmp,
            &format!("pkg:npm/{name}@1.0.0"),
            "npm",
            None,
            &[],
        );
        assert_eq!(
            s["FixedVulnerabilities"], "True",
            "{}",
            s["Evidence"]["FixedVulnerabilities"]
        );
        for f in ["DependenciesAreManaged", "CleanReleaseAvailable"] {
            assert_eq!(s[f], "NOASSERTION", "{deps} {f}: {}", s["Evidence"][f]);
        }
    }
    // A dependency that is not from the registry sends resolution to
    // deps.dev, whose empty graph is a malformed answer, not "no packages".
    serve(
        &srv,
        "/npm/tacos-git-dep",
        packument(
            "tacos-git-dep",
            &[("1.0.0", json!({"dependencies": {"x": "github:a/b"}}))],
        ),
    );
    serve(
        &srv,
        "/depsdev/v3/systems/NPM/packages/tacos-git-dep/versions/1.0.0:dependencies",
        br#"{"nodes":[]}"#.to_vec(),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-git-dep@1.0.0", "git", None, &[]);
    assert_eq!(
        s["DependenciesAreManaged"], "NOASSERTION",
        "{}",
        s["Evidence"]["DependenciesAreManaged"]
    );
    let why = s["Evidence"]["DependenciesAreManaged"].to_string();
    assert!(
        why.contains("not from the registry") && why.contains("deps.dev"),
        "{why}"
    );
}

#[test]
fn dependencies_are_resolved_as_the_ecosystem_installs_them() {
    let srv = start();
    let tmp = Temp::new();
    serve(
        &srv,
        "/npm/lodash",
        read("registry/npm-complete-examples/lodash.json"),
    );
    // A range resolves to lodash 4.17.19, which is vulnerable, though
    // lodash's own latest release is not.
    serve(
        &srv,
        "/npm/tacos-range",
        packument(
            "tacos-range",
            &[("1.0.0", json!({"dependencies": {"lodash": "<4.17.20"}}))],
        ),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-range@1.0.0", "range", None, &[]);
    assert_eq!(
        s["DependenciesAreManaged"], "False",
        "{}",
        s["Evidence"]["DependenciesAreManaged"]
    );
    let why = s["Evidence"]["DependenciesAreManaged"]["Reason"]
        .as_str()
        .unwrap();
    assert!(
        why.contains("lodash@4.17.19") && why.contains("GHSA-"),
        "{why}"
    );
    assert_eq!(
        s["CleanReleaseAvailable"], "NOASSERTION",
        "{}",
        s["Evidence"]["CleanReleaseAvailable"]
    );

    // A dependency the registry removed (malware): installing fails.
    serve(
        &srv,
        "/npm/tacos-removed",
        packument(
            "tacos-removed",
            &[(
                "1.0.0",
                json!({"dependencies": {"flatmap-stream": "^0.1.0"}}),
            )],
        ),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-removed@1.0.0",
        "removed",
        None,
        &[],
    );
    assert_eq!(
        s["DependenciesAreManaged"], "False",
        "{}",
        s["Evidence"]["DependenciesAreManaged"]
    );
    assert!(
        s["Evidence"]["DependenciesAreManaged"]["Reason"]
            .as_str()
            .unwrap()
            .contains("flatmap-stream")
    );

    // More packages than the cap: not silently dropped.
    serve(
        &srv,
        "/npm/tacos-wide",
        packument(
            "tacos-wide",
            &[(
                "1.0.0",
                json!({"dependencies": {"lodash": "^4.17.21", "ms": "*"}}),
            )],
        ),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-wide@1.0.0",
        "wide",
        Some("[assessment]\nmax_dependencies = 1\n"),
        &[],
    );
    assert_eq!(s["DependenciesAreManaged"], "NOASSERTION");
    assert!(
        s["Evidence"]["DependenciesAreManaged"]
            .to_string()
            .contains("max_dependencies"),
        "{}",
        s["Evidence"]["DependenciesAreManaged"]
    );

    // A PyPI requirement behind an extra is not installed by default.
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:pypi/requests@2.25.1",
        "requests",
        None,
        &[],
    );
    let graph = s["Evidence"]["DependenciesAreManaged"]["Observed"]["graph"].to_string();
    assert!(
        graph.contains("urllib3@") && graph.contains("idna@"),
        "{graph}"
    );
    assert!(
        !graph.to_lowercase().contains("pysocks"),
        "extras are not installed: {graph}"
    );

    // A Cargo optional dependency only when a default feature enables it:
    // chrono's serde is optional and off by default.
    let (s, _) = assess(&srv, &tmp, "pkg:cargo/chrono@0.4.19", "chrono", None, &[]);
    let graph = s["Evidence"]["DependenciesAreManaged"]["Observed"]["graph"].to_string();
    assert!(!graph.contains("\"serde@"), "{graph}");
}

#[test]
fn the_repository_is_validated_and_scorecard_answers_only_for_it() {
    let srv = start();
    let tmp = Temp::new();
    let old_ok = "[assessment]\nmax_scorecard_age_days = 100000\n";
    // No repository field; the homepage is another project's GitHub.
    serve(
        &srv,
        "/npm/tacos-homepage",
        with(&packument("tacos-homepage", &[("1.0.0", json!({}))]), |v| {
            v["homepage"] = json!("https://github.com/ossf/scorecard")
        }),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-homepage@1.0.0",
        "homepage",
        Some(old_ok),
        &[],
    );
    assert_eq!(s["UpstreamRepositoryURL"], "NOASSERTION");
    for f in [
        "CodeReviewPractice",
        "NoBinariesInRepository",
        "FuzzingPractice",
        "SecurityResponsive",
        "PackageSecurityPolicyURL",
    ] {
        assert_eq!(s[f], "NOASSERTION", "{f}: {}", s["Evidence"][f]);
    }
    assert_eq!(
        srv.hits("/scorecard/projects/github.com/ossf/scorecard"),
        0,
        "Scorecard is not asked about a guessed repository"
    );

    // Scorecard answering about another repository than the one asked.
    serve(
        &srv,
        "/npm/lodash",
        read("registry/npm-complete-examples/lodash.json"),
    );
    serve(
        &srv,
        "/scorecard/projects/github.com/lodash/lodash",
        read("api/scorecard/github.com_ossf_scorecard.2025-11-15.json"),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/lodash@4.17.15",
        "other-repo",
        Some(old_ok),
        &[],
    );
    assert_eq!(
        s["UpstreamRepositoryURL"],
        "https://github.com/lodash/lodash"
    );
    assert_eq!(s["CodeReviewPractice"], "NOASSERTION");
    assert_eq!(
        s["Evidence"]["CodeReviewPractice"]["ReasonCode"], "malformed-answer",
        "{}",
        s["Evidence"]["CodeReviewPractice"]
    );

    // A stale result (the recording is from 2025) can show a failing check
    // but not a passing one.
    let lodash_sc = with(
        &read("api/scorecard/github.com_ossf_scorecard.2025-11-15.json"),
        |v| v["repo"]["name"] = json!("github.com/lodash/lodash"),
    );
    serve(
        &srv,
        "/scorecard/projects/github.com/lodash/lodash",
        lodash_sc,
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/lodash@4.17.15", "stale-sc", None, &[]);
    let e = &s["Evidence"]["CodeReviewPractice"];
    assert_eq!(s["CodeReviewPractice"], "NOASSERTION", "{e}");
    assert!(
        e["Reason"]
            .as_str()
            .unwrap()
            .contains("max_scorecard_age_days"),
        "{e}"
    );
    assert_eq!(e["AsOfUTC"], "2025-11-15T02:10:48Z", "{e}");
}

/// The maintainers' Security Insights file is read from the validated
/// repository only (root, then `.github/`), decides only the fields it
/// speaks to, and nothing once its last review is older than the limit.
#[test]
fn security_insights_decide_only_from_the_validated_repository_and_while_current() {
    let srv = start();
    let tmp = Temp::new();
    let repo_of = |name: &str, repo: &str| {
        packument(
            name,
            &[(
                "1.0.0",
                json!({"repository": {"type": "git", "url": format!("git+https://github.com/{repo}.git")}}),
            )],
        )
    };
    serve(&srv, "/npm/tacos-sc", repo_of("tacos-sc", "ossf/scorecard"));
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-sc@1.0.0", "si-sc", None, &[]);
    assert_eq!(
        s["SDLCPolicyURL"], "https://github.com/ossf/scorecard/blob/main/CONTRIBUTING.md",
        "{}",
        s["Evidence"]["SDLCPolicyURL"]
    );
    let e = &s["Evidence"]["SDLCPolicyURL"];
    assert_eq!(e["Source"], "OpenSSF Security Insights", "{e}");
    assert_eq!(e["Observed"]["lastReviewed"], "2026-10-08", "{e}");
    assert_eq!(
        e["Observed"]["fileURL"],
        "https://github.test/ossf/scorecard/blob/main/security-insights.yml",
        "{e}"
    );
    // Scorecard's recording is stale, so the policy and contact are the file's.
    assert_eq!(
        s["PackageSecurityPolicyURL"],
        "https://github.com/ossf/scorecard/blob/main/SECURITY.md"
    );
    assert_eq!(
        s["Evidence"]["PackageSecurityPolicyURL"]["Source"],
        "OpenSSF Security Insights"
    );
    assert_eq!(s["PackageSecurityContact"], "mailto:security@openssf.org");
    // The attested-only fields it does not speak to stay unset.
    for f in [
        "PackageManagerMFAEnabled",
        "DocumentedBuildPractices",
        "SuccessionPlan",
    ] {
        assert_eq!(s[f], "NOASSERTION", "{f}");
    }
    // Past the review limit: nothing, and the reason names the setting.
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-sc@1.0.0",
        "si-sc-stale",
        Some("[assessment]\nmax_insights_age_days = 30\n"),
        &[],
    );
    assert_eq!(s["SDLCPolicyURL"], "NOASSERTION");
    let e = &s["Evidence"]["SDLCPolicyURL"];
    assert_eq!(e["ReasonCode"], "incomplete-evidence", "{e}");
    assert!(
        e["Reason"]
            .as_str()
            .unwrap()
            .contains("max_insights_age_days"),
        "{e}"
    );
    assert_eq!(s["PackageSecurityContact"], "NOASSERTION");

    // Found in .github/ after the root's 404; the 2025 review is stale
    // under the default year.
    serve(
        &srv,
        "/npm/tacos-spec",
        repo_of("tacos-spec", "ossf/security-insights-spec"),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-spec@1.0.0", "si-spec", None, &[]);
    assert_eq!(s["SDLCPolicyURL"], "NOASSERTION");
    assert_eq!(
        srv.hits("/github/repos/ossf/security-insights-spec/contents/security-insights.yml"),
        1
    );
    assert_eq!(
        srv.hits(
            "/github/repos/ossf/security-insights-spec/contents/.github/security-insights.yml"
        ),
        1
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-spec@1.0.0",
        "si-spec-old-ok",
        Some("[assessment]\nmax_insights_age_days = 100000\n"),
        &[],
    );
    assert_eq!(
        s["SDLCPolicyURL"],
        "https://github.com/ossf/security-insights-spec/blob/main/.github/CONTRIBUTING.md"
    );

    // A repository that is only a homepage is not validated: no file is
    // looked for in it.
    let before = srv.hits("/github/repos/ossf/scorecard/contents/security-insights.yml");
    serve(
        &srv,
        "/npm/tacos-homepage-si",
        with(
            &packument("tacos-homepage-si", &[("1.0.0", json!({}))]),
            |v| v["homepage"] = json!("https://github.com/ossf/scorecard"),
        ),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-homepage-si@1.0.0",
        "si-home",
        None,
        &[],
    );
    assert_eq!(s["SDLCPolicyURL"], "NOASSERTION");
    assert_eq!(
        srv.hits("/github/repos/ossf/scorecard/contents/security-insights.yml"),
        before
    );
}

/// Every value taken from a Security Insights file, recomputed by an
/// independent checker (tests/conformance/check-insights-values.py:
/// Python, PyYAML's safe loader) from the file the evidence names; and the
/// checker fails a value changed by one character.
#[test]
fn values_taken_from_security_insights_match_their_files_by_an_independent_check() {
    let srv = start();
    let tmp = Temp::new();
    let ok = "[assessment]\nmax_insights_age_days = 100000\n";
    let mut purls = Vec::new();
    for (name, repo) in [
        ("tacos-si-sc", "ossf/scorecard"),
        ("tacos-si-spec", "ossf/security-insights-spec"),
        ("tacos-si-otel", "open-telemetry/opentelemetry-go"),
    ] {
        serve(
            &srv,
            &format!("/npm/{name}"),
            packument(
                name,
                &[("1.0.0", json!({"repository": format!("github:{repo}")}))],
            ),
        );
        purls.push(format!("pkg:npm/{name}@1.0.0"));
    }
    std::fs::write(tmp.join("ok.toml"), ok).unwrap();
    let env: Vec<(String, String)> = srv.env();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tmp.join("cache");
    let mut args = vec![
        "assess",
        "--cache-dir",
        cache.to_str().unwrap(),
        "-c",
        "ok.toml",
    ];
    args.extend(purls.iter().map(String::as_str));
    let o = tacos_env(tmp.path(), &args, &env_ref);
    assert_ok(&o);
    let statements = tmp.join("statements.json");
    std::fs::write(&statements, stdout(&o)).unwrap();
    let repos = fixture("repos");
    let (code, said) = judge(
        "check-insights-values.py",
        &[statements.to_str().unwrap(), repos.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{said}");
    // ossf/scorecard: policy, contact, SDLCPolicyURL; the spec's own file:
    // SDLCPolicyURL; opentelemetry-go keeps its project section elsewhere
    // and names no development document.
    assert!(said.contains("4 values moved, all match"), "{said}");
    let changed = stdout(&o).replacen("CONTRIBUTING.md", "CONTRIBUTING.mdx", 1);
    std::fs::write(&statements, changed).unwrap();
    let (code, said) = judge(
        "check-insights-values.py",
        &[statements.to_str().unwrap(), repos.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("MISMATCH"), "{said}");
}

/// GitHub's rate limit (403) is no answer this time: nothing decided,
/// nothing cached, and the reason says so. With a token in the
/// environment every request carries it, and it is in nothing written.
#[test]
fn github_rate_limits_are_unavailable_and_a_token_is_used_but_never_kept() {
    let srv = start();
    let tmp = Temp::new();
    let ok = "[assessment]\nmax_insights_age_days = 100000\n";
    serve(
        &srv,
        "/npm/tacos-rl",
        packument(
            "tacos-rl",
            &[("1.0.0", json!({"repository": "github:ossf/scorecard"}))],
        ),
    );
    let root = "/github/repos/ossf/scorecard/contents/security-insights.yml";
    srv.fault(
        &format!("{root}$"),
        Fault::Body {
            status: 403,
            body: br#"{"message":"API rate limit exceeded for 127.0.0.1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}"#.to_vec(),
        },
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-rl@1.0.0", "rl", Some(ok), &[]);
    let e = &s["Evidence"]["SDLCPolicyURL"];
    assert_eq!(s["SDLCPolicyURL"], "NOASSERTION", "{e}");
    assert!(e["Reason"].as_str().unwrap().contains("HTTP 403"), "{e}");
    assert!(!cached(&tmp.join("rl"), root));
    srv.clear_fault(&format!("{root}$"));

    let mut env: Vec<(String, String)> = srv.env();
    env.push(("GITHUB_TOKEN".into(), "github-test-token".into()));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tmp.join("with-token");
    std::fs::write(tmp.join("ok.toml"), ok).unwrap();
    let o = tacos_env(
        tmp.path(),
        &[
            "assess",
            "pkg:npm/tacos-rl@1.0.0",
            "--cache-dir",
            cache.to_str().unwrap(),
            "-c",
            "ok.toml",
        ],
        &env_ref,
    );
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v[0]["SDLCPolicyURL"],
        "https://github.com/ossf/scorecard/blob/main/CONTRIBUTING.md"
    );
    assert!(srv.github_authorized() >= 1);
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!said.contains("github-test-token"));
    for f in walk(&cache) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(17).any(|w| w == b"github-test-token"),
            "{} holds the token",
            f.display()
        );
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn published_reports_expire_for_what_changes_with_time() {
    let srv = start();
    let tmp = Temp::new();
    std::fs::create_dir(tmp.join("old")).unwrap();
    std::fs::create_dir(tmp.join("new")).unwrap();
    let body = |date: &str| {
        format!(
            r#"{{"author": "Vendor", "LastModifiedDateTimeUTC": "{date}", "statements": [{{"PURL": "pkg:npm/lodash",
            "FixedVulnerabilities": "True", "CleanReleaseAvailable": "True", "DependenciesAreManaged": "True",
            "SecurityResponsive": "True", "MultipleMaintainers": "True",
            "PackageStatus": {{"Status": "Active", "LastModifiedDateTimeUTC": "{date}"}}, "SuccessionPlan": "True"}}]}}"#
        )
    };
    std::fs::write(tmp.join("old/r.json"), body("2019-06-01T00:00:00Z")).unwrap();
    std::fs::write(tmp.join("new/r.json"), body("2026-10-01T00:00:00Z")).unwrap();
    let reports = |d: &str| tmp.join(d).to_string_lossy().into_owned();
    let (old, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/lodash@4.17.15",
        "old",
        None,
        &["--reports", &reports("old")],
    );
    // (CleanReleaseAvailable is True on the assessment's own evidence here,
    // so the report cannot change it.)
    assert_eq!(old["CleanReleaseAvailable"], "True");
    for f in [
        "FixedVulnerabilities",
        "DependenciesAreManaged",
        "SecurityResponsive",
        "MultipleMaintainers",
    ] {
        assert_ne!(old[f], "True", "{f}: {}", old["Evidence"][f]);
        assert!(
            old["Evidence"][f]["Reason"]
                .as_str()
                .unwrap()
                .contains("2019-06-01"),
            "{f}: {}",
            old["Evidence"][f]
        );
    }
    assert_eq!(old["PackageStatus"], "NOASSERTION");
    // What does not change with a release is taken, with the report's date.
    assert_eq!(old["SuccessionPlan"], "True");
    assert_eq!(
        old["Evidence"]["SuccessionPlan"]["AsOfUTC"],
        "2019-06-01T00:00:00Z"
    );
    let (new, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/lodash@4.17.15",
        "new",
        None,
        &["--reports", &reports("new")],
    );
    for f in [
        "FixedVulnerabilities",
        "DependenciesAreManaged",
        "SecurityResponsive",
        "MultipleMaintainers",
    ] {
        assert_eq!(new[f], "True", "{f}: {}", new["Evidence"][f]);
        assert_eq!(new["Evidence"][f]["ReasonCode"], "from-report");
    }
    assert_eq!(new["PackageStatus"]["Status"], "Active");
}

#[test]
fn signed_reports_are_verified_when_a_key_is_configured() {
    let srv = start();
    let tmp = Temp::new();
    // A report signed by this tool: enrich an SBOM and take its report.
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let mut env: Vec<(String, String)> = srv.env();
    env.push((
        "TACOS_OSV_WEB_URL".into(),
        "https://osv.example.invalid".into(),
    ));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = tacos_env(
        tmp.path(),
        &["enrich", "in.json", "-o", "out.json", "--no-cache"],
        &env_ref,
    );
    assert_ok(&o);
    let report = std::fs::read_dir(tmp.join("tacos-attestations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tacos-report.dsse.json"))
        .unwrap();
    std::fs::create_dir(tmp.join("signed")).unwrap();
    std::fs::copy(&report, tmp.join("signed/report.json")).unwrap();
    let signed = tmp.join("signed").to_string_lossy().into_owned();
    let key = tmp.join("tacos-attestations/tacos-sbom.pub");
    // Without a key: read, and the evidence says the signature was not checked.
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        "unchecked",
        None,
        &["--reports", &signed],
    );
    assert!(
        s["Evidence"].to_string().contains("not checked")
            || s["Evidence"].to_string().contains("agrees"),
        "{}",
        s["Evidence"]
    );
    // With the right key: verified.
    let cfg = format!("[reports]\nkey = {:?}\n", key.to_string_lossy());
    let (_, err) = assess(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        "verified",
        Some(&cfg),
        &["--reports", &signed],
    );
    assert!(!err.contains("does not verify"), "{err}");
    // With another key: refused, and said so.
    let other = tmp.join("other");
    assert_ok(&tacos(
        tmp.path(),
        &["keygen", "--out", other.to_str().unwrap()],
    ));
    let cfg = format!(
        "[reports]\nkey = {:?}\n",
        tmp.join("other.pub").to_string_lossy()
    );
    let (_, err) = assess(
        &srv,
        &tmp,
        "pkg:pypi/urllib3@1.26.4",
        "wrong-key",
        Some(&cfg),
        &["--reports", &signed],
    );
    assert!(
        err.contains("does not verify with the configured key"),
        "{err}"
    );
}

#[test]
fn people_are_counted_not_names() {
    let srv = start();
    let tmp = Temp::new();
    // One person with two accounts at one address.
    serve(
        &srv,
        "/npm/tacos-one-address",
        with(
            &packument("tacos-one-address", &[("1.0.0", json!({}))]),
            |v| {
                v["maintainers"] = json!([
                    {"name": "alice", "email": "alice@example.com"},
                    {"name": "alice-bot", "email": "Alice@example.com"}
                ])
            },
        ),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-one-address@1.0.0",
        "address",
        None,
        &[],
    );
    assert_eq!(
        s["MultipleMaintainers"], "False",
        "{}",
        s["Evidence"]["MultipleMaintainers"]
    );
    // One account listed twice is not the registry's list: nothing is
    // counted from it.
    serve(
        &srv,
        "/npm/tacos-twice",
        with(&packument("tacos-twice", &[("1.0.0", json!({}))]), |v| {
            v["maintainers"] = json!([{"name": "alice"}, {"name": "Alice"}])
        }),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-twice@1.0.0", "twice", None, &[]);
    let e = &s["Evidence"]["MultipleMaintainers"];
    assert_eq!(s["MultipleMaintainers"], "NOASSERTION", "{e}");
    assert_eq!(e["ReasonCode"], "malformed-answer", "{e}");
    assert!(
        e["Reason"].as_str().unwrap().contains("listed twice"),
        "{e}"
    );
    // A PyPI project owned by an organisation, one role listed: its
    // members can publish too, so the count is unknown.
    let (s, _) = assess(&srv, &tmp, "pkg:pypi/certifi@2020.12.5", "org", None, &[]);
    assert_eq!(
        s["MultipleMaintainers"], "NOASSERTION",
        "{}",
        s["Evidence"]["MultipleMaintainers"]
    );
    assert!(
        s["Evidence"]["MultipleMaintainers"]["Reason"]
            .as_str()
            .unwrap()
            .contains("certifi")
    );
}

#[test]
fn wrong_shapes_are_read_as_what_they_are() {
    let srv = start();
    let tmp = Temp::new();
    // `"deprecated": true`: npm writes a deprecation as its message. Read as
    // deprecated it would make an older release the latest; the answer is
    // malformed instead.
    serve(
        &srv,
        "/npm/tacos-dep-bool",
        packument("tacos-dep-bool", &[("1.0.0", json!({"deprecated": true}))]),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-dep-bool@1.0.0", "dep", None, &[]);
    assert_eq!(
        s["PackageStatus"], "NOASSERTION",
        "{}",
        s["Evidence"]["PackageStatus"]
    );
    assert_eq!(
        s["Evidence"]["PackageStatus"]["ReasonCode"], "malformed-answer",
        "{}",
        s["Evidence"]["PackageStatus"]
    );
    // A message is a deprecation.
    serve(
        &srv,
        "/npm/tacos-dep-msg",
        packument(
            "tacos-dep-msg",
            &[("1.0.0", json!({"deprecated": "use something else"}))],
        ),
    );
    let (s, _) = assess(&srv, &tmp, "pkg:npm/tacos-dep-msg@1.0.0", "msg", None, &[]);
    assert_eq!(
        s["PackageStatus"]["Status"], "Deprecated",
        "{}",
        s["Evidence"]["PackageStatus"]
    );
    // A packument without `versions` is malformed, not a removed package.
    serve(
        &srv,
        "/npm/tacos-no-versions",
        br#"{"name": "tacos-no-versions", "dist-tags": {}}"#.to_vec(),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-no-versions@1.0.0",
        "nov",
        None,
        &[],
    );
    assert_eq!(s["PackageStatus"], "NOASSERTION");
    assert_eq!(
        s["Evidence"]["PackageStatus"]["ReasonCode"],
        "malformed-answer"
    );
    // An unreadable time on the newest release: the answer is malformed,
    // so an older release is not taken for the newest.
    serve(
        &srv,
        "/npm/tacos-bad-time",
        with(
            &packument(
                "tacos-bad-time",
                &[("1.0.0", json!({})), ("2.0.0", json!({}))],
            ),
            |v| {
                v["time"]["1.0.0"] = json!("2019-01-01T00:00:00Z");
                v["time"]["2.0.0"] = json!("last tuesday");
            },
        ),
    );
    let (s, _) = assess(
        &srv,
        &tmp,
        "pkg:npm/tacos-bad-time@1.0.0",
        "time",
        None,
        &[],
    );
    assert_eq!(
        s["PackageStatus"], "NOASSERTION",
        "{}",
        s["Evidence"]["PackageStatus"]
    );
    assert!(
        s["Evidence"]["PackageStatus"]["Reason"]
            .as_str()
            .unwrap()
            .contains("2.0.0")
    );
}
