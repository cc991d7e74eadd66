//! Version order and pre-release rules, each ecosystem by its own scheme:
//! npm (node-semver), Cargo (SemVer), PyPI (PEP 440), Maven
//! (ComparableVersion), Go modules, RubyGems, NuGet. `None` means the
//! version cannot be read under the scheme, and callers must not treat that
//! as an answer.

use std::cmp::Ordering;

use crate::purl::Ecosystem;

/// Order two versions by the ecosystem's own rules.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match eco {
        Ecosystem::Npm => Some(npm(a)?.cmp(&npm(b)?)),
        Ecosystem::Cargo => Some(semver(a)?.cmp(&semver(b)?)),
        Ecosystem::PyPi => Some(pep440(a)?.cmp(&pep440(b)?)),
        Ecosystem::Maven => Some(maven::compare(a, b)),
        Ecosystem::Go => Some(go(a)?.cmp_precedence(&go(b)?)),
        Ecosystem::RubyGems => Some(gem::compare(&gem::parse(a)?, &gem::parse(b)?)),
        Ecosystem::NuGet => Some(nuget::compare(&nuget::parse(a)?, &nuget::parse(b)?)),
        Ecosystem::Packagist | Ecosystem::Other => {
            Some(loose_semver(a)?.cmp_precedence(&loose_semver(b)?))
        }
    }
}

/// Whether a version is a pre-release under the ecosystem's rules.
pub fn is_prerelease(eco: Ecosystem, v: &str) -> Option<bool> {
    match eco {
        Ecosystem::Npm => Some(npm(v)?.is_prerelease()),
        Ecosystem::Cargo => Some(!semver(v)?.pre.is_empty()),
        Ecosystem::PyPi => Some(pep440(v)?.any_prerelease()),
        Ecosystem::Maven => Some(maven::is_prerelease(v)),
        // Pseudo-versions (v0.0.0-2020...-abcdef) are pre-releases too.
        Ecosystem::Go => Some(!go(v)?.pre.is_empty()),
        Ecosystem::RubyGems => Some(gem::parse(v)?.iter().any(|s| matches!(s, gem::Seg::Str(_)))),
        Ecosystem::NuGet => Some(!nuget::parse(v)?.1.is_empty()),
        Ecosystem::Packagist | Ecosystem::Other => Some(!loose_semver(v)?.pre.is_empty()),
    }
}

fn npm(v: &str) -> Option<nodejs_semver::Version> {
    nodejs_semver::Version::parse(v.trim()).ok()
}

fn semver(v: &str) -> Option<::semver::Version> {
    ::semver::Version::parse(v.trim()).ok()
}

fn pep440(v: &str) -> Option<pep440_rs::Version> {
    v.trim().parse().ok()
}

fn go(v: &str) -> Option<::semver::Version> {
    let v = v.trim().strip_prefix('v')?;
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    ::semver::Version::parse(v).ok()
}

fn loose_semver(v: &str) -> Option<::semver::Version> {
    let v = v.trim();
    ::semver::Version::parse(v.strip_prefix('v').unwrap_or(v)).ok()
}

/// Maven's ComparableVersion ordering.
mod maven {
    use std::cmp::Ordering;

    #[derive(Debug, Clone, PartialEq)]
    enum Item {
        Int(u128),
        Str(String),
        List(Vec<Item>),
    }

    /// Qualifiers in order; unknown qualifiers sort after these, lexically.
    const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

    fn qualifier_key(s: &str) -> (usize, String) {
        let s = match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            "cr" => "rc",
            "ga" | "final" | "release" => "",
            other => other,
        };
        match QUALIFIERS.iter().position(|q| *q == s) {
            Some(i) => (i, String::new()),
            None => (QUALIFIERS.len(), s.to_string()),
        }
    }

    fn is_null(item: &Item) -> bool {
        match item {
            Item::Int(0) => true,
            Item::Str(s) => qualifier_key(s).0 == 5,
            Item::List(l) => l.is_empty(),
            _ => false,
        }
    }

    fn parse(v: &str) -> Vec<Item> {
        let v = v.trim().to_ascii_lowercase();
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut token = String::new();
        let mut digit = false;
        let chars: Vec<char> = v.chars().collect();
        let push = |stack: &mut Vec<Vec<Item>>, token: &mut String, digit: bool| {
            let item = if token.is_empty() {
                Item::Int(0)
            } else if digit {
                Item::Int(token.parse().unwrap_or(u128::MAX))
            } else {
                Item::Str(token.clone())
            };
            stack.last_mut().expect("stack has a root").push(item);
            token.clear();
        };
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '.' {
                push(&mut stack, &mut token, digit);
            } else if c == '-' {
                push(&mut stack, &mut token, digit);
                stack.push(Vec::new());
            } else if c.is_ascii_digit() {
                if !digit && !token.is_empty() {
                    // letter→digit switch starts a sub-list
                    push(&mut stack, &mut token, false);
                    stack.push(Vec::new());
                }
                digit = true;
                token.push(c);
            } else {
                if digit && !token.is_empty() {
                    push(&mut stack, &mut token, true);
                    stack.push(Vec::new());
                }
                digit = false;
                token.push(c);
            }
            i += 1;
            if c == '.' || c == '-' {
                digit = false;
            }
        }
        if !token.is_empty() {
            push(&mut stack, &mut token, digit);
        }
        // Close sub-lists, trimming trailing null items in each.
        while stack.len() > 1 {
            let mut list = stack.pop().expect("len > 1");
            normalize(&mut list);
            stack.last_mut().expect("root").push(Item::List(list));
        }
        let mut root = stack.pop().expect("root");
        normalize(&mut root);
        root
    }

    fn normalize(list: &mut Vec<Item>) {
        while list.last().is_some_and(is_null) {
            list.pop();
        }
    }

    fn cmp_item(a: Option<&Item>, b: Option<&Item>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (Some(x), None) => cmp_item(None, Some(x)).reverse(),
            (None, Some(Item::Int(n))) => 0.cmp(n),
            (None, Some(Item::Str(s))) => qualifier_key("").cmp(&qualifier_key(s)),
            (None, Some(Item::List(l))) => {
                if l.is_empty() {
                    Ordering::Equal
                } else {
                    cmp_item(None, l.first())
                }
            }
            (Some(Item::Int(x)), Some(Item::Int(y))) => x.cmp(y),
            (Some(Item::Int(_)), Some(_)) => Ordering::Greater,
            (Some(Item::Str(_)), Some(Item::Int(_))) => Ordering::Less,
            (Some(Item::Str(x)), Some(Item::Str(y))) => qualifier_key(x).cmp(&qualifier_key(y)),
            (Some(Item::Str(_)), Some(Item::List(_))) => Ordering::Less,
            (Some(Item::List(_)), Some(Item::Int(_))) => Ordering::Less,
            (Some(Item::List(_)), Some(Item::Str(_))) => Ordering::Greater,
            (Some(Item::List(x)), Some(Item::List(y))) => cmp_list(x, y),
        }
    }

    fn cmp_list(a: &[Item], b: &[Item]) -> Ordering {
        let n = a.len().max(b.len());
        for i in 0..n {
            let o = cmp_item(a.get(i), b.get(i));
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    pub fn compare(a: &str, b: &str) -> Ordering {
        cmp_list(&parse(a), &parse(b))
    }

    /// Below a plain release: alpha, beta, milestone, rc, snapshot.
    pub fn is_prerelease(v: &str) -> bool {
        fn any_pre(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Str(s) => qualifier_key(s).0 < 5,
                Item::List(l) => any_pre(l),
                Item::Int(_) => false,
            })
        }
        any_pre(&parse(v))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn orders_like_comparable_version() {
            let ordered = [
                "1.0-alpha-1",
                "1.0-alpha-2",
                "1.0-beta",
                "1.0-milestone-1",
                "1.0-rc1",
                "1.0-SNAPSHOT",
                "1.0",
                "1.0-sp",
                "1.0.1",
                "1.1",
            ];
            for w in ordered.windows(2) {
                assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            }
            assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
            assert_eq!(compare("1.0-ga", "1.0"), Ordering::Equal);
            assert_eq!(compare("1.0.Final", "1.0"), Ordering::Equal);
            assert_eq!(compare("2.0.0.RELEASE", "2.0.0"), Ordering::Equal);
            assert!(
                is_prerelease("1.0-RC1")
                    && is_prerelease("2.0-SNAPSHOT")
                    && is_prerelease("5.0.0-M3")
            );
            assert!(
                !is_prerelease("1.0.Final") && !is_prerelease("1.2.3") && !is_prerelease("1.0-sp1")
            );
        }
    }
}

/// RubyGems' Gem::Version: dot-separated segments, letters start a pre-release.
mod gem {
    use std::cmp::Ordering;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Seg {
        Num(u64),
        Str(String),
    }

    pub fn parse(v: &str) -> Option<Vec<Seg>> {
        let v = v.trim();
        if v.is_empty()
            || !v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return None;
        }
        let v = v.replace('-', ".pre.");
        let mut segs = Vec::new();
        for part in v.split('.') {
            let mut cur = String::new();
            let mut digits = None;
            for c in part.chars() {
                let d = c.is_ascii_digit();
                if digits.is_some_and(|x| x != d) {
                    segs.push(seg(&cur));
                    cur.clear();
                }
                digits = Some(d);
                cur.push(c);
            }
            if !cur.is_empty() {
                segs.push(seg(&cur));
            }
        }
        // Trailing zeros before the first letter segment do not count.
        let first_str = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let (mut num, rest): (Vec<Seg>, Vec<Seg>) =
            (segs[..first_str].to_vec(), segs[first_str..].to_vec());
        while num.len() > 1 && num.last() == Some(&Seg::Num(0)) {
            num.pop();
        }
        num.extend(rest);
        Some(num)
    }

    fn seg(s: &str) -> Seg {
        match s.parse() {
            Ok(n) => Seg::Num(n),
            Err(_) => Seg::Str(s.to_string()),
        }
    }

    pub fn compare(a: &[Seg], b: &[Seg]) -> Ordering {
        for i in 0..a.len().max(b.len()) {
            let o = match (a.get(i), b.get(i)) {
                (Some(Seg::Num(x)), Some(Seg::Num(y))) => x.cmp(y),
                (Some(Seg::Str(x)), Some(Seg::Str(y))) => x.cmp(y),
                (Some(Seg::Num(_)), Some(Seg::Str(_))) => Ordering::Greater,
                (Some(Seg::Str(_)), Some(Seg::Num(_))) => Ordering::Less,
                (Some(Seg::Num(x)), None) => x.cmp(&0),
                (None, Some(Seg::Num(y))) => 0.cmp(y),
                (Some(Seg::Str(_)), None) => Ordering::Less,
                (None, Some(Seg::Str(_))) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

/// NuGet: up to four numeric parts, then a SemVer 2 pre-release compared
/// case-insensitively; build metadata ignored.
mod nuget {
    use std::cmp::Ordering;

    pub fn parse(v: &str) -> Option<(Vec<u64>, Vec<String>)> {
        let v = v.trim();
        let v = v.split('+').next()?;
        let (nums, pre) = match v.split_once('-') {
            Some((n, p)) => (n, p),
            None => (v, ""),
        };
        let mut parts: Vec<u64> = nums
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        parts.resize(4, 0);
        let pre: Vec<String> = if pre.is_empty() {
            vec![]
        } else {
            pre.split('.').map(|s| s.to_ascii_lowercase()).collect()
        };
        Some((parts, pre))
    }

    pub fn compare(a: &(Vec<u64>, Vec<String>), b: &(Vec<u64>, Vec<String>)) -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| match (a.1.is_empty(), b.1.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for i in 0..a.1.len().max(b.1.len()) {
                        let o = match (a.1.get(i), b.1.get(i)) {
                            (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                                (Ok(p), Ok(q)) => p.cmp(&q),
                                (Ok(_), Err(_)) => Ordering::Less,
                                (Err(_), Ok(_)) => Ordering::Greater,
                                _ => x.cmp(y),
                            },
                            (Some(_), None) => Ordering::Greater,
                            (None, Some(_)) => Ordering::Less,
                            (None, None) => Ordering::Equal,
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;

    fn lt(eco: Ecosystem, a: &str, b: &str) {
        assert_eq!(
            compare(eco, a, b),
            Some(Ordering::Less),
            "{eco:?}: {a} < {b}"
        );
    }

    #[test]
    fn each_ecosystem_orders_by_its_rules() {
        lt(Npm, "1.2.3-beta.2", "1.2.3");
        lt(Npm, "4.17.9", "4.17.15");
        lt(Cargo, "0.4.19", "0.4.38");
        lt(Cargo, "1.0.0-alpha", "1.0.0");
        lt(PyPi, "1.26.4", "2.0.0");
        lt(PyPi, "2.0.0rc1", "2.0.0");
        lt(PyPi, "2.0.0.dev1", "2.0.0a1");
        lt(PyPi, "1.0", "1.0.post1");
        lt(PyPi, "1!0.1", "1!0.2");
        lt(Go, "v1.2.3", "v1.10.0");
        lt(Go, "v0.0.0-20200101000000-abcdefabcdef", "v0.0.1");
        lt(RubyGems, "1.18.2.rc1", "1.18.2");
        lt(RubyGems, "1.9", "1.10");
        lt(NuGet, "1.0.0-beta", "1.0.0");
        lt(NuGet, "1.0.0.1", "1.0.1");
        lt(Maven, "3.12.0", "3.13.0");
        assert_eq!(compare(PyPi, "1.0", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare(RubyGems, "1.0", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare(Cargo, "not-a-version", "1.0.0"), None);
    }

    #[test]
    fn pre_releases_by_each_scheme() {
        assert_eq!(is_prerelease(Npm, "5.0.0-rc.1"), Some(true));
        assert_eq!(is_prerelease(Npm, "4.17.21"), Some(false));
        assert_eq!(is_prerelease(PyPi, "3.0.0b2"), Some(true));
        assert_eq!(is_prerelease(PyPi, "3.0.0.dev0"), Some(true));
        assert_eq!(is_prerelease(PyPi, "3.0.0.post1"), Some(false));
        assert_eq!(
            is_prerelease(Go, "v0.0.0-20200101000000-abcdefabcdef"),
            Some(true)
        );
        assert_eq!(is_prerelease(Go, "v1.6.3"), Some(false));
        assert_eq!(is_prerelease(RubyGems, "1.18.2.rc1"), Some(true));
        assert_eq!(is_prerelease(NuGet, "1.0.0-preview.1"), Some(true));
        assert_eq!(is_prerelease(Cargo, "not a version"), None);
    }
}
