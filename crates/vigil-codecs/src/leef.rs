//! IBM Log Event Extended Format, versions 1.0 and 2.0:
//! `LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value...` and
//! `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<D>...`.
//!
//! The LEEF 2.0 delimiter is one character or a hex code (`x09`, `0x5E`);
//! when the field is absent or empty the delimiter is a tab. Values run to
//! the next delimiter and may contain `=`. `\|` and `\\` are escapes in the
//! header. Relays such as rsyslog write a tab as `#011`; a LEEF record with
//! a tab delimiter and no tab in its attributes is split on `#011` instead.

/// One LEEF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeefEvent {
    /// `1.0` or `2.0`.
    pub version: LeefVersion,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Product version.
    pub product_version: String,
    /// Event ID.
    pub event_id: String,
    /// The attribute delimiter in effect.
    pub delimiter: char,
    /// The `key=value` attributes in order.
    pub attributes: Vec<(String, String)>,
}

/// The LEEF versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeefVersion {
    /// LEEF 1.0: tab-delimited attributes.
    V1,
    /// LEEF 2.0: a declared delimiter.
    V2,
}

impl LeefVersion {
    /// `1.0` or `2.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeefVersion::V1 => "1.0",
            LeefVersion::V2 => "2.0",
        }
    }
}

/// Why a LEEF record could not be read. Offsets count bytes from the start
/// of the text given to [`parse_leef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeefError {
    /// The text does not start with `LEEF:`.
    #[error("LEEF byte {offset}: expected `LEEF:`")]
    MissingPrefix {
        /// Where `LEEF:` was expected.
        offset: usize,
    },
    /// A version other than 1.0 and 2.0.
    #[error("LEEF byte {offset}: version `{found}` is not 1.0 or 2.0")]
    BadVersion {
        /// Where the version starts.
        offset: usize,
        /// The version text (at most 16 bytes).
        found: String,
    },
    /// Fewer than five header fields.
    #[error(
        "LEEF byte {offset}: the header ends before the {field} field (a LEEF header has Vendor|Product|Version|EventID)"
    )]
    MissingField {
        /// The first missing field.
        field: &'static str,
        /// The end of the input.
        offset: usize,
    },
    /// An attribute without `=`.
    #[error("LEEF byte {offset}: expected `key=value`, found an attribute without `=`")]
    AttributeWithoutKey {
        /// Where the attribute starts.
        offset: usize,
    },
}

const HEADER_FIELDS: [&str; 4] = ["Vendor", "Product", "Version", "EventID"];
const HEADER_ESCAPES: &[(u8, char)] = &[(b'|', '|'), (b'\\', '\\')];

/// Parses a LEEF record; leading and trailing whitespace other than the
/// delimiter is ignored.
pub fn parse_leef(input: &str) -> Result<LeefEvent, LeefError> {
    let start = input.len() - input.trim_start().len();
    let b = input.as_bytes();
    if !b[start..].starts_with(b"LEEF:") {
        return Err(LeefError::MissingPrefix { offset: start });
    }
    let version_at = start + 5;
    let version_end = memchr::memchr(b'|', &b[version_at..]).map_or(b.len(), |i| version_at + i);
    let version = match input[version_at..version_end].trim() {
        "1.0" | "1" => LeefVersion::V1,
        "2.0" | "2" => LeefVersion::V2,
        other => {
            return Err(LeefError::BadVersion {
                offset: version_at,
                found: other.chars().take(16).collect(),
            });
        }
    };
    let mut pos = version_end + 1;
    let mut header: [String; 4] = Default::default();
    for (i, field) in header.iter_mut().enumerate() {
        let end = match find_unescaped_pipe(b, pos.min(b.len())) {
            Some(end) => end,
            None if i == 3 && pos <= b.len() => b.len(),
            None if i == 0 && pos > b.len() => {
                return Err(LeefError::MissingField {
                    field: HEADER_FIELDS[0],
                    offset: b.len(),
                });
            }
            // The field ran to the end, so the next one is missing.
            None => {
                return Err(LeefError::MissingField {
                    field: HEADER_FIELDS.get(i + 1).copied().unwrap_or("EventID"),
                    offset: b.len(),
                });
            }
        };
        *field = crate::cef::unescape(&input[pos..end], HEADER_ESCAPES);
        pos = end + 1;
    }
    let mut delimiter = '\t';
    if version == LeefVersion::V2
        && pos < b.len()
        && let Some(bar) = memchr::memchr(b'|', &b[pos..])
        && let Some(declared) = parse_delimiter(&input[pos..pos + bar])
    {
        delimiter = declared;
        pos += bar + 1;
    }
    let [vendor, product, product_version, event_id] = header;
    let attributes = if pos < b.len() {
        parse_attributes(input, pos, delimiter)?
    } else {
        Vec::new()
    };
    Ok(LeefEvent {
        version,
        vendor,
        product,
        product_version,
        event_id,
        delimiter,
        attributes,
    })
}

fn find_unescaped_pipe(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let i = pos + memchr::memchr2(b'|', b'\\', b.get(pos..)?)?;
        if b[i] == b'|' {
            return Some(i);
        }
        pos = i + 2;
    }
}

/// The LEEF 2.0 delimiter field: empty (tab), one character, or a hex code
/// `xHH`/`0xHH` (up to four hex digits). Anything else is not a delimiter
/// field but the start of the attributes.
fn parse_delimiter(field: &str) -> Option<char> {
    let mut chars = field.chars();
    match (chars.next(), chars.next()) {
        (None, _) => return Some('\t'),
        (Some(c), None) if c != '=' => return Some(c),
        _ => {}
    }
    let hex = field
        .strip_prefix("0x")
        .or_else(|| field.strip_prefix("0X"))
        .or_else(|| field.strip_prefix('x'))
        .or_else(|| field.strip_prefix('X'))?;
    if hex.is_empty() || hex.len() > 4 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    (c != '=' && c != '\0').then_some(c)
}

fn parse_attributes(
    input: &str,
    start: usize,
    delimiter: char,
) -> Result<Vec<(String, String)>, LeefError> {
    let body = input[start..].trim_end_matches(['\r', '\n', '\0']);
    let relayed_tab = delimiter == '\t' && !body.contains('\t') && body.contains("#011");
    let mut pairs = Vec::new();
    let mut offset = start;
    let mut push = |segment: &str, offset: usize| -> Result<(), LeefError> {
        if segment.trim().is_empty() {
            return Ok(());
        }
        match segment.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                pairs.push((key.trim().to_owned(), value.to_owned()));
                Ok(())
            }
            _ => Err(LeefError::AttributeWithoutKey {
                offset: offset + (segment.len() - segment.trim_start().len()),
            }),
        }
    };
    if relayed_tab {
        for segment in body.split("#011") {
            push(segment, offset)?;
            offset += segment.len() + 4;
        }
    } else {
        for segment in body.split(delimiter) {
            push(segment, offset)?;
            offset += segment.len() + delimiter.len_utf8();
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn attr<'a>(e: &'a LeefEvent, key: &str) -> Option<&'a str> {
        e.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn leef_1_tab_delimited() {
        let e = parse_leef("LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black\n").unwrap();
        assert_eq!(e.version, LeefVersion::V1);
        assert_eq!(
            (
                e.vendor.as_str(),
                e.product.as_str(),
                e.product_version.as_str(),
                e.event_id.as_str()
            ),
            ("Microsoft", "MSExchange", "4.0 SP1", "15345")
        );
        assert_eq!(e.attributes.len(), 7);
        assert_eq!(attr(&e, "usrName"), Some("joe.black"));
        assert_eq!(e.delimiter, '\t');
    }

    #[test]
    fn leef_2_caret_and_hex_delimiters() {
        let e = parse_leef("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21").unwrap();
        assert_eq!(e.delimiter, '^');
        assert_eq!(attr(&e, "dst"), Some("10.0.0.5"));
        let e = parse_leef(
            "LEEF:2.0|Vendor|Product|1.0|login|x09|usrName=alice\tsrc=10.0.0.9\turl=http://a/?b=c",
        )
        .unwrap();
        assert_eq!(e.delimiter, '\t');
        assert_eq!(attr(&e, "url"), Some("http://a/?b=c"));
        let e = parse_leef("LEEF:2.0|V|P|1|E|0x7C|a=1|b=2").unwrap();
        assert_eq!(e.delimiter, '|');
        assert_eq!(
            e.attributes,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn leef_2_without_delimiter_field_and_relayed_tabs() {
        let e = parse_leef("LEEF:2.0|V|P|1|E|a=1\tb=2").unwrap();
        assert_eq!((e.delimiter, e.attributes.len()), ('\t', 2));
        let e = parse_leef("LEEF:1.0|V|P|1|E|a=1#011b=two words#011").unwrap();
        assert_eq!(
            e.attributes,
            vec![("a".into(), "1".into()), ("b".into(), "two words".into())]
        );
        let e = parse_leef(r"LEEF:1.0|V\|X|P|1|E").unwrap();
        assert_eq!(e.vendor, "V|X");
        assert!(e.attributes.is_empty());
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse_leef("CEF:0|"),
            Err(LeefError::MissingPrefix { offset: 0 })
        );
        assert_eq!(
            parse_leef("LEEF:3.0|V|P|1|E|"),
            Err(LeefError::BadVersion {
                offset: 5,
                found: "3.0".into()
            })
        );
        assert_eq!(
            parse_leef("LEEF:1.0|V|P"),
            Err(LeefError::MissingField {
                field: "Version",
                offset: 12
            })
        );
        assert_eq!(
            parse_leef("LEEF:1.0|V|P|1|E|a=1\tjunk"),
            Err(LeefError::AttributeWithoutKey { offset: 21 })
        );
        assert_eq!(
            parse_leef("LEEF:1.0").unwrap_err().to_string(),
            "LEEF byte 8: the header ends before the Vendor field (a LEEF header has Vendor|Product|Version|EventID)"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse_leef(&text);
            let _ = parse_leef(&format!("LEEF:2.0|{text}"));
            let _ = parse_leef(&format!("LEEF:2.0|a|b|c|d|{text}"));
        }

        #[test]
        fn round_trip(
            header in proptest::array::uniform4("[^|\\\\]{0,12}"),
            delimiter in prop_oneof![Just('\t'), Just('^'), Just(','), Just(';')],
            attributes in proptest::collection::vec(("[a-zA-Z][a-zA-Z0-9]{0,12}", "[^\\t^,;#\\s\\x00]([^\\t^,;#\\x00]{0,20}[^\\t^,;#\\s\\x00])?"), 0..6),
            hex in any::<bool>(),
        ) {
            let declared = if hex { format!("x{:02X}", delimiter as u32) } else { delimiter.to_string() };
            let body: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let line = format!("LEEF:2.0|{}|{declared}|{}", header.join("|"), body.join(&delimiter.to_string()));
            let e = parse_leef(&line).unwrap();
            prop_assert_eq!([e.vendor, e.product, e.product_version, e.event_id], header);
            prop_assert_eq!(e.delimiter, delimiter);
            prop_assert_eq!(e.attributes, attributes);
        }
    }
}
