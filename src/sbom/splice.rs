//! Splices: byte-range replacements over a document's text, shared by every
//! format. Untouched bytes are copied through; only the edits are new.

use std::io::{self, Write};

use super::text::{EncodedWriter, Encoding};

/// One splice: replace `start..end` with `text` (an insertion when they are equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Edit {
    pub fn insert(at: usize, text: String) -> Edit {
        Edit {
            start: at,
            end: at,
            text,
        }
    }

    pub fn replace(start: usize, end: usize, text: String) -> Edit {
        Edit { start, end, text }
    }
}

/// A document with its edits applied, written lazily in the document's
/// encoding.
pub struct Edited<'d> {
    text: &'d str,
    edits: Vec<Edit>,
    encoding: Encoding,
}

impl<'d> Edited<'d> {
    /// Orders the edits. Insertions at one offset keep the order they were
    /// made in. Two edits that overlap are a bug in the caller (they would
    /// write some input twice or not at all), so they panic here rather than
    /// produce a damaged document.
    pub fn new(text: &'d str, mut edits: Vec<Edit>) -> Edited<'d> {
        edits.sort_by_key(|e| (e.start, e.end));
        for pair in edits.windows(2) {
            assert!(
                pair[0].end <= pair[1].start,
                "overlapping edits: {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
        for e in &edits {
            assert!(
                e.start <= e.end
                    && e.end <= text.len()
                    && text.is_char_boundary(e.start)
                    && text.is_char_boundary(e.end),
                "edit outside the text: {e:?}"
            );
        }
        Edited {
            text,
            edits,
            encoding: Encoding::Utf8,
        }
    }

    /// Write in `encoding` instead of plain UTF-8.
    pub fn in_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The output text, piece by piece.
    fn pieces(&self) -> impl Iterator<Item = &str> {
        let mut pos = 0;
        let mut out = Vec::with_capacity(self.edits.len() * 2 + 1);
        for edit in &self.edits {
            out.push(&self.text[pos..edit.start]);
            out.push(edit.text.as_str());
            pos = edit.end;
        }
        out.push(&self.text[pos..]);
        out.into_iter()
    }

    /// Write the edited document, in its encoding.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut w = EncodedWriter::new(out, self.encoding)?;
        for piece in self.pieces() {
            w.write_str(piece)?;
        }
        w.finish()
    }

    /// The edited text as UTF-8, without a byte-order mark.
    pub fn to_string_lossless(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1024);
        for piece in self.pieces() {
            out.push_str(piece);
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}
