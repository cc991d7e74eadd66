//! Oddly shaped answers with status 200, each a small change to a real
//! recording (or to a complete hand-written answer where the recordings
//! hold no such case), served from loopback in place of it. For each: no
//! field the answer decides may be True or hold a value, the evidence
//! names the malformed answer, and the answer is not cached, so a second
//! run offline from the same cache has nothing of it to reuse. Healthy
//! controls show that each check can fail.

mod common;
#[path = "support/server.rs"]
mod server;

use common::*;
use serde_json::{Value, json};
use server::{Fault, FixtureServer};

const OLD_SCORECARD_OK: &str = "[assessment]\nmax_scorecard_age_days = 100000\n";

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// The recording's JSON with one change.
fn with(base: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(base).unwrap();
    change(&mut v);
    v.to_string().into_bytes()
}

/// A complete npm packument (maintainers, deprecation notices, publish
/// times): what the registry itself answers, hand-written.
fn packument(name: &str, versions: &[(&str, Value)]) -> Vec<u8> {
    let mut vs = serde_json::Map::new();
    let mut time = serde_json::Map::new();
    time.insert("created".into(), json!("2026-01-01T00:00:00.000Z"));
    time.insert("modified".into(), json!("2026-10-01T00:00:00.000Z"));
    for (i, (v, meta)) in versions.iter().enumerate() {
        let mut m = meta.clone();
        m["name"] = json!(name);
        m["version"] = json!(v);
        vs.insert(v.to_string(), m);
        time.insert(
            v.to_string(),
            json!(format!("2026-0{}-01T00:00:00.000Z", i % 9 + 1)),
        );
    }
    json!({
        "name": name,
        "dist-tags": {"latest": versions.last().unwrap().0},
        "maintainers": [
            {"name": "alice", "email": "alice@example.com"},
            {"name": "bob", "email": "bob@example.com"}
        ],
        "versions": vs,
        "time": time,
    })
    .to_string()
    .into_bytes()
}

/// Whether the cache in `dir` holds an answer for a URL ending in `path`.
fn cached(dir: &std::path::Path, path: &str) -> bool {
    let Ok(db) = rusqlite::Connection::open(dir.join("responses.sqlite3")) else {
        return false;
    };
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

/// `assess PURL` against the server with the cache in `cache`; the statement.
fn assess(
    srv: &FixtureServer,
    tmp: &Temp,
    purl: &str,
    cache: &str,
    config: Option<&str>,
    offline: bool,
) -> Value {
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
    if offline {
        args.push("--offline");
    }
    let o = tacos_env(tmp.path(), &args, &env_ref);
    assert_ok(&o);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    v[0].clone()
}

/// Whether a field holds True, a value, or a decided status (Active and
/// the adverse ones alike): anything but NOASSERTION and False.
fn decided(v: &Value) -> bool {
    match v {
        Value::String(x) => x != "NOASSERTION" && x != "False",
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
        _ => false,
    }
}

/// One odd answer and what it must not decide.
struct Hostile {
    label: &'static str,
    purl: String,
    /// The odd answer: (path, body).
    answer: (String, Vec<u8>),
    /// Healthy answers served beside it.
    also: Vec<(String, Vec<u8>)>,
    config: Option<&'static str>,
    /// Fields that must not be decided from it.
    fields: &'static [&'static str],
    /// The service that answered, named in `reason_in`'s reason as having
    /// sent a malformed answer (`None` where the field's reason comes from
    /// elsewhere: an adverse finding, or a source that stays unknown).
    reason: Option<(&'static str, &'static str)>,
}

fn serve(srv: &FixtureServer, path: &str, body: &[u8]) {
    let exact = format!("{path}$");
    srv.clear_fault(&exact);
    srv.fault(
        &exact,
        Fault::Body {
            status: 200,
            body: body.to_vec(),
        },
    );
}

/// Serve `h`, assess online and then offline from the same cache; return
/// the problems found (empty when it holds).
fn check(srv: &FixtureServer, tmp: &Temp, i: usize, h: &Hostile) -> Vec<String> {
    srv.clear_faults();
    for (path, body) in h.also.iter().chain([&h.answer]) {
        serve(srv, path, body);
    }
    let cache = format!("hostile-{i}");
    let s = assess(srv, tmp, &h.purl, &cache, h.config, false);
    let mut problems = Vec::new();
    for f in h.fields {
        if decided(&s[*f]) {
            problems.push(format!(
                "{}: {f} = {} ({})",
                h.label, s[*f], s["Evidence"][*f]["Reason"]
            ));
        }
    }
    if let Some((field, source)) = h.reason {
        let e = &s["Evidence"][field];
        let reason = e["Reason"].as_str().unwrap_or_default();
        if !reason.contains(&format!("malformed answer from {source}"))
            || e["ReasonCode"] != "malformed-answer"
        {
            problems.push(format!(
                "{}: {field}'s evidence does not name the malformed answer: {e}",
                h.label
            ));
        }
    }
    if cached(&tmp.join(&cache), &h.answer.0) {
        problems.push(format!("{}: the answer was cached", h.label));
    }
    // Offline, from the same cache: nothing asked, nothing of it reused.
    let before = srv.hits(&h.answer.0);
    let again = assess(srv, tmp, &h.purl, &cache, h.config, true);
    assert_eq!(srv.hits(&h.answer.0), before, "{}: offline asked", h.label);
    for f in h.fields {
        if decided(&again[*f]) {
            problems.push(format!(
                "{}: offline from the cache, {f} = {}",
                h.label, again[*f]
            ));
        }
    }
    problems
}

/// The healthy answer `h.answer` decides every field in `h.fields`, is
/// cached, and decides them again offline from the cache: so the checks in
/// `check` can fail.
fn control(srv: &FixtureServer, tmp: &Temp, name: &str, h: &Hostile) {
    srv.clear_faults();
    for (path, body) in h.also.iter().chain([&h.answer]) {
        serve(srv, path, body);
    }
    let cache = format!("control-{name}");
    let s = assess(srv, tmp, &h.purl, &cache, h.config, false);
    for f in h.fields {
        assert!(
            decided(&s[*f]),
            "{name}: the healthy answer does not decide {f}: {}",
            s["Evidence"][*f]
        );
    }
    assert!(
        cached(&tmp.join(&cache), &h.answer.0),
        "{name}: the healthy answer was not cached"
    );
    let again = assess(srv, tmp, &h.purl, &cache, h.config, true);
    for f in h.fields {
        assert_eq!(again[*f], s[*f], "{name}: offline from the cache, {f}");
    }
}

fn run(srv: &FixtureServer, tmp: &Temp, healthy: &Hostile, odd: &[Hostile]) {
    control(srv, tmp, healthy.label, healthy);
    let problems: Vec<String> = odd
        .iter()
        .enumerate()
        .flat_map(|(i, h)| check(srv, tmp, i, h))
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

// ---- npm -------------------------------------------------------------------

const NPM_FIELDS: &[&str] = &[
    "LatestStableRelease",
    "MultipleMaintainers",
    "PackageStatus",
    "DependenciesAreManaged",
];

fn npm_case(label: &'static str, name: &str, body: Vec<u8>) -> Hostile {
    Hostile {
        label,
        purl: format!("pkg:npm/{name}@1.0.0"),
        answer: (format!("/npm/{name}"), body),
        also: vec![],
        config: None,
        fields: NPM_FIELDS,
        reason: Some(("LatestStableRelease", "npm registry")),
    }
}

#[test]
fn odd_npm_packuments_decide_nothing_and_are_not_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let two = |name: &str| {
        packument(
            name,
            &[
                ("1.0.0", json!({"dependencies": {}})),
                ("2.0.0", json!({"dependencies": {}})),
            ],
        )
    };
    let healthy = npm_case("healthy packument", "tacos-ok", two("tacos-ok"));
    let maintainers = |name: &str, list: Value| with(&two(name), |v| v["maintainers"] = list);
    let odd = vec![
        npm_case(
            "the same maintainer listed twice",
            "tacos-m2",
            maintainers(
                "tacos-m2",
                json!([{"name": "alice", "email": "alice@example.com"}, {"name": "Alice", "email": "alice@example.com"}]),
            ),
        ),
        npm_case(
            "one maintainer under a second name with an invisible character",
            "tacos-m3",
            maintainers(
                "tacos-m3",
                json!([{"name": "alice"}, {"name": "alice\u{200b}"}]),
            ),
        ),
        npm_case(
            "a maintainer without a name",
            "tacos-m4",
            maintainers(
                "tacos-m4",
                json!([{"name": "alice"}, {"name": ""}, {"name": "bob"}]),
            ),
        ),
        npm_case(
            "a publish time that is not RFC 3339",
            "tacos-t1",
            with(&two("tacos-t1"), |v| {
                v["time"]["2.0.0"] = json!("2026-02-01 00:00")
            }),
        ),
        npm_case(
            "`time.created` that is a number",
            "tacos-t2",
            with(&two("tacos-t2"), |v| {
                v["time"]["created"] = json!(1767225600)
            }),
        ),
        npm_case(
            "`deprecated: true` (npm writes a message)",
            "tacos-d1",
            with(&two("tacos-d1"), |v| {
                v["versions"]["2.0.0"]["deprecated"] = json!(true)
            }),
        ),
        npm_case(
            "`dependencies` that is a string",
            "tacos-x1",
            with(&two("tacos-x1"), |v| {
                v["versions"]["2.0.0"]["dependencies"] = json!("lodash")
            }),
        ),
        npm_case(
            "a dependency range that is a number",
            "tacos-x2",
            with(&two("tacos-x2"), |v| {
                v["versions"]["2.0.0"]["dependencies"] = json!({"lodash": 4})
            }),
        ),
        npm_case("`maintainers` twice in one object", "tacos-k1", {
            // One key, two values: a reader that takes the last sees two
            // people where the first says one.
            let body = String::from_utf8(two("tacos-k1")).unwrap();
            format!(
                "{{\"maintainers\": [{{\"name\": \"alice\"}}], {}",
                &body[1..]
            )
            .into_bytes()
        }),
    ];
    run(&srv, &tmp, &healthy, &odd);
}

// ---- PyPI --------------------------------------------------------------------

const PYPI_FIELDS: &[&str] = &[
    "LatestStableRelease",
    "MultipleMaintainers",
    "PackageStatus",
    "SPDXLicenseLatestRelease",
];

fn pypi_case(label: &'static str, body: Vec<u8>) -> Hostile {
    Hostile {
        label,
        purl: "pkg:pypi/urllib3@1.26.4".into(),
        answer: ("/pypi/pypi/urllib3/json".into(), body),
        also: vec![],
        config: None,
        fields: PYPI_FIELDS,
        reason: Some(("LatestStableRelease", "PyPI")),
    }
}

#[test]
fn odd_pypi_answers_decide_nothing_and_are_not_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let urllib3 = read("registry/pypi/urllib3.json");
    let healthy = pypi_case("healthy urllib3", urllib3.clone());
    let roles = |list: Value| with(&urllib3, |v| v["ownership"]["roles"] = list);
    let mut odd = vec![
        pypi_case(
            "one owner listed twice",
            roles(json!([
                {"role": "Owner", "user": "shazow"},
                {"role": "Maintainer", "user": "Shazow"}
            ])),
        ),
        pypi_case(
            "one owner under a second name with an invisible character",
            roles(json!([
                {"role": "Owner", "user": "shazow"},
                {"role": "Owner", "user": "shazow\u{200b}"}
            ])),
        ),
        pypi_case(
            "an upload time that is not RFC 3339",
            with(&urllib3, |v| {
                v["releases"]["2.8.0"][0]["upload_time_iso_8601"] = json!("2026-09-15 19:29:36")
            }),
        ),
        pypi_case(
            "a classifier that is not a string",
            with(&urllib3, |v| {
                v["info"]["classifiers"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(7))
            }),
        ),
        pypi_case("`ownership` twice in one object", {
            let body = String::from_utf8(urllib3.clone()).unwrap();
            format!(
                "{{\"ownership\": {{\"organization\": null, \"roles\": [{{\"role\": \"Owner\", \"user\": \"shazow\"}}]}}, {}",
                &body[1..]
            )
            .into_bytes()
        }),
    ];
    // PyPI writes `requires_dist: null` when a release declares nothing,
    // never an empty list: `[]` in place of requests' real list would read
    // as "no dependencies".
    odd.push(Hostile {
        label: "`requires_dist: []` in place of a list",
        purl: "pkg:pypi/requests@2.25.1".into(),
        answer: (
            "/pypi/pypi/requests/json".into(),
            with(&read("registry/pypi/requests.json"), |v| {
                v["info"]["requires_dist"] = json!([])
            }),
        ),
        also: vec![],
        config: None,
        fields: &["LatestStableRelease", "DependenciesAreManaged"],
        reason: Some(("LatestStableRelease", "PyPI")),
    });
    run(&srv, &tmp, &healthy, &odd);
}

// ---- crates.io -----------------------------------------------------------------

const CRATES_FIELDS: &[&str] = &["LatestStableRelease", "PackageStatus"];

fn crates_case(label: &'static str, body: Vec<u8>) -> Hostile {
    Hostile {
        label,
        purl: "pkg:cargo/chrono@0.4.19".into(),
        answer: ("/crates-index/ch/ro/chrono".into(), body),
        also: vec![],
        config: None,
        fields: CRATES_FIELDS,
        reason: Some(("LatestStableRelease", "crates.io index")),
    }
}

#[test]
fn odd_crates_answers_decide_nothing_and_are_not_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let chrono = read("registry/crates/index/ch/ro/chrono");
    let text = String::from_utf8(chrono.clone()).unwrap();
    let last = text.lines().last().unwrap();
    let healthy = crates_case("healthy chrono index file", chrono.clone());
    let odd = vec![
        crates_case(
            "the newest version listed twice, once yanked",
            format!(
                "{text}{}\n",
                last.replace("\"yanked\": false", "\"yanked\": true")
            )
            .into_bytes(),
        ),
        crates_case(
            "a dependency kind the index does not write",
            text.replacen("\"kind\": \"normal\"", "\"kind\": \"runtime\"", 1)
                .into_bytes(),
        ),
    ];
    assert!(odd.iter().all(|h| h.answer.1 != chrono));
    run(&srv, &tmp, &healthy, &odd);

    // The API's owners: the same account twice is one person.
    let owners = |users: Value| json!({"users": users}).to_string().into_bytes();
    let owners_case = |label: &'static str, body: Vec<u8>| Hostile {
        label,
        purl: "pkg:cargo/chrono@0.4.19".into(),
        answer: ("/crates-api/api/v1/crates/chrono/owners".into(), body),
        also: vec![],
        config: None,
        fields: &["MultipleMaintainers"],
        reason: None,
    };
    let healthy = owners_case(
        "healthy owners",
        owners(json!([
            {"id": 1, "login": "djc", "kind": "user", "name": "Dirkjan"},
            {"id": 2, "login": "pitdicker", "kind": "user", "name": null}
        ])),
    );
    let odd = vec![
        owners_case(
            "one owner listed twice",
            owners(json!([
                {"id": 1, "login": "djc", "kind": "user"},
                {"id": 1, "login": "DJC", "kind": "user"}
            ])),
        ),
        owners_case(
            "an owner kind crates.io does not write",
            owners(json!([
                {"id": 1, "login": "djc", "kind": "user"},
                {"id": 3, "login": "rust-lang/chrono", "kind": "group"}
            ])),
        ),
    ];
    run(&srv, &tmp, &healthy, &odd);
}

// ---- OpenSSF Scorecard -----------------------------------------------------------

const SCORECARD_FIELDS: &[&str] = &[
    "CodeReviewPractice",
    "NoBinariesInRepository",
    "SecurityResponsive",
    "PackageSecurityPolicyURL",
];

fn scorecard_case(label: &'static str, body: Vec<u8>) -> Hostile {
    Hostile {
        label,
        purl: "pkg:npm/lodash@4.17.15".into(),
        answer: ("/scorecard/projects/github.com/lodash/lodash".into(), body),
        also: vec![(
            "/npm/lodash".into(),
            read("registry/npm-complete-examples/lodash.json"),
        )],
        config: Some(OLD_SCORECARD_OK),
        fields: SCORECARD_FIELDS,
        reason: Some(("CodeReviewPractice", "OpenSSF Scorecard")),
    }
}

#[test]
fn odd_scorecard_answers_decide_nothing_and_are_not_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    // The recorded result, as if Scorecard had scanned lodash's repository.
    let sc = with(
        &read("api/scorecard/github.com_ossf_scorecard.2025-11-15.json"),
        |v| v["repo"]["name"] = json!("github.com/lodash/lodash"),
    );
    let renamed = |rename: fn(&str) -> String| {
        with(&sc, |v| {
            for c in v["checks"].as_array_mut().unwrap() {
                let n = rename(c["name"].as_str().unwrap());
                c["name"] = json!(n);
            }
        })
    };
    let healthy = scorecard_case("healthy Scorecard result", sc.clone());
    let odd = vec![
        scorecard_case(
            "every check name in lower case",
            renamed(|n| n.to_lowercase()),
        ),
        scorecard_case(
            "Code-Review written code-review",
            renamed(|n| {
                if n == "Code-Review" {
                    "code-review".into()
                } else {
                    n.into()
                }
            }),
        ),
        scorecard_case(
            "Code-Review written Code Review",
            renamed(|n| n.replace("Code-Review", "Code Review")),
        ),
        scorecard_case(
            "Code-Review twice, passing and failing",
            with(&sc, |v| {
                v["checks"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "Code-Review", "score": 0, "reason": "no reviews"}))
            }),
        ),
        scorecard_case(
            "a date with text after it",
            with(&sc, |v| v["date"] = json!("2025-11-15, give or take")),
        ),
    ];
    run(&srv, &tmp, &healthy, &odd);
}

// ---- OSV ---------------------------------------------------------------------------

#[test]
fn an_osv_record_withdrawn_at_no_time_still_counts() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    // lodash 4.17.20 as the newest release: GHSA-35jh-r3h4-6jhm (fixed in
    // 4.17.21) affects it.
    let id = "GHSA-35jh-r3h4-6jhm";
    let record = read(&format!("osv/npm/{id}.json"));
    let case = |label: &'static str, body: Vec<u8>| Hostile {
        label,
        purl: "pkg:npm/lodash@4.17.20".into(),
        answer: (format!("/osv/v1/vulns/{id}"), body),
        also: vec![(
            "/npm/lodash".into(),
            packument("lodash", &[("4.17.20", json!({}))]),
        )],
        config: None,
        fields: &["FixedVulnerabilities"],
        reason: None,
    };
    // A record really withdrawn is not counted: the control decides True.
    let healthy = case(
        "a record withdrawn at a time",
        with(&record, |v| v["withdrawn"] = json!("2024-01-01T00:00:00Z")),
    );
    let odd = vec![case(
        "`withdrawn` that is not a time",
        with(&record, |v| v["withdrawn"] = json!("not really")),
    )];
    run(&srv, &tmp, &healthy, &odd);
    // Not withdrawn: still counted, as a known vulnerability.
    srv.clear_faults();
    serve(
        &srv,
        "/npm/lodash",
        &packument("lodash", &[("4.17.20", json!({}))]),
    );
    serve(
        &srv,
        &format!("/osv/v1/vulns/{id}"),
        &with(&record, |v| v["withdrawn"] = json!("not really")),
    );
    let s = assess(
        &srv,
        &tmp,
        "pkg:npm/lodash@4.17.20",
        "osv-live",
        None,
        false,
    );
    assert_eq!(
        s["FixedVulnerabilities"], "False",
        "{}",
        s["Evidence"]["FixedVulnerabilities"]
    );
}

// ---- deps.dev ------------------------------------------------------------------------

#[test]
fn odd_depsdev_package_answers_decide_nothing_and_are_not_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    // A Maven package: deps.dev is where its releases come from.
    let version = |v: &str, extra: Value| {
        let mut x = json!({
            "versionKey": {"system": "MAVEN", "name": "org.example:tacos", "version": v},
            "publishedAt": "2026-09-01T00:00:00Z",
        });
        for (k, val) in extra.as_object().unwrap() {
            x[k] = val.clone();
        }
        x
    };
    let package = |versions: Vec<Value>| {
        json!({
            "packageKey": {"system": "MAVEN", "name": "org.example:tacos"},
            "versions": versions,
        })
        .to_string()
        .into_bytes()
    };
    let case = |label: &'static str, body: Vec<u8>| Hostile {
        label,
        purl: "pkg:maven/org.example/tacos@1.0.0".into(),
        answer: (
            "/depsdev/v3/systems/MAVEN/packages/org.example%3Atacos".into(),
            body,
        ),
        also: vec![],
        config: None,
        fields: &["LatestStableRelease"],
        reason: Some(("LatestStableRelease", "deps.dev")),
    };
    let healthy = case(
        "healthy package",
        package(vec![
            version("1.0.0", json!({})),
            version("2.0.0", json!({"isDefault": true})),
        ]),
    );
    let odd = vec![
        case(
            "the newest version listed twice, once deprecated",
            package(vec![
                version("1.0.0", json!({})),
                version("2.0.0", json!({"isDefault": true})),
                version("2.0.0", json!({"isDeprecated": true})),
            ]),
        ),
        case("`versions` twice in one object", {
            let body = String::from_utf8(package(vec![version("2.0.0", json!({}))])).unwrap();
            format!("{{\"versions\": [], {}", &body[1..]).into_bytes()
        }),
    ];
    run(&srv, &tmp, &healthy, &odd);
}

// ---- odd, but the registries' own -----------------------------------------------------

/// Shapes the real registries send, seen in the recordings, are read for
/// what they say and cached like any answer: PyPI's `requires_dist: null`
/// (no dependencies declared, which proves "none" only where the metadata
/// says the field is not filled in at build time), and npm releases from
/// before package.json was normalized, whose dependencies are a list.
#[test]
fn the_registries_own_odd_shapes_are_read_and_cached() {
    let srv = FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    // certifi's metadata lists its dynamic fields, without Requires-Dist:
    // it depends on nothing.
    let s = assess(
        &srv,
        &tmp,
        "pkg:pypi/certifi@2020.12.5",
        "certifi",
        None,
        false,
    );
    assert_eq!(
        s["DependenciesAreManaged"], "True",
        "{}",
        s["Evidence"]["DependenciesAreManaged"]
    );
    assert!(cached(&tmp.join("certifi"), "/pypi/pypi/certifi/json"));
    // luigi's metadata has no Requires-Dist and says nothing of what is
    // dynamic: its setup.py may install anything.
    serve(
        &srv,
        "/pypi/pypi/luigi/json",
        &read("registry/pypi-examples/pypi_response_luigi.json"),
    );
    let s = assess(&srv, &tmp, "pkg:pypi/luigi@3.6.0", "luigi", None, false);
    let e = &s["Evidence"]["DependenciesAreManaged"];
    assert_eq!(s["DependenciesAreManaged"], "NOASSERTION", "{e}");
    assert_ne!(e["ReasonCode"], "malformed-answer", "{e}");
    assert!(cached(&tmp.join("luigi"), "/pypi/pypi/luigi/json"));
    // mime 1.0.0 to 1.2.3 list their dependencies as `[]`.
    let s = assess(&srv, &tmp, "pkg:npm/mime@1.2.3", "mime", None, false);
    for f in ["LatestStableRelease", "KnownReleasesURL"] {
        assert_ne!(
            s["Evidence"][f]["ReasonCode"], "malformed-answer",
            "{f}: {}",
            s["Evidence"][f]
        );
    }
    assert!(
        decided(&s["KnownReleasesURL"]),
        "{}",
        s["Evidence"]["KnownReleasesURL"]
    );
    assert!(cached(&tmp.join("mime"), "/npm/mime"));
}
