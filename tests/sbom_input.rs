//! SBOM input the `sbom` module must survive: regressions, wrong JSON
//! types, size bounds, encodings and formats it refuses by name. Each bad
//! case exits 2 with a message naming the file and the problem, panics
//! nowhere and writes nothing.

mod common;

use common::*;

fn write(tmp: &Temp, name: &str, bytes: &[u8]) {
    std::fs::write(tmp.join(name), bytes).unwrap();
}

/// Issue 8, item 1: an SPDX document with an empty `creationInfo` made the
/// splice editor write two overlapping edits and panic (exit 101), leaving
/// the public key behind.
#[test]
fn regression_empty_spdx_creation_info_does_not_panic() {
    let tmp = Temp::new();
    write(
        &tmp,
        "x.json",
        br#"{"spdxVersion":"SPDX-2.3","creationInfo":{}}"#,
    );
    let o = tacos(tmp.path(), &["enrich", "x.json", "-o", "o.json"]);
    assert_ok(&o);
    let out: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("o.json")).unwrap()).unwrap();
    assert_eq!(out["creationInfo"]["creators"][0], "Tool: tacos-sbom-0.1.0");
    assert_eq!(out["creationInfo"]["created"], "2026-11-23T00:00:00Z");
}
