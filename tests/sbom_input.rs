//! SBOM input the `sbom` module must survive: regressions, wrong JSON
//! types, size bounds, encodings and formats it refuses by name. Each bad
//! case exits 2 with a message naming the file and the problem, panics
//! nowhere and writes nothing.

mod common;

use common::*;

fn write(tmp: &Temp, name: &str, bytes: &[u8]) {
    std::fs::write(tmp.join(name), bytes).unwrap();
}

/// Run the binary and check the failure contract: exit 2, the expected
/// words in stderr, no panic, no file written (the key directory aside).
#[track_caller]
fn refused(tmp: &Temp, args: &[&str], expect_in_message: &[&str]) -> String {
    let keep = |f: &String| !f.starts_with(".tacos-config/") && !f.starts_with(".cache/");
    let before: Vec<String> = tmp.files().into_iter().filter(keep).collect();
    let o = tacos(tmp.path(), args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for e in expect_in_message {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    let after: Vec<String> = tmp.files().into_iter().filter(keep).collect();
    assert_eq!(after, before, "no file may be written:\n{err}");
    err
}

/// Refused as input to `enrich`, and as input to `verify`.
#[track_caller]
fn refused_everywhere(tmp: &Temp, name: &str, expect: &[&str]) {
    refused(tmp, &["enrich", name], expect);
    let o = tacos(tmp.path(), &["verify", name]);
    assert_eq!(o.status.code(), Some(2), "verify {name}: {}", stderr(&o));
    for e in expect {
        assert!(
            stderr(&o).contains(e),
            "verify: expected {e:?} in {}",
            stderr(&o)
        );
    }
}

fn fixture_text(rel: &str) -> String {
    read_text(&fixture(rel)).0
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

/// Issue 8, item 4: a field the tool reads with the wrong JSON type is bad
/// input, named with its JSON path and the type found; nothing is written.
#[test]
fn wrong_json_types_are_bad_input() {
    let tmp = Temp::new();
    for (i, (doc, path_and_type)) in [
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {"a": 1}}"#,
            "$.components is an object; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "x"}"#,
            "$.components is a string; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": 7}"#,
            "$.components is a number; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": null}"#,
            "$.components is null; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a", "purl": "pkg:npm/a@1"}, {"name": "b", "purl": "pkg:npm/b@1"}, {"name": "c", "purl": "pkg:npm/c@1"}, {"name": "d", "purl": "pkg:npm/d@1", "externalReferences": {}}]}"#,
            "$.components[3].externalReferences is an object; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": 1.6}"#,
            "$.specVersion is a number; expected a string",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "a", "hashes": "SHA-1:x"}]}"#,
            "$.components[0].hashes is a string; expected an array",
        ),
        (
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "a", "purl": ["pkg:npm/a@1"]}]}"#,
            "$.components[0].purl is an array; expected a string",
        ),
        (
            r#"{"spdxVersion": "SPDX-2.3", "packages": {"SPDXID": "SPDXRef-a"}}"#,
            "$.packages is an object; expected an array",
        ),
        (
            r#"{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "SPDXRef-a", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": 5}]}]}"#,
            "$.packages[0].externalRefs[0].referenceLocator is a number; expected a string",
        ),
        (
            r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [{"type": "software_Package", "spdxId": "urn:x", "software_packageUrl": 5}]}"#,
            "$[\"@graph\"][0].software_packageUrl is a number; expected a string",
        ),
        (
            r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [{"type": "software_Package", "spdxId": "urn:x", "externalRef": {"locator": ["x"]}}]}"#,
            "$[\"@graph\"][0].externalRef is an object; expected an array",
        ),
        (
            r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": {}}"#,
            "$[\"@graph\"] is an object; expected an array",
        ),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("t{i}.json");
        write(&tmp, &name, doc.as_bytes());
        refused_everywhere(&tmp, &name, &[&format!("{name}: {path_and_type}")]);
    }
}

/// The same discipline in XML and tag-value: what the tool reads must have
/// the shape it reads.
#[test]
fn wrong_shapes_in_xml_and_tag_value_are_bad_input() {
    let tmp = Temp::new();
    let xml = fixture_text("sbom/generated/pypi-flask-django-env.cdx15.xml");
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            xml.replacen("<purl>", "<purl><x>", 1)
                .replacen("</purl>", "</x></purl>", 1),
            "a.xml",
            vec![
                "a.xml: line",
                "(<purl>): <purl> has child elements; expected text",
            ],
        ),
        (
            xml.replacen("version=\"1\"", "version=\"one\"", 1),
            "b.xml",
            vec![
                "b.xml: line 2",
                "the version attribute is \"one\", expected an integer",
            ],
        ),
        (
            xml[..xml.len() / 2].to_string(),
            "c.xml",
            vec!["c.xml: invalid XML at line", "is the file truncated?"],
        ),
        (
            xml.replacen("<bom ", "<bom a=\"1\" a=\"2\" ", 1),
            "d.xml",
            vec!["d.xml: invalid XML at line 2", "appears twice"],
        ),
        (
            xml.replacen("<name>", "<name>&nbsp;", 1),
            "e.xml",
            vec!["e.xml: invalid XML at line", "&nbsp; is not defined"],
        ),
    ];
    let tv = fixture_text("sbom/spdx/tools-python/SPDXTagExample-v2.3.spdx");
    let first_pkg = tv.find("PackageName:").unwrap();
    let pkg_id_line = first_pkg + tv[first_pkg..].find("SPDXID:").unwrap();
    let pkg_id_end = pkg_id_line + tv[pkg_id_line..].find('\n').unwrap() + 1;
    let doc_id = "SPDXID: SPDXRef-DOCUMENT";
    let tv_cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            format!("{}{}", &tv[..pkg_id_line], &tv[pkg_id_end..]),
            "f.spdx",
            vec!["f.spdx: line", "has no SPDXID"],
        ),
        (
            format!("{}{doc_id}\n{}", &tv[..pkg_id_line], &tv[pkg_id_end..]),
            "g.spdx",
            vec![
                "g.spdx: line",
                "the SPDXID \"SPDXRef-DOCUMENT\" is also used on line",
            ],
        ),
        (
            tv.replacen(
                "ExternalRef: PACKAGE-MANAGER purl ",
                "ExternalRef: PACKAGE-MANAGER ",
                1,
            ),
            "h.spdx",
            vec![
                "h.spdx: line",
                "ExternalRef needs a category, a type and a locator",
            ],
        ),
        (
            tv[..tv.find("<text>").unwrap() + 10].to_string(),
            "i.spdx",
            vec!["i.spdx: line", "is not closed (is the file truncated?)"],
        ),
        (
            tv.replacen("PackageName:", "this line has no tag\nPackageName:", 1),
            "j.spdx",
            vec!["j.spdx: line", "expected `Tag: value`"],
        ),
        (
            tv.replacen("SPDX-2.3", "SPDX-2.1", 1),
            "k.spdx",
            vec!["k.spdx: SPDX tag-value of version \"SPDX-2.1\" is not supported"],
        ),
    ];
    for (text, name, expect) in cases.into_iter().chain(tv_cases) {
        write(&tmp, name, text.as_bytes());
        refused_everywhere(&tmp, name, &expect);
    }
}

/// DTDs are refused before anything is expanded: an external entity (XXE)
/// reads no file, and a billion-laughs document costs nothing.
#[test]
fn dtds_and_entities_cannot_read_files_or_expand() {
    let tmp = Temp::new();
    let secret = tmp.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE bom [<!ENTITY x SYSTEM \"file://{}\">]>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\"><components><component type=\"library\"><name>&x;</name><purl>pkg:npm/a@1</purl></component></components></bom>\n",
        secret.display()
    );
    write(&tmp, "xxe.xml", xxe.as_bytes());
    let err = refused(
        &tmp,
        &["enrich", "xxe.xml"],
        &["xxe.xml: invalid XML at line 2", "DOCTYPE"],
    );
    assert!(!err.contains("TOP-SECRET"), "{err}");
    let mut lol = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE bom [\n <!ENTITY l0 \"lol\">\n");
    for i in 1..10 {
        lol.push_str(&format!(
            " <!ENTITY l{i} \"{}\">\n",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    lol.push_str("]>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><metadata><component type=\"application\"><name>&l9;</name></component></metadata></bom>\n");
    write(&tmp, "lol.xml", lol.as_bytes());
    let start = std::time::Instant::now();
    refused(
        &tmp,
        &["enrich", "lol.xml"],
        &["lol.xml: invalid XML at line 2", "DOCTYPE"],
    );
    assert!(start.elapsed().as_secs() < 10);
    // An undeclared entity without a DTD is refused too, not left undecoded.
    write(
        &tmp,
        "ent.xml",
        b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"><components><component type=\"library\"><name>&lol;</name></component></components></bom>",
    );
    refused(
        &tmp,
        &["enrich", "ent.xml"],
        &["ent.xml: invalid XML", "&lol; is not defined"],
    );
}

/// Encodings other than UTF-8 and UTF-16 with a byte-order mark are refused
/// by name, with the conversion to make.
#[test]
fn other_encodings_are_refused_by_name() {
    let tmp = Temp::new();
    let json = fixture_text("sbom/generated/pypi-flask-django-env.cdx16.json");
    let xml = fixture_text("sbom/generated/cargo-cli.cdx14.xml");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let utf16le = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let utf32le =
        |t: &str| -> Vec<u8> { t.chars().flat_map(|c| (c as u32).to_le_bytes()).collect() };
    let with = |bom: &[u8], body: Vec<u8>| [bom.to_vec(), body].concat();
    let latin1: Vec<u8> =
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "caf"#
            .iter()
            .copied()
            .chain([0xE9])
            .chain(br#""}]}"#.iter().copied())
            .collect();
    for (name, bytes, expect) in [
        ("a.json", with(b"\xFF\xFE\x00\x00", utf32le(&json)), "it is UTF-32"),
        ("b.json", utf16le(&json), "UTF-16 without a byte-order mark"),
        ("c.json", latin1, "it is not valid UTF-8 (first bad byte on line 1)"),
        ("d.json", with(b"\xEF\xBB\xBF", with(b"\xFF\xFE", utf16le(&json))), "a UTF-8 byte-order mark followed by a UTF-16 one"),
        ("e.json", with(b"\xFF\xFE", with(b"\xFF\xFE", utf16le(&json))), "two byte-order marks"),
        ("f.json", with(b"\xEF\xBB\xBF\xEF\xBB\xBF", json.clone().into_bytes()), "two byte-order marks"),
        ("g.json", with(b"\xFF\xFE", utf16le(&json))[..1001].to_vec(), "odd number of bytes"),
        (
            "h.xml",
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\"/>".to_vec(),
            "names the encoding ISO-8859-1",
        ),
        (
            "i.xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\" version=\"1\"/>".to_vec(),
            "names the encoding UTF-16, but the file is UTF-8",
        ),
        // Issue 19: a UTF-16 file whose declaration still says UTF-8, as a
        // shell redirection on Windows makes them, was read by its mark.
        (
            "j.xml",
            with(b"\xFF\xFE", utf16le(&xml)),
            "the XML declaration names the encoding UTF-8, but the file is UTF-16LE (it starts with the byte-order mark FF FE); tacos-sbom reads UTF-8 and UTF-16 with a byte-order mark, declared as such or not at all: convert it to UTF-8, e.g. with `iconv -f UTF-16 -t UTF-8 IN > OUT`)",
        ),
        (
            "k.xml",
            with(b"\xFE\xFF", xml.encode_utf16().flat_map(u16::to_be_bytes).collect()),
            "names the encoding UTF-8, but the file is UTF-16BE (it starts with the byte-order mark FE FF)",
        ),
        (
            "l.xml",
            with(b"\xEF\xBB\xBF", xml.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"").into_bytes()),
            "names the encoding UTF-16, but the file is UTF-8 with a byte-order mark",
        ),
    ] {
        write(&tmp, name, &bytes);
        refused_everywhere(&tmp, name, &[&format!("{name}: not a text file ("), expect]);
    }
}

/// Issue 19: one element with 1,000,000 attributes (8.9 MB) did not finish
/// in a minute, each attribute compared with every earlier one. A start tag
/// now has at most 10,000, and the refusal says so.
#[test]
fn an_element_with_a_million_attributes_is_refused_by_name() {
    let tmp = Temp::new();
    let xml = fixture_text("sbom/generated/cargo-cli.cdx14.xml");
    let attrs: String = (0..1_000_000).map(|i| format!(" a{i}=\"\"")).collect();
    let at = xml.find("<component ").unwrap() + "<component".len();
    let line = xml[..at].matches('\n').count() + 1;
    write(
        &tmp,
        "wide.xml",
        format!("{}{attrs}{}", &xml[..at], &xml[at..]).as_bytes(),
    );
    let err = refused(
        &tmp,
        &["enrich", "wide.xml"],
        &[&format!(
            "wide.xml: invalid XML at line {line}, column 5: the element <component> has more than 10000 attributes"
        )],
    );
    assert!(err.len() < 2_000, "{} bytes on stderr", err.len());
}

/// Issue 19: a 9 MB tag-value file with CR-only line ends read as one line,
/// and the refusal quoted it whole: 9 MB on stderr. It is refused by name,
/// in a few lines.
#[test]
fn a_tag_value_file_with_cr_only_line_ends_is_refused_briefly() {
    let tmp = Temp::new();
    let mut text = fixture_text("sbom/spdx/tools-python/SPDXTagExample-v2.3.spdx");
    let mut i = 0;
    while text.len() < 2 << 20 {
        text.push_str(&format!(
            "\nPackageName: p{i}\nSPDXID: SPDXRef-p{i}\nPackageDownloadLocation: NOASSERTION\n"
        ));
        i += 1;
    }
    let mac = text.replace("\r\n", "\n").replace('\n', "\r");
    write(&tmp, "mac.spdx", mac.as_bytes());
    let err = refused(
        &tmp,
        &["enrich", "mac.spdx"],
        &[
            "mac.spdx: line 1: the file ends its lines with a carriage return (CR) alone",
            "tr '\\r' '\\n' < IN > OUT",
        ],
    );
    assert!(err.len() < 2_000, "{} bytes on stderr", err.len());
    let o = tacos(tmp.path(), &["verify", "mac.spdx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).len() < 2_000,
        "{} bytes on stderr",
        stderr(&o).len()
    );
}

/// Formats the tool does not read are named, with a command that converts
/// them, whatever the file is called.
#[test]
fn other_formats_are_refused_by_name_with_a_conversion() {
    let tmp = Temp::new();
    for (src, name, what, command) in [
        (
            "sbom/spdx/tools-python/SPDXYAMLExample-v2.3.spdx.yaml",
            "a.json",
            "SPDX YAML",
            "pyspdxtools -i IN -o OUT.spdx.json",
        ),
        (
            "sbom/spdx/tools-python/SPDXXMLExample-v2.3.spdx.xml",
            "b.xml",
            "SPDX XML",
            "pyspdxtools -i IN -o OUT.spdx.json",
        ),
        (
            "sbom/spdx/tools-python/SPDXXMLExample-UTF-16.spdx.xml",
            "c.xml",
            "SPDX XML",
            "iconv -f UTF-16 -t UTF-8",
        ),
        (
            "sbom/spdx/tools-python/SPDXRdfExample-v2.3.spdx.rdf.xml",
            "d.rdf",
            "SPDX RDF/XML",
            "pyspdxtools -i IN -o OUT.spdx.json",
        ),
        (
            "sbom/cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.1.xml",
            "e.xml",
            "CycloneDX 1.1 XML",
            "--output-version v1_6",
        ),
    ] {
        tmp.copy_in(&fixture(src), name);
        refused_everywhere(
            &tmp,
            name,
            &[&format!("{name}: {what} is not supported"), command],
        );
    }
    // CycloneDX protobuf: the Bom message starts with its spec version.
    let mut proto = vec![0x0A, 0x03];
    proto.extend_from_slice(b"1.6");
    proto.extend_from_slice(&[0x10, 0x01, 0x1A, 0x2D]);
    proto.extend_from_slice(b"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\x00\x01");
    write(&tmp, "f.cdx.bin", &proto);
    refused_everywhere(
        &tmp,
        "f.cdx.bin",
        &[
            "f.cdx.bin: CycloneDX protobuf is not supported",
            "cyclonedx convert --input-file IN --input-format protobuf",
        ],
    );
}

/// Issue 8, item 5: one 16 MB PURL took 2.2 GB of memory and wrote 875 MB
/// of artifacts. A value the tool reads is now bounded (64 KiB) and so is a
/// PURL (4 KiB): over the first the SBOM is refused, over the second the
/// component is skipped with the reason, shortened in the message.
#[test]
fn huge_values_are_bounded() {
    let tmp = Temp::new();
    let doc = |purl: &str| {
        format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{{"name": "ok", "purl": "pkg:npm/left-pad@1.3.0"}}, {{"name": "big", "purl": "{purl}"}}]}}"#
        )
    };
    write(
        &tmp,
        "huge.json",
        doc(&format!("pkg:npm/{}@1", "a".repeat(16 << 20))).as_bytes(),
    );
    refused(
        &tmp,
        &["enrich", "huge.json"],
        &["huge.json: $.components[1].purl is 16777226 bytes long, over the 65536-byte limit"],
    );
    write(
        &tmp,
        "long.json",
        doc(&format!("pkg:npm/{}@1", "a".repeat(5000))).as_bytes(),
    );
    let o = tacos(tmp.path(), &["enrich", "long.json"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("over the 4096-byte limit for a package URL")
            && err.contains("... (5010 bytes)"),
        "{err}"
    );
    assert!(
        err.len() < 4000,
        "the PURL is not echoed whole: {} bytes",
        err.len()
    );
    let artifacts = std::fs::read_dir(tmp.join("tacos-attestations"))
        .unwrap()
        .count();
    assert_eq!(artifacts, 3, "left-pad, the report and the key");
}

/// `[input] max_bytes` lowers the 1 GiB input limit.
#[test]
fn the_input_size_limit_is_configurable() {
    let tmp = Temp::new();
    tmp.copy_in(
        &fixture("sbom/generated/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let size = std::fs::metadata(tmp.join("in.json")).unwrap().len();
    write(&tmp, "tacos-sbom.toml", b"[input]\nmax_bytes = 10000\n");
    refused(
        &tmp,
        &["enrich", "in.json"],
        &[&format!(
            "in.json: the file is {size} bytes, over the 10000-byte limit for an SBOM"
        )],
    );
    write(
        &tmp,
        "tacos-sbom.toml",
        b"[input]\nmax_bytes = 2000000000\n",
    );
    refused(
        &tmp,
        &["enrich", "in.json"],
        &["input.max_bytes must be between 1 and 1073741824"],
    );
}

/// Issue 9, item 6: from named files and directories, every supported SBOM
/// is enriched; every other named file, and every SBOM-looking file in a
/// directory that cannot be read, is listed with its reason; the others go
/// on; the exit code says something was skipped; nothing is written for a
/// skipped file.
#[test]
fn many_inputs_one_rule() {
    let tmp = Temp::new();
    std::fs::create_dir(tmp.join("dir")).unwrap();
    for (src, name) in [
        (
            "sbom/generated/pypi-flask-django-env.cdx16.json",
            "dir/a.cdx.json",
        ),
        (
            "sbom/generated/pypi-flask-django-env.cdx15.xml",
            "dir/b.xml",
        ),
        (
            "sbom/spdx/tools-python/SPDXTagExample-v2.3.spdx",
            "dir/c.spdx",
        ),
        (
            "sbom/spdx/tools-python/SPDXJSONExample-UTF-16.spdx.json",
            "dir/d.spdx.json",
        ),
        (
            "sbom/spdx/spdx-examples/software/example9/spdx3.0/appbomination.spdx3.json",
            "dir/e.spdx3.json",
        ),
        (
            "sbom/spdx/tools-python/SPDXYAMLExample-v2.3.spdx.yaml",
            "dir/f.spdx.yaml",
        ),
        (
            "api/scorecard/github.com_ossf_scorecard.2025-11-15.json",
            "dir/g-not-an-sbom.json",
        ),
        (
            "sbom/generated/pypi-flask-django-env.cdx15.xml",
            "named.xml",
        ),
    ] {
        tmp.copy_in(&fixture(src), name);
    }
    let xml = fixture_text("sbom/generated/pypi-flask-django-env.cdx15.xml");
    write(
        &tmp,
        "dir/h-truncated.xml",
        &xml.as_bytes()[..xml.len() / 3],
    );
    write(&tmp, "dir/notes.txt", b"not looked at");
    write(&tmp, "named-notes.txt", b"hello");
    let o = tacos(
        tmp.path(),
        &["enrich", "dir", "named.xml", "named-notes.txt", "-o", "out"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for done in [
        "out/a.tacos.cdx.json",
        "out/b.tacos.xml",
        "out/c.tacos.spdx",
        "out/d.tacos.spdx.json",
        "out/e.tacos.spdx3.json",
        "out/named.tacos.xml",
    ] {
        assert!(tmp.join(done).exists(), "{done} missing:\n{err}");
    }
    for (skipped, why) in [
        ("f.spdx.yaml", "SPDX YAML is not supported"),
        ("h-truncated.xml", "invalid XML at line"),
        ("named-notes.txt", "not an SBOM"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(skipped) && l.contains(why)),
            "{skipped}: {why} not listed:\n{err}"
        );
    }
    assert!(err.contains("3 of 10 inputs skipped"), "{err}");
    assert!(
        err.contains("skipped dir/g-not-an-sbom.json: not an SBOM"),
        "{err}"
    );
    assert!(
        !err.contains("notes.txt: ") || !err.contains("dir/notes.txt"),
        "{err}"
    );
    let outputs: Vec<String> = tmp
        .files()
        .into_iter()
        .filter(|f| f.starts_with("out/") && !f.starts_with("out/tacos-attestations/"))
        .collect();
    assert_eq!(outputs.len(), 6, "{outputs:?}");
}
