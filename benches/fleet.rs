//! `cargo bench --bench fleet [-- --ci] [--p4-only | --fleet-only]`: bulk input and a fleet of runners.
//!
//! Fleet: SBOMs generated from the real fixture SBOMs' components, enriched
//! once by a single process and once by 4 processes started together, each
//! given an overlapping share (150 of every 400, so each SBOM is in one or
//! two shares), all against the loopback fixture server delaying every
//! answer, and one PostgreSQL store (a real server, started here). It checks
//! that each package was assessed by exactly one runner, and compares what
//! the fleet asked the services with what the single process asked
//! (requests per service outside the batch endpoints, items inside them),
//! and both wall times. The registries answer "not found" for what the
//! fixtures did not record: an error there would leave a statement with an
//! unavailable source, which is not stored, so each runner needing it
//! would assess it again, by design.
//!
//! P4: peak memory (GNU time) of one process enriching many generated SBOMs
//! of many components (offline, bundle layout, an empty cache: the SBOM,
//! statement and signing work, no network), against the bound
//! 4 × the largest input + 10 KiB per distinct package.
//!
//! P3: the single process again on the same store, against an offline run
//! on an empty cache (the SBOM, statement and signing work alone).
//!
//! `--ci` runs them at a reduced size (CI runs it); the full size is the
//! issue's: 400 SBOMs for the fleet, 1,000 SBOMs of 1,000 components for P4.

#[path = "../tests/support/postgres.rs"]
mod postgres;
#[path = "../tests/support/server.rs"]
mod server;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tacos_sbom::purl::Purl;

struct Size {
    fleet_sboms: usize,
    fleet_components: usize,
    delay: Duration,
    p4_sboms: usize,
    p4_components: usize,
}

const RUNNERS: usize = 4;

fn main() {
    let ci = std::env::args().any(|a| a == "--ci");
    let size = if ci {
        Size {
            fleet_sboms: 40,
            fleet_components: 40,
            delay: Duration::from_millis(20),
            p4_sboms: 100,
            p4_components: 100,
        }
    } else {
        Size {
            fleet_sboms: 400,
            fleet_components: 100,
            delay: Duration::from_millis(50),
            p4_sboms: 1000,
            p4_components: 1000,
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root
        .join("target/bench-fleet")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&work).unwrap();
    let pool = component_pool(&root);
    println!(
        "tacos-sbom fleet benchmark{}: {} distinct packages from the fixture SBOMs",
        if ci { " (reduced size, --ci)" } else { "" },
        pool.len()
    );

    // `--p4-only`: the memory measure alone, without the fleet and P3;
    // `--fleet-only`: the fleet and P3 alone.
    let only = |flag: &str| std::env::args().any(|a| a == flag);
    if !only("--p4-only") {
        fleet(&root, &work, &pool, &size);
    }
    if !only("--fleet-only") {
        p4(&work, &pool, &size);
    }
    std::fs::remove_dir_all(&work).unwrap();
}

/// One generated component: name, version, PURL.
#[derive(Clone)]
struct Component {
    name: String,
    version: String,
    purl: String,
}

/// Every distinct versioned PURL in the fixture SBOMs (CycloneDX and SPDX
/// JSON), in a fixed order.
fn component_pool(root: &Path) -> Vec<Component> {
    let mut found = BTreeSet::new();
    for dir in ["tests/fixtures/sbom", "sample-sboms"] {
        collect_files(&root.join(dir), &mut |p| {
            if p.extension().is_some_and(|e| e == "json")
                && let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(p).unwrap())
            {
                walk(&v, &mut found);
            }
        });
    }
    found
        .into_iter()
        .filter_map(|s| {
            let p = Purl::parse(&s).ok()?;
            Some(Component {
                name: p.name().to_string(),
                version: p.version()?.to_string(),
                purl: p.to_string(),
            })
        })
        .collect()
}

fn collect_files(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, f);
        } else {
            f(&p);
        }
    }
}

fn walk(v: &Value, found: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("purl" | "referenceLocator", Value::String(s)) if s.starts_with("pkg:") => {
                        found.insert(s.clone());
                    }
                    _ => walk(x, found),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
        _ => {}
    }
}

/// SBOM `k` of a set: `n` components drawn from the pool with a stride, so
/// SBOMs share some packages and differ in others, as a fleet's do. With
/// `variants` > 1 a component's version gets one of that many suffixes,
/// multiplying the distinct packages beyond the pool.
fn write_sbom(path: &Path, k: usize, n: usize, pool: &[Component], variants: usize) {
    let mut components = Vec::with_capacity(n);
    let mut seen = BTreeSet::new();
    let mut j = 0usize;
    while components.len() < n.min(pool.len() * variants) {
        let i = (k * 7919 + j * 104_729) % pool.len();
        let variant = (k + j) % variants;
        j += 1;
        if !seen.insert((i, variant)) {
            continue;
        }
        let c = &pool[i];
        let (version, purl) = if variant == 0 {
            (c.version.clone(), c.purl.clone())
        } else {
            let v = format!("{}-fleet.{variant}", c.version);
            let p = Purl::parse(&c.purl)
                .unwrap()
                .with_version(&v)
                .unwrap()
                .to_string();
            (v, p)
        };
        components.push(json!({
            "type": "library",
            "bom-ref": purl,
            "name": c.name,
            "version": version,
            "purl": purl,
        }));
    }
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:00000000-0000-4000-8000-{k:012}"),
        "version": 1,
        "metadata": {"component": {"type": "application", "name": format!("service-{k}"), "version": "1.0.0"}},
        "components": components,
    });
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

/// The secret the runners share (a test value, not a secret).
const FLEET_STORE_KEY: &str = "fleet-benchmark-store-key-not-secret";

fn enrich(work: &Path, name: &str, list: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tacos-sbom"));
    cmd.arg("enrich")
        .arg("--from-list")
        .arg(list)
        .arg("-o")
        .arg(work.join(format!("out-{name}")))
        .arg("--attestations-dir")
        .arg(work.join(format!("att-{name}")))
        .arg("--cache-dir")
        .arg(work.join(format!("cache-{name}")))
        .args(extra)
        .env("TACOS_SBOM_CONFIG_DIR", work.join("config"))
        .env("SOURCE_DATE_EPOCH", "1795392000")
        // The fleet's store key: every runner seals and checks rows with it.
        .env("TACOS_STORE_KEY", FLEET_STORE_KEY)
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("CI")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Wait for a run; its stderr.
fn wait(c: Child, what: &str) -> String {
    let o = c.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{what} failed: {err}");
    err
}

/// Packages a runner assessed itself, from its store line
/// ("store ...: R statements reused, A assessed[ (W waited for ...)]").
fn assessed(err: &str) -> usize {
    let line = err
        .lines()
        .find(|l| l.starts_with("store "))
        .unwrap_or_else(|| panic!("no store line in: {err}"));
    let tail = line.rsplit_once(": ").map_or(line, |(_, t)| t);
    tail.split(", ")
        .find_map(|part| part[..part.find(" assessed")?].parse().ok())
        .unwrap_or_else(|| panic!("no assessed count in: {line}"))
}

/// What a run asked: requests per service outside the batch endpoints, and
/// items per batch endpoint.
fn asked(srv: &server::FixtureServer) -> BTreeMap<String, u64> {
    let mut out = srv.counts();
    let batches = [
        ("osv", "/osv/v1/querybatch"),
        ("depsdev", "/depsdev/v3alpha/versionbatch"),
    ];
    for (service, path) in batches {
        if let Some(n) = out.get_mut(service) {
            *n -= srv.hits(path);
        }
    }
    out.retain(|_, n| *n > 0);
    for (endpoint, n) in srv.batch_items() {
        out.insert(format!("{endpoint} (items)"), n);
    }
    out
}

fn fleet(root: &Path, work: &Path, pool: &[Component], size: &Size) {
    let dir = work.join("fleet-sboms");
    std::fs::create_dir_all(&dir).unwrap();
    let sboms: Vec<PathBuf> = (0..size.fleet_sboms)
        .map(|k| {
            let p = dir.join(format!("sbom-{k:04}.cdx.json"));
            write_sbom(&p, k, size.fleet_components, pool, 1);
            p
        })
        .collect();
    let write_list = |name: &str, items: &[&PathBuf]| {
        let p = work.join(format!("{name}.list"));
        let text: String = items.iter().map(|s| format!("{}\n", s.display())).collect();
        std::fs::write(&p, text).unwrap();
        p
    };
    let all: Vec<&PathBuf> = sboms.iter().collect();
    let everything = write_list("all", &all);
    // Runner r: a quarter starting at r/4, plus the next half-quarter.
    let quarter = size.fleet_sboms / RUNNERS;
    let share = quarter + quarter / 2;
    let lists: Vec<PathBuf> = (0..RUNNERS)
        .map(|r| {
            let items: Vec<&PathBuf> = (0..share)
                .map(|i| &sboms[(r * quarter + i) % sboms.len()])
                .collect();
            write_list(&format!("runner-{r}"), &items)
        })
        .collect();
    let pg = postgres::Postgres::start();
    let fixtures = root.join("tests/fixtures");
    println!(
        "fleet: {} SBOMs of {} components; {RUNNERS} runners of {share} SBOMs each; every answer delayed {} ms; PostgreSQL store",
        size.fleet_sboms,
        size.fleet_components,
        size.delay.as_millis()
    );

    // One process, all SBOMs.
    let srv = server::FixtureServer::start(&fixtures);
    srv.set_delay(size.delay);
    srv.set_unrecorded_absent(true);
    let store = pg.database("single");
    let started = Instant::now();
    let mut cmd = enrich(work, "single", &everything, &["--store", &store]);
    cmd.envs(srv.env());
    let single_assessed = assessed(&wait(cmd.spawn().unwrap(), "the single process"));
    let single_wall = started.elapsed();
    let single = asked(&srv);

    // P3: the same SBOMs again on the same store and server (a fresh answer
    // cache, so only the store is warm), against the SBOM, statement and
    // signing work alone (offline, an empty cache).
    // Its peak RSS too: every registry has an endpoint here, so no
    // ecosystem client is started whose memory would count as its own.
    let mut cmd = enrich(work, "warm", &everything, &["--store", &store]);
    cmd.envs(srv.env());
    let (warm_wall, warm_kib, warm_err) = support::timed_with_stderr(&cmd);
    let warm_asked = asked(&srv).values().sum::<u64>() - single.values().sum::<u64>();
    drop(srv);
    let started = Instant::now();
    let mut cmd = enrich(work, "offline", &everything, &["--offline"]);
    wait(cmd.spawn().unwrap(), "the offline run");
    let offline_wall = started.elapsed();

    // The fleet: a fresh store and server, all runners at once.
    let srv = server::FixtureServer::start(&fixtures);
    srv.set_delay(size.delay);
    srv.set_unrecorded_absent(true);
    let store = pg.database("fleet");
    let started = Instant::now();
    let children: Vec<Child> = lists
        .iter()
        .enumerate()
        .map(|(r, list)| {
            let mut cmd = enrich(work, &format!("runner-{r}"), list, &["--store", &store]);
            cmd.envs(srv.env());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut fleet_assessed = Vec::new();
    for (r, c) in children.into_iter().enumerate() {
        fleet_assessed.push(assessed(&wait(c, &format!("runner {r}"))));
    }
    let fleet_wall = started.elapsed();
    let fleet = asked(&srv);

    println!("  {:<30} {:>10} {:>10}", "asked", "single", "fleet");
    let keys: BTreeSet<&String> = single.keys().chain(fleet.keys()).collect();
    for k in keys {
        println!(
            "  {:<30} {:>10} {:>10}",
            k,
            single.get(k).unwrap_or(&0),
            fleet.get(k).unwrap_or(&0)
        );
    }
    let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
    println!(
        "  {:<30} {:>10} {:>10}",
        "total",
        total(&single),
        total(&fleet)
    );
    println!(
        "  wall: single {:.2} s, fleet of {RUNNERS} {:.2} s",
        single_wall.as_secs_f64(),
        fleet_wall.as_secs_f64()
    );
    println!(
        "  assessed: single {single_assessed}; fleet {} ({})",
        fleet_assessed.iter().sum::<usize>(),
        fleet_assessed
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    println!(
        "P3: warm re-run on the same store {:.2} s ({} assessed, {warm_asked} requests) / offline on an empty cache {:.2} s = {:.2}x (target <= 2x); its peak RSS {:.0} MiB",
        warm_wall,
        assessed(&warm_err),
        offline_wall.as_secs_f64(),
        warm_wall / offline_wall.as_secs_f64(),
        warm_kib as f64 / 1024.0
    );
    // The store's promise: each package assessed by exactly one runner.
    assert_eq!(
        fleet_assessed.iter().sum::<usize>(),
        single_assessed,
        "each package must be assessed once across the fleet"
    );
    let more: Vec<String> = fleet
        .iter()
        .filter(|(k, n)| **n > single.get(*k).copied().unwrap_or(0))
        .map(|(k, n)| format!("{k} {n} vs {}", single.get(k).copied().unwrap_or(0)))
        .collect();
    if single == fleet {
        println!("  the fleet asked exactly what the single process asked");
    } else if more.is_empty() {
        // A process asks again about an answer it did not keep (a record
        // not found, say); the store keeps it for every runner.
        println!(
            "  the fleet asked nothing more than the single process ({} fewer)",
            total(&single) - total(&fleet)
        );
    } else {
        println!(
            "  NOT MET: the fleet asked more than the single process: {}",
            more.join(", ")
        );
    }
}

fn p4(work: &Path, pool: &[Component], size: &Size) {
    let dir = work.join("p4-sboms");
    std::fs::create_dir_all(&dir).unwrap();
    let variants = 10;
    let mut largest = 0u64;
    let mut distinct = BTreeSet::new();
    let mut files = Vec::new();
    for k in 0..size.p4_sboms {
        let p = dir.join(format!("sbom-{k:04}.cdx.json"));
        write_sbom(&p, k, size.p4_components, pool, variants);
        largest = largest.max(std::fs::metadata(&p).unwrap().len());
        let doc: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for c in doc["components"].as_array().unwrap() {
            distinct.insert(c["purl"].as_str().unwrap().to_string());
        }
        files.push(p);
    }
    let list = work.join("p4.list");
    let text: String = files.iter().map(|s| format!("{}\n", s.display())).collect();
    std::fs::write(&list, text).unwrap();
    let p4_args = ["--offline", "--layout", "bundle", "--ephemeral-key"];
    let (wall, peak_kib) = support::timed(support::own_memory(&mut enrich(
        work, "p4", &list, &p4_args,
    )));
    // The process's own base, which the bound leaves out: the same command
    // on one SBOM of one component.
    let one_sbom = work.join("p4-one.cdx.json");
    write_sbom(&one_sbom, 0, 1, pool, variants);
    let one = work.join("p4-one.list");
    std::fs::write(&one, format!("{}\n", one_sbom.display())).unwrap();
    let (_, base_kib) = support::timed(support::own_memory(&mut enrich(
        work, "p4-one", &one, &p4_args,
    )));
    let bound = 4 * largest + 10 * 1024 * distinct.len() as u64;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "P4: {} SBOMs of {} components ({} distinct packages, largest input {:.1} MiB), offline, bundle layout",
        size.p4_sboms,
        size.p4_components,
        distinct.len(),
        mib(largest)
    );
    println!(
        "  peak RSS {:.0} MiB; bound 4 x largest input + 10 KiB x distinct packages = {:.0} MiB; {}; wall {:.1} s",
        mib(peak_kib * 1024),
        mib(bound),
        if peak_kib * 1024 <= bound {
            "within the bound"
        } else {
            "OVER the bound"
        },
        wall
    );
    println!(
        "  the process's base (the same command on one component): {:.0} MiB; above it, {:.0} MiB",
        mib(base_kib * 1024),
        mib(peak_kib.saturating_sub(base_kib) * 1024)
    );
}
