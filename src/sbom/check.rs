//! Type and size checks for the JSON fields the tool reads.
//!
//! The readers in `cyclonedx`, `spdx` and `spdx3` skip what they do not
//! understand, which is right for fields they do not read but wrong for the
//! ones they do: a `components` that is an object would silently read as
//! "no components" and give a signed, empty report. So before a document is
//! accepted, every field the tool reads is checked here for its JSON type
//! and size, and a wrong one is bad input naming the file, the JSON path and
//! the type found.

use std::path::Path;

use super::json::{Document, Kind, Node};
use super::{Limits, SbomError};

/// What a field must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    String,
    Object,
    Array,
    /// A JSON number without fraction or exponent.
    Integer,
    /// CycloneDX `metadata.tools`: the legacy list or the 1.5 object.
    ArrayOrObject,
    /// An SPDX 3 reference: an IRI, or the element itself inline.
    StringOrObject,
}

impl Want {
    fn describe(self) -> &'static str {
        match self {
            Want::String => "a string",
            Want::Object => "an object",
            Want::Array => "an array",
            Want::Integer => "an integer",
            Want::ArrayOrObject => "an array or an object",
            Want::StringOrObject => "a string or an object",
        }
    }
}

pub(super) fn type_name(node: &Node) -> &'static str {
    match node.kind {
        Kind::Object(_) => "an object",
        Kind::Array(_) => "an array",
        Kind::String => "a string",
        Kind::Number => "a number",
        Kind::Bool(_) => "a boolean",
        Kind::Null => "null",
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Walks a document with the JSON path of where it is, for messages.
pub(super) struct Checker<'a> {
    doc: &'a Document,
    file: &'a Path,
    limits: &'a Limits,
    trail: Vec<Seg>,
    components: usize,
}

impl<'a> Checker<'a> {
    pub(super) fn new(doc: &'a Document, file: &'a Path, limits: &'a Limits) -> Self {
        Checker {
            doc,
            file,
            limits,
            trail: Vec::new(),
            components: 0,
        }
    }

    pub(super) fn doc(&self) -> &'a Document {
        self.doc
    }

    /// The JSON path of the current place, e.g. `$.components[3].purl`.
    pub(super) fn here(&self) -> String {
        let mut out = String::from("$");
        for seg in &self.trail {
            match seg {
                Seg::Key(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Key(k) => out.push_str(&format!("[{k:?}]")),
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn wrong(&self, found: &'static str, want: Want) -> SbomError {
        SbomError::WrongType {
            path: self.file.to_path_buf(),
            at: self.here(),
            found,
            expected: want.describe(),
        }
    }

    /// Check `node` (at the current place) against `want`.
    pub(super) fn expect(&self, node: &Node, want: Want) -> Result<(), SbomError> {
        let ok = match (want, &node.kind) {
            (Want::String | Want::StringOrObject, Kind::String) => {
                let len = node.end - node.start - 2;
                if len > self.limits.max_string_bytes {
                    return Err(SbomError::ValueTooLong {
                        path: self.file.to_path_buf(),
                        at: self.here(),
                        size: len,
                        limit: self.limits.max_string_bytes,
                    });
                }
                true
            }
            (Want::Object | Want::ArrayOrObject | Want::StringOrObject, Kind::Object(_)) => true,
            (Want::Array | Want::ArrayOrObject, Kind::Array(_)) => true,
            (Want::Integer, Kind::Number) => self
                .doc
                .raw(node)
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-'),
            _ => false,
        };
        if ok {
            Ok(())
        } else if want == Want::Integer && matches!(node.kind, Kind::Number) {
            Err(self.wrong("a number with a fraction or exponent", want))
        } else {
            Err(self.wrong(type_name(node), want))
        }
    }

    /// The member `key` of `object`, if present, checked against `want`.
    pub(super) fn member(
        &mut self,
        object: &'a Node,
        key: &'static str,
        want: Want,
    ) -> Result<Option<&'a Node>, SbomError> {
        let Some(value) = object.get(key) else {
            return Ok(None);
        };
        self.trail.push(Seg::Key(key));
        self.expect(value, want)?;
        self.trail.pop();
        Ok(Some(value))
    }

    /// Check several string members at once.
    pub(super) fn strings(
        &mut self,
        object: &'a Node,
        keys: &[&'static str],
    ) -> Result<(), SbomError> {
        for key in keys {
            self.member(object, key, Want::String)?;
        }
        Ok(())
    }

    /// Run `f` with the path inside member `key`.
    pub(super) fn within<T>(
        &mut self,
        key: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T, SbomError>,
    ) -> Result<T, SbomError> {
        self.trail.push(Seg::Key(key));
        let out = f(self)?;
        self.trail.pop();
        Ok(out)
    }

    /// The member array `key` of `object`, if present: each item checked
    /// against `want` and then given to `f`.
    pub(super) fn each(
        &mut self,
        object: &'a Node,
        key: &'static str,
        want: Want,
        mut f: impl FnMut(&mut Self, &'a Node) -> Result<(), SbomError>,
    ) -> Result<(), SbomError> {
        let Some(list) = self.member(object, key, Want::Array)? else {
            return Ok(());
        };
        self.trail.push(Seg::Key(key));
        for (i, item) in list.items().iter().enumerate() {
            self.trail.push(Seg::Index(i));
            self.expect(item, want)?;
            f(self, item)?;
            self.trail.pop();
        }
        self.trail.pop();
        Ok(())
    }

    /// Count one component against the limit.
    pub(super) fn count_component(&mut self) -> Result<(), SbomError> {
        self.components += 1;
        if self.components > self.limits.max_components {
            return Err(SbomError::TooManyComponents {
                path: self.file.to_path_buf(),
                limit: self.limits.max_components,
            });
        }
        Ok(())
    }
}
