//! ArcSight Common Event Format:
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
//!
//! In the header `\|` and `\\` are escapes. The extension is `key=value`
//! pairs separated by spaces; a value runs up to the space before the next
//! key, so values may contain spaces; in values `\=`, `\\`, `\n` and `\r`
//! are escapes (and `\|`, which some devices write). An unescaped `=` that
//! is not preceded by a plausible key (`url=http://x/?a=b`) is kept as part
//! of the value, as ArcSight's own parser does.

use std::fmt;

use vigil_model::Severity;

/// One CEF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CefEvent {
    /// The CEF format version (0 or 1 today).
    pub version: u16,
    /// Device Vendor.
    pub vendor: String,
    /// Device Product.
    pub product: String,
    /// Device Version.
    pub device_version: String,
    /// Signature ID (Device Event Class ID).
    pub signature_id: String,
    /// Name: what happened, in words.
    pub name: String,
    /// Severity.
    pub severity: CefSeverity,
    /// The extension's `key=value` pairs in order, values unescaped.
    pub extension: Vec<(String, String)>,
}

/// The CEF Severity header field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CefSeverity {
    /// A number 0-10.
    Level(u8),
    /// `Unknown`.
    Unknown,
    /// `Low`.
    Low,
    /// `Medium`.
    Medium,
    /// `High`.
    High,
    /// `Very-High`.
    VeryHigh,
}

impl CefSeverity {
    /// Reads `0`-`10` or `Unknown`/`Low`/`Medium`/`High`/`Very-High` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u8>() {
            return (n <= 10).then_some(CefSeverity::Level(n));
        }
        let named = [
            ("unknown", CefSeverity::Unknown),
            ("low", CefSeverity::Low),
            ("medium", CefSeverity::Medium),
            ("high", CefSeverity::High),
            ("very-high", CefSeverity::VeryHigh),
            ("very high", CefSeverity::VeryHigh),
            ("veryhigh", CefSeverity::VeryHigh),
        ];
        named
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, s)| s)
    }

    /// Vigil's severity for it: ArcSight's bands (0-3 low, 4-6 medium, 7-8
    /// high, 9-10 very high), except that 0 and `Unknown` are info, since
    /// devices use 0 for routine records.
    pub fn to_severity(self) -> Severity {
        match self {
            CefSeverity::Level(0) | CefSeverity::Unknown => Severity::Info,
            CefSeverity::Level(1..=3) | CefSeverity::Low => Severity::Low,
            CefSeverity::Level(4..=6) | CefSeverity::Medium => Severity::Medium,
            CefSeverity::Level(7..=8) | CefSeverity::High => Severity::High,
            CefSeverity::Level(_) | CefSeverity::VeryHigh => Severity::Critical,
        }
    }
}

impl fmt::Display for CefSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CefSeverity::Level(n) => write!(f, "{n}"),
            CefSeverity::Unknown => f.write_str("Unknown"),
            CefSeverity::Low => f.write_str("Low"),
            CefSeverity::Medium => f.write_str("Medium"),
            CefSeverity::High => f.write_str("High"),
            CefSeverity::VeryHigh => f.write_str("Very-High"),
        }
    }
}

/// Why a CEF record could not be read. Offsets count bytes from the start
/// of the text given to [`parse_cef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CefError {
    /// The text does not start with `CEF:`.
    #[error("CEF byte {offset}: expected `CEF:`")]
    MissingPrefix {
        /// Where `CEF:` was expected.
        offset: usize,
    },
    /// The version is not digits followed by `|`.
    #[error("CEF byte {offset}: expected the CEF version (digits) and `|`")]
    BadVersion {
        /// Where the version starts.
        offset: usize,
    },
    /// Fewer than seven header fields.
    #[error(
        "CEF byte {offset}: the header ends before the {field} field (a CEF header has 7 `|`-separated fields)"
    )]
    MissingField {
        /// The first missing field.
        field: &'static str,
        /// The end of the input.
        offset: usize,
    },
    /// The Severity field is not one CEF allows.
    #[error(
        "CEF byte {offset}: severity `{value}` is not 0-10, Unknown, Low, Medium, High or Very-High"
    )]
    BadSeverity {
        /// Where the field starts.
        offset: usize,
        /// The field (at most 64 bytes).
        value: String,
    },
    /// Extension text that is not part of any `key=value`.
    #[error("CEF byte {offset}: expected `key=value` in the extension, found text without a key")]
    TextWithoutKey {
        /// Where the text starts.
        offset: usize,
    },
}

const HEADER_FIELDS: [&str; 6] = [
    "Device Vendor",
    "Device Product",
    "Device Version",
    "Signature ID",
    "Name",
    "Severity",
];

/// Parses a CEF record; leading and trailing whitespace is ignored.
pub fn parse_cef(input: &str) -> Result<CefEvent, CefError> {
    let text = input.trim_end();
    let start = text.len() - text.trim_start().len();
    let b = text.as_bytes();
    if !b[start..].starts_with(b"CEF:") {
        return Err(CefError::MissingPrefix { offset: start });
    }
    let version_at = start + 4;
    let version_len = b[version_at..]
        .iter()
        .take(5)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let version_end = version_at + version_len;
    if version_len == 0 || version_len > 4 || b.get(version_end) != Some(&b'|') {
        return Err(CefError::BadVersion { offset: version_at });
    }
    let version = text[version_at..version_end]
        .parse::<u16>()
        .map_err(|_| CefError::BadVersion { offset: version_at })?;
    let mut fields: [String; 6] = Default::default();
    let mut pos = version_end + 1;
    let mut severity_at = pos;
    for (i, field) in fields.iter_mut().enumerate() {
        let end = match find_unescaped_pipe(b, pos) {
            Some(end) => end,
            // A record whose extension is empty may omit the last `|`.
            None if i == 5 => b.len(),
            // The field ran to the end, so the next one is missing.
            None => {
                return Err(CefError::MissingField {
                    field: HEADER_FIELDS.get(i + 1).copied().unwrap_or("Severity"),
                    offset: b.len(),
                });
            }
        };
        if i == 5 {
            severity_at = pos;
        }
        *field = unescape(&text[pos..end], HEADER_ESCAPES);
        pos = (end + 1).min(b.len());
    }
    let [
        vendor,
        product,
        device_version,
        signature_id,
        name,
        severity_text,
    ] = fields;
    let severity = CefSeverity::parse(&severity_text).ok_or_else(|| CefError::BadSeverity {
        offset: severity_at,
        value: severity_text.chars().take(64).collect(),
    })?;
    Ok(CefEvent {
        version,
        vendor,
        product,
        device_version,
        signature_id,
        name,
        severity,
        extension: parse_extension(text, pos)?,
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

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Splits `key=value key2=value with spaces` from `start` to the end of `text`.
fn parse_extension(text: &str, start: usize) -> Result<Vec<(String, String)>, CefError> {
    let b = text.as_bytes();
    let mut pairs = Vec::new();
    // (key start, key end, value start) of the pair being read.
    let mut current: Option<(usize, usize, usize)> = None;
    // The last space since the current value started: a key begins after it.
    let mut last_space: Option<usize> = None;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b' ' | b'\t' => last_space = Some(i),
            b'=' => {
                let key_start = last_space.map_or(start, |s| s + 1);
                let key = &b[key_start..i];
                let plausible = !key.is_empty() && key.iter().all(|c| is_key_byte(*c));
                match current {
                    Some((ks, ke, vs)) if plausible && last_space.is_some() => {
                        pairs.push(pair(text, ks, ke, vs, key_start));
                        current = Some((key_start, i, i + 1));
                        last_space = None;
                    }
                    Some(_) => {}
                    None => {
                        if !plausible || !text[start..key_start].trim().is_empty() {
                            return Err(CefError::TextWithoutKey {
                                offset: first_non_space(b, start),
                            });
                        }
                        current = Some((key_start, i, i + 1));
                        last_space = None;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    match current {
        Some((ks, ke, vs)) => pairs.push(pair(text, ks, ke, vs, b.len())),
        None if !text[start..].trim().is_empty() => {
            return Err(CefError::TextWithoutKey {
                offset: first_non_space(b, start),
            });
        }
        None => {}
    }
    Ok(pairs)
}

fn first_non_space(b: &[u8], from: usize) -> usize {
    from + b[from..]
        .iter()
        .take_while(|c| c.is_ascii_whitespace())
        .count()
}

fn pair(
    text: &str,
    key_start: usize,
    key_end: usize,
    value_start: usize,
    value_end: usize,
) -> (String, String) {
    let raw = text[value_start..value_end].trim_end_matches([' ', '\t']);
    (
        text[key_start..key_end].to_owned(),
        unescape(raw, EXTENSION_ESCAPES),
    )
}

const HEADER_ESCAPES: &[(u8, char)] = &[(b'|', '|'), (b'\\', '\\')];
const EXTENSION_ESCAPES: &[(u8, char)] = &[
    (b'=', '='),
    (b'\\', '\\'),
    (b'n', '\n'),
    (b'r', '\r'),
    (b'|', '|'),
];

/// Resolves backslash escapes from `table`; any other backslash is literal.
pub(crate) fn unescape(raw: &str, table: &[(u8, char)]) -> String {
    let b = raw.as_bytes();
    let Some(mut i) = memchr::memchr(b'\\', b) else {
        return raw.to_owned();
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..i]);
    loop {
        // `i` is at a backslash; `resume` is where literal text starts again.
        let resume = match b
            .get(i + 1)
            .and_then(|c| table.iter().find(|(e, _)| e == c))
        {
            Some((_, replacement)) => {
                out.push(*replacement);
                i + 2
            }
            None => {
                out.push('\\');
                i + 1
            }
        };
        match memchr::memchr(b'\\', &b[resume..]) {
            Some(offset) => {
                out.push_str(&raw[resume..resume + offset]);
                i = resume + offset;
            }
            None => {
                out.push_str(&raw[resume..]);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ext(event: &CefEvent, key: &str) -> Option<String> {
        event
            .extension
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn spec_examples_with_escapes() {
        let e = parse_cef("CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232").unwrap();
        assert_eq!(
            (e.version, e.vendor.as_str(), e.product.as_str()),
            (0, "security", "threatmanager")
        );
        assert_eq!(
            (e.signature_id.as_str(), e.name.as_str(), e.severity),
            ("100", "worm successfully stopped", CefSeverity::Level(10))
        );
        assert_eq!(e.extension.len(), 3);
        assert_eq!(ext(&e, "spt").as_deref(), Some("1232"));

        let e = parse_cef(r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1").unwrap();
        assert_eq!(e.name, "detected a | in message");
        assert_eq!(ext(&e, "act").as_deref(), Some("blocked a |"));
        let e = parse_cef(r"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1").unwrap();
        assert_eq!(e.name, r"detected a \ in packet");
        assert_eq!(ext(&e, "act").as_deref(), Some(r"blocked a \"));
        let e = parse_cef(r"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1").unwrap();
        assert_eq!(ext(&e, "act").as_deref(), Some("blocked a ="));
        assert_eq!(ext(&e, "dst").as_deref(), Some("1.1.1.1"));
        let e = parse_cef(r"CEF:0|a|b|c|d|e|Low|filePermission=2,3,7 msg=Detected a threat.\n No action needed.\r").unwrap();
        assert_eq!(
            ext(&e, "msg").as_deref(),
            Some("Detected a threat.\n No action needed.\r")
        );
        assert_eq!(e.severity, CefSeverity::Low);
    }

    #[test]
    fn fortigate_traffic_line() {
        let line = "CEF:0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|3|deviceExternalId=FGT5HD3915800610 FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=vdom1 FTNTFGTeventtime=1545938140 src=10.1.100.11 spt=54190 deviceInboundInterface=port12 dst=52.53.140.235 dpt=443 deviceOutboundInterface=port11 externalId=402 proto=6 act=close app=HTTPS FTNTFGTdstcountry=United States FTNTFGTsrccountry=Reserved out=3652 in=146668 FTNTFGTutmaction=allow";
        let e = parse_cef(line).unwrap();
        assert_eq!(e.severity.to_severity(), Severity::Low);
        assert_eq!(
            ext(&e, "FTNTFGTdstcountry").as_deref(),
            Some("United States")
        );
        assert_eq!(ext(&e, "cat").as_deref(), Some("traffic:forward"));
        assert_eq!(ext(&e, "src").as_deref(), Some("10.1.100.11"));
        assert_eq!(
            e.extension.last(),
            Some(&("FTNTFGTutmaction".to_owned(), "allow".to_owned()))
        );
    }

    #[test]
    fn check_point_line_with_escaped_equals_and_spaces() {
        let line = r"CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept rt=1543270652000 spt=49363 dpt=443 cs2Label=Rule Name layer_name=Network loguid={0x5bfc70fc,0x1,0x3b09a8c0,0xc0000000} origin=192.168.9.59 originsicname=cn\=cp_mgmt,o\=gw-313bc5..6bmyfn dst=52.173.84.157 product=VPN-1 & FireWall-1 proto=6 src=192.168.103.254";
        let e = parse_cef(line).unwrap();
        assert_eq!(e.product, "VPN-1 & FireWall-1");
        assert_eq!(e.severity, CefSeverity::Unknown);
        assert_eq!(ext(&e, "cs2Label").as_deref(), Some("Rule Name"));
        assert_eq!(
            ext(&e, "originsicname").as_deref(),
            Some("cn=cp_mgmt,o=gw-313bc5..6bmyfn")
        );
        assert_eq!(ext(&e, "product").as_deref(), Some("VPN-1 & FireWall-1"));
        assert_eq!(ext(&e, "src").as_deref(), Some("192.168.103.254"));
    }

    #[test]
    fn palo_alto_line_with_empty_values_and_url() {
        let line = r"CEF:0|Palo Alto Networks|PAN-OS|9.1.0|url|THREAT|7|rt=Mar 01 2021 12:00:00 GMT deviceExternalId=0123456789 src=10.0.0.1 dst=8.8.8.8 cs1Label=Rule cs1=allow-web suser=acme\\jdoe duser= cs3= request=http://example.com/a?b=c&d=e act=alert";
        let e = parse_cef(line).unwrap();
        assert_eq!(e.severity.to_severity(), Severity::High);
        assert_eq!(ext(&e, "rt").as_deref(), Some("Mar 01 2021 12:00:00 GMT"));
        assert_eq!(ext(&e, "suser").as_deref(), Some(r"acme\jdoe"));
        assert_eq!(ext(&e, "duser").as_deref(), Some(""));
        assert_eq!(ext(&e, "cs3").as_deref(), Some(""));
        assert_eq!(
            ext(&e, "request").as_deref(),
            Some("http://example.com/a?b=c&d=e")
        );
        assert_eq!(ext(&e, "act").as_deref(), Some("alert"));
    }

    #[test]
    fn header_only_and_severity_names() {
        let e = parse_cef("  CEF:1|V|P|1|sig|name|Very-High|  \n").unwrap();
        assert!(e.extension.is_empty());
        assert_eq!(e.severity.to_severity(), Severity::Critical);
        assert_eq!(
            parse_cef("CEF:0|V|P|1|sig|name|medium").unwrap().severity,
            CefSeverity::Medium
        );
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            parse_cef("LEEF:1.0|x"),
            Err(CefError::MissingPrefix { offset: 0 })
        );
        assert_eq!(
            parse_cef("CEF:x|a"),
            Err(CefError::BadVersion { offset: 4 })
        );
        assert_eq!(
            parse_cef("CEF:0|V|P|1"),
            Err(CefError::MissingField {
                field: "Signature ID",
                offset: 11
            })
        );
        assert_eq!(
            parse_cef("CEF:0|V|P|1|s|n|11|a=b"),
            Err(CefError::BadSeverity {
                offset: 16,
                value: "11".into()
            })
        );
        assert_eq!(
            parse_cef("CEF:0|V|P|1|s|n|5| junk a=b"),
            Err(CefError::TextWithoutKey { offset: 19 })
        );
        assert_eq!(
            parse_cef("CEF:0|V|P|1|s|n|5|no key here"),
            Err(CefError::TextWithoutKey { offset: 18 })
        );
        let message = parse_cef("CEF:0|V|P").unwrap_err().to_string();
        assert_eq!(
            message,
            "CEF byte 9: the header ends before the Device Version field (a CEF header has 7 `|`-separated fields)"
        );
    }

    #[test]
    fn unescape_handles_runs_and_trailing_backslash() {
        assert_eq!(unescape(r"a\\\\b", EXTENSION_ESCAPES), r"a\\b");
        assert_eq!(unescape(r"a\=\=b\x\", EXTENSION_ESCAPES), r"a==b\x\");
        assert_eq!(unescape(r"\\", HEADER_ESCAPES), r"\");
        assert_eq!(unescape(r"\\\|x\n", HEADER_ESCAPES), r"\|x\n");
    }

    fn escape_header(s: &str) -> String {
        s.replace('\\', r"\\").replace('|', r"\|")
    }

    fn escape_value(s: &str) -> String {
        s.replace('\\', r"\\")
            .replace('=', r"\=")
            .replace('\n', r"\n")
            .replace('\r', r"\r")
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse_cef(&text);
            let _ = parse_cef(&format!("CEF:0|{text}"));
        }

        #[test]
        fn arbitrary_extension_never_panics(text in "[a-z =\\\\|\\s.]{0,120}") {
            let _ = parse_cef(&format!("CEF:0|a|b|c|d|e|5|{text}"));
        }

        #[test]
        fn round_trip(
            header in proptest::array::uniform5(".{0,20}"),
            severity in 0u8..=10,
            extension in proptest::collection::vec(("[a-zA-Z][a-zA-Z0-9]{0,15}", ".{0,30}"), 0..8),
        ) {
            let extension: Vec<(String, String)> = extension.into_iter().map(|(k, v)| (k, v.trim().to_owned())).collect();
            let head: Vec<String> = header.iter().map(|h| escape_header(h)).collect();
            let ext_text: Vec<String> = extension.iter().map(|(k, v)| format!("{k}={}", escape_value(v))).collect();
            let line = format!("CEF:0|{}|{severity}|{}", head.join("|"), ext_text.join(" "));
            let e = parse_cef(&line).unwrap();
            prop_assert_eq!([e.vendor, e.product, e.device_version, e.signature_id, e.name], header);
            prop_assert_eq!(e.severity, CefSeverity::Level(severity));
            prop_assert_eq!(e.extension, extension);
        }
    }
}
