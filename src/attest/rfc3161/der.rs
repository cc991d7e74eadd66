//! A small strict DER reader and writer: enough of X.690 for timestamp
//! requests, responses, CMS and X.509. Flat by design: a reader walks one
//! level of tag/length/value at a time and the caller descends by asking for
//! a child's value, so hostile nesting costs no stack, and every length is
//! checked against what is left before anything is sliced.

use thiserror::Error;

/// Universal and context tags this module reads (low-tag-number form only).
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Context-specific constructed tag `[n]`.
pub const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// Context-specific primitive tag `[n]` (IMPLICIT over a primitive type).
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

/// Lengths above this are refused: nothing this module reads comes near it,
/// and a 4-byte length field could otherwise announce 4 GiB.
const MAX_LENGTH: usize = 1 << 24;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerError {
    #[error("the data ends inside an element")]
    Truncated,
    #[error("an indefinite length (BER, not DER)")]
    IndefiniteLength,
    #[error("a length longer than {MAX_LENGTH} bytes")]
    TooLong,
    #[error("a length not in its shortest form (BER, not DER)")]
    NonMinimalLength,
    #[error("a multi-byte tag")]
    HighTagNumber,
    #[error("tag 0x{found:02x} where 0x{expected:02x} was expected")]
    UnexpectedTag { expected: u8, found: u8 },
    #[error("an element is missing (0x{expected:02x} expected)")]
    Missing { expected: u8 },
    #[error("bytes after the end of an element")]
    TrailingData,
    #[error("an INTEGER not in DER form")]
    BadInteger,
    #[error("a BOOLEAN not in DER form")]
    BadBoolean,
    #[error("a BIT STRING with unused bits")]
    BadBitString,
    #[error("a time not in DER form")]
    BadTime,
    #[error("an OBJECT IDENTIFIER not in DER form")]
    BadOid,
}

/// One element: its tag, its content, and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

/// Reads consecutive elements from a byte slice.
#[derive(Debug, Clone)]
pub struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    pub fn new(bytes: &'a [u8]) -> Der<'a> {
        Der { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element, whatever its tag.
    pub fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let bytes = self.rest;
        let (&tag, after_tag) = bytes.split_first().ok_or(DerError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(DerError::HighTagNumber);
        }
        let (&first, mut after) = after_tag.split_first().ok_or(DerError::Truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else if first == 0x80 {
            return Err(DerError::IndefiniteLength);
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(DerError::TooLong);
            }
            if after.len() < n {
                return Err(DerError::Truncated);
            }
            let (len_bytes, tail) = after.split_at(n);
            if len_bytes[0] == 0 {
                return Err(DerError::NonMinimalLength);
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(DerError::NonMinimalLength);
            }
            if len > MAX_LENGTH {
                return Err(DerError::TooLong);
            }
            after = tail;
            len
        };
        if after.len() < len {
            return Err(DerError::Truncated);
        }
        let header = bytes.len() - after.len();
        let raw = &bytes[..header + len];
        self.rest = &bytes[header + len..];
        Ok(Tlv {
            tag,
            value: &raw[header..],
            raw,
        })
    }

    /// The next element, which must have this tag.
    pub fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            None => Err(DerError::Missing { expected: tag }),
            Some(t) if t != tag => Err(DerError::UnexpectedTag {
                expected: tag,
                found: t,
            }),
            Some(_) => self.read(),
        }
    }

    /// The next element's content, which must have this tag.
    pub fn value(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        self.expect(tag).map(|t| t.value)
    }

    /// A reader over the content of the next element, which must have this tag.
    pub fn enter(&mut self, tag: u8) -> Result<Der<'a>, DerError> {
        self.value(tag).map(Der::new)
    }

    /// The next element if it has this tag.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Nothing may be left.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }

    /// An INTEGER's content bytes (two's complement, checked minimal).
    pub fn integer(&mut self) -> Result<&'a [u8], DerError> {
        let v = self.value(INTEGER)?;
        check_integer(v)?;
        Ok(v)
    }

    /// A small non-negative INTEGER.
    pub fn small_uint(&mut self) -> Result<u64, DerError> {
        let v = self.integer()?;
        if v[0] & 0x80 != 0 || v.len() > 9 || (v.len() == 9 && v[0] != 0) {
            return Err(DerError::BadInteger);
        }
        Ok(v.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    pub fn boolean(&mut self) -> Result<bool, DerError> {
        match self.value(BOOLEAN)? {
            [0x00] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(DerError::BadBoolean),
        }
    }

    /// An OBJECT IDENTIFIER's content bytes, checked well-formed.
    pub fn oid(&mut self) -> Result<&'a [u8], DerError> {
        let v = self.value(OID)?;
        check_oid(v)?;
        Ok(v)
    }

    /// A BIT STRING with no unused bits: its bytes.
    pub fn bit_string_bytes(&mut self) -> Result<&'a [u8], DerError> {
        match self.value(BIT_STRING)?.split_first() {
            Some((0, bytes)) => Ok(bytes),
            _ => Err(DerError::BadBitString),
        }
    }
}

/// The whole input must be exactly one element with this tag.
pub fn single(bytes: &[u8], tag: u8) -> Result<Tlv<'_>, DerError> {
    let mut d = Der::new(bytes);
    let t = d.expect(tag)?;
    d.finish()?;
    Ok(t)
}

fn check_integer(v: &[u8]) -> Result<(), DerError> {
    match v {
        [] => Err(DerError::BadInteger),
        [0x00, next, ..] if next & 0x80 == 0 => Err(DerError::BadInteger),
        [0xff, next, ..] if next & 0x80 != 0 => Err(DerError::BadInteger),
        _ => Ok(()),
    }
}

fn check_oid(v: &[u8]) -> Result<(), DerError> {
    // Each arc ends on a byte without the top bit and starts without 0x80.
    if v.is_empty() || v.last().is_some_and(|b| b & 0x80 != 0) || v.len() > 64 {
        return Err(DerError::BadOid);
    }
    let mut start = true;
    for &b in v {
        if start && b == 0x80 {
            return Err(DerError::BadOid);
        }
        start = b & 0x80 == 0;
    }
    Ok(())
}

/// Dotted text of an OID's content bytes, for messages (bounded by
/// `check_oid`'s 64 bytes).
pub fn oid_text(v: &[u8]) -> String {
    if check_oid(v).is_err() {
        return "(malformed OID)".into();
    }
    let mut arcs: Vec<u128> = Vec::new();
    let mut acc: u128 = 0;
    for &b in v {
        acc = (acc << 7) | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = if first < 40 {
        (0, first)
    } else if first < 80 {
        (1, first - 40)
    } else {
        (2, first - 80)
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    out
}

/// Encode one element.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = header(tag, content.len());
    out.extend_from_slice(content);
    out
}

/// The tag and length of an element of `len` content bytes.
fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// A non-negative INTEGER in its minimal DER form.
pub fn uint(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let mut content = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    tlv(INTEGER, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements() {
        let inner = tlv(INTEGER, &[5]);
        let outer = tlv(SEQUENCE, &[inner.clone(), tlv(BOOLEAN, &[0xff])].concat());
        let seq = single(&outer, SEQUENCE).unwrap();
        let mut d = Der::new(seq.value);
        assert_eq!(d.small_uint().unwrap(), 5);
        assert!(d.boolean().unwrap());
        d.finish().unwrap();
    }

    #[test]
    fn long_lengths_round_trip() {
        for n in [127usize, 128, 255, 256, 70_000] {
            let e = tlv(OCTET_STRING, &vec![7u8; n]);
            assert_eq!(single(&e, OCTET_STRING).unwrap().value.len(), n);
        }
    }

    #[test]
    fn integers_are_minimal() {
        for v in [0u64, 1, 127, 128, 255, 256, u64::MAX] {
            let e = uint(v);
            let mut d = Der::new(&e);
            assert_eq!(d.small_uint().unwrap(), v, "{e:02x?}");
        }
        assert_eq!(Der::new(&[2, 2, 0, 1]).integer(), Err(DerError::BadInteger));
        assert_eq!(
            Der::new(&[2, 2, 0xff, 0x80]).integer(),
            Err(DerError::BadInteger)
        );
        assert_eq!(Der::new(&[2, 0]).integer(), Err(DerError::BadInteger));
    }

    #[test]
    fn oids_print_dotted() {
        assert_eq!(
            oid_text(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]),
            "2.16.840.1.101.3.4.2.1"
        );
        assert_eq!(oid_text(&[0x2b, 0x81, 0x04, 0x00, 0x22]), "1.3.132.0.34");
        assert_eq!(oid_text(&[0x80, 0x01]), "(malformed OID)");
    }

    // Hostile input: every case is an error, none panics or loops.

    #[test]
    fn truncated_input_is_an_error() {
        let good = tlv(SEQUENCE, &tlv(OCTET_STRING, &[1u8; 300]));
        for cut in 0..good.len() {
            assert!(single(&good[..cut], SEQUENCE).is_err(), "cut at {cut}");
        }
        assert_eq!(Der::new(&[0x30]).read().unwrap_err(), DerError::Truncated);
        assert_eq!(
            Der::new(&[0x30, 0x82, 0x01]).read().unwrap_err(),
            DerError::Truncated
        );
    }

    #[test]
    fn indefinite_length_is_refused() {
        assert_eq!(
            Der::new(&[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00])
                .read()
                .unwrap_err(),
            DerError::IndefiniteLength
        );
    }

    #[test]
    fn huge_and_non_minimal_lengths_are_refused() {
        assert_eq!(
            Der::new(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff])
                .read()
                .unwrap_err(),
            DerError::TooLong
        );
        assert_eq!(
            Der::new(&[0x04, 0x88, 1, 2, 3, 4, 5, 6, 7, 8])
                .read()
                .unwrap_err(),
            DerError::TooLong
        );
        assert_eq!(
            Der::new(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
                .read()
                .unwrap_err(),
            DerError::NonMinimalLength
        );
        assert_eq!(
            Der::new(&[0x04, 0x82, 0x00, 0x90]).read().unwrap_err(),
            DerError::NonMinimalLength
        );
        // Announces 16 MiB + 1 with 3 bytes present.
        assert_eq!(
            Der::new(&[0x04, 0x84, 0x01, 0x00, 0x00, 0x01, 1, 2, 3])
                .read()
                .unwrap_err(),
            DerError::TooLong
        );
    }

    #[test]
    fn high_tags_and_trailing_data_are_refused() {
        assert_eq!(
            Der::new(&[0x1f, 0x81, 0x01, 0x00]).read().unwrap_err(),
            DerError::HighTagNumber
        );
        assert_eq!(
            single(&[0x05, 0x00, 0x00], NULL).unwrap_err(),
            DerError::TrailingData
        );
    }

    #[test]
    fn deep_nesting_costs_no_stack() {
        // 100,000 SEQUENCEs inside each other, each claiming the rest: the
        // reader only ever looks one level down.
        let depth = 100_000usize;
        let mut headers: Vec<Vec<u8>> = Vec::with_capacity(depth);
        let mut inner = 2usize;
        for _ in 0..depth {
            let h = header(SEQUENCE, inner);
            inner += h.len();
            headers.push(h);
        }
        let mut bytes = Vec::with_capacity(inner);
        for h in headers.iter().rev() {
            bytes.extend_from_slice(h);
        }
        bytes.extend_from_slice(&[0x05, 0x00]);
        let mut d = Der::new(&bytes);
        let mut levels = 0;
        while let Ok(t) = d.read() {
            if t.tag != SEQUENCE {
                break;
            }
            d = Der::new(t.value);
            levels += 1;
        }
        assert_eq!(levels, depth);
    }
}
