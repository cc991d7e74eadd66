//! Every CycloneDX XML, SPDX tag-value and SPDX 3 fixture enriches, loses
//! nothing (by its format's comparison helper), stays valid by the
//! independent checkers, verifies, and re-enriches without duplicates; in the
//! encoding it came in.

mod common;

use std::path::{Path, PathBuf};

use common::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CdxXml,
    TagValue,
    Spdx3,
}

/// Classify a fixture by its content, independently of the tool.
fn kind_of(path: &Path) -> Option<Kind> {
    let (text, _) = read_text(path);
    let head = text.trim_start();
    if head.starts_with('<') {
        let ns = head.find("cyclonedx.org/schema/bom/1.")?;
        let minor = head[ns + "cyclonedx.org/schema/bom/1.".len()..]
            .chars()
            .next()?;
        return (('2'..='7').contains(&minor)).then_some(Kind::CdxXml);
    }
    if head.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        return v["@context"]
            .to_string()
            .contains("spdx.org/rdf/3")
            .then_some(Kind::Spdx3);
    }
    text.lines()
        .any(|l| l.starts_with("SPDXVersion: SPDX-2."))
        .then_some(Kind::TagValue)
}

fn fixtures_of(kind: Kind) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixture("sbom")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if kind_of(&p) == Some(kind) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

struct Enriched {
    fixture: PathBuf,
    input: PathBuf,
    output: PathBuf,
    /// References added, by the format's comparison helper.
    refs: usize,
    /// Whether one of them is the application report's.
    report: bool,
}

/// The format's comparison: the references it found, or why it failed.
fn lossless(kind: Kind, input: &str, output: &str) -> Result<usize, String> {
    match kind {
        Kind::CdxXml => xml_lossless(input, output).map(|blocks| {
            blocks
                .iter()
                .map(|b| b.matches("reference type=\"").count())
                .sum()
        }),
        Kind::TagValue => tagvalue_lossless(input, output),
        Kind::Spdx3 => spdx3_lossless(input, output),
    }
}

fn file_name_for(fixture: &Path, prefix: &str, idx: usize) -> String {
    format!(
        "{prefix}{idx}-{}",
        fixture.file_name().unwrap().to_string_lossy()
    )
}

fn enrich_all(tmp: &Temp, kind: Kind, files: &[PathBuf]) -> Vec<Enriched> {
    let mut results = Vec::new();
    for (idx, f) in files.iter().enumerate() {
        let name = file_name_for(f, "in", idx);
        let input = tmp.copy_in(f, &name);
        let out_name = file_name_for(f, "out", idx);
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
        let (in_text, in_enc) = read_text(&input);
        let (out_text, out_enc) = read_text(&output);
        assert_eq!(
            in_enc,
            out_enc,
            "{}: written in another encoding",
            f.display()
        );
        let refs = lossless(kind, &in_text, &out_text)
            .unwrap_or_else(|e| panic!("{}: not lossless: {e}", f.display()));
        // Every reference written is in the output (the application report
        // is counted apart from the components' references).
        let err = stderr(&o);
        let written: usize = err
            .lines()
            .find_map(|l| {
                let (_, rest) = l.split_once(" with PURL, ")?;
                rest.split_whitespace().next()?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no summary line:\n{err}"));
        let report = usize::from(err.contains("application report for"));
        assert_eq!(
            refs,
            written + report,
            "{}: {refs} references in the output, {written} + {report} reported:\n{err}",
            f.display()
        );
        results.push(Enriched {
            fixture: f.clone(),
            input,
            output,
            refs,
            report: report == 1,
        });
    }
    results
}

/// `verify` proves every reference written; enriching again changes only
/// what a new run must change, and adds no reference.
fn verify_and_reenrich(tmp: &Temp, kind: Kind, results: &[Enriched]) {
    for r in results {
        let out = r.output.to_str().unwrap();
        let o = tacos(
            tmp.path(),
            &[
                "verify",
                out,
                "--key",
                ".tacos-config/signing.pub",
                "--attestations-dir",
                "att",
            ],
        );
        let all = format!("{} of {} TACOS references verified", r.refs, r.refs);
        assert!(
            stderr(&o).contains(&all),
            "{}: {}{}",
            r.fixture.display(),
            stdout(&o),
            stderr(&o)
        );
        if r.refs == 0 {
            // Nothing was attested (no PURLs, no described package to hold
            // the report): there is nothing to verify, verify says so, and
            // enrich's output passes it (issue 19).
            assert_ok(&o);
            assert!(
                stderr(&o).contains("nothing to verify: no component has a package URL"),
                "{}",
                stderr(&o)
            );
        } else {
            // An SBOM whose only reference is the application report (no
            // component has a PURL) verifies too, and says so.
            assert_ok(&o);
            if r.refs == usize::from(r.report) {
                assert!(stderr(&o).contains("no component"), "{}", stderr(&o));
            }
        }
        let again = r.output.with_file_name(format!(
            "again-{}",
            r.output.file_name().unwrap().to_string_lossy()
        ));
        let o = tacos(
            tmp.path(),
            &[
                "enrich",
                out,
                "-o",
                again.to_str().unwrap(),
                "--attestations-dir",
                "att",
            ],
        );
        assert_ok(&o);
        let (first, enc1) = read_text(&r.output);
        let (second, enc2) = read_text(&again);
        assert_eq!(enc1, enc2);
        let added = lossless(kind, &first, &second)
            .unwrap_or_else(|e| panic!("{}: re-enriching changed more: {e}", r.fixture.display()));
        assert_eq!(
            added,
            0,
            "{}: re-enriching added references",
            r.fixture.display()
        );
    }
}

#[test]
fn every_cyclonedx_xml_fixture() {
    let files = fixtures_of(Kind::CdxXml);
    assert!(files.len() >= 10, "{files:?}");
    let tmp = Temp::new();
    let results = enrich_all(&tmp, Kind::CdxXml, &files);
    assert!(results.iter().map(|r| r.refs).sum::<usize>() > 1500);
    let versions: std::collections::BTreeSet<String> = files
        .iter()
        .map(|f| {
            let (t, _) = read_text(f);
            let at = t.find("schema/bom/1.").unwrap() + "schema/bom/".len();
            t[at..at + 3].to_string()
        })
        .collect();
    assert_eq!(
        versions.into_iter().collect::<Vec<_>>(),
        ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"]
    );
    // The official XSD judges every output whose input it accepts.
    let runs = |paths: Vec<&PathBuf>| -> Vec<Vec<String>> {
        paths
            .into_iter()
            .map(|p| vec![utf8_for_checkers(p).to_string_lossy().into_owned()])
            .collect()
    };
    let before = judge_batch(
        "validate-cdx.py",
        &runs(results.iter().map(|r| &r.input).collect()),
        &[],
    );
    let after = judge_batch(
        "validate-cdx.py",
        &runs(results.iter().map(|r| &r.output).collect()),
        &[],
    );
    for ((r, (b, _)), (a, text)) in results.iter().zip(before).zip(after) {
        assert!(
            a == 0 || b != 0,
            "{}: the output is not valid CycloneDX XML:\n{text}",
            r.fixture.display()
        );
        assert_eq!(b, 0, "{}: the input is not valid", r.fixture.display());
    }
    verify_and_reenrich(&tmp, Kind::CdxXml, &results);
}

/// Messages of a checker's errors (indented lines), for comparing the input's
/// with the output's.
fn checker_errors(script: &str, path: &Path) -> (String, Vec<String>) {
    let (_, text) = judge(script, &[utf8_for_checkers(path).to_str().unwrap()]);
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.contains("ERROR:root"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines.dedup();
    (text, lines)
}

#[test]
fn every_spdx_tag_value_fixture() {
    let files = fixtures_of(Kind::TagValue);
    assert!(files.len() >= 10, "{files:?}");
    let tmp = Temp::new();
    let results = enrich_all(&tmp, Kind::TagValue, &files);
    assert!(results.iter().map(|r| r.refs).sum::<usize>() >= 10);
    // spdx-tools finds no error in an output that it did not find in its input.
    for r in &results {
        let (_, before) = checker_errors("validate-spdx.sh", &r.input);
        let (text, after) = checker_errors("validate-spdx.sh", &r.output);
        let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        assert!(
            new.is_empty(),
            "{}: enrich introduced SPDX errors: {new:?}\n{text}",
            r.fixture.display()
        );
        if before.is_empty() {
            assert!(
                text.contains("VALID") && !text.contains("INVALID"),
                "{text}"
            );
        }
    }
    verify_and_reenrich(&tmp, Kind::TagValue, &results);
}

#[test]
fn every_spdx3_fixture() {
    let files = fixtures_of(Kind::Spdx3);
    assert!(files.len() >= 6, "{files:?}");
    let tmp = Temp::new();
    let results = enrich_all(&tmp, Kind::Spdx3, &files);
    assert!(results.iter().map(|r| r.refs).sum::<usize>() >= 5);
    // spdx-python-model finds no error in an output that it did not find in
    // its input.
    for r in &results {
        let (_, before) = checker_errors("validate-spdx3.py", &r.input);
        let (text, after) = checker_errors("validate-spdx3.py", &r.output);
        assert!(text.contains("spdx-python-model"), "{text}");
        let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        assert!(
            new.is_empty(),
            "{}: enrich introduced SPDX 3 errors: {new:?}\n{text}",
            r.fixture.display()
        );
        if before.is_empty() {
            assert!(text.contains("validate-spdx3: VALID"), "{text}");
        }
    }
    verify_and_reenrich(&tmp, Kind::Spdx3, &results);
}

/// UTF-16 (both byte orders) and UTF-8 with a byte-order mark come back in
/// the encoding they came in, losslessly, for JSON and XML.
#[test]
fn encodings_are_read_and_written_back_as_they_came() {
    let tmp = Temp::new();
    let xml = read_text(&fixture("sbom/generated/pypi-flask-django-env.cdx15.xml")).0;
    let json = read_text(&fixture("sbom/generated/pypi-flask-django-env.cdx16.json")).0;
    let encode = |text: &str, enc: &str| -> Vec<u8> {
        match enc {
            "UTF-16LE" => [0xFF, 0xFE]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            "UTF-16BE" => [0xFE, 0xFF]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
            _ => [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect(),
        }
    };
    for (i, enc) in ["UTF-16LE", "UTF-16BE", "UTF-8 BOM"].iter().enumerate() {
        for (text, ext) in [(&xml, "xml"), (&json, "json")] {
            let name = format!("in{i}.{ext}");
            std::fs::write(tmp.join(&name), encode(text, enc)).unwrap();
            let out = format!("out{i}.{ext}");
            let o = tacos(
                tmp.path(),
                &["enrich", &name, "-o", &out, "--attestations-dir", "att"],
            );
            assert_ok(&o);
            if enc.starts_with("UTF-16") {
                assert!(
                    stderr(&o).contains(&format!("in {enc}, ")),
                    "{}",
                    stderr(&o)
                );
            }
            let (out_text, out_enc) = read_text(&tmp.join(&out));
            assert_eq!(out_enc, *enc, "{name}");
            if ext == "xml" {
                let blocks = xml_lossless(text, &out_text).unwrap();
                assert!(blocks.len() >= 20, "{name}: {} blocks", blocks.len());
                let (code, report) = judge(
                    "validate-cdx.py",
                    &[utf8_for_checkers(&tmp.join(&out)).to_str().unwrap()],
                );
                assert_eq!(code, 0, "{report}");
            } else {
                let a: serde_json::Value = serde_json::from_str(text).unwrap();
                let b: serde_json::Value = serde_json::from_str(&out_text).unwrap();
                assert_eq!(
                    a["components"].as_array().unwrap().len(),
                    b["components"].as_array().unwrap().len()
                );
                assert!(out_text.contains("TACOS attestation for pkg:pypi/flask@1.1.2"));
            }
            let o = tacos(
                tmp.path(),
                &[
                    "verify",
                    &out,
                    "--key",
                    ".tacos-config/signing.pub",
                    "--attestations-dir",
                    "att",
                ],
            );
            assert_ok(&o);
        }
    }
}

/// Layouts the real fixtures do not show, written by hand: namespace
/// prefixes, an empty `<bom/>`, an empty `<externalReferences/>`, one-line
/// XML, CRLF with tabs, tools holding only services, vendor elements; for
/// tag-value a last line without a line end and CRLF; for SPDX 3 a PURL in
/// `externalIdentifier` and an inline `CreationInfo`. Each output is
/// lossless, valid by the independent checker, and verifies.
#[test]
fn hand_written_edge_cases() {
    let tmp = Temp::new();
    let xml_cases = [
        (
            "prefixed.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cdx:bom xmlns:cdx=\"http://cyclonedx.org/schema/bom/1.5\" xmlns:v=\"urn:vendor\" version=\"3\">\n  <cdx:components>\n    <cdx:component type=\"library\" bom-ref=\"a\">\n      <cdx:name>left-pad</cdx:name>\n      <cdx:version>1.3.0</cdx:version>\n      <cdx:purl>pkg:npm/left-pad@1.3.0</cdx:purl>\n      <cdx:externalReferences/>\n      <cdx:properties><cdx:property name=\"p\">q</cdx:property></cdx:properties>\n      <v:extra>vendor &amp; co</v:extra>\n    </cdx:component>\n    <cdx:component type=\"library\">\n      <cdx:name><![CDATA[is-odd]]></cdx:name>\n      <cdx:purl>pkg:npm/is-odd@3.0.1</cdx:purl>\n      <!-- no references yet -->\n    </cdx:component>\n  </cdx:components>\n</cdx:bom>\n",
        ),
        (
            "empty.xml",
            "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\"/>\n",
        ),
        (
            "oneline.xml",
            "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" version=\"1\"><components><component type=\"library\"><name>a</name><version>1.0.0</version><purl>pkg:npm/a@1.0.0</purl></component></components></bom>",
        ),
        (
            "crlf.xml",
            "<?xml version=\"1.0\"?>\r\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.3\" version=\"7\">\r\n\t<metadata>\r\n\t\t<timestamp>2020-01-01T00:00:00Z</timestamp>\r\n\t\t<component type=\"application\">\r\n\t\t\t<name>app</name>\r\n\t\t\t<version>1</version>\r\n\t\t</component>\r\n\t</metadata>\r\n\t<components>\r\n\t\t<component type=\"library\">\r\n\t\t\t<name>b</name>\r\n\t\t\t<version>2.0</version>\r\n\t\t\t<purl>pkg:pypi/b@2.0</purl>\r\n\t\t</component>\r\n\t</components>\r\n</bom>\r\n",
        ),
        (
            "services.xml",
            "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" version=\"1\">\n  <metadata>\n    <tools>\n      <services>\n        <service>\n          <name>scanner</name>\n        </service>\n      </services>\n    </tools>\n  </metadata>\n  <components>\n    <component type=\"library\">\n      <name>c</name>\n      <purl>pkg:cargo/c@0.1.0</purl>\n    </component>\n  </components>\n</bom>\n",
        ),
    ];
    for (name, text) in xml_cases {
        std::fs::write(tmp.join(name), text).unwrap();
        let out = format!("out-{name}");
        let o = tacos(
            tmp.path(),
            &["enrich", name, "-o", &out, "--attestations-dir", "att"],
        );
        assert_ok(&o);
        let (written, _) = read_text(&tmp.join(&out));
        xml_lossless(text, &written).unwrap_or_else(|e| panic!("{name}: {e}\n{written}"));
        let (code, report) = judge("validate-cdx.py", &[tmp.join(&out).to_str().unwrap()]);
        assert_eq!(code, 0, "{name}:\n{written}\n{report}");
        let o = tacos(
            tmp.path(),
            &[
                "verify",
                &out,
                "--key",
                ".tacos-config/signing.pub",
                "--attestations-dir",
                "att",
            ],
        );
        if name == "empty.xml" {
            // Only the report is referenced: see `verify_and_reenrich`.
            assert!(stderr(&o).contains("1 of 1 TACOS references verified"));
        } else {
            assert_ok(&o);
        }
        if name == "prefixed.xml" {
            assert!(
                written.contains("<cdx:reference type=\"attestation\">"),
                "{written}"
            );
            assert!(written.contains("<v:extra>vendor &amp; co</v:extra>"));
        }
    }

    let tag_value = "SPDXVersion: SPDX-2.3\r\nDataLicense: CC0-1.0\r\nSPDXID: SPDXRef-DOCUMENT\r\nDocumentName: edge\r\nDocumentNamespace: https://example.com/edge\r\nCreator: Person: A\r\nCreated: 2020-01-01T00:00:00Z\r\n\r\n# the package\r\nPackageName: left-pad\r\nSPDXID: SPDXRef-left-pad\r\nPackageVersion: 1.3.0\r\nPackageDownloadLocation: NOASSERTION\r\nFilesAnalyzed: false\r\nPackageComment: <text>two\r\nlines: with a colon</text>\r\nExternalRef: PACKAGE-MANAGER purl pkg:npm/left-pad@1.3.0\r\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app\r\n\r\nPackageName: app\r\nSPDXID: SPDXRef-app\r\nPackageDownloadLocation: NOASSERTION\r\nFilesAnalyzed: false\r\nExternalRef: PACKAGE-MANAGER purl pkg:npm/app@2.0.0";
    std::fs::write(tmp.join("edge.spdx"), tag_value).unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "edge.spdx",
            "-o",
            "out-edge.spdx",
            "--attestations-dir",
            "att",
        ],
    );
    assert_ok(&o);
    let (written, _) = read_text(&tmp.join("out-edge.spdx"));
    assert_eq!(tagvalue_lossless(tag_value, &written), Ok(2), "{written}");
    let (code, report) = judge(
        "validate-spdx.sh",
        &[tmp.join("out-edge.spdx").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{written}\n{report}");

    let spdx3 = serde_json::json!({
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
            {"type": "Person", "spdxId": "https://example.com/edge/person",
             "name": "A", "creationInfo": "_:ci"},
            {"type": "CreationInfo", "@id": "_:ci", "specVersion": "3.0.1",
             "createdBy": ["https://example.com/edge/person"], "created": "2020-01-01T00:00:00Z"},
            {"type": "SpdxDocument", "spdxId": "https://example.com/edge/doc",
             "creationInfo": {"type": "CreationInfo", "specVersion": "3.0.1",
                              "createdBy": ["https://example.com/edge/person"],
                              "created": "2020-01-01T00:00:00Z"},
             "rootElement": ["https://example.com/edge/app"]},
            {"type": "software_Package", "spdxId": "https://example.com/edge/app",
             "name": "app", "creationInfo": "_:ci", "software_packageVersion": "2.0.0"},
            {"type": "software_Package", "spdxId": "https://example.com/edge/left-pad",
             "name": "left-pad", "creationInfo": "_:ci",
             "externalIdentifier": [{"type": "ExternalIdentifier",
                                     "externalIdentifierType": "packageUrl",
                                     "identifier": "pkg:npm/left-pad@1.3.0"}]}
        ]
    });
    let text = serde_json::to_string_pretty(&spdx3).unwrap();
    std::fs::write(tmp.join("edge.spdx3.json"), &text).unwrap();
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "edge.spdx3.json",
            "-o",
            "out-edge.spdx3.json",
            "--attestations-dir",
            "att",
        ],
    );
    assert_ok(&o);
    let (written, _) = read_text(&tmp.join("out-edge.spdx3.json"));
    assert_eq!(spdx3_lossless(&text, &written), Ok(2), "{written}");
    let (code, report) = judge(
        "validate-spdx3.py",
        &[tmp.join("out-edge.spdx3.json").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{written}\n{report}");
    for out in ["out-edge.spdx", "out-edge.spdx3.json"] {
        let o = tacos(
            tmp.path(),
            &[
                "verify",
                out,
                "--key",
                ".tacos-config/signing.pub",
                "--attestations-dir",
                "att",
            ],
        );
        assert_ok(&o);
    }
}
