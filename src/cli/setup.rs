//! What `keygen`, `doctor`, `completions` and `man` show.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use serde_json::json;

use tacos_sbom::attest::keychoice::{self, CI_KEY_FIX, KeySource};
use tacos_sbom::attest::keyfile::{self, KeyFileError, PrivateFormat};
use tacos_sbom::attest::{KeyAlgorithm, SigningKey};
use tacos_sbom::enrich::setup::{CacheFrom, Setup};
use tacos_sbom::{config, fsutil};

use super::jobs::short_id;
use super::{COMMANDS, Cli, DoctorArgs, KeygenArgs, ManArgs, Result, Ui};

/// What `keygen` refuses.
#[derive(Debug, thiserror::Error)]
enum KeygenError {
    #[error(
        "--format cosign encrypts the key with COSIGN_PASSWORD, which is not set; set it (an empty value is a valid password)"
    )]
    NoPassword,
    #[error("{source}; pass --force to overwrite it")]
    Exists {
        #[source]
        source: KeyFileError,
    },
}

pub(super) fn run_keygen(args: KeygenArgs, ui: &Ui) -> Result<ExitCode> {
    let alg: KeyAlgorithm = args
        .algorithm
        .parse()
        .expect("Choice took only a valid algorithm");
    let password = keychoice::cosign_password();
    let format = match (args.format.as_str(), &password) {
        ("cosign", Some(p)) => PrivateFormat::Cosign(p),
        ("cosign", None) => return Err(KeygenError::NoPassword.into()),
        _ => PrivateFormat::Pkcs8,
    };
    let key = SigningKey::generate(alg);
    let prefix = args.output.to_string_lossy();
    let private = PathBuf::from(format!("{prefix}.key"));
    let public = PathBuf::from(format!("{prefix}.pub"));
    keyfile::write_key_pair_as(&key, &private, &public, args.force, format).map_err(
        |e| match e {
            KeyFileError::Exists { .. } => KeygenError::Exists { source: e }.into(),
            e => anyhow::Error::new(e),
        },
    )?;
    ui.say(&format!(
        "wrote {} (private, {}mode 0600) and {} ({alg}, key id {})",
        private.display(),
        if matches!(format, PrivateFormat::Cosign(_)) {
            "cosign-encrypted with COSIGN_PASSWORD, "
        } else {
            ""
        },
        public.display(),
        short_id(&key.public_key())
    ));
    Ok(ExitCode::SUCCESS)
}

/// What `doctor` shows: where everything a run uses comes from, without
/// asking any service.
pub(super) fn run_doctor(args: DoctorArgs, ui: &Ui) -> Result<ExitCode> {
    let setup = Setup::gather(
        args.config.as_deref(),
        args.key.as_deref(),
        args.cache_dir.as_deref(),
    )?;
    let cache_from = match setup.cache_from {
        CacheFrom::Given => "--cache-dir",
        CacheFrom::ConfigFile => "[cache] dir in the config file",
        CacheFrom::Platform => "the platform's cache directory ($XDG_CACHE_HOME or ~/.cache)",
    };
    let exists = setup.key_exists;
    let (key_from, key_state) = match &setup.key {
        KeySource::File(_, from) => (
            from.to_string(),
            if exists { "exists" } else { "missing" }.to_string(),
        ),
        KeySource::RefusedInCi => (
            "none: CI is set and no key was given".to_string(),
            CI_KEY_FIX.to_string(),
        ),
        KeySource::Ephemeral => (
            "--ephemeral-key".into(),
            "made for the run, never saved".into(),
        ),
        KeySource::Default(None) => ("none: no home directory".into(), "pass --key".into()),
        KeySource::Default(Some(_)) => (
            "the default key ($TACOS_SBOM_CONFIG_DIR, else the platform's config directory)".into(),
            if exists {
                "exists"
            } else {
                "created on first use"
            }
            .into(),
        ),
    };
    let policy = &setup.config.policy;
    if args.format == "json" {
        ui.out_json(&json!({
            "configFile": setup.config_file.as_ref().map(|p| p.display().to_string()),
            "endpoints": setup.endpoints.iter().map(|e| json!({
                "service": e.service.to_string(), "url": e.url, "from": e.from,
            })).collect::<Vec<_>>(),
            "cacheDir": setup.cache_dir.as_ref().map(|c| c.display().to_string()),
            "cacheDirFrom": cache_from,
            "signingKey": setup.key_file.as_ref().map(|p| p.display().to_string()),
            "signingKeyFrom": key_from,
            "signingKeyState": key_state,
            "signingKeyId": setup.key_id,
            "ci": setup.ci,
            "githubTokenFrom": tacos_sbom::assess::session::github_token_variable(),
            "policy": {
                "failOn": policy.fail_on,
                "maxNoassertionPercent": policy.max_noassertion_percent,
                "requireSources": policy.require_sources,
            },
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![match &setup.config_file {
        Some(p) => format!("config file: {} (read)", p.display()),
        None => format!(
            "config file: none ({} not found; defaults in effect)",
            config::DEFAULT_FILE
        ),
    }];
    lines.push("endpoints:".into());
    for e in &setup.endpoints {
        lines.push(format!(
            "  {:<18} {:<44} {}",
            e.service.to_string(),
            e.url.as_deref().unwrap_or("(none)"),
            e.from
        ));
    }
    let shown = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none)".into())
    };
    lines.push(format!(
        "cache: {} (from {cache_from})",
        shown(&setup.cache_dir)
    ));
    lines.push(format!(
        "signing key: {} (from {key_from}; {key_state}{})",
        shown(&setup.key_file),
        setup
            .key_id
            .as_ref()
            .map(|id| format!("; key id {}", &id[..16]))
            .unwrap_or_default()
    ));
    lines.push(match tacos_sbom::assess::session::github_token_variable() {
        Some(var) => format!("GitHub token: set (from {var}; sent to the GitHub API only)"),
        None => "GitHub token: none (GitHub answers 60 requests an hour without one; set GITHUB_TOKEN for Security Insights and self-attestations in bulk)".into(),
    });
    if !policy.is_empty() {
        lines.push(format!(
            "policy: fail_on {:?}, max_noassertion_percent {:?}, require_sources {}",
            policy.fail_on, policy.max_noassertion_percent, policy.require_sources
        ));
    }
    ui.out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

/// clap_complete's bash script labels a hyphenated binary's subcommand
/// branches `tacos__subcmd__sbom__subcmd__enrich` while its dispatcher looks
/// for `tacos__sbom__subcmd__enrich` (clap issue 6421), so nothing past the
/// subcommand completes. Renaming the labels' prefix fixes it; the test
/// completes in a real bash.
fn fix_bash_completion(script: &str) -> String {
    script.replace("tacos__subcmd__sbom", "tacos__sbom")
}

pub(super) fn run_completions(shell: &str, ui: &Ui) -> Result<ExitCode> {
    use clap_complete::Shell;
    let shell = match shell {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "elvish" => Shell::Elvish,
        _ => Shell::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tacos-sbom", &mut buf);
    let text = String::from_utf8(buf)?;
    let text = if shell == Shell::Bash {
        fix_bash_completion(&text)
    } else {
        text
    };
    ui.out_raw(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// What `man` could not write.
#[derive(Debug, thiserror::Error)]
enum ManError {
    #[error("{path}: cannot write the man page: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The command line as the man pages see it: built, so that each command's
/// page is named tacos-sbom-COMMAND, as the main page's list cites it, and
/// without clap's `help` command, which has no page.
fn man_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The roff page of `cmd`.
fn render_man(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .source(concat!("tacos-sbom ", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)?;
    Ok(buf)
}

pub(super) fn run_man(args: ManArgs, ui: &Ui) -> Result<ExitCode> {
    let cmd = man_command();
    let Some(dir) = args.dir else {
        let page = match &args.command {
            Some(name) => cmd
                .find_subcommand(name)
                .cloned()
                .expect("Choice took only a command's name"),
            None => cmd,
        };
        ui.out_raw(&render_man(page)?);
        return Ok(ExitCode::SUCCESS);
    };
    // Like every output place the tool writes, a missing folder is made.
    std::fs::create_dir_all(&dir).map_err(|source| ManError::Write {
        path: dir.clone(),
        source,
    })?;
    let mut pages: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    pages.insert(0, cmd);
    for page in pages {
        let name = format!(
            "{}.1",
            page.get_display_name().unwrap_or_else(|| page.get_name())
        );
        let path = dir.join(name);
        fsutil::write_if_changed(&path, &render_man(page)?)
            .map_err(|source| ManError::Write { path, source })?;
    }
    ui.say(&format!(
        "wrote {} man pages into {}",
        COMMANDS.len() + 1,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
