//! Issue 19, the second hardening round: what an attacker who can plant
//! files (links, named pipes) beside the tool's outputs or in evidence from
//! others could do, and what a killed run leaves behind. One test per item,
//! each through the real binary.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::*;

const SAMPLE: &str = "pypi-flask-django-env.cdx16.json";

fn sample(tmp: &Temp) -> PathBuf {
    tmp.copy_in(&repo().join("sample-sboms").join(SAMPLE), SAMPLE)
}

fn keygen(tmp: &Temp, prefix: &str) {
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", prefix]));
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.unwrap().success(), "mkfifo {}", path.display());
}

/// Names of the files in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// enrich offline with the key `k.key`, into `att`, output `out`.
fn enrich(tmp: &Temp, out: &str, att: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "enrich",
        SAMPLE,
        "-o",
        out,
        "--attestations-dir",
        att,
        "--offline",
        "--key",
        "k.key",
    ];
    args.extend(extra);
    tacos_within(tmp.path(), &args, &[], 120)
}

/// Item 1: a link planted in the attestations directory, under any name
/// the tool writes there (the public key, an artifact, the report, the
/// bundle: all predictable from input, key and time), is refused with its
/// path; the file it points to, outside the directory, is untouched, and
/// the failed run leaves no output.
#[test]
fn links_planted_in_the_attestations_directory_are_refused_not_followed() {
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    for case in ["key", "artifact", "report", "bundle"] {
        let att = format!("att-{case}");
        let layout = if case == "bundle" { "bundle" } else { "files" };
        // A first run shows the names a second run with the same input,
        // key, clock and places will use.
        assert_ok(&enrich(&tmp, "first.json", &att, &["--layout", layout]));
        let written = names(&tmp.join(&att));
        let name = written
            .iter()
            .find(|n| match case {
                "key" => *n == "tacos-sbom.pub",
                "artifact" => n.starts_with("pypi_flask@"),
                "report" => n.contains("tacos-report"),
                _ => n.ends_with(".jsonl"),
            })
            .unwrap_or_else(|| panic!("{case}: {written:?}"))
            .clone();
        for n in &written {
            fs::remove_file(tmp.join(&att).join(n)).unwrap();
        }
        let victim = tmp.join(&format!("victim-{case}.txt"));
        fs::write(&victim, b"not yours").unwrap();
        std::os::unix::fs::symlink(format!("../victim-{case}.txt"), tmp.join(&att).join(&name))
            .unwrap();
        let o = enrich(&tmp, "out.json", &att, &["--layout", layout]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{case}: {err}");
        assert!(
            err.contains(&name) && err.contains("is a symbolic link"),
            "{case}: the message names the link: {err}"
        );
        assert_eq!(fs::read(&victim).unwrap(), b"not yours", "{case}");
        assert!(!tmp.join("out.json").exists(), "{case}: no output SBOM");
        assert_eq!(
            names(&tmp.join(&att)),
            vec![name.to_string()],
            "{case}: the failed run took back what it wrote"
        );
    }
}

/// Item 2: an output that resolves to the signing key (through a link, or
/// a hard link), the default key, the store, the cache or an input is
/// refused before anything is written, by enrich, report and package; the
/// key keeps its bytes and its mode.
#[test]
fn an_output_that_is_the_signing_key_the_store_or_an_input_is_refused() {
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    let key = fs::read(tmp.join("k.key")).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The default key and the default store come into being here.
    assert_ok(&tacos(
        tmp.path(),
        &["enrich", SAMPLE, "-o", "enriched.json", "--offline"],
    ));
    let default_key = tmp.join(".tacos-config/signing.key");
    let default_bytes = fs::read(&default_key).unwrap();
    let store = tmp.join(".cache/tacos-sbom/assessments.sqlite3");
    assert!(store.exists());
    let store_bytes = fs::read(&store).unwrap();

    let link = |name: &str, to: &Path| {
        let p = tmp.join(name);
        let _ = fs::remove_file(&p);
        std::os::unix::fs::symlink(to, &p).unwrap();
        name.to_string()
    };
    let refused = |args: &[&str], what: &str| {
        let o = tacos_within(tmp.path(), args, &[], 120);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("refusing to write here") && err.contains(what),
            "{args:?}: expected {what:?} in: {err}"
        );
    };

    let out = link("to-key.json", &tmp.join("k.key"));
    refused(
        &["enrich", SAMPLE, "-o", &out, "--offline", "--key", "k.key"],
        "it is the signing key",
    );
    let out = link("to-default.json", &default_key);
    refused(
        &["enrich", SAMPLE, "-o", &out, "--offline"],
        "the default signing key",
    );
    refused(
        &["report", "enriched.json", "-o", &out],
        "the default signing key",
    );
    refused(
        &[
            "package",
            "enriched.json",
            "-o",
            &out,
            "--allow-unauthenticated",
        ],
        "the default signing key",
    );
    let out = link("to-store.json", &store);
    refused(
        &["enrich", SAMPLE, "-o", &out, "--offline"],
        "the assessment store",
    );
    refused(
        &[
            "enrich",
            SAMPLE,
            "-o",
            ".cache/tacos-sbom/x.json",
            "--offline",
        ],
        "inside the cache directory",
    );
    // A hard link is the same file under another name.
    fs::hard_link(tmp.join(SAMPLE), tmp.join("hard.json")).unwrap();
    refused(
        &["enrich", SAMPLE, "-o", "hard.json", "--offline"],
        "it is the input",
    );
    refused(
        &["report", "enriched.json", "-o", "enriched.json"],
        "it is the input",
    );

    assert_eq!(fs::read(tmp.join("k.key")).unwrap(), key);
    assert_eq!(mode(&tmp.join("k.key")), 0o600);
    assert_eq!(fs::read(&default_key).unwrap(), default_bytes);
    assert_eq!(mode(&default_key), 0o600);
    assert_eq!(fs::read(&store).unwrap(), store_bytes);
}

/// Item 3: a named pipe standing where an artifact, a bundle or the key
/// beside them should be is refused, naming it, by verify, report and
/// package, in both layouts; it is never waited on. Neither is a pipe
/// given as the store.
#[test]
fn named_pipes_where_evidence_should_be_fail_and_never_hang() {
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    assert_ok(&enrich(&tmp, "files.json", "att-files", &[]));
    assert_ok(&enrich(
        &tmp,
        "bundle.json",
        "att-bundle",
        &["--layout", "bundle"],
    ));
    let pipe_over = |dir: &str, pick: &dyn Fn(&str) -> bool| {
        let name = names(&tmp.join(dir))
            .into_iter()
            .find(|n| pick(n))
            .expect("a file to replace");
        let p = tmp.join(dir).join(&name);
        fs::remove_file(&p).unwrap();
        mkfifo(&p);
        name
    };
    let artifact = pipe_over("att-files", &|n| n.starts_with("pypi_flask@"));
    let bundle = pipe_over("att-bundle", &|n| n.ends_with(".jsonl"));

    for (sbom, name) in [("files.json", &artifact), ("bundle.json", &bundle)] {
        let o = tacos_within(tmp.path(), &["verify", sbom, "--key", "k.pub"], &[], 60);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{sbom}: {}", stderr(&o));
        assert!(
            out.contains(name.as_str()) && out.contains("is a named pipe, not a regular file"),
            "{sbom}: {out}"
        );
        let o = tacos_within(
            tmp.path(),
            &["report", sbom, "--key", "k.pub", "-o", "r.md"],
            &[],
            60,
        );
        assert_eq!(o.status.code(), Some(1), "{sbom}: {}", stderr(&o));
        let o = tacos_within(
            tmp.path(),
            &["package", sbom, "--key", "k.pub", "-o", "p.tar.gz"],
            &[],
            60,
        );
        assert_eq!(o.status.code(), Some(1), "{sbom}: {}", stderr(&o));
        assert!(!tmp.join("p.tar.gz").exists());
    }

    // The key beside the artifacts, read when no --key is given.
    let key_beside = tmp.join("att-bundle/tacos-sbom.pub");
    fs::remove_file(&key_beside).unwrap();
    mkfifo(&key_beside);
    let o = tacos_within(
        tmp.path(),
        &["verify", "bundle.json", "--allow-unauthenticated"],
        &[],
        60,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("tacos-sbom.pub"), "{}", stdout(&o));

    // A pipe named as the store.
    mkfifo(&tmp.join("store.fifo"));
    let o = tacos_within(
        tmp.path(),
        &[
            "enrich",
            SAMPLE,
            "-o",
            "s.json",
            "--offline",
            "--key",
            "k.key",
            "--store",
            "store.fifo",
        ],
        &[],
        60,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("store.fifo is a named pipe"),
        "{}",
        stderr(&o)
    );
    assert!(
        fs::symlink_metadata(tmp.join("store.fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// Item 7: `report` exits 1 when anything the SBOM references does not
/// verify, as `verify` and `package` do, even when the application report
/// itself checks out: a CI gate on `report` must not pass a flipped byte.
#[test]
fn report_exits_1_when_an_artifact_does_not_verify() {
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    assert_ok(&enrich(&tmp, "files.json", "att-files", &[]));
    assert_ok(&enrich(
        &tmp,
        "bundle.json",
        "att-bundle",
        &["--layout", "bundle"],
    ));
    let ok = tacos(tmp.path(), &["report", "files.json", "--key", "k.pub"]);
    assert_ok(&ok);

    // One flipped byte in one package's artifact.
    let name = names(&tmp.join("att-files"))
        .into_iter()
        .find(|n| n.starts_with("pypi_flask@"))
        .unwrap();
    let path = tmp.join("att-files").join(name);
    let mut bytes = fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    fs::write(&path, bytes).unwrap();
    // A bad line in the bundle.
    let bundle = names(&tmp.join("att-bundle"))
        .into_iter()
        .find(|n| n.ends_with(".jsonl"))
        .unwrap();
    let path = tmp.join("att-bundle").join(bundle);
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "{}";
    fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();

    for sbom in ["files.json", "bundle.json"] {
        let o = tacos(
            tmp.path(),
            &["report", sbom, "--key", "k.pub", "-f", "json"],
        );
        assert_eq!(o.status.code(), Some(1), "{sbom}: {}", stderr(&o));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            summary["provenance"]["verification"], "failed",
            "{sbom}: {summary}"
        );
        assert!(stderr(&o).contains("FAIL"), "{sbom}: {}", stderr(&o));
    }
}

/// Item 9: temporary files a killed run left (`.NAME.tmp-PID-N`) are
/// removed by the next run into the same places, once their process is
/// gone and they have lain untouched for ten minutes; a fresh one, one of
/// a live process and every other file stay.
#[test]
fn temporaries_left_by_killed_runs_are_removed() {
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    fs::create_dir(tmp.join("att")).unwrap();
    // A process that has ended: its pid runs nothing now.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let dead = child.id();
    let live = std::process::id();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let make = |rel: &str, aged: bool| {
        let p = tmp.join(rel);
        fs::write(&p, b"half").unwrap();
        if aged {
            fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        p
    };
    let stale_out = make(&format!(".out.json.tmp-{dead}-0"), true);
    let stale_report = make(&format!("att/.report.tacos-report.json.tmp-{dead}-7"), true);
    let fresh = make(&format!("att/.x.json.tmp-{dead}-1"), false);
    let alive = make(&format!("att/.y.json.tmp-{live}-2"), true);
    let other = make("att/.tmp-notes", true);
    let o = enrich(&tmp, "out.json", "att", &[]);
    assert_ok(&o);
    assert!(
        !stale_out.exists() && !stale_report.exists(),
        "{}",
        stderr(&o)
    );
    assert!(fresh.exists() && alive.exists() && other.exists());
    assert!(
        stderr(&o).contains("removed 2 temporary files that killed runs left behind"),
        "{}",
        stderr(&o)
    );
}

/// Item 9: an SBOM in which no component has a package URL, and that has
/// no place for an application report (an SPDX Lite tag-value document
/// that describes no package), is enriched with no reference; `verify`
/// then agrees with `enrich`: nothing was attested, which it says, and it
/// passes.
#[test]
fn an_sbom_without_package_urls_enriches_and_then_verifies() {
    let tmp = Temp::new();
    tmp.copy_in(
        &fixture("sbom/spdx/tools-python/SPDXLite.spdx"),
        "lite.spdx",
    );
    let o = tacos(
        tmp.path(),
        &["enrich", "lite.spdx", "-o", "out.spdx", "--offline"],
    );
    assert_ok(&o);
    let o = tacos(tmp.path(), &["verify", "out.spdx"]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("nothing to verify: no component has a package URL"),
        "{}",
        stderr(&o)
    );
    let o = tacos(tmp.path(), &["verify", "out.spdx", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"][0]["nothingAttested"], true);
    // An SBOM whose components have package URLs but no reference still fails.
    sample(&tmp);
    let o = tacos(tmp.path(), &["verify", SAMPLE]);
    assert_eq!(o.status.code(), Some(1));
}

/// Issue 20: `report` and `package` read their input once. A named pipe
/// (what `<(...)` gives) yields the document once: `report` read it a second
/// time for its digest and `package` up to four times, each waiting for a
/// writer that never came. Read once, the digest and the packaged copy are
/// the bytes that were verified.
#[test]
fn an_input_that_can_be_read_only_once_is_reported_and_packaged() {
    use sha2::Digest;
    let tmp = Temp::new();
    sample(&tmp);
    keygen(&tmp, "k");
    assert_ok(&enrich(&tmp, "out.json", "att", &[]));
    let document = fs::read(tmp.join("out.json")).unwrap();
    let digest: String = sha2::Sha256::digest(&document)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let piped = tmp.join("piped.json");
    mkfifo(&piped);
    // One writer a run: it gives the document once, when the run opens the pipe.
    let feed = || {
        let (path, bytes) = (piped.clone(), document.clone());
        std::thread::spawn(move || fs::write(&path, &bytes))
    };

    let writer = feed();
    let o = tacos_within(
        tmp.path(),
        &[
            "report",
            "piped.json",
            "--key",
            "k.pub",
            "-f",
            "json",
            "-o",
            "r.json",
        ],
        &[],
        60,
    );
    assert_ok(&o);
    writer.join().unwrap().unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.join("r.json")).unwrap()).unwrap();
    assert_eq!(
        report["provenance"]["sbom_sha256"],
        digest.as_str(),
        "{report}"
    );
    assert_eq!(report["provenance"]["verification"], "verified", "{report}");

    // SARIF places each finding at its component's line: from the text read
    // once, not from a second read of the pipe (which would wait forever).
    let writer = feed();
    let o = tacos_within(
        tmp.path(),
        &[
            "report",
            "piped.json",
            "--key",
            "k.pub",
            "-f",
            "sarif",
            "-o",
            "r.sarif",
            "--fail-on",
            "FixedVulnerabilities=NOASSERTION",
        ],
        &[],
        60,
    );
    assert_eq!(o.status.code(), Some(1), "the policy fails: {}", stderr(&o));
    writer.join().unwrap().unwrap();
    let sarif: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.join("r.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 23, "{sarif}");
    assert!(
        results.iter().all(
            |r| r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some_and(|l| l > 1)
        ),
        "{sarif}"
    );

    let writer = feed();
    let o = tacos_within(
        tmp.path(),
        &["package", "piped.json", "--key", "k.pub", "-o", "p.tar.gz"],
        &[],
        60,
    );
    assert_ok(&o);
    writer.join().unwrap().unwrap();
    let unpacked = tmp.join("unpacked");
    fs::create_dir(&unpacked).unwrap();
    let untar = std::process::Command::new("tar")
        .arg("xzf")
        .arg(tmp.join("p.tar.gz"))
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(untar.success());
    assert!(fs::read(unpacked.join("p/sbom/piped.json")).unwrap() == document);
}
