//! The install a resolved dependency graph describes: a default install on
//! 64-bit Linux. PyPI requirements are filtered by their PEP 508 markers
//! for CPython 3.12 there (no extras asked for); Cargo target dependencies
//! by their `cfg(...)` or triple for `x86_64-unknown-linux-gnu`. Evidence
//! names this environment, since another platform may pull in other
//! packages.

use std::str::FromStr;
use std::sync::OnceLock;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree};

fn python() -> &'static MarkerEnvironment {
    static ENV: OnceLock<MarkerEnvironment> = OnceLock::new();
    ENV.get_or_init(|| {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.12.7",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: "3.12.7",
            python_version: "3.12",
            sys_platform: "linux",
        })
        .expect("fixed versions parse")
    })
}

/// A PEP 508 marker that cannot be read. Its message ends up in a resolved
/// graph's gaps, and so in signed evidence: it must not change.
#[derive(Debug, thiserror::Error)]
#[error("marker {marker:?}: {reason}")]
pub struct MarkerError {
    pub marker: String,
    pub reason: pep508_rs::Pep508Error,
}

/// Whether a PEP 508 marker holds for the default install with `extras`
/// asked of the package; `Err` when the marker cannot be read.
pub fn python_marker(marker: &str, extras: &[String]) -> Result<bool, MarkerError> {
    let tree = MarkerTree::from_str(marker).map_err(|reason| MarkerError {
        marker: marker.to_string(),
        reason,
    })?;
    let extras: Vec<ExtraName> = extras
        .iter()
        .filter_map(|e| ExtraName::from_str(e).ok())
        .collect();
    Ok(tree.evaluate(python(), &extras))
}

const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// Whether a Cargo target dependency applies on the host; `None` when the
/// condition names something this reader does not know.
pub fn cargo_target(condition: &str) -> Option<bool> {
    let c = condition.trim();
    if let Some(rest) = c.strip_prefix("cfg(") {
        return Cfg::new(rest.strip_suffix(')')?).eval();
    }
    // A plain triple.
    c.chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.')
        .then(|| c == TRIPLE)
}

/// A tiny reader of `cfg(...)` expressions: `all`, `any`, `not`, names and
/// `key = "value"` pairs. Unknown predicates are unknown, not false, and the
/// logic is three-valued: `all(windows, unknown)` is still false.
struct Cfg<'a> {
    s: &'a str,
    pos: usize,
}

/// A parsed predicate's value: `None` when it cannot be known here.
type Tri = Option<bool>;

impl<'a> Cfg<'a> {
    fn new(s: &'a str) -> Cfg<'a> {
        Cfg { s, pos: 0 }
    }

    /// `None` for text that is not a cfg expression, or whose value
    /// depends on a predicate this reader does not know.
    fn eval(mut self) -> Option<bool> {
        let v = self.expr()?;
        self.ws();
        if self.pos == self.s.len() { v } else { None }
    }

    fn ws(&mut self) {
        while self.s[self.pos..].starts_with([' ', '\t', '\n']) {
            self.pos += 1;
        }
    }

    fn ident(&mut self) -> Option<&'a str> {
        self.ws();
        let rest = &self.s[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Option<&'a str> {
        if !self.eat('"') {
            return None;
        }
        let rest = &self.s[self.pos..];
        let end = rest.find('"')?;
        self.pos += end + 1;
        Some(&rest[..end])
    }

    /// `( expr, expr, ... )`; the outer `None` is a syntax error.
    fn list(&mut self) -> Option<Vec<Tri>> {
        if !self.eat('(') {
            return None;
        }
        let mut out = Vec::new();
        if self.eat(')') {
            return Some(out);
        }
        loop {
            out.push(self.expr()?);
            if self.eat(')') {
                return Some(out);
            }
            if !self.eat(',') {
                return None;
            }
            if self.eat(')') {
                return Some(out);
            }
        }
    }

    /// The outer `None` is a syntax error; the inner, an unknown value.
    fn expr(&mut self) -> Option<Tri> {
        let name = self.ident()?;
        Some(match name {
            "all" => {
                let l = self.list()?;
                if l.contains(&Some(false)) {
                    Some(false)
                } else if l.iter().all(|x| *x == Some(true)) {
                    Some(true)
                } else {
                    None
                }
            }
            "any" => {
                let l = self.list()?;
                if l.contains(&Some(true)) {
                    Some(true)
                } else if l.iter().all(|x| *x == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            }
            "not" => {
                let l = self.list()?;
                if l.len() != 1 {
                    return None;
                }
                l[0].map(|x| !x)
            }
            _ if self.eat('=') => {
                let value = self.string()?;
                match name {
                    "target_os" => Some(value == "linux"),
                    "target_family" => Some(value == "unix"),
                    "target_arch" => Some(value == "x86_64"),
                    "target_env" => Some(value == "gnu"),
                    "target_vendor" => Some(value == "unknown"),
                    "target_pointer_width" => Some(value == "64"),
                    "target_endian" => Some(value == "little"),
                    "target_abi" => Some(value.is_empty()),
                    "target_has_atomic" => Some(matches!(value, "8" | "16" | "32" | "64" | "ptr")),
                    // The baseline x86_64 features; others depend on flags.
                    "target_feature" if matches!(value, "sse" | "sse2" | "fxsr") => Some(true),
                    _ => None,
                }
            }
            "unix" => Some(true),
            "windows" | "wasm" | "miri" | "test" | "debug_assertions" | "doc" | "doctest" => {
                Some(false)
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_for_a_default_cpython_install() {
        let holds = |m: &str, extras: &[String]| python_marker(m, extras).unwrap();
        assert!(holds("python_version >= \"3.8\"", &[]));
        assert!(!holds("python_version < \"3\"", &[]));
        assert!(!holds("sys_platform == \"win32\"", &[]));
        assert!(!holds("extra == \"socks\"", &[]));
        assert!(holds("extra == \"socks\"", &["socks".into()]));
        assert!(!holds(
            "platform_python_implementation != \"PyPy\" and extra == \"x\"",
            &[]
        ));
    }

    /// The message is quoted in evidence (a graph's gaps), so it is kept
    /// exactly as it was when the error was a string.
    #[test]
    fn an_unreadable_marker_is_named_in_the_error() {
        let marker = "python_version >>> 3";
        let e = python_marker(marker, &[]).unwrap_err();
        let parser = MarkerTree::from_str(marker).unwrap_err();
        assert_eq!(e.to_string(), format!("marker {marker:?}: {parser}"));
        assert!(
            e.to_string()
                .starts_with("marker \"python_version >>> 3\": ")
        );
        assert_eq!(e.marker, marker);
    }

    #[test]
    fn cargo_targets_for_linux() {
        for (c, want) in [
            ("cfg(unix)", Some(true)),
            ("cfg(windows)", Some(false)),
            ("cfg(not(windows))", Some(true)),
            ("cfg(target_os = \"linux\")", Some(true)),
            (
                "cfg(any(target_os = \"macos\", target_os = \"ios\"))",
                Some(false),
            ),
            (
                "cfg(all(target_arch = \"x86_64\", not(target_env = \"msvc\")))",
                Some(true),
            ),
            ("x86_64-pc-windows-gnu", Some(false)),
            ("x86_64-unknown-linux-gnu", Some(true)),
            ("cfg(some_unknown_flag)", None),
            ("cfg(all(unix,))", Some(true)),
            ("cfg(", None),
            ("cfg(all(unix", None),
            (
                "cfg(any(target_arch = \"x86_64\", all(target_arch = \"wasm32\", target_feature = \"simd128\")))",
                Some(true),
            ),
            ("cfg(all(windows, some_flag))", Some(false)),
            ("cfg(all(unix, some_flag))", None),
        ] {
            assert_eq!(cargo_target(c), want, "{c}");
        }
    }
}
