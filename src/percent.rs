//! Percent-encoding (RFC 3986 §2.1): one encoder and one decoder for every
//! URL part the tool writes or reads (reference URLs, file names in links,
//! package URLs, service paths). Each caller says which characters it
//! escapes, because each place has its own rules (a package URL keeps `:`,
//! a service wants everything outside the unreserved set escaped, a link
//! in a summary escapes only what would end it).

/// RFC 3986 `unreserved`: ASCII letters and digits, `-`, `.`, `_`, `~`.
pub fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// RFC 3986 `pchar` written as itself (not `%`): `unreserved`,
/// `sub-delims`, `:` and `@`; what a path segment may hold unescaped.
pub fn is_pchar(c: char) -> bool {
    is_unreserved(c)
        || matches!(
            c,
            '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=' | ':' | '@'
        )
}

/// `s` with every character for which `escaped` is true written as `%XX`,
/// one escape per byte of its UTF-8 form (hex digits in upper case).
pub fn encode(s: &str, escaped: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s, escaped);
    out
}

/// [`encode`], appended to `out`.
pub fn encode_into(out: &mut String, s: &str, escaped: impl Fn(char) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for c in s.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        let mut buf = [0; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// Percent-decode `s`; invalid escapes stay as written, invalid UTF-8 is replaced.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        if let (b'%', Some(hi), Some(lo)) = (bytes[i], hex(i + 1), hex(i + 2)) {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ASCII character, a few non-ASCII ones (two, three and four
    /// bytes long), and an escape already written.
    fn sample() -> String {
        let mut s: String = (0u8..128).map(char::from).collect();
        s.push_str("é€😀 a%41");
        s
    }

    #[test]
    fn the_sets_are_rfc_3986s() {
        let unreserved: String = sample().chars().filter(|&c| is_unreserved(c)).collect();
        assert_eq!(
            unreserved,
            "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~a41"
        );
        let pchar: String = (0u8..128)
            .map(char::from)
            .filter(|&c| is_pchar(c))
            .filter(|&c| !c.is_ascii_alphanumeric())
            .collect();
        assert_eq!(pchar, "!$&'()*+,-.:;=@_~");
    }

    #[test]
    fn escapes_each_byte_of_what_it_is_told_to() {
        assert_eq!(
            encode("a b/é😀", |c| !is_unreserved(c)),
            "a%20b%2F%C3%A9%F0%9F%98%80"
        );
        // What is not escaped is copied as it is, non-ASCII included.
        assert_eq!(encode("a é#?%", |c| matches!(c, '#' | '?')), "a é%23%3F%");
        assert_eq!(encode("", |_| true), "");
        let mut out = String::from("pkg:");
        encode_into(&mut out, "@x", |c| c == '@');
        assert_eq!(out, "pkg:%40x");
        // Control characters and DEL are two upper-case hex digits.
        assert_eq!(encode("\0\n\x7f", |_| true), "%00%0A%7F");
    }

    #[test]
    fn decoding_undoes_encoding() {
        let s = sample();
        for escaped in [is_unreserved as fn(char) -> bool, is_pchar, |_| true] {
            assert_eq!(decode(&encode(&s, |c| !escaped(c) || c == '%')), s);
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(decode("a%40b%2F%2e%2E%zz%"), "a@b/..%zz%");
        assert_eq!(decode("%C3%A9%ff"), "é\u{fffd}");
    }
}
