//! The assessment store on a real PostgreSQL server (Debian's, started by
//! the test on loopback): claims, migrations, and a fleet of runners that
//! assesses each package once.

mod common;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use common::*;
use postgres::Postgres;
use tacos_sbom::store::Store;
use tacos_sbom::store::postgres::PgStore;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn claims_are_exclusive_and_expire_and_migrations_run_once() {
    let pg = Postgres::start();
    let url = pg.database("claims");
    block(async {
        // Four first runs at once: the schema is made once.
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let url = url.clone();
            set.spawn(async move { PgStore::connect(&url, 2).await.map(|_| ()) });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
        let a = PgStore::connect(&url, 2).await.unwrap();
        let b = PgStore::connect(&url, 2).await.unwrap();
        let keys = vec!["k1".to_string(), "k2".to_string()];
        assert_eq!(a.claim(&keys, "a", 600, 3600).await.unwrap().len(), 2);
        assert!(b.claim(&keys, "b", 600, 3600).await.unwrap().is_empty());
        a.save(&[("k1".into(), "{\"x\":1}".into())]).await.unwrap();
        let got = b.load(&keys, 3600).await.unwrap();
        assert_eq!(got["k1"].statement, "{\"x\":1}");
        assert!(!got.contains_key("k2"));
        // A released claim, and then an expired one, can be taken.
        a.release(&["k2".into()], "a").await.unwrap();
        assert_eq!(
            b.claim(&keys, "b", 1, 3600).await.unwrap(),
            vec!["k2".to_string()]
        );
        assert!(a.claim(&keys, "a", 600, 3600).await.unwrap().is_empty());
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            a.claim(&keys, "a", 600, 3600).await.unwrap(),
            vec!["k2".to_string()]
        );
        // Past the TTL a statement is stale: not loaded, claimable. With a
        // TTL of zero, so is one decided a moment ago.
        assert!(b.load(&keys, 0).await.unwrap().is_empty());
        assert_eq!(
            b.claim(&["k1".into()], "b", 600, 0).await.unwrap(),
            vec!["k1".to_string()]
        );
    });
}

/// Run `enrich` as one runner of a fleet: the fixture server for every
/// service, one PostgreSQL store.
fn runner(
    srv: &server::FixtureServer,
    tmp: &Temp,
    name: &str,
    inputs: &[&str],
    store: &str,
    config: &str,
) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tacos-sbom"));
    cmd.current_dir(tmp.path())
        .arg("enrich")
        .args(inputs)
        .args([
            "-o",
            &format!("out-{name}"),
            "--attestations-dir",
            &format!("att-{name}"),
        ])
        .args([
            "--store",
            store,
            "--cache-dir",
            &format!("cache-{name}"),
            "--config",
            config,
        ])
        .env("TACOS_SBOM_CONFIG_DIR", tmp.join(".tacos-config"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("TACOS_OSV_WEB_URL", "https://osv.example.invalid")
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("CI")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in srv.env() {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// (reused, assessed, waited for) from a runner's stderr.
fn store_line(err: &str) -> (usize, usize, usize) {
    let line = err
        .lines()
        .find(|l| l.starts_with("store PostgreSQL"))
        .unwrap_or_else(|| panic!("no store line: {err}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse().ok())
        .collect();
    // The port and the numbers: take the last counts.
    let n = nums.len();
    if line.contains("waited for") {
        (nums[n - 3], nums[n - 2], nums[n - 1])
    } else {
        (nums[n - 2], nums[n - 1], 0)
    }
}

#[test]
fn a_fleet_assesses_each_package_once_and_outlives_a_dead_runner() {
    let pg = Postgres::start();
    let store = pg.database("fleet");
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let npm = tmp.copy_in(
        &repo().join("sample-sboms/npm-webapp.cdx16.json"),
        "npm.json",
    );
    let pypi = tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "pypi.json",
    );
    let cargo = tmp.copy_in(
        &repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        "cargo.json",
    );
    let (npm, pypi, cargo) = (
        npm.to_str().unwrap().to_string(),
        pypi.to_str().unwrap().to_string(),
        cargo.to_str().unwrap().to_string(),
    );
    let config = tmp.join("fleet.toml");
    std::fs::write(&config, "[store]\nclaim_seconds = 4\n").unwrap();
    let config = config.to_str().unwrap();
    // Slow answers, so that the runners overlap. Unrecorded packages are
    // absent, not errors: a statement with an unavailable source is not
    // stored, so every runner needing it would assess it again (below).
    srv.set_delay(Duration::from_millis(20));
    srv.set_unrecorded_absent(true);
    let children = vec![
        runner(&srv, &tmp, "a", &[&npm, &pypi], &store, config),
        runner(&srv, &tmp, "b", &[&pypi, &cargo], &store, config),
        runner(&srv, &tmp, "c", &[&cargo, &npm], &store, config),
    ];
    let mut assessed = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (_, a, _) = store_line(&String::from_utf8_lossy(&o.stderr));
        assessed += a;
    }
    // Every distinct package of the three SBOMs was assessed by exactly one
    // runner: 323 + 23 + 185.
    assert_eq!(assessed, 323 + 23 + 185);

    // A runner killed while it holds claims: the next one waits for the
    // claims to expire (4 s), then assesses those packages itself.
    let fresh = pg.database("dead");
    srv.set_delay(Duration::from_millis(300));
    let mut doomed = runner(&srv, &tmp, "doomed", &[&pypi], &fresh, config);
    std::thread::sleep(Duration::from_millis(1500));
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    srv.set_delay(Duration::ZERO);
    let started = Instant::now();
    let o = runner(&srv, &tmp, "heir", &[&pypi], &fresh, config)
        .wait_with_output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("waiting for"), "{err}");
    let (_, assessed, _) = store_line(&err);
    assert_eq!(assessed, 23, "{err}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_store_password_is_never_shown() {
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    // Nothing listens there: the connection fails, and the message names
    // the store without its password.
    let o = tacos(
        tmp.path(),
        &[
            "enrich",
            "in.json",
            "-o",
            "out.json",
            "--store",
            "postgres://tacos:s3cret-pw@127.0.0.1:9/db",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("127.0.0.1:9"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret-pw"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("s3cret-pw"));
    assert!(!tmp.join("out.json").exists());
}

/// Requests per service, outside the batch endpoints (whose bodies differ
/// with what each runner happens to batch together).
fn asked_outside_batches(srv: &server::FixtureServer) -> std::collections::BTreeMap<String, u64> {
    let mut out = srv.counts();
    for (service, path) in [
        ("osv", "/osv/v1/querybatch"),
        ("depsdev", "/depsdev/v3alpha/versionbatch"),
    ] {
        if let Some(n) = out.get_mut(service) {
            *n -= srv.hits(path);
        }
    }
    out.retain(|_, n| *n > 0);
    out
}

#[test]
fn runners_on_one_store_ask_each_question_once() {
    let pg = Postgres::start();
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    let x = tmp.copy_in(&repo().join("sample-sboms/npm-webapp.cdx16.json"), "x.json");
    // The same package names at other versions: other packages (assessed
    // apart), the same registry documents.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&x).unwrap()).unwrap();
    let mut renamed = 0;
    for c in doc["components"].as_array_mut().unwrap() {
        let Some(purl) = c["purl"].as_str().map(str::to_string) else {
            continue;
        };
        let Some(at) = purl.rfind('@').filter(|_| purl.starts_with("pkg:npm/")) else {
            continue;
        };
        let version = format!("{}-fleet.1", &purl[at + 1..]);
        c["purl"] = format!("{}@{version}", &purl[..at]).into();
        c["version"] = version.into();
        renamed += 1;
    }
    assert!(renamed > 100, "{renamed}");
    let y = tmp.join("y.json");
    std::fs::write(&y, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (x, y) = (x.to_str().unwrap(), y.to_str().unwrap());
    let config = tmp.join("fleet.toml");
    std::fs::write(&config, "[store]\nclaim_seconds = 30\n").unwrap();
    let config = config.to_str().unwrap();
    srv.set_delay(Duration::from_millis(10));
    srv.set_unrecorded_absent(true);

    let wait = |c: std::process::Child| {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    // One process enriching both.
    wait(runner(
        &srv,
        &tmp,
        "single",
        &[x, y],
        &pg.database("single"),
        config,
    ));
    let single = asked_outside_batches(&srv);
    let single_items = srv.batch_items();
    assert!(single.get("npm").copied().unwrap_or(0) > 100, "{single:?}");
    srv.reset_counts();
    // Two runners at once, one SBOM each, their own caches, one store: each
    // question about a shared name is asked once, by one of them.
    let store = pg.database("shared");
    let a = runner(&srv, &tmp, "a", &[x], &store, config);
    let b = runner(&srv, &tmp, "b", &[y], &store, config);
    wait(a);
    wait(b);
    let fleet = asked_outside_batches(&srv);
    // The registry documents: exactly once each, as the single process.
    assert_eq!(
        fleet.get("npm"),
        single.get("npm"),
        "{fleet:?} vs {single:?}"
    );
    // Nothing more than the single process asked anywhere. (Less is
    // possible: a process asks again about an answer it did not keep, a
    // vulnerability record that was not found, say; the store keeps it.)
    for (service, n) in &fleet {
        assert!(
            *n <= single.get(service).copied().unwrap_or(0),
            "{service}: {fleet:?} vs {single:?}"
        );
    }
    // Nor inside the batches: each version's vulnerabilities once.
    let fleet_items = srv.batch_items();
    assert!(single_items.values().sum::<u64>() > 100, "{single_items:?}");
    for (endpoint, n) in &fleet_items {
        assert!(
            *n <= single_items.get(endpoint).copied().unwrap_or(0),
            "{endpoint}: {fleet_items:?} vs {single_items:?}"
        );
    }
    // What a runner found in the store is in its own cache too, so its
    // next run does not ask the store again: each of the two holds every
    // registry document (they share every name), whichever of them asked.
    let registry_documents = |runner: &str| -> std::collections::BTreeSet<String> {
        let db = rusqlite::Connection::open(tmp.join(&format!("cache-{runner}/responses.sqlite3")))
            .unwrap();
        let mut q = db
            .prepare("SELECT key FROM responses WHERE key GLOB 'GET */npm/*'")
            .unwrap();
        q.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let all = registry_documents("single");
    assert!(all.len() > 100, "{}", all.len());
    for runner in ["a", "b"] {
        let kept = registry_documents(runner);
        let missing: Vec<_> = all.difference(&kept).collect();
        assert!(
            missing.is_empty(),
            "runner {runner} did not keep {} of {}: {:?}",
            missing.len(),
            all.len(),
            missing.iter().take(3).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_damaged_shared_answer_is_asked_again_not_used() {
    let pg = Postgres::start();
    let srv = server::FixtureServer::start(&fixtures());
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let x = tmp.copy_in(&repo().join("sample-sboms/npm-webapp.cdx16.json"), "x.json");
    let x = x.to_str().unwrap();
    let config = tmp.join("store.toml");
    std::fs::write(&config, "[store]\nclaim_seconds = 30\n").unwrap();
    let config = config.to_str().unwrap();
    let store = pg.database("damaged");
    let run = |name: &str| {
        let o = runner(&srv, &tmp, name, &[x], &store, config)
            .wait_with_output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{err}");
        err
    };
    run("first");
    // Every registry document shared with status 200 damaged: about half
    // turned into an HTML page (what a proxy in front of a registry may
    // answer), the others into something this tool never stores. And the
    // statements dropped, so that the next runner assesses again.
    let damaged = block(async {
        let (client, conn) = tokio_postgres::connect(&store, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let damaged = client
            .execute(
                "UPDATE tacos_assessments
                 SET statement = CASE WHEN md5(key) < '8'
                     THEN split_part(statement, E'\\n', 1) || E'\\n<html>upstream error</html>'
                     ELSE 'not an answer this tool stores' END
                 WHERE key LIKE 'answer GET %/npm/%' AND statement LIKE '200 %'",
                &[],
            )
            .await
            .unwrap();
        client
            .execute(
                "DELETE FROM tacos_assessments WHERE key NOT LIKE 'answer %'",
                &[],
            )
            .await
            .unwrap();
        damaged
    });
    assert!(damaged > 20, "{damaged}");
    srv.reset_counts();
    let err = run("second");
    // Each damaged document was asked for again, once; the rest came from
    // the store.
    assert_eq!(srv.counts()["npm"], damaged, "{err}");
    assert!(!err.contains("malformed"), "{err}");
}

#[test]
fn a_shared_item_the_store_cannot_hold_is_given_up_not_left_claimed() {
    use std::sync::Arc;
    use tacos_sbom::sources::http::{Client, SharedAnswers, SharedItem};
    let pg = Postgres::start();
    let url = pg.database("items");
    block(async {
        let runner = |name: &str| {
            let url = url.clone();
            let name = name.to_string();
            async move {
                let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url, 2).await.unwrap());
                let mut client =
                    Client::new(Default::default(), Default::default(), None, 24, false).unwrap();
                client.share_answers(SharedAnswers {
                    store,
                    runner: name,
                    lease_seconds: 600,
                });
                client
            }
        };
        let (a, b) = (runner("a").await, runner("b").await);
        let keys = vec![
            "k-ok".to_string(),
            "k-nul".to_string(),
            "k-none".to_string(),
        ];
        assert_eq!(a.claim_shared(&keys).await, vec![SharedItem::Mine; 3]);
        assert_eq!(b.claim_shared(&keys).await, vec![SharedItem::Theirs; 3]);
        // One answered, one answered with what PostgreSQL's text cannot
        // hold (NUL), one not answered.
        a.settle_shared(
            vec![
                ("k-ok".into(), "1700000000\nGHSA-1".into()),
                ("k-nul".into(), "1700000000\nA\0B".into()),
            ],
            vec!["k-none".into()],
        )
        .await;
        // The first is shared; the other two are free to ask at once, not
        // held for the 600 s lease.
        assert_eq!(
            b.claim_shared(&keys).await,
            vec![
                SharedItem::Found("1700000000\nGHSA-1".into()),
                SharedItem::Mine,
                SharedItem::Mine
            ]
        );
    });
}
