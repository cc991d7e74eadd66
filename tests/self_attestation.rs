//! The maintainers' self-attestation end to end: `attest-self --keyless`
//! against loopback Fulcio and Rekor stand-ins (tests/support/sigstore.rs)
//! signs a declaration as the repository's workflow; sigstore-js judges the
//! bundle; served from the repository (GitHub's contents API on the fixture
//! server), `assess` takes its values for the attested-only fields — and
//! refuses, with the reason, one signed by another repository's workflow,
//! one for another package, one for another repository, a broken
//! signature and a stale one; a repository that is only a homepage is not
//! looked in.

mod common;
#[path = "support/server.rs"]
mod server;
#[path = "support/sigstore.rs"]
mod sigstore;
#[path = "support/tsa.rs"]
mod tsa;

use std::path::PathBuf;

use common::*;
use serde_json::{Value, json};
use server::{Fault, FixtureServer};
use sigstore::{Options, SigstoreStandin, identity_token};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const WORKFLOW: &str =
    "https://github.com/ossf/scorecard/.github/workflows/tacos.yml@refs/heads/main";
const SA_PATH: &str = "/github/repos/ossf/scorecard/contents/.tacos/self-attestation.sigstore.json";

fn declaration(repository: &str, package: &str) -> String {
    format!(
        r#"repository = "{repository}"
packages = ["{package}"]

[attest]
PackageManagerMFAEnabled = true
SourceRepoMFAEnabled = true
DocumentedBuildPractices = true
SuccessionPlan = false
SDLCEvidenceDataURL = "https://github.com/ossf/scorecard/actions"

[evidence]
DocumentedBuildPractices = "https://github.com/ossf/scorecard/blob/main/RELEASE.md"
"#
    )
}

struct World {
    srv: FixtureServer,
    standin: SigstoreStandin,
    tmp: Temp,
    runs: std::sync::atomic::AtomicUsize,
}

impl World {
    fn new() -> World {
        let w = World {
            srv: FixtureServer::start(&fixtures()),
            standin: SigstoreStandin::start(Options::default()),
            tmp: Temp::new(),
            runs: Default::default(),
        };
        std::fs::write(
            w.tmp.join("signing_config.json"),
            w.standin.signing_config_json(None),
        )
        .unwrap();
        std::fs::write(
            w.tmp.join("trusted_root.json"),
            w.standin.trusted_root_json(&[]),
        )
        .unwrap();
        w
    }

    /// `attest-self --keyless` as `workflow` for this declaration; the bundle's bytes.
    fn sign(&self, name: &str, decl: &str, workflow: &str) -> Vec<u8> {
        std::fs::write(self.tmp.join(&format!("{name}.toml")), decl).unwrap();
        let token = identity_token(workflow, ISSUER, json!({}));
        let out = format!("{name}.sigstore.json");
        let o = tacos_env(
            self.tmp.path(),
            &[
                "attest-self",
                &format!("{name}.toml"),
                "-o",
                &out,
                "--keyless",
                "--signing-config",
                "signing_config.json",
            ],
            &[("SIGSTORE_ID_TOKEN", &token)],
        );
        assert_ok(&o);
        assert!(!format!("{}{}", stdout(&o), stderr(&o)).contains(&token));
        std::fs::read(self.tmp.join(&out)).unwrap()
    }

    fn serve(&self, path: &str, body: Vec<u8>) {
        let exact = format!("{path}$");
        self.srv.clear_fault(&exact);
        self.srv.fault(&exact, Fault::Body { status: 200, body });
    }

    /// The package `tacos-sa`, its repository ossf/scorecard, released at `released`.
    fn package(&self, released: &str, repository: Value) {
        let mut p = json!({
            "name": "tacos-sa",
            "dist-tags": {"latest": "1.0.0"},
            "maintainers": [{"name": "alice"}, {"name": "bob"}],
            "versions": {"1.0.0": {"name": "tacos-sa", "version": "1.0.0"}},
            "time": {"created": released, "modified": released, "1.0.0": released},
        });
        p["versions"]["1.0.0"]["repository"] = repository.clone();
        p["repository"] = repository;
        self.serve("/npm/tacos-sa", p.to_string().into_bytes());
    }

    fn assess(&self, config: &str) -> Value {
        self.assess_at(config, None)
    }

    /// As `assess`, the run's time set to `epoch` (SOURCE_DATE_EPOCH).
    fn assess_at(&self, config: &str, epoch: Option<&str>) -> Value {
        std::fs::write(self.tmp.join("tacos.toml"), config).unwrap();
        let mut env: Vec<(String, String)> = self.srv.env();
        if let Some(e) = epoch {
            env.push(("SOURCE_DATE_EPOCH".into(), e.into()));
        }
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // A cache (and so an assessment store) of its own: no statement
        // decided by an earlier call is reused.
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let cache = self.tmp.join(&format!("cache-{n}"));
        let o = tacos_env(
            self.tmp.path(),
            &[
                "assess",
                "pkg:npm/tacos-sa@1.0.0",
                "--cache-dir",
                cache.to_str().unwrap(),
                "-c",
                "tacos.toml",
            ],
            &env_ref,
        );
        assert_ok(&o);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        v[0].clone()
    }

    /// `bundle` served from ossf/scorecard, the repository `tacos-sa`
    /// (released 2026-01-01) declares; the package's statement.
    fn published(&self, bundle: &[u8]) -> Value {
        self.package(
            "2026-01-01T00:00:00Z",
            json!({"type": "git", "url": "git+https://github.com/ossf/scorecard.git"}),
        );
        self.serve(
            SA_PATH,
            contents(".tacos/self-attestation.sigstore.json", bundle),
        );
        self.assess(&self.config(""))
    }

    fn root(&self) -> PathBuf {
        self.tmp.join("trusted_root.json")
    }

    fn config(&self, extra: &str) -> String {
        format!(
            "[self_attestation]\ntrusted_root = {:?}\n{extra}",
            self.root().to_str().unwrap()
        )
    }
}

const ATTESTED: [&str; 4] = [
    "PackageManagerMFAEnabled",
    "SourceRepoMFAEnabled",
    "DocumentedBuildPractices",
    "SDLCEvidenceDataURL",
];

#[test]
fn a_self_attestation_from_the_repository_s_workflow_decides_the_attested_fields() {
    let w = World::new();
    let bundle = w.sign(
        "ok",
        &declaration("https://github.com/ossf/scorecard", "pkg:npm/tacos-sa"),
        WORKFLOW,
    );
    // An independent verifier accepts it for the workflow identity.
    std::fs::write(w.tmp.join("judge.sigstore.json"), &bundle).unwrap();
    let (code, said) = judge(
        "verify-bundle-keyless.mjs",
        &[
            w.tmp.join("judge.sigstore.json").to_str().unwrap(),
            w.root().to_str().unwrap(),
            "--certificate-identity",
            WORKFLOW,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    );
    assert_eq!(code, 0, "{said}");

    let s = w.published(&bundle);
    for f in [
        "PackageManagerMFAEnabled",
        "SourceRepoMFAEnabled",
        "DocumentedBuildPractices",
    ] {
        assert_eq!(s[f], "True", "{f}: {}", s["Evidence"][f]);
    }
    assert_eq!(s["SuccessionPlan"], "False");
    assert_eq!(
        s["SDLCEvidenceDataURL"],
        "https://github.com/ossf/scorecard/actions"
    );
    let e = &s["Evidence"]["DocumentedBuildPractices"];
    assert_eq!(e["ReasonCode"], "maintainer-attested", "{e}");
    assert_eq!(e["Observed"]["signer"], WORKFLOW, "{e}");
    assert_eq!(e["Observed"]["issuer"], ISSUER, "{e}");
    assert_eq!(
        e["Observed"]["evidenceURL"],
        "https://github.com/ossf/scorecard/blob/main/RELEASE.md"
    );
    let digest = tacos_sbom::attest::Sha256Hex::of(&bundle);
    assert_eq!(e["Observed"]["sha256"], digest.as_str(), "{e}");
    // An independent reader of the bundle (Python) finds the same values.
    std::fs::write(w.tmp.join("statements.json"), json!([s]).to_string()).unwrap();
    let (code, said) = judge(
        "check-self-attestation-values.py",
        &[
            w.tmp.join("statements.json").to_str().unwrap(),
            w.tmp.join("judge.sigstore.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("5 values moved, all match"), "{said}");
    let mut changed = s.clone();
    changed["SuccessionPlan"] = json!("True");
    std::fs::write(w.tmp.join("statements.json"), json!([changed]).to_string()).unwrap();
    let (code, said) = judge(
        "check-self-attestation-values.py",
        &[
            w.tmp.join("statements.json").to_str().unwrap(),
            w.tmp.join("judge.sigstore.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{said}");
    // The CISA form rows that rest only on attested fields are met now:
    // an SBOM of this one package, enriched and reported.
    std::fs::write(
        w.tmp.join("bom.json"),
        json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "name": "tacos-sa", "version": "1.0.0",
                            "purl": "pkg:npm/tacos-sa@1.0.0", "bom-ref": "tacos-sa"}],
        })
        .to_string(),
    )
    .unwrap();
    let env: Vec<(String, String)> = w.srv.env();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = tacos_env(
        w.tmp.path(),
        &[
            "enrich",
            "bom.json",
            "-o",
            "bom.tacos.json",
            "--ephemeral-key",
            "-c",
            "tacos.toml",
            "--cache-dir",
            "enrich-cache",
        ],
        &env_ref,
    );
    assert_ok(&o);
    let o = tacos(w.tmp.path(), &["report", "bom.tacos.json", "-f", "json"]);
    let summary: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    let met: Vec<&str> = summary["cisa"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "Met")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(met, ["1a", "1c", "1e"], "{}", summary["cisa"]);
    // The due-diligence view names the attestation that was taken.
    let dd = &summary["dueDiligence"][0];
    assert_eq!(dd["purl"], "pkg:npm/tacos-sa@1.0.0");
    assert_eq!(
        dd["attestations"],
        json!([format!(
            "maintainers' self-attestation, signed by {WORKFLOW}"
        )]),
        "{dd}"
    );
    // The same without it: none of them.
    w.srv.clear_fault(&format!("{SA_PATH}$"));
    let o = tacos_env(
        w.tmp.path(),
        &[
            "enrich",
            "bom.json",
            "-o",
            "bom2.tacos.json",
            "--ephemeral-key",
            "-c",
            "tacos.toml",
            "--cache-dir",
            "enrich-cache-2",
        ],
        &env_ref,
    );
    assert_ok(&o);
    let o = tacos(w.tmp.path(), &["report", "bom2.tacos.json", "-f", "json"]);
    let summary: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        summary["cisa"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] != "Met"),
        "{}",
        summary["cisa"]
    );
    // A False is as attested as a True.
    assert_eq!(
        s["Evidence"]["SuccessionPlan"]["ReasonCode"],
        "maintainer-attested"
    );
    // What it does not set comes from elsewhere (here the repository's
    // Security Insights file), and the reason says the attestation is silent.
    let e = &s["Evidence"]["SDLCPolicyURL"];
    assert_eq!(e["Source"], "OpenSSF Security Insights", "{e}");
    assert!(
        e["Reason"]
            .as_str()
            .unwrap()
            .contains("self-attestation: the self-attestation of github.com/ossf/scorecard does not set SDLCPolicyURL"),
        "{e}"
    );
}

#[test]
fn self_attestations_that_do_not_hold_are_ignored_with_the_reason() {
    let w = World::new();
    w.package("2026-01-01T00:00:00Z", json!("github:ossf/scorecard"));
    let ours = declaration("https://github.com/ossf/scorecard", "pkg:npm/tacos-sa");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "signed by another repository's workflow",
            w.sign(
                "evil",
                &ours,
                "https://github.com/evil/fork/.github/workflows/x.yml@refs/heads/main",
            ),
            "does not verify",
        ),
        (
            "for another package",
            w.sign(
                "other",
                &declaration("https://github.com/ossf/scorecard", "pkg:npm/other"),
                WORKFLOW,
            ),
            "names pkg:npm/other, not pkg:npm/tacos-sa",
        ),
        (
            "for another repository",
            w.sign(
                "repo",
                &declaration("https://github.com/evil/fork", "pkg:npm/tacos-sa"),
                WORKFLOW,
            ),
            "attests for",
        ),
        (
            "a broken signature",
            {
                let mut b: Value = serde_json::from_slice(&w.sign("sig", &ours, WORKFLOW)).unwrap();
                let sig = b["dsseEnvelope"]["signatures"][0]["sig"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let flipped = if sig.starts_with('M') {
                    sig.replacen('M', "N", 1)
                } else {
                    format!("M{}", &sig[1..])
                };
                b["dsseEnvelope"]["signatures"][0]["sig"] = json!(flipped);
                b.to_string().into_bytes()
            },
            "does not verify",
        ),
    ];
    for (label, bundle, says) in cases {
        w.serve(
            SA_PATH,
            contents(".tacos/self-attestation.sigstore.json", &bundle),
        );
        let s = w.assess(&w.config(""));
        for f in ATTESTED {
            assert_eq!(s[f], "NOASSERTION", "{label}: {f}: {}", s["Evidence"][f]);
        }
        assert_eq!(s["SuccessionPlan"], "NOASSERTION", "{label}");
        let reason = s["Evidence"]["PackageManagerMFAEnabled"]["Reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(reason.contains(says), "{label}: {reason}");
    }

    // Stale: signed before the release in use and over the age limit. A
    // True needs a current attestation; its False still stands.
    let bundle = w.sign("stale", &ours, WORKFLOW);
    w.serve(
        SA_PATH,
        contents(".tacos/self-attestation.sigstore.json", &bundle),
    );
    w.package("2099-01-01T00:00:00Z", json!("github:ossf/scorecard"));
    // The run dated 2100-01-01: signed before the release (2099) and long ago.
    let s = w.assess_at(&w.config(""), Some("4102444800"));
    let e = &s["Evidence"]["PackageManagerMFAEnabled"];
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION", "{e}");
    assert_eq!(e["ReasonCode"], "incomplete-evidence", "{e}");
    assert!(
        e["Reason"].as_str().unwrap().contains("max_age_days"),
        "{e}"
    );
    assert_eq!(s["SuccessionPlan"], "False");

    // A repository that is only a homepage is not looked in.
    let before = w.srv.hits(SA_PATH);
    let mut p: Value = serde_json::from_slice(&packument_homepage()).unwrap();
    p["name"] = json!("tacos-sa");
    w.serve("/npm/tacos-sa", p.to_string().into_bytes());
    let s = w.assess(&w.config(""));
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION");
    assert_eq!(w.srv.hits(SA_PATH), before);
}

/// A self-attestation signed where the signing config names Rekor v2: its
/// log entry (`hashedrekord` 0.0.2) carries no time, so `attest-self`
/// refuses to sign without a timestamp authority, and with one the bundle
/// holds the timestamp; the consumer verifies it (proof, checkpoint,
/// timestamp) and takes its values.
#[test]
fn a_self_attestation_logged_in_rekor_v2_is_timestamped_and_taken() {
    let w = World::new();
    let config = w.tmp.join("signing_config.json");
    std::fs::write(&config, w.standin.signing_config_json_rekor(None, 2)).unwrap();
    std::fs::write(
        w.tmp.join("v2.toml"),
        declaration("https://github.com/ossf/scorecard", "pkg:npm/tacos-sa"),
    )
    .unwrap();
    let token = identity_token(WORKFLOW, ISSUER, json!({}));
    let o = tacos_env(
        w.tmp.path(),
        &[
            "attest-self",
            "v2.toml",
            "-o",
            "v2.sigstore.json",
            "--keyless",
            "--signing-config",
            "signing_config.json",
        ],
        &[("SIGSTORE_ID_TOKEN", &token)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("speaks API version 2, whose entries carry no time"),
        "{}",
        stderr(&o)
    );
    assert!(!w.tmp.join("v2.sigstore.json").exists());

    let tsa = tsa::TestTsa::start("Test TSA");
    std::fs::write(
        &config,
        w.standin.signing_config_json_rekor(Some(&tsa.url), 2),
    )
    .unwrap();
    std::fs::write(
        w.root(),
        w.standin.trusted_root_json(&[tsa::RootEntry::of(&tsa)]),
    )
    .unwrap();
    let bundle = w.sign(
        "v2",
        &declaration("https://github.com/ossf/scorecard", "pkg:npm/tacos-sa"),
        WORKFLOW,
    );
    let b: Value = serde_json::from_slice(&bundle).unwrap();
    let vm = &b["verificationMaterial"];
    assert_eq!(
        vm["tlogEntries"][0]["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.2"})
    );
    assert_eq!(
        vm["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{vm}"
    );
    let s = w.published(&bundle);
    for f in ATTESTED {
        assert_ne!(s[f], "NOASSERTION", "{f}: {}", s["Evidence"][f]);
    }
    let e = &s["Evidence"]["DocumentedBuildPractices"];
    assert_eq!(e["ReasonCode"], "maintainer-attested", "{e}");
    assert_eq!(e["Observed"]["signer"], WORKFLOW, "{e}");
}

fn packument_homepage() -> Vec<u8> {
    json!({
        "name": "tacos-sa",
        "dist-tags": {"latest": "1.0.0"},
        "maintainers": [{"name": "alice"}],
        "homepage": "https://github.com/ossf/scorecard",
        "versions": {"1.0.0": {"name": "tacos-sa", "version": "1.0.0"}},
        "time": {"created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "1.0.0": "2026-01-01T00:00:00Z"},
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_declaration_that_is_wrong_is_exit_2_naming_the_file_and_writes_nothing() {
    let tmp = Temp::new();
    std::fs::write(
        tmp.join("tacos-self.toml"),
        "repository = \"x\"\npackages = []\n[attest]\n",
    )
    .unwrap();
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "m"]));
    let o = tacos(tmp.path(), &["attest-self", "--key", "m.key"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("tacos-self.toml"), "{}", stderr(&o));
    assert!(!tmp.join(".tacos").exists());
    let o = tacos(tmp.path(), &["attest-self", "--ephemeral-key"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("proves nothing about who attests"),
        "{}",
        stderr(&o)
    );
}

const KEY_PATH: &str = "/github/repos/ossf/scorecard/contents/.tacos/self-attestation.pub";

/// Signed with a key instead: checked with the public key committed beside
/// it; without that key, or with another, it is ignored with the reason.
#[test]
fn a_key_signed_self_attestation_is_checked_with_the_key_committed_beside_it() {
    let w = World::new();
    w.package("2026-01-01T00:00:00Z", json!("github:ossf/scorecard"));
    assert_ok(&tacos(w.tmp.path(), &["keygen", "-o", "maintainers"]));
    assert_ok(&tacos(w.tmp.path(), &["keygen", "-o", "other"]));
    std::fs::write(
        w.tmp.join("tacos-self.toml"),
        declaration("https://github.com/ossf/scorecard", "pkg:npm/tacos-sa"),
    )
    .unwrap();
    let o = tacos(
        w.tmp.path(),
        &[
            "attest-self",
            "--key",
            "maintainers.key",
            "-o",
            "key.sigstore.json",
        ],
    );
    assert_ok(&o);
    let bundle = std::fs::read(w.tmp.join("key.sigstore.json")).unwrap();
    w.serve(
        SA_PATH,
        contents(".tacos/self-attestation.sigstore.json", &bundle),
    );

    // No key committed: ignored.
    let s = w.assess(&w.config(""));
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION");
    let reason = s["Evidence"]["PackageManagerMFAEnabled"]["Reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("has no public key at .tacos/self-attestation.pub"),
        "{reason}"
    );

    // Another key committed: ignored.
    let other = std::fs::read(w.tmp.join("other.pub")).unwrap();
    w.serve(KEY_PATH, contents(".tacos/self-attestation.pub", &other));
    let s = w.assess(&w.config(""));
    assert_eq!(s["PackageManagerMFAEnabled"], "NOASSERTION");
    let reason = s["Evidence"]["PackageManagerMFAEnabled"]["Reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("does not verify with the key"), "{reason}");

    // Its own key: taken, naming the key.
    let public = std::fs::read(w.tmp.join("maintainers.pub")).unwrap();
    w.serve(KEY_PATH, contents(".tacos/self-attestation.pub", &public));
    let s = w.assess(&w.config(""));
    assert_eq!(
        s["PackageManagerMFAEnabled"], "True",
        "{}",
        s["Evidence"]["PackageManagerMFAEnabled"]
    );
    assert_eq!(s["SuccessionPlan"], "False");
    let e = &s["Evidence"]["DocumentedBuildPractices"];
    assert_eq!(e["ReasonCode"], "maintainer-attested", "{e}");
    assert!(
        e["Reason"]
            .as_str()
            .unwrap()
            .contains("committed at .tacos/self-attestation.pub"),
        "{e}"
    );
    assert!(e["Observed"]["keyId"].is_string(), "{e}");
    assert!(e["Observed"]["signer"].is_null(), "{e}");
}
