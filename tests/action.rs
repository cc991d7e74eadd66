//! The GitHub Action's steps (`ci/action.sh`, which `action.yml` runs), run
//! here as the Action runs them, on a real SBOM against the fixture server.

mod common;
#[path = "support/server.rs"]
mod server;

use std::process::Command;

use common::*;
use serde_json::Value;

fn action(tmp: &Temp, srv: &server::FixtureServer, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("ci/action.sh"))
        .current_dir(tmp.path())
        .env("TACOS_BIN", env!("CARGO_BIN_EXE_tacos-sbom"))
        .env("TACOS_SBOM_CONFIG_DIR", tmp.join(".tacos-config"))
        .env("XDG_CACHE_HOME", tmp.join(".cache"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("CI", "true")
        .env("GITHUB_OUTPUT", tmp.join("github-output"))
        .env_remove("TACOS_SIGNING_KEY")
        .env_remove("COSIGN_PASSWORD");
    for (k, v) in srv.env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_action_enriches_verifies_reports_and_packages() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/pypi-flask-django-env.cdx16.json"),
        "bom.json",
    );
    // A key made once with keygen and kept as a secret: the Action gets its text.
    assert_ok(&tacos(tmp.path(), &["keygen", "-o", "signing"]));
    let pem = std::fs::read_to_string(tmp.join("signing.key")).unwrap();
    let o = action(
        &tmp,
        &srv,
        &[
            ("TACOS_SBOM", "bom.json"),
            ("TACOS_SIGNING_KEY_PEM", &pem),
            ("TACOS_PUBLIC_KEY", "signing.pub"),
            (
                "TACOS_FAIL_ON",
                "FixedVulnerabilities=False\nPackageStatus=Deprecated",
            ),
        ],
    );
    let err = stderr(&o);
    assert!(!err.contains("error:"), "{err}");
    let enrich: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("tacos-out/enrich.json")).unwrap())
            .unwrap();
    let expected = if enrich["policy"]["passed"] == true {
        0
    } else {
        1
    };
    assert_eq!(o.status.code(), Some(expected), "{err}");
    for f in [
        "tacos-out/bom.tacos.json",
        "tacos-out/tacos-summary.html",
        "tacos-out/tacos-policy.sarif",
        "tacos-out/tacos-evidence.tar.gz",
        "tacos-out/verify.json",
    ] {
        assert!(tmp.join(f).exists(), "{f}: {err}");
    }
    let verify: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("tacos-out/verify.json")).unwrap())
            .unwrap();
    assert_eq!(verify["results"][0]["signerProven"], true);
    assert_eq!(verify["exitCode"], 0);
    let outputs = std::fs::read_to_string(tmp.join("github-output")).unwrap();
    assert!(
        outputs.contains("bundle=tacos-out/tacos-evidence.tar.gz"),
        "{outputs}"
    );
    // The key given as text was not left behind.
    assert!(
        !tmp.files().iter().any(|f| f.contains("tacos-key.")),
        "{:?}",
        tmp.files()
    );
    // The bundle verifies where it is unpacked, with the signer's key.
    let dir = tmp.join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    let o = Command::new("tar")
        .arg("xzf")
        .arg(tmp.join("tacos-out/tacos-evidence.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_ok(&tacos(
        &dir.join("tacos-evidence"),
        &[
            "verify",
            "sbom/bom.tacos.json",
            "--attestations-dir",
            "attestations",
            "--key",
            &tmp.join("signing.pub").to_string_lossy(),
        ],
    ));
}

#[test]
fn the_action_refuses_keyless_and_a_missing_key_in_ci_clearly() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        "bom.spdx.json",
    );
    let o = action(
        &tmp,
        &srv,
        &[("TACOS_SBOM", "bom.spdx.json"), ("TACOS_KEYLESS", "true")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("keyless (Sigstore) signing is not implemented"),
        "{}",
        stderr(&o)
    );
    let o = action(&tmp, &srv, &[("TACOS_SBOM", "bom.spdx.json")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("CI is set and no signing key was given"),
        "{}",
        stderr(&o)
    );
    let o = action(
        &tmp,
        &srv,
        &[
            ("TACOS_SBOM", "bom.spdx.json"),
            ("TACOS_EPHEMERAL_KEY", "true"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(tmp.join("tacos-out/bom.tacos.spdx.json").exists());
}

/// action.yml runs exactly that script, with the environment it reads.
#[test]
fn the_action_definition_runs_the_tested_script() {
    let yml = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(yml.contains("run: bash \"$GITHUB_ACTION_PATH/ci/action.sh\""));
    assert!(yml.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    let script = std::fs::read_to_string(repo().join("ci/action.sh")).unwrap();
    for line in yml.lines() {
        let line = line.trim();
        if let Some((var, _)) = line.split_once(": ${{ inputs.")
            && var.starts_with("TACOS_")
        {
            assert!(
                script.contains(&format!("{var}:-")),
                "{var} is not read by the script"
            );
        }
    }
}
