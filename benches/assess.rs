//! `cargo bench --bench assess`: the assessment of the large fixture SBOM
//! against the local fixture server answering every request after 50 ms.
//!
//! Reports requests per service, wall time, and its ratio to the ideal
//! (requests × 50 ms ÷ concurrency, the time a perfect client would need to
//! make those requests), then runs again on the same cache, which must make
//! no requests at all.

#[path = "../tests/support/server.rs"]
mod server;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const DELAY: Duration = Duration::from_millis(50);
const CONCURRENCY: usize = 8;

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let sbom = fixtures.join("sbom/generated/npm-large-react-scripts.cdx15.json");
    let srv = server::FixtureServer::start(&fixtures);
    srv.set_delay(DELAY);
    // What the fixtures did not record is "not found", as a registry would
    // answer, not an error: errors are not cached (the next run asks
    // again), which would measure the fixtures rather than the cache.
    srv.set_unrecorded_absent(true);
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-assess")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&work).unwrap();

    println!(
        "tacos-sbom assessment benchmark: {} against a local server delaying every answer by {} ms, concurrency {CONCURRENCY}",
        sbom.file_name().unwrap().to_string_lossy(),
        DELAY.as_millis()
    );
    for run in ["first (empty cache)", "second (same cache)"] {
        srv.reset_counts();
        let started = Instant::now();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tacos-sbom"));
        cmd.arg("-q")
            .arg("enrich")
            .arg(&sbom)
            .arg("-o")
            .arg(work.join("out.json"))
            .arg("--concurrency")
            .arg(CONCURRENCY.to_string())
            .arg("--cache-dir")
            .arg(work.join("cache"))
            .env("TACOS_SBOM_CONFIG_DIR", work.join("config"))
            .env_remove("CI")
            .env("SOURCE_DATE_EPOCH", "1795392000");
        for (k, v) in srv.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let wall = started.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let counts = srv.counts();
        let total: u64 = counts.values().sum();
        let ideal = DELAY.as_secs_f64() * total as f64 / CONCURRENCY as f64;
        println!("{run}:");
        for (service, n) in &counts {
            println!("  {service:<14} {n:>6} requests");
        }
        println!(
            "  total          {total:>6} requests; wall {:.2} s; ideal {:.2} s; ratio {}",
            wall.as_secs_f64(),
            ideal,
            if total == 0 {
                "n/a (no requests)".to_string()
            } else {
                format!("{:.2}x", wall.as_secs_f64() / ideal)
            }
        );
    }
    println!("target: ratio <= 1.25x on the first run; no requests on the second");
    std::fs::remove_dir_all(&work).unwrap();
}
