//! The GitHub Action's steps (`ci/install.sh` and `ci/action.sh`, which
//! `action.yml` runs), run here as the Action runs them: the installer against
//! a loopback release server serving tarballs packaged by the release's own
//! script (`ci/package-release.sh`), the steps on real SBOMs against the
//! fixture server.

mod common;
#[path = "support/server.rs"]
mod server;
#[path = "support/sigstore.rs"]
mod sigstore;
#[path = "support/tsa.rs"]
mod tsa;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;
use server::Fault;

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
    assert!(upload_runs(&outputs), "{outputs}");
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
fn the_action_refuses_a_key_with_keyless_and_a_missing_key_in_ci_clearly() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        "bom.spdx.json",
    );
    let o = action(
        &tmp,
        &srv,
        &[
            ("TACOS_SBOM", "bom.spdx.json"),
            ("TACOS_KEYLESS", "true"),
            ("TACOS_EPHEMERAL_KEY", "true"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("do not give signing-key, public-key or ephemeral-key with it"),
        "{}",
        stderr(&o)
    );
    let o = action(
        &tmp,
        &srv,
        &[
            ("TACOS_SBOM", "bom.spdx.json"),
            ("TACOS_EPHEMERAL_KEY", "true"),
            ("TACOS_CERTIFICATE_IDENTITY", "https://ci.test/x"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("are for keyless: true"),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("tacos-out").exists());
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

/// keyless: true, as in a GitHub Actions job with `id-token: write`: the
/// token is asked of the runner's token service, the loopback Fulcio and
/// Rekor (named by a signing config) certify and log, and the verify,
/// report and package steps prove every artifact by the run's identity
/// against the stand-ins' trusted root. Another identity given fails them,
/// naming both. Neither credential is in anything written.
#[test]
fn the_action_signs_keyless_and_proves_it_by_identity() {
    const ISSUER: &str = "https://token.actions.githubusercontent.test";
    const IDENTITY: &str =
        "https://github.test/acme/app/.github/workflows/release.yml@refs/heads/main";
    let srv = server::FixtureServer::start(&fixtures());
    let s = sigstore::SigstoreStandin::start(sigstore::Options::default());
    let tmp = Temp::new();
    tmp.copy_in(
        &repo().join("sample-sboms/cargo-cli.cargo-sbom.spdx23.json"),
        "bom.spdx.json",
    );
    std::fs::write(tmp.join("signing_config.json"), s.signing_config_json(None)).unwrap();
    std::fs::write(tmp.join("trusted_root.json"), s.trusted_root_json(&[])).unwrap();
    let token = sigstore::identity_token(IDENTITY, ISSUER, serde_json::json!({}));
    let service = sigstore::ActionsTokenService::start("request-secret-7731", token.clone());
    let run = |extra: &[(&str, &str)]| {
        let _ = std::fs::remove_dir_all(tmp.join("tacos-out"));
        let mut env = vec![
            ("TACOS_SBOM", "bom.spdx.json"),
            ("TACOS_KEYLESS", "true"),
            ("TACOS_SIGNING_CONFIG", "signing_config.json"),
            ("TACOS_TRUSTED_ROOT", "trusted_root.json"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", service.url.as_str()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret-7731"),
        ];
        env.extend_from_slice(extra);
        action(&tmp, &srv, &env)
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "verifying keyless artifacts as signed by {IDENTITY} (OIDC issuer {ISSUER})"
        )),
        "{}",
        stderr(&o)
    );
    let verified: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("tacos-out/verify.json")).unwrap())
            .unwrap();
    let result = &verified["results"][0];
    assert_eq!(result["passed"], true, "{result}");
    assert_eq!(result["signerProven"], true, "{result}");
    let artifacts = result["keyless"]["artifacts"].as_array().unwrap();
    assert!(!artifacts.is_empty(), "{result}");
    assert!(
        artifacts
            .iter()
            .all(|a| a["identity"] == IDENTITY && a["issuer"] == ISSUER),
        "{result}"
    );
    assert_eq!(result["keyless"]["trustedRoot"], "trusted_root.json");
    let html = std::fs::read_to_string(tmp.join("tacos-out/tacos-summary.html")).unwrap();
    assert!(html.contains(IDENTITY), "the summary names the signer");
    assert!(tmp.join("tacos-out/tacos-evidence.tar.gz").is_file());
    let outputs = std::fs::read_to_string(tmp.join("github-output")).unwrap();
    assert!(outputs.contains("bundle="), "{outputs}");
    // Neither credential appears in what was printed or written.
    let said = format!("{}{}", stdout(&o), stderr(&o));
    for secret in [token.as_str(), "request-secret-7731"] {
        assert!(!said.contains(secret));
        for f in tmp.files() {
            let bytes = std::fs::read(tmp.join(&f)).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{f} holds a credential"
            );
        }
    }

    // Another signer asked for: verify and package fail naming both.
    let other = "https://github.test/evil/app/.github/workflows/x.yml@refs/heads/main";
    let o = run(&[("TACOS_CERTIFICATE_IDENTITY", other)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let verified = std::fs::read_to_string(tmp.join("tacos-out/verify.json")).unwrap();
    assert!(
        verified.contains(other) && verified.contains(IDENTITY),
        "{verified}"
    );
    assert!(!tmp.join("tacos-out/tacos-evidence.tar.gz").exists());
}

/// action.yml runs exactly that script, with the environment it reads.
#[test]
fn the_action_definition_runs_the_tested_script() {
    let yml = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(yml.contains("run: bash \"$GITHUB_ACTION_PATH/ci/action.sh\""));
    assert!(yml.contains("run: bash \"$GITHUB_ACTION_PATH/ci/install.sh\"\n"));
    assert!(yml.contains("run: bash \"$GITHUB_ACTION_PATH/ci/install.sh\" --from-source"));
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

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The runner the installer is told it is on (not this machine's own).
const TARGET: &str = "x86_64-unknown-linux-gnu";

fn asset_name() -> String {
    format!("tacos-sbom-{VERSION}-{TARGET}.tar.gz")
}

/// A release as the release workflow makes it: the tarball packaged by
/// ci/package-release.sh from the binary under test, and SHA256SUMS. Packaged
/// once (the debug binary is large) and shared by the tests.
fn release() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        // Under target/, replaced each run: a kept temporary directory
        // would leave ~70 MB in the system's temp dir after every run.
        let dist = Path::new(env!("CARGO_TARGET_TMPDIR")).join("action-release");
        if dist.exists() {
            std::fs::remove_dir_all(&dist).unwrap();
        }
        let bin = env!("CARGO_BIN_EXE_tacos-sbom");
        package(&[VERSION, TARGET, bin, dist.to_str().unwrap()]);
        package(&["--sums", dist.to_str().unwrap()]);
        dist
    })
}

fn package(args: &[&str]) {
    let o = Command::new("bash")
        .arg(repo().join("ci/package-release.sh"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Serves `files` (name, bytes) as release `v<VERSION>`'s assets; anything
/// else under it answers 404.
fn serve_release(srv: &server::FixtureServer, files: &[(&str, Vec<u8>)]) {
    for (name, body) in files {
        srv.fault(
            &format!("/releases/v{VERSION}/{name}$"),
            Fault::Body {
                status: 200,
                body: body.clone(),
            },
        );
    }
    srv.fault(
        &format!("/releases/v{VERSION}/"),
        Fault::Body {
            status: 404,
            body: b"Not Found".to_vec(),
        },
    );
}

fn released(name: &str) -> Vec<u8> {
    std::fs::read(release().join(name)).unwrap()
}

/// ci/install.sh as the Action's first step runs it, pinned to the release
/// tag, with the binary going to `inst/` under `tmp`.
fn install(
    tmp: &Temp,
    srv: &server::FixtureServer,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let runner_temp = tmp.join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("ci/install.sh"))
        .args(args)
        .current_dir(tmp.path())
        .env("TACOS_ACTION_PATH", repo())
        .env("TACOS_ACTION_REF", format!("v{VERSION}"))
        .env("TACOS_RELEASE_BASE_URL", srv.url("releases"))
        .env("TACOS_TARGET", TARGET)
        .env("TACOS_INSTALL_DIR", tmp.join("inst"))
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_OUTPUT", tmp.join("install-output"))
        .env("GITHUB_PATH", tmp.join("github-path"))
        .env_remove("GITHUB_ACTION_PATH")
        .env_remove("TACOS_CARGO");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn read_or_empty(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn the_installer_installs_the_release_binary_whose_checksum_matches() {
    let srv = server::FixtureServer::start(&fixtures());
    serve_release(
        &srv,
        &[
            (&asset_name(), released(&asset_name())),
            ("SHA256SUMS", released("SHA256SUMS")),
        ],
    );
    let tmp = Temp::new();
    let o = install(&tmp, &srv, &[], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("checksum verified"), "{}", stdout(&o));
    assert_eq!(
        read_or_empty(&tmp.join("install-output")),
        "build-from-source=false\n"
    );
    let bin_dir = tmp.join("inst/bin");
    assert_eq!(
        read_or_empty(&tmp.join("github-path")),
        format!("{}\n", bin_dir.display())
    );
    let v = Command::new(bin_dir.join("tacos-sbom"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", stderr(&v));
    assert!(stdout(&v).contains(VERSION), "{}", stdout(&v));
    // Pinned by the commit the release was built from: the same binary.
    let commit = "0123456789abcdef0123456789abcdef01234567";
    srv.clear_faults();
    serve_release(
        &srv,
        &[
            (&asset_name(), released(&asset_name())),
            ("SHA256SUMS", released("SHA256SUMS")),
            ("SOURCE_COMMIT", format!("{commit}\n").into_bytes()),
        ],
    );
    let tmp = Temp::new();
    let o = install(&tmp, &srv, &[], &[("TACOS_ACTION_REF", commit)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tmp.join("inst/bin/tacos-sbom").is_file());
}

#[test]
fn the_installer_refuses_a_tampered_tarball_and_installs_nothing() {
    // The tampered tarball holds a program that leaves a mark if run.
    let evil = Temp::new();
    let marker = evil.join("ran");
    let script = evil.join("tacos-sbom");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    let dist = evil.join("dist");
    package(&[
        VERSION,
        TARGET,
        script.to_str().unwrap(),
        dist.to_str().unwrap(),
    ]);
    let tampered = std::fs::read(dist.join(asset_name())).unwrap();
    assert_ne!(tampered, released(&asset_name()));

    let srv = server::FixtureServer::start(&fixtures());
    serve_release(
        &srv,
        &[
            (&asset_name(), tampered),
            ("SHA256SUMS", released("SHA256SUMS")),
        ],
    );
    let tmp = Temp::new();
    let o = install(&tmp, &srv, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("checksum mismatch"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing installed"), "{}", stderr(&o));
    assert!(!tmp.join("inst").exists(), "{:?}", tmp.files());
    assert_eq!(read_or_empty(&tmp.join("github-path")), "");
    // Neither installed nor "build from source": the job stops here.
    assert_eq!(read_or_empty(&tmp.join("install-output")), "");
    assert!(!marker.exists(), "the unverified program was run");
    assert!(
        tmp.files().iter().all(|f| !f.starts_with("runner-temp/")),
        "the download was left behind: {:?}",
        tmp.files()
    );

    // A SHA256SUMS without this tarball's line is a refusal too.
    srv.clear_faults();
    let other = String::from_utf8(released("SHA256SUMS"))
        .unwrap()
        .replace(TARGET, "riscv64gc-unknown-linux-gnu");
    serve_release(
        &srv,
        &[
            (&asset_name(), released(&asset_name())),
            ("SHA256SUMS", other.into_bytes()),
        ],
    );
    let o = install(&tmp, &srv, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no single checksum"), "{}", stderr(&o));
    assert!(!tmp.join("inst").exists());
}

#[test]
fn the_installer_builds_from_source_only_when_the_release_has_no_binary() {
    let srv = server::FixtureServer::start(&fixtures());
    // The release exists but has no tarball for this runner: 404.
    serve_release(&srv, &[("SHA256SUMS", released("SHA256SUMS"))]);
    let tmp = Temp::new();
    let o = install(&tmp, &srv, &[], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_or_empty(&tmp.join("install-output")),
        "build-from-source=true\n"
    );
    assert!(
        stderr(&o).contains(&format!("has no {}", asset_name())),
        "{}",
        stderr(&o)
    );
    assert!(!tmp.join("inst").exists());
    assert_eq!(read_or_empty(&tmp.join("github-path")), "");

    // The fallback is cargo install of the Action's checkout, with its lock
    // file, into the install folder (cargo itself stands in: no compiling).
    let fake = tmp.join("fake-cargo");
    let args_file = tmp.join("cargo-args");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho \"$CARGO_TARGET_DIR\" >> '{}'\n",
            args_file.display(),
            args_file.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = install(
        &tmp,
        &srv,
        &["--from-source"],
        &[("TACOS_CARGO", fake.to_str().unwrap())],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_or_empty(&args_file),
        format!(
            "install --locked --path {} --root {} --quiet\n{}\n",
            repo().display(),
            tmp.join("inst").display(),
            repo().join("target").display()
        )
    );
    assert_eq!(
        read_or_empty(&tmp.join("github-path")),
        format!("{}\n", tmp.join("inst/bin").display())
    );

    // A ref that is not the release (a branch, another commit) is built from
    // source even though the release has a binary: it is not that code.
    srv.clear_faults();
    serve_release(
        &srv,
        &[
            (&asset_name(), released(&asset_name())),
            ("SHA256SUMS", released("SHA256SUMS")),
            (
                "SOURCE_COMMIT",
                b"0123456789abcdef0123456789abcdef01234567\n".to_vec(),
            ),
        ],
    );
    for r in ["main", "fedcba9876543210fedcba9876543210fedcba98"] {
        let tmp = Temp::new();
        let o = install(&tmp, &srv, &[], &[("TACOS_ACTION_REF", r)]);
        assert!(o.status.success(), "{r}: {}", stderr(&o));
        assert_eq!(
            read_or_empty(&tmp.join("install-output")),
            "build-from-source=true\n",
            "{r}"
        );
        assert!(!tmp.join("inst").exists(), "{r}");
    }

    // Any other failure is not a reason to compile for ten minutes.
    srv.clear_faults();
    srv.fault(
        &format!("/releases/v{VERSION}/"),
        Fault::Body {
            status: 503,
            body: b"unavailable".to_vec(),
        },
    );
    let tmp = Temp::new();
    let o = install(&tmp, &srv, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("HTTP 503"), "{}", stderr(&o));
    assert_eq!(read_or_empty(&tmp.join("install-output")), "");
}

#[test]
fn the_action_lets_the_tool_name_an_xml_output() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    tmp.copy_in(
        &fixture("sbom/generated/pypi-flask-django-env.cdx15.xml"),
        "bom.xml",
    );
    let o = action(
        &tmp,
        &srv,
        &[("TACOS_SBOM", "bom.xml"), ("TACOS_EPHEMERAL_KEY", "true")],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let name = tacos_sbom::enrich::derived_name(Path::new("bom.xml"));
    assert!(name.ends_with(".xml"), "{name}");
    let outputs = std::fs::read_to_string(tmp.join("github-output")).unwrap();
    assert!(
        outputs.contains(&format!("enriched-sbom=tacos-out/{name}\n")),
        "{outputs}"
    );
    assert!(
        tmp.join("tacos-out").join(&name).is_file(),
        "{:?}",
        tmp.files()
    );
    assert!(
        !tmp.files().iter().any(|f| f.ends_with(".xml.tacos.json")),
        "{:?}",
        tmp.files()
    );
}

#[test]
fn a_failed_enrich_fails_once_and_the_upload_steps_are_skipped() {
    let srv = server::FixtureServer::start(&fixtures());
    let tmp = Temp::new();
    std::fs::write(tmp.join("bom.json"), "{\"not\": \"an SBOM\"}").unwrap();
    let o = action(
        &tmp,
        &srv,
        &[("TACOS_SBOM", "bom.json"), ("TACOS_EPHEMERAL_KEY", "true")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bom.json"), "{err}");
    let outputs = read_or_empty(&tmp.join("github-output"));
    assert_eq!(outputs, "", "no output may point at a file not written");
    assert!(!upload_runs(&outputs));
}

/// Whether action.yml's upload step runs after the run step wrote `outputs`
/// (its GITHUB_OUTPUT lines), with the default inputs. The condition is
/// evaluated term by term; a term this does not know fails the test, so a
/// changed condition is looked at again.
fn upload_runs(outputs: &str) -> bool {
    let outputs: HashMap<&str, &str> = outputs.lines().filter_map(|l| l.split_once('=')).collect();
    let yml = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let steps = yml
        .split("\n    - ")
        .filter(|s| s.contains("uses: actions/upload-artifact"));
    let mut found = 0;
    let mut runs = true;
    for step in steps {
        found += 1;
        let cond = step
            .lines()
            .find_map(|l| l.trim().strip_prefix("if: "))
            .unwrap_or_else(|| panic!("an upload step runs unconditionally: {step}"));
        let cond = cond
            .trim()
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(cond);
        let mut guarded = false;
        for term in cond.split("&&").map(str::trim) {
            let holds = match term {
                "always()" => true,
                "inputs.upload == 'true'" => true,
                _ => {
                    let output = term
                        .strip_prefix("steps.run.outputs.")
                        .and_then(|t| t.strip_suffix(" != ''"))
                        .unwrap_or_else(|| panic!("unknown term in {cond}: {term}"));
                    guarded = true;
                    outputs.get(output).is_some_and(|v| !v.is_empty())
                }
            };
            runs &= holds;
        }
        assert!(
            guarded,
            "the upload step is not guarded on the run's outputs: {cond}"
        );
    }
    assert!(found > 0, "no upload step in action.yml");
    runs
}

/// Every action the workflows use is pinned by a full commit SHA.
#[test]
fn every_action_used_is_pinned_by_commit() {
    let release = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let mut seen = 0;
    for text in [&release, &action] {
        for line in text.lines() {
            let Some(used) = line.trim().trim_start_matches("- ").strip_prefix("uses: ") else {
                continue;
            };
            seen += 1;
            let used = used.split(" #").next().unwrap().trim();
            let (_, sha) = used
                .split_once('@')
                .unwrap_or_else(|| panic!("{used}: no ref"));
            assert!(
                sha.len() == 40
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{used}: not pinned by a commit SHA"
            );
        }
    }
    assert!(seen >= 5, "{seen}");
    // The release publishes what the installer looks for.
    for needed in [
        "tags: [\"v*\"]",
        "contents: write",
        "bash ci/package-release.sh \"$VERSION\" \"$TARGET\"",
        "bash ci/package-release.sh --sums dist",
        "SOURCE_COMMIT",
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "gh release upload",
    ] {
        assert!(release.contains(needed), "release.yml lacks {needed}");
    }
}
