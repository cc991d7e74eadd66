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

/// The fleet's store key in these tests (a test value, not a secret).
const STORE_KEY: &str = "store-tests-fleet-key-not-a-secret";

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
    // A fleet shares its store key; a SQLite store keeps its own beside it.
    if store.starts_with("postgres") {
        cmd.env("TACOS_STORE_KEY", STORE_KEY);
    } else {
        cmd.env_remove("TACOS_STORE_KEY");
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
    // packument (they share every name), whichever of them asked. (A
    // release's attestations are asked only by the runner using it.)
    let registry_documents = |runner: &str| -> std::collections::BTreeSet<String> {
        let db = rusqlite::Connection::open(tmp.join(&format!("cache-{runner}/responses.sqlite3")))
            .unwrap();
        let mut q = db
            .prepare(
                "SELECT key FROM responses WHERE key GLOB 'GET */npm/*' AND key NOT GLOB '*/-/npm/v1/attestations/*'",
            )
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
    // answer), the others into something this tool never stores; each
    // keeps its seal (the first line), which then no longer verifies. And
    // the statements dropped, so that the next runner assesses again.
    let damaged = block(async {
        let (client, conn) = tokio_postgres::connect(&store, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let damaged = client
            .execute(
                "UPDATE tacos_assessments
                 SET statement = split_part(statement, E'\\n', 1) || E'\\n' || CASE WHEN md5(key) < '8'
                     THEN split_part(statement, E'\\n', 2) || E'\\n<html>upstream error</html>'
                     ELSE 'not an answer this tool stores' END
                 WHERE key LIKE 'answer GET %/npm/%' AND split_part(statement, E'\\n', 2) LIKE '200 %'",
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

/// The stored statements of a SQLite store: (key, statement as stored).
fn stored_statements(db: &std::path::Path) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut q = c
        .prepare("SELECT key, statement FROM assessments WHERE statement IS NOT NULL AND key NOT LIKE 'answer %'")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn set_statement(db: &std::path::Path, key: &str, statement: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute(
        "UPDATE assessments SET statement = ?2 WHERE key = ?1",
        rusqlite::params![key, statement],
    )
    .unwrap();
}

/// Every package's signed statement (predicate) in an attestations directory.
fn signed_statements(
    dir: &std::path::Path,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    use base64::Engine as _;
    let mut out = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".tacos.dsse.json") {
            continue;
        }
        let env: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(env["payload"].as_str().unwrap())
            .unwrap();
        let st: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let purl = st["predicate"]["PURL"].as_str().unwrap().to_string();
        out.insert(purl, st["predicate"].clone());
    }
    out
}

/// Issue 19, item 6: a row changed in the store (a value flipped to True,
/// its reasons rewritten) is never signed: it fails its seal, is set
/// aside and decided again, and every signed statement is what the
/// sources say, as in the run that stored them.
#[test]
fn a_changed_store_row_is_set_aside_and_never_signed() {
    let srv = server::FixtureServer::start(&fixtures());
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let input = tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let input = input.to_str().unwrap();
    let config = tmp.join("store.toml");
    std::fs::write(&config, "").unwrap();
    let config = config.to_str().unwrap();
    let run = |name: &str| {
        let o = runner(&srv, &tmp, name, &[input], "s.sqlite3", config)
            .wait_with_output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{err}");
        err
    };
    run("first");
    let db = tmp.join("s.sqlite3");
    let rows = stored_statements(&db);
    assert!(rows.len() >= 20, "{}", rows.len());
    for (key, stored) in &rows {
        let tampered = stored
            .replace(
                "\"FixedVulnerabilities\":\"False\"",
                "\"FixedVulnerabilities\":\"True\"",
            )
            .replace(
                "\"FixedVulnerabilities\":\"NOASSERTION\"",
                "\"FixedVulnerabilities\":\"True\"",
            )
            .replace("\"Reason\":\"", "\"Reason\":\"TAMPERED ");
        assert_ne!(&tampered, stored);
        set_statement(&db, key, &tampered);
    }
    let err = run("second");
    assert!(
        err.contains(&format!(
            "{} stored rows set aside and decided again",
            rows.len()
        )),
        "{err}"
    );
    let first = signed_statements(&tmp.join("att-first"));
    let second = signed_statements(&tmp.join("att-second"));
    assert_eq!(first.len(), 23);
    for (purl, st) in &second {
        assert!(!st.to_string().contains("TAMPERED"), "{purl}: {st}");
        assert_eq!(
            st["FixedVulnerabilities"], first[purl]["FixedVulnerabilities"],
            "{purl}"
        );
    }
    assert_eq!(first.len(), second.len());
}

/// Issue 19, item 5: a fresh row whose statement does not read (or reads
/// as another package's) cannot be claimed, and every run used to wait for
/// it (2 × claim_seconds + 60 s). It is set aside at once, counted, and
/// the package decided again.
#[test]
fn an_unreadable_fresh_row_is_set_aside_not_waited_for() {
    let srv = server::FixtureServer::start(&fixtures());
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let input = tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let input = input.to_str().unwrap();
    let config = tmp.join("store.toml");
    std::fs::write(&config, "").unwrap();
    let config = config.to_str().unwrap();
    let run = |name: &str| {
        let started = Instant::now();
        let mut child = runner(&srv, &tmp, name, &[input], "s.sqlite3", config);
        // The old behaviour waited 21 minutes: give it two.
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("{name}: waited for an unreadable row");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{err}");
        err
    };
    run("first");
    let db = tmp.join("s.sqlite3");
    let key = tacos_sbom::store::seal::StoreKey::read(&tmp.join("s.sqlite3.key")).unwrap();
    let rows = stored_statements(&db);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Sealed with the right key (as a runner with a bug, or another
    // version, might write them): one that is not JSON, one of another
    // shape, one that is another package's statement; and one not sealed.
    let text = |stored: &str| stored.split_once('\n').unwrap().1.to_string();
    let other = text(&rows[1].1);
    let bad = [
        key.seal(&rows[0].0, "not a statement", now),
        key.seal(&rows[1].0, "{\"PURL\": 7}", now),
        key.seal(&rows[2].0, &other, now),
        "{\"PURL\":\"pkg:pypi/x@1\"}".to_string(),
    ];
    for (i, b) in bad.iter().enumerate() {
        set_statement(&db, &rows[i].0, b);
    }
    let err = run("second");
    assert!(err.contains("4 stored rows set aside"), "{err}");
    assert!(!err.contains("waiting for"), "{err}");
    let (reused, assessed, _) = {
        let line = err.lines().find(|l| l.starts_with("store SQLite")).unwrap();
        let nums: Vec<usize> = line
            .rsplit(':')
            .next()
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|x| x.parse().ok())
            .collect();
        (nums[0], nums[1], 0)
    };
    assert_eq!((reused, assessed), (19, 4), "{err}");
    // Replaced: a third run reuses all of them.
    let err = run("third");
    assert!(err.contains("23 statements reused, 0 assessed"), "{err}");
}

/// Run SQL on a store; returns the rows' first column as text.
fn sql(store: &str, query: &str) -> Vec<String> {
    block(async {
        let (client, conn) = tokio_postgres::connect(store, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .simple_query(query)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect()
    })
}

/// Wait for a runner, killing it if it has not finished in `limit`.
fn finish(
    mut child: std::process::Child,
    name: &str,
    limit: Duration,
) -> (std::process::Output, Duration) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "{name} did not finish in {limit:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().unwrap(), started.elapsed())
}

/// Issue 19: four runners on one PostgreSQL store, with the default lease;
/// one is killed (SIGKILL) and one cancelled (SIGTERM) while they hold
/// claims. The cancelled one gives its claims back; the killed one's lapse
/// within the lease, since its holder no longer renews them. The other two
/// and a rerun finish within twice the time one runner takes for all
/// three SBOMs, every package is assessed, and rows changed in the store
/// beforehand are never signed.
#[test]
fn a_fleet_outlives_a_killed_and_a_cancelled_runner() {
    let pg = Postgres::start();
    let srv = server::FixtureServer::start(&fixtures());
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let copy = |name: &str, to: &str| {
        tmp.copy_in(&repo().join("sample-sboms").join(name), to)
            .to_str()
            .unwrap()
            .to_string()
    };
    let npm = copy("npm-webapp.cdx16.json", "npm.json");
    let pypi = copy("pypi-flask-django-env.cdx16.json", "pypi.json");
    let cargo = copy("cargo-cli.cargo-sbom.spdx23.json", "cargo.json");
    let all = [npm.as_str(), pypi.as_str(), cargo.as_str()];
    // The default lease ([store] claim_seconds).
    let config = tmp.join("fleet.toml");
    std::fs::write(&config, "").unwrap();
    let config = config.to_str().unwrap();
    // Slow enough answers that the lease a killed runner leaves behind
    // (10 s) is a small part of a run.
    srv.set_delay(Duration::from_millis(100));
    let limit = Duration::from_secs(600);

    // The normal time: one runner, every SBOM, its own store.
    let (o, normal) = finish(
        runner(&srv, &tmp, "alone", &all, &pg.database("alone"), config),
        "alone",
        limit,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A store whose pypi statements were changed (flipped, marked).
    let store = pg.database("faults");
    let (o, _) = finish(
        runner(&srv, &tmp, "seed", &[&pypi], &store, config),
        "seed",
        limit,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let changed = sql(
        &store,
        "UPDATE tacos_assessments SET statement = replace(replace(statement,
             '\"FixedVulnerabilities\":\"False\"', '\"FixedVulnerabilities\":\"True\"'),
             '\"Reason\":\"', '\"Reason\":\"TAMPERED ')
         WHERE key NOT LIKE 'answer %' AND statement IS NOT NULL RETURNING key",
    );
    assert!(changed.len() >= 20, "{}", changed.len());

    // The doomed two start first and are stopped once both hold claims,
    // while the other two work beside them.
    let started = Instant::now();
    let killed = runner(&srv, &tmp, "killed", &[&npm, &cargo], &store, config);
    let cancelled = runner(&srv, &tmp, "cancelled", &[&pypi], &store, config);
    let holds = |pid: u32| {
        sql(
            &store,
            &format!(
                "SELECT count(*) FROM tacos_assessments WHERE claimed_by LIKE '%:{pid}:%' AND claimed_until > now()"
            ),
        )[0]
            .parse::<u64>()
            .unwrap()
    };
    let (mut killed, mut cancelled) = (killed, cancelled);
    while holds(killed.id()) == 0 || holds(cancelled.id()) == 0 {
        for (c, n) in [(&mut killed, "killed"), (&mut cancelled, "cancelled")] {
            if let Some(st) = c.try_wait().unwrap() {
                let mut e = String::new();
                std::io::Read::read_to_string(c.stderr.as_mut().unwrap(), &mut e).unwrap();
                panic!("{n} ended ({st}) before it was stopped: {e}");
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the runners never held claims: {:?}",
            sql(
                &store,
                "SELECT DISTINCT claimed_by || ' ' || (claimed_until > now())::text FROM tacos_assessments WHERE claimed_by IS NOT NULL"
            )
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let a = runner(&srv, &tmp, "a", &[&npm, &pypi], &store, config);
    let b = runner(&srv, &tmp, "b", &[&pypi, &cargo], &store, config);
    std::thread::sleep(Duration::from_millis(500));
    killed.kill().unwrap();
    killed.wait().unwrap();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &cancelled.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let (o, _) = finish(cancelled, "cancelled", Duration::from_secs(30));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{err}");
    assert!(
        err.contains("interrupted by SIGTERM; gave back its"),
        "{err}"
    );

    let bound = normal * 2;
    let mut survivors = Vec::new();
    for (child, name) in [(a, "a"), (b, "b")] {
        let (o, _) = finish(child, name, limit);
        let took = started.elapsed();
        survivors.push(took);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {err}");
        assert!(
            took <= bound,
            "{name} took {took:?}, over twice the normal {normal:?}: {err}"
        );
    }
    let (o, took) = finish(
        runner(&srv, &tmp, "rerun", &all, &store, config),
        "rerun",
        limit,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        took <= bound,
        "the rerun took {took:?}, over {bound:?}: {err}"
    );
    println!("normal {normal:?}; survivors {survivors:?} from the first start; rerun {took:?}");

    // Every package of the three SBOMs has its statement in the store, and
    // nothing anyone signed came from a changed row.
    let missing = sql(
        &store,
        "SELECT count(*) FROM tacos_assessments WHERE key NOT LIKE 'answer %' AND statement IS NULL",
    );
    assert_eq!(missing, vec!["0".to_string()]);
    let decided = sql(
        &store,
        "SELECT count(*) FROM tacos_assessments WHERE key NOT LIKE 'answer %'",
    );
    assert_eq!(decided, vec![(323 + 23 + 185).to_string()]);
    for name in ["a", "b", "rerun"] {
        for (purl, st) in signed_statements(&tmp.join(&format!("att-{name}"))) {
            assert!(!st.to_string().contains("TAMPERED"), "{name}: {purl}");
        }
    }
}

/// Issue 19, item 4: on the SQLite store (one machine), the claims of a
/// runner that was killed (SIGKILL: it could give nothing back) hold
/// nothing once its process is gone, whatever the lease: the next run
/// assesses those packages at once instead of waiting for the lease.
#[test]
fn a_killed_local_runner_holds_nothing_on_sqlite() {
    let srv = server::FixtureServer::start(&fixtures());
    srv.set_unrecorded_absent(true);
    let tmp = Temp::new();
    let input = tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "in.json",
    );
    let input = input.to_str().unwrap();
    // A lease far longer than the test may take.
    let config = tmp.join("store.toml");
    std::fs::write(&config, "[store]\nclaim_seconds = 3600\n").unwrap();
    let config = config.to_str().unwrap();
    srv.set_delay(Duration::from_millis(300));
    let mut doomed = runner(&srv, &tmp, "doomed", &[input], "s.sqlite3", config);
    let db = tmp.join("s.sqlite3");
    let held = || -> i64 {
        rusqlite::Connection::open(&db)
            .ok()
            .and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM assessments WHERE claimed_by IS NOT NULL AND key NOT LIKE 'answer %'",
                    [],
                    |r| r.get(0),
                )
                .ok()
            })
            .unwrap_or(0)
    };
    let started = Instant::now();
    while held() == 0 {
        assert!(doomed.try_wait().unwrap().is_none(), "it finished first");
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    }
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    assert_eq!(held(), 23);
    srv.set_delay(Duration::ZERO);
    let (o, _) = finish(
        runner(&srv, &tmp, "heir", &[input], "s.sqlite3", config),
        "heir",
        Duration::from_secs(120),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("waiting for"), "{err}");
    assert!(err.contains("0 statements reused, 23 assessed"), "{err}");
}
