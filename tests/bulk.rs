//! Many SBOMs in one run: directories walked recursively, `--from-list`,
//! one failing SBOM never stopping the others, outputs that keep their
//! place, and a document that changes between reading and writing.

mod common;

use common::*;
use serde_json::json;
use tacos_sbom::enrich;

/// A small CycloneDX SBOM naming `n` npm packages of its own.
fn cdx(tag: &str, n: usize) -> String {
    let components: Vec<_> = (0..n)
        .map(|i| {
            json!({"type": "library", "name": format!("{tag}-pkg{i}"), "version": "1.0.0",
                   "purl": format!("pkg:npm/{tag}-pkg{i}@1.0.0"), "bom-ref": format!("{tag}-{i}")})
        })
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "application", "name": tag, "bom-ref": "root"}},
           "components": components})
    .to_string()
}

fn put(tmp: &Temp, rel: &str, text: &str) {
    let p = tmp.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Offline with an empty cache: no service is asked; the SBOM work is
/// what is tested.
fn enrich_offline(tmp: &Temp, args: &[&str]) -> std::process::Output {
    let mut all = vec!["enrich", "--offline"];
    all.extend_from_slice(args);
    tacos(tmp.path(), &all)
}

#[test]
fn a_tree_of_sboms_is_walked_and_a_bad_one_stops_nothing() {
    let tmp = Temp::new();
    put(&tmp, "tree/a/bom.json", &cdx("a", 3));
    put(&tmp, "tree/b/bom.json", &cdx("b", 2));
    put(&tmp, "tree/b/deeper/c.cdx.json", &cdx("c", 1));
    // Not an SBOM: passed over quietly.
    put(
        &tmp,
        "tree/b/package.json",
        r#"{"name": "x", "version": "1.0.0"}"#,
    );
    // Hidden: not walked.
    put(&tmp, "tree/.git/d.json", &cdx("d", 1));
    // An SBOM the tool refuses: reported, the others still written.
    put(
        &tmp,
        "tree/broken/e.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {"not": "a list"}}"#,
    );
    let o = enrich_offline(&tmp, &["tree", "-o", "out", "--attestations-dir", "att"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("tree/broken/e.json"), "{err}");
    assert!(err.contains("1 of 5 inputs skipped"), "{err}");
    assert!(
        err.contains("skipped tree/b/package.json: not an SBOM"),
        "{err}"
    );
    assert!(!err.contains(".git"), "{err}");
    // Two `bom.json` in different folders keep their places under -o.
    for out in [
        "out/a/bom.tacos.json",
        "out/b/bom.tacos.json",
        "out/b/deeper/c.tacos.cdx.json",
    ] {
        assert!(tmp.join(out).is_file(), "{out}: {err}");
    }
    assert!(!tmp.join("out/broken").exists());
    assert!(!tmp.join("out/d.tacos.json").exists());
    // Each output verifies, its references relative to where it is (and
    // outside its folder, so verify is told where the artifacts are).
    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "out/a/bom.tacos.json",
            "out/b/bom.tacos.json",
            "out/b/deeper/c.tacos.cdx.json",
            "--attestations-dir",
            "att",
            "--key",
            ".tacos-config/signing.pub",
        ],
    );
    assert_ok(&o);
}

#[test]
fn a_list_of_paths_from_a_file_or_standard_input() {
    let tmp = Temp::new();
    put(&tmp, "x/one.json", &cdx("one", 2));
    put(&tmp, "y/two.json", &cdx("two", 2));
    put(
        &tmp,
        "list.txt",
        "x/one.json\n\n y-not-there \r\ny/two.json\r\n",
    );
    // A path that does not exist is a failure of that input alone.
    let o = enrich_offline(&tmp, &["--from-list", "list.txt", "-o", "out"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(" y-not-there "), "{err}");
    assert!(tmp.join("out/one.tacos.json").is_file() && tmp.join("out/two.tacos.json").is_file());

    // From standard input, beside named inputs.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tacos-sbom"))
        .current_dir(tmp.path())
        .args(["enrich", "--offline", "--from-list", "-", "-o", "out2"])
        .env("TACOS_SBOM_CONFIG_DIR", tmp.join(".tacos-config"))
        .env("XDG_CACHE_HOME", tmp.join(".cache"))
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"x/one.json\ny/two.json\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_ok(&o);
    assert!(tmp.join("out2/one.tacos.json").is_file() && tmp.join("out2/two.tacos.json").is_file());

    // An empty list, and - inside a list, are usage errors: nothing written.
    put(&tmp, "empty.txt", "\n\n");
    let o = enrich_offline(&tmp, &["--from-list", "empty.txt", "-o", "out3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lists no paths"), "{}", stderr(&o));
    put(&tmp, "dash.txt", "x/one.json\n-\n");
    let o = enrich_offline(&tmp, &["--from-list", "dash.txt", "-o", "out3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!tmp.join("out3").exists());
}

#[test]
fn many_sboms_are_counted_not_listed_and_failures_are_listed_at_the_end() {
    let tmp = Temp::new();
    for i in 0..30 {
        put(&tmp, &format!("in/s{i:02}.json"), &cdx(&format!("s{i}"), 3));
    }
    put(
        &tmp,
        "in/zz-bad.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": 7}"#,
    );
    let o = enrich_offline(&tmp, &["in", "-o", "out", "--attestations-dir", "att"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("reading 31 SBOMs"), "{err}");
    assert!(
        err.contains("30 of 31 inputs written (90 components, 90 referenced"),
        "{err}"
    );
    assert!(
        !err.contains("read in/s00.json"),
        "one line per input: {err}"
    );
    // The failure is listed again after everything else.
    let tail = &err[err.find("30 of 31 inputs written").unwrap()..];
    assert!(tail.contains("failed: in/zz-bad.json"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.join("out")).unwrap().count(), 30);
}

/// With several inputs the documents are read again when they are written;
/// one that changed in between is not written (its packages were assessed
/// from what was first read), and the others are.
#[test]
fn a_document_that_changes_between_reading_and_writing_is_not_written() {
    let tmp = Temp::new();
    put(&tmp, "in/a.json", &cdx("a", 2));
    put(&tmp, "in/b.json", &cdx("b", 2));
    let opts = library_options(
        enrich::Output::Dir(tmp.join("out")),
        tmp.join("att"),
        tacos_sbom::config::Layout::Files,
    );
    let inputs = enrich::expand_inputs(&[tmp.join("in")]).unwrap();
    let plan = enrich::plan(&inputs, &opts, &Quiet).unwrap();
    // A package added after the assessment: it was never assessed.
    put(&tmp, "in/b.json", &cdx("b", 3));
    let key = tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::Ed25519);
    let summary = enrich::execute(plan, Default::default(), &opts, &key, &Quiet).unwrap();
    assert_eq!(summary.documents.len(), 1);
    assert_eq!(summary.failures.len(), 1);
    let msg = summary.failures[0].to_string();
    assert!(msg.contains("b.json") && msg.contains("changed"), "{msg}");
    assert!(tmp.join("out/a.tacos.json").is_file());
    assert!(!tmp.join("out/b.tacos.json").exists());
}

/// Every file under `root`, by path relative to it, with its bytes.
fn tree(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut std::collections::BTreeMap<String, Vec<u8>>,
    ) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// With several inputs the statements go to a scratch file as they are
/// decided and are read back to be signed, quoted in each SBOM's report
/// and in its declarations: every artifact, report and SBOM is byte for
/// byte what a run holding them in memory writes, in either layout.
#[test]
fn statements_kept_in_a_scratch_file_give_the_outputs_of_statements_held() {
    let tmp = Temp::new();
    // Overlapping SBOMs (a-pkg0..2 in three of them), CycloneDX 1.6 so
    // that declarations are written too.
    for (name, tag, n) in [
        ("one", "a", 3),
        ("two", "a", 5),
        ("three", "b", 4),
        ("four", "a", 4),
    ] {
        let text = cdx(tag, n).replace(r#""specVersion":"1.5""#, r#""specVersion":"1.6""#);
        put(&tmp, &format!("in/{name}.json"), &text);
    }
    let inputs = enrich::expand_inputs(&[tmp.join("in")]).unwrap();
    let key = tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::Ed25519);
    for layout in [
        tacos_sbom::config::Layout::Files,
        tacos_sbom::config::Layout::Bundle,
    ] {
        let mut runs = Vec::new();
        for spill in [false, true] {
            let root = tmp.join(&format!("{layout:?}-{spill}"));
            let mut opts = library_options(
                enrich::Output::Dir(root.join("out")),
                root.join("att"),
                layout,
            );
            opts.declarations = true;
            let plan = enrich::plan(&inputs, &opts, &Quiet).unwrap();
            let statements = match spill {
                true => plan.statements().unwrap(),
                false => enrich::Statements::default(),
            };
            assert_eq!(statements.kept_in_file(), spill);
            let summary = enrich::execute(plan, statements, &opts, &key, &Quiet).unwrap();
            assert_eq!(summary.documents.len(), 4, "{layout:?}");
            assert!(summary.failures.is_empty(), "{:?}", summary.failures);
            let written = tree(&root);
            let one = String::from_utf8(written["out/one.tacos.json"].clone()).unwrap();
            assert!(one.contains("\"declarations\""), "{one}");
            assert!(written.keys().any(|k| k.contains("tacos-report")));
            runs.push(written);
        }
        assert_eq!(runs[0].len(), runs[1].len(), "{layout:?}");
        for ((a, x), (b, y)) in runs[0].iter().zip(&runs[1]) {
            assert_eq!(a, b, "{layout:?}");
            assert!(x == y, "{layout:?}: {a} differs");
        }
    }
}

/// No scratch file can be made (the temporary directory is missing): the
/// run says so and holds the statements in memory; nothing is lost.
#[test]
fn without_a_scratch_file_the_statements_are_held_and_the_run_completes() {
    let tmp = Temp::new();
    put(&tmp, "in/a.json", &cdx("a", 3));
    put(&tmp, "in/b.json", &cdx("b", 2));
    let missing = tmp.join("no-such-dir");
    let o = tacos_env(
        tmp.path(),
        &[
            "enrich",
            "--offline",
            "in",
            "-o",
            "out",
            "--attestations-dir",
            "att",
        ],
        &[("TMPDIR", missing.to_str().unwrap())],
    );
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("cannot create a scratch file in") && err.contains("held in memory"),
        "{err}"
    );
    assert!(tmp.join("out/a.tacos.json").is_file() && tmp.join("out/b.tacos.json").is_file());
    assert!(!missing.exists());
}
