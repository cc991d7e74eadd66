//! Runs the purl-spec conformance suites (ECMA-427 `tests/**/*-test.json` and the
//! legacy `purl-test-suite-data.json`) against `crate::purl`, and checks that the
//! set of failing cases is exactly `tests/purl-known-failures.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use tacos_sbom::purl::Purl;

#[derive(Deserialize)]
struct Suite {
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    test_group: String,
    test_type: String,
    input: Value,
    #[serde(default)]
    expected_output: Value,
    #[serde(default)]
    expected_failure: bool,
}

/// `$PURL_SUITE_DIR`, else the copy in `tests/conformance` (see its SOURCE.md).
fn suite_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PURL_SUITE_DIR") {
        return dir.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// JSON with object keys sorted, so keys match whatever serde_json features are on.
fn canon_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, String> =
                map.iter().map(|(k, v)| (k, canon_json(v))).collect();
            let body: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
                .collect();
            format!("{{{}}}", body.join(","))
        }
        Value::Array(items) => {
            let body: Vec<String> = items.iter().map(canon_json).collect();
            format!("[{}]", body.join(","))
        }
        other => other.to_string(),
    }
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Compares our decoded components with an expected object (`null` and `{}`
/// qualifiers are the same thing).
fn compare_components(p: &Purl, expected: &Value) -> Result<(), String> {
    let get = |k: &str| expected.get(k).unwrap_or(&Value::Null);
    let mut diffs = Vec::new();
    let mut check = |field: &str, ours: Option<&str>| {
        let theirs = opt_str(get(field));
        if ours != theirs {
            diffs.push(format!("{field}: got {ours:?}, expected {theirs:?}"));
        }
    };
    check("type", Some(p.ty()));
    check("namespace", p.namespace());
    check("name", Some(p.name()));
    check("version", p.version());
    check("subpath", p.subpath());
    let theirs: BTreeMap<String, String> = get("qualifiers")
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    if *p.qualifiers() != theirs {
        diffs.push(format!(
            "qualifiers: got {:?}, expected {theirs:?}",
            p.qualifiers()
        ));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

fn build_from(input: &Value) -> Result<Purl, String> {
    let s = |k: &str| input.get(k).and_then(Value::as_str);
    let qualifiers: Vec<(String, String)> = input
        .get("qualifiers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Purl::build(
        s("type").unwrap_or(""),
        s("namespace"),
        s("name").unwrap_or(""),
        s("version"),
        &qualifiers,
        s("subpath"),
    )
    .map_err(|e| e.to_string())
}

/// Ok(()) when we behave as the case expects, else why not.
fn run_case(case: &Case) -> Result<(), String> {
    let outcome = match case.test_type.as_str() {
        "build" => build_from(&case.input),
        _ => Purl::parse(case.input.as_str().unwrap_or_default()).map_err(|e| e.to_string()),
    };
    match (outcome, case.expected_failure) {
        (Err(_), true) => Ok(()),
        (Ok(p), true) => Err(format!("expected a failure, got {p}")),
        (Err(e), false) => Err(format!("unexpected error: {e}")),
        (Ok(p), false) if case.test_type == "parse" => {
            compare_components(&p, &case.expected_output)
        }
        (Ok(p), false) => {
            let got = p.to_string();
            match case.expected_output.as_str() {
                Some(want) if want == got => Ok(()),
                want => Err(format!("got {got}, expected {want:?}")),
            }
        }
    }
}

/// Legacy case: parse must fail when invalid, else match components and canonical form.
fn run_legacy(case: &Value) -> Result<(), String> {
    let input = case["purl"].as_str().unwrap_or_default();
    let invalid = case["is_invalid"].as_bool().unwrap_or(false);
    match (Purl::parse(input), invalid) {
        (Err(_), true) => Ok(()),
        (Ok(p), true) => Err(format!("expected a failure, got {p}")),
        (Err(e), false) => Err(format!("unexpected error: {e}")),
        (Ok(p), false) => {
            compare_components(&p, case)?;
            let want = case["canonical_purl"].as_str().unwrap_or_default();
            if p.to_string() == want {
                Ok(())
            } else {
                Err(format!("got {p}, expected {want}"))
            }
        }
    }
}

/// A case is named by a digest of its input, so the list quotes no input
/// (some hold host names of package registries).
fn case_id(input_json: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(input_json.as_bytes());
    let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("input-sha256:{hex}")
}

/// One executed case; `file`, `test_type` and `input` form its key in the list.
struct Outcome {
    file: String,
    test_type: String,
    input: String,
    group: String,
    result: Result<(), String>,
}

type Key = (String, String, String);

#[test]
fn purl_spec_suites() {
    let dir = suite_dir();
    let mut outcomes = Vec::new();

    let mut files = Vec::new();
    for sub in ["purl-spec-tests/tests/spec", "purl-spec-tests/tests/types"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .unwrap_or_else(|e| panic!("{sub}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        found.sort();
        files.extend(found);
    }
    for path in &files {
        let file = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let suite: Suite = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in &suite.tests {
            outcomes.push(Outcome {
                file: file.clone(),
                test_type: case.test_type.clone(),
                input: case_id(&canon_json(&case.input)),
                group: case.test_group.clone(),
                result: run_case(case),
            });
        }
    }
    let legacy = "purl-test-suite-data.json";
    let text = std::fs::read_to_string(dir.join(legacy)).unwrap();
    let legacy_cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    for case in &legacy_cases {
        outcomes.push(Outcome {
            file: legacy.into(),
            test_type: "legacy".into(),
            input: case_id(&canon_json(&case["purl"])),
            group: "legacy".into(),
            result: run_legacy(case),
        });
    }

    let mut known: BTreeSet<Key> = BTreeSet::new();
    for line in include_str!("purl-known-failures.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(
            fields.len() == 4 && !fields[3].trim().is_empty(),
            "malformed known-failures line (need 4 tab-separated fields, the last a reason): {line}"
        );
        known.insert((fields[0].into(), fields[1].into(), fields[2].into()));
    }

    // file -> group -> (passed, failed)
    let mut counts: BTreeMap<&str, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
    let mut failing: BTreeSet<Key> = BTreeSet::new();
    let mut all: BTreeSet<Key> = BTreeSet::new();
    let mut unexpected = Vec::new();
    for o in &outcomes {
        let key = (o.file.clone(), o.test_type.clone(), o.input.clone());
        let c = counts
            .entry(&o.file)
            .or_default()
            .entry(&o.group)
            .or_default();
        match &o.result {
            Ok(()) => c.0 += 1,
            Err(why) => {
                c.1 += 1;
                if !known.contains(&key) {
                    unexpected.push(format!(
                        "{}\t{}\t{}\tTODO: {why}",
                        o.file, o.test_type, o.input
                    ));
                }
                failing.insert(key.clone());
            }
        }
        all.insert(key);
    }

    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (file, groups) in &counts {
        let mut parts = Vec::new();
        for (group, (pass, fail)) in groups {
            let t = totals.entry(group).or_default();
            t.0 += pass;
            t.1 += fail;
            parts.push(format!("{group} {pass} pass / {fail} fail"));
        }
        println!("{file}: {}", parts.join(", "));
    }
    for (group, (pass, fail)) in &totals {
        println!("TOTAL {group}: {pass} pass / {fail} fail");
    }

    let stale: Vec<String> = known
        .difference(&failing)
        .map(|k @ (f, t, i)| {
            let why = if all.contains(k) {
                "now passes"
            } else {
                "matches no case"
            };
            format!("{f}\t{t}\t{i} ({why})")
        })
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "tests/purl-known-failures.txt is out of date.\n\
         Failing but not listed (fix, or add with a specific reason):\n{}\n\
         Listed but not failing (remove):\n{}",
        unexpected.join("\n"),
        stale.join("\n")
    );
}
