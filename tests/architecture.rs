//! The floors of ARCHITECTURE.md, checked from the code's own imports: a
//! library module uses only modules in rows above its own in the table, and
//! no files form a circle. The table is the single source of the order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The modules of the floors table, in its order.
fn floors() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            // | floor | `module` | owns | never |
            let m = cells.get(2)?;
            let m = m.strip_prefix('`')?.strip_suffix('`')?;
            (cells.len() >= 5 && !m.contains(' ')).then(|| m.to_string())
        })
        .collect()
}

/// A library file: its module path (`["sources", "http"]`) and its code
/// without comments, string contents and unit tests, kept line for line.
struct File {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

fn files() -> Vec<File> {
    let src = repo().join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            // The binary's files are above every floor.
            if p.extension().is_none_or(|x| x != "rs")
                || module == ["main"]
                || module.first().is_some_and(|m| m == "cli")
            {
                continue;
            }
            if module.last().is_some_and(|m| m == "mod") || module == ["lib"] {
                module.pop();
            }
            let code = strip(&std::fs::read_to_string(&p).unwrap());
            out.push(File {
                path: p,
                module,
                code,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Comments, string and char contents blanked (newlines kept, so line
/// numbers hold), and everything from the first `#[cfg(test)]` on cut.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &str, out: &mut String| {
        for c in s.chars() {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        if text[i..].starts_with("#[cfg(test)]") {
            break;
        }
        if text[i..].starts_with("//") {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            i = end;
            continue;
        }
        if text[i..].starts_with("/*") {
            let end = text[i..].find("*/").map_or(b.len(), |n| i + n + 2);
            keep_lines(&text[i..end], &mut out);
            i = end;
            continue;
        }
        // Raw strings r"..", r#".."#.
        if text[i..].starts_with("r\"") || text[i..].starts_with("r#") {
            let hashes = text[i + 1..].bytes().take_while(|&c| c == b'#').count();
            if text[i + 1 + hashes..].starts_with('"') {
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                let end = text[start..]
                    .find(&close)
                    .map_or(b.len(), |n| start + n + close.len());
                keep_lines(&text[i..end], &mut out);
                i = end;
                continue;
            }
        }
        if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            keep_lines(&text[i..end], &mut out);
            i = end;
            continue;
        }
        // A char literal ('x', '\n', '"'), not a lifetime ('a).
        if b[i] == b'\'' {
            let rest = &text[i + 1..];
            let len = if rest.starts_with('\\') {
                rest.find('\'').map(|n| n + 1)
            } else {
                rest.chars()
                    .next()
                    .filter(|_| rest.chars().nth(1) == Some('\''))
                    .map(|c| c.len_utf8() + 1)
            };
            if let Some(n) = len {
                keep_lines(&text[i..i + 1 + n], &mut out);
                i += 1 + n;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Every path a file names in another module, with its line: `crate::a::b`,
/// `crate::{a, b::c}`, `super::x`, `self::x`, and a child module's name.
fn references(f: &File, modules: &BTreeSet<Vec<String>>) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    // The leading `a::b::c` of `s`: it ends where a segment does not.
    let ident = |s: &str| {
        let mut path = Vec::new();
        for (i, seg) in s.split("::").enumerate() {
            let seg = if i == 0 { seg.trim() } else { seg };
            let name: String = seg
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                break;
            }
            let whole = name.len() == seg.len();
            path.push(name);
            if !whole {
                break;
            }
        }
        path
    };
    let children: Vec<&Vec<String>> = modules
        .iter()
        .filter(|m| m.len() == f.module.len() + 1 && m.starts_with(&f.module))
        .collect();
    for (n, line) in f.code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let p = ident(item);
                    if !p.is_empty() {
                        out.push((n + 1, p));
                    }
                }
            } else {
                out.push((n + 1, ident(after)));
            }
        }
        for (word, base) in [
            ("super::", f.module.len().saturating_sub(1)),
            ("self::", f.module.len()),
        ] {
            let mut rest = line;
            while let Some(at) = rest.find(word) {
                let before = rest[..at].chars().last();
                let after = &rest[at + word.len()..];
                rest = after;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let mut p = f.module[..base].to_vec();
                p.extend(ident(after));
                out.push((n + 1, p));
            }
        }
        for child in &children {
            let name = format!("{}::", child.last().unwrap());
            let mut rest = line;
            while let Some(at) = rest.find(&name) {
                let before = rest[..at].chars().last();
                rest = &rest[at + name.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                out.push((n + 1, child.to_vec()));
            }
        }
    }
    out
}

/// The module (file) a path lands in: its longest prefix that is a file.
fn file_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|p| modules.contains(p))
}

fn shown(p: &Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).display().to_string()
}

#[test]
fn every_module_has_a_floor_and_uses_only_floors_above_it() {
    let floors = floors();
    assert!(
        floors.len() > 10,
        "the floors table was not found: {floors:?}"
    );
    let rank: BTreeMap<&str, usize> = floors
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let files = files();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut problems = Vec::new();
    for top in modules.iter().filter(|m| m.len() == 1) {
        if !rank.contains_key(top[0].as_str()) {
            problems.push(format!(
                "module {} has no row in ARCHITECTURE.md's floors table",
                top[0]
            ));
        }
    }
    for f in &files {
        let Some(own) = f.module.first() else {
            continue;
        };
        let Some(&mine) = rank.get(own.as_str()) else {
            continue;
        };
        for (line, path) in references(f, &modules) {
            let Some(target) = path.first() else { continue };
            if target == own {
                continue;
            }
            let Some(&theirs) = rank.get(target.as_str()) else {
                continue;
            };
            if theirs > mine {
                problems.push(format!(
                    "{}:{line}: {own} uses crate::{} from a floor below it ({target} is row {} of the table, {own} row {})",
                    shown(&f.path),
                    path.join("::"),
                    theirs + 1,
                    mine + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// Which files each file uses, with where it first does.
type Edges = BTreeMap<Vec<String>, BTreeMap<Vec<String>, (PathBuf, usize)>>;

#[test]
fn no_files_form_a_circle() {
    let files = files();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges: Edges = BTreeMap::new();
    for f in &files {
        for (line, path) in references(f, &modules) {
            let Some(target) = file_of(&path, &modules) else {
                continue;
            };
            // A module's own file assembling its children closes no loop.
            if target.is_empty() || target.starts_with(&f.module) {
                continue;
            }
            edges
                .entry(f.module.clone())
                .or_default()
                .entry(target)
                .or_insert((f.path.clone(), line));
        }
    }
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        m: &Vec<String>,
        edges: &Edges,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for next in edges.get(m).into_iter().flat_map(|e| e.keys()) {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == next).unwrap();
                    let mut circle = stack[from..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in &modules {
        if state.contains_key(m) {
            continue;
        }
        if let Some(circle) = visit(m, &edges, &mut state, &mut Vec::new()) {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let (path, line) = &edges[&w[0]][&w[1]];
                    format!("{}:{line} uses {}", shown(path), w[1].join("::"))
                })
                .collect();
            panic!("files form a circle:\n{}", steps.join("\n"));
        }
    }
}

/// The checker itself: it finds each kind of reference, and nothing in a
/// comment or a string.
#[test]
fn references_are_found_in_code_only() {
    let code = strip(
        "use crate::sbom::Sbom; // crate::enrich\nlet s = \"crate::verify\";\nuse crate::{tacos, attest::Signer};\n/* crate::cli */ super::x::y(); hub::f();\n#[cfg(test)]\nuse crate::report;",
    );
    let f = File {
        path: PathBuf::from("src/sources/http.rs"),
        module: vec!["sources".into(), "http".into()],
        code,
    };
    let modules: BTreeSet<Vec<String>> = [
        vec!["sources".to_string(), "http".to_string()],
        vec!["sources".to_string(), "http".to_string(), "hub".to_string()],
    ]
    .into_iter()
    .collect();
    let found: Vec<(usize, String)> = references(&f, &modules)
        .into_iter()
        .map(|(l, p)| (l, p.join("::")))
        .collect();
    assert_eq!(
        found,
        vec![
            (1, "sbom::Sbom".to_string()),
            (3, "tacos".to_string()),
            (3, "attest::Signer".to_string()),
            (4, "sources::x::y".to_string()),
            (4, "sources::http::hub".to_string()),
        ]
    );
}
