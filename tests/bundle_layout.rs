//! `enrich --layout bundle`: every package envelope is one line of one
//! content-addressed JSON Lines file, each SBOM reference is FILE#L<n> with
//! the SHA-256 of that line. Checked with the real binary, real keys and
//! files: `verify`, an independent DSSE verifier on every line, tampering,
//! hostile fragments, `report`, `package`, and runs that share a directory.
//! Runs are `--offline` with an empty cache: no service is asked.

mod common;
#[path = "support/server.rs"]
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const NPM: &str = "npm-webapp.cdx16.json";
const SPDX: &str = "cargo-cli.cargo-sbom.spdx23.json";
const PYPI: &str = "pypi-flask-django-env.cdx16.json";
const KEY: &str = ".tacos-config/signing.pub";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex_of(&sha2::Sha256::digest(bytes))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// `enrich SAMPLE -o OUT --layout bundle --offline` with an empty cache, in
/// `tmp`, plus `extra`.
fn enrich(tmp: &Temp, sample: &str, out: &str, extra: &[&str]) -> Output {
    if !tmp.join(sample).exists() {
        tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
    }
    let cache = tmp.join("empty-cache");
    let mut args = vec![
        "enrich",
        sample,
        "-o",
        out,
        "--layout",
        "bundle",
        "--offline",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tacos(tmp.path(), &args)
}

/// The attestation bundles in `dir`.
fn bundles(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".intoto.jsonl"))
        .collect();
    v.sort();
    v
}

fn the_bundle(dir: &Path) -> PathBuf {
    let b = bundles(dir);
    assert_eq!(b.len(), 1, "one bundle in {}: {b:?}", dir.display());
    b[0].clone()
}

/// The bundle's lines, without their line ends (the file must end in one).
fn lines(bundle: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(bundle).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'), "the last line ends with \\n");
    bytes[..bytes.len() - 1]
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// The in-toto Statement in an envelope.
fn statement(envelope: &[u8]) -> Value {
    let env: Value = serde_json::from_slice(envelope).unwrap();
    serde_json::from_slice(&base64_decode(env["payload"].as_str().unwrap())).unwrap()
}

/// One TACOS component reference, read from the SBOM with serde_json (not
/// the tool's reader).
#[derive(Debug, Clone)]
struct Ref {
    /// The canonical PURL the comment names.
    purl: String,
    url: String,
    /// From `hashes` (CycloneDX), else from the comment.
    digest: String,
    comment_digest: String,
}

fn refs(sbom: &Path) -> Vec<Ref> {
    fn walk(v: &Value, out: &mut Vec<Ref>) {
        match v {
            Value::Object(m) => {
                for key in ["externalReferences", "externalRefs"] {
                    for r in m.get(key).and_then(Value::as_array).into_iter().flatten() {
                        let Some(comment) = r["comment"].as_str() else {
                            continue;
                        };
                        let Some(rest) = comment.strip_prefix("TACOS attestation for ") else {
                            continue;
                        };
                        let purl = rest.split(" (").next().unwrap().to_string();
                        let comment_digest = comment.rsplit("sha256:").next().unwrap().to_string();
                        let url = r["url"]
                            .as_str()
                            .or(r["referenceLocator"].as_str())
                            .unwrap()
                            .to_string();
                        let digest = r["hashes"][0]["content"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| comment_digest.clone());
                        out.push(Ref {
                            purl,
                            url,
                            digest,
                            comment_digest,
                        });
                    }
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(sbom).unwrap()).unwrap();
    let mut out = Vec::new();
    walk(&doc, &mut out);
    out
}

/// The line number a reference URL names.
fn line_of(url: &str) -> usize {
    url.rsplit_once("#L").unwrap().1.parse().unwrap()
}

fn verify(tmp: &Temp, sbom: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify", sbom, "--key", KEY];
    args.extend_from_slice(extra);
    tacos(tmp.path(), &args)
}

/// The FAIL lines of a verify run.
fn fails(o: &Output) -> Vec<String> {
    stdout(o)
        .lines()
        .filter(|l| l.starts_with("FAIL "))
        .map(str::to_string)
        .collect()
}

#[test]
fn cyclonedx_and_spdx_bundles_verify_and_every_line_is_an_envelope_of_its_own() {
    for sample in [NPM, SPDX] {
        let tmp = Temp::new();
        assert_ok(&enrich(&tmp, sample, "out.json", &[]));
        let dir = tmp.join("tacos-attestations");
        let bundle = the_bundle(&dir);
        let name = bundle.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&bundle).unwrap();
        // Named after the file's own SHA-256.
        assert_eq!(
            name,
            format!("tacos-attestations.{}.intoto.jsonl", &sha256(&bytes)[..16])
        );
        // Nothing else: no envelope files, no temporary file left.
        let others: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| *n != name)
            .collect();
        assert!(others.contains(&"tacos-sbom.pub".to_string()), "{others:?}");
        assert!(
            others
                .iter()
                .all(|n| n == "tacos-sbom.pub" || n.ends_with(".tacos-report.dsse.json")),
            "{others:?}"
        );

        let o = verify(&tmp, "out.json", &[]);
        assert_ok(&o);

        let lines = lines(&bundle);
        let references = refs(&tmp.join("out.json"));
        assert!(references.len() >= lines.len() && lines.len() > 100);
        let mut referenced = BTreeSet::new();
        for r in &references {
            assert_eq!(
                r.url.split_once('#').unwrap().0,
                format!("tacos-attestations/{name}"),
                "{r:?}"
            );
            let n = line_of(&r.url);
            assert!((1..=lines.len()).contains(&n), "{r:?}");
            // The digest is that of the line's own bytes, in both places.
            assert_eq!(r.digest, sha256(&lines[n - 1]), "{r:?}");
            assert_eq!(r.comment_digest, r.digest, "{r:?}");
            assert_eq!(statement(&lines[n - 1])["subject"][0]["name"], r.purl);
            referenced.insert(n);
        }
        assert_eq!(referenced.len(), lines.len(), "every line is referenced");

        // Compact JSON, exactly what is hashed: no whitespace around it, one
        // object per line; in canonical-PURL order.
        let mut subjects = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let text = std::str::from_utf8(line).unwrap();
            assert!(
                text.starts_with('{') && text.ends_with('}') && !text.contains(['\n', '\r']),
                "line {}",
                i + 1
            );
            let env: Value = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&env).unwrap(), text, "compact");
            subjects.push(
                statement(line)["subject"][0]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let mut sorted = subjects.clone();
        sorted.sort();
        assert_eq!(subjects, sorted, "canonical-PURL order");

        // Each line, as a file of its own, verifies with securesystemslib
        // and in-toto-attestation.
        let key = tmp.join(KEY);
        let runs: Vec<Vec<String>> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let f = tmp.join(&format!("line-{}.json", i + 1));
                std::fs::write(&f, line).unwrap();
                vec![
                    f.to_string_lossy().into_owned(),
                    key.to_string_lossy().into_owned(),
                ]
            })
            .collect();
        for (i, (code, text)) in judge_batch("verify-dsse.py", &runs, &[])
            .into_iter()
            .enumerate()
        {
            assert_eq!(code, 0, "{sample} line {}: {text}", i + 1);
            assert!(text.contains("VERIFIED"), "{text}");
        }
    }
}

#[test]
fn a_bundle_holds_the_statements_the_files_layout_writes() {
    let tmp = Temp::new();
    assert_ok(&enrich(
        &tmp,
        NPM,
        "bundled.json",
        &["--attestations-dir", "b"],
    ));
    tmp.copy_in(&repo().join("sample-sboms").join(NPM), "again.json");
    let cache = tmp.join("empty-cache");
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "again.json",
            "-o",
            "files.json",
            "--attestations-dir",
            "f",
            "--offline",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
    );
    assert_ok(&o);
    let from_bundle: BTreeMap<String, Value> = lines(&the_bundle(&tmp.join("b")))
        .iter()
        .map(|l| {
            let s = statement(l);
            (s["subject"][0]["name"].as_str().unwrap().to_string(), s)
        })
        .collect();
    let from_files: BTreeMap<String, Value> = std::fs::read_dir(tmp.join("f"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tacos.dsse.json"))
        .map(|p| {
            let s = statement(&std::fs::read(p).unwrap());
            (s["subject"][0]["name"].as_str().unwrap().to_string(), s)
        })
        .collect();
    assert_eq!(from_bundle.len(), from_files.len());
    assert_eq!(from_bundle, from_files);
}

/// The components (by canonical PURL) whose references point at line `n`.
fn referencing(references: &[Ref], n: usize) -> BTreeSet<String> {
    references
        .iter()
        .filter(|r| line_of(&r.url) == n)
        .map(|r| r.purl.clone())
        .collect()
}

#[test]
fn tampering_with_one_line_fails_exactly_the_components_that_reference_it() {
    let tmp = Temp::new();
    assert_ok(&enrich(&tmp, NPM, "out.json", &[]));
    let bundle = the_bundle(&tmp.join("tacos-attestations"));
    let original = std::fs::read(&bundle).unwrap();
    let lines = lines(&bundle);
    let references = refs(&tmp.join("out.json"));
    let n = lines.len() / 2;
    let victims = referencing(&references, n);
    assert!(!victims.is_empty());
    let start: usize = lines[..n - 1].iter().map(|l| l.len() + 1).sum();

    let check = |what: &str| {
        let o = verify(&tmp, "out.json", &[]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stdout(&o));
        let fails = fails(&o);
        let failed: BTreeSet<String> = victims
            .iter()
            .filter(|p| fails.iter().any(|f| f.contains(&format!("({p})"))))
            .cloned()
            .collect();
        assert_eq!(failed, victims, "{what}: {fails:?}");
        // Every component that shares the line fails, and no other.
        let count = references.iter().filter(|r| line_of(&r.url) == n).count();
        assert_eq!(fails.len(), count, "{what}: {fails:?}");
        for f in &fails {
            assert!(
                f.contains(&format!("SHA-256 mismatch for line {n} of ")),
                "{what}: {f}"
            );
        }
    };

    // One byte of the signed payload, same length.
    let mut bytes = original.clone();
    let payload_at = start
        + lines[n - 1]
            .windows(11)
            .position(|w| w == b"\"payload\":\"")
            .unwrap();
    bytes[payload_at + 20] ^= 0x01;
    std::fs::write(&bundle, &bytes).unwrap();
    check("a flipped byte");

    // A shorter line: the lines after it move, and still verify.
    let mut bytes = original[..start].to_vec();
    bytes.extend_from_slice(b"{}");
    bytes.extend_from_slice(&original[start + lines[n - 1].len()..]);
    std::fs::write(&bundle, &bytes).unwrap();
    check("a replaced line");

    std::fs::write(&bundle, &original).unwrap();
    assert_ok(&verify(&tmp, "out.json", &[]));
}

/// The npm sample enriched once, for hostile edits: each case changes one
/// component's reference (or its line), verifies, and puts everything back.
struct Hostile {
    tmp: Temp,
    text: String,
    bundle: PathBuf,
    bundle_bytes: Vec<u8>,
    references: Vec<Ref>,
    /// A component whose line no other component references, so that only
    /// it can fail.
    victim: Ref,
}

impl Hostile {
    fn new() -> Hostile {
        let tmp = Temp::new();
        assert_ok(&enrich(&tmp, NPM, "out.json", &[]));
        let out = tmp.join("out.json");
        let text = std::fs::read_to_string(&out).unwrap();
        let references = refs(&out);
        let victim = references
            .iter()
            .find(|r| {
                references
                    .iter()
                    .filter(|x| line_of(&x.url) == line_of(&r.url))
                    .count()
                    == 1
            })
            .unwrap()
            .clone();
        let bundle = the_bundle(&tmp.join("tacos-attestations"));
        let bundle_bytes = std::fs::read(&bundle).unwrap();
        Hostile {
            tmp,
            text,
            bundle,
            bundle_bytes,
            references,
            victim,
        }
    }

    /// Write the SBOM text `edit` makes and verify: exactly one FAIL line,
    /// naming the victim, containing `expect`; then restore.
    fn case(&self, label: &str, edit: impl Fn(&Hostile) -> String, expect: &str) {
        let out = self.tmp.join("out.json");
        let edited = edit(self);
        assert_ne!(edited, self.text, "{label}: the edit changed nothing");
        std::fs::write(&out, edited).unwrap();
        let o = verify(&self.tmp, "out.json", &[]);
        assert_eq!(o.status.code(), Some(1), "{label}: {}", stdout(&o));
        let fails = fails(&o);
        assert_eq!(
            fails.len(),
            1,
            "{label}: only that component fails: {fails:?}"
        );
        assert!(
            fails[0].contains(&format!("({})", self.victim.purl)),
            "{label}: names the component: {}",
            fails[0]
        );
        assert!(fails[0].contains(expect), "{label}: {}", fails[0]);
        std::fs::write(&out, &self.text).unwrap();
        std::fs::write(&self.bundle, &self.bundle_bytes).unwrap();
    }

    /// The victim's bundle file URL, without its fragment.
    fn file(&self) -> &str {
        self.victim.url.split_once('#').unwrap().0
    }

    /// The SBOM text with the victim's URL replaced.
    fn with_url(&self, url: &str) -> String {
        with_url(&self.text, &self.victim, url)
    }
}

/// The SBOM text with `r`'s URL replaced (the quotes keep `#L1` from
/// matching `#L12`).
fn with_url(text: &str, r: &Ref, url: &str) -> String {
    let (from, to) = (format!("\"{}\"", r.url), format!("\"{url}\""));
    assert_eq!(text.matches(&from).count(), 1, "{from}");
    text.replace(&from, &to)
}

#[test]
fn a_fragment_that_names_no_line_fails_naming_the_component() {
    let h = Hostile::new();
    // The parser's cases are unit tests (src/verify.rs); these go through
    // the binary.
    for fragment in [
        "",
        "L0",
        "L01",
        "L-1",
        "L1-L2",
        "x",
        "L99999999999999999999999",
    ] {
        h.case(
            &format!("#{fragment}"),
            |h| h.with_url(&format!("{}#{fragment}", h.file())),
            "does not name a line of an attestation bundle",
        );
    }
}

#[test]
fn a_line_past_the_end_fails_naming_the_component() {
    let h = Hostile::new();
    let count = lines(&h.bundle).len();
    for n in [count + 1, 1 << 40] {
        h.case(
            "past the end",
            |h| h.with_url(&format!("{}#L{n}", h.file())),
            &format!("line {n} is past the end of attestation bundle"),
        );
    }
}

#[test]
fn another_lines_envelope_fails_on_its_digest_or_its_subject() {
    let h = Hostile::new();
    let other = h
        .references
        .iter()
        .find(|x| line_of(&x.url) != line_of(&h.victim.url))
        .unwrap();
    // Pointed at another package's line, keeping its own digest.
    h.case(
        "another line",
        |h| h.with_url(&other.url),
        &format!("SHA-256 mismatch for line {} of ", line_of(&other.url)),
    );
    // ... and with that line's digest too: validly signed, not about it.
    h.case(
        "another line and its digest",
        |h| {
            // Only this reference: its URL, hashes and comment.
            let (text, r) = (&h.text, &h.victim);
            let start = text.find(&format!("\"{}\"", r.url)).unwrap();
            let end = start + text[start..].find(&r.digest).unwrap();
            let end = end + text[end + 1..].find(&r.digest).unwrap() + 1 + r.digest.len();
            let swapped = text[start..end]
                .replace(&r.url, &other.url)
                .replace(&r.digest, &other.digest);
            format!("{}{}{}", &text[..start], swapped, &text[end..])
        },
        "but the component is",
    );
}

#[test]
fn a_line_that_is_not_json_fails_naming_the_component() {
    let h = Hostile::new();
    h.case(
        "not JSON",
        |h| {
            // The line replaced and its new digest recorded in the SBOM, so
            // that the line itself is what is judged.
            let mut lines = lines(&h.bundle);
            lines[line_of(&h.victim.url) - 1] = b"not json".to_vec();
            let mut bytes = lines.join(&b'\n');
            bytes.push(b'\n');
            std::fs::write(&h.bundle, bytes).unwrap();
            h.text.replace(&h.victim.digest, &sha256(b"not json"))
        },
        "not a DSSE envelope",
    );
}

#[test]
fn bundle_references_may_not_leave_the_sbom_directory() {
    let h = Hostile::new();
    h.case(
        "outside",
        |h| h.with_url(&format!("../../{}", h.victim.url)),
        "points outside the SBOM's directory",
    );
}

#[test]
fn a_bundle_over_the_size_limit_is_refused_unread() {
    let tmp = Temp::new();
    assert_ok(&enrich(&tmp, NPM, "out.json", &[]));
    let bundle = the_bundle(&tmp.join("tacos-attestations"));
    // Sparse: one byte over 4 GiB costs no disk.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&bundle)
        .unwrap();
    f.set_len((4u64 << 30) + 1).unwrap();
    drop(f);
    let started = std::time::Instant::now();
    let o = verify(&tmp, "out.json", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(started.elapsed().as_secs() < 30, "refused before reading");
    let fails = fails(&o);
    assert_eq!(fails.len(), refs(&tmp.join("out.json")).len());
    for f in &fails {
        assert!(f.contains("is larger than 4294967296 bytes"), "{f}");
    }
}

#[test]
fn base_url_references_are_found_by_file_name_in_the_attestations_dir() {
    let tmp = Temp::new();
    assert_ok(&enrich(
        &tmp,
        SPDX,
        "out.json",
        &["--base-url", "https://example.invalid/att"],
    ));
    let name = the_bundle(&tmp.join("tacos-attestations"))
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for r in refs(&tmp.join("out.json")) {
        assert_eq!(
            r.url,
            format!("https://example.invalid/att/{name}#L{}", line_of(&r.url))
        );
    }
    // Offline, nothing is fetched: each reference asks for the directory.
    let o = verify(&tmp, "out.json", &["--offline"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("--offline fetches nothing: pass --attestations-dir DIR"),
        "{}",
        stdout(&o)
    );
    assert_ok(&verify(
        &tmp,
        "out.json",
        &["--attestations-dir", "tacos-attestations"],
    ));
}

#[test]
fn later_runs_into_the_same_directory_keep_earlier_sboms_verifiable() {
    let tmp = Temp::new();
    let att = ["--attestations-dir", "att"];
    assert_ok(&enrich(&tmp, NPM, "first.json", &att));
    let first = the_bundle(&tmp.join("att"));
    let first_bytes = std::fs::read(&first).unwrap();

    // Another SBOM into the same directory: a bundle of its own.
    assert_ok(&enrich(&tmp, PYPI, "second.json", &att));
    assert_eq!(bundles(&tmp.join("att")).len(), 2);
    assert_eq!(std::fs::read(&first).unwrap(), first_bytes, "untouched");
    assert_ok(&verify(&tmp, "first.json", &[]));
    assert_ok(&verify(&tmp, "second.json", &[]));

    // The same input again: the same bundle, nothing rewritten.
    let o = enrich(&tmp, NPM, "again.json", &att);
    assert_ok(&o);
    assert_eq!(bundles(&tmp.join("att")).len(), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("(0 written, "), "{}", stderr(&o));
    assert_ok(&verify(&tmp, "first.json", &[]));

    // Several inputs in one run share one bundle.
    std::fs::create_dir(tmp.join("in")).unwrap();
    for s in [NPM, SPDX] {
        tmp.copy_in(&repo().join("sample-sboms").join(s), &format!("in/{s}"));
    }
    let o = enrich(&tmp, "in", "outdir", &["--attestations-dir", "shared"]);
    assert_ok(&o);
    let shared = lines(&the_bundle(&tmp.join("shared")));
    let mut all = 0;
    for s in [NPM, SPDX] {
        let out = format!("outdir/{}", enrich_name(s));
        assert_ok(&verify(&tmp, &out, &["--attestations-dir", "shared"]));
        all += refs(&tmp.join(&out)).len();
    }
    assert!(shared.len() < all, "shared packages are signed once");
    // Every statement once.
    let subjects: BTreeSet<String> = shared
        .iter()
        .map(|l| {
            statement(l)["subject"][0]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(subjects.len(), shared.len());
}

/// The output name enrich derives for an input.
fn enrich_name(input: &str) -> String {
    tacos_sbom::enrich::derived_name(Path::new(input))
}

#[test]
fn the_layout_can_be_set_in_the_config_file_and_is_taken_only_as_written() {
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(SPDX), "in.json");
    let cache = tmp.join("empty-cache");
    let run = |config: &str| {
        std::fs::write(tmp.join("c.toml"), config).unwrap();
        tacos(
            tmp.path(),
            &[
                "enrich",
                "in.json",
                "-o",
                "out.json",
                "--offline",
                "--cache-dir",
                cache.to_str().unwrap(),
                "-c",
                "c.toml",
            ],
        )
    };
    let o = run("[output]\nlayout = \"Bundle\"\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(valid: files, bundle); did you mean \"bundle\"?"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("out.json").exists());
    assert_ok(&run("[output]\nlayout = \"bundle\"\n"));
    the_bundle(&tmp.join("tacos-attestations"));
    assert_ok(&verify(&tmp, "out.json", &[]));
    // The flag wins over the file.
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "in.json",
            "-o",
            "out.json",
            "--offline",
            "--cache-dir",
            cache.to_str().unwrap(),
            "-c",
            "c.toml",
            "--layout",
            "files",
        ],
    );
    assert_ok(&o);
    assert!(
        refs(&tmp.join("out.json"))
            .iter()
            .all(|r| r.url.ends_with(".tacos.dsse.json"))
    );
    let o = tacos(tmp.path(), &["enrich", "in.json", "--layout", "bundel"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean \"bundle\"?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn report_and_package_work_on_a_bundle() {
    // Against the loopback fixture server (recorded answers), so that there
    // are risks whose summary lines link to their envelopes.
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(&repo().join("sample-sboms").join(PYPI), "in.json");
    let env: Vec<(String, String)> = srv.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cache = tmp.join("cache");
    let o = tacos_env(
        tmp.path(),
        &[
            "enrich",
            "in.json",
            "-o",
            "out.json",
            "--layout",
            "bundle",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
        &env,
    );
    assert_ok(&o);
    let bundle = the_bundle(&tmp.join("tacos-attestations"));
    let name = bundle.file_name().unwrap().to_string_lossy().into_owned();
    let lines = lines(&bundle);

    // The links of a summary point into the bundle, at the risk's own line.
    let o = tacos(
        tmp.path(),
        &[
            "report",
            "out.json",
            "-f",
            "json",
            "-o",
            "summary.json",
            "--key",
            KEY,
        ],
    );
    assert_ok(&o);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["provenance"]["verification"], "verified",
        "{summary}"
    );
    let check_links = |summary: &Value, prefix: &str| {
        let risks = summary["risks"].as_array().unwrap();
        assert!(!risks.is_empty());
        for r in risks {
            let link = r["artifact"].as_str().unwrap();
            let (file, fragment) = link.split_once("#L").unwrap();
            assert_eq!(file, format!("{prefix}{name}"));
            let n: usize = fragment.parse().unwrap();
            assert_eq!(
                statement(&lines[n - 1])["subject"][0]["name"],
                r["purl"],
                "{link}"
            );
        }
    };
    check_links(&summary, "tacos-attestations/");

    // The package holds the bundle once, and verifies where it lands.
    let o = tacos(
        tmp.path(),
        &["package", "out.json", "-o", "evidence.tar.gz", "--key", KEY],
    );
    assert_ok(&o);
    let dir = tmp.join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    let o = std::process::Command::new("tar")
        .arg("xzf")
        .arg(tmp.join("evidence.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    let root = dir.join("evidence");
    let o = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let mut held: Vec<String> = std::fs::read_dir(root.join("attestations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    held.sort();
    assert_eq!(held.len(), 2, "the bundle and the report: {held:?}");
    assert!(held.contains(&name), "{held:?}");
    assert!(
        held.iter().any(|n| n.ends_with(".tacos-report.dsse.json")),
        "{held:?}"
    );
    assert_eq!(
        std::fs::read(root.join("attestations").join(&name)).unwrap(),
        std::fs::read(&bundle).unwrap()
    );
    // With the signer's own key: the copy in the package proves only that
    // it is intact.
    let signer = tmp.join(".tacos-config/signing.pub");
    let o = tacos(
        &root,
        &[
            "verify",
            "sbom/out.json",
            "--attestations-dir",
            "attestations",
            "--key",
            signer.to_str().unwrap(),
        ],
    );
    assert_ok(&o);
    let o = tacos(
        &root,
        &[
            "verify",
            "sbom/out.json",
            "--attestations-dir",
            "attestations",
            "--key",
            "tacos-sbom.pub",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("copy shipped with the artifacts"));
    let packaged: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("summary.json")).unwrap()).unwrap();
    check_links(&packaged, "attestations/");
}

// ---- through the library: a run that fails leaves nothing ----------------

fn bundle_options(tmp: &Temp) -> tacos_sbom::enrich::Options {
    library_options(
        tacos_sbom::enrich::Output::File(tmp.join("out/out.json")),
        tmp.join("att"),
        tacos_sbom::config::Layout::Bundle,
    )
}

fn plan(tmp: &Temp, opts: &tacos_sbom::enrich::Options) -> tacos_sbom::enrich::Plan {
    let input = tmp.copy_in(&repo().join("sample-sboms").join(PYPI), "in.json");
    let plan = tacos_sbom::enrich::plan(
        &[tacos_sbom::enrich::Input {
            path: input,
            root: None,
        }],
        opts,
        &Quiet,
    )
    .unwrap();
    plan.check_outputs(opts, &Default::default()).unwrap();
    plan
}

#[test]
fn a_signing_failure_half_way_leaves_no_bundle_nor_temporary_file() {
    let tmp = Temp::new();
    let opts = bundle_options(&tmp);
    let plan = plan(&tmp, &opts);
    let signer = FailingAfter {
        key: tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::Ed25519),
        left: 5.into(),
    };
    let err =
        tacos_sbom::enrich::execute(plan, Default::default(), &opts, &signer, &Quiet).unwrap_err();
    assert!(
        err.to_string().contains("signing service went away"),
        "{err}"
    );
    assert_eq!(tmp.files(), vec!["in.json".to_string()]);
    assert!(!tmp.join("att").exists());
}

#[test]
fn a_run_that_writes_no_sbom_takes_its_bundle_back() {
    let tmp = Temp::new();
    let opts = bundle_options(&tmp);
    let plan = plan(&tmp, &opts);
    // The output's directory is taken by a file after the checks: the
    // bundle is written, the SBOM cannot be.
    std::fs::write(tmp.join("out"), "in the way").unwrap();
    let key = tacos_sbom::attest::SigningKey::generate(tacos_sbom::attest::KeyAlgorithm::Ed25519);
    let summary =
        tacos_sbom::enrich::execute(plan, Default::default(), &opts, &key, &Quiet).unwrap();
    assert!(summary.documents.is_empty());
    assert_eq!(summary.failures.len(), 1, "{:?}", summary.failures);
    assert_eq!(tmp.files(), vec!["in.json".to_string(), "out".to_string()]);
}
