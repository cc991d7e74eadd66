//! Turning a declared license into a valid SPDX expression, or saying why not.
//!
//! Strict SPDX parsing first (the `spdx` crate); then `/` as OR, deprecated
//! identifiers replaced by their current forms; then a short table of names
//! that mean exactly one SPDX identifier. Names that could mean several
//! licenses ("BSD License", "Apache Software License" without a version) are
//! not guessed.

use spdx::Expression;
use spdx::lexer::ParseMode;

/// The result of normalizing one declared license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// A valid SPDX expression, and a note when it differs from the input.
    Spdx {
        expression: String,
        note: Option<String>,
    },
    /// Not an SPDX expression, with the reason.
    Unknown(String),
}

/// Names that mean exactly one SPDX identifier (compared case-insensitively,
/// after trimming). PyPI trove classifiers are matched on their last part.
const ALIASES: &[(&str, &str)] = &[
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("the mit license (mit)", "MIT"),
    ("mit/x11", "MIT"),
    ("expat", "MIT"),
    ("expat license", "MIT"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("asl 2.0", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd-3", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("3-clause bsd license", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("modified bsd license", "BSD-3-Clause"),
    ("revised bsd license", "BSD-3-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("bsd-2", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("freebsd license", "BSD-2-Clause"),
    ("isc license", "ISC"),
    ("isc license (iscl)", "ISC"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("mpl 2.0", "MPL-2.0"),
    ("python software foundation license", "PSF-2.0"),
    ("psf", "PSF-2.0"),
    ("psf license", "PSF-2.0"),
    ("the unlicense", "Unlicense"),
    ("the unlicense (unlicense)", "Unlicense"),
    ("public domain (cc0)", "CC0-1.0"),
    (
        "cc0 1.0 universal (cc0 1.0) public domain dedication",
        "CC0-1.0",
    ),
    ("zlib/libpng license", "Zlib"),
    ("gnu general public license v2 (gplv2)", "GPL-2.0-only"),
    (
        "gnu general public license v2 or later (gplv2+)",
        "GPL-2.0-or-later",
    ),
    ("gnu general public license v3 (gplv3)", "GPL-3.0-only"),
    (
        "gnu general public license v3 or later (gplv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "gnu lesser general public license v2 (lgplv2)",
        "LGPL-2.0-only",
    ),
    (
        "gnu lesser general public license v2 or later (lgplv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "gnu lesser general public license v3 (lgplv3)",
        "LGPL-3.0-only",
    ),
    (
        "gnu lesser general public license v3 or later (lgplv3+)",
        "LGPL-3.0-or-later",
    ),
    ("gnu affero general public license v3", "AGPL-3.0-only"),
    (
        "gnu affero general public license v3 or later (agplv3+)",
        "AGPL-3.0-or-later",
    ),
    ("eclipse public license 2.0 (epl-2.0)", "EPL-2.0"),
    ("boost software license 1.0 (bsl-1.0)", "BSL-1.0"),
];

/// Parsing that accepts `/` for OR and deprecated identifiers, and nothing
/// guessed: imprecise names are left to the alias table.
const TOLERANT: ParseMode = ParseMode {
    allow_slash_as_or_operator: true,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

pub fn normalize(declared: &str) -> Normalized {
    let collapsed = declared.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed
        .trim_matches(|c: char| c == '"' || c == '\'')
        .trim();
    if trimmed.is_empty() {
        return Normalized::Unknown("the declared license is empty".into());
    }
    let upper = trimmed.to_ascii_uppercase();
    if upper == "UNLICENSED" || upper.starts_with("SEE LICENSE IN") {
        return Normalized::Unknown(format!(
            "{trimmed:?} is not an open source license expression"
        ));
    }
    if matches!(
        upper.as_str(),
        "UNKNOWN" | "NOASSERTION" | "NONE" | "OTHER" | "OTHER/PROPRIETARY LICENSE"
    ) {
        return Normalized::Unknown(format!("the declared license is {trimmed:?}"));
    }
    if Expression::parse(trimmed).is_ok() {
        let canonical = uppercase_operators(trimmed);
        let note = (canonical != declared).then(|| format!("normalized from {declared:?}"));
        return Normalized::Spdx {
            expression: canonical,
            note,
        };
    }
    if Expression::parse_mode(trimmed, TOLERANT).is_ok() {
        let rewritten = modernize(&uppercase_operators(&trimmed.replace('/', " OR ")));
        if Expression::parse(&rewritten).is_ok() {
            return Normalized::Spdx {
                note: Some(format!("normalized from {declared:?}")),
                expression: rewritten,
            };
        }
    }
    let key = trimmed
        .rsplit(" :: ")
        .next()
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if let Some((_, id)) = ALIASES.iter().find(|(name, _)| *name == key) {
        return Normalized::Spdx {
            expression: (*id).to_string(),
            note: Some(format!("normalized from the license name {declared:?}")),
        };
    }
    Normalized::Unknown(format!(
        "{trimmed:?} is not a valid SPDX license expression and does not name exactly one SPDX license"
    ))
}

/// `and`/`or`/`with` written in any case become upper case.
fn uppercase_operators(expr: &str) -> String {
    let spaced = expr.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<String> = spaced
        .split_whitespace()
        .map(|w| match w.to_ascii_lowercase().as_str() {
            "and" | "or" | "with" => w.to_ascii_uppercase(),
            _ => w.to_string(),
        })
        .collect();
    words.join(" ").replace("( ", "(").replace(" )", ")")
}

/// Deprecated GPL-family identifiers in their current form.
fn modernize(expr: &str) -> String {
    expr.split(' ')
        .map(|w| {
            let (open, rest) = w.split_at(w.len() - w.trim_start_matches('(').len());
            let core = rest.trim_end_matches(')');
            let close = &rest[core.len()..];
            let family = ["GPL-", "LGPL-", "AGPL-"]
                .iter()
                .any(|p| core.starts_with(p));
            let fixed = if family && core.ends_with('+') {
                format!("{}-or-later", core.trim_end_matches('+'))
            } else if family && !core.contains("-only") && !core.contains("-or-later") {
                format!("{core}-only")
            } else {
                core.to_string()
            };
            format!("{open}{fixed}{close}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spdx(s: &str) -> String {
        match normalize(s) {
            Normalized::Spdx { expression, .. } => expression,
            Normalized::Unknown(why) => panic!("{s}: {why}"),
        }
    }

    fn unknown(s: &str) {
        assert!(
            matches!(normalize(s), Normalized::Unknown(_)),
            "{s} should not normalize"
        );
    }

    #[test]
    fn valid_expressions_pass_with_operators_normalized() {
        assert_eq!(spdx("MIT"), "MIT");
        assert_eq!(spdx("Apache-2.0  OR  MIT"), "Apache-2.0 OR MIT");
        assert_eq!(spdx("(MIT or Apache-2.0)"), "(MIT OR Apache-2.0)");
        assert_eq!(
            spdx("Apache-2.0 WITH LLVM-exception"),
            "Apache-2.0 WITH LLVM-exception"
        );
        assert_eq!(spdx("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(spdx("GPL-2.0+"), "GPL-2.0-or-later");
        assert_eq!(spdx("LicenseRef-Proprietary"), "LicenseRef-Proprietary");
    }

    #[test]
    fn names_that_mean_one_license_are_mapped() {
        assert_eq!(spdx("MIT License"), "MIT");
        assert_eq!(spdx("Apache License, Version 2.0"), "Apache-2.0");
        assert_eq!(spdx("License :: OSI Approved :: MIT License"), "MIT");
        assert_eq!(spdx("BSD 3-Clause"), "BSD-3-Clause");
    }

    #[test]
    fn ambiguous_or_non_licenses_are_not_guessed() {
        unknown("BSD License");
        unknown("License :: OSI Approved :: Apache Software License");
        unknown("Apache License 1.1 or so");
        unknown("UNLICENSED");
        unknown("SEE LICENSE IN LICENSE.md");
        unknown("");
        unknown("gnu gpl v2");
        unknown("UNKNOWN");
    }
}
