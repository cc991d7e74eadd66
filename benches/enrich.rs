//! `cargo bench --bench enrich`: time and peak memory of enriching the large
//! fixture SBOM and a 10,000-component SBOM built from it, as ratios to
//! `jq -c .` on the same file, measured in the same run.
//!
//! Three things are timed per file, each the median of several runs, each in
//! its own process under GNU time (for peak RSS):
//! - `jq -c . FILE`: parse and print the whole document, the baseline;
//! - read/write: this library reads the SBOM, resolves every PURL, adds a
//!   reference to every component and writes the result (no signing);
//! - the `tacos-sbom enrich` command, signing included, into a fresh directory,
//!   `--offline` with an empty cache of its own so that no network time is
//!   counted: once with one file per package (the default layout), once with
//!   the bundle layout (one JSON Lines file). Its peak RSS is taken from one
//!   more run that starts no `npm` (see `support::own_memory`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use std::io::Write;

use tacos_sbom::attest::{Sha256Hex, artifact_file_name};
use tacos_sbom::enrich;
use tacos_sbom::purl::Purl;
use tacos_sbom::sbom::{Changes, Reference, Role, Sbom};

const RUNS: usize = 5;
const COMPONENTS: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-read-write") {
        child_read_write(Path::new(&args[2]), Path::new(&args[3]));
        return;
    }
    let large = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sbom/generated/npm-large-react-scripts.cdx15.json");
    // A directory of its own, removed only after measuring: creating files
    // right after deleting tens of thousands slows ext4 down for a while.
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-enrich")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&work).unwrap();
    let big = work.join("large-10k.cdx15.json");
    support::build_10k(&large, &big, COMPONENTS);

    println!("tacos-sbom enrich benchmark ({RUNS} runs each, median; peak RSS in MiB)");
    println!(
        "{:<36} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "file",
        "jq -c .",
        "rd/wr",
        "ratio",
        "files",
        "ratio",
        "bundle",
        "ratio",
        "MiB rw/files/bundle"
    );
    for file in [large.as_path(), big.as_path()] {
        let jq = measure(|| {
            let mut c = Command::new("jq");
            c.arg("-c").arg(".").arg(file);
            c
        });
        let out = work.join("rw-out.json");
        let rw = measure(|| {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.arg("--child-read-write").arg(file).arg(&out);
            c
        });
        let mut n = 0;
        let mut command = |layout: &str| {
            n += 1;
            let dir = work.join(format!("run-{n}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut c = Command::new(env!("CARGO_BIN_EXE_tacos-sbom"));
            c.arg("-q")
                .arg("enrich")
                .arg(file)
                .arg("-o")
                .arg(dir.join("out.json"))
                .arg("--layout")
                .arg(layout)
                // No network: this measures the SBOM and signing work.
                // A cache of its own: statements a run before stored would
                // make this a warm re-run.
                .arg("--offline")
                .arg("--cache-dir")
                .arg(dir.join("cache"))
                .env("TACOS_SBOM_CONFIG_DIR", work.join("config"))
                .env_remove("CI");
            c
        };
        // Timed as a user runs it (npm is asked for its registry); the
        // peak RSS of one more run without that child, whose own RSS
        // would be reported instead of the tool's on small inputs.
        let mut enrich = |layout: &str| {
            let (wall, _) = measure(|| command(layout));
            let (_, kib) = support::timed(support::own_memory(&mut command(layout)));
            (wall, kib as f64 / 1024.0)
        };
        let files = enrich("files");
        let bundle = enrich("bundle");
        let name = file.file_name().unwrap().to_string_lossy();
        println!(
            "{:<36} {:>9.3}s {:>8.3}s {:>8.2}x {:>8.3}s {:>8.2}x {:>8.3}s {:>8.2}x {:>4.0}/{:.0}/{:.0}",
            name,
            jq.0,
            rw.0,
            rw.0 / jq.0,
            files.0,
            files.0 / jq.0,
            bundle.0,
            bundle.0 / jq.0,
            rw.1,
            files.1,
            bundle.1
        );
    }
    println!("targets: read/write <= 1.5x jq, enrich with signing <= 3x jq");
    for file in [large.as_path(), big.as_path()] {
        let bytes = std::fs::metadata(file).unwrap().len();
        let distinct = distinct_packages(file);
        let bound = (4 * bytes + 10 * 1024 * distinct as u64) as f64 / (1024.0 * 1024.0);
        println!(
            "memory bound for {}: 4 x {:.1} MiB + 10 KiB x {distinct} distinct packages = {bound:.0} MiB",
            file.file_name().unwrap().to_string_lossy(),
            bytes as f64 / (1024.0 * 1024.0),
        );
    }
    println!(
        "files, bundle: enrich with signing, one file per package / the bundle layout (--layout bundle)"
    );
    println!(
        "MiB: peak RSS of read/write / of each enrich (without the npm child; jq for comparison below)"
    );
    for file in [large.as_path(), big.as_path()] {
        let jq = measure(|| {
            let mut c = Command::new("jq");
            c.arg("-c").arg(".").arg(file);
            c
        });
        println!(
            "  jq peak RSS on {}: {:.0} MiB",
            file.file_name().unwrap().to_string_lossy(),
            jq.1
        );
    }
    std::fs::remove_dir_all(&work).unwrap();
}

/// Median wall seconds and max peak RSS (MiB) over RUNS runs.
fn measure(mut make: impl FnMut() -> Command) -> (f64, f64) {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..RUNS {
        let (wall, kib) = support::timed(&make());
        times.push(wall);
        peak = peak.max(kib as f64 / 1024.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[RUNS / 2], peak)
}

/// The SBOM work without signing: read, resolve every PURL, reference every
/// component, write. References carry a placeholder digest.
fn child_read_write(input: &Path, output: &Path) {
    let sbom = Sbom::read(input).unwrap();
    let tool = enrich::tool();
    let digest = "0".repeat(64);
    let component_refs = sbom
        .components()
        .into_iter()
        .filter(|c| c.role == Role::Dependency)
        .filter_map(|c| {
            let purl = Purl::parse(c.purl.as_deref()?).ok()?;
            let url = format!(
                "tacos-attestations/{}",
                artifact_file_name(&purl.to_string(), &Sha256Hex::of(b""))
            );
            Some((
                c.id,
                Reference {
                    url,
                    sha256: digest.clone(),
                    comment: format!(
                        "{} for {purl}; sha256:{digest}",
                        tacos_sbom::attest::reference::REFERENCE_MARKER
                    ),
                },
            ))
        })
        .collect();
    let changes = Changes {
        vulnerabilities: Vec::new(),
        root_members: Vec::new(),
        document_refs: Vec::new(),
        document_marker: tacos_sbom::attest::reference::REPORT_MARKER,
        spdx_document_reference_type: tacos_sbom::attest::reference::SPDX_REPORT_REFERENCE_TYPE,
        component_refs,
        tool: &tool,
        marker: tacos_sbom::attest::reference::REFERENCE_MARKER,
        spdx_reference_type: tacos_sbom::attest::reference::SPDX_REFERENCE_TYPE,
        cdx_reference_type: tacos_sbom::attest::reference::CDX_REFERENCE_TYPE,
        now: time::OffsetDateTime::UNIX_EPOCH,
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(output).unwrap());
    sbom.enrich(&changes).write_to(&mut f).unwrap();
    f.flush().unwrap();
}

/// Distinct canonical PURLs among the file's components, nested ones too.
fn distinct_packages(file: &Path) -> usize {
    fn walk(components: &[serde_json::Value], found: &mut std::collections::BTreeSet<String>) {
        for c in components {
            if let Some(p) = c["purl"].as_str().and_then(|p| Purl::parse(p).ok()) {
                found.insert(p.to_string());
            }
            if let Some(n) = c["components"].as_array() {
                walk(n, found);
            }
        }
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let mut found = std::collections::BTreeSet::new();
    walk(doc["components"].as_array().unwrap(), &mut found);
    found.len()
}
