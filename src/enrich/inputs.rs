//! What a run reads and where each output goes: the inputs named, listed
//! (`--from-list`) or found in directories, and each output's path.

use std::fs;
use std::path::{Path, PathBuf};

use super::{EnrichError, Output};
use crate::fsutil;
use crate::sbom::{STDIO, input_bytes};

/// Inputs and outputs that cannot go together, or a list that cannot be
/// read; nothing was read or written.
#[derive(Debug, thiserror::Error)]
pub enum InputsError {
    #[error("--from-list - and the input - would both read standard input")]
    ListAndInputOnStdin,
    #[error("--from-list {}: {source}", path.display())]
    ListUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--from-list {}: not UTF-8 text (one path per line)", path.display())]
    ListNotText { path: PathBuf },
    #[error("--from-list {}: lists no paths", path.display())]
    ListEmpty { path: PathBuf },
    #[error(
        "--from-list {}: lists {} (standard input), which cannot be one input among many",
        path.display(),
        listed.display()
    )]
    ListNamesStdin { path: PathBuf, listed: PathBuf },
    #[error("- (standard input) must be the only input")]
    StdinNotAlone,
    #[error("--in-place cannot replace standard input; pass -o OUTPUT or -o -")]
    InPlaceStdin,
    #[error("no SBOM files found in the given directories")]
    NoneFound,
    #[error("-o - (standard output) takes one SBOM, and {inputs} inputs were given; pass -o DIR")]
    StdoutTakesOne { inputs: usize },
}

/// The inputs of a run and where their outputs go: the paths `named`, and
/// those listed in `from_list`, with directories expanded; written to
/// `output` (`-` is standard output), or over each input with `in_place`,
/// else beside each input (standard output for standard input).
pub fn resolve(
    named: &[PathBuf],
    from_list: Option<&Path>,
    output: Option<&Path>,
    in_place: bool,
) -> Result<(Vec<Input>, Output), EnrichError> {
    let mut named = named.to_vec();
    if let Some(list) = from_list {
        named.extend(read_list(list, &named)?);
    }
    let stdin = named.iter().any(|p| p == Path::new(STDIO));
    let stdout = output == Some(Path::new(STDIO));
    if stdin && named.len() > 1 {
        return Err(InputsError::StdinNotAlone.into());
    }
    if stdin && in_place {
        return Err(InputsError::InPlaceStdin.into());
    }
    let inputs = expand_inputs(&named)?;
    if inputs.is_empty() {
        return Err(InputsError::NoneFound.into());
    }
    if stdout && inputs.len() > 1 {
        return Err(InputsError::StdoutTakesOne {
            inputs: inputs.len(),
        }
        .into());
    }
    let output = match (output, in_place) {
        (_, true) => Output::InPlace,
        (None, false) if stdin => Output::File(PathBuf::from(STDIO)),
        (None, false) => Output::Beside,
        (Some(o), false) if o.is_dir() || inputs.len() > 1 => Output::Dir(o.to_path_buf()),
        (Some(o), false) => Output::File(o.to_path_buf()),
    };
    Ok((inputs, output))
}

/// The paths `list` names (`--from-list`), besides the inputs `named`:
/// standard input can be read only once, and is never one input among many.
fn read_list(list: &Path, named: &[PathBuf]) -> Result<Vec<PathBuf>, InputsError> {
    if named.iter().any(|p| p == Path::new(STDIO)) && list == Path::new(STDIO) {
        return Err(InputsError::ListAndInputOnStdin);
    }
    let path = || list.to_path_buf();
    let bytes = input_bytes(list).map_err(|source| InputsError::ListUnreadable {
        path: path(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| InputsError::ListNotText { path: path() })?;
    let listed = list_inputs(&text);
    if listed.is_empty() {
        return Err(InputsError::ListEmpty { path: path() });
    }
    if let Some(p) = listed.iter().find(|p| *p == Path::new(STDIO)) {
        return Err(InputsError::ListNamesStdin {
            path: path(),
            listed: p.clone(),
        });
    }
    Ok(listed)
}

/// One input: a file named on the command line (or in a list), or found by
/// walking a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The directory it was found under. A file found there that turns out
    /// not to be an SBOM at all is passed over quietly (one that is an SBOM
    /// the tool cannot read is reported like a named file), and with `-o
    /// DIR` its output keeps its place relative to this directory.
    pub root: Option<PathBuf>,
}

/// Expand directories, recursively, into the files they hold that may be
/// SBOMs, skipping this tool's own outputs, hidden directories and
/// symbolic links to directories (so a walk cannot loop or leave the tree).
/// Files named explicitly are kept as they are.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, EnrichError> {
    let mut out = Vec::new();
    for p in paths {
        if p != Path::new(STDIO) && p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found.into_iter().map(|f| Input {
                path: f,
                root: Some(p.clone()),
            }));
        } else {
            out.push(Input {
                path: p.clone(),
                root: None,
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), EnrichError> {
    let entries = fs::read_dir(dir).map_err(|source| EnrichError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in entries {
        let e = e.map_err(|source| EnrichError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        // The entry itself, not what a link points at.
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if !name.starts_with('.') {
                walk(&e.path(), found)?;
            }
        } else if (kind.is_file() || (kind.is_symlink() && e.path().is_file()))
            && sbom_like_name(&name)
        {
            found.push(e.path());
        }
    }
    Ok(())
}

/// Paths listed one per line in `text` (`--from-list`): blank lines are
/// skipped, and so is the end-of-line `\r` of a list written on Windows.
pub fn list_inputs(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Whether a file in a directory may hold an SBOM in any serialization the
/// tool reads or names (CycloneDX JSON/XML/protobuf, SPDX JSON, tag-value,
/// YAML, XML, RDF, SPDX 3 JSON-LD), and is not one of its own outputs.
fn sbom_like_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    // What `derived_name` writes always holds `.tacos.` (or ends in
    // `.tacos` for a name without extension, which no extension below takes).
    let ours = name.contains(".tacos.") || name.contains(".tacos-report.");
    let extensions = [
        ".json", ".jsonld", ".xml", ".spdx", ".tv", ".yaml", ".yml", ".rdf", ".cdx", ".bom",
        ".cdx.bin",
    ];
    !ours && extensions.iter().any(|e| name.ends_with(e))
}

/// The default output name: `.tacos` put before the input's format suffix,
/// which is its last extension, with the one before it when that names a
/// format (`cdx`, `spdx` or `bom`, with or without a version number):
/// `bom.json` → `bom.tacos.json`, `x.cdx16.json` → `x.tacos.cdx16.json`,
/// `sbom.spdx3.json` → `sbom.tacos.spdx3.json`, `bom.cdx.xml` →
/// `bom.tacos.cdx.xml`, `sbom.spdx` → `sbom.tacos.spdx`. The output keeps
/// the suffix tools know its format by, whatever the format; a name with
/// no extension gets `.tacos` at its end. A name already holding `.tacos.`
/// is one of ours and is kept (enriching it again would overwrite it, which
/// is refused).
pub fn derived_name(input: &Path) -> String {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sbom.json".into());
    if name.contains(".tacos.") {
        return name;
    }
    let cut = format_suffix_start(&name);
    format!("{}.tacos{}", &name[..cut], &name[cut..])
}

/// Where `name`'s format suffix starts (its length when it has none): the
/// last extension, or the two last when the one before names a format.
fn format_suffix_start(name: &str) -> usize {
    // A leading dot starts a hidden name, not an extension.
    let Some(last) = name.rfind('.').filter(|&i| i > 0) else {
        return name.len();
    };
    let Some(before) = name[..last].rfind('.').filter(|&i| i > 0) else {
        return last;
    };
    let marker = name[before + 1..last].to_ascii_lowercase();
    let names_a_format = ["cdx", "spdx", "bom"].iter().any(|f| {
        marker
            .strip_prefix(f)
            .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit()))
    });
    if names_a_format { before } else { last }
}

pub(super) fn output_path(input: &Input, output: &Output) -> PathBuf {
    let path = &input.path;
    match output {
        Output::Beside => path.with_file_name(derived_name(path)),
        Output::File(f) => f.clone(),
        // Found under a directory: the same place under DIR, so that two
        // `bom.json` in different folders do not collide.
        Output::Dir(d) => match input
            .root
            .as_ref()
            .and_then(|r| path.strip_prefix(r).ok())
            .and_then(Path::parent)
        {
            Some(rel) => d.join(rel).join(derived_name(path)),
            None => d.join(derived_name(path)),
        },
        Output::InPlace => path.to_path_buf(),
    }
}

pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (fsutil::absolute(a), fsutil::absolute(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(named: &[&str], output: Option<&str>, in_place: bool) -> String {
        let named: Vec<PathBuf> = named.iter().map(PathBuf::from).collect();
        match resolve(&named, None, output.map(Path::new), in_place) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{named:?} to {output:?} was accepted"),
        }
    }

    /// Standard input is one input alone and never replaced; standard
    /// output takes one SBOM; a directory with no SBOM is no input.
    #[test]
    fn inputs_and_outputs_that_cannot_go_together_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a.json");
        let b = tmp.path().join("b.json");
        for p in [&a, &b] {
            fs::write(p, "{}").unwrap();
        }
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        assert_eq!(
            refused(&["-", a], None, false),
            "- (standard input) must be the only input"
        );
        assert!(refused(&["-"], None, true).starts_with("--in-place cannot replace"));
        assert!(refused(&[a, b], Some("-"), false).contains("takes one SBOM, and 2 inputs"));
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert_eq!(
            refused(&[empty.to_str().unwrap()], None, false),
            "no SBOM files found in the given directories"
        );
    }

    /// One rule for every format: `.tacos` before the format suffix.
    #[test]
    fn the_output_name_puts_tacos_before_the_format_suffix() {
        for (input, output) in [
            ("bom.json", "bom.tacos.json"),
            ("x.cdx.json", "x.tacos.cdx.json"),
            ("x.cdx16.json", "x.tacos.cdx16.json"),
            ("sbom.spdx.json", "sbom.tacos.spdx.json"),
            ("cargo.spdx23.json", "cargo.tacos.spdx23.json"),
            ("sbom.spdx3.json", "sbom.tacos.spdx3.json"),
            ("bom.xml", "bom.tacos.xml"),
            ("bom.cdx.xml", "bom.tacos.cdx.xml"),
            ("sbom.spdx", "sbom.tacos.spdx"),
            ("sbom.tv", "sbom.tacos.tv"),
            ("bom.bom.xml", "bom.tacos.bom.xml"),
            ("app.v2.json", "app.v2.tacos.json"),
            ("my.cdxtool.json", "my.cdxtool.tacos.json"),
            ("sbom", "sbom.tacos"),
            (".json", ".json.tacos"),
            ("x.tacos.json", "x.tacos.json"),
        ] {
            assert_eq!(derived_name(Path::new(input)), output, "{input}");
            assert!(!sbom_like_name(&derived_name(Path::new(input))), "{input}");
        }
    }

    /// Beside the input by default; standard output for standard input; a
    /// directory for several inputs or an existing directory; else a file.
    #[test]
    fn the_output_follows_the_inputs() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a.json");
        let b = tmp.path().join("b.json");
        for p in [&a, &b] {
            fs::write(p, "{}").unwrap();
        }
        let output = |named: &[&PathBuf], o: Option<&Path>, in_place| {
            let named: Vec<PathBuf> = named.iter().map(|p| p.to_path_buf()).collect();
            resolve(&named, None, o, in_place).unwrap().1
        };
        let o = tmp.path().join("o.json");
        assert_eq!(output(&[&a], None, false), Output::Beside);
        assert_eq!(output(&[&a], None, true), Output::InPlace);
        assert_eq!(output(&[&a], Some(&o), false), Output::File(o.clone()));
        assert_eq!(output(&[&a, &b], Some(&o), false), Output::Dir(o));
        assert_eq!(
            output(&[&a], Some(tmp.path()), false),
            Output::Dir(tmp.path().to_path_buf())
        );
        let stdin = PathBuf::from(STDIO);
        assert_eq!(
            output(&[&stdin], None, false),
            Output::File(PathBuf::from(STDIO))
        );
    }
}
