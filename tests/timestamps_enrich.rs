//! `enrich --envelope bundle --timestamp-server-url URL`: every signature
//! (each package's and the application report's) is sent to a real RFC 3161
//! authority (OpenSSL's `ts -reply` on loopback, tests/support/tsa.rs) and
//! its answer put in the Sigstore bundle. Each bundle is then checked by
//! our own RFC 3161 verifier against a `trusted_root.json` naming that
//! authority, and judged by sigstore-js with a timestamp required
//! (tests/conformance/verify-bundle-timestamped.mjs) and by sigstore-rust
//! (tests/conformance/verify-bundle-sigstore-rust.sh). Runs are `--offline`:
//! no evidence service is asked.
//!
//! Run with `CONFORMANCE_HOME=<dir with node/node_modules/@sigstore/verify>`
//! (see tests/conformance/INSTALL.sh).

mod common;
#[path = "support/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::Value;
use tacos_sbom::attest::rfc3161::verify_signed_timestamp;
use tacos_sbom::attest::trust_root::timestamp_authorities;
use tsa::{RootEntry, TestTsa, trusted_root};

const KEY: &str = ".tacos-config/signing.pub";
const PYPI: &str = "pypi-flask-django-env.cdx16.json";

fn enrich(tmp: &Temp, extra: &[&str]) -> std::process::Output {
    tmp.copy_in(&repo().join("sample-sboms").join(PYPI), "in.json");
    let mut args = vec!["enrich", "in.json", "-o", "out.json", "--offline"];
    args.extend_from_slice(extra);
    tacos(tmp.path(), &args)
}

/// Every bundle the run wrote: each file, or each line of the JSON Lines
/// file, as (where, its JSON text).
fn bundles(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sigstore.json") {
            out.push((name, std::fs::read_to_string(&path).unwrap()));
        } else if name.ends_with(".sigstore.jsonl") {
            for (i, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
                out.push((format!("{name}#L{}", i + 1), line.to_string()));
            }
        }
    }
    out.sort();
    out
}

/// The one timestamp a bundle holds and the signature it should cover.
fn stamp_and_signature(text: &str) -> (Vec<u8>, Vec<u8>) {
    let b: Value = serde_json::from_str(text).unwrap();
    let stamps = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .unwrap_or_else(|| panic!("no timestamps in {text}"));
    assert_eq!(stamps.len(), 1, "{text}");
    let stamp = STANDARD
        .decode(stamps[0]["signedTimestamp"].as_str().unwrap())
        .unwrap();
    let sig = STANDARD
        .decode(b["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    (stamp, sig)
}

fn sigstore_js(bundle: &Path, key: &Path, root: &Path) -> (i32, String) {
    judge(
        "verify-bundle-timestamped.mjs",
        &[
            bundle.to_str().unwrap(),
            key.to_str().unwrap(),
            root.to_str().unwrap(),
        ],
    )
}

/// Both layouts: every signature is stamped once by the authority, the
/// stamp verifies over that bundle's own signature against the trusted
/// root, sigstore-js accepts the bundle with a timestamp required (and
/// refuses it against a root naming another authority), and our `verify`
/// still proves every reference.
#[test]
fn every_signature_is_timestamped_and_both_verifiers_accept_it() {
    let tsa = TestTsa::start("Test TSA");
    let other = TestTsa::start("Other TSA");
    let authorities = timestamp_authorities(&trusted_root(&[RootEntry::of(&tsa)])).unwrap();
    for layout in ["files", "bundle"] {
        let tmp = Temp::new();
        let before = tsa.requests();
        let o = enrich(
            &tmp,
            &[
                "--envelope",
                "bundle",
                "--layout",
                layout,
                "--timestamp-server-url",
                &tsa.url,
            ],
        );
        assert_ok(&o);
        let all = bundles(&tmp.join("tacos-attestations"));
        assert!(all.len() > 5, "{layout}: {all:?}");
        // One request per signature: every package's and the report's.
        assert_eq!(tsa.requests() - before, all.len(), "{layout}");
        for (name, text) in &all {
            let (stamp, sig) = stamp_and_signature(text);
            verify_signed_timestamp(&stamp, &sig, &authorities, None)
                .unwrap_or_else(|e| panic!("{layout} {name}: {e}"));
        }
        // The independent judge, one bundle per file.
        let root = tmp.join("root.json");
        std::fs::write(&root, trusted_root(&[RootEntry::of(&tsa)])).unwrap();
        let wrong_root = tmp.join("other-root.json");
        std::fs::write(&wrong_root, trusted_root(&[RootEntry::of(&other)])).unwrap();
        let key = tmp.join(KEY);
        let judged: PathBuf = tmp.join("judged");
        std::fs::create_dir(&judged).unwrap();
        for (i, (name, text)) in all.iter().enumerate() {
            let file = judged.join(format!("{i}.json"));
            std::fs::write(&file, text).unwrap();
            let (code, said) = sigstore_js(&file, &key, &root);
            assert_eq!(code, 0, "{layout} {name}: {said}");
            // And sigstore-rust, with a timestamp required of a key bundle.
            let (code, said) = judge(
                "verify-bundle-sigstore-rust.sh",
                &[
                    file.to_str().unwrap(),
                    root.to_str().unwrap(),
                    "--key",
                    key.to_str().unwrap(),
                ],
            );
            assert_eq!(code, 0, "{layout} {name}: {said}");
            assert!(said.contains("1 verified timestamp"), "{said}");
            if i == 0 {
                let (code, said) = sigstore_js(&file, &key, &wrong_root);
                assert_eq!(code, 1, "{layout} {name} against another root: {said}");
                let (code, said) = judge(
                    "verify-bundle-sigstore-rust.sh",
                    &[
                        file.to_str().unwrap(),
                        wrong_root.to_str().unwrap(),
                        "--key",
                        key.to_str().unwrap(),
                    ],
                );
                assert_eq!(code, 1, "{layout} {name} against another root: {said}");
            }
        }
        let v = tacos(tmp.path(), &["verify", "out.json", "--key", KEY]);
        assert_ok(&v);
        // And our verify, end to end: every timestamp against the root
        // that names the authority, none against another's.
        let root_arg = root.to_str().unwrap();
        let v = tacos(
            tmp.path(),
            &[
                "verify",
                "out.json",
                "--key",
                KEY,
                "--trusted-root",
                root_arg,
            ],
        );
        assert_ok(&v);
        assert!(
            stderr(&v).contains(&format!("{} timestamps verified", all.len())),
            "{}",
            stderr(&v)
        );
        let wrong_arg = wrong_root.to_str().unwrap();
        let v = tacos(
            tmp.path(),
            &[
                "verify",
                "out.json",
                "--key",
                KEY,
                "--trusted-root",
                wrong_arg,
            ],
        );
        assert_eq!(v.status.code(), Some(1), "{}", stderr(&v));
    }
}

/// A bare DSSE envelope has nowhere to hold a timestamp: asked for one
/// without `--envelope bundle`, the run stops before anything is written,
/// and no authority is asked.
#[test]
fn a_timestamp_needs_a_bundle() {
    let tsa = TestTsa::start("Test TSA");
    let tmp = Temp::new();
    let o = enrich(&tmp, &["--timestamp-server-url", &tsa.url]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--timestamp-server-url needs --envelope bundle"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("out.json").exists());
    assert!(!tmp.join("tacos-attestations").exists());
    assert_eq!(tsa.requests(), 0);
}

/// An authority that cannot be reached, or answers with a rejection,
/// stops the run naming it (its URL without the credentials it was given),
/// and nothing is left behind: no SBOM, no artifact.
#[test]
fn an_authority_that_fails_stops_the_run_and_leaves_nothing() {
    let rejecting = TestTsa::start_with("Picky TSA", "sha512", tsa::Answer::OpenSsl);
    let closed = "http://user:secret@127.0.0.1:9/tsr".to_string();
    for (url, says) in [(&closed, "cannot connect"), (&rejecting.url, "rejection")] {
        let tmp = Temp::new();
        let o = enrich(
            &tmp,
            &["--envelope", "bundle", "--timestamp-server-url", url],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("timestamp authority"), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("secret"), "{err}");
        assert!(!tmp.join("out.json").exists(), "{err}");
        let left: Vec<_> = std::fs::read_dir(tmp.join("tacos-attestations"))
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{left:?}");
    }
}
