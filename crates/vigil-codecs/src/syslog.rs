//! Syslog messages: RFC 5424 and RFC 3164 (BSD), told apart by the header.
//!
//! A message is one datagram or one TCP frame (see [`crate::framing`]).
//! Leading and trailing whitespace, newlines and NULs are ignored. The
//! message text is kept lossily when it is not UTF-8; only a malformed
//! header is an error. A PRI (`<N>`) is required: without one there is no
//! telling syslog from noise, and noise belongs in a dead letter.

use std::fmt;

use vigil_model::Timestamp;

use crate::timestamp::{parse_bsd, parse_iso};

/// One syslog message, header decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage {
    /// Which header format it had.
    pub format: SyslogFormat,
    /// Facility code, 0-23 (`PRI / 8`).
    pub facility: u8,
    /// Severity code, 0 (emergency) to 7 (debug) (`PRI % 8`).
    pub severity: u8,
    /// RFC 5424 VERSION; `None` for BSD messages.
    pub version: Option<u16>,
    /// The header time, if it had one (BSD times without a zone are UTC).
    pub timestamp: Option<Timestamp>,
    /// HOSTNAME, when present and not NILVALUE.
    pub hostname: Option<String>,
    /// APP-NAME, or the BSD TAG without its `[pid]`.
    pub app_name: Option<String>,
    /// PROCID, or the `pid` of a BSD `tag[pid]:`.
    pub procid: Option<String>,
    /// MSGID (RFC 5424 only).
    pub msgid: Option<String>,
    /// STRUCTURED-DATA elements in order (RFC 5424 only).
    pub structured_data: Vec<SdElement>,
    /// MSG, without a leading UTF-8 BOM, invalid UTF-8 replaced by U+FFFD.
    pub message: String,
}

/// The two syslog header formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFormat {
    /// RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
    Rfc5424,
    /// RFC 3164 and the BSD variants seen in the wild.
    Rfc3164,
}

/// One RFC 5424 SD-ELEMENT: `[id name="value" ...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdElement {
    /// SD-ID, e.g. `exampleSDID@32473` or `origin`.
    pub id: String,
    /// The parameters in order, values unescaped; a name may repeat.
    pub params: Vec<(String, String)>,
}

/// What stood where the parser expected something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The input ended.
    End,
    /// This byte.
    Byte(u8),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Found::End => f.write_str("end of input"),
            Found::Byte(b) if b.is_ascii_graphic() => write!(f, "`{}`", b as char),
            Found::Byte(b' ') => f.write_str("a space"),
            Found::Byte(b) => write!(f, "byte 0x{b:02x}"),
        }
    }
}

/// Why a syslog header could not be read. Offsets count bytes from the
/// start of the input as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyslogError {
    /// Nothing but whitespace.
    #[error("empty syslog message")]
    Empty,
    /// A header part was missing or malformed.
    #[error("syslog byte {offset}: expected {expected}, found {found}")]
    Unexpected {
        /// Byte offset of the problem.
        offset: usize,
        /// What the header needed there.
        expected: &'static str,
        /// What was there instead.
        found: Found,
    },
    /// The PRI number was above 191 (facility 23, severity 7).
    #[error("syslog byte {offset}: PRI {value} is out of range 0-191")]
    PriOutOfRange {
        /// Byte offset of the first PRI digit.
        offset: usize,
        /// The number found.
        value: u16,
    },
    /// An RFC 5424 TIMESTAMP that is neither `-` nor RFC 3339.
    #[error("syslog byte {offset}: `{text}` is not an RFC 3339 timestamp or `-`")]
    BadTimestamp {
        /// Byte offset of the timestamp.
        offset: usize,
        /// The timestamp text (lossy, at most 64 bytes).
        text: String,
    },
}

/// Parses one syslog message, RFC 5424 or RFC 3164, whichever its header is.
///
/// `reference` supplies the year for BSD timestamps that have none (the
/// year putting the time nearest `reference` is chosen); pass the receive
/// time.
pub fn parse_syslog(input: &[u8], reference: Timestamp) -> Result<SyslogMessage, SyslogError> {
    let start = input
        .iter()
        .position(|b| !is_padding(*b))
        .ok_or(SyslogError::Empty)?;
    let end = input
        .iter()
        .rposition(|b| !is_padding(*b))
        .map_or(start, |e| e + 1);
    let b = &input[..end];
    let (pri, pos) = parse_pri(b, start)?;
    let mut message = SyslogMessage {
        format: SyslogFormat::Rfc3164,
        facility: (pri / 8) as u8,
        severity: (pri % 8) as u8,
        version: None,
        timestamp: None,
        hostname: None,
        app_name: None,
        procid: None,
        msgid: None,
        structured_data: Vec::new(),
        message: String::new(),
    };
    match version_at(b, pos) {
        Some((version, after)) => {
            message.format = SyslogFormat::Rfc5424;
            message.version = Some(version);
            parse_5424_rest(b, after, &mut message)?;
        }
        None => parse_3164_rest(b, pos, reference, &mut message),
    }
    Ok(message)
}

fn is_padding(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

fn found(b: &[u8], pos: usize) -> Found {
    b.get(pos).map_or(Found::End, |c| Found::Byte(*c))
}

fn unexpected(b: &[u8], offset: usize, expected: &'static str) -> SyslogError {
    SyslogError::Unexpected {
        offset,
        expected,
        found: found(b, offset),
    }
}

fn parse_pri(b: &[u8], start: usize) -> Result<(u16, usize), SyslogError> {
    if b.get(start) != Some(&b'<') {
        return Err(unexpected(b, start, "`<` opening the PRI"));
    }
    let digits_at = start + 1;
    let digit_count = b[digits_at..]
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digit_count == 0 {
        return Err(unexpected(b, digits_at, "PRI digits"));
    }
    if digit_count > 3 {
        return Err(unexpected(
            b,
            digits_at + 3,
            "`>` closing the PRI (at most 3 digits)",
        ));
    }
    let close = digits_at + digit_count;
    if b.get(close) != Some(&b'>') {
        return Err(unexpected(b, close, "`>` closing the PRI"));
    }
    let value = b[digits_at..close]
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    if value > 191 {
        return Err(SyslogError::PriOutOfRange {
            offset: digits_at,
            value,
        });
    }
    Ok((value, close + 1))
}

/// An RFC 5424 VERSION: one or two digits, not starting with 0, then a
/// space and the start of a TIMESTAMP. Requiring the timestamp's start
/// keeps BSD content such as `<13>1 day left` out of the RFC 5424 parser.
fn version_at(b: &[u8], pos: usize) -> Option<(u16, usize)> {
    let first = *b.get(pos)?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut end = pos + 1;
    if b.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if b.get(end) != Some(&b' ')
        || !b
            .get(end + 1)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
    {
        return None;
    }
    let version = b[pos..end]
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((version, end + 1))
}

/// A header field of RFC 5424: printable bytes up to the next space, which
/// must follow. `-` alone is NILVALUE.
fn header_field<'a>(
    b: &'a [u8],
    pos: usize,
    name: &'static str,
    space_after: &'static str,
) -> Result<(Option<&'a [u8]>, usize), SyslogError> {
    let len = b[pos..].iter().take_while(|c| **c != b' ').count();
    if len == 0 {
        return Err(unexpected(b, pos, name));
    }
    let end = pos + len;
    if b.get(end) != Some(&b' ') {
        return Err(unexpected(b, end, space_after));
    }
    let value = &b[pos..end];
    Ok(((value != b"-").then_some(value), end + 1))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_5424_rest(b: &[u8], mut pos: usize, m: &mut SyslogMessage) -> Result<(), SyslogError> {
    let (timestamp, next) = header_field(b, pos, "TIMESTAMP", "a space after TIMESTAMP")?;
    if let Some(text) = timestamp {
        let parsed = std::str::from_utf8(text).ok().and_then(parse_iso);
        m.timestamp = Some(parsed.ok_or_else(|| SyslogError::BadTimestamp {
            offset: pos,
            text: String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned(),
        })?);
    }
    pos = next;
    let (hostname, next) = header_field(b, pos, "HOSTNAME", "a space after HOSTNAME")?;
    let (app_name, next) = header_field(b, next, "APP-NAME", "a space after APP-NAME")?;
    let (procid, next) = header_field(b, next, "PROCID", "a space after PROCID")?;
    let msgid_len = b[next..].iter().take_while(|c| **c != b' ').count();
    if msgid_len == 0 {
        return Err(unexpected(b, next, "MSGID"));
    }
    let msgid = &b[next..next + msgid_len];
    pos = next + msgid_len;
    if b.get(pos) != Some(&b' ') {
        return Err(unexpected(
            b,
            pos,
            "a space and STRUCTURED-DATA after MSGID",
        ));
    }
    pos += 1;
    m.hostname = hostname.map(lossy);
    m.app_name = app_name.map(lossy);
    m.procid = procid.map(lossy);
    m.msgid = (msgid != b"-").then(|| lossy(msgid));
    pos = match b.get(pos) {
        Some(b'-') => pos + 1,
        Some(b'[') => parse_structured_data(b, pos, &mut m.structured_data)?,
        _ => return Err(unexpected(b, pos, "`[` or `-` starting STRUCTURED-DATA")),
    };
    match b.get(pos) {
        None => {}
        Some(b' ') => m.message = message_text(&b[pos + 1..]),
        Some(_) => return Err(unexpected(b, pos, "a space before MSG, or the end")),
    }
    Ok(())
}

fn message_text(bytes: &[u8]) -> String {
    lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
}

/// One or more SD-ELEMENTs from the `[` at `pos`; returns the offset after them.
fn parse_structured_data(
    b: &[u8],
    mut pos: usize,
    out: &mut Vec<SdElement>,
) -> Result<usize, SyslogError> {
    while b.get(pos) == Some(&b'[') {
        pos += 1;
        let id_len = b[pos..]
            .iter()
            .take_while(|c| !matches!(**c, b' ' | b']' | b'=' | b'"'))
            .count();
        if id_len == 0 {
            return Err(unexpected(b, pos, "SD-ID"));
        }
        let mut element = SdElement {
            id: lossy(&b[pos..pos + id_len]),
            params: Vec::new(),
        };
        pos += id_len;
        loop {
            match b.get(pos) {
                Some(b']') => {
                    pos += 1;
                    break;
                }
                Some(b' ') => {
                    pos += 1;
                    let (param, next) = parse_sd_param(b, pos)?;
                    element.params.push(param);
                    pos = next;
                }
                _ => {
                    return Err(unexpected(
                        b,
                        pos,
                        "a space and SD-PARAM, or `]` closing SD-ELEMENT",
                    ));
                }
            }
        }
        out.push(element);
    }
    Ok(pos)
}

fn parse_sd_param(b: &[u8], pos: usize) -> Result<((String, String), usize), SyslogError> {
    let name_len = b[pos..]
        .iter()
        .take_while(|c| !matches!(**c, b' ' | b']' | b'=' | b'"'))
        .count();
    if name_len == 0 {
        return Err(unexpected(b, pos, "PARAM-NAME"));
    }
    let name = lossy(&b[pos..pos + name_len]);
    let mut at = pos + name_len;
    if b.get(at) != Some(&b'=') {
        return Err(unexpected(b, at, "`=` after PARAM-NAME"));
    }
    at += 1;
    if b.get(at) != Some(&b'"') {
        return Err(unexpected(b, at, "`\"` opening PARAM-VALUE"));
    }
    at += 1;
    let mut value = Vec::new();
    loop {
        let Some(i) = memchr::memchr2(b'"', b'\\', &b[at..]) else {
            return Err(unexpected(b, b.len(), "`\"` closing PARAM-VALUE"));
        };
        value.extend_from_slice(&b[at..at + i]);
        at += i;
        if b[at] == b'"' {
            return Ok(((name, String::from_utf8_lossy(&value).into_owned()), at + 1));
        }
        // RFC 5424 6.3.3: only `"`, `\` and `]` are escaped; any other
        // backslash is an ordinary character.
        match b.get(at + 1) {
            Some(&c @ (b'"' | b'\\' | b']')) => {
                value.push(c);
                at += 2;
            }
            _ => {
                value.push(b'\\');
                at += 1;
            }
        }
    }
}

fn parse_3164_rest(b: &[u8], mut pos: usize, reference: Timestamp, m: &mut SyslogMessage) {
    pos = skip_spaces(b, pos);
    let rest = &b[pos..];
    if let Some((t, used)) = parse_bsd(rest, reference) {
        m.timestamp = Some(t);
        pos += used;
        pos += bsd_zone_and_year_len(&b[pos..]);
    } else if rest.first().is_some_and(u8::is_ascii_digit) {
        let len = token_len(rest);
        if let Some(t) = std::str::from_utf8(&rest[..len]).ok().and_then(parse_iso) {
            m.timestamp = Some(t);
            pos += len;
        }
    }
    if m.timestamp.is_some() {
        // Cisco writes `Mar  1 18:46:11.123: %SYS-5-...`.
        if b.get(pos) == Some(&b':') {
            pos += 1;
        }
        pos = skip_spaces(b, pos);
        let host = &b[pos..pos + token_len(&b[pos..])];
        if looks_like_hostname(host) {
            m.hostname = Some(lossy(host));
            pos = skip_spaces(b, pos + host.len());
        }
    }
    let tag = &b[pos..pos + token_len(&b[pos..])];
    if let Some((app, pid)) = split_tag(tag) {
        m.app_name = Some(lossy(app));
        m.procid = pid.map(lossy);
        pos += tag.len();
        if b.get(pos) == Some(&b' ') {
            pos += 1;
        }
    }
    m.message = message_text(&b[pos..]);
}

/// The RFC 3164 example `Aug 24 05:34:00 CST 1987`: an upper-case zone
/// name and a year after the time. The zone is dropped (times are UTC); the
/// year is ignored too, as the nearest-year rule already placed the time.
fn bsd_zone_and_year_len(b: &[u8]) -> usize {
    let zone = b.get(1..).map_or(0, |z| {
        z.iter().take_while(|c| c.is_ascii_uppercase()).count()
    });
    let year_at = 1 + zone + 1;
    let is_year = b
        .get(year_at..year_at + 4)
        .is_some_and(|y| y.iter().all(u8::is_ascii_digit));
    if b.first() == Some(&b' ')
        && (3..=4).contains(&zone)
        && b.get(1 + zone) == Some(&b' ')
        && is_year
        && b.get(year_at + 4).is_none_or(|c| *c == b' ')
    {
        year_at + 4
    } else {
        0
    }
}

fn skip_spaces(b: &[u8], pos: usize) -> usize {
    pos + b[pos..].iter().take_while(|c| **c == b' ').count()
}

fn token_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| **c != b' ').count()
}

fn is_payload_start(token: &[u8]) -> bool {
    token.starts_with(b"CEF:") || token.starts_with(b"LEEF:")
}

/// A BSD HOSTNAME: a name or address, not a tag (`su:`, `cron[1]`) and not
/// the start of a CEF or LEEF payload.
fn looks_like_hostname(token: &[u8]) -> bool {
    !token.is_empty()
        && token.len() <= 255
        && !token.ends_with(b":")
        && !is_payload_start(token)
        && token
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':'))
}

/// A BSD TAG: `app:`, `app[pid]:` or `app[pid]`. Returns the app and pid.
fn split_tag(token: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    if is_payload_start(token) || token.len() > 128 {
        return None;
    }
    let (body, had_colon) = match token.strip_suffix(b":") {
        Some(body) => (body, true),
        None => (token, false),
    };
    let (app, pid) = match body
        .strip_suffix(b"]")
        .and_then(|b| memchr::memchr(b'[', b).map(|i| (b, i)))
    {
        Some((inner, open)) => (&inner[..open], Some(&inner[open + 1..])),
        None if had_colon => (body, None),
        None => return None,
    };
    let plain = |s: &[u8]| {
        s.iter()
            .all(|c| c.is_ascii_graphic() && !matches!(c, b'[' | b']' | b'=' | b'"'))
    };
    (!app.is_empty() && plain(app) && pid.is_none_or(plain)).then_some((app, pid))
}
