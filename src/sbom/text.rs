//! Bytes to text and back: the encodings an SBOM may come in.
//!
//! Every format is parsed from UTF-8 text, so a document is decoded once on
//! reading and encoded again on writing, in the encoding it came in: UTF-8
//! (with or without a byte-order mark) or UTF-16 with a byte-order mark.
//! Anything else is refused by name rather than guessed at.

use std::io::{self, Write};
use std::path::Path;

use super::SbomError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    /// UTF-8 that starts with the byte-order mark EF BB BF.
    Utf8Bom,
    /// UTF-16 little-endian, with the byte-order mark FF FE.
    Utf16Le,
    /// UTF-16 big-endian, with the byte-order mark FE FF.
    Utf16Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with a byte-order mark",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    pub fn is_utf16(self) -> bool {
        matches!(self, Encoding::Utf16Le | Encoding::Utf16Be)
    }

    fn bom(self) -> &'static [u8] {
        match self {
            Encoding::Utf8 => b"",
            Encoding::Utf8Bom => b"\xEF\xBB\xBF",
            Encoding::Utf16Le => b"\xFF\xFE",
            Encoding::Utf16Be => b"\xFE\xFF",
        }
    }
}

fn not_text(path: &Path, why: impl Into<String>) -> SbomError {
    SbomError::NotText {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Refuse, from the first bytes alone, what cannot be a text SBOM, so that a
/// large binary file is refused before it is read whole.
pub(super) fn sniff(path: &Path, head: &[u8]) -> Result<(), SbomError> {
    if let Some(e) = unsupported_bom(head) {
        return Err(not_text(path, e));
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Ok(());
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if let Some(e) = mixed_boms(head) {
        return Err(not_text(path, e));
    }
    if head.contains(&0) {
        return Err(not_text(path, nul_reason(head)));
    }
    // The head may end inside a multi-byte character; only an error before
    // the last 3 bytes means the data is not UTF-8.
    if let Err(e) = std::str::from_utf8(head)
        && (e.error_len().is_some() || head.len() - e.valid_up_to() > 3)
    {
        return Err(not_text(path, not_utf8_reason(head, e.valid_up_to())));
    }
    Ok(())
}

/// A UTF-16 byte-order mark right after a UTF-8 one: a file converted twice.
fn mixed_boms(after_utf8_bom: &[u8]) -> Option<&'static str> {
    (after_utf8_bom.starts_with(b"\xFF\xFE") || after_utf8_bom.starts_with(b"\xFE\xFF")).then_some(
        "it starts with a UTF-8 byte-order mark followed by a UTF-16 one (the file was converted twice); remove the first three bytes",
    )
}

fn unsupported_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x00\x00\xFE\xFF") || bytes.starts_with(b"\xFF\xFE\x00\x00") {
        Some(
            "it is UTF-32, which SBOM tools do not write; convert it to UTF-8, e.g. with `iconv -f UTF-32 -t UTF-8`",
        )
    } else {
        None
    }
}

/// NUL bytes in alternate positions are UTF-16 without a byte-order mark,
/// which cannot be read reliably; anything else with NULs is binary.
fn nul_reason(bytes: &[u8]) -> &'static str {
    let sample = &bytes[..bytes.len().min(512)];
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let half = sample.len() / 2;
    if half >= 2 && (odd * 10 >= half * 9 || even * 10 >= half * 9) {
        "it looks like UTF-16 without a byte-order mark; write it with a byte-order mark or convert it to UTF-8, e.g. with `iconv -f UTF-16LE -t UTF-8`"
    } else {
        "it contains NUL bytes, so it is binary"
    }
}

fn not_utf8_reason(bytes: &[u8], valid_up_to: usize) -> String {
    let line = bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
    format!(
        "it is not valid UTF-8 (first bad byte on line {line}) and has no byte-order mark naming another encoding; convert it to UTF-8, e.g. with `iconv -f ENCODING -t UTF-8`"
    )
}

/// Decode a whole document, returning its text (without a byte-order mark)
/// and the encoding to write it back in.
pub(super) fn decode(path: &Path, bytes: Vec<u8>) -> Result<(String, Encoding), SbomError> {
    if let Some(e) = unsupported_bom(&bytes) {
        return Err(not_text(path, e));
    }
    let (text, encoding) = if bytes.starts_with(b"\xFF\xFE") {
        (
            decode_utf16(path, &bytes[2..], u16::from_le_bytes)?,
            Encoding::Utf16Le,
        )
    } else if bytes.starts_with(b"\xFE\xFF") {
        (
            decode_utf16(path, &bytes[2..], u16::from_be_bytes)?,
            Encoding::Utf16Be,
        )
    } else {
        let (mut bytes, encoding) = if bytes.starts_with(b"\xEF\xBB\xBF") {
            (bytes, Encoding::Utf8Bom)
        } else {
            (bytes, Encoding::Utf8)
        };
        if encoding == Encoding::Utf8Bom {
            bytes.drain(..3);
            if let Some(e) = mixed_boms(&bytes) {
                return Err(not_text(path, e));
            }
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            match bytes[..at].contains(&0) {
                true => not_text(path, nul_reason(bytes)),
                false => not_text(path, not_utf8_reason(bytes, at)),
            }
        })?;
        if text.contains('\0') {
            return Err(not_text(path, nul_reason(text.as_bytes())));
        }
        (text, encoding)
    };
    if text.starts_with('\u{FEFF}') {
        return Err(not_text(
            path,
            "it starts with two byte-order marks (the file was converted twice); remove one",
        ));
    }
    if encoding.is_utf16() && text.contains('\0') {
        return Err(not_text(
            path,
            "it contains NUL characters, so it is binary",
        ));
    }
    Ok((text, encoding))
}

fn decode_utf16(path: &Path, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, SbomError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(not_text(
            path,
            "it is UTF-16 with an odd number of bytes (is the file truncated?)",
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut text = String::with_capacity(bytes.len() / 2 + bytes.len() / 8);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(not_text(
                    path,
                    format!(
                        "it is not valid UTF-16: an unpaired surrogate at byte {}",
                        2 + 2 * i
                    ),
                ));
            }
        }
    }
    Ok(text)
}

/// Writes UTF-8 text in a document's encoding: the byte-order mark first,
/// then each piece converted.
pub(super) struct EncodedWriter<'w, W: Write> {
    out: &'w mut W,
    encoding: Encoding,
    buf: Vec<u8>,
}

impl<'w, W: Write> EncodedWriter<'w, W> {
    pub(super) fn new(out: &'w mut W, encoding: Encoding) -> io::Result<Self> {
        out.write_all(encoding.bom())?;
        Ok(EncodedWriter {
            out,
            encoding,
            buf: Vec::new(),
        })
    }

    pub(super) fn write_str(&mut self, s: &str) -> io::Result<()> {
        let to_bytes: fn(u16) -> [u8; 2] = match self.encoding {
            Encoding::Utf8 | Encoding::Utf8Bom => return self.out.write_all(s.as_bytes()),
            Encoding::Utf16Le => u16::to_le_bytes,
            Encoding::Utf16Be => u16::to_be_bytes,
        };
        // Converted in bounded chunks, so writing never doubles the memory.
        for u in s.encode_utf16() {
            self.buf.extend_from_slice(&to_bytes(u));
            if self.buf.len() >= 1 << 16 {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }

    pub(super) fn finish(self) -> io::Result<()> {
        self.out.write_all(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(bytes: &[u8]) -> Result<(String, Encoding), String> {
        decode(Path::new("f"), bytes.to_vec()).map_err(|e| e.to_string())
    }

    fn enc(text: &str, encoding: Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = EncodedWriter::new(&mut out, encoding).unwrap();
        w.write_str(text).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn round_trips_every_supported_encoding() {
        let text = "{\"name\": \"caf\u{e9} \u{1F600}\"}\r\n";
        for e in [
            Encoding::Utf8,
            Encoding::Utf8Bom,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
        ] {
            let bytes = enc(text, e);
            assert_eq!(dec(&bytes).unwrap(), (text.to_string(), e), "{e:?}");
        }
    }

    #[test]
    fn refuses_other_encodings_by_name() {
        assert!(
            dec(b"\xFF\xFE\x00\x00{\x00\x00\x00")
                .unwrap_err()
                .contains("UTF-32")
        );
        assert!(
            dec(b"\x00\x00\xFE\xFF\x00\x00\x00{")
                .unwrap_err()
                .contains("UTF-32")
        );
        assert!(
            dec(b"{\x00\"\x00a\x00\"\x00:\x001\x00}\x00")
                .unwrap_err()
                .contains("UTF-16 without a byte-order mark")
        );
        assert!(dec(b"caf\xe9").unwrap_err().contains("not valid UTF-8"));
        assert!(dec(b"\xFF\xFE{\x00\"").unwrap_err().contains("odd number"));
        assert!(
            dec(b"\xFF\xFE\x00\xD8{\x00")
                .unwrap_err()
                .contains("unpaired surrogate")
        );
        assert!(
            dec(b"\xEF\xBB\xBF\xEF\xBB\xBF{}")
                .unwrap_err()
                .contains("two byte-order marks")
        );
        assert!(
            dec(b"\xFF\xFE\xFF\xFE{\x00}\x00")
                .unwrap_err()
                .contains("two byte-order marks")
        );
        assert!(
            dec(b"\xEF\xBB\xBF\xFF\xFE{\x00")
                .unwrap_err()
                .contains("a UTF-8 byte-order mark followed by a UTF-16 one")
        );
        assert!(dec(b"\x00\x01\x02garbage").unwrap_err().contains("binary"));
    }

    #[test]
    fn sniffing_refuses_binary_heads_but_not_utf16() {
        let p = Path::new("f");
        assert!(sniff(p, b"\xFF\xFE{\x00}\x00").is_ok());
        assert!(
            sniff(p, b"{\"a\": \"\xc3").is_ok(),
            "a cut character is fine"
        );
        assert!(sniff(p, b"\x00\x01\x02").is_err());
    }
}
