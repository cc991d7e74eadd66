//! A span-keeping JSON reader and a splice editor.
//!
//! SBOMs must come out exactly as they came in, apart from what we add. Parsing
//! into a value tree and serializing it again loses number lexemes, string
//! escapes, whitespace and duplicate keys, so instead this module parses into a
//! tree of byte spans over the original text, and every change is a splice of
//! new text into those bytes. Untouched bytes are copied through verbatim.

use super::splice::{Edit, Edited};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Deepest nesting accepted. Real SBOMs stay far below this (a CycloneDX
/// component nested 100 deep is about 200 levels); hostile input is refused
/// before it can exhaust the stack.
pub const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub message: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid JSON at line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// A JSON value and the byte range `start..end` it occupies in the text.
#[derive(Debug, Clone)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Object(Vec<Member>),
    Array(Vec<Node>),
    String,
    Number,
    Bool(bool),
    Null,
}

#[derive(Debug, Clone)]
pub struct Member {
    /// The decoded key, interned: a document has few distinct keys and
    /// many members.
    pub key: Arc<str>,
    /// Offset of the key's opening quote.
    pub key_start: usize,
    pub value: Node,
}

/// A parsed JSON text that owns its bytes.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    root: Node,
}

impl Document {
    pub fn parse(text: String) -> Result<Document, ParseError> {
        let root = Parser::new(&text).parse_document()?;
        Ok(Document { text, root })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The decoded value of a string node, or `None` for other kinds.
    pub fn str<'a>(&'a self, node: &Node) -> Option<Cow<'a, str>> {
        match node.kind {
            Kind::String => Some(decode_string(&self.text[node.start + 1..node.end - 1])),
            _ => None,
        }
    }

    /// The member `key` of an object node, as a string.
    pub fn get_str<'a>(&'a self, node: &Node, key: &str) -> Option<Cow<'a, str>> {
        node.get(key).and_then(|v| self.str(v))
    }

    /// The source text of a node, exactly as written.
    pub fn raw(&self, node: &Node) -> &str {
        &self.text[node.start..node.end]
    }

    /// The layout the document was written in, so that inserted text matches it.
    pub fn style(&self) -> Style {
        Style::detect(&self.text, &self.root)
    }
}

impl Node {
    /// The last member named `key` (later duplicates win, as in most readers).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Object(members) => members
                .iter()
                .rev()
                .find(|m| &*m.key == key)
                .map(|m| &m.value),
            _ => None,
        }
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            Kind::Object(members) => members.iter().rev().find(|m| &*m.key == key),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.kind {
            Kind::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Array(items) => items,
            _ => &[],
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.kind, Kind::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self.kind, Kind::Array(_))
    }
}

fn decode_string(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hi = hex4(&mut chars);
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate should be followed by an escaped low one.
                    let rest = chars.as_str();
                    if let Some(tail) = rest.strip_prefix("\\u") {
                        let mut lo_chars = tail.chars();
                        let lo = hex4(&mut lo_chars);
                        if (0xDC00..0xE000).contains(&lo) {
                            chars = lo_chars;
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            continue;
                        }
                    }
                    out.push('\u{FFFD}');
                } else {
                    out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                }
            }
            Some(other) => out.push(other), // '"', '\\', '/'
            None => {}
        }
    }
    Cow::Owned(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> u32 {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
    }
    v
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    keys: HashMap<Box<str>, Arc<str>>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            keys: HashMap::new(),
        }
    }

    fn parse_document(&mut self) -> Result<Node, ParseError> {
        if self.text.starts_with('\u{FEFF}') {
            self.pos = 3;
        }
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            return Err(self.error("the file holds no JSON value"));
        }
        let root = self.parse_value(0)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.error("unexpected data after the JSON value"));
        }
        Ok(root)
    }

    fn error(&self, message: &'static str) -> ParseError {
        let pos = self.pos.min(self.bytes.len());
        let before = &self.bytes[..pos];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self.text[line_start..floor_char_boundary(self.text, pos)]
            .chars()
            .count()
            + 1;
        ParseError {
            offset: pos,
            line,
            column,
            message,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn parse_value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nesting deeper than 512 levels"));
        }
        let start = self.pos;
        let kind = match self.bytes.get(self.pos) {
            Some(b'{') => self.parse_object(depth)?,
            Some(b'[') => self.parse_array(depth)?,
            Some(b'"') => {
                self.scan_string()?;
                Kind::String
            }
            Some(b'-' | b'0'..=b'9') => {
                self.scan_number()?;
                Kind::Number
            }
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(_) => return Err(self.error("expected a value")),
            None => return Err(self.error("unexpected end of file (is the file truncated?)")),
        };
        Ok(Node {
            start,
            end: self.pos,
            kind,
        })
    }

    fn literal(&mut self, word: &'static str, kind: Kind) -> Result<Kind, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn parse_object(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b'"') => {}
                None => {
                    return Err(self.error(
                        "unexpected end of file inside an object (is the file truncated?)",
                    ));
                }
                _ => return Err(self.error("expected a member name in double quotes")),
            }
            let key_start = self.pos;
            self.scan_string()?;
            let decoded = decode_string(&self.text[key_start + 1..self.pos - 1]);
            let key = match self.keys.get(decoded.as_ref()) {
                Some(k) => k.clone(),
                None => {
                    let k: Arc<str> = decoded.as_ref().into();
                    self.keys.insert(decoded.into(), k.clone());
                    k
                }
            };
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected ':' after a member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.parse_value(depth + 1)?;
            members.push(Member {
                key,
                key_start,
                value,
            });
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    // Vectors grow by doubling; the tree lives as long as
                    // the document, so it keeps no spare capacity.
                    members.shrink_to_fit();
                    return Ok(Kind::Object(members));
                }
                None => {
                    return Err(self.error(
                        "unexpected end of file inside an object (is the file truncated?)",
                    ));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.parse_value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    items.shrink_to_fit();
                    return Ok(Kind::Array(items));
                }
                None => {
                    return Err(self
                        .error("unexpected end of file inside an array (is the file truncated?)"));
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn scan_string(&mut self) -> Result<(), ParseError> {
        self.pos += 1; // opening quote
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(
                    self.error("unexpected end of file inside a string (is the file truncated?)")
                );
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => match self.bytes.get(self.pos + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 2,
                    Some(b'u') => {
                        let hex = self.bytes.get(self.pos + 2..self.pos + 6);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            self.pos += 1;
                            return Err(self.error("invalid \\u escape in a string"));
                        }
                        self.pos += 6;
                    }
                    _ => {
                        self.pos += 1;
                        return Err(self.error("invalid escape in a string"));
                    }
                },
                0..=0x1f => return Err(self.error("control character inside a string")),
                _ => self.pos += 1,
            }
        }
    }

    fn scan_number(&mut self) -> Result<(), ParseError> {
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.error("invalid number: digits expected after '.'"));
            }
            self.skip_digits();
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.error("invalid number: digits expected in the exponent"));
            }
            self.skip_digits();
        }
        Ok(())
    }

    fn skip_digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How a document lays out its text: pretty-printed with some indent, or compact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// One level of indentation; `None` for compact (single-line) documents.
    pub indent: Option<String>,
    pub newline: &'static str,
    /// Whether `"key": value` has a space after the colon.
    /// What separates a key from its value.
    pub colon: String,
}

impl Style {
    fn detect(text: &str, root: &Node) -> Style {
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let first_member = root.members().first();
        let indent = first_member.and_then(|m| {
            let between = &text[root.start + 1..m.key_start];
            between.rfind('\n').map(|i| between[i + 1..].to_string())
        });
        let indent = match indent {
            Some(s) if !s.is_empty() => Some(s),
            Some(_) => Some("  ".to_string()),
            None if text[root.start..root.end].contains('\n') => Some("  ".to_string()),
            None => None,
        };
        // The separator between a key and its value, as the document
        // writes it (`:`, `: ` or ` : `).
        let colon = first_member
            .and_then(|m| {
                let key_len = scan_key_len(&text[m.key_start..]);
                let between = &text[m.key_start + key_len..m.value.start];
                (!between.contains('\n')).then(|| between.to_string())
            })
            .unwrap_or_else(|| if indent.is_some() { ": " } else { ":" }.to_string());
        Style {
            indent,
            newline,
            colon,
        }
    }

    /// Render a value as it would appear at a place indented by `base`.
    pub fn render(&self, value: &serde_json::Value, base: &str) -> String {
        let mut out = String::new();
        self.render_into(value, base, &mut out);
        out
    }

    fn render_into(&self, value: &serde_json::Value, base: &str, out: &mut String) {
        use serde_json::Value;
        match value {
            Value::Object(map) if !map.is_empty() => {
                out.push('{');
                let inner = self.deeper(base);
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.break_line(&inner, out);
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push_str(&self.colon);
                    self.render_into(v, &inner, out);
                }
                self.break_line(base, out);
                out.push('}');
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                let inner = self.deeper(base);
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.break_line(&inner, out);
                    self.render_into(v, &inner, out);
                }
                self.break_line(base, out);
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    fn deeper(&self, base: &str) -> String {
        match &self.indent {
            Some(unit) => format!("{base}{unit}"),
            None => String::new(),
        }
    }

    fn break_line(&self, indent: &str, out: &mut String) {
        if self.indent.is_some() {
            out.push_str(self.newline);
            out.push_str(indent);
        }
    }

    /// The separator before a member or element that sits at `indent`.
    fn separator(&self, indent: &str) -> String {
        match self.indent {
            Some(_) => format!("{}{indent}", self.newline),
            None => String::new(),
        }
    }

    fn key_prefix(&self, key: &str) -> String {
        format!(
            "{}{}",
            serde_json::Value::String(key.to_string()),
            self.colon
        )
    }
}

/// The length of the JSON string at the start of `s`, quotes included.
fn scan_key_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(b.len())
}

/// The leading whitespace of the line that `offset` is on.
pub fn line_indent(text: &str, offset: usize) -> &str {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let len = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..len]
}

/// Collects splices against one document and writes the edited text.
pub struct Editor<'d> {
    doc: &'d Document,
    style: Style,
    edits: Vec<Edit>,
    fills: Vec<Fill>,
}

/// Members or elements waiting to be written into an empty container.
struct Fill {
    start: usize,
    end: usize,
    object: bool,
    items: Vec<String>,
}

impl<'d> Editor<'d> {
    pub fn new(doc: &'d Document) -> Self {
        Editor {
            doc,
            style: doc.style(),
            edits: Vec::new(),
            fills: Vec::new(),
        }
    }

    pub fn style(&self) -> &Style {
        &self.style
    }

    /// Replace a node with a rendered value.
    pub fn replace(&mut self, node: &Node, value: &serde_json::Value) {
        let indent = line_indent(self.doc.text(), node.start).to_string();
        let text = self.style.render(value, &indent);
        self.replace_raw(node, text);
    }

    /// Replace a node with literal JSON text.
    pub fn replace_raw(&mut self, node: &Node, text: String) {
        self.edits.push(Edit {
            start: node.start,
            end: node.end,
            text,
        });
    }

    /// Add `key: value` as the last member of an object node.
    pub fn append_member(&mut self, object: &Node, key: &str, value: &serde_json::Value) {
        match object.members() {
            [first, .., last] | [first @ last] => {
                let (style, indent) = self.layout_of(object.start, first.key_start);
                let body = format!(
                    ",{}{}{}",
                    style.separator(&indent),
                    style.key_prefix(key),
                    style.render(value, &indent)
                );
                self.insert(last.value.end, body);
            }
            [] => {
                let inner = self.fill_indent(object);
                let body = format!(
                    "{}{}",
                    self.style.key_prefix(key),
                    self.style.render(value, &inner)
                );
                self.fill(object, body);
            }
        }
    }

    /// Add an element at the end of an array node.
    pub fn append_item(&mut self, array: &Node, value: &serde_json::Value) {
        match array.items() {
            [first, ..] => {
                let last = array.items().last().expect("not empty");
                let (style, indent) = self.layout_of(array.start, first.start);
                let body = if style.indent.is_some() {
                    format!(
                        ",{}{}",
                        style.separator(&indent),
                        style.render(value, &indent)
                    )
                } else {
                    // Inline: the spacing the array already uses after its
                    // commas; a value pretty-printed like the last item when
                    // that one spans lines (`[ {` ... `}, {` ... `} ]`).
                    let text = self.doc.text();
                    let after_comma = match array.items() {
                        [.., prev, last] => {
                            let gap = &text[prev.end..last.start];
                            gap[gap.find(',').map_or(0, |i| i + 1)..].to_string()
                        }
                        _ => text[array.start + 1..first.start].to_string(),
                    };
                    let rendered =
                        if self.style.indent.is_some() && self.doc.raw(last).contains('\n') {
                            self.style.render(value, line_indent(text, last.start))
                        } else {
                            style.render(value, "")
                        };
                    format!(",{after_comma}{rendered}")
                };
                self.insert(last.end, body);
            }
            [] => {
                let inner = self.fill_indent(array);
                let body = self.style.render(value, &inner);
                self.fill(array, body);
            }
        }
    }

    /// The indentation of the members of an empty container once filled.
    fn fill_indent(&self, container: &Node) -> String {
        let outer = line_indent(self.doc.text(), container.start);
        self.style.deeper(outer)
    }

    /// Queue a member or element for an empty container. Every addition to
    /// one empty container becomes a single replacement of it at `finish`,
    /// because separate replacements of the same bytes would overlap.
    fn fill(&mut self, container: &Node, rendered: String) {
        match self.fills.iter_mut().find(|f| f.start == container.start) {
            Some(f) => f.items.push(rendered),
            None => self.fills.push(Fill {
                start: container.start,
                end: container.end,
                object: container.is_object(),
                items: vec![rendered],
            }),
        }
    }

    /// How the members of a non-empty container are laid out: one per line at
    /// some indent, or inline (then new members are added inline too).
    fn layout_of(&self, container_start: usize, first_start: usize) -> (Style, String) {
        let gap = &self.doc.text()[container_start + 1..first_start];
        match gap.rfind('\n') {
            Some(i) if self.style.indent.is_some() => {
                (self.style.clone(), gap[i + 1..].to_string())
            }
            _ => {
                let inline = Style {
                    indent: None,
                    ..self.style.clone()
                };
                (inline, String::new())
            }
        }
    }

    /// Put `values` into the array member `key` of `object`, in place of the
    /// items `ours` picks (what this tool wrote there before): those are
    /// replaced in order, the ones left over removed, the values left over
    /// appended; the member is added when absent. One edit of the list, so
    /// enriching twice replaces rather than duplicates, and whatever else
    /// the list holds is kept byte for byte. A member that is not an array
    /// is left as it is (the formats' checks refuse it on reading).
    pub fn upsert_items(
        &mut self,
        object: &Node,
        key: &str,
        values: Vec<serde_json::Value>,
        ours: impl Fn(&Node) -> bool,
    ) {
        let Some(list) = object.get(key) else {
            self.append_member(object, key, &serde_json::Value::Array(values));
            return;
        };
        if !list.is_array() {
            return;
        }
        let ours: Vec<usize> = list
            .items()
            .iter()
            .enumerate()
            .filter(|(_, item)| ours(item))
            .map(|(i, _)| i)
            .collect();
        let mut values = values.into_iter();
        for (k, &i) in ours.iter().enumerate() {
            match values.next() {
                Some(v) => self.replace(&list.items()[i], &v),
                None => {
                    self.remove_items(list, &ours[k..]);
                    break;
                }
            }
        }
        for v in values {
            self.append_item(list, &v);
        }
    }

    /// Remove elements (given by ascending index) from an array node, with
    /// the commas that join them.
    pub fn remove_items(&mut self, array: &Node, indices: &[usize]) {
        let items = array.items();
        let n = items.len();
        // A run of removed elements at the end takes the comma before it.
        let mut tail = n;
        while tail > 0 && indices.contains(&(tail - 1)) {
            tail -= 1;
        }
        for &i in indices.iter().filter(|&&i| i < tail) {
            self.remove_range(items[i].start, items[i + 1].start);
        }
        if tail < n {
            if tail == 0 {
                self.remove_range(array.start + 1, array.end - 1);
            } else {
                self.remove_range(items[tail - 1].end, items[n - 1].end);
            }
        }
    }

    fn remove_range(&mut self, start: usize, end: usize) {
        self.edits.push(Edit {
            start,
            end,
            text: String::new(),
        });
    }

    fn insert(&mut self, at: usize, text: String) {
        self.edits.push(Edit {
            start: at,
            end: at,
            text,
        });
    }

    /// The edits in text order.
    pub fn finish(mut self) -> Edited<'d> {
        for fill in std::mem::take(&mut self.fills) {
            let outer = line_indent(self.doc.text(), fill.start).to_string();
            let inner = self.style.deeper(&outer);
            let (open, close) = if fill.object { ('{', '}') } else { ('[', ']') };
            let mut body = String::from(open);
            for (i, item) in fill.items.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&self.style.separator(&inner));
                body.push_str(item);
            }
            body.push_str(&self.style.separator(&outer));
            body.push(close);
            self.edits.push(Edit {
                start: fill.start,
                end: fill.end,
                text: body,
            });
        }
        Edited::new(self.doc.text(), self.edits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(s: &str) -> Document {
        Document::parse(s.to_string()).unwrap()
    }

    #[test]
    fn parses_and_keeps_spans() {
        let d = doc(r#" {"a": [1, 2.50, -3e+2], "b": "x\u00e9\n", "c": null} "#);
        let a = d.root().get("a").unwrap();
        assert_eq!(d.raw(a), "[1, 2.50, -3e+2]");
        assert_eq!(d.raw(&a.items()[1]), "2.50");
        assert_eq!(d.str(d.root().get("b").unwrap()).unwrap(), "x\u{e9}\n");
    }

    #[test]
    fn decodes_surrogate_pairs_and_replaces_lone_ones() {
        let d = doc(r#"["\ud83d\ude00", "\ud800x"]"#);
        assert_eq!(d.str(&d.root().items()[0]).unwrap(), "\u{1F600}");
        assert_eq!(d.str(&d.root().items()[1]).unwrap(), "\u{FFFD}x");
    }

    #[test]
    fn rejects_invalid_json_with_position() {
        for (bad, msg) in [
            ("", "the file holds no JSON value"),
            ("{\"a\": 1,}", "expected a member name in double quotes"),
            (
                "{\"a\": 1",
                "unexpected end of file inside an object (is the file truncated?)",
            ),
            ("[1 2]", "expected ',' or ']' in an array"),
            ("\"a\tb\"", "control character inside a string"),
            ("01", "unexpected data after the JSON value"),
            ("1.", "invalid number: digits expected after '.'"),
            ("\"\\x\"", "invalid escape in a string"),
            ("{} {}", "unexpected data after the JSON value"),
            ("nul", "expected a value"),
        ] {
            let err = Document::parse(bad.to_string()).unwrap_err();
            assert_eq!(err.message, msg, "input {bad:?}");
        }
        let err = Document::parse("{\n  \"a\": tru\n}".to_string()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 8));
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing() {
        let deep = "[".repeat(100_000);
        let err = Document::parse(deep).unwrap_err();
        assert_eq!(err.message, "nesting deeper than 512 levels");
        let ok = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(Document::parse(ok).is_ok());
    }

    #[test]
    fn later_duplicate_key_wins() {
        let d = doc(r#"{"a": 1, "a": 2}"#);
        assert_eq!(d.raw(d.root().get("a").unwrap()), "2");
    }

    #[test]
    fn appends_into_pretty_object_matching_indent() {
        let d = doc("{\n    \"a\": 1,\n    \"b\": {\n        \"c\": 2\n    }\n}\n");
        let mut ed = Editor::new(&d);
        let b = d.root().get("b").unwrap();
        ed.append_member(b, "refs", &json!([{"u": "x"}]));
        let out = ed.finish().to_string_lossless();
        assert_eq!(
            out,
            "{\n    \"a\": 1,\n    \"b\": {\n        \"c\": 2,\n        \"refs\": [\n            {\n                \"u\": \"x\"\n            }\n        ]\n    }\n}\n"
        );
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
    }

    #[test]
    fn appends_into_compact_and_empty_containers() {
        let d = doc(r#"{"a":[],"b":{},"c":[1]}"#);
        let mut ed = Editor::new(&d);
        ed.append_item(d.root().get("a").unwrap(), &json!({"k": 1}));
        ed.append_member(d.root().get("b").unwrap(), "k", &json!("v"));
        ed.append_item(d.root().get("c").unwrap(), &json!(2));
        assert_eq!(
            ed.finish().to_string_lossless(),
            r#"{"a":[{"k":1}],"b":{"k":"v"},"c":[1,2]}"#
        );
    }

    #[test]
    fn fills_empty_pretty_containers() {
        let d = doc("{\n  \"x\": {\n    \"e\": []\n  }\n}");
        let mut ed = Editor::new(&d);
        ed.append_item(d.root().get("x").unwrap().get("e").unwrap(), &json!("s"));
        assert_eq!(
            ed.finish().to_string_lossless(),
            "{\n  \"x\": {\n    \"e\": [\n      \"s\"\n    ]\n  }\n}"
        );
    }

    /// Regression (issue 8, item 1): two members added to one empty object
    /// were two overlapping replacements of its bytes, and writing panicked.
    #[test]
    fn several_additions_to_one_empty_container_become_one_edit() {
        let d = doc(r#"{"spdxVersion":"SPDX-2.3","creationInfo":{},"l":[]}"#);
        let mut ed = Editor::new(&d);
        let info = d.root().get("creationInfo").unwrap();
        ed.append_member(info, "creators", &json!(["Tool: x-1"]));
        ed.append_member(info, "created", &json!("2026-01-01T00:00:00Z"));
        let l = d.root().get("l").unwrap();
        ed.append_item(l, &json!(1));
        ed.append_item(l, &json!(2));
        assert_eq!(
            ed.finish().to_string_lossless(),
            r#"{"spdxVersion":"SPDX-2.3","creationInfo":{"creators":["Tool: x-1"],"created":"2026-01-01T00:00:00Z"},"l":[1,2]}"#
        );
        let d = doc("{\n  \"o\": {}\n}");
        let mut ed = Editor::new(&d);
        let o = d.root().get("o").unwrap();
        ed.append_member(o, "a", &json!(1));
        ed.append_member(o, "b", &json!([true]));
        assert_eq!(
            ed.finish().to_string_lossless(),
            "{\n  \"o\": {\n    \"a\": 1,\n    \"b\": [\n      true\n    ]\n  }\n}"
        );
    }

    #[test]
    fn removes_items_with_their_commas() {
        let d = doc("[1, 2, 3, 4]");
        for (remove, want) in [
            (&[0][..], "[2, 3, 4]"),
            (&[1], "[1, 3, 4]"),
            (&[3], "[1, 2, 3]"),
            (&[1, 3], "[1, 3]"),
            (&[2, 3], "[1, 2]"),
            (&[1, 2, 3], "[1]"),
            (&[0, 1, 2, 3], "[]"),
        ] {
            let mut ed = Editor::new(&d);
            ed.remove_items(d.root(), remove);
            assert_eq!(
                ed.finish().to_string_lossless(),
                want,
                "removing {remove:?}"
            );
        }
    }

    #[test]
    fn replacing_one_item_and_removing_the_rest_do_not_overlap() {
        let d = doc("[0, 1, 2]");
        let mut ed = Editor::new(&d);
        ed.replace(&d.root().items()[1], &json!("x"));
        ed.remove_items(d.root(), &[2]);
        assert_eq!(ed.finish().to_string_lossless(), "[0, \"x\"]");
    }

    #[test]
    fn keeps_crlf_and_tabs() {
        let d = doc("{\r\n\t\"a\": 1\r\n}");
        let mut ed = Editor::new(&d);
        ed.append_member(d.root(), "b", &json!([2]));
        assert_eq!(
            ed.finish().to_string_lossless(),
            "{\r\n\t\"a\": 1,\r\n\t\"b\": [\r\n\t\t2\r\n\t]\r\n}"
        );
    }

    #[test]
    fn untouched_text_is_byte_identical() {
        let src = "{ \"n\" : 1.50e3 , \"s\":\"\\/\\u00e9\" }";
        let d = doc(src);
        assert_eq!(Editor::new(&d).finish().to_string_lossless(), src);
    }

    fn upsert(src: &str, values: Vec<serde_json::Value>) -> String {
        let d = doc(src);
        let mut ed = Editor::new(&d);
        let ours = |n: &Node| d.get_str(n, "by").as_deref() == Some("us");
        ed.upsert_items(d.root(), "refs", values, ours);
        ed.finish().to_string_lossless()
    }

    #[test]
    fn upserting_replaces_ours_in_order_and_keeps_the_rest() {
        let theirs = r#"{"by": "them"}"#;
        let src =
            format!(r#"{{"refs": [{{"by": "us", "n": 1}}, {theirs}, {{"by": "us", "n": 2}}]}}"#);
        let v = |n: u32| json!({"by": "us", "n": n + 10});
        // As many values as earlier references: each replaced where it was.
        assert_eq!(
            upsert(&src, vec![v(1), v(2)]),
            format!(r#"{{"refs": [{{"by": "us","n": 11}}, {theirs}, {{"by": "us","n": 12}}]}}"#)
        );
        // Fewer: the ones left over go, with their commas.
        assert_eq!(
            upsert(&src, vec![v(1)]),
            format!(r#"{{"refs": [{{"by": "us","n": 11}}, {theirs}]}}"#)
        );
        // More: the rest appended after everything else.
        assert_eq!(
            upsert(&src, vec![v(1), v(2), v(3)]),
            format!(
                r#"{{"refs": [{{"by": "us","n": 11}}, {theirs}, {{"by": "us","n": 12}}, {{"by": "us","n": 13}}]}}"#
            )
        );
        // None of ours yet: appended.
        assert_eq!(
            upsert(r#"{"refs": [1, 2]}"#, vec![v(1)]),
            r#"{"refs": [1, 2, {"by": "us","n": 11}]}"#
        );
    }

    #[test]
    fn upserting_adds_the_list_and_leaves_a_non_list_alone() {
        let v = json!({"by": "us"});
        assert_eq!(
            upsert(r#"{"a": 1}"#, vec![v.clone()]),
            r#"{"a": 1,"refs": [{"by": "us"}]}"#
        );
        for not_a_list in [r#"{"refs": {}}"#, r#"{"refs": "x"}"#, r#"{"refs": null}"#] {
            assert_eq!(upsert(not_a_list, vec![v.clone()]), not_a_list);
        }
    }

    /// SPDX 2 once replaced an empty list with the rendered values, SPDX 3
    /// and CycloneDX filled it: both write the same bytes, which is what let
    /// the three share one splice.
    #[test]
    fn filling_an_empty_list_writes_what_replacing_it_would() {
        let values = vec![json!({"by": "us", "n": [1, 2]}), json!("two")];
        for src in [
            "{\n  \"x\": {\n    \"refs\": []\n  }\n}",
            "{\n\t\"x\": {\"refs\": [ ]}\n}",
            "{\"x\":{\"refs\":[]}}",
            "{\r\n    \"x\": {\r\n        \"refs\": [\r\n        ]\r\n    }\r\n}",
        ] {
            let d = doc(src);
            let x = d.root().get("x").unwrap();
            let mut filled = Editor::new(&d);
            filled.upsert_items(x, "refs", values.clone(), |_| true);
            let mut replaced = Editor::new(&d);
            replaced.replace(
                x.get("refs").unwrap(),
                &serde_json::Value::Array(values.clone()),
            );
            assert_eq!(
                filled.finish().to_string_lossless(),
                replaced.finish().to_string_lossless(),
                "{src:?}"
            );
        }
    }
}
