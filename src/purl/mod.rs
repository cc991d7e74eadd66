//! Package URL (PURL) parsing and canonicalization, following the purl-spec
//! (ECMA-427) parse/build algorithms and the per-type rules in `types`.
//!
//! A [`Purl`] always holds decoded components that are already canonical for
//! its type, so `Display` is the canonical string and equality is identity.

mod ecosystem;
mod types;

pub use ecosystem::Ecosystem;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Longest PURL accepted, in bytes. Real ones are far shorter; a longer one
/// would be copied into every statement, reason and file name made from it.
pub const MAX_LEN: usize = 4096;

/// Why a PURL string or a set of components was rejected.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PurlError {
    #[error("it is {0} bytes long, over the {MAX_LEN}-byte limit for a package URL")]
    TooLong(usize),
    #[error(
        "written canonically (percent-encoded) it is {0} bytes long, over the {MAX_LEN}-byte limit for a package URL"
    )]
    CanonicalTooLong(usize),
    #[error("missing 'pkg:' scheme")]
    MissingScheme,
    #[error("type is empty")]
    EmptyType,
    #[error(
        "invalid type '{0}': must start with an ASCII letter and contain only letters, digits, '.' and '-'"
    )]
    InvalidType(String),
    #[error("name is empty")]
    EmptyName,
    #[error("invalid percent-encoding in {0}")]
    InvalidPercentEncoding(&'static str),
    #[error("{0} is not valid UTF-8 once percent-decoded")]
    InvalidUtf8(&'static str),
    #[error("a {0} segment contains '/'")]
    SlashInSegment(&'static str),
    #[error("invalid qualifier key '{0}'")]
    InvalidQualifierKey(String),
    #[error("qualifier '{0}' has no '=' separator")]
    QualifierWithoutEquals(String),
    #[error("duplicate qualifier key '{0}'")]
    DuplicateQualifier(String),
    #[error("type '{0}' does not allow a namespace")]
    NamespaceNotAllowed(String),
    #[error("type '{0}' requires a namespace")]
    NamespaceRequired(String),
    #[error("type '{ty}' requires the '{key}' qualifier")]
    MissingQualifier { ty: String, key: &'static str },
    #[error("invalid {component} for type '{ty}': {reason}")]
    TypeRule {
        ty: String,
        component: &'static str,
        reason: &'static str,
    },
}

/// A parsed, validated and canonicalized package URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

impl Purl {
    /// Parses a PURL string (purl-spec "how to parse"), then validates and
    /// canonicalizes it with the rules of its type.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        if s.len() > MAX_LEN {
            return Err(PurlError::TooLong(s.len()));
        }
        // The spec splits from the right on '#' and then '?'.
        let (rest, subpath) = split_opt(s.rsplit_once('#'), s);
        let (rest, qualifiers) = split_opt(rest.rsplit_once('?'), rest);
        let (scheme, rest) = rest.split_once(':').ok_or(PurlError::MissingScheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::MissingScheme);
        }
        // 'pkg://' and 'pkg:///' are tolerated: leading slashes are not significant.
        let rest = rest.trim_start_matches('/');
        let (ty, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let ty = check_type(ty)?;

        // The version is after the last '@' of the last segment, so an unencoded
        // npm scope ('@babel/core') is not mistaken for a version.
        let rest = rest.trim_end_matches('/');
        let last = rest.rfind('/').map_or(0, |i| i + 1);
        let (rest, version) = match rest[last..].rfind('@') {
            Some(at) => {
                let v = decode(&rest[last + at + 1..], "version")?;
                (&rest[..last + at], Some(v).filter(|v| !v.is_empty()))
            }
            None => (rest, None),
        };
        // Unlike the spec's prose, slashes before '@' are not stripped: the
        // suite rejects 'pkg:swift/host/org/@1.0' as having an empty name.
        let (ns_raw, name_raw) = rest.rsplit_once('/').unwrap_or(("", rest));
        let name = decode(name_raw, "name")?;

        let mut segments = Vec::new();
        for seg in ns_raw.split('/').filter(|s| !s.is_empty()) {
            let seg = decode(seg, "namespace")?;
            if seg.contains('/') {
                return Err(PurlError::SlashInSegment("namespace"));
            }
            segments.push(seg);
        }
        let namespace = (!segments.is_empty()).then(|| segments.join("/"));

        let mut pairs = Vec::new();
        for pair in qualifiers
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| PurlError::QualifierWithoutEquals(clip(pair)))?;
            pairs.push((k.to_owned(), decode(v, "qualifier value")?));
        }

        let mut sub = Vec::new();
        for seg in subpath.unwrap_or("").split('/') {
            let seg = decode(seg, "subpath")?;
            if seg.contains('/') {
                return Err(PurlError::SlashInSegment("subpath"));
            }
            if !matches!(seg.as_str(), "" | "." | "..") {
                sub.push(seg);
            }
        }

        Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers: qualifier_map(&pairs)?,
            subpath: (!sub.is_empty()).then(|| sub.join("/")),
        }
        .finish()
    }

    /// Builds a PURL from decoded components (purl-spec "how to build").
    /// Empty optional components are treated as absent.
    pub fn build(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(String, String)],
        subpath: Option<&str>,
    ) -> Result<Purl, PurlError> {
        let ty = check_type(ty)?;
        let segments: Vec<&str> = namespace
            .unwrap_or("")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let sub: Vec<&str> = subpath
            .unwrap_or("")
            .split('/')
            .filter(|s| !matches!(*s, "" | "." | ".."))
            .collect();
        Purl {
            ty,
            namespace: (!segments.is_empty()).then(|| segments.join("/")),
            name: name.trim_matches('/').to_owned(),
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
            qualifiers: qualifier_map(qualifiers)?,
            subpath: (!sub.is_empty()).then(|| sub.join("/")),
        }
        .finish()
    }

    /// Validates the generic rules, then applies the type's rules.
    fn finish(mut self) -> Result<Purl, PurlError> {
        if self.name.is_empty() {
            return Err(PurlError::EmptyName);
        }
        types::apply(&mut self)?;
        // Type normalization (e.g. git dropping empty path segments) may empty it.
        if self.name.is_empty() {
            return Err(PurlError::EmptyName);
        }
        // Percent-encoding can make the canonical form up to nine times the
        // input (one 3-byte character becomes nine); a PURL this tool writes
        // must parse again, so the limit holds for what is written too.
        let written = self.to_string().len();
        if written > MAX_LEN {
            return Err(PurlError::CanonicalTooLong(written));
        }
        Ok(self)
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The same package at another version (an empty `version` removes it),
    /// normalized and validated with the type's rules.
    pub fn with_version(&self, version: &str) -> Result<Purl, PurlError> {
        let mut p = self.clone();
        p.version = (!version.is_empty()).then(|| version.to_owned());
        p.finish()
    }

    /// Canonical `pkg:type/namespace/name`: identifies the package across
    /// versions, qualifiers and subpaths.
    pub fn package_id(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 16);
        self.write_package_id(&mut out);
        out
    }

    /// The name as the ecosystem's registry looks it up.
    pub fn registry_name(&self) -> String {
        let ns = self.namespace.as_deref();
        match (self.ty.as_str(), ns) {
            ("pypi", _) => pep503(&self.name),
            // Scopes are lowercase on the registry whatever an SBOM writes.
            ("npm", Some(scope)) => {
                let scope = scope.trim_start_matches('@').to_lowercase();
                format!("@{scope}/{}", self.name)
            }
            ("maven", Some(group)) => format!("{group}:{}", self.name),
            (_, Some(ns)) => format!("{ns}/{}", self.name),
            (_, None) => self.name.clone(),
        }
    }

    /// True when a decoded namespace, name, version or subpath segment could
    /// escape a directory if used as a path: `.`/`..`, a `/` or `\`, or a
    /// NUL/control character. (Names of types such as git legitimately hold
    /// `/`, so those are checked segment by segment.)
    pub fn has_path_traversal(&self) -> bool {
        let bad_char = |s: &str| s.chars().any(|c| c == '\\' || c.is_control());
        let bad_seg = |s: &str| s == "." || s == ".." || bad_char(s);
        let ns_bad = self
            .namespace
            .iter()
            .flat_map(|n| n.split('/'))
            .any(bad_seg);
        let name_bad = if types::name_has_segments(&self.ty) {
            self.name.split('/').any(|s| s.is_empty() || bad_seg(s))
        } else {
            self.name.contains('/') || bad_seg(&self.name)
        };
        let version_bad = self
            .version
            .as_deref()
            .is_some_and(|v| v.contains('/') || bad_seg(v));
        let sub_bad = self.subpath.as_deref().is_some_and(bad_char);
        ns_bad || name_bad || version_bad || sub_bad
    }

    fn write_package_id(&self, out: &mut String) {
        out.push_str("pkg:");
        out.push_str(&self.ty);
        out.push('/');
        if let Some(ns) = &self.namespace {
            encode_segments(out, ns);
            out.push('/');
        }
        if types::name_has_segments(&self.ty) {
            encode_segments(out, &self.name);
        } else {
            encode(out, &self.name);
        }
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64);
        self.write_package_id(&mut out);
        if let Some(v) = &self.version {
            out.push('@');
            encode(&mut out, v);
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            encode(&mut out, v);
        }
        if let Some(s) = &self.subpath {
            out.push('#');
            encode_segments(&mut out, s);
        }
        f.write_str(&out)
    }
}

impl FromStr for Purl {
    type Err = PurlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}

fn split_opt<'a>(split: Option<(&'a str, &'a str)>, whole: &'a str) -> (&'a str, Option<&'a str>) {
    match split {
        Some((l, r)) => (l, Some(r)),
        None => (whole, None),
    }
}

/// Lowercases and validates a type: ASCII letter first, then `[a-z0-9.-]`.
fn check_type(ty: &str) -> Result<String, PurlError> {
    let ty = ty.to_ascii_lowercase();
    let mut chars = ty.chars();
    match chars.next() {
        None => Err(PurlError::EmptyType),
        Some(c)
            if c.is_ascii_lowercase()
                && chars.all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
                }) =>
        {
            Ok(ty)
        }
        Some(_) => Err(PurlError::InvalidType(clip(&ty))),
    }
}

/// Qualifier keys are case-insensitive (canonical lowercase) and must match
/// `[a-z][a-z0-9._-]*`; pairs with an empty value are dropped.
fn qualifier_map(pairs: &[(String, String)]) -> Result<BTreeMap<String, String>, PurlError> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        let key = key.to_ascii_lowercase();
        let valid = key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !valid {
            return Err(PurlError::InvalidQualifierKey(clip(&key)));
        }
        if value.is_empty() {
            continue;
        }
        if map.insert(key.clone(), value.clone()).is_some() {
            return Err(PurlError::DuplicateQualifier(clip(&key)));
        }
    }
    Ok(map)
}

/// Percent-decodes one component; the result must be UTF-8.
fn decode(s: &str, what: &'static str) -> Result<String, PurlError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
            let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                return Err(PurlError::InvalidPercentEncoding(what));
            };
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::InvalidUtf8(what))
}

/// Percent-encodes everything but ASCII alphanumerics, `.-_~` and `:` (which
/// ECMA-427 says is never encoded).
fn encode(out: &mut String, s: &str) {
    crate::percent::encode_into(out, s, |c| !(crate::percent::is_unreserved(c) || c == ':'));
}

/// Encodes each `/`-separated segment, keeping the separators literal.
fn encode_segments(out: &mut String, s: &str) {
    for (i, seg) in s.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode(out, seg);
    }
}

/// PEP 503 normalization: lowercase, runs of `-`, `_`, `.` become one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Keeps hostile input from bloating error messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn npm_scope_is_encoded_and_case_kept() {
        let purl = p("pkg:npm/%40Angular/Core@16.0.0");
        assert_eq!(purl.namespace(), Some("@Angular"));
        assert_eq!(purl.name(), "Core");
        assert_eq!(purl.to_string(), "pkg:npm/%40Angular/Core@16.0.0");
        assert_eq!(p("pkg:npm/JSONStream@1.3.5").name(), "JSONStream");
        // An unencoded scope is accepted and written canonically.
        assert_eq!(
            p("pkg:npm/@babel/core").to_string(),
            "pkg:npm/%40babel/core"
        );
        assert_eq!(purl.registry_name(), "@angular/Core");
    }

    #[test]
    fn pypi_name_is_normalized() {
        let purl = p("pkg:PyPI/Django_REST@3.0");
        assert_eq!(purl.to_string(), "pkg:pypi/django-rest@3.0");
        assert_eq!(
            p("pkg:pypi/Zope.Interface__x").registry_name(),
            "zope-interface-x"
        );
        assert_eq!(
            Purl::parse("pkg:pypi/ns/name"),
            Err(PurlError::NamespaceNotAllowed("pypi".into()))
        );
    }

    #[test]
    fn maven_needs_and_keeps_namespace() {
        let purl = p("pkg:maven/org.Apache.commons/IO@1.3.4?type=jar");
        assert_eq!(purl.namespace(), Some("org.Apache.commons"));
        assert_eq!(purl.registry_name(), "org.Apache.commons:IO");
        assert_eq!(
            Purl::parse("pkg:maven/io@1"),
            Err(PurlError::NamespaceRequired("maven".into()))
        );
    }

    #[test]
    fn golang_keeps_case() {
        let purl = p("pkg:golang/example.com/BurntSushi/toml@v1.3.2");
        assert_eq!(purl.namespace(), Some("example.com/BurntSushi"));
        assert_eq!(purl.registry_name(), "example.com/BurntSushi/toml");
        assert_eq!(
            purl.to_string(),
            "pkg:golang/example.com/BurntSushi/toml@v1.3.2"
        );
    }

    #[test]
    fn cargo_rejects_namespace() {
        let err = Purl::parse("pkg:cargo/rust-lang/serde@1.0").unwrap_err();
        assert_eq!(err.to_string(), "type 'cargo' does not allow a namespace");
        let ok = Purl::build("cargo", None, "serde", Some("1.0.210"), &[], None).unwrap();
        assert_eq!(ok.to_string(), "pkg:cargo/serde@1.0.210");
    }

    #[test]
    fn qualifiers_are_sorted_lowercased_and_encoded() {
        let purl = p("pkg:generic/x@1?Z=1&b=&a=https://e.com/i%20j&checksum=sha1:ab,md5:cd");
        assert_eq!(
            purl.to_string(),
            "pkg:generic/x@1?a=https:%2F%2Fe.com%2Fi%20j&checksum=sha1:ab%2Cmd5:cd&z=1"
        );
        assert!(Purl::parse("pkg:npm/x?a=1&A=2").is_err());
        assert!(Purl::parse("pkg:npm/x?1a=1").is_err());
    }

    #[test]
    fn with_version_and_package_id() {
        let purl = p("pkg:npm/%40scope/pkg?arch=x64#lib");
        let v = purl.with_version("2.0.0+build").unwrap();
        assert_eq!(
            v.to_string(),
            "pkg:npm/%40scope/pkg@2.0.0%2Bbuild?arch=x64#lib"
        );
        assert_eq!(v.package_id(), "pkg:npm/%40scope/pkg");
        assert_eq!(v.with_version("").unwrap(), purl);
        let hf = p("pkg:huggingface/Org/Model")
            .with_version("ABCDEF")
            .unwrap();
        assert_eq!(hf.version(), Some("abcdef"));
        assert!(
            p("pkg:chrome-extension/dlpngalgnefjeiefhmpklpfiohadpglk")
                .with_version("x")
                .is_err()
        );
    }

    #[test]
    fn registry_names() {
        assert_eq!(p("pkg:cargo/serde").registry_name(), "serde");
        assert_eq!(p("pkg:npm/left-pad@1").registry_name(), "left-pad");
        assert_eq!(p("pkg:maven/g/a").registry_name(), "g:a");
        assert_eq!(p("pkg:github/Foo/Bar").registry_name(), "foo/bar");
        assert_eq!(
            p("pkg:git/host.org/a/b/c").registry_name(),
            "host.org/a/b/c"
        );
    }

    #[test]
    fn path_traversal_is_flagged_not_panicked() {
        let purl = p("pkg:npm/..%2F..%2Fetc");
        assert_eq!(purl.name(), "../../etc");
        assert_eq!(purl.to_string(), "pkg:npm/..%2F..%2Fetc");
        assert!(purl.has_path_traversal());
        assert!(p("pkg:generic/../x").has_path_traversal());
        assert!(p("pkg:generic/x@..").has_path_traversal());
        assert!(p("pkg:generic/a%5Cb").has_path_traversal());
        assert!(p("pkg:generic/a%00b").has_path_traversal());
        assert!(p("pkg:generic/ok@1#a%0Ab").has_path_traversal());
        assert!(!p("pkg:git/host.org/a/b@1#x/y").has_path_traversal());
        assert!(!p("pkg:npm/%40s/n@1.0").has_path_traversal());
        // Subpath '.'/'..' segments are dropped by the spec, not kept.
        assert_eq!(p("pkg:npm/x#a/../b/./c").subpath(), Some("a/b/c"));
    }

    #[test]
    fn errors_are_clean() {
        assert_eq!(Purl::parse("npm/x"), Err(PurlError::MissingScheme));
        assert_eq!(Purl::parse("pkg:npm/"), Err(PurlError::EmptyName));
        assert_eq!(
            Purl::parse("pkg:npm/a%zz"),
            Err(PurlError::InvalidPercentEncoding("name"))
        );
        assert_eq!(
            Purl::parse("pkg:npm/a%FF"),
            Err(PurlError::InvalidUtf8("name"))
        );
        assert!(Purl::parse("pkg:npm/a%").is_err());
        assert!(Purl::parse("pkg:n%70m/a").is_err());
        assert!(Purl::parse("pkg:npm/a%2Fb/c").is_err());
    }

    /// xorshift64*: deterministic, dependency-free randomness.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_idempotent(input: &str) {
        if let Ok(purl) = Purl::parse(input) {
            let s = purl.to_string();
            assert_eq!(
                Purl::parse(&s),
                Ok(purl.clone()),
                "input {input:?} -> {s:?}"
            );
            assert_eq!(purl.to_string(), s);
        }
    }

    #[test]
    fn fuzz_no_panic_and_canonical_roundtrip() {
        const PIECES: &[&str] = &[
            "pkg:",
            "PKG:",
            "/",
            "//",
            "@",
            "?",
            "#",
            "=",
            "&",
            "%",
            "%2F",
            "%40",
            "%2e",
            "%2E%2E",
            "%00",
            "%FF",
            "%C3%A9",
            "%E2%82",
            ".",
            "..",
            ":",
            "+",
            " ",
            "\\",
            "\u{0}",
            "é",
            "İ",
            "Σ",
            "ß",
            "npm",
            "pypi",
            "git",
            "maven",
            "golang",
            "cpan",
            "swid",
            "julia",
            "pub",
            "mlflow",
            "chrome-extension",
            "huggingface",
            "otp",
            "a",
            "B",
            "_",
            "-",
            "~",
            "uuid=1",
            "tag_id=x",
            "repository_url=databricks",
            "1.0",
            "::",
            ",",
            "\n",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut successes = 0;
        for round in 0..40_000 {
            let mut s = String::new();
            if round % 3 != 0 {
                s.push_str(
                    [
                        "pkg:",
                        "pkg:npm/",
                        "pkg:git/h/",
                        "pkg:pypi/",
                        "pkg:generic/",
                    ][rng.below(5)],
                );
            }
            for _ in 0..rng.below(14) {
                if rng.below(8) == 0 {
                    let bytes: Vec<u8> = (0..rng.below(6)).map(|_| rng.next() as u8).collect();
                    s.push_str(&String::from_utf8_lossy(&bytes));
                } else {
                    s.push_str(PIECES[rng.below(PIECES.len())]);
                }
            }
            if Purl::parse(&s).is_ok() {
                successes += 1;
            }
            check_idempotent(&s);
        }
        assert!(successes > 1000, "fuzzer too weak: {successes} successes");
    }

    /// Issue 8, item 5: one 16 MB PURL took 2.2 GB and wrote 875 MB of
    /// artifacts; PURLs are now bounded.
    #[test]
    fn refuses_purls_over_the_length_limit() {
        let at_limit = format!("pkg:npm/{}", "a".repeat(MAX_LEN - "pkg:npm/".len()));
        assert_eq!(at_limit.len(), MAX_LEN);
        assert!(Purl::parse(&at_limit).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(Purl::parse(&over), Err(PurlError::TooLong(MAX_LEN + 1)));
        assert_eq!(
            PurlError::TooLong(5000).to_string(),
            "it is 5000 bytes long, over the 4096-byte limit for a package URL"
        );
    }

    /// Found by the fuzz campaign (fuzz/src/__fuzz__/purl/crashes): a PURL
    /// under the limit whose canonical form is over it was accepted, and the
    /// PURL written for it did not parse.
    #[test]
    fn refuses_purls_whose_canonical_form_is_over_the_limit() {
        let s = format!("pkg:npm/{}", "\u{e9}".repeat(2000));
        assert!(s.len() <= MAX_LEN);
        assert_eq!(
            Purl::parse(&s),
            Err(PurlError::CanonicalTooLong("pkg:npm/".len() + 2000 * 6))
        );
        let fits = format!("pkg:npm/{}", "\u{e9}".repeat(600));
        let p = Purl::parse(&fits).unwrap();
        assert_eq!(Purl::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn megabyte_inputs_are_linear() {
        let mb = 1 << 20;
        let inputs = [
            format!("pkg:npm/{}", "a".repeat(mb)),
            format!("pkg:npm/{}a", "/".repeat(mb)),
            format!("pkg:generic/{}", "a/".repeat(mb / 2)),
            format!("pkg:npm/x@{}", "@".repeat(mb)),
            format!("pkg:npm/x?{}", "a=b&".repeat(mb / 4)),
            format!("pkg:npm/x?{}", "k1=v&k2=w&".repeat(mb / 10)),
            format!("pkg:npm/{}", "%41".repeat(mb / 3)),
            format!("pkg:npm/x#{}", "../".repeat(mb / 3)),
            format!("pkg:git/h/{}", "x//".repeat(mb / 3)),
            format!("pkg:{}", "a".repeat(mb)),
            format!("pkg:{}", "/".repeat(mb)),
            "#".repeat(mb),
            "%".repeat(mb),
        ];
        let start = std::time::Instant::now();
        for input in &inputs {
            check_idempotent(input);
        }
        // Generous bound for unoptimized builds; quadratic code would take minutes.
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }
}
