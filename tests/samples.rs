//! The sample SBOMs a newcomer tries first: every file in `sample-sboms/`
//! is enriched and verified by the real binary (every service on a closed
//! port), the folder holds one of each format the tool reads, and its
//! README names each file with its origin and license.

mod common;

use common::*;

/// The samples, by file name; the folder's README is not one.
fn samples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("sample-sboms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    names
}

/// The format `enrich` read, from its "read FILE: FORMAT, N components" line.
fn format_read(stderr: &str, name: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("read {name}: ")))?;
    let rest = &line[format!("read {name}: ").len()..];
    Some(rest.split(", ").next()?.to_string())
}

/// How many references `enrich` wrote into `name`'s output.
fn references_written(stderr: &str, name: &str) -> Option<usize> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("{name} -> ")))?;
    let before = line.split(" references written").next()?;
    before.rsplit(' ').next()?.parse().ok()
}

#[test]
fn every_sample_is_enriched_and_verifies() {
    let names = samples();
    assert!(names.len() >= 6, "{names:?}");
    let mut formats = Vec::new();
    for name in &names {
        let tmp = Temp::new();
        tmp.copy_in(&repo().join("sample-sboms").join(name), name);
        let out = format!("out/{name}");
        let o = tacos(tmp.path(), &["enrich", name, "-o", &out]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: enrich failed:\n{err}");
        let format = format_read(&err, name).unwrap_or_else(|| panic!("{name}: {err}"));
        let written = references_written(&err, name).unwrap_or_else(|| panic!("{name}: {err}"));
        assert!(written > 0, "{name}: no component was attested:\n{err}");
        assert!(tmp.join(&out).is_file(), "{name}: no output");
        // With the signer's own public key: the proof an auditor would run.
        let key = tmp.join(".tacos-config/signing.pub");
        let v = tacos(
            tmp.path(),
            &["verify", &out, "--key", key.to_str().unwrap()],
        );
        assert_eq!(
            v.status.code(),
            Some(0),
            "{name}: verify failed:\n{}\n{}",
            stdout(&v),
            stderr(&v)
        );
        assert!(
            stderr(&v).contains("TACOS references verified"),
            "{name}: {}",
            stderr(&v)
        );
        formats.push(format);
    }
    // One sample per format the tool reads.
    for (what, matches) in [
        (
            "CycloneDX JSON",
            &(|f: &str| f.starts_with("CycloneDX ") && f.ends_with(" JSON"))
                as &dyn Fn(&str) -> bool,
        ),
        ("CycloneDX XML", &|f: &str| {
            f.starts_with("CycloneDX ") && f.ends_with(" XML")
        }),
        ("SPDX 2 JSON", &|f: &str| {
            f.starts_with("SPDX-2.") && f.ends_with(" JSON")
        }),
        ("SPDX 2 tag-value", &|f: &str| {
            f.starts_with("SPDX-2.") && f.ends_with(" tag-value")
        }),
        ("SPDX 3 JSON-LD", &|f: &str| {
            f.starts_with("SPDX 3.") && f.ends_with(" JSON-LD")
        }),
    ] {
        assert!(
            formats.iter().any(|f| matches(f)),
            "no sample in {what}: {formats:?}"
        );
    }
}

/// A sample the tool cannot read fails the test above: the same steps on a
/// file that is not an SBOM stop at enrich's exit code.
#[test]
fn an_unreadable_sample_would_fail() {
    let tmp = Temp::new();
    std::fs::write(
        tmp.join("broken.cdx.json"),
        b"{\"bomFormat\": \"CycloneDX\",",
    )
    .unwrap();
    let o = tacos(
        tmp.path(),
        &["enrich", "broken.cdx.json", "-o", "out/broken.cdx.json"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(format_read(&stderr(&o), "broken.cdx.json"), None);
}

/// The samples' README names every file in the folder, and for each says
/// where it came from and under which license.
#[test]
fn the_samples_readme_gives_each_file_its_origin_and_license() {
    let readme = std::fs::read_to_string(repo().join("sample-sboms/README.md")).unwrap();
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
    for name in samples() {
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("sample-sboms/README.md has no row for {name}"));
        let cells: Vec<&str> = row.split(" | ").collect();
        // file | format | origin | license | what it describes
        assert_eq!(cells.len(), 5, "{row}");
        assert!(
            cells[2].contains("tests/fixtures/"),
            "{name}: origin names no fixture: {row}"
        );
        assert!(!cells[3].trim().is_empty(), "{name}: no license: {row}");
        let fixture = cells[2]
            .split("copy of `")
            .nth(1)
            .and_then(|s| s.split('`').next())
            .unwrap_or_else(|| panic!("{name}: the row names no fixture it copies: {row}"));
        assert_eq!(
            std::fs::read(repo().join(fixture)).unwrap_or_default(),
            std::fs::read(repo().join("sample-sboms").join(&name)).unwrap(),
            "{name} is not a copy of {fixture}"
        );
    }
    // No path outside the repository: a clone has only what is in it.
    assert!(!readme.contains("../shared"), "{readme}");
}
