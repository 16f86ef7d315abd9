//! A small, bounded, namespace-aware element tree over `quick-xml`, enough
//! for SOAP messages: names are (namespace URI, local name), prefixes are
//! resolved where they are declared, and the namespace of a prefix inside
//! text (ONVIF topic expressions such as `tns1:VideoSource/MotionAlarm`) is
//! resolved in the scope of the element holding it.
//!
//! Bounds: nesting depth, element count and text size are capped, and a
//! document type declaration is refused, so no input can make the parser
//! use unbounded memory or expand entities.

use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 32;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 20_000;
/// Most text (all elements together) accepted, in bytes.
pub const MAX_TEXT: usize = 1 << 20;

/// What was wrong with a document, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XML at byte {offset}: {reason}")]
pub struct XmlError {
    /// Byte offset in the document.
    pub offset: u64,
    /// What was wrong.
    pub reason: String,
}

/// An attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Its namespace, when prefixed.
    pub ns: Option<String>,
    /// Its local name.
    pub name: String,
    /// Its value, unescaped.
    pub value: String,
}

/// An element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Its namespace URI.
    pub ns: Option<String>,
    /// Its local name.
    pub name: String,
    /// Its attributes.
    pub attrs: Vec<Attr>,
    /// Its child elements.
    pub children: Vec<Element>,
    /// Its text (all text nodes, trimmed).
    pub text: String,
    /// When the text starts with `prefix:`, the namespace of that prefix in
    /// this element's scope.
    pub text_prefix_ns: Option<String>,
}

impl Element {
    /// Whether it is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child `{ns}name`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Every descendant `{ns}name`, document order, not looking inside matches.
    pub fn find_all<'a>(&'a self, ns: &str, name: &str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.is(ns, name) {
                out.push(c);
            } else {
                c.find_all(ns, name, out);
            }
        }
    }

    /// The first descendant `{ns}name`.
    pub fn find(&self, ns: &str, name: &str) -> Option<&Element> {
        let mut out = Vec::new();
        self.find_all(ns, name, &mut out);
        out.into_iter().next()
    }

    /// The value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }
}

fn ns_of(r: ResolveResult<'_>) -> Option<String> {
    match r {
        ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        _ => None,
    }
}

/// Parses a document into its root element.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(xml);
    // Text is trimmed per element at its end: trimming per text node would
    // eat the spaces around entity references.
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut elements = 0usize;
    let mut text_total = 0usize;
    let err = |reader: &NsReader<&[u8]>, reason: String| XmlError {
        offset: reader.buffer_position(),
        reason,
    };
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, e)) => (ns_of(ns), e),
            Err(e) => {
                return Err(XmlError {
                    offset: reader.error_position(),
                    reason: e.to_string(),
                });
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(err(&reader, format!("more than {MAX_ELEMENTS} elements")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(&reader, format!("nested deeper than {MAX_DEPTH}")));
                }
                let mut el = Element {
                    ns,
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Default::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| err(&reader, e.to_string()))?;
                    let key = a.key.as_ref();
                    if key == b"xmlns" || key.starts_with(b"xmlns:") {
                        continue;
                    }
                    let (ans, local) = reader.resolve_attribute(a.key);
                    let value = a
                        .unescape_value()
                        .map_err(|e| err(&reader, e.to_string()))?
                        .into_owned();
                    text_total += value.len();
                    el.attrs.push(Attr {
                        ns: ns_of(ans),
                        name: String::from_utf8_lossy(local.as_ref()).into_owned(),
                        value,
                    });
                }
                if matches!(event, Event::Empty(_)) {
                    if stack.is_empty() {
                        return Ok(el);
                    }
                    attach(&mut stack, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(err(&reader, "end tag without a start".into()));
                };
                el.text = el.text.trim().to_owned();
                if let Some((prefix, _)) = el.text.split_once(':')
                    && !prefix.is_empty()
                    && prefix
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
                {
                    // The End event's scope is still the element's own.
                    let probe = format!("{prefix}:x");
                    el.text_prefix_ns = ns_of(reader.resolve_element(QName(probe.as_bytes())).0);
                }
                if stack.is_empty() {
                    return Ok(el);
                }
                attach(&mut stack, el);
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| err(&reader, e.to_string()))?;
                push_text(&mut stack, &text, &mut text_total).map_err(|r| err(&reader, r))?;
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| err(&reader, e.to_string()))?;
                push_text(&mut stack, &text, &mut text_total).map_err(|r| err(&reader, r))?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r
                    .resolve_char_ref()
                    .map_err(|e| err(&reader, e.to_string()))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| err(&reader, e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| err(&reader, format!("unknown entity `&{name};`")))?
                            .to_owned()
                    }
                };
                push_text(&mut stack, &resolved, &mut text_total).map_err(|r| err(&reader, r))?;
            }
            Event::DocType(_) => {
                return Err(err(
                    &reader,
                    "document type declarations are not accepted".into(),
                ));
            }
            Event::Eof => {
                return Err(err(
                    &reader,
                    "the document ended before its root element closed".into(),
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

fn attach(stack: &mut [Element], el: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(el);
    }
}

fn push_text(stack: &mut [Element], text: &str, total: &mut usize) -> Result<(), String> {
    *total += text.len();
    if *total > MAX_TEXT {
        return Err(format!("more than {MAX_TEXT} bytes of text"));
    }
    if let Some(el) = stack.last_mut() {
        el.text.push_str(text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_and_text_prefixes_resolve_in_scope() {
        let doc = parse(
            r#"<?xml version="1.0"?><a:root xmlns:a="urn:a" xmlns:t="urn:topics"><a:x k="1 &amp; 2">t:Path/Leaf</a:x><y xmlns:t="urn:other">t:Other &#65;</y><a:e/></a:root>"#,
        )
        .unwrap();
        assert!(doc.is("urn:a", "root"));
        let x = doc.child("urn:a", "x").unwrap();
        assert_eq!(x.attr("k"), Some("1 & 2"));
        assert_eq!(x.text, "t:Path/Leaf");
        assert_eq!(x.text_prefix_ns.as_deref(), Some("urn:topics"));
        let y = &doc.children[1];
        assert_eq!((y.ns.as_deref(), y.text.as_str()), (None, "t:Other A"));
        assert_eq!(
            y.text_prefix_ns.as_deref(),
            Some("urn:other"),
            "the inner declaration wins"
        );
        assert!(doc.find("urn:a", "e").is_some());
    }

    #[test]
    fn hostile_documents_are_refused_with_a_place() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).unwrap_err().reason.contains("deeper"));
        let bomb = r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert!(parse(bomb).unwrap_err().reason.contains("document type"));
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").unwrap_err().reason.contains("ended"));
        assert!(
            parse("<a>&nope;</a>")
                .unwrap_err()
                .reason
                .contains("unknown entity")
        );
    }

    proptest! {
        #[test]
        fn the_parser_never_panics(text in "\\PC{0,200}") {
            let _ = parse(&text);
        }

        #[test]
        fn tag_soup_never_panics(text in "(<[a-z:]{1,4}( [a-z:]{1,3}=\"[^\"]{0,4}\")?/?>|</[a-z:]{1,4}>|[a-z &;#0-9]{0,5}){0,30}") {
            let _ = parse(&text);
        }
    }
}
