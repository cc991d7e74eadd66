//! `attach` and `verify --image` against a real registry (Debian's
//! docker-registry, CNCF distribution 2.8: no referrers API, so the
//! `sha256-<hex>` tag index is the listing), and what they wrote read back
//! with the test's own HTTP client, independently of the tool's.

mod common;
#[path = "support/registry.rs"]
mod registry;

use base64::Engine as _;
use common::*;
use registry::{Registry, sha256};
use serde_json::Value;

const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A sample enriched as key-signed Sigstore bundles, with its key.
fn enriched(tmp: &Temp, sample: &str, envelope: &str) {
    let o = tacos(tmp.path(), &["keygen", "-o", "signer"]);
    assert_ok(&o);
    enrich_sample_offline(
        tmp,
        sample,
        "out.json",
        "att",
        &["--key", "signer.key", "--envelope", envelope],
    );
}

/// A registry holding one image, and a sample enriched as bundles:
/// (directory, registry, image digest, image reference).
fn attached_setup(sample: &str, auth: bool) -> (Temp, Registry, String, String) {
    let tmp = Temp::new();
    let reg = Registry::start(&tmp.join("registry"), auth);
    let image = reg.push_image("team/app", "v1");
    enriched(&tmp, sample, "bundle");
    let reference = format!("{}/team/app@{image}", reg.host());
    (tmp, reg, image, reference)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Each TACOS reference of the enriched SBOM: (component's package URL, digest).
fn references(sbom: &Value) -> Vec<(String, String)> {
    fn walk(components: &Value, out: &mut Vec<(String, String)>) {
        for c in components.as_array().into_iter().flatten() {
            for r in c["externalReferences"].as_array().into_iter().flatten() {
                if r["comment"].as_str().is_some_and(|t| t.contains("TACOS")) {
                    let h = r["hashes"][0]["content"].as_str().unwrap();
                    out.push((
                        c["purl"].as_str().unwrap().to_string(),
                        format!("sha256:{h}"),
                    ));
                }
            }
            walk(&c["components"], out);
        }
    }
    let mut out = Vec::new();
    walk(&sbom["components"], &mut out);
    out
}

#[test]
fn attach_then_verify_image_round_trips_through_a_real_registry() {
    let (tmp, reg, image, reference) = attached_setup("npm-webapp.cdx16.json", false);

    let o = tacos(tmp.path(), &["attach", "out.json", "--image", &reference]);
    assert_ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("attached 324 attestations and the SBOM"),
        "{err}"
    );
    assert!(err.contains("tag index"), "{err}");

    // What a registry holds, read without the tool: the tag-schema index
    // lists one referrer per bundle and the SBOM, each an OCI manifest in
    // cosign v3's shape whose subject is the image.
    let index = json(
        &reg.get_manifest("team/app", &image.replace(':', "-"))
            .expect("the tag index"),
    );
    let listed = index["manifests"].as_array().unwrap();
    assert_eq!(listed.len(), 325);
    let sbom = json(&std::fs::read(tmp.join("out.json")).unwrap());
    let refs = references(&sbom);
    assert!(
        refs.len() >= 323,
        "every package of the sample is referenced"
    );
    let mut layers = std::collections::HashSet::new();
    for d in listed {
        let m = json(
            &reg.get_manifest("team/app", d["digest"].as_str().unwrap())
                .unwrap(),
        );
        assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
        assert_eq!(m["subject"]["digest"], image.as_str());
        assert_eq!(
            m["config"]["mediaType"],
            "application/vnd.oci.empty.v1+json"
        );
        assert_eq!(m["config"]["digest"], sha256(b"{}"));
        assert_eq!(m["layers"].as_array().unwrap().len(), 1);
        if m["artifactType"] == BUNDLE {
            assert_eq!(m["layers"][0]["mediaType"], BUNDLE);
            assert_eq!(
                m["annotations"]["dev.sigstore.bundle.content"],
                "dsse-envelope"
            );
            assert!(
                m["annotations"]["dev.sigstore.bundle.predicateType"]
                    .as_str()
                    .unwrap()
                    .starts_with("urn:tacos-sbom:predicate:")
            );
        } else {
            assert_eq!(m["artifactType"], "application/vnd.cyclonedx+json");
        }
        layers.insert(m["layers"][0]["digest"].as_str().unwrap().to_string());
    }
    // Every artifact the SBOM references is a layer, byte for byte.
    for (name, digest) in &refs {
        assert!(
            layers.contains(digest),
            "{name}'s attestation {digest} is not attached"
        );
    }

    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "--image",
            &reference,
            "--key",
            "signer.pub",
            "-f",
            "json",
        ],
    );
    assert_ok(&o);
    let v = json(&o.stdout);
    assert_eq!(v["passed"], true);
    assert_eq!(v["listedBy"], "tag-index");
    assert_eq!(v["statements"].as_array().unwrap().len(), 323);
    assert_eq!(v["reports"], 1);
    assert_eq!(v["sboms"], 1);

    // Attaching again writes the same manifests and uploads nothing.
    let o = tacos(tmp.path(), &["attach", "out.json", "--image", &reference]);
    assert_ok(&o);
    assert!(stderr(&o).contains("0 blobs uploaded"), "{}", stderr(&o));
    let index = json(
        &reg.get_manifest("team/app", &image.replace(':', "-"))
            .unwrap(),
    );
    assert_eq!(index["manifests"].as_array().unwrap().len(), 325);
}

#[test]
fn a_blob_changed_in_the_registry_fails_naming_the_component() {
    let (tmp, reg, _, reference) = attached_setup("pypi-flask-django-env.cdx16.json", false);
    assert_ok(&tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &reference],
    ));

    let sbom = json(&std::fs::read(tmp.join("out.json")).unwrap());
    let (purl, digest) = references(&sbom).into_iter().next().unwrap();
    let file = reg.blob_file(&digest);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&file, bytes).unwrap();

    let o = tacos(
        tmp.path(),
        &["verify", "--image", &reference, "--key", "signer.pub"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), 1, "{out}");
    assert!(fails[0].contains(&format!("({purl}): registry")), "{out}");
    assert!(
        fails[0].contains(&digest) && fails[0].contains("SHA-256"),
        "{out}"
    );
}

#[test]
fn another_key_a_missing_image_and_a_bare_envelope_are_refused() {
    let (tmp, reg, _, reference) = attached_setup("pypi-flask-django-env.cdx16.json", false);
    assert_ok(&tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &reference],
    ));

    // Signed by someone else's key.
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "other"]));
    let o = tacos(
        tmp.path(),
        &["verify", "--image", &reference, "--key", "other.pub"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("signature does not verify"),
        "{}",
        stdout(&o)
    );

    // An image the registry does not have.
    let absent = format!("{}/team/app@{}", reg.host(), sha256(b"no such image"));
    let o = tacos(tmp.path(), &["attach", "out.json", "--image", &absent]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not in its registry"),
        "{}",
        stderr(&o)
    );
    // And nothing attached to it.
    let o = tacos(
        tmp.path(),
        &["verify", "--image", &absent, "--key", "signer.pub"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no TACOS attestation is attached"),
        "{}",
        stderr(&o)
    );

    // A tag, not a digest.
    let o = tacos(
        tmp.path(),
        &[
            "attach",
            "out.json",
            "--image",
            &format!("{}/team/app:v1", reg.host()),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("name the image by digest"),
        "{}",
        stderr(&o)
    );

    // Bare DSSE envelopes: nothing pushed, and the way out said.
    let dsse = Temp::new();
    enriched(&dsse, "pypi-flask-django-env.cdx16.json", "dsse");
    let image2 = reg.push_image("team/other", "v1");
    let o = tacos(
        dsse.path(),
        &[
            "attach",
            "out.json",
            "--image",
            &format!("{}/team/other@{image2}", reg.host()),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--envelope bundle"), "{}", stderr(&o));
    assert!(
        reg.get_manifest("team/other", &image2.replace(':', "-"))
            .is_none()
    );
}

#[test]
fn a_referrer_of_another_image_and_an_index_without_artifact_types_are_judged_by_the_manifest() {
    let tmp = Temp::new();
    let reg = Registry::start(&tmp.join("registry"), false);
    let a = reg.push_image("team/app", "a");
    let b = reg.push_image("team/app", "b");
    enriched(&tmp, "pypi-flask-django-env.cdx16.json", "bundle");
    let ref_a = format!("{}/team/app@{a}", reg.host());
    let ref_b = format!("{}/team/app@{b}", reg.host());
    assert_ok(&tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &ref_b],
    ));

    // A's index, written as older clients did (no artifactType, no
    // annotations), listing B's referrers: each is read, and refused
    // because its subject is B.
    let index_b = json(&reg.get_manifest("team/app", &b.replace(':', "-")).unwrap());
    let stripped: Vec<Value> = index_b["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| serde_json::json!({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"]}))
        .collect();
    let n = stripped.len();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": stripped});
    reg.put_manifest(
        "team/app",
        &a.replace(':', "-"),
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&index).unwrap(),
    );
    let o = tacos(
        tmp.path(),
        &["verify", "--image", &ref_a, "--key", "signer.pub"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains(&format!("its subject is {b}, not this image")))
            .count(),
        n,
        "{out}"
    );

    // B's own index with the artifact types stripped still verifies: the
    // kind is read from each manifest.
    reg.put_manifest(
        "team/app",
        &b.replace(':', "-"),
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&index).unwrap(),
    );
    let o = tacos(
        tmp.path(),
        &["verify", "--image", &ref_b, "--key", "signer.pub"],
    );
    assert_ok(&o);
}

#[test]
fn credentials_come_from_the_docker_configuration_and_are_never_shown() {
    let (tmp, reg, _, reference) = attached_setup("pypi-flask-django-env.cdx16.json", true);

    let o = tacos(tmp.path(), &["attach", "out.json", "--image", &reference]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("none were found"), "{}", stderr(&o));

    // A wrong password: refused, and neither password shown.
    let config = tmp.join(".docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let auth = |user: &str, pass: &str| {
        use base64::Engine;
        let a = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        serde_json::json!({"auths": {reg.host(): {"auth": a}}}).to_string()
    };
    std::fs::write(
        config.join("config.json"),
        auth(registry::USER, "wrong-pass-xyz"),
    )
    .unwrap();
    let o = tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &reference, "-v"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("wrong-pass-xyz"));

    std::fs::write(
        config.join("config.json"),
        auth(registry::USER, registry::PASSWORD),
    )
    .unwrap();
    let o = tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &reference, "-v"],
    );
    assert_ok(&o);
    assert!(stderr(&o).contains("credentials for"), "{}", stderr(&o));
    let o2 = tacos(
        tmp.path(),
        &[
            "verify",
            "--image",
            &reference,
            "--key",
            "signer.pub",
            "-v",
            "-f",
            "json",
        ],
    );
    assert_ok(&o2);
    for out in [&o, &o2] {
        let all = format!("{}{}", stderr(out), stdout(out));
        assert!(!all.contains(registry::PASSWORD), "{all}");
    }

    // The environment wins over the configuration file.
    let o = tacos_env(
        tmp.path(),
        &["verify", "--image", &reference, "--key", "signer.pub"],
        &[
            ("TACOS_REGISTRY_USERNAME", registry::USER),
            ("TACOS_REGISTRY_PASSWORD", "env-wrong-pass"),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("env-wrong-pass"));
}

/// Attach with @sigstore/oci (the client actions/attest uses), as
/// tests/conformance/oci-attach.mjs does; its descriptor's JSON.
fn sigstore_oci_attach(name: &str, digest: &str, bundle: &std::path::Path) -> Value {
    let script = repo().join("tests/conformance/oci-attach.mjs");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(name)
        .arg(digest)
        .arg(bundle)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{} failed (exit {:?}; run tests/conformance/INSTALL.sh if it could not start):\n{}",
        script.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

#[test]
fn what_sigstore_oci_attaches_verifies_and_it_reads_the_index_attach_wrote() {
    let (tmp, reg, image, reference) = attached_setup("pypi-flask-django-env.cdx16.json", false);
    let name = format!("{}/team/app", reg.host());
    let mut bundles: Vec<std::path::PathBuf> = std::fs::read_dir(tmp.join("att"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".sigstore.json"))
        .collect();
    bundles.sort();
    let reports = bundles
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".tacos-report.sigstore.json"))
        .count();
    assert_eq!(reports, 1);

    // Our bundles, attached to another image by @sigstore/oci alone: verify
    // --image reads its tag index and manifests and proves every one.
    let other = reg.push_image("team/app", "v2");
    for b in &bundles {
        sigstore_oci_attach(&name, &other, b);
    }
    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "--image",
            &format!("{name}@{other}"),
            "--key",
            "signer.pub",
            "-f",
            "json",
        ],
    );
    assert_ok(&o);
    let v = json(&o.stdout);
    assert_eq!(v["statements"].as_array().unwrap().len(), bundles.len() - 1);
    assert_eq!(v["reports"], 1);
    assert_eq!(v["sboms"], 0);

    // @sigstore/oci attaching to the image attach already wrote to: it
    // reads the index attach wrote and adds its referrer, and verify
    // --image proves both.
    assert_ok(&tacos(
        tmp.path(),
        &["attach", "out.json", "--image", &reference],
    ));
    let before = json(
        &reg.get_manifest("team/app", &image.replace(':', "-"))
            .unwrap(),
    );
    let n = before["manifests"].as_array().unwrap().len();
    let added = sigstore_oci_attach(&name, &image, &bundles[0]);
    let after = json(
        &reg.get_manifest("team/app", &image.replace(':', "-"))
            .unwrap(),
    );
    let listed = after["manifests"].as_array().unwrap();
    assert_eq!(listed.len(), n + 1);
    assert!(listed.iter().any(|d| d["digest"] == added["digest"]));
    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "--image",
            &reference,
            "--key",
            "signer.pub",
            "-f",
            "json",
        ],
    );
    assert_ok(&o);
    assert_eq!(
        json(&o.stdout)["statements"].as_array().unwrap().len(),
        n - 2 + 1
    );
}

#[test]
fn enrich_attach_writes_then_attaches_and_refuses_what_it_could_not_attach_before_writing() {
    let tmp = Temp::new();
    let reg = Registry::start(&tmp.join("registry"), false);
    let image = reg.push_image("team/app", "v1");
    let reference = format!("{}/team/app@{image}", reg.host());
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "signer"]));
    let sample = "pypi-flask-django-env.cdx16.json";

    // Refused before anything is read or written: bare envelopes, and a
    // tag instead of a digest.
    for bad in [
        vec!["--envelope", "dsse", "--attach", reference.as_str()],
        vec![
            "--envelope",
            "bundle",
            "--attach",
            "127.0.0.1:1/team/app:v1",
        ],
    ] {
        tmp.copy_in(&repo().join("sample-sboms").join(sample), sample);
        let mut args = vec![
            "enrich",
            sample,
            "-o",
            "out.json",
            "--offline",
            "--key",
            "signer.key",
        ];
        args.extend(bad);
        let o = tacos(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--attach"), "{}", stderr(&o));
        assert!(!tmp.join("out.json").exists());
    }

    let o = enrich_sample_offline(
        &tmp,
        sample,
        "out.json",
        "att",
        &[
            "--key",
            "signer.key",
            "--envelope",
            "bundle",
            "--attach",
            &reference,
        ],
    );
    assert!(stderr(&o).contains("attached"), "{}", stderr(&o));
    // The application report is about the image: its subject is the
    // image's digest, what cosign verify-attestation matches.
    let report = std::fs::read_dir(tmp.join("att"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tacos-report.sigstore.json"))
        .expect("a report was written");
    let bundle: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        statement["subject"],
        serde_json::json!([{
            "name": format!("{}/team/app", reg.host()),
            "digest": {"sha256": image.trim_start_matches("sha256:")},
        }])
    );
    let o = tacos(
        tmp.path(),
        &[
            "verify",
            "--image",
            &reference,
            "--key",
            "signer.pub",
            "-f",
            "json",
        ],
    );
    assert_ok(&o);
    assert_eq!(json(&o.stdout)["sboms"], 1);
}

/// A registry that answers badly, on loopback: the tag index lists
/// referrers whose manifests are too large, not what their digest says,
/// of two layers, whose blob streams past its descriptor's size, and one
/// that never answers. verify --image finishes (bounded), fails each one
/// naming it and what was wrong, and exits 1.
#[test]
fn hostile_registry_answers_fail_each_referrer_bounded_and_named() {
    use std::io::{BufRead, BufReader, Write};
    let image = sha256(b"the image");
    let bundle = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let manifest = |layers: Vec<Value>| {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": bundle,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2},
            "layers": layers,
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image, "size": 100},
        }))
        .unwrap()
    };
    let layer = |digest: &str, size: u64| serde_json::json!({"mediaType": bundle, "digest": digest, "size": size});
    let big = vec![b' '; 5 << 20];
    let lying = manifest(vec![layer(&sha256(b"x"), 1)]);
    let two = manifest(vec![layer(&sha256(b"a"), 1), layer(&sha256(b"b"), 1)]);
    let streaming_blob = sha256(b"ten bytes!");
    let streaming = manifest(vec![layer(&streaming_blob, 10)]);
    let hanging = sha256(b"hangs");
    let entries: Vec<(String, String)> = vec![
        (sha256(&big), "too large".into()),
        (sha256(b"not what it serves"), "lying".into()),
        (sha256(&two), "two layers".into()),
        (sha256(&streaming), "streaming".into()),
        (hanging.clone(), "hangs".into()),
    ];
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries.iter().map(|(d, _)| serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": 1
        })).collect::<Vec<_>>(),
    }))
    .unwrap();
    let mut routes: std::collections::HashMap<String, Vec<u8>> = Default::default();
    routes.insert(
        format!("/v2/r/manifests/{}", image.replace(':', "-")),
        index,
    );
    routes.insert(format!("/v2/r/manifests/{}", sha256(&big)), big.clone());
    routes.insert(
        format!("/v2/r/manifests/{}", sha256(b"not what it serves")),
        lying,
    );
    routes.insert(format!("/v2/r/manifests/{}", sha256(&two)), two.clone());
    routes.insert(
        format!("/v2/r/manifests/{}", sha256(&streaming)),
        streaming.clone(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = std::sync::Arc::new(routes);
    // An image whose referrers the API lists in pages.
    let paged = sha256(b"a paged image");
    let paged_image = paged.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = routes.clone();
            let (hanging, blob) = (hanging.clone(), streaming_blob.clone());
            let paged = paged.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split(' ').nth(1).unwrap_or("").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let mut out = stream;
                if path.starts_with("/v2/r/referrers/") && path.ends_with(&paged[7..]) {
                    let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nLink: </v2/r/referrers/{paged}?last=x>; rel=\"next\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = out.write_all(head.as_bytes());
                    let _ = out.write_all(body);
                    return;
                }
                if path.ends_with(&hanging) {
                    std::thread::sleep(std::time::Duration::from_secs(300));
                    return;
                }
                if path.ends_with(&format!("blobs/{blob}")) {
                    // No length: ends only when the client stops reading.
                    let _ = out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                    let chunk = vec![b'x'; 1 << 16];
                    for _ in 0..2048 {
                        if out.write_all(&chunk).is_err() {
                            return;
                        }
                    }
                    return;
                }
                let (status, body, ctype) = match routes.get(&path) {
                    Some(b) if path.contains("sha256-") => {
                        (200, b.clone(), "application/vnd.oci.image.index.v1+json")
                    }
                    Some(b) => (200, b.clone(), "application/vnd.oci.image.manifest.v1+json"),
                    None => (
                        404,
                        b"{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"none\"}]}".to_vec(),
                        "application/json",
                    ),
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&body);
            });
        }
    });

    let tmp = Temp::new();
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "signer"]));
    let reference = format!("127.0.0.1:{port}/r@{image}");
    let o = tacos_within(
        tmp.path(),
        &["verify", "--image", &reference, "--key", "signer.pub"],
        &[],
        90,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), entries.len(), "{out}");
    let line = |digest: &str| {
        fails
            .iter()
            .find(|l| l.contains(digest))
            .unwrap_or_else(|| panic!("no FAIL line names {digest}:\n{out}"))
            .to_string()
    };
    assert!(
        line(&sha256(&big)).contains("larger than 4194304 bytes"),
        "{out}"
    );
    assert!(
        line(&sha256(b"not what it serves")).contains("content's SHA-256 is"),
        "{out}"
    );
    assert!(line(&sha256(&two)).contains("2 layers"), "{out}");
    assert!(
        line(&sha256(&streaming)).contains("larger than 10 bytes"),
        "{out}"
    );
    assert!(line(&entries[4].0).contains("timed out"), "{out}");

    // A listing in pages is refused whole, not passed on its first page.
    let o = tacos_within(
        tmp.path(),
        &[
            "verify",
            "--image",
            &format!("127.0.0.1:{port}/r@{paged_image}"),
            "--key",
            "signer.pub",
        ],
        &[],
        60,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("in pages"), "{}", stderr(&o));
}
