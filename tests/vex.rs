//! VEX in the application's view (issue 24, item 1), end to end: an SBOM
//! with two versions of lodash in use, enriched against the recorded
//! registry and OSV answers on loopback; then `report` with the SBOM's own
//! CycloneDX analyses and OpenVEX documents. A statement answers only the
//! component it names (the same CVE in the other version stays open), the
//! later of two statements wins, an open state stays open, and documents
//! that break their spec are refused naming the statement, with nothing
//! written. Real VEX documents recorded from public repositories
//! (tests/fixtures/vex/MANIFEST.md) are read and, naming no component here,
//! applied to nothing, with the reason.

mod common;
#[path = "support/server.rs"]
mod server;

use common::*;
use serde_json::{Value, json};
use server::{Fault, FixtureServer};

const OLD: &str = "pkg:npm/lodash@4.17.15";
const NEW: &str = "pkg:npm/lodash@4.17.20";
// OSV's ids, and the CVEs they alias (tests/fixtures/osv/npm).
const PROTOTYPE: (&str, &str) = ("GHSA-p6mc-m468-83gw", "CVE-2020-8203"); // fixed in 4.17.20
const INJECTION: (&str, &str) = ("GHSA-35jh-r3h4-6jhm", "CVE-2021-23337"); // fixed in 4.17.21

/// The SBOM: both versions in use, and its author's own analysis of the
/// prototype pollution in the old one.
fn sbom(analysis: Value) -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:0f7e3c1e-6a55-4d7a-9f0e-2b2f1c0d9a11",
        "metadata": {"timestamp": "2026-11-01T00:00:00Z", "authors": [{"name": "App Team"}],
                     "component": {"type": "application", "name": "app", "bom-ref": "app"}},
        "components": [
            {"type": "library", "name": "lodash", "version": "4.17.15", "purl": OLD, "bom-ref": "lodash-old"},
            {"type": "library", "name": "lodash", "version": "4.17.20", "purl": NEW, "bom-ref": "lodash-new"}
        ],
        "vulnerabilities": [
            {"id": PROTOTYPE.1, "analysis": analysis, "affects": [{"ref": "lodash-old"}]}
        ]
    })
}

fn openvex(timestamp: &str, statements: Value) -> Value {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://app.example/vex/1",
        "author": "App Security <security@app.example>",
        "timestamp": timestamp,
        "version": 1,
        "statements": statements
    })
}

struct World {
    srv: FixtureServer,
    tmp: Temp,
}

impl World {
    /// The SBOM enriched offline against the recorded answers.
    fn new(analysis: Value) -> World {
        let w = World {
            srv: FixtureServer::start(&fixtures()),
            tmp: Temp::new(),
        };
        std::fs::write(w.tmp.join("bom.json"), sbom(analysis).to_string()).unwrap();
        let o = w.run(&["enrich", "bom.json", "-o", "out.json", "--ephemeral-key"]);
        assert_ok(&o);
        w
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let env: Vec<(String, String)> = self.srv.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let cache = self.tmp.join("cache");
        let mut all = args.to_vec();
        all.extend(["--cache-dir", cache.to_str().unwrap()]);
        tacos_env(self.tmp.path(), &all, &env)
    }

    /// `enrich INPUT -o OUTPUT --vulnerabilities`, which must succeed.
    fn enrich_vulnerabilities(&self, input: &str, output: &str) {
        let o = self.run(&[
            "enrich",
            input,
            "-o",
            output,
            "--ephemeral-key",
            "--vulnerabilities",
        ]);
        assert_ok(&o);
    }

    /// The CycloneDX validator of `spec` on `file` (json or xml) agrees.
    fn valid(&self, file: &str, spec: &str, format: &str) {
        let (code, said) = judge(
            "validate-cdx.py",
            &[
                self.tmp.join(file).to_str().unwrap(),
                "--spec",
                spec,
                "--format",
                format,
            ],
        );
        assert_eq!(code, 0, "{file} ({spec} {format}): {said}");
    }

    fn write(&self, name: &str, v: &Value) {
        std::fs::write(self.tmp.join(name), v.to_string()).unwrap();
    }

    /// `report -f json` with these extra arguments: exit code and summary.
    fn report(&self, extra: &[&str]) -> (Option<i32>, Value, String) {
        let mut args = vec!["report", "out.json", "-f", "json", "--offline"];
        args.extend_from_slice(extra);
        let o = tacos(self.tmp.path(), &args);
        let v = serde_json::from_str(&stdout(&o)).unwrap_or(Value::Null);
        (o.status.code(), v, stderr(&o))
    }
}

/// (purl, OSV id) → (open, VEX status) of a summary's known vulnerabilities.
fn findings(s: &Value) -> Vec<(String, String, bool, Option<String>)> {
    s["knownVulnerabilities"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|k| {
            (
                k["purl"].as_str().unwrap().to_string(),
                k["id"].as_str().unwrap().to_string(),
                k["open"].as_bool().unwrap(),
                k["vex"]["status"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// The findings when only the SBOM's own analysis (of the old version's
/// prototype pollution) answers one: that one answered, the rest open.
/// Returns the answered one.
fn answered_by_the_sbom(s: &Value) -> Value {
    let mut got = findings(s);
    got.sort();
    assert_eq!(
        got,
        [
            finding(OLD, INJECTION.0, true, None),
            finding(OLD, PROTOTYPE.0, false, Some("not_affected")),
            finding(NEW, INJECTION.0, true, None),
        ]
    );
    s["knownVulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| !k["open"].as_bool().unwrap())
        .unwrap()
        .clone()
}

fn finding(
    purl: &str,
    id: &str,
    open: bool,
    status: Option<&str>,
) -> (String, String, bool, Option<String>) {
    (purl.into(), id.into(), open, status.map(str::to_string))
}

#[test]
fn vex_answers_only_the_component_it_names_and_the_latest_statement_wins() {
    let w = World::new(
        json!({"state": "not_affected", "justification": "code_not_reachable",
                              "detail": "merge() is never called with user input",
                              "lastUpdated": "2026-11-02T00:00:00Z"}),
    );
    // Without --vex: the SBOM's own analysis answers the old version's
    // prototype pollution; everything else is open.
    let (code, s, err) = w.report(&["--fail-on-vulnerabilities"]);
    assert_eq!(code, Some(1), "{err}");
    let answered = answered_by_the_sbom(&s);
    assert_eq!(answered["aliases"], json!([PROTOTYPE.1]));
    assert_eq!(answered["vex"]["justification"], "code_not_reachable");
    assert_eq!(answered["vex"]["author"], "App Team");
    assert_eq!(answered["vex"]["time"], "2026-11-02T00:00:00Z");
    assert_eq!(answered["vex"]["origin"], "out.json vulnerabilities[0]");
    assert_eq!(
        s["violations"].as_array().unwrap().len(),
        2,
        "{}",
        s["violations"]
    );

    // An OpenVEX statement about the injection in the old version only:
    // the new version, with the same CVE, stays open.
    w.write(
        "app.openvex.json",
        &openvex(
            "2026-11-03T00:00:00Z",
            json!([{"vulnerability": {"name": INJECTION.1},
                    "products": [{"@id": "pkg:oci/app@sha256%3Aabc", "subcomponents": [{"@id": OLD}]}],
                    "status": "not_affected",
                    "justification": "vulnerable_code_not_in_execute_path"}]),
        ),
    );
    let (code, s, err) = w.report(&["--fail-on-vulnerabilities", "--vex", "app.openvex.json"]);
    assert_eq!(code, Some(1), "{err}");
    let mut got = findings(&s);
    got.sort();
    assert_eq!(
        got,
        [
            finding(OLD, INJECTION.0, false, Some("not_affected")),
            finding(OLD, PROTOTYPE.0, false, Some("not_affected")),
            finding(NEW, INJECTION.0, true, None),
        ]
    );
    let v = s["violations"].as_array().unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["kind"], "known-vulnerability");
    assert_eq!(v[0]["purl"], NEW);
    assert_eq!(v[0]["value"], INJECTION.0);

    // A later statement says the old version is affected after all: it
    // wins, and the finding is open again.
    w.write(
        "later.openvex.json",
        &openvex(
            "2026-11-04T00:00:00Z",
            json!([{"vulnerability": {"name": INJECTION.1}, "products": [{"@id": OLD}],
                    "status": "affected", "action_statement": "upgrade to 4.17.21"}]),
        ),
    );
    let (code, s, _) = w.report(&[
        "--fail-on-vulnerabilities",
        "--vex",
        "app.openvex.json",
        "--vex",
        "later.openvex.json",
    ]);
    assert_eq!(code, Some(1));
    let mut got = findings(&s);
    got.sort();
    assert_eq!(got[0], finding(OLD, INJECTION.0, true, Some("affected")));
    assert_eq!(s["violations"].as_array().unwrap().len(), 2);

    // Markdown and SARIF carry the same.
    let o = tacos(
        w.tmp.path(),
        &[
            "report",
            "out.json",
            "--offline",
            "--vex",
            "app.openvex.json",
        ],
    );
    assert_ok(&o);
    let md = stdout(&o);
    assert!(
        md.contains("## Known vulnerabilities in the versions in use"),
        "{md}"
    );
    assert!(
        md.contains("1 open, 2 answered by a VEX statement about that component."),
        "{md}"
    );
    assert!(
        md.contains("not_affected (vulnerable_code_not_in_execute_path) — App Security <security@app.example>, 2026-11-03T00:00:00Z; app.openvex.json statements[0]"),
        "{md}"
    );
    let o = tacos(
        w.tmp.path(),
        &[
            "report",
            "out.json",
            "--offline",
            "-f",
            "sarif",
            "--vex",
            "app.openvex.json",
            "--fail-on-vulnerabilities",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "tacos-policy/known-vulnerability");
    // And SARIF is valid 2.1.0.
    std::fs::write(w.tmp.join("r.sarif"), stdout(&o)).unwrap();
    let (code, said) = check_jsonschema(
        &conformance().join("sarif-2.1.0-schema.json"),
        &[w.tmp.join("r.sarif")],
    );
    assert_eq!(code, 0, "{said}");

    // Without the rule, nothing fails; the view is the same.
    let (code, s, _) = w.report(&["--vex", "app.openvex.json"]);
    assert_eq!(code, Some(0));
    assert_eq!(findings(&s).len(), 3);
}

/// An open state in the SBOM's own analysis leaves its finding open, and
/// says so; documents that break their spec are refused, exit 2, naming
/// the file and the statement, and nothing is written.
#[test]
fn open_states_stay_open_and_broken_documents_are_refused() {
    let w = World::new(json!({"state": "in_triage"}));
    let (code, s, _) = w.report(&["--fail-on-vulnerabilities"]);
    assert_eq!(code, Some(1));
    let mut got = findings(&s);
    got.sort();
    assert_eq!(got[1], finding(OLD, PROTOTYPE.0, true, Some("in_triage")));

    for (name, doc, says) in [
        (
            "unjustified.openvex.json",
            openvex(
                "2026-11-03T00:00:00Z",
                json!([{"vulnerability": {"name": INJECTION.1}, "products": [{"@id": OLD}],
                        "status": "not_affected"}]),
            ),
            "unjustified.openvex.json: statements[0]: not_affected without a justification or an impact statement (OpenVEX requires one)",
        ),
        (
            "unknown.openvex.json",
            openvex(
                "2026-11-03T00:00:00Z",
                json!([{"vulnerability": {"name": INJECTION.1}, "products": [{"@id": OLD}],
                        "status": "probably_fine"}]),
            ),
            "unknown.openvex.json: statements[0]: status \"probably_fine\" is not one of not_affected, affected, fixed, under_investigation",
        ),
        (
            "unknown.cdx.json",
            json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                   "vulnerabilities": [{"id": INJECTION.1, "analysis": {"state": "ignored"},
                                        "affects": [{"ref": OLD}]}]}),
            "unknown.cdx.json: vulnerabilities[0]: analysis.state \"ignored\" is not a CycloneDX state",
        ),
        (
            "not.json",
            json!("just a string"),
            "not.json: not a VEX document",
        ),
    ] {
        w.write(name, &doc);
        let o = tacos(
            w.tmp.path(),
            &[
                "report",
                "out.json",
                "--offline",
                "--vex",
                name,
                "-o",
                "r.md",
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{name}: {}", stderr(&o));
        assert!(!w.tmp.join("r.md").exists(), "{name}: a report was written");
    }
}

/// Real VEX documents recorded from public repositories: each is read, and
/// the statements name components that are not in this SBOM, so they
/// answer nothing here; a CycloneDX VEX whose BOM-Links point at another
/// BOM, or at a component without a package URL, is applied to nothing
/// and the report says why.
#[test]
fn real_vex_documents_apply_to_nothing_they_do_not_name() {
    let w = World::new(json!({"state": "in_triage"}));
    let dir = repo().join("tests/fixtures/vex");
    for f in ["go-vex-v0.2.0.openvex.json", "go-vex-v020-1.openvex.json"] {
        w.tmp.copy_in(&dir.join(f), f);
    }
    let bom_examples = repo().join("tests/fixtures/sbom/cyclonedx/bom-examples/VEX");
    w.tmp
        .copy_in(&bom_examples.join("vex.json"), "jackson.vex.json");
    w.tmp.copy_in(
        &bom_examples.join("CISA-Use-Cases/Case-2/vex.json"),
        "cisa-case-2.vex.json",
    );
    let (code, s, err) = w.report(&[
        "--vex",
        "go-vex-v0.2.0.openvex.json",
        "--vex",
        "go-vex-v020-1.openvex.json",
        "--vex",
        "jackson.vex.json",
        "--vex",
        "cisa-case-2.vex.json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    // Nothing here is answered by them.
    assert!(
        s["knownVulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["vex"]["origin"]
                .as_str()
                .is_none_or(|o| o.starts_with("out.json"))),
        "{}",
        s["knownVulnerabilities"]
    );
    let notes: Vec<&str> = s["vexNotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    // The jackson VEX names its BOM by a serial number that is not this
    // SBOM's; Case 2 names a product without a package URL (19 statements).
    assert!(
        notes.iter().any(
            |n| n.starts_with("jackson.vex.json vulnerabilities[0]: affects[0] ref")
                && n.ends_with("names no component with a package URL here; not applied")
        ),
        "{notes:?}"
    );
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.starts_with("cisa-case-2.vex.json"))
            .count(),
        19,
        "{notes:?}"
    );
}

/// `enrich --fail-on-vulnerabilities` judges as `report` does: the input's
/// own analyses and `--vex` documents answer the components they name; the
/// outputs are written either way and the exit code says whether the
/// policy passed.
#[test]
fn enrich_gates_on_the_same_view() {
    let w = World::new(json!({"state": "not_affected", "justification": "code_not_reachable"}));
    w.write(
        "app.openvex.json",
        &openvex(
            "2026-11-03T00:00:00Z",
            json!([{"vulnerability": {"name": INJECTION.1}, "products": [{"@id": OLD}],
                    "status": "not_affected", "impact_statement": "template() is not used"}]),
        ),
    );
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "enrich",
            "bom.json",
            "-o",
            "gated.json",
            "--ephemeral-key",
            "-f",
            "json",
            "--fail-on-vulnerabilities",
        ];
        args.extend_from_slice(extra);
        let o = w.run(&args);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap_or(Value::Null);
        (
            o.status.code(),
            v["policy"]["violations"].clone(),
            stderr(&o),
        )
    };
    let (code, violations, err) = gate(&[]);
    assert_eq!(code, Some(1), "{err}");
    let about: Vec<(&str, &str)> = violations
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["purl"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        about,
        [(OLD, INJECTION.0), (NEW, INJECTION.0)],
        "{violations}"
    );
    assert!(w.tmp.join("gated.json").exists());
    let (code, violations, err) = gate(&["--vex", "app.openvex.json"]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(violations.as_array().unwrap().len(), 1, "{violations}");
    assert_eq!(violations[0]["purl"], NEW);
    // A broken VEX document stops the run before anything is written.
    std::fs::remove_file(w.tmp.join("gated.json")).unwrap();
    w.write("broken.openvex.json", &openvex("not a time", json!([])));
    let (code, _, err) = gate(&["--vex", "broken.openvex.json"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "broken.openvex.json: the document: timestamp \"not a time\" is not an RFC 3339 time"
        ),
        "{err}"
    );
    assert!(!w.tmp.join("gated.json").exists());
}

/// `enrich --vulnerabilities` writes the known vulnerabilities of the
/// versions in use into CycloneDX JSON 1.4 to 1.7, each by OSV id with its
/// aliases, affecting its components by bom-ref; the author's own entry
/// (here CVE-2020-8203 on the old version, an alias of an OSV id) is kept
/// byte for byte and not repeated; a second run adds nothing; the output
/// passes the CycloneDX validator of its version.
#[test]
fn enrich_writes_the_known_vulnerabilities_into_cyclonedx_json() {
    let analysis = json!({"state": "not_affected", "justification": "code_not_reachable"});
    let w = World::new(analysis.clone());
    for spec in ["1.4", "1.5", "1.6", "1.7"] {
        let mut bom = sbom(analysis.clone());
        bom["specVersion"] = json!(spec);
        let input = format!("bom-{spec}.json");
        let output = format!("out-{spec}.json");
        std::fs::write(
            w.tmp.join(&input),
            serde_json::to_string_pretty(&bom).unwrap(),
        )
        .unwrap();
        w.enrich_vulnerabilities(&input, &output);
        let text = std::fs::read_to_string(w.tmp.join(&output)).unwrap();
        let out: Value = serde_json::from_str(&text).unwrap();
        let v = out["vulnerabilities"].as_array().unwrap();
        assert_eq!(v.len(), 2, "{spec}: {}", out["vulnerabilities"]);
        // The author's entry, first and unchanged.
        assert_eq!(v[0], bom["vulnerabilities"][0], "{spec}");
        let input_text = std::fs::read_to_string(w.tmp.join(&input)).unwrap();
        let theirs = &input_text[input_text.find("\"vulnerabilities\"").unwrap()..];
        let theirs = &theirs[..theirs.find(']').unwrap()];
        assert!(
            text.contains(theirs),
            "{spec}: the author's entry is not byte for byte"
        );
        // Ours: the injection, in both versions; the prototype pollution
        // is the author's to speak of (CVE-2020-8203 aliases it).
        assert_eq!(v[1]["id"], INJECTION.0, "{spec}");
        assert_eq!(
            v[1]["affects"],
            json!([{"ref": "lodash-old"}, {"ref": "lodash-new"}]),
            "{spec}"
        );
        assert_eq!(v[1]["references"][0]["id"], INJECTION.1, "{spec}");
        assert_eq!(v[1]["source"]["name"], "OSV");
        // A second run over the output adds nothing.
        let again = format!("again-{spec}.json");
        w.enrich_vulnerabilities(&output, &again);
        let twice: Value =
            serde_json::from_str(&std::fs::read_to_string(w.tmp.join(&again)).unwrap()).unwrap();
        assert_eq!(twice["vulnerabilities"], out["vulnerabilities"], "{spec}");
        // The official schema of that version agrees.
        w.valid(&output, spec, "json");
    }
    // Without the flag, nothing is added.
    let o = w.run(&["enrich", "bom.json", "-o", "plain.json", "--ephemeral-key"]);
    assert_ok(&o);
    let plain: Value =
        serde_json::from_str(&std::fs::read_to_string(w.tmp.join("plain.json")).unwrap()).unwrap();
    assert_eq!(plain["vulnerabilities"].as_array().unwrap().len(), 1);
}

/// What was not looked at cannot pass: when OSV does not answer, the
/// versions in use have no known vulnerability only because none was
/// found, so `--fail-on-vulnerabilities` fails each of them, saying why,
/// and the summary lists them as not known; no VEX statement changes that.
#[test]
fn versions_whose_vulnerabilities_are_unknown_fail_the_gate() {
    let srv = FixtureServer::start(&fixtures());
    srv.fault(
        "/osv/",
        Fault::Status {
            status: 503,
            times: 1000,
        },
    );
    let w = World {
        srv,
        tmp: Temp::new(),
    };
    w.write(
        "bom.json",
        &sbom(json!({"state": "not_affected", "justification": "code_not_reachable"})),
    );
    let o = w.run(&["enrich", "bom.json", "-o", "out.json", "--ephemeral-key"]);
    assert_ok(&o);
    let (code, s, err) = w.report(&["--fail-on-vulnerabilities"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(findings(&s).is_empty(), "{}", s["knownVulnerabilities"]);
    let not_known = s["vulnerabilitiesNotKnown"].as_array().unwrap();
    assert_eq!(not_known.len(), 2, "{not_known:?}");
    let v = s["violations"].as_array().unwrap();
    assert_eq!(v.len(), 2, "{v:?}");
    for x in v {
        assert!(
            x["message"]
                .as_str()
                .unwrap()
                .contains("cannot be cleared of known vulnerabilities"),
            "{x}"
        );
        assert!(
            x["reason"].as_str().unwrap().contains("not all known"),
            "{x}"
        );
    }
    // Without the rule the report says so and passes.
    let (code, s, _) = w.report(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(s["vulnerabilitiesNotKnown"].as_array().unwrap().len(), 2);
}

/// The same into CycloneDX XML 1.4 to 1.7: a `vulnerability` element per
/// vulnerability known in a version in use, in the schema's order, after
/// the author's own (kept byte for byte); a second run adds nothing; the
/// output passes the CycloneDX XML validator of its version.
#[test]
fn enrich_writes_the_known_vulnerabilities_into_cyclonedx_xml() {
    let w = World::new(json!({"state": "in_triage"}));
    let theirs = "<vulnerabilities>\n    <vulnerability>\n      <id>CVE-2020-8203</id>\n      <analysis>\n        <state>not_affected</state>\n        <justification>code_not_reachable</justification>\n      </analysis>\n      <affects>\n        <target>\n          <ref>lodash-old</ref>\n        </target>\n      </affects>\n    </vulnerability>\n  </vulnerabilities>";
    for spec in ["1.4", "1.5", "1.6", "1.7"] {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/{spec}\" serialNumber=\"urn:uuid:0f7e3c1e-6a55-4d7a-9f0e-2b2f1c0d9a11\" version=\"1\">\n  <metadata>\n    <timestamp>2026-11-01T00:00:00Z</timestamp>\n  </metadata>\n  <components>\n    <component type=\"library\" bom-ref=\"lodash-old\">\n      <name>lodash</name>\n      <version>4.17.15</version>\n      <purl>{OLD}</purl>\n    </component>\n    <component type=\"library\" bom-ref=\"lodash-new\">\n      <name>lodash</name>\n      <version>4.17.20</version>\n      <purl>{NEW}</purl>\n    </component>\n  </components>\n  {theirs}\n</bom>\n"
        );
        let input = format!("bom-{spec}.xml");
        let output = format!("out-{spec}.xml");
        std::fs::write(w.tmp.join(&input), &xml).unwrap();
        w.enrich_vulnerabilities(&input, &output);
        let text = std::fs::read_to_string(w.tmp.join(&output)).unwrap();
        assert!(
            text.contains(&theirs[..theirs.len() - "\n  </vulnerabilities>".len()]),
            "{spec}: the author's entry is not byte for byte:\n{text}"
        );
        assert_eq!(
            text.matches("<vulnerability>").count(),
            2,
            "{spec}:\n{text}"
        );
        let ours = &text[text
            .find(&format!("<id>{}</id>", INJECTION.0))
            .unwrap_or_else(|| panic!("{spec}: not written:\n{text}"))..];
        let ours = &ours[..ours.find("</vulnerability>").unwrap()];
        assert!(
            ours.contains(&format!("<id>{}</id>", INJECTION.1)),
            "{spec}: {ours}"
        );
        assert!(
            ours.contains("<ref>lodash-old</ref>") && ours.contains("<ref>lodash-new</ref>"),
            "{spec}: {ours}"
        );
        // A second run adds nothing.
        let again = format!("again-{spec}.xml");
        w.enrich_vulnerabilities(&output, &again);
        let twice = std::fs::read_to_string(w.tmp.join(&again)).unwrap();
        assert_eq!(twice.matches("<vulnerability>").count(), 2, "{spec}");
        w.valid(&output, spec, "xml");
    }
    // The XML SBOM's own analysis answers its finding in the report, as a
    // JSON one does (the last run's output: the runs share one folder of
    // artifacts, each signed with a throwaway key).
    let o = tacos(
        w.tmp.path(),
        &["report", "again-1.7.xml", "-f", "json", "--offline"],
    );
    let s: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let answered = answered_by_the_sbom(&s);
    assert_eq!(
        answered["vex"]["origin"],
        "again-1.7.xml vulnerabilities[0]"
    );
}

/// The due-diligence view (EU CRA Article 13(5)): one row per component,
/// saying what was checked — the security updates decided, the
/// vulnerabilities known in the version in use with what VEX answered, the
/// attestations taken (none here) — and each check that could not be made,
/// with why; in JSON, Markdown and HTML alike.
#[test]
fn the_due_diligence_view_says_what_was_checked_and_what_was_not() {
    let w = World::new(json!({"state": "not_affected", "justification": "code_not_reachable"}));
    let (_, s, err) = w.report(&[]);
    let dd = s["dueDiligence"]
        .as_array()
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(dd.len(), 2, "{dd:?}");
    let old = dd.iter().find(|d| d["purl"] == OLD).unwrap();
    assert_eq!(
        old["knownVulnerabilities"],
        format!("{}, {} (1 answered by VEX)", INJECTION.0, PROTOTYPE.0),
        "{old}"
    );
    let new = dd.iter().find(|d| d["purl"] == NEW).unwrap();
    assert_eq!(new["knownVulnerabilities"], INJECTION.0, "{new}");
    assert_eq!(old["attestations"], json!([]));
    // What was decided is listed with its reason; what was not, likewise.
    let updates = old["securityUpdates"].as_array().unwrap();
    assert!(
        updates
            .iter()
            .any(|c| c["field"] == "CleanReleaseAvailable" && c["value"] == "True"),
        "{updates:?}"
    );
    let not = old["notChecked"].as_array().unwrap();
    let mfa = not
        .iter()
        .find(|c| c["field"] == "PackageManagerMFAEnabled")
        .unwrap_or_else(|| panic!("{not:?}"));
    assert_eq!(mfa["value"], "NOASSERTION");
    assert!(!mfa["reason"].as_str().unwrap().is_empty());
    // The recorded mirror strips deprecations, so lodash's latest stable
    // release is not known: FixedVulnerabilities is not checked, and why.
    assert!(
        not.iter().any(|c| c["field"] == "FixedVulnerabilities"
            && c["reason"]
                .as_str()
                .unwrap()
                .contains("latest stable release")),
        "{not:?}"
    );
    // Every field is either checked or not checked: none is missing.
    for d in dd {
        let fields: std::collections::BTreeSet<&str> = d["securityUpdates"]
            .as_array()
            .unwrap()
            .iter()
            .chain(d["notChecked"].as_array().unwrap())
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains("SecurityResponsive"), "{d}");
    }
    let md = stdout(&tacos(w.tmp.path(), &["report", "out.json", "--offline"]));
    assert!(
        md.contains("## Due diligence per component (EU CRA Article 13(5))"),
        "{md}"
    );
    let html = stdout(&tacos(
        w.tmp.path(),
        &["report", "out.json", "--offline", "-f", "html"],
    ));
    assert_eq!(html.matches("<table id=\"due-diligence\"").count(), 1);
}

/// Hostile input: an SBOM whose one vulnerability entry names 20,000
/// references and affects 20,000 components is read in time and memory
/// that grow with their sum, not their product (400 million pairs were
/// once built here), and `--vulnerabilities` still adds what it finds.
#[test]
fn a_vulnerability_entry_naming_thousands_of_ids_and_components_is_read_in_bounded_time() {
    let w = World::new(json!({"state": "in_triage"}));
    let mut bom = sbom(json!({"state": "in_triage"}));
    let n = 20_000;
    bom["vulnerabilities"][0]["references"] = (0..n)
        .map(|i| json!({"id": format!("CVE-2099-{i}"), "source": {"name": "x"}}))
        .collect();
    bom["vulnerabilities"][0]["affects"] = (0..n)
        .map(|i| json!({"ref": format!("component-{i}")}))
        .collect();
    w.write("wide.json", &bom);
    let env: Vec<(String, String)> = w.srv.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = w.tmp.join("cache");
    let o = tacos_within(
        w.tmp.path(),
        &[
            "enrich",
            "wide.json",
            "-o",
            "wide.out.json",
            "--ephemeral-key",
            "--vulnerabilities",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
        &env,
        120,
    );
    assert_ok(&o);
    let out: Value =
        serde_json::from_str(&std::fs::read_to_string(w.tmp.join("wide.out.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = out["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [PROTOTYPE.1, INJECTION.0, PROTOTYPE.0]);
}

/// An SBOM whose own analysis breaks the spec does not stop a report that
/// does not depend on it: the view is shown without its analyses, saying
/// why; gating on vulnerabilities, it is refused (exit 2), as a broken
/// `--vex` document is.
#[test]
fn a_broken_analysis_in_the_sbom_is_noted_unless_the_gate_depends_on_it() {
    let w = World::new(json!({"state": "not affected"}));
    let (code, s, err) = w.report(&[]);
    assert_eq!(code, Some(0), "{err}");
    let notes = s["vexNotes"].as_array().unwrap();
    assert!(
        notes[0].as_str().unwrap().starts_with(
            "out.json: vulnerabilities[0]: analysis.state \"not affected\" is not a CycloneDX state; the SBOM's own vulnerability analyses are not applied"
        ),
        "{notes:?}"
    );
    assert!(
        findings(&s).iter().all(|f| f.2),
        "every finding open: {}",
        s["knownVulnerabilities"]
    );
    let (code, _, err) = w.report(&["--fail-on-vulnerabilities"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("analysis.state \"not affected\" is not a CycloneDX state"),
        "{err}"
    );
}
