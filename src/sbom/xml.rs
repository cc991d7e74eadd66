//! A span-keeping XML reader over quick-xml.
//!
//! Like the JSON layer, this never re-serializes: it records where each
//! element, its start tag, its attributes and its end tag are in the text,
//! and changes are splices over those bytes. Namespace prefixes, vendor
//! elements, comments, processing instructions, attribute order and quoting,
//! entity and character references, CDATA and whitespace are therefore kept
//! as they are.
//!
//! Documents with a DTD are refused: quick-xml never expands entities, but a
//! document that declares them means something other than what we would
//! read, and refusing them closes the door on entity expansion (XXE, "billion
//! laughs") for every reader downstream of us too.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use quick_xml::events::Event;
use quick_xml::name::{NamespaceError, ResolveResult};
use quick_xml::reader::NsReader;

use super::{SbomError, shown};

/// Deepest element nesting accepted, as for JSON.
pub const MAX_DEPTH: usize = 512;

/// Most attributes one start tag may have. CycloneDX elements have a few
/// (the real SBOMs among the test fixtures at most 5); the cap bounds what one
/// tag can ask of memory, as an attribute kept costs several times the bytes
/// it takes written.
pub const MAX_ATTRIBUTES: usize = 10_000;

/// Up to this many attributes, a duplicate is found by comparing a name with
/// each earlier one; beyond it, in a set of names, so that a tag with many
/// attributes is read in linear time.
const FEW_ATTRIBUTES: usize = 16;

/// One attribute: its name as written and where its value is.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: Arc<str>,
    /// The value between the quotes, as written (entities not decoded).
    pub value_start: usize,
    pub value_end: usize,
    /// The decoded value.
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct Element {
    /// Offset of `<`.
    pub start: usize,
    /// Offset just after the start tag's `>` (or `/>`).
    pub head_end: usize,
    /// Offset of the `</` of the end tag; equal to `head_end` for `<x/>`.
    pub close_start: usize,
    /// Offset just after the element.
    pub end: usize,
    /// `<x/>`: no content and no end tag.
    pub empty: bool,
    /// The name as written, with its prefix. Names are interned: a document
    /// has few distinct ones and many elements.
    pub qname: Arc<str>,
    pub local: Arc<str>,
    /// Whether the element is in the document's main namespace (that of the
    /// root element).
    pub in_ns: bool,
    pub attrs: Vec<Attr>,
    /// Child elements in the main namespace and, for other namespaces, the
    /// element alone (its content is not kept).
    pub children: Vec<Element>,
    /// No child elements: the content is text (decoded on demand, so that
    /// text the tool never reads costs nothing).
    pub leaf: bool,
}

impl Element {
    /// The prefix used in this element's name (`bom` in `bom:component`).
    pub fn prefix(&self) -> Option<&str> {
        self.qname.split_once(':').map(|(p, _)| p)
    }

    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| &*a.name == name)
    }

    /// The first child in the main namespace with this local name.
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.in_ns && &*c.local == local)
    }

    /// Every child in the main namespace with this local name.
    pub fn children_named<'s>(&'s self, local: &'s str) -> impl Iterator<Item = &'s Element> {
        self.children
            .iter()
            .filter(move |c| c.in_ns && &*c.local == local)
    }

    /// Bytes of content between the tags.
    pub fn content_len(&self) -> usize {
        self.close_start - self.head_end
    }
}

pub const XML_WS: [char; 4] = [' ', '\t', '\r', '\n'];

#[derive(Debug)]
pub struct Document {
    text: String,
    root: Element,
    /// The root element's namespace.
    pub namespace: String,
    /// The encoding named in the XML declaration, if any.
    pub declared_encoding: Option<String>,
}

/// What the reader keeps of an element while its content is read.
struct Open {
    el: Element,
    /// Whether its children are kept (main namespace all the way up).
    keep: bool,
}

impl Document {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Element {
        &self.root
    }

    /// The raw text of an element, tags included.
    #[cfg(test)]
    pub fn raw(&self, el: &Element) -> &str {
        &self.text[el.start..el.end]
    }

    /// The decoded text of a leaf element (entities, character references
    /// and CDATA resolved, line ends normalized), or `None` if it has child
    /// elements.
    pub fn text_of(&self, el: &Element) -> Option<String> {
        if !el.leaf {
            return None;
        }
        Some(decode_content(&self.text[el.head_end..el.close_start]))
    }

    /// The trimmed text of the named child.
    pub fn child_text(&self, el: &Element, local: &str) -> Option<String> {
        let child = el.child(local)?;
        let t = self.text_of(child)?;
        Some(t.trim_matches(XML_WS).to_string())
    }

    /// Parse `text`.
    pub fn parse(path: &Path, text: String) -> Result<Document, SbomError> {
        let err = |offset: usize, message: String| {
            let (line, column) = line_col(&text, offset);
            SbomError::InvalidXml {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut names: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |s: &str| -> Arc<str> {
            match names.get(s) {
                Some(n) => n.clone(),
                None => {
                    let n: Arc<str> = s.into();
                    names.insert(s.to_string(), n.clone());
                    n
                }
            }
        };
        let mut reader = NsReader::from_str(&text);
        reader.config_mut().check_comments = true;
        let mut stack: Vec<Open> = Vec::new();
        let mut root: Option<Element> = None;
        let mut root_ns: Option<String> = None;
        let mut declared_encoding = None;
        let mut pos = 0usize;
        let mut seen_decl_or_content = false;
        loop {
            // The namespace is resolved into an owned name at once: the
            // resolver's answer borrows the reader.
            let read = reader.read_resolved_event().map(|(ns, event)| {
                let ns = match ns {
                    ResolveResult::Bound(n) => Ok(Some(n.0.to_string())),
                    ResolveResult::Unbound => Ok(None),
                    ResolveResult::Unknown(p) => Err(p),
                };
                (ns, event)
            });
            let (ns, event) = match read {
                Ok(x) => x,
                Err(e) => {
                    let at = reader.error_position() as usize;
                    // quick-xml's messages quote names from the input, and
                    // one speaks to its caller rather than to ours.
                    let message = match e {
                        quick_xml::Error::Namespace(NamespaceError::TooManyBindings(n)) => {
                            format!("more than {n} namespace declarations in scope")
                        }
                        e => e.to_string(),
                    };
                    let hint = match message.contains("end of input") {
                        true => " (is the file truncated?)",
                        false => "",
                    };
                    return Err(err(
                        at,
                        format!("not well-formed: {}{hint}", shown(&message)),
                    ));
                }
            };
            let end = reader.buffer_position() as usize;
            let ns_name = match ns {
                Ok(n) => n,
                Err(p) => {
                    return Err(err(
                        pos,
                        format!("the prefix {:?} is not declared", shown(&p)),
                    ));
                }
            };
            match event {
                Event::Decl(d) => {
                    if seen_decl_or_content {
                        return Err(err(pos, "an XML declaration must come first".into()));
                    }
                    if let Some(Ok(e)) = d.encoding() {
                        declared_encoding = Some(e.into_owned());
                    }
                }
                Event::DocType(_) => {
                    return Err(err(
                        pos,
                        "the document has a DOCTYPE; DTDs and entity declarations are not read (they are not part of an SBOM and could expand without bound)".into(),
                    ));
                }
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(event, Event::Empty(_));
                    if root.is_some() {
                        return Err(err(pos, "content after the root element".into()));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(err(
                            pos,
                            format!("elements nested deeper than {MAX_DEPTH} levels"),
                        ));
                    }
                    let qname = intern(s.name().0);
                    let local = intern(s.local_name().into_inner());
                    if stack.is_empty() {
                        root_ns = Some(ns_name.clone().unwrap_or_default());
                    }
                    let in_ns = ns_name.as_deref() == root_ns.as_deref()
                        || (ns_name.is_none() && root_ns.as_deref() == Some(""));
                    // Only the main namespace's content is kept; a vendor
                    // element is kept as a span.
                    let keep = in_ns && stack.last().is_none_or(|o| o.keep);
                    let attrs = if keep {
                        scan_attributes(&text, pos, end, &qname, &mut intern)
                            .map_err(|(at, m)| err(at, m))?
                    } else {
                        Vec::new()
                    };
                    let el = Element {
                        start: pos,
                        head_end: end,
                        close_start: end,
                        end,
                        empty,
                        qname,
                        local,
                        in_ns,
                        attrs,
                        children: Vec::new(),
                        leaf: true,
                    };
                    if let Some(parent) = stack.last_mut() {
                        parent.el.leaf = false;
                    }
                    if empty {
                        attach(&mut stack, &mut root, el);
                    } else {
                        stack.push(Open { el, keep });
                    }
                }
                Event::End(_) => {
                    let Some(mut open) = stack.pop() else {
                        return Err(err(pos, "an end tag without a start tag".into()));
                    };
                    open.el.close_start = pos;
                    open.el.end = end;
                    open.el.children.shrink_to_fit();
                    if !open.keep {
                        open.el.children = Vec::new();
                        open.el.attrs = Vec::new();
                    }
                    attach(&mut stack, &mut root, open.el);
                }
                Event::Text(t) => {
                    if stack.is_empty() && !t.xml10_content().trim_matches(XML_WS).is_empty() {
                        return Err(err(pos, "text outside the root element".into()));
                    }
                }
                Event::CData(_) => {
                    if stack.is_empty() {
                        return Err(err(pos, "CDATA outside the root element".into()));
                    }
                }
                Event::GeneralRef(r) => {
                    if stack.is_empty() {
                        return Err(err(pos, "a reference outside the root element".into()));
                    }
                    match r.resolve_char_ref() {
                        Ok(Some(_)) => {}
                        Ok(None) if predefined_entity(&r).is_some() => {}
                        Ok(None) => {
                            return Err(err(
                                pos,
                                format!(
                                    "the entity &{}; is not defined (only the five predefined entities and character references are read)",
                                    shown(&r)
                                ),
                            ));
                        }
                        Err(e) => return Err(err(pos, format!("bad character reference: {e}"))),
                    }
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
            seen_decl_or_content = true;
            pos = end;
        }
        if let Some(open) = stack.last() {
            return Err(err(
                text.len(),
                format!(
                    "unexpected end of file inside <{}> (is the file truncated?)",
                    shown(&open.el.qname)
                ),
            ));
        }
        let Some(root) = root else {
            return Err(err(text.len(), "the document has no root element".into()));
        };
        Ok(Document {
            namespace: root_ns.unwrap_or_default(),
            root,
            declared_encoding,
            text,
        })
    }
}

/// Keep `el` under its parent (or as the root). Children of elements
/// outside the main namespace are not kept: only their span matters.
fn attach(stack: &mut [Open], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) if parent.keep => parent.el.children.push(el),
        Some(_) => {}
        None => *root = Some(el),
    }
}

/// Decode the content of a leaf element, which the reader has already found
/// well-formed.
fn decode_content(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            out.push_str(&normalize_eol(&after[..end]));
            rest = after.get(end + 3..).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
        } else if let Some(after) = rest.strip_prefix("<?") {
            rest = after.find("?>").map_or("", |e| &after[e + 2..]);
        } else if let Some(after) = rest.strip_prefix('&') {
            let semi = after.find(';').unwrap_or(after.len());
            let name = &after[..semi];
            let c = match name.strip_prefix('#') {
                Some(num) => match num.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                }
                .and_then(char::from_u32),
                None => predefined_entity(name),
            };
            out.push(c.unwrap_or('\u{FFFD}'));
            rest = after.get(semi + 1..).unwrap_or("");
        } else {
            let end = rest.find(['<', '&']).unwrap_or(rest.len());
            out.push_str(&normalize_eol(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

fn normalize_eol(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Decode the predefined entities and character references in an attribute
/// value.
fn decode_attr(raw: &str, at: usize) -> Result<String, (usize, String)> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    let mut offset = at;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(semi) = after.find(';') else {
            return Err((
                offset + i,
                "an '&' without ';' in an attribute value".into(),
            ));
        };
        let name = &after[..semi];
        let c = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            n.and_then(char::from_u32).filter(|&c| c != '\0')
        } else {
            predefined_entity(name)
        };
        let Some(c) = c else {
            return Err((
                offset + i,
                format!(
                    "the reference &{}; in an attribute value is not defined",
                    shown(name)
                ),
            ));
        };
        out.push(c);
        offset += i + semi + 2;
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The attributes of the start tag `<qname ...>` at `start..end`, with the
/// spans of their values. quick-xml has checked the tag's outline; this reads
/// it again for positions and refuses what XML does not allow (duplicates,
/// bad quoting) and more attributes than `MAX_ATTRIBUTES`.
fn scan_attributes(
    text: &str,
    start: usize,
    end: usize,
    qname: &str,
    intern: &mut impl FnMut(&str) -> Arc<str>,
) -> Result<Vec<Attr>, (usize, String)> {
    let b = text.as_bytes();
    let mut i = start + 1 + qname.len();
    let mut out: Vec<Attr> = Vec::new();
    // Filled only once the tag has more than a few attributes.
    let mut names: HashSet<Arc<str>> = HashSet::new();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    loop {
        while i < end && is_ws(b[i]) {
            i += 1;
        }
        if i >= end || b[i] == b'>' || b[i] == b'/' {
            return Ok(out);
        }
        if out.len() == MAX_ATTRIBUTES {
            return Err((
                start,
                format!(
                    "the element <{}> has more than {MAX_ATTRIBUTES} attributes",
                    shown(qname)
                ),
            ));
        }
        let name_start = i;
        while i < end && !is_ws(b[i]) && b[i] != b'=' && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = &text[name_start..i];
        while i < end && is_ws(b[i]) {
            i += 1;
        }
        if i >= end || b[i] != b'=' {
            return Err((
                name_start,
                format!("the attribute {} has no value", shown(name)),
            ));
        }
        i += 1;
        while i < end && is_ws(b[i]) {
            i += 1;
        }
        let quote = b.get(i).copied().unwrap_or(0);
        if quote != b'"' && quote != b'\'' {
            return Err((
                i,
                format!("the value of the attribute {} is not quoted", shown(name)),
            ));
        }
        let value_start = i + 1;
        let Some(len) = text[value_start..end].find(quote as char) else {
            return Err((
                value_start,
                format!("the value of the attribute {} is not closed", shown(name)),
            ));
        };
        let value_end = value_start + len;
        let raw = &text[value_start..value_end];
        if raw.contains('<') {
            return Err((
                value_start,
                format!("'<' in the value of the attribute {}", shown(name)),
            ));
        }
        let duplicate = if out.len() < FEW_ATTRIBUTES {
            out.iter().any(|a| &*a.name == name)
        } else {
            if names.is_empty() {
                names.extend(out.iter().map(|a| a.name.clone()));
            }
            names.contains(name)
        };
        if duplicate {
            return Err((
                name_start,
                format!("the attribute {} appears twice", shown(name)),
            ));
        }
        let name = intern(name);
        if !names.is_empty() {
            names.insert(name.clone());
        }
        out.push(Attr {
            name,
            value_start,
            value_end,
            value: decode_attr(raw, value_start)?,
        });
        i = value_end + 1;
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Escape text for element content.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for a double-quoted attribute value.
pub fn escape_attr(s: &str) -> String {
    escape_text(s).replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document, String> {
        Document::parse(Path::new("x.xml"), s.to_string()).map_err(|e| e.to_string())
    }

    #[test]
    fn keeps_spans_of_elements_attributes_and_text() {
        let src = "<?xml version=\"1.0\"?>\n<!-- c -->\n<b:bom xmlns:b=\"urn:x\" version = '3'>\n  <b:c a=\"1&amp;2\"><b:n>x &lt; <![CDATA[y&]]>&#x41;</b:n><v:e xmlns:v=\"urn:v\"><b:n>no</b:n></v:e></b:c>\n  <b:e/>\n</b:bom>\n";
        let d = parse(src).unwrap();
        assert_eq!(d.namespace, "urn:x");
        let root = d.root();
        assert_eq!(&*root.qname, "b:bom");
        assert_eq!(root.prefix(), Some("b"));
        let v = root.attr("version").unwrap();
        assert_eq!(&src[v.value_start..v.value_end], "3");
        let c = root.child("c").unwrap();
        assert_eq!(c.attr("a").unwrap().value, "1&2");
        assert_eq!(d.child_text(c, "n").as_deref(), Some("x < y&A"));
        let vendor = &c.children[1];
        assert!(!vendor.in_ns);
        assert!(vendor.children.is_empty(), "vendor content is not read");
        assert_eq!(d.raw(vendor), "<v:e xmlns:v=\"urn:v\"><b:n>no</b:n></v:e>");
        let e = root.child("e").unwrap();
        assert!(e.empty);
        assert_eq!(d.raw(e), "<b:e/>");
        assert_eq!(&src[root.close_start..root.end], "</b:bom>");
    }

    #[test]
    fn refuses_dtds_entities_and_truncation() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE bom [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><bom xmlns=\"urn:x\">&x;</bom>";
        assert!(parse(xxe).unwrap_err().contains("DOCTYPE"));
        let lol = format!(
            "<!DOCTYPE l [<!ENTITY a \"{}\">{}]><l>&j;</l>",
            "x".repeat(10),
            (b'b'..=b'j')
                .map(|c| format!(
                    "<!ENTITY {} \"{}\">",
                    c as char,
                    format!("&{};", (c - 1) as char).repeat(10)
                ))
                .collect::<String>()
        );
        assert!(parse(&lol).unwrap_err().contains("DOCTYPE"));
        assert!(
            parse("<bom>&x;</bom>")
                .unwrap_err()
                .contains("&x; is not defined")
        );
        assert!(parse("<bom><a>").unwrap_err().contains("truncated"));
        assert!(
            parse("<bom a=\"1\" a=\"2\"/>")
                .unwrap_err()
                .contains("appears twice")
        );
        assert!(
            parse("<bom></bom><x/>")
                .unwrap_err()
                .contains("after the root")
        );
        assert!(
            parse("<bom><a></b></bom>")
                .unwrap_err()
                .contains("not well-formed")
        );
        assert!(parse("<p:bom/>").unwrap_err().contains("not declared"));
        assert!(parse("").unwrap_err().contains("no root element"));
        let deep = format!("{}{}", "<a>".repeat(600), "</a>".repeat(600));
        assert!(parse(&deep).unwrap_err().contains("deeper than 512"));
    }

    fn with_attributes(names: impl Iterator<Item = String>) -> String {
        let attrs: String = names.map(|n| format!(" {n}=\"v\"")).collect();
        format!("<?xml version=\"1.0\"?>\n<bom xmlns=\"urn:x\">\n  <c{attrs}/>\n</bom>\n")
    }

    /// Issue 19: the duplicate check compared each attribute with every
    /// earlier one, so 80,000 attributes on one element took 23 s and
    /// 1,000,000 did not finish in a minute. A tag now has at most
    /// `MAX_ATTRIBUTES`, and duplicates are found in a set beyond a few.
    #[test]
    fn attributes_per_element_are_capped_and_duplicates_found_far_apart() {
        let at_cap = with_attributes((0..MAX_ATTRIBUTES).map(|i| format!("a{i}")));
        let d = parse(&at_cap).unwrap();
        let c = d.root().child("c").unwrap();
        assert_eq!(c.attrs.len(), MAX_ATTRIBUTES);
        assert_eq!(c.attr("a9999").unwrap().value, "v");

        let over = with_attributes((0..=MAX_ATTRIBUTES).map(|i| format!("a{i}")));
        assert_eq!(
            parse(&over).unwrap_err(),
            "x.xml: invalid XML at line 3, column 3: the element <c> has more than 10000 attributes"
        );
        let million = with_attributes((0..1_000_000).map(|i| format!("a{i}")));
        assert!(
            parse(&million)
                .unwrap_err()
                .contains("has more than 10000 attributes")
        );

        // The first and the 9,999th, and the 17th and 18th: past the few
        // compared one by one, both ways of looking agree.
        let far = with_attributes(
            (0..9_998)
                .map(|i| format!("a{i}"))
                .chain(["a0".to_string()]),
        );
        let e = parse(&far).unwrap_err();
        assert!(e.contains("the attribute a0 appears twice"), "{e}");
        let line_start = far.find("  <c").unwrap();
        let column = far.rfind(" a0=").unwrap() + 1 - line_start + 1;
        assert!(e.contains(&format!("line 3, column {column}:")), "{e}");
        for (first, second) in [(0, 1), (15, 16), (16, 17), (17, 18), (3, 9_000)] {
            let names = (0..9_500).map(|i| match i == second {
                true => format!("a{first}"),
                false => format!("a{i}"),
            });
            let e = parse(&with_attributes(names)).unwrap_err();
            assert!(
                e.contains(&format!("the attribute a{first} appears twice")),
                "{first}, {second}: {e}"
            );
        }
    }

    /// Issue 19: names, entities and the parser's own messages quote the
    /// input; each is shown shortened.
    #[test]
    fn names_from_the_input_are_shown_bounded() {
        let long = "n".repeat(1 << 20);
        for (doc, expect) in [
            (
                format!("<bom><{long}>"),
                "unexpected end of file inside <nnn",
            ),
            (format!("<bom {long}/>"), "the attribute nnn"),
            (format!("<bom {long}=v/>"), "is not quoted"),
            (
                format!("<bom a=\"&{long};\"/>"),
                "in an attribute value is not defined",
            ),
            (format!("<bom>&{long};</bom>"), "is not defined"),
            (format!("<{long}:bom/>"), "is not declared"),
            (format!("<bom><a></{long}></bom>"), "not well-formed"),
            (
                format!(
                    "<bom{}/>",
                    (0..200)
                        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
                        .collect::<String>()
                ),
                "more than 128 namespace declarations in scope",
            ),
        ] {
            let e = parse(&doc).unwrap_err();
            assert!(e.contains(expect), "{expect}: {}", &e[..e.len().min(400)]);
            assert!(e.len() < 1_000, "{expect}: {} bytes", e.len());
        }
        let e = parse(&format!("<bom><{long}>")).unwrap_err();
        assert!(e.contains("... (1048576 bytes)"), "{e}");
    }
}
