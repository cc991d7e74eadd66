//! `enrich --keyless` end to end against loopback Sigstore services: the
//! Fulcio of `@sigstore/mock` and our own Rekor v1 log
//! (tests/conformance/sigstore-standin.mjs, via tests/support/sigstore.rs)
//! and OpenSSL's RFC 3161 authority (tests/support/tsa.rs), named by a
//! signing config. Every bundle written is judged by sigstore-js
//! (tests/conformance/verify-bundle-keyless.mjs: certificate chain, SCT,
//! Rekor SET and inclusion proof, timestamp, identity and issuer) with the
//! right identity, and refused with another. The bad cases: no token, an
//! expired one, a log answering with another artifact's entry, a
//! certificate that expired before the entry was logged, and flags that
//! cannot go together — each fails naming why, and writes nothing.
//!
//! Run with `CONFORMANCE_HOME=<dir with node/node_modules/@sigstore/*>`
//! (see tests/conformance/INSTALL.sh).

mod common;
#[path = "support/registry.rs"]
mod registry;
#[path = "support/sigstore.rs"]
mod sigstore;
#[path = "support/tsa.rs"]
mod tsa;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;
use sigstore::{ActionsTokenService, Options, SigstoreStandin, identity_token};
use tsa::{RootEntry, TestTsa};

const PYPI: &str = "pypi-flask-django-env.cdx16.json";
const ISSUER: &str = "https://token.actions.githubusercontent.test";
const IDENTITY: &str = "https://github.test/acme/app/.github/workflows/release.yml@refs/heads/main";

/// A signing config naming the stand-ins (and a TSA when given).
fn signing_config(tmp: &Temp, s: &SigstoreStandin, tsa: Option<&TestTsa>) -> PathBuf {
    let path = tmp.join("signing_config.json");
    std::fs::write(&path, s.signing_config_json(tsa.map(|t| t.url.as_str()))).unwrap();
    path
}

fn token() -> String {
    identity_token(IDENTITY, ISSUER, serde_json::json!({}))
}

fn enrich_keyless(
    tmp: &Temp,
    config: &Path,
    env: &[(&str, &str)],
    extra: &[&str],
) -> std::process::Output {
    if !tmp.join("in.json").exists() {
        tmp.copy_in(&repo().join("sample-sboms").join(PYPI), "in.json");
    }
    let mut args = vec![
        "enrich",
        "in.json",
        "-o",
        "out.json",
        "--offline",
        "--keyless",
        "--signing-config",
        config.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tacos_env(tmp.path(), &args, env)
}

/// Every bundle the run wrote, each as its own file (a JSON Lines file's
/// lines written out), with where it came from.
fn bundle_files(tmp: &Temp) -> Vec<(String, PathBuf)> {
    let dir = tmp.join("tacos-attestations");
    let judged = tmp.join("judged");
    std::fs::create_dir_all(&judged).unwrap();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sigstore.json") {
            out.push((name, path));
        } else if name.ends_with(".sigstore.jsonl") {
            for (i, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
                let file = judged.join(format!("line-{}.json", i + 1));
                std::fs::write(&file, line).unwrap();
                out.push((format!("{name}#L{}", i + 1), file));
            }
        }
    }
    out.sort();
    out
}

fn sigstore_js(bundle: &Path, root: &Path, identity: &str, issuer: &str) -> (i32, String) {
    judge(
        "verify-bundle-keyless.mjs",
        &[
            bundle.to_str().unwrap(),
            root.to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ],
    )
}

fn sigstore_rust(bundle: &Path, root: &Path, identity: &str, issuer: &str) -> (i32, String) {
    judge(
        "verify-bundle-sigstore-rust.sh",
        &[
            bundle.to_str().unwrap(),
            root.to_str().unwrap(),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ],
    )
}

fn count(log: &str, what: &str) -> usize {
    log.lines().filter(|l| l.contains(what)).count()
}

/// Both layouts: one Fulcio certificate per run, one Rekor entry and one
/// timestamp per artifact; every bundle names the certificate (no key),
/// and sigstore-js proves each against the stand-ins' trusted root with
/// the workflow's identity and issuer, and refuses it for another
/// identity and another issuer.
#[test]
fn every_keyless_bundle_verifies_with_sigstore_js_for_the_right_identity_only() {
    let tsa = TestTsa::start("Test TSA");
    for layout in ["files", "bundle"] {
        let s = SigstoreStandin::start(Options::default());
        let tmp = Temp::new();
        let config = signing_config(&tmp, &s, Some(&tsa));
        let stamps_before = tsa.requests();
        let token = token();
        let o = enrich_keyless(
            &tmp,
            &config,
            &[("SIGSTORE_ID_TOKEN", &token)],
            &["--layout", layout],
        );
        assert_ok(&o);
        let said = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            said.contains(&format!("signed keyless as {IDENTITY} (issuer {ISSUER})")),
            "{said}"
        );
        assert!(said.contains("--certificate-identity"), "{said}");
        assert!(!said.contains(&token), "the token was shown: {said}");
        // No key was made or written for a keyless run.
        assert!(!tmp.join(".tacos-config/signing.key").exists());
        let all = bundle_files(&tmp);
        assert!(all.len() > 10, "{layout}: {all:?}");
        let log = s.log();
        assert_eq!(
            count(&log, "fulcio POST /api/v2/signingCert 201"),
            1,
            "{log}"
        );
        assert_eq!(
            count(&log, "rekor POST /api/v1/log/entries 201"),
            all.len(),
            "{log}"
        );
        assert_eq!(tsa.requests() - stamps_before, all.len(), "{layout}");
        let root = tmp.join("trusted_root.json");
        std::fs::write(&root, s.trusted_root_json(&[RootEntry::of(&tsa)])).unwrap();
        for (i, (name, file)) in all.iter().enumerate() {
            let b: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let m = &b["verificationMaterial"];
            assert!(m["certificate"]["rawBytes"].is_string(), "{name}: {m}");
            assert!(m.get("publicKey").is_none(), "{name}");
            assert_eq!(m["tlogEntries"].as_array().unwrap().len(), 1, "{name}");
            assert_eq!(m["tlogEntries"][0]["kindVersion"]["kind"], "dsse", "{name}");
            assert_eq!(
                m["timestampVerificationData"]["rfc3161Timestamps"]
                    .as_array()
                    .unwrap()
                    .len(),
                1,
                "{name}"
            );
            assert_eq!(b["dsseEnvelope"]["signatures"][0]["keyid"], "", "{name}");
            let (code, said) = sigstore_js(file, &root, IDENTITY, ISSUER);
            assert_eq!(code, 0, "{layout} {name}: {said}");
            let (code, said) = sigstore_rust(file, &root, IDENTITY, ISSUER);
            assert_eq!(code, 0, "{layout} {name}: {said}");
            if i == 0 {
                let (code, said) = sigstore_js(
                    file,
                    &root,
                    "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main",
                    ISSUER,
                );
                assert_eq!(code, 1, "{said}");
                assert!(said.contains("certificate identity error"), "{said}");
                let (code, said) = sigstore_js(file, &root, IDENTITY, "https://issuer.other.test");
                assert_eq!(code, 1, "{said}");
                let (code, said) = sigstore_rust(
                    file,
                    &root,
                    "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main",
                    ISSUER,
                );
                assert_eq!(code, 1, "{said}");
                assert!(said.contains("identity mismatch"), "{said}");
            }
        }
        // Our own verify, end to end: every reference, the same identity
        // and issuer; another identity fails naming both.
        let ours = |identity: &str| verify_keyless(tmp.path(), "out.json", identity, ISSUER, &root);
        assert_ok(&ours(IDENTITY));
        let other = "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main";
        let o = ours(other);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let said = stdout(&o);
        assert!(said.contains(other) && said.contains(IDENTITY), "{said}");
        // Without --trusted-root the built-in public-good root is used,
        // which does not trust the stand-in's CA: every artifact fails.
        let o = tacos(
            tmp.path(),
            &[
                "verify",
                "out.json",
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER,
                "-f",
                "json",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let result = &v["results"][0];
        assert!(
            result["keyless"]["trustedRoot"]
                .as_str()
                .is_some_and(|r| r.contains("public-good trusted root built into tacos-sbom")),
            "{result}"
        );
        assert_eq!(result["verified"], 0, "{result}");
    }
}

/// In GitHub Actions the token is asked of the runner's token service
/// (audience sigstore, the request token as bearer), after the
/// assessment; neither credential appears in what the run prints or
/// writes.
#[test]
fn github_actions_token_is_asked_for_audience_sigstore_and_never_shown() {
    let s = SigstoreStandin::start(Options::default());
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    let token = token();
    let service = ActionsTokenService::start("request-secret-0451", token.clone());
    let o = enrich_keyless(
        &tmp,
        &config,
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", &service.url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret-0451"),
            // As GitHub Actions sets it: no key is asked for.
            ("CI", "true"),
        ],
        &["-f", "json"],
    );
    assert_ok(&o);
    let seen = service.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("GET /_apis/token?api-version=2.0&audience=sigstore "),
        "{seen:?}"
    );
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["signerIdentity"]["identity"], IDENTITY);
    assert_eq!(summary["signerIdentity"]["issuer"], ISSUER);
    let mut everything = format!("{}{}", stdout(&o), stderr(&o));
    for e in walk(tmp.path()) {
        if let Ok(text) = std::fs::read_to_string(&e) {
            everything.push_str(&text);
        }
    }
    for secret in ["request-secret-0451", token.as_str()] {
        assert!(
            !everything.contains(secret),
            "a credential was shown or written"
        );
    }
    // The JWT's payload is a credential too (its claims would be), but the
    // identity it names is what the certificate says, and shown.
    assert!(
        stderr(&o).contains("the identity token from GitHub Actions"),
        "{}",
        stderr(&o)
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Without a token a keyless run stops before any work, saying how to get
/// one; an expired token likewise, naming when it expired and not showing
/// it; neither asks Fulcio or writes anything.
#[test]
fn no_token_or_an_expired_one_stops_before_anything_is_written() {
    let s = SigstoreStandin::start(Options::default());
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    let o = enrich_keyless(&tmp, &config, &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("id-token: write"), "{}", stderr(&o));
    assert!(!tmp.join("out.json").exists());
    assert!(!tmp.join("tacos-attestations").exists());
    let expired = identity_token(IDENTITY, ISSUER, serde_json::json!({"exp": 1_600_000_000}));
    let o = enrich_keyless(&tmp, &config, &[("SIGSTORE_ID_TOKEN", &expired)], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("the identity token from SIGSTORE_ID_TOKEN expired at 2020-09-13T12:26:40Z"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains(&expired));
    let half = enrich_keyless(
        &tmp,
        &config,
        &[("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token")],
        &[],
    );
    assert_eq!(half.status.code(), Some(2));
    assert!(
        stderr(&half).contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN is not"),
        "{}",
        stderr(&half)
    );
    assert!(!tmp.join("out.json").exists());
    assert_eq!(count(&s.log(), "signingCert"), 0, "{}", s.log());
}

/// A log that answers with a genuine entry for another artifact (its proof
/// and SET intact) is caught at the boundary: the run fails naming Rekor
/// and why, and takes back what it wrote.
#[test]
fn a_log_entry_for_another_artifact_fails_the_run() {
    let s = SigstoreStandin::start(Options {
        rekor_wrong_body: true,
        ..Options::default()
    });
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    let o = enrich_keyless(&tmp, &config, &[("SIGSTORE_ID_TOKEN", &token())], &[]);
    failed_at_rekor(
        &o,
        &tmp,
        "the log answered with an entry for another artifact",
    );
}

/// The run failed naming Rekor and `why`, and took back what it wrote.
fn failed_at_rekor(o: &std::process::Output, tmp: &Temp, why: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert!(err.contains("Rekor http://127.0.0.1:"), "{err}");
    assert!(err.contains(why), "{err}");
    assert!(!tmp.join("out.json").exists());
    let dir = tmp.join("tacos-attestations");
    assert!(
        !dir.exists() || walk(&dir).is_empty(),
        "artifacts were left"
    );
}

/// Rekor v2 (a signing config naming API version 2): its entries carry no
/// time, so a run with no timestamp authority stops before any work, saying
/// why; one whose log answers with an entry for another digest fails at
/// the boundary, as on v1, and takes back what it wrote.
#[test]
fn rekor_v2_needs_a_timestamp_authority_and_its_entries_are_checked() {
    let s = SigstoreStandin::start(Options {
        rekor_wrong_body: true,
        ..Options::default()
    });
    let tmp = Temp::new();
    let config = tmp.join("signing_config.json");
    std::fs::write(&config, s.signing_config_json_rekor(None, 2)).unwrap();
    let o = enrich_keyless(&tmp, &config, &[("SIGSTORE_ID_TOKEN", &token())], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "speaks API version 2, whose entries carry no time: each signature needs a timestamp"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("out.json").exists());
    assert_eq!(count(&s.log(), "signingCert"), 0, "{}", s.log());

    let tsa = TestTsa::start("Test TSA");
    std::fs::write(&config, s.signing_config_json_rekor(Some(&tsa.url), 2)).unwrap();
    let o = enrich_keyless(&tmp, &config, &[("SIGSTORE_ID_TOKEN", &token())], &[]);
    failed_at_rekor(
        &o,
        &tmp,
        "/api/v2/log/entries: the log answered with an entry for another artifact (its digest is not this envelope's)",
    );
}

/// A certificate whose validity ended before its signatures were logged
/// (a CA on another clock; in life, a run longer than the certificate
/// lives) would give bundles no verifier accepts: the run fails saying so.
#[test]
fn entries_logged_outside_the_certificate_s_validity_fail_the_run() {
    let s = SigstoreStandin::start(Options {
        fulcio_clock: Some("2021-06-01T00:00:00Z".into()),
        ..Options::default()
    });
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    let o = enrich_keyless(&tmp, &config, &[("SIGSTORE_ID_TOKEN", &token())], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outside the certificate's validity"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("out.json").exists());
}

/// A server on loopback answering every request with `status` and `body`.
fn canned(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// A Fulcio that certifies another key than the one sent, one that
/// answers a detached SCT, one that answers too much, and one that
/// refuses: each fails the run naming Fulcio and why, before anything is
/// signed or written.
#[test]
fn fulcio_answers_that_do_not_certify_this_run_s_key_are_refused() {
    let s = SigstoreStandin::start(Options::default());
    let tsa = TestTsa::start("Some TSA");
    let pem = |der: &[u8]| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    // A real certificate, for another key (the timestamp authority's).
    let other_key = serde_json::json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [pem(&tsa.leaf_der), pem(&tsa.root_der)]}}});
    let detached = serde_json::json!({"signedCertificateDetachedSct": {"chain": {"certificates": [pem(&tsa.leaf_der)]}, "signedCertificateTimestamp": "AA=="}});
    let cases: Vec<(&'static str, Vec<u8>, &str)> = vec![
        (
            "201 Created",
            other_key.to_string().into_bytes(),
            "the certificate is for another public key than the one sent",
        ),
        (
            "201 Created",
            detached.to_string().into_bytes(),
            "detached SCT",
        ),
        ("201 Created", vec![b' '; 300 * 1024], "larger than"),
        (
            "401 Unauthorized",
            br#"{"code":401,"message":"the token's audience is wrong"}"#.to_vec(),
            "answered HTTP 401: {\"code\":401,\"message\":\"the token's audience is wrong\"}",
        ),
    ];
    for (status, body, why) in cases {
        let tmp = Temp::new();
        let config = signing_config(&tmp, &s, None);
        let fulcio = canned(status, body);
        let token = token();
        let o = enrich_keyless(
            &tmp,
            &config,
            &[("SIGSTORE_ID_TOKEN", &token)],
            &["--fulcio-url", &fulcio],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("Fulcio {fulcio}/api/v2/signingCert")),
            "{err}"
        );
        assert!(err.contains(why), "{why}: {err}");
        assert!(!err.contains(&token));
        assert!(!tmp.join("out.json").exists());
    }
    assert_eq!(count(&s.log(), "rekor POST"), 0, "{}", s.log());
}

/// Flags that cannot go with --keyless are refused before anything runs.
#[test]
fn keyless_refuses_bare_envelopes_and_keys() {
    let s = SigstoreStandin::start(Options::default());
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    let token = token();
    let env = [("SIGSTORE_ID_TOKEN", token.as_str())];
    let o = enrich_keyless(&tmp, &config, &env, &["--envelope", "dsse"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--keyless writes Sigstore bundles"),
        "{}",
        stderr(&o)
    );
    let o = enrich_keyless(&tmp, &config, &env, &["--ephemeral-key"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--ephemeral-key"), "{}", stderr(&o));
    let bad = tmp.join("v3.json");
    std::fs::write(
        &bad,
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": s.fulcio_url, "majorApiVersion": 1}],
            "rekorTlogUrls": [{"url": s.rekor_url, "majorApiVersion": 3}],
        })
        .to_string(),
    )
    .unwrap();
    let o = enrich_keyless(&tmp, &bad, &env, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "its Rekor speaks API version 3 only; this tool speaks version 1 or version 2"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("out.json").exists());
    assert_eq!(count(&s.log(), "signingCert"), 0, "{}", s.log());
}

/// Keyless all the way to the image: `enrich --keyless --attach` on a
/// loopback CNCF distribution registry, then `verify --image` with the
/// workflow's identity proves every referrer; another identity fails each.
#[test]
fn keyless_bundles_attached_to_an_image_verify_from_the_registry() {
    let s = SigstoreStandin::start(Options::default());
    let tmp = Temp::new();
    let reg = registry::Registry::start(&tmp.join("registry"), false);
    let image = reg.push_image("team/app", "v1");
    let reference = format!("{}/team/app@{image}", reg.host());
    let config = signing_config(&tmp, &s, None);
    let o = enrich_keyless(
        &tmp,
        &config,
        &[("SIGSTORE_ID_TOKEN", &token())],
        &["--attach", &reference],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("attached"), "{}", stderr(&o));
    // Every bundle's manifest names its predicate type, as cosign reads it
    // (keyless bundles were once written without).
    let tag = format!("sha256-{}", image.trim_start_matches("sha256:"));
    let index: Value =
        serde_json::from_slice(&reg.get_manifest("team/app", &tag).unwrap()).unwrap();
    let mut types = std::collections::BTreeMap::<String, usize>::new();
    for m in index["manifests"].as_array().unwrap() {
        let digest = m["digest"].as_str().unwrap();
        let manifest: Value =
            serde_json::from_slice(&reg.get_manifest("team/app", digest).unwrap()).unwrap();
        let t = manifest["annotations"]["dev.sigstore.bundle.predicateType"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        *types.entry(t).or_default() += 1;
    }
    assert_eq!(
        types.get("urn:tacos-sbom:predicate:tacos-report:v1.1"),
        Some(&1),
        "{types:?}"
    );
    assert!(
        types.get("urn:tacos-sbom:predicate:tacos-statement:v1.1") > Some(&10),
        "{types:?}"
    );
    let root = tmp.join("trusted_root.json");
    std::fs::write(&root, s.trusted_root_json(&[])).unwrap();
    let verify = |identity: &str| {
        tacos(
            tmp.path(),
            &[
                "verify",
                "--image",
                &reference,
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                ISSUER,
                "--trusted-root",
                root.to_str().unwrap(),
                "-f",
                "json",
            ],
        )
    };
    let o = verify(IDENTITY);
    assert_ok(&o);
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["sboms"], 1, "{summary}");
    let other = "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main";
    let o = verify(other);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(text.contains(other) && text.contains(IDENTITY), "{text}");
    // Without any signer named, it says what it needs.
    let o = tacos(tmp.path(), &["verify", "--image", &reference]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--certificate-identity"),
        "{}",
        stderr(&o)
    );
}

/// `report` and `package` take the same identity flags as `verify`: the
/// report's verification line names the keyless signer proven against the
/// trusted root (never "the key beside the artifacts"), and another
/// identity makes both fail without writing a bundle.
#[test]
fn report_and_package_prove_keyless_artifacts_by_identity() {
    let s = SigstoreStandin::start(Options::default());
    let tmp = Temp::new();
    let config = signing_config(&tmp, &s, None);
    assert_ok(&enrich_keyless(
        &tmp,
        &config,
        &[("SIGSTORE_ID_TOKEN", &token())],
        &[],
    ));
    let root = tmp.join("trusted_root.json");
    std::fs::write(&root, s.trusted_root_json(&[])).unwrap();
    let root = root.to_str().unwrap();
    let flags = |identity: &'static str| {
        vec![
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            root,
        ]
    };
    let mut args = vec!["report", "out.json", "-f", "json"];
    args.extend(flags(IDENTITY));
    let o = tacos(tmp.path(), &args);
    assert_ok(&o);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &report["provenance"];
    assert_eq!(p["verification"], "verified", "{p}");
    assert_eq!(p["signer_proven"], true, "{p}");
    let detail = p["verification_detail"].as_str().unwrap();
    assert!(
        detail.contains("keyless signatures") && detail.contains(IDENTITY),
        "{detail}"
    );
    assert!(!detail.contains("beside"), "{detail}");
    let other = "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main";
    // As with a wrong key: the report itself does not check out.
    let mut args = vec!["report", "out.json", "-f", "json"];
    args.extend(flags(other));
    let o = tacos(tmp.path(), &args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(other) && stderr(&o).contains(IDENTITY),
        "{}",
        stderr(&o)
    );
    let mut args = vec!["package", "out.json", "-o", "evidence.tar.gz"];
    args.extend(flags(IDENTITY));
    assert_ok(&tacos(tmp.path(), &args));
    assert!(tmp.join("evidence.tar.gz").exists());
    let mut args = vec!["package", "out.json", "-o", "other.tar.gz"];
    args.extend(flags(other));
    let o = tacos(tmp.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!tmp.join("other.tar.gz").exists());
    // Without them, each says which flags keyless bundles need.
    let o = tacos(tmp.path(), &["report", "out.json", "-o", "r.md"]);
    assert!(
        stderr(&o).contains("--certificate-identity"),
        "{}",
        stderr(&o)
    );
}
