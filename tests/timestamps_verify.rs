//! `verify --trusted-root FILE` (issue 22, item 2, the verify side): an
//! SBOM enriched with `--envelope bundle` (offline, every service on a
//! closed port), each bundle then given an RFC 3161 timestamp over its own
//! signature by a real timestamp authority (OpenSSL's `ts -reply`,
//! tests/support/tsa.rs) and the SBOM's digests brought up to date, in
//! both layouts. sigstore-js (tests/conformance/verify-bundle-timestamped.mjs)
//! judges the same bundles against the same trusted root, so the inputs are
//! known good apart from our own verifier.
//!
//! Run with `CONFORMANCE_HOME=<dir with node/node_modules/@sigstore/verify>`.

mod common;
#[path = "support/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::Value;
use tacos_sbom::attest::Envelope;
use tacos_sbom::attest::rfc3161::TimestampRequest;
use tacos_sbom::attest::sigstore::{Bundle, Signed, Witnesses};
use tsa::{RootEntry, TestTsa, trusted_root};

const KEY: &str = ".tacos-config/signing.pub";
const PYPI: &str = "pypi-flask-django-env.cdx16.json";
const ROOT: &str = "root.json";
/// The PyPI sample's 23 packages and its application report.
const REFERENCES: usize = 24;

/// `enrich PYPI -o OUT --attestations-dir ATT --envelope bundle --layout
/// LAYOUT --offline`, with an empty cache.
fn enrich(tmp: &Temp, out: &str, att: &str, extra: &[&str]) {
    enrich_sample_offline(tmp, PYPI, out, att, extra);
}

fn bundled(tmp: &Temp, out: &str, att: &str, layout: &str) {
    enrich(tmp, out, att, &["--envelope", "bundle", "--layout", layout]);
}

fn verify(tmp: &Temp, sbom: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify", sbom, "--key", KEY];
    args.extend_from_slice(extra);
    tacos(tmp.path(), &args)
}

fn said(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// One Sigstore bundle enrich wrote: a file, or a line of a JSON Lines file.
#[derive(Clone)]
struct Artifact {
    path: PathBuf,
    /// From 1.
    line: Option<usize>,
}

impl Artifact {
    fn bytes(&self) -> Vec<u8> {
        let text = std::fs::read(&self.path).unwrap();
        match self.line {
            None => text,
            Some(n) => text.split(|&b| b == b'\n').nth(n - 1).unwrap().to_vec(),
        }
    }

    fn bundle(&self) -> Value {
        serde_json::from_slice(&self.bytes()).unwrap()
    }

    /// What names it in verify's messages: its file name, and the line.
    fn named(&self) -> String {
        self.path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// Whether a message names it.
    fn is_named_in(&self, text: &str) -> bool {
        text.contains(&self.named())
            && self
                .line
                .is_none_or(|n| text.contains(&format!("line {n} of ")))
    }

    /// The bundle's DSSE signature bytes: what a timestamp stamps.
    fn signature(&self) -> Vec<u8> {
        let sig = self.bundle()["dsseEnvelope"]["signatures"][0]["sig"]
            .as_str()
            .unwrap()
            .to_string();
        STANDARD.decode(sig).unwrap()
    }

    /// Write the bundle again, by the library's own writer, with these
    /// timestamp tokens (none: no `timestampVerificationData`), and make
    /// the SBOM at `sbom` record the new bytes' SHA-256, so that the digest
    /// check passes and the timestamps themselves are judged.
    fn rewrite(&self, sbom: &Path, tokens: &[Vec<u8>]) {
        let v = self.bundle();
        let envelope: Envelope = serde_json::from_value(v["dsseEnvelope"].clone()).unwrap();
        let hint = v["verificationMaterial"]["publicKey"]["hint"]
            .as_str()
            .unwrap();
        let tokens: Vec<&[u8]> = tokens.iter().map(Vec::as_slice).collect();
        let bundle = Bundle::new(
            &envelope,
            Signed::Key { hint },
            Witnesses {
                rfc3161_timestamps: &tokens,
                ..Default::default()
            },
        );
        let before = self.bytes();
        let after = match self.line {
            None => {
                let text = bundle.to_json_pretty().into_bytes();
                std::fs::write(&self.path, &text).unwrap();
                text
            }
            Some(n) => {
                let line = bundle.to_json_line();
                let text = std::fs::read(&self.path).unwrap();
                let mut lines: Vec<Vec<u8>> =
                    text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                lines[n - 1] = line.clone();
                std::fs::write(&self.path, lines.join(&b'\n')).unwrap();
                line
            }
        };
        let text = std::fs::read_to_string(sbom).unwrap();
        let (old, new) = (sha256_hex(&before), sha256_hex(&after));
        assert!(text.contains(&old));
        std::fs::write(sbom, text.replace(&old, &new)).unwrap();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A timestamp token (the DER `TimeStampResp`) from `tsa` over `signature`.
fn token(tsa: &TestTsa, signature: &[u8]) -> Vec<u8> {
    tsa.reply(&TimestampRequest::new(signature).der)
}

/// Every bundle in `att`: the files, then each line of the JSON Lines files.
fn artifacts(att: &Path) -> Vec<Artifact> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(att)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".sigstore.json") {
            out.push(Artifact { path, line: None });
        } else if name.ends_with(".sigstore.jsonl") {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            for n in 1..=lines {
                out.push(Artifact {
                    path: path.clone(),
                    line: Some(n),
                });
            }
        }
    }
    assert_eq!(out.len(), REFERENCES, "{}", att.display());
    out
}

/// The bundle of the package whose PURL holds `purl`.
fn artifact_of(all: &[Artifact], purl: &str) -> Artifact {
    all.iter()
        .find(|a| {
            let payload = a.bundle()["dsseEnvelope"]["payload"]
                .as_str()
                .unwrap()
                .to_string();
            let statement: Value =
                serde_json::from_slice(&STANDARD.decode(payload).unwrap()).unwrap();
            statement["subject"][0]["name"]
                .as_str()
                .is_some_and(|n| n.contains(purl))
        })
        .unwrap_or_else(|| panic!("no bundle for {purl}"))
        .clone()
}

/// Enrich in `layout`, then stamp every bundle by `tsa`; the trusted root
/// (naming `tsa`) at ROOT.
fn stamped(tmp: &Temp, tsa: &TestTsa, out: &str, att: &str, layout: &str) -> Vec<Artifact> {
    bundled(tmp, out, att, layout);
    let all = artifacts(&tmp.join(att));
    for a in &all {
        a.rewrite(&tmp.join(out), &[token(tsa, &a.signature())]);
    }
    std::fs::write(tmp.join(ROOT), trusted_root(&[RootEntry::of(tsa)])).unwrap();
    all
}

/// sigstore-js's verdict on one bundle (a line is judged as a file of its
/// own): (verified, what it said).
fn sigstore_js(tmp: &Temp, a: &Artifact, n: usize) -> (bool, String) {
    let file = match a.line {
        None => a.path.clone(),
        Some(_) => {
            let f = tmp.join(&format!("judged-{n}.sigstore.json"));
            std::fs::write(&f, a.bytes()).unwrap();
            f
        }
    };
    let (code, text) = judge(
        "verify-bundle-timestamped.mjs",
        &[
            file.to_str().unwrap(),
            tmp.join(KEY).to_str().unwrap(),
            tmp.join(ROOT).to_str().unwrap(),
        ],
    );
    assert!(
        code == 0 || code == 1,
        "verify-bundle-timestamped.mjs could not run (exit {code}); set CONFORMANCE_HOME\n{text}"
    );
    (code == 0, text)
}

/// Every bundle stamped by the trusted authority, in both layouts:
/// `verify --trusted-root` passes, says how many timestamps verified, and
/// gives each reference's genTime in JSON; sigstore-js accepts each bundle
/// against the same root. Without --trusted-root it passes too, and says
/// the timestamps were not checked.
#[test]
fn timestamps_from_a_trusted_authority_verify_in_both_layouts() {
    let tmp = Temp::new();
    let tsa = TestTsa::start("Test TSA");
    for layout in ["files", "bundle"] {
        let out = format!("out-{layout}.json");
        let att = format!("att-{layout}");
        let all = stamped(&tmp, &tsa, &out, &att, layout);
        let o = verify(&tmp, &out, &["--trusted-root", ROOT]);
        assert_ok(&o);
        let text = said(&o);
        assert!(
            text.contains(&format!(
                "{REFERENCES} of {REFERENCES} TACOS references verified"
            )) && text.contains(&format!(
                "{REFERENCES} timestamps verified against the trusted root ({REFERENCES} artifacts)"
            )),
            "{layout}: {text}"
        );
        assert!(!text.contains("not checked"), "{text}");

        let o = verify(&tmp, &out, &["--trusted-root", ROOT, "-f", "json"]);
        assert_ok(&o);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &v["results"][0];
        assert_eq!(r["timestampsChecked"], true);
        assert_eq!(r["timestampsVerified"], REFERENCES);
        let refs = r["timestamps"].as_array().unwrap();
        assert_eq!(refs.len(), REFERENCES);
        for s in refs {
            let t = &s["timestamps"][0];
            assert_eq!(t["authority"], "Test TSA", "{s}");
            assert!(t["genTime"].as_str().unwrap().ends_with('Z'), "{s}");
        }
        assert!(refs.iter().any(|s| s["component"] == "application report"));

        let o = verify(&tmp, &out, &[]);
        assert_ok(&o);
        assert!(
            said(&o).contains(&format!(
                "{REFERENCES} timestamps were not checked: pass --trusted-root FILE"
            )),
            "{}",
            said(&o)
        );
        let o = verify(&tmp, &out, &["-f", "json"]);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &v["results"][0];
        assert_eq!(
            (&r["timestampsChecked"], &r["timestampsUnchecked"]),
            (&Value::Bool(false), &Value::from(REFERENCES))
        );

        for (n, a) in all.iter().enumerate() {
            let (ok, text) = sigstore_js(&tmp, a, n);
            assert!(ok, "sigstore-js refused {}:\n{text}", a.named());
        }
    }
    // package takes the same check.
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "out-files.json",
            "--key",
            KEY,
            "--trusted-root",
            ROOT,
            "-o",
            "ev.tar.gz",
        ],
    );
    assert_ok(&o);
}

/// In both layouts, one bundle without a timestamp, one stamped by an
/// authority the root does not name, and one carrying the timestamp of
/// another bundle's signature: each fails, naming the component and the
/// file (or line); the rest verify. sigstore-js refuses the same two
/// timestamps.
#[test]
fn a_missing_untrusted_or_moved_timestamp_fails_naming_it() {
    let tmp = Temp::new();
    let trusted = TestTsa::start("Test TSA");
    let untrusted = TestTsa::start("Test TSA");
    for layout in ["files", "bundle"] {
        let out = format!("out-{layout}.json");
        let att = format!("att-{layout}");
        let all = stamped(&tmp, &trusted, &out, &att, layout);
        let sbom = tmp.join(&out);
        let none = artifact_of(&all, "pypi/flask@");
        none.rewrite(&sbom, &[]);
        let foreign = artifact_of(&all, "pypi/django@");
        foreign.rewrite(&sbom, &[token(&untrusted, &foreign.signature())]);
        let moved = artifact_of(&all, "pypi/jinja2@");
        let donor = artifact_of(&all, "pypi/click@");
        moved.rewrite(&sbom, &[token(&trusted, &donor.signature())]);

        let o = verify(&tmp, &out, &["--trusted-root", ROOT]);
        assert_eq!(o.status.code(), Some(1), "{}", said(&o));
        let text = said(&o);
        for (purl, a, why) in [
            (
                "pypi/flask@",
                &none,
                "no timestamp: a Sigstore bundle without one; a trusted root needs a bundle with an RFC 3161 timestamp (enrich --envelope bundle --timestamp-server-url URL)",
            ),
            (
                "pypi/django@",
                &foreign,
                "rfc3161Timestamps[0]: timestamp: the signer is not a trusted timestamp authority",
            ),
            (
                "pypi/jinja2@",
                &moved,
                "rfc3161Timestamps[0]: timestamp: message imprint does not match the signature",
            ),
        ] {
            let line = text
                .lines()
                .find(|l| l.starts_with("FAIL") && l.contains(purl) && a.is_named_in(l))
                .unwrap_or_else(|| panic!("{layout}: no failure names {purl}:\n{text}"));
            assert!(line.contains(why), "{line}");
        }
        assert!(
            text.contains(&format!(
                "{} of {REFERENCES} TACOS references verified",
                REFERENCES - 3
            )),
            "{text}"
        );

        // The independent judge agrees on the two timestamps, and on the
        // untouched donor.
        let verdicts: Vec<bool> = [&foreign, &moved, &donor]
            .iter()
            .enumerate()
            .map(|(n, a)| sigstore_js(&tmp, a, 100 + n).0)
            .collect();
        assert_eq!(verdicts, [false, false, true], "{layout}");
    }
}

/// An SBOM of bare DSSE envelopes cannot meet a trusted root: every
/// reference fails, in one line with the hint (-v lists each); package
/// refuses it too.
#[test]
fn bare_envelopes_fail_with_the_hint() {
    let tmp = Temp::new();
    let tsa = TestTsa::start("Test TSA");
    std::fs::write(tmp.join(ROOT), trusted_root(&[RootEntry::of(&tsa)])).unwrap();
    enrich(&tmp, "bare.json", "att", &[]);
    let o = verify(&tmp, "bare.json", &["-f", "json"]);
    assert_ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Without timestamps asked for or met, verify's JSON is as it was.
    assert!(v["results"][0].get("timestamps").is_none(), "{v}");
    assert!(!said(&verify(&tmp, "bare.json", &[])).contains("timestamp"));
    let o = verify(&tmp, "bare.json", &["--trusted-root", ROOT]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    let text = said(&o);
    let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), 1, "one line for them all: {text}");
    assert!(
        fails[0].contains(&format!("{REFERENCES} artifacts carry no timestamp"))
            && fails[0].contains("enrich --envelope bundle --timestamp-server-url URL")
            && fails[0].contains("a bare DSSE envelope"),
        "{}",
        fails[0]
    );
    let o = verify(&tmp, "bare.json", &["--trusted-root", ROOT, "-v"]);
    let each = said(&o)
        .lines()
        .filter(|l| l.contains(".tacos.dsse.json: no timestamp: a bare DSSE envelope"))
        .count();
    assert_eq!(each, REFERENCES, "{}", said(&o));
    let o = verify(&tmp, "bare.json", &["--trusted-root", ROOT, "-f", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["results"][0]["failures"].as_array().unwrap().len(),
        REFERENCES
    );
    let o = tacos(
        tmp.path(),
        &[
            "package",
            "bare.json",
            "--key",
            KEY,
            "--trusted-root",
            ROOT,
            "-o",
            "ev.tar.gz",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    assert!(!tmp.join("ev.tar.gz").exists());
}

/// A trusted root that cannot be read, is not one, or names no timestamp
/// authority: exit 2, naming the file, before anything is verified.
#[test]
fn a_bad_trusted_root_is_bad_input() {
    let tmp = Temp::new();
    enrich(&tmp, "bare.json", "att", &[]);
    std::fs::write(tmp.join("garbage.json"), "{\"mediaType\": 3").unwrap();
    std::fs::write(
        tmp.join("other.json"),
        r#"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
    )
    .unwrap();
    std::fs::write(tmp.join("empty.json"), trusted_root(&[])).unwrap();
    for (file, why) in [
        ("garbage.json", "not a Sigstore trusted root"),
        ("other.json", "is not a Sigstore trusted root's"),
        ("empty.json", "names no timestamp authorities"),
        ("absent.json", "cannot read the trusted root"),
    ] {
        let o = verify(&tmp, "bare.json", &["--trusted-root", file]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", said(&o));
        let text = said(&o);
        assert!(
            text.contains(&format!("error: {file}: ")) && text.contains(why),
            "{file}: {text}"
        );
        assert!(!text.contains("references verified"), "{text}");
        assert!(o.stdout.is_empty(), "{file}");
    }
}

/// `report --trusted-root` checks what the report rests on as `verify
/// --trusted-root` does: all stamped by the trusted authority, it passes
/// and says the timestamps were checked; one bundle stamped by an authority
/// the root does not name makes it exit 1, naming that component; without
/// the flag, the same SBOM passes (timestamps are not checked).
#[test]
fn report_checks_timestamps_against_a_trusted_root() {
    let tmp = Temp::new();
    let trusted = TestTsa::start("Test TSA");
    let untrusted = TestTsa::start("Test TSA");
    let all = stamped(&tmp, &trusted, "out.json", "att", "files");
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "out.json", "--key", KEY, "-f", "json"];
        args.extend_from_slice(extra);
        tacos(tmp.path(), &args)
    };
    let o = report(&["--trusted-root", ROOT]);
    assert_ok(&o);
    assert!(
        stdout(&o).contains("timestamps (against the trusted root)"),
        "{}",
        said(&o)
    );

    let foreign = artifact_of(&all, "pypi/django@");
    foreign.rewrite(
        &tmp.join("out.json"),
        &[token(&untrusted, &foreign.signature())],
    );
    // -v: each failing component named, not only the count per problem.
    let o = report(&["--trusted-root", ROOT, "-v"]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    assert!(
        said(&o).contains("pypi/django@")
            && said(&o).contains("the signer is not a trusted timestamp authority"),
        "{}",
        said(&o)
    );
    assert_ok(&report(&[]));
}
