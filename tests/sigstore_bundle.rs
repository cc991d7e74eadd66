//! `enrich --envelope bundle`: every package artifact and the application
//! report as a Sigstore bundle v0.3 around the DSSE envelope, in both
//! layouts. Judged by sigstore-js (`tests/conformance/verify-bundles-batch.mjs`,
//! `@sigstore/verify` with thresholds 0: there is no timestamp or log entry
//! yet) and by our own `verify`, `report` and `package`; an SBOM may mix
//! bare envelopes and bundles; tampered bundles fail in both, naming the
//! component and the file. Runs are `--offline` with an empty cache: no
//! service is asked.
//!
//! Run with `CONFORMANCE_HOME=<dir with node/node_modules/@sigstore/verify>`
//! (see tests/conformance/INSTALL.sh).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const KEY: &str = ".tacos-config/signing.pub";
const PYPI: &str = "pypi-flask-django-env.cdx16.json";

fn samples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join("sample-sboms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md"))
        .collect();
    v.sort();
    assert!(v.len() >= 6, "{v:?}");
    v
}

/// `enrich SAMPLE -o OUT --attestations-dir ATT --offline` with an empty
/// cache and `extra`, in `tmp` (the key: the default one in `tmp`'s config).
fn enrich(tmp: &Temp, sample: &str, out: &str, att: &str, extra: &[&str]) -> Output {
    enrich_sample_offline(tmp, sample, out, att, extra)
}

fn verify(tmp: &Temp, sbom: &str) -> Output {
    tacos(tmp.path(), &["verify", sbom, "--key", KEY])
}

/// The files in `dir` whose names end in `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// Each bundle sigstore-js judged: (file, line, verified, problems).
type Verdicts = Vec<(String, Option<u64>, bool, String)>;

/// sigstore-js over `files` (bundles, or JSON Lines files of them), with `key`.
fn sigstore_js(key: &Path, files: &[PathBuf]) -> Verdicts {
    let mut args: Vec<&str> = vec![key.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let (code, text) = judge("verify-bundles-batch.mjs", &args);
    assert!(
        code == 0 || code == 1,
        "verify-bundles-batch.mjs could not run (exit {code}); set CONFORMANCE_HOME or run tests/conformance/INSTALL.sh\n{text}"
    );
    let verdicts: Verdicts = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["file"].as_str().unwrap().to_string(),
                v["line"].as_u64(),
                v["ok"].as_bool().unwrap(),
                v["problems"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        code == 0,
        verdicts.iter().all(|v| v.2),
        "exit code and verdicts agree: {text}"
    );
    verdicts
}

/// Every bundle's shape, and its hint is the key id its signature carries.
fn check_bundle_shape(bundle: &Value, key_id: &str, what: &str) {
    assert_eq!(bundle["mediaType"], MEDIA_TYPE, "{what}");
    let material = bundle["verificationMaterial"].as_object().unwrap();
    assert_eq!(
        material.keys().collect::<Vec<_>>(),
        ["publicKey"],
        "{what}: no empty members"
    );
    assert_eq!(bundle["verificationMaterial"]["publicKey"]["hint"], key_id);
    let env = &bundle["dsseEnvelope"];
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json", "{what}");
    assert_eq!(env["signatures"].as_array().unwrap().len(), 1, "{what}");
    assert_eq!(env["signatures"][0]["keyid"], key_id, "{what}");
}

fn key_id(tmp: &Temp) -> String {
    let pem = std::fs::read_to_string(tmp.join(KEY)).unwrap();
    tacos_sbom::attest::PublicKey::from_pem(&pem)
        .unwrap()
        .key_id()
}

/// (1) Every artifact of every sample SBOM, in both layouts, is a Sigstore
/// bundle that sigstore-js verifies with our public key; our own `verify`
/// passes on every enriched SBOM.
#[test]
fn every_artifact_of_every_sample_verifies_in_sigstore_js_and_ours() {
    let tmp = Temp::new();
    let mut judged: Vec<PathBuf> = Vec::new();
    let mut expected_bundles = 0;
    for (i, sample) in samples().iter().enumerate() {
        for layout in ["files", "bundle"] {
            let att = format!("att-{i}-{layout}");
            let out = format!("out-{i}-{layout}.{sample}");
            let o = enrich(
                &tmp,
                sample,
                &out,
                &att,
                &["--envelope", "bundle", "--layout", layout],
            );
            let v = verify(&tmp, &out);
            assert_ok(&v);
            let said = stderr(&v);
            assert!(said.contains("TACOS references verified"), "{said}");
            let dir = tmp.join(&att);
            assert!(
                files_ending(&dir, ".dsse.json").is_empty()
                    && files_ending(&dir, ".intoto.jsonl").is_empty(),
                "{sample} {layout}: nothing bare is written"
            );
            let lines = files_ending(&dir, ".sigstore.jsonl");
            let singles = files_ending(&dir, ".sigstore.json");
            let reports = files_ending(&dir, ".tacos-report.sigstore.json");
            let sbom = std::fs::read_to_string(tmp.join(&out)).unwrap();
            match layout {
                "files" => assert!(lines.is_empty()),
                _ => {
                    assert_eq!(lines.len(), 1, "{sample}: one JSON Lines file");
                    assert_eq!(singles, reports, "{sample}: only the report is a file");
                    assert!(
                        stderr(&o).contains("JSON Lines file of Sigstore bundles:"),
                        "{}",
                        stderr(&o)
                    );
                    assert!(sbom.contains(".sigstore.jsonl#L1"), "{sample}");
                }
            }
            // As many bundles as enrich signed packages, and the reports.
            let told = stderr(&o);
            let distinct: usize = told
                .split(" distinct packages")
                .next()
                .and_then(|s| s.rsplit(['\n', ' ']).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{told}"));
            let mut here = singles.len();
            for l in &lines {
                here += std::fs::read_to_string(l).unwrap().lines().count();
            }
            assert!(distinct > 0, "{sample}");
            assert_eq!(here, distinct + reports.len(), "{sample} {layout}");
            expected_bundles += here;
            let id = key_id(&tmp);
            for f in &singles {
                let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
                check_bundle_shape(&v, &id, &f.display().to_string());
            }
            for l in &lines {
                for (n, line) in std::fs::read_to_string(l).unwrap().lines().enumerate() {
                    let v: Value = serde_json::from_str(line).unwrap();
                    check_bundle_shape(&v, &id, &format!("line {} of {}", n + 1, l.display()));
                }
            }
            judged.extend(singles);
            judged.extend(lines);
        }
    }
    let verdicts = sigstore_js(&tmp.join(KEY), &judged);
    assert_eq!(verdicts.len(), expected_bundles);
    let failed: Vec<_> = verdicts.iter().filter(|v| !v.2).collect();
    assert!(failed.is_empty(), "sigstore-js refused: {failed:#?}");

    // The checker really checks: another key fails every bundle.
    let other = tmp.join("other.pub");
    let k = tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::EcdsaP256);
    std::fs::write(&other, k.public().to_spki_pem()).unwrap();
    let verdicts = sigstore_js(&other, &judged[..2]);
    assert!(verdicts.iter().all(|v| !v.2), "{verdicts:?}");
}

/// (2) `report` and `package` read Sigstore bundles, in both layouts, and
/// a signed report given on its own.
#[test]
fn report_and_package_read_sigstore_bundles() {
    let tmp = Temp::new();
    for layout in ["files", "bundle"] {
        let out = format!("out-{layout}.json");
        let att = format!("att-{layout}");
        enrich(
            &tmp,
            PYPI,
            &out,
            &att,
            &["--envelope", "bundle", "--layout", layout],
        );
        let o = tacos(
            tmp.path(),
            &["report", &out, "--key", KEY, "--format", "json"],
        );
        assert_ok(&o);
        let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            summary["provenance"]["verification"], "verified",
            "{layout}"
        );
        assert_eq!(summary["packages"], 23, "{layout}");
        let report_file = summary["provenance"]["report_artifact"].as_str().unwrap();
        assert!(
            report_file.ends_with(".tacos-report.sigstore.json"),
            "{report_file}"
        );

        let reports = files_ending(&tmp.join(&att), ".tacos-report.sigstore.json");
        let o = tacos(
            tmp.path(),
            &[
                "report",
                reports[0].to_str().unwrap(),
                "--key",
                KEY,
                "--format",
                "json",
            ],
        );
        assert_ok(&o);
        let alone: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(alone["provenance"]["verification"], "verified");
        assert_eq!(alone["packages"], 23);

        let tar = format!("ev-{layout}.tar.gz");
        let o = tacos(tmp.path(), &["package", &out, "--key", KEY, "-o", &tar]);
        assert_ok(&o);
        let listing = std::process::Command::new("tar")
            .arg("tzf")
            .arg(tmp.join(&tar))
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&listing.stdout);
        let wanted = if layout == "files" {
            ".tacos.sigstore.json"
        } else {
            ".sigstore.jsonl"
        };
        assert!(listing.contains(wanted), "{layout}: {listing}");
        assert!(listing.contains(".tacos-report.sigstore.json"), "{listing}");
    }
}

/// The component objects of a CycloneDX JSON SBOM.
fn components(sbom: &Value) -> &Vec<Value> {
    sbom["components"].as_array().unwrap()
}

/// (3) One SBOM may reference bare envelopes and bundles, in files and in
/// JSON Lines files: each is read as what it is.
#[test]
fn an_sbom_mixing_both_forms_verifies() {
    let tmp = Temp::new();
    enrich(&tmp, PYPI, "bare.json", "att", &[]);
    enrich(
        &tmp,
        PYPI,
        "wrapped.json",
        "att",
        &["--envelope", "bundle", "--layout", "bundle"],
    );
    enrich(
        &tmp,
        PYPI,
        "wrapped-files.json",
        "att",
        &["--envelope", "bundle"],
    );
    let bare: Value =
        serde_json::from_slice(&std::fs::read(tmp.join("bare.json")).unwrap()).unwrap();
    let files: Value =
        serde_json::from_slice(&std::fs::read(tmp.join("wrapped-files.json")).unwrap()).unwrap();
    let mut mixed: Value =
        serde_json::from_slice(&std::fs::read(tmp.join("wrapped.json")).unwrap()).unwrap();
    // Every third component's references from the bare run, every third
    // from the run of single bundle files; the rest stay JSON Lines lines.
    let n = components(&mixed).len();
    for i in 0..n {
        let from = match i % 3 {
            0 => &bare,
            1 => &files,
            _ => continue,
        };
        let refs = components(from)[i]["externalReferences"].clone();
        mixed["components"][i]["externalReferences"] = refs;
    }
    let text = serde_json::to_string_pretty(&mixed).unwrap();
    for form in [
        ".tacos.dsse.json",
        ".tacos.sigstore.json",
        ".sigstore.jsonl#L",
    ] {
        assert!(text.contains(form), "the mix holds {form}");
    }
    std::fs::write(tmp.join("mixed.json"), text).unwrap();
    let o = verify(&tmp, "mixed.json");
    assert_ok(&o);
    assert!(
        stderr(&o).contains("24 of 24 TACOS references verified"),
        "{}",
        stderr(&o)
    );
    let o = tacos(
        tmp.path(),
        &["report", "mixed.json", "--key", KEY, "--format", "json"],
    );
    assert_ok(&o);
}

/// The reference of the component whose PURL holds `purl`: its URL.
fn url_of(sbom: &Value, purl: &str) -> String {
    for c in components(sbom) {
        if c["purl"].as_str().is_some_and(|p| p.contains(purl)) {
            for r in c["externalReferences"].as_array().unwrap() {
                if r["type"] == "attestation" {
                    return r["url"].as_str().unwrap().to_string();
                }
            }
        }
    }
    panic!("no reference for {purl}");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// (4) A bundle whose signature was swapped for another valid one, whose
/// payload was edited, whose media type is unknown, or whose verification
/// material is a certificate: our `verify` fails each, naming the
/// component and the file, even with the SBOM's digests brought up to
/// date; sigstore-js fails the swapped and the edited ones.
#[test]
fn tampered_bundles_fail_naming_the_component_and_the_file() {
    let tmp = Temp::new();
    enrich(&tmp, PYPI, "out.json", "att", &["--envelope", "bundle"]);
    assert_ok(&verify(&tmp, "out.json"));
    let mut sbom_text = std::fs::read_to_string(tmp.join("out.json")).unwrap();
    let sbom: Value = serde_json::from_str(&sbom_text).unwrap();
    let path_of = |purl: &str| tmp.join(&url_of(&sbom, purl));
    let read = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };

    let cases: [(&str, &str); 4] = [
        ("pypi/flask@", "signature does not match"),
        ("pypi/django@", "signature does not match"),
        (
            "pypi/jinja2@",
            "media type \"application/vnd.dev.sigstore.bundle.v0.4+json\"",
        ),
        ("pypi/requests@", "verificationMaterial is a certificate"),
    ];
    let donor = read(&path_of("pypi/click@"));
    let mut tampered = Vec::new();
    for (n, (purl, _)) in cases.iter().enumerate() {
        let path = path_of(purl);
        let before = std::fs::read(&path).unwrap();
        let mut v = read(&path);
        match n {
            // Another valid signature by the same key, over another payload.
            0 => {
                v["dsseEnvelope"]["signatures"][0]["sig"] =
                    donor["dsseEnvelope"]["signatures"][0]["sig"].clone()
            }
            // One statement value changed, the signature kept.
            1 => {
                let payload = unb64(v["dsseEnvelope"]["payload"].as_str().unwrap());
                let text = String::from_utf8(payload).unwrap();
                let edited = text.replacen("\"NOASSERTION\"", "\"True\"", 1);
                assert_ne!(edited, text);
                v["dsseEnvelope"]["payload"] = Value::String(b64(edited.as_bytes()));
            }
            2 => v["mediaType"] = Value::String(MEDIA_TYPE.replace("v0.3", "v0.4")),
            _ => {
                v["verificationMaterial"] = serde_json::json!({
                    "certificate": {"rawBytes": b64(b"not a certificate")}
                })
            }
        }
        let after = format!("{}\n", serde_json::to_string_pretty(&v).unwrap());
        std::fs::write(&path, &after).unwrap();
        // The SBOM is made to record the new bytes, so the digest check
        // passes and the bundle itself is judged.
        sbom_text = sbom_text.replace(&sha256_hex(&before), &sha256_hex(after.as_bytes()));
        tampered.push(path);
    }
    std::fs::write(tmp.join("out.json"), &sbom_text).unwrap();
    let o = verify(&tmp, "out.json");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    for ((purl, why), path) in cases.iter().zip(&tampered) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let line = said
            .lines()
            .find(|l| l.contains(*purl) && l.contains(&name))
            .unwrap_or_else(|| panic!("no failure names {purl} and {name}:\n{said}"));
        assert!(line.contains(why), "{line}");
    }
    assert!(
        said.contains("20 of 24 TACOS references verified"),
        "{said}"
    );

    // sigstore-js: the swapped and the edited fail; the untouched donor passes.
    let verdicts = sigstore_js(
        &tmp.join(KEY),
        &[
            tampered[0].clone(),
            tampered[1].clone(),
            path_of("pypi/click@"),
        ],
    );
    assert_eq!(
        verdicts.iter().map(|v| v.2).collect::<Vec<_>>(),
        [false, false, true],
        "{verdicts:#?}"
    );
    for v in &verdicts[..2] {
        assert!(v.3.contains("@sigstore/verify"), "{v:?}");
    }
}

/// A tampered line of a JSON Lines file of bundles fails naming the line.
#[test]
fn a_tampered_line_fails_naming_the_line() {
    let tmp = Temp::new();
    enrich(
        &tmp,
        PYPI,
        "out.json",
        "att",
        &["--envelope", "bundle", "--layout", "bundle"],
    );
    let lines_file = files_ending(&tmp.join("att"), ".sigstore.jsonl").remove(0);
    let text = std::fs::read_to_string(&lines_file).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let before = lines[2].clone();
    let mut v: Value = serde_json::from_str(&before).unwrap();
    v["messageSignature"] = serde_json::json!({"signature": "AAAA"});
    lines[2] = serde_json::to_string(&v).unwrap();
    std::fs::write(&lines_file, format!("{}\n", lines.join("\n"))).unwrap();
    let sbom = std::fs::read_to_string(tmp.join("out.json")).unwrap();
    let sbom = sbom.replace(
        &sha256_hex(before.as_bytes()),
        &sha256_hex(lines[2].as_bytes()),
    );
    std::fs::write(tmp.join("out.json"), sbom).unwrap();
    let o = verify(&tmp, "out.json");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    let name = lines_file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        said.lines().any(|l| l.contains("line 3 of ")
            && l.contains(&name)
            && l.contains("holds a messageSignature, not a DSSE envelope")),
        "{said}"
    );
}

/// `[output] envelope = "bundle"` in the config file asks for bundles;
/// `--envelope dsse` overrides it.
#[test]
fn the_config_file_chooses_the_envelope_and_the_flag_overrides_it() {
    let tmp = Temp::new();
    std::fs::write(
        tmp.join("tacos-sbom.toml"),
        "[output]\nenvelope = \"bundle\"\n",
    )
    .unwrap();
    enrich(&tmp, PYPI, "a.json", "att-a", &[]);
    let a = tmp.join("att-a");
    assert!(!files_ending(&a, ".tacos.sigstore.json").is_empty());
    assert!(files_ending(&a, ".dsse.json").is_empty());
    enrich(&tmp, PYPI, "b.json", "att-b", &["--envelope", "dsse"]);
    let b = tmp.join("att-b");
    assert!(files_ending(&b, ".sigstore.json").is_empty());
    assert!(!files_ending(&b, ".tacos.dsse.json").is_empty());
    for out in ["a.json", "b.json"] {
        assert_ok(&verify(&tmp, out));
    }
}
