//! `cargo bench --bench envelopes`: what Sigstore bundles, RFC 3161
//! timestamps and attaching to an image cost on a 10,000-component SBOM
//! (9,125 distinct packages), as ratios to today's DSSE run, measured in one
//! run on this machine:
//!
//! - `enrich` with bare DSSE envelopes (the default; the baseline), with
//!   Sigstore bundles, and with bundles timestamped by a loopback RFC 3161
//!   authority (OpenSSL's `openssl ts -reply` behind a small HTTP server,
//!   one process per request: `tests/support/tsa.rs`), each `--offline`
//!   into a fresh directory with an empty cache, so only SBOM, signing and
//!   timestamp work is counted;
//! - `attach` of the bundles to an image on a loopback `docker-registry`
//!   (when it is installed), then again (every blob already there), and
//!   `verify --image`.
//!
//! - `enrich --keyless` against the loopback Sigstore stand-ins
//!   (`tests/support/sigstore.rs`: `@sigstore/mock`'s Fulcio and our own
//!   Rekor-shaped log in one node process; needs tests/conformance/INSTALL.sh),
//!   no timestamp authority: one certificate per run and one log entry per
//!   artifact, so the figure is the fixed cost plus a round trip per
//!   package to a log on loopback; then again with the stand-in's Rekor v2
//!   log, which needs a timestamp per artifact (the same TSA stand-in) but
//!   takes only the digest of each envelope, however large.
//!
//! The TSA stand-in's own time is counted in the timestamped run: it is a
//! process per request, which no production authority is; the figure says
//! what one request per artifact costs here, not what a public TSA would.
//! Likewise the log's: a single-threaded node process.

#[path = "../tests/support/registry.rs"]
mod registry;
#[path = "../tests/support/sigstore.rs"]
mod sigstore;
mod support;
#[path = "../tests/support/tsa.rs"]
mod tsa;

use std::path::{Path, PathBuf};
use std::process::Command;

const RUNS: usize = 3;
const COMPONENTS: usize = 10_000;

fn main() {
    let large = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sbom/generated/npm-large-react-scripts.cdx15.json");
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-envelopes")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&work).unwrap();
    let big = work.join("large-10k.cdx15.json");
    support::build_10k(&large, &big, COMPONENTS);
    let bin = env!("CARGO_BIN_EXE_tacos-sbom");
    let key = work.join("signer");
    let out = Command::new(bin)
        .args(["keygen", "-q", "-o"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "keygen");
    let tsa = tsa::TestTsa::start("bench TSA");

    let mut n = 0;
    let mut enrich = |extra: &[&str]| {
        n += 1;
        let dir = work.join(format!("run-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = Command::new(bin);
        c.arg("-q")
            .arg("enrich")
            .arg(&big)
            .arg("-o")
            .arg(dir.join("out.json"))
            .arg("--offline")
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .arg("--key")
            .arg(key.with_extension("key"))
            .args(extra)
            .env("TACOS_SBOM_CONFIG_DIR", work.join("config"))
            .env_remove("CI");
        (c, dir)
    };
    let mut median = |extra: &[&str]| {
        let mut times = Vec::new();
        let mut last = PathBuf::new();
        for _ in 0..RUNS {
            let (c, dir) = enrich(extra);
            times.push(support::timed(&c).0);
            last = dir;
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (times[RUNS / 2], last)
    };
    let (dsse, _) = median(&["--envelope", "dsse"]);
    let (bundle, bundle_dir) = median(&["--envelope", "bundle"]);
    let before = tsa.requests();
    let (stamped, _) = median(&[
        "--envelope",
        "bundle",
        "--timestamp-server-url",
        tsa.url.as_str(),
    ]);
    let per_run = (tsa.requests() - before) / RUNS;
    let keyless_v1 = keyless(bin, &big, &work, 1, None);
    let keyless_v2 = keyless(bin, &big, &work, 2, Some(&tsa.url));

    println!(
        "tacos-sbom envelopes benchmark: {COMPONENTS} components, {RUNS} runs each, median wall seconds"
    );
    println!("{:<44} {:>9} {:>8}", "run", "seconds", "vs DSSE");
    let row = |name: &str, t: f64| println!("{name:<44} {t:>8.2}s {:>7.2}x", t / dsse);
    row("enrich, DSSE envelopes (today's default)", dsse);
    row("enrich, Sigstore bundles", bundle);
    row(
        &format!("enrich, bundles + RFC 3161 ({per_run} requests)"),
        stamped,
    );
    for (name, run) in [
        ("enrich --keyless, Rekor v1", keyless_v1),
        ("enrich --keyless, Rekor v2 + RFC 3161", keyless_v2),
    ] {
        match run {
            Ok((t, fulcio, rekor)) => row(&format!("{name} ({fulcio} cert, {rekor} entries)"), t),
            Err(why) => println!("{name}: {why}"),
        }
    }

    if Path::new("/usr/bin/docker-registry").exists() {
        let reg = registry::Registry::start(&work.join("registry"), false);
        let image = reg.push_image("bench/app", "v1");
        let reference = format!("{}/bench/app@{image}", reg.host());
        let sbom = bundle_dir.join("out.json");
        let time = |args: &[&str]| {
            let mut c = Command::new(bin);
            c.arg("-q").args(args).env_remove("CI");
            support::timed(&c).0
        };
        let first = time(&["attach", sbom.to_str().unwrap(), "--image", &reference]);
        let again = time(&["attach", sbom.to_str().unwrap(), "--image", &reference]);
        let public = key.with_extension("pub");
        let verify = time(&[
            "verify",
            "--image",
            &reference,
            "--key",
            public.to_str().unwrap(),
        ]);
        println!(
            "{:<44} {first:>8.2}s",
            "attach to a loopback docker-registry"
        );
        println!("{:<44} {again:>8.2}s", "attach again (every blob there)");
        println!("{:<44} {verify:>8.2}s", "verify --image");
    } else {
        println!("attach: skipped (no /usr/bin/docker-registry: apt-get install docker-registry)");
    }
    std::fs::remove_dir_all(&work).unwrap();
}

/// One `enrich --keyless` run of `big` against fresh stand-ins (a single
/// run: each is minutes of log entries), logging to the Rekor of API
/// version `rekor_api`, timestamped by `tsa` when given: its wall time,
/// Fulcio requests and log entries; or why it could not run.
fn keyless(
    bin: &str,
    big: &Path,
    work: &Path,
    rekor_api: u32,
    tsa: Option<&str>,
) -> Result<(f64, usize, usize), String> {
    let standin = std::panic::catch_unwind(|| sigstore::SigstoreStandin::start(Default::default()))
        .map_err(|_| {
            "skipped: the Sigstore stand-ins did not start (run tests/conformance/INSTALL.sh)"
                .to_string()
        })?;
    let dir = work.join(format!("keyless-v{rekor_api}"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("signing_config.json");
    std::fs::write(&config, standin.signing_config_json_rekor(tsa, rekor_api)).unwrap();
    let token = sigstore::identity_token(
        "https://ci.test/bench/.github/workflows/bench.yml@refs/heads/main",
        "https://issuer.test",
        serde_json::json!({}),
    );
    let mut c = Command::new(bin);
    c.arg("-q")
        .arg("enrich")
        .arg(big)
        .arg("-o")
        .arg(dir.join("out.json"))
        .arg("--offline")
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["--keyless", "--signing-config"])
        .arg(&config)
        .env("TACOS_SBOM_CONFIG_DIR", work.join("config"))
        .env("SIGSTORE_ID_TOKEN", token)
        .env_remove("CI");
    let (t, ok) = {
        let started = std::time::Instant::now();
        let out = c.output().unwrap();
        (started.elapsed().as_secs_f64(), out)
    };
    if !ok.status.success() {
        return Err(format!(
            "failed after {t:.1}s: {}",
            String::from_utf8_lossy(&ok.stderr).trim()
        ));
    }
    let log = standin.log();
    let count = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    Ok((
        t,
        count("POST /api/v2/signingCert 201"),
        count(&format!("POST /api/v{rekor_api}/log/entries 201")),
    ))
}
