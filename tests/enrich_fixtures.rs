//! Every JSON SBOM in the fixtures enriches, loses nothing, enriches
//! again idempotently, and still validates with the independent checkers.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// Files larger than this are schema-checked without the `iri-reference`
/// format: the checker's IRI grammar takes ~80 ms per URL, so a 2 MB SBOM
/// takes minutes. Their URLs other than ours are untouched input (checked
/// below), and ours are the same code path as in the smaller files, which are
/// checked in full.
const FULL_FORMAT_CHECK_MAX_BYTES: u64 = 250_000;

/// A component reference of ours.
fn is_component_ref(item: &Value, spdx: bool) -> bool {
    if spdx {
        item["referenceCategory"] == "OTHER" && item["referenceType"] == "tacos-attestation"
    } else {
        item["comment"]
            .as_str()
            .is_some_and(|c| c.starts_with(MARKER))
    }
}

/// Any reference of ours: a component's, or the application report's.
fn is_ours(item: &Value, spdx: bool) -> bool {
    is_component_ref(item, spdx)
        || if spdx {
            item["referenceCategory"] == "OTHER" && item["referenceType"] == "tacos-report"
        } else {
            item["comment"]
                .as_str()
                .is_some_and(|c| c.starts_with("TACOS report"))
        }
}

/// Remove what enrich is allowed to add from `out`, walking `inp` alongside.
fn strip_refs(out: &mut Value, inp: Option<&Value>, spdx: bool) {
    match out {
        Value::Object(map) => {
            let list_key = if spdx {
                "externalRefs"
            } else {
                "externalReferences"
            };
            if let Some(Value::Array(items)) = map.get_mut(list_key) {
                items.retain(|i| !is_ours(i, spdx));
                if items.is_empty() && inp.and_then(|i| i.get(list_key)).is_none() {
                    map.shift_remove(list_key);
                }
            }
            for (k, v) in map.iter_mut() {
                strip_refs(v, inp.and_then(|i| i.get(k)), spdx);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                strip_refs(v, inp.and_then(|x| x.get(i)), spdx);
            }
        }
        _ => {}
    }
}

/// Undo the document-level changes enrich may make, checking each.
fn strip_document_changes(out: &mut Value, inp: &Value, spdx: bool) {
    if spdx {
        let creators = out["creationInfo"]["creators"].as_array_mut().unwrap();
        let before = creators.len();
        creators.retain(|c| !c.as_str().unwrap().starts_with("Tool: tacos-sbom-"));
        assert_eq!(before, creators.len() + 1, "one tool creator added");
        assert_eq!(out["creationInfo"]["created"], "2026-11-23T00:00:00Z");
        out["creationInfo"]["created"] = inp["creationInfo"]["created"].clone();
        let new_ns = out["documentNamespace"].as_str().unwrap().to_string();
        let old_ns = inp["documentNamespace"].as_str().unwrap();
        assert_ne!(
            new_ns, old_ns,
            "a changed SPDX document gets a new namespace"
        );
        assert!(
            new_ns.starts_with(old_ns.trim_end_matches('/')),
            "{new_ns} keeps {old_ns}"
        );
        out["documentNamespace"] = inp["documentNamespace"].clone();
        return;
    }
    let old_version = inp.get("version").and_then(Value::as_u64).unwrap_or(1);
    assert_eq!(
        out["version"].as_u64(),
        Some(old_version + 1),
        "version incremented"
    );
    match inp.get("version") {
        Some(v) => out["version"] = v.clone(),
        None => {
            out.as_object_mut().unwrap().shift_remove("version");
        }
    }
    let md_in = inp.get("metadata");
    let tools_in = md_in.and_then(|m| m.get("tools"));
    let md = out["metadata"].as_object_mut().expect("metadata");
    let tools = md.get_mut("tools").expect("tools");
    let is_tool = |t: &Value| t["name"] == "tacos-sbom";
    let list = match tools {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get_mut("components")
            .and_then(Value::as_array_mut)
            .unwrap(),
        _ => panic!("tools is neither array nor object"),
    };
    assert_eq!(
        list.iter().filter(|t| is_tool(t)).count(),
        1,
        "tool listed once"
    );
    list.retain(|t| !is_tool(t));
    if list.is_empty()
        && tools_in.and_then(|t| t.get("components")).is_none()
        && let Some(o) = md.get_mut("tools").and_then(Value::as_object_mut)
    {
        o.shift_remove("components");
    }
    if tools_in.is_none() {
        md.shift_remove("tools");
    }
    if md_in.is_none() {
        out.as_object_mut().unwrap().shift_remove("metadata");
    }
}

struct Enriched {
    input: PathBuf,
    output: PathBuf,
    spdx: bool,
    refs: usize,
}

fn enrich_one(tmp: &Temp, fixture: &Path, idx: usize) -> Enriched {
    let name = format!("in{idx}-{}", fixture.file_name().unwrap().to_string_lossy());
    let input = tmp.copy_in(fixture, &name);
    let out_name = format!("out{idx}.json");
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            &name,
            "-o",
            &out_name,
            "--attestations-dir",
            "att",
        ],
    );
    assert_ok(&o);
    let output = tmp.join(&out_name);
    let (in_text, in_encoding) = read_text(&input);
    let (out_text, out_encoding) = read_text(&output);
    assert_eq!(
        in_encoding, out_encoding,
        "written in the encoding it came in"
    );
    let inp: Value = serde_json::from_str(&in_text).unwrap();
    let mut out: Value = serde_json::from_str(&out_text).unwrap();
    let spdx = inp.get("spdxVersion").is_some();

    // Every reference names an artifact that exists, with its digest.
    let mut refs = 0;
    let mut stack = vec![&out];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if is_ours(v, spdx) {
                    refs += usize::from(is_component_ref(v, spdx));
                    let url = v[if spdx { "referenceLocator" } else { "url" }]
                        .as_str()
                        .unwrap();
                    assert!(url.starts_with("att/"), "{url}");
                    assert!(tmp.join(url).exists(), "{url} exists");
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    let line = stderr(&o);
    assert!(
        line.contains(&format!(
            "{refs} {} written",
            if refs == 1 { "reference" } else { "references" }
        )),
        "{}: summary disagrees with the {refs} references in the output:\n{line}",
        fixture.display()
    );

    // Lossless: structure, values and key order, compared by serde_json.
    strip_refs(&mut out, Some(&inp), spdx);
    strip_document_changes(&mut out, &inp, spdx);
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&inp).unwrap(),
        "{}: the output minus allowed changes differs from the input",
        fixture.display()
    );
    // Lossless: no lexeme rewritten (number formats, string escapes).
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in raw_tokens(&in_text) {
        *counts.entry(t).or_default() += 1;
    }
    for t in raw_tokens(&out_text) {
        *counts.entry(t).or_default() -= 1;
    }
    let lost: Vec<_> = counts.iter().filter(|(_, n)| **n > 0).collect();
    let allowed = if spdx { 2 } else { 1 }; // created + namespace, or version
    assert!(
        lost.len() <= allowed,
        "{}: lexemes of the input missing from the output: {lost:?}",
        fixture.display()
    );
    Enriched {
        input,
        output,
        spdx,
        refs,
    }
}

#[test]
fn every_json_fixture_enriches_losslessly_and_idempotently() {
    let fixtures = json_sbom_fixtures();
    assert!(fixtures.len() >= 20, "found {} fixtures", fixtures.len());
    let tmp = Temp::new();
    let mut results = Vec::new();
    for (i, f) in fixtures.iter().enumerate() {
        results.push(enrich_one(&tmp, f, i));
    }
    assert!(results.iter().map(|r| r.refs).sum::<usize>() > 4000);

    // Enriching an output again changes only version / created / namespace:
    // the references are replaced, not duplicated.
    for r in &results {
        let again = r.output.with_extension("again.json");
        let o = tacos(
            tmp.path(),
            &[
                "enrich",
                r.output.to_str().unwrap(),
                "-o",
                again.to_str().unwrap(),
                "--attestations-dir",
                "att",
            ],
        );
        assert_ok(&o);
        assert!(stderr(&o).contains("(0 written,"), "{}", stderr(&o));
        let first: Value = serde_json::from_str(&read_text(&r.output).0).unwrap();
        let mut second: Value = serde_json::from_str(&read_text(&again).0).unwrap();
        if r.spdx {
            second["documentNamespace"] = first["documentNamespace"].clone();
        } else {
            assert_eq!(
                second["version"].as_u64(),
                first["version"].as_u64().map(|v| v + 1)
            );
            second["version"] = first["version"].clone();
        }
        assert_eq!(
            serde_json::to_string(&second).unwrap(),
            serde_json::to_string(&first).unwrap(),
            "{}: re-enriching changed more than the version/namespace",
            r.input.display()
        );
    }

    // The independent checkers judge every output.
    let cdx: Vec<&Enriched> = results.iter().filter(|r| !r.spdx).collect();
    let (small, large): (Vec<&&Enriched>, Vec<&&Enriched>) = cdx
        .iter()
        .partition(|r| std::fs::metadata(&r.input).unwrap().len() <= FULL_FORMAT_CHECK_MAX_BYTES);
    for (group, skip) in [(&small, &[][..]), (&large, &["iri-reference"][..])] {
        let runs: Vec<Vec<String>> = group
            .iter()
            .map(|r| vec![r.output.to_string_lossy().into_owned()])
            .collect();
        for (r, (code, text)) in group
            .iter()
            .zip(judge_batch("validate-cdx.py", &runs, skip))
        {
            assert_eq!(
                code,
                0,
                "{} is not valid CycloneDX:\n{text}",
                r.input.display()
            );
            assert!(text.contains("official pass"), "{text}");
        }
    }
    for r in results.iter().filter(|r| r.spdx) {
        let errors = |p: &Path| {
            let (_, text) = judge("validate-spdx.sh", &[p.to_str().unwrap()]);
            let mut lines: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("  ") && !l.contains("ERROR:root"))
                .map(str::to_string)
                .collect();
            lines.sort();
            lines.dedup();
            (text, lines)
        };
        let (_, before) = errors(&utf8_for_checkers(&r.input));
        let (text, after) = errors(&utf8_for_checkers(&r.output));
        let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        assert!(
            new.is_empty(),
            "{}: enrich introduced SPDX validation errors: {new:?}\n{text}",
            r.input.display()
        );
        if !text.contains("[json-schema] skipped") {
            assert!(
                text.contains("[json-schema] ok"),
                "{}: {text}",
                r.input.display()
            );
        }
    }
}

#[test]
fn cyclonedx_bom_crate_lints_1_3_to_1_5_outputs() {
    use cyclonedx_bom::prelude::*;
    let tmp = Temp::new();
    let mut linted = 0;
    for (i, f) in json_sbom_fixtures().iter().enumerate() {
        let (text, _) = read_text(f);
        let v: Value = serde_json::from_str(&text).unwrap();
        let spec = v["specVersion"].as_str().unwrap_or_default();
        let version = match spec {
            "1.3" => SpecVersion::V1_3,
            "1.4" => SpecVersion::V1_4,
            "1.5" => SpecVersion::V1_5,
            _ => continue,
        };
        // Lint only what the crate accepts as input; we compare its verdicts.
        let Ok(before) = Bom::parse_from_json(text.as_bytes()) else {
            continue;
        };
        let r = enrich_one(&tmp, f, i);
        let after = Bom::parse_from_json(std::fs::read(&r.output).unwrap().as_slice())
            .unwrap_or_else(|e| {
                panic!("{}: cyclonedx-bom cannot read the output: {e}", f.display())
            });
        let ok_before = before.validate_version(version).passed();
        let ok_after = after.validate_version(version).passed();
        assert!(
            ok_after || !ok_before,
            "{}: cyclonedx-bom finds the output invalid: {:?}",
            f.display(),
            after.validate_version(version)
        );
        linted += 1;
    }
    assert!(linted >= 5, "linted {linted} documents");
}
