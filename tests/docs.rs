//! The README and docs/ against the tool itself: the README's commands run
//! as written, the command table in docs/commands.md names every flag each
//! command's `--help` lists, the exit codes there are the help's word for
//! word, every `tacos-sbom` command shown in the docs exists with the flags
//! it uses, and `man` writes the per-command pages its main page cites.
//! The help texts (from the command definitions) are the source; the docs
//! are held to them.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `tacos-sbom ARGS --help`, as the user sees it.
fn help(args: &[&str]) -> String {
    let tmp = Temp::new();
    let mut all: Vec<&str> = args.to_vec();
    all.push("--help");
    let o = tacos(tmp.path(), &all);
    assert_ok(&o);
    stdout(&o)
}

/// The commands `tacos-sbom --help` lists (clap's own `help` aside).
fn commands() -> Vec<String> {
    let top = help(&[]);
    let mut names = Vec::new();
    let mut inside = false;
    for line in top.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if !line.starts_with("  ") {
                break;
            }
            // A description wrapped onto the next line is indented further.
            if line.starts_with("   ") {
                continue;
            }
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                names.push(name.to_string());
            }
        }
    }
    assert!(names.len() >= 10, "{top}");
    names
}

/// The long flags a help text lists under its options (`-k, --key <PATH>`,
/// `--offline`), without clap's own --help and --version.
fn long_flags(help: &str) -> BTreeSet<String> {
    flags_with_short(help).into_iter().map(|(l, _)| l).collect()
}

/// The long flags a help text lists, each with its short form if it has one.
fn flags_with_short(help: &str) -> Vec<(String, Option<String>)> {
    let mut flags = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if line.len() == t.len() || !t.starts_with('-') {
            continue;
        }
        let (short, t) = match t.strip_prefix('-') {
            Some(rest) if !rest.starts_with('-') => match rest.split_once(", ") {
                Some((s, long)) => (Some(format!("-{s}")), long),
                None => continue,
            },
            _ => (None, t),
        };
        if let Some(name) = t.strip_prefix("--") {
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name != "help" && name != "version" {
                flags.push((format!("--{name}"), short));
            }
        }
    }
    flags
}

/// Whether `text` names `flag` as a whole (not `--key` inside `--keyless`).
fn names_flag(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(i, _)| {
        let next = text[i + flag.len()..].chars().next();
        !matches!(next, Some(c) if c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Whitespace collapsed, for texts that clap wraps.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The long flags of `help` that `row` names neither by their long form
/// nor by their short one (`-o OUT` names --output).
fn missing_from(row: &str, help: &str, global: &BTreeSet<String>) -> Vec<String> {
    flags_with_short(help)
        .into_iter()
        .filter(|(long, short)| {
            !global.contains(long)
                && !names_flag(row, long)
                && !short.as_ref().is_some_and(|s| names_short(row, s))
        })
        .map(|(long, _)| long)
        .collect()
}

/// Whether `text` names the short flag `-x` as a word (`[-o OUT]`).
fn names_short(text: &str, flag: &str) -> bool {
    text.match_indices(flag).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + flag.len()..].chars().next();
        matches!(before, None | Some(' ' | '[' | '`' | '('))
            && matches!(after, None | Some(' ' | ']' | '`' | ')'))
    })
}

#[test]
fn the_command_table_names_every_flag_each_help_lists() {
    let doc = read("docs/commands.md");
    let global = long_flags(&help(&[]))
        .into_iter()
        .filter(|f| f == "--quiet" || f == "--verbose")
        .collect::<BTreeSet<_>>();
    assert_eq!(
        global.len(),
        2,
        "the global flags changed: update this test"
    );
    let mut problems = Vec::new();
    for flag in &global {
        if !names_flag(&doc, flag) {
            problems.push(format!("docs/commands.md never names the global {flag}"));
        }
    }
    for cmd in commands() {
        let prefix = format!("| `tacos-sbom {cmd}");
        let Some(row) = doc.lines().find(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('`'))
        }) else {
            problems.push(format!("docs/commands.md has no row for {cmd}"));
            continue;
        };
        // The first cell is the command line; the flags belong there.
        let synopsis = row.split(" | ").next().unwrap();
        for flag in missing_from(synopsis, &help(&[&cmd]), &global) {
            problems.push(format!("{cmd} --help lists {flag}, its row does not"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check above, on a row without one of enrich's flags: it must notice.
#[test]
fn a_row_without_a_flag_is_caught() {
    let doc = read("docs/commands.md");
    let row = doc
        .lines()
        .find(|l| l.starts_with("| `tacos-sbom enrich "))
        .unwrap();
    let synopsis = row.split(" | ").next().unwrap();
    let enrich = help(&["enrich"]);
    assert!(
        missing_from(synopsis, &enrich, &BTreeSet::new())
            .iter()
            .all(|f| f == "--quiet" || f == "--verbose")
    );
    let cut = synopsis.replace("[--declarations] ", "");
    assert_eq!(
        missing_from(
            &cut,
            &enrich,
            &["--quiet", "--verbose"].map(String::from).into()
        ),
        ["--declarations"]
    );
}

#[test]
fn the_docs_state_the_exit_codes_each_help_states() {
    let doc = flat(&read("docs/commands.md"));
    let mut names = vec![String::new()];
    names.extend(commands());
    for cmd in names {
        let args: Vec<&str> = if cmd.is_empty() { vec![] } else { vec![&cmd] };
        let text = help(&args);
        let exit = text
            .split("\n\n")
            .find(|p| p.starts_with("Exit codes:"))
            .unwrap_or_else(|| panic!("tacos-sbom {cmd} --help states no exit codes:\n{text}"));
        let label = if cmd.is_empty() { "tacos-sbom" } else { &cmd };
        let line = format!("- `{label}`: {}", flat(exit));
        assert!(
            doc.contains(&line),
            "docs/commands.md does not quote {label}'s exit codes as --help states them:\n{line}"
        );
    }
    // The README sends readers there rather than stating codes of its own.
    let readme = read("README.md");
    assert!(
        !readme.contains("Exit codes"),
        "README states exit codes apart"
    );
    assert!(readme.contains("(docs/commands.md)"));
}

/// Every `tacos-sbom COMMAND ...` shown in the README and docs (code blocks
/// and inline code) names a command that exists, and only flags that
/// command's --help lists.
#[test]
fn every_command_the_docs_show_exists_with_its_flags() {
    let mut files = vec!["README.md".to_string()];
    for e in std::fs::read_dir(repo().join("docs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            files.push(format!("docs/{name}"));
        }
    }
    let commands = commands();
    let mut helps = std::collections::HashMap::new();
    let mut problems = Vec::new();
    let mut seen = 0;
    for file in &files {
        let text = read(file);
        let mut fenced = false;
        let mut shown = Vec::new();
        for line in text.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                if let Some(i) = line.find("tacos-sbom ") {
                    let cmd = line[i..].split(" #").next().unwrap();
                    shown.push(cmd.to_string());
                }
            } else {
                for (n, span) in line.split('`').enumerate() {
                    if n % 2 == 1 && span.starts_with("tacos-sbom ") {
                        shown.push(span.to_string());
                    }
                }
            }
        }
        for cmd in shown {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let sub = words[1];
            let known = if sub.starts_with('-') {
                String::new()
            } else if commands.iter().any(|c| c == sub) {
                sub.to_string()
            } else if sub == "COMMAND" || sub == "…" {
                continue;
            } else {
                problems.push(format!("{file}: `{cmd}`: no command {sub}"));
                continue;
            };
            let text = helps.entry(known.clone()).or_insert_with(|| {
                let args: Vec<&str> = if known.is_empty() {
                    vec![]
                } else {
                    vec![&known]
                };
                help(&args)
            });
            let mut flags = long_flags(text);
            flags.insert("--help".into());
            flags.insert("--version".into());
            if known == "keygen" {
                // The old spelling of --output, kept working and documented.
                flags.insert("--out".into());
            }
            for w in &words[1..] {
                let flag = w.trim_matches(|c| "[]|`,.;()".contains(c));
                let flag = flag.split('=').next().unwrap();
                if flag.starts_with("--") && flag.len() > 2 && !flags.contains(flag) {
                    problems.push(format!("{file}: `{cmd}`: {flag} is not a flag of it"));
                }
            }
            seen += 1;
        }
    }
    assert!(seen > 20, "only {seen} commands found in the docs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README opens with the install line, the main job on a sample and the
/// tests; each line runs as written (the install line's binary is the one
/// this test runs: the crate's binary target named tacos-sbom), and so do
/// the verify and report commands that follow it.
#[test]
fn the_readme_commands_run_as_written() {
    let readme = read("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in readme.lines() {
        match (&mut current, line) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(lines), l) => lines.push(l.to_string()),
            _ => {}
        }
    }
    assert!(blocks.len() >= 2, "{blocks:?}");
    // Right at the start, two commands: install and the main job, then the
    // tests.
    let first = &blocks[0];
    assert_eq!(first.len(), 2, "{first:?}");
    let (install, job) = first[0]
        .split_once(" && ")
        .unwrap_or_else(|| panic!("install && enrich: {first:?}"));
    assert_eq!(install, "cargo install --locked --path .", "{first:?}");
    assert!(
        job.starts_with("tacos-sbom enrich sample-sboms/"),
        "{first:?}"
    );
    assert_eq!(first[1], "bash .ci/test", "{first:?}");
    let mut lines: Vec<String> = vec![job.to_string()];
    lines.extend(blocks.iter().flatten().skip(1).cloned());

    // What `cargo install --locked --path .` installs: the binary target
    // tacos-sbom, from the lock file in the checkout.
    let meta = Command::new(env!("CARGO"))
        .current_dir(repo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--locked",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        meta.status.success(),
        "{}",
        String::from_utf8_lossy(&meta.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let bins: Vec<&str> = meta["packages"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"][0] == "bin")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(bins, ["tacos-sbom"]);
    assert!(repo().join("Cargo.lock").is_file());
    let ci = read(".ci/test");
    assert!(ci.contains("cargo test --locked"), "{ci}");

    // The tacos-sbom lines, in a fresh checkout's place: the samples copied
    // in, the default key under a home of its own, services unreachable.
    let tmp = Temp::new();
    std::fs::create_dir(tmp.join("sample-sboms")).unwrap();
    for e in std::fs::read_dir(repo().join("sample-sboms")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        tmp.copy_in(
            &repo().join("sample-sboms").join(&name),
            &format!("sample-sboms/{name}"),
        );
    }
    let home = tmp.join("home");
    let home_s = home.to_str().unwrap().to_string();
    let env = [
        ("HOME", home_s.as_str()),
        ("TACOS_SBOM_CONFIG_DIR", ""),
        ("XDG_CONFIG_HOME", ""),
    ];
    let mut ran = 0;
    for line in &lines {
        if line.starts_with("cargo install") || line == "bash .ci/test" {
            continue;
        }
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| match w.strip_prefix("~/") {
                Some(rest) => format!("{home_s}/{rest}"),
                None => w.to_string(),
            })
            .collect();
        assert_eq!(
            words[0], "tacos-sbom",
            "a README command this test cannot run: {line}"
        );
        assert!(
            !line.contains(['|', '>', '<', '&', ';', '$', '"', '\'']),
            "a README command this test cannot run as written: {line}"
        );
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let o = tacos_env(tmp.path(), &args, &env);
        assert_eq!(
            o.status.code(),
            Some(0),
            "README: `{line}` failed:\n{}\n{}",
            stdout(&o),
            stderr(&o)
        );
        ran += 1;
    }
    assert!(ran >= 3, "{ran}");
    // What the README says they did.
    assert!(home.join(".config/tacos-sbom/signing.pub").is_file());
    assert!(tmp.join("out/npm-webapp.tacos.cdx16.json").is_file());
    assert!(tmp.join("out/summary.html").is_file());
    let v = tacos_env(
        tmp.path(),
        &[
            "verify",
            "out/npm-webapp.tacos.cdx16.json",
            "--key",
            &format!("{home_s}/.config/tacos-sbom/signing.pub"),
        ],
        &env,
    );
    assert!(
        stderr(&v)
            .contains("out/npm-webapp.tacos.cdx16.json: 346 of 346 TACOS references verified"),
        "{}",
        stderr(&v)
    );
}

#[test]
fn the_help_names_every_format_the_tool_reads() {
    let top = flat(&help(&[]));
    for format in [
        "CycloneDX JSON or XML",
        "SPDX 2 JSON or tag-value",
        "SPDX 3 JSON-LD",
    ] {
        assert!(top.contains(format), "{format}: {top}");
    }
    assert!(!top.contains("JSON SBOM"), "{top}");
}

/// `man --dir` writes the main page and one per command, which is every
/// page the main page cites; `man COMMAND` prints that command's page; a
/// missing folder is made.
#[test]
fn man_writes_a_page_for_every_command_it_cites() {
    let tmp = Temp::new();
    let o = tacos(tmp.path(), &["man", "--dir", "share/man/man1"]);
    assert_ok(&o);
    let dir = tmp.join("share/man/man1");
    let main = std::fs::read_to_string(dir.join("tacos-sbom.1")).unwrap();
    let commands = commands();
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = commands
        .iter()
        .map(|c| format!("tacos-sbom-{c}.1"))
        .collect();
    expected.push("tacos-sbom.1".into());
    expected.sort();
    assert_eq!(written, expected);
    // Every page the main page cites is there.
    let mut cited = 0;
    for part in main.split("tacos\\-sbom\\-").skip(1) {
        // roff writes a command's hyphen as `\-` (attest-self).
        let cited_as: String = part
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '\\' || *c == '-')
            .collect();
        let name = cited_as.replace("\\-", "-");
        assert!(part[cited_as.len()..].starts_with("(1)"), "{part}");
        assert!(dir.join(format!("tacos-sbom-{name}.1")).is_file(), "{name}");
        cited += 1;
    }
    assert_eq!(cited, commands.len(), "{main}");
    for cmd in &commands {
        let page = std::fs::read_to_string(dir.join(format!("tacos-sbom-{cmd}.1"))).unwrap();
        assert!(
            page.contains(&format!(".TH tacos-sbom-{cmd} 1")),
            "{cmd}: {page}"
        );
        // The page of a command is its help: every flag, and its exit codes.
        for flag in long_flags(&help(&[cmd])) {
            let roff = flag.replace('-', "\\-");
            assert!(page.contains(&roff), "{cmd}: {flag} missing from its page");
        }
        assert!(page.contains("Exit codes: 0"), "{cmd}");
        let printed = tacos(tmp.path(), &["man", cmd]);
        assert_ok(&printed);
        assert_eq!(stdout(&printed), page, "{cmd}");
    }
    if Command::new("man").arg("--version").output().is_ok() {
        let shown = Command::new("man")
            .arg("-l")
            .arg(dir.join("tacos-sbom-enrich.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(shown.status.success());
        assert!(String::from_utf8_lossy(&shown.stdout).contains("tacos-sbom-enrich"));
    }
    // A name that is not a command is refused with the valid ones.
    let o = tacos(tmp.path(), &["man", "enrch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("enrich"), "{}", stderr(&o));
}

/// GitHub's anchor for a heading: lowercase, spaces to hyphens, only
/// letters, digits, hyphens and underscores kept.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every relative link in the README, docs/ and sample-sboms/README.md
/// leads to a file that exists, and to a heading in it when it names one:
/// moving text between files must move its links too.
#[test]
fn every_relative_link_in_the_docs_leads_somewhere() {
    let mut files = vec![
        "README.md".to_string(),
        "sample-sboms/README.md".to_string(),
    ];
    for e in std::fs::read_dir(repo().join("docs")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            files.push(format!("docs/{name}"));
        }
    }
    let mut problems = Vec::new();
    let mut links = 0;
    for file in &files {
        // Links inside code blocks are examples, not links.
        let mut fenced = false;
        let text: String = read(file)
            .lines()
            .filter(|l| {
                if l.starts_with("```") {
                    fenced = !fenced;
                }
                !fenced
            })
            .collect::<Vec<_>>()
            .join("\n");
        let base = repo().join(file).parent().unwrap().to_path_buf();
        for part in text.split("](").skip(1) {
            let target = part.split(')').next().unwrap();
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            links += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let dest = if path.is_empty() {
                repo().join(file)
            } else {
                base.join(path)
            };
            if !dest.exists() {
                problems.push(format!("{file}: ({target}): no such file"));
                continue;
            }
            if !anchor.is_empty() {
                let doc = std::fs::read_to_string(&dest).unwrap();
                let found = doc
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .any(|l| slug(l.trim_start_matches('#')) == anchor);
                if !found {
                    problems.push(format!("{file}: ({target}): no heading #{anchor}"));
                }
            }
        }
    }
    assert!(links > 20, "{links}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
