//! What the benchmarks share: one run of a command under GNU time.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Run `inner` under `/usr/bin/time` (stdout discarded): its wall seconds
/// and peak RSS in KiB. Panics, with its stderr, if it fails.
///
/// The peak is the largest of the process and the children it waited
/// for (Linux reports it so): a run that starts `npm config get registry`
/// (~57 MiB) reports at least that. See [`own_memory`].
pub fn timed(inner: &Command) -> (f64, u64) {
    let (wall, kib, _) = timed_with_stderr(inner);
    (wall, kib)
}

/// [`timed`], and what `inner` wrote to stderr.
pub fn timed_with_stderr(inner: &Command) -> (f64, u64, String) {
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg(inner.get_program());
    timed.args(inner.get_args());
    if let Some(dir) = inner.get_current_dir() {
        timed.current_dir(dir);
    }
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    timed.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = timed
        .output()
        .expect("GNU time (/usr/bin/time) is installed");
    let wall = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    let (rest, last) = err
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", err.trim_end()));
    let kib = last
        .trim()
        .parse()
        .expect("GNU time printed the peak RSS last");
    (wall, kib, rest.to_string())
}

/// Set on a `tacos-sbom` command whose peak RSS is measured: registry
/// endpoints given (the command is offline, so nothing is asked of them),
/// so that no ecosystem client is started whose RSS would be reported as
/// the tool's.
pub fn own_memory(cmd: &mut Command) -> &mut Command {
    cmd.env("TACOS_NPM_REGISTRY_URL", "http://127.0.0.1:9/")
        .env("TACOS_PYPI_URL", "http://127.0.0.1:9/")
}

pub fn count(components: &[serde_json::Value]) -> usize {
    components
        .iter()
        .map(|c| 1 + c["components"].as_array().map_or(0, |n| count(n)))
        .sum()
}

/// `components` components (nested ones counted) from the large fixture: its
/// components repeated with distinct versions, so every PURL is a distinct
/// package, and bom-refs made unique.
pub fn build_10k(src: &Path, dst: &Path, components: usize) {
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    let base = doc["components"].as_array().unwrap().clone();
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    'fill: loop {
        for c in &base {
            let mut c = c.clone();
            let n = count(std::slice::from_ref(&c));
            if total + n > components {
                if n == 1 {
                    continue;
                }
                c.as_object_mut().unwrap().remove("components");
            }
            if i > 0 {
                rename(&mut c, i);
            }
            total += count(std::slice::from_ref(&c));
            out.push(c);
            if total == components {
                break 'fill;
            }
        }
        i += 1;
    }
    assert_eq!(count(&out), components);
    doc["components"] = serde_json::Value::Array(out);
    std::fs::write(dst, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

fn rename(c: &mut serde_json::Value, i: usize) {
    let suffix = format!("-bench.{i}");
    if let Some(v) = c["version"].as_str() {
        let nv = format!("{v}{suffix}");
        if let Some(p) = c["purl"].as_str() {
            c["purl"] = p.replacen(&format!("@{v}"), &format!("@{nv}"), 1).into();
        }
        c["version"] = nv.into();
    }
    if let Some(r) = c["bom-ref"].as_str() {
        c["bom-ref"] = format!("{r}{suffix}").into();
    }
    if let Some(children) = c.get_mut("components").and_then(|x| x.as_array_mut()) {
        for child in children {
            rename(child, i);
        }
    }
}
