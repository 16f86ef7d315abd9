//! SIA DC-09 frames: the envelope, the header, and the unencrypted content.
//!
//! ```text
//! LF  CRC  0LLL  "id" seq Rrcvr Lpref #acct [data] [x…]… _HH:MM:SS,MM-DD-YYYY  CR
//!     └─┬┘ └┬─┘  └──────────────────────── body ─────────────────────────────┘
//!  CRC-16/ARC and length (both 4 ASCII hex digits) of the body
//! ```
//!
//! The body is ASCII; CR never occurs inside it, so a stream is cut into
//! frames by LF…CR and the length field is then checked, not trusted. In an
//! encrypted frame (`"*SIA-DCS"`) everything after `[` is hex ciphertext; its
//! plaintext is `pad|data]…_timestamp` and is parsed by [`parse_content`]
//! after decryption.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// CRC-16/ARC (polynomial 0x8005 reflected, initial value 0), as DC-09 asks.
static CRC16_ARC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_ARC);

/// The CRC of `body` as DC-09 computes it.
pub fn crc16(body: &[u8]) -> u16 {
    CRC16_ARC.checksum(body)
}

/// Longest frame accepted (LF to CR inclusive). The standard's data field is
/// far shorter; this bounds what a broken sender can make us buffer.
pub const MAX_FRAME_BYTES: usize = 4096;

/// What was wrong with a frame. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame is shorter than LF, CRC, length and CR.
    #[error("frame is {0} bytes; LF, CRC, length and CR alone need 10")]
    TooShort(usize),
    /// Byte 0 is not LF.
    #[error("byte 0 is 0x{0:02x}, not LF")]
    NoLineFeed(u8),
    /// The last byte is not CR.
    #[error("the frame does not end with CR")]
    NoCarriageReturn,
    /// The frame is longer than [`MAX_FRAME_BYTES`].
    #[error("frame is longer than {MAX_FRAME_BYTES} bytes")]
    TooLong,
    /// Bytes 1–4 are not four hex digits.
    #[error("CRC field `{0}` (bytes 1-4) is not 4 hex digits")]
    BadCrcField(String),
    /// Bytes 5–8 are not four hex digits.
    #[error("length field `{0}` (bytes 5-8) is not 4 hex digits")]
    BadLengthField(String),
    /// The CRC does not match the body.
    #[error("CRC mismatch: the frame says {stated:04X}, the body computes to {computed:04X}")]
    CrcMismatch {
        /// The CRC field.
        stated: u16,
        /// The CRC of the body received.
        computed: u16,
    },
    /// The length field does not match the body.
    #[error("length mismatch: the frame says {stated} bytes, the body is {actual}")]
    LengthMismatch {
        /// The length field.
        stated: usize,
        /// The body's length.
        actual: usize,
    },
    /// The body (or a decrypted content) is malformed at `offset`.
    #[error("body byte {offset}: {reason}")]
    Body {
        /// Byte offset within the body (or the decrypted content).
        offset: usize,
        /// What was expected there.
        reason: String,
    },
}

fn body_error(offset: usize, reason: impl Into<String>) -> FrameError {
    FrameError::Body {
        offset,
        reason: reason.into(),
    }
}

/// A frame whose envelope checked out: CRC and length match the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The CRC field.
    pub crc: u16,
    /// The body: from the first quote to before CR.
    pub body: &'a [u8],
}

fn hex4(field: &[u8]) -> Option<u16> {
    if field.len() != 4 || !field.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()
}

/// Checks a whole frame (LF … CR): shape, CRC, then length.
pub fn parse_envelope(frame: &[u8]) -> Result<Envelope<'_>, FrameError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLong);
    }
    if frame.len() < 10 {
        return Err(FrameError::TooShort(frame.len()));
    }
    let (&first, rest) = frame.split_first().ok_or(FrameError::TooShort(0))?;
    if first != b'\n' {
        return Err(FrameError::NoLineFeed(first));
    }
    let (&last, inner) = rest.split_last().ok_or(FrameError::TooShort(1))?;
    if last != b'\r' {
        return Err(FrameError::NoCarriageReturn);
    }
    let (crc_field, after_crc) = inner.split_at(4);
    let (len_field, body) = after_crc.split_at(4);
    let stated_crc = hex4(crc_field)
        .ok_or_else(|| FrameError::BadCrcField(String::from_utf8_lossy(crc_field).into()))?;
    let stated_len = hex4(len_field)
        .ok_or_else(|| FrameError::BadLengthField(String::from_utf8_lossy(len_field).into()))?;
    let computed = crc16(body);
    if computed != stated_crc {
        return Err(FrameError::CrcMismatch {
            stated: stated_crc,
            computed,
        });
    }
    if usize::from(stated_len) != body.len() {
        return Err(FrameError::LengthMismatch {
            stated: usize::from(stated_len),
            actual: body.len(),
        });
    }
    Ok(Envelope {
        crc: stated_crc,
        body,
    })
}

/// Wraps `body` into a frame: LF, CRC, length, body, CR.
pub fn build_frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 10);
    out.push(b'\n');
    out.extend_from_slice(format!("{:04X}{:04X}", crc16(body), body.len() & 0xffff).as_bytes());
    out.extend_from_slice(body);
    out.push(b'\r');
    out
}

/// The header of a frame: everything before `[`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Whether the content is encrypted (`*` before the token).
    pub encrypted: bool,
    /// The message type (`SIA-DCS`, `ADM-CID`, `NULL` …), without `*`.
    pub token: String,
    /// The sequence number, four characters, echoed as received.
    pub sequence: String,
    /// The receiver number (`R` prefix), as received.
    pub receiver: Option<String>,
    /// The line number (`L` prefix), as received.
    pub line: Option<String>,
    /// The account prefix (`A`), which a receiver's NAK carries instead of
    /// an account (`R0L0A0`).
    pub account_prefix: Option<String>,
    /// The account (`#` prefix); empty when the frame has only `A`.
    pub account: String,
}

impl Header {
    /// The header as it is echoed in a response: `seq[Rr][Ll]#acct`.
    pub fn echo(&self) -> String {
        let mut out = self.sequence.clone();
        if let Some(r) = &self.receiver {
            out.push('R');
            out.push_str(r);
        }
        if let Some(l) = &self.line {
            out.push('L');
            out.push_str(l);
        }
        if let Some(a) = &self.account_prefix {
            out.push('A');
            out.push_str(a);
        }
        if !self.account.is_empty() || self.account_prefix.is_none() {
            out.push('#');
            out.push_str(&self.account);
        }
        out
    }
}

/// Longest account accepted (the standard allows 3 to 16 characters).
pub const MAX_ACCOUNT_LEN: usize = 16;

/// Splits a body into its header and the rest (starting at `[`).
pub fn parse_header(body: &[u8]) -> Result<(Header, &[u8]), FrameError> {
    if body.first() != Some(&b'"') {
        return Err(body_error(0, "expected `\"` before the message type"));
    }
    let close = body
        .iter()
        .skip(1)
        .take(33)
        .position(|&b| b == b'"')
        .map(|p| p + 1)
        .ok_or_else(|| body_error(1, "message type has no closing `\"` within 32 bytes"))?;
    let mut token = body.get(1..close).unwrap_or_default();
    let encrypted = token.first() == Some(&b'*');
    if encrypted {
        token = token.get(1..).unwrap_or_default();
    }
    if token.is_empty()
        || !token
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-')
    {
        return Err(body_error(
            1,
            "message type must be upper-case letters, digits and `-`",
        ));
    }
    let mut at = close + 1;
    let sequence = body
        .get(at..at + 4)
        .filter(|s| s.iter().all(u8::is_ascii_hexdigit))
        .ok_or_else(|| body_error(at, "expected a 4-digit sequence number"))?;
    at += 4;
    let prefix = |letter: u8, at: &mut usize| -> Result<Option<String>, FrameError> {
        if body.get(*at) != Some(&letter) {
            return Ok(None);
        }
        let start = *at + 1;
        let n = body
            .iter()
            .skip(start)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if n == 0 || n > 6 {
            return Err(body_error(
                start,
                format!("`{}` must be followed by 1 to 6 hex digits", letter as char),
            ));
        }
        *at = start + n;
        Ok(Some(ascii(body.get(start..start + n).unwrap_or_default())))
    };
    let receiver = prefix(b'R', &mut at)?;
    let mut line = prefix(b'L', &mut at)?;
    let mut account_prefix = prefix(b'A', &mut at)?;
    // `A` is a hex digit too: in `L0A0[` (a NAK) the line's digits swallow
    // the account prefix. With no `#` after them, split at the last `A`.
    if account_prefix.is_none()
        && body.get(at) == Some(&b'[')
        && let Some((l, a)) = line.as_deref().and_then(|l| l.rsplit_once('A'))
        && !l.is_empty()
        && !a.is_empty()
    {
        account_prefix = Some(a.to_owned());
        line = Some(l.to_owned());
    }
    let (start, n) = if body.get(at) == Some(&b'#') {
        let start = at + 1;
        let n = body
            .iter()
            .skip(start)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if n == 0 || n > MAX_ACCOUNT_LEN {
            return Err(body_error(
                start,
                format!("account must be 1 to {MAX_ACCOUNT_LEN} letters or digits"),
            ));
        }
        (start, n)
    } else if account_prefix.is_some() {
        (at, 0)
    } else {
        return Err(body_error(at, "expected `#` and the account"));
    };
    at = start + n;
    if body.get(at) != Some(&b'[') {
        return Err(body_error(at, "expected `[` after the account"));
    }
    let header = Header {
        encrypted,
        token: ascii(token),
        sequence: ascii(sequence),
        receiver,
        line,
        account_prefix,
        account: ascii(body.get(start..at).unwrap_or_default()),
    };
    Ok((header, body.get(at..).unwrap_or_default()))
}

fn ascii(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The content of a frame: data, extended data and timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The data field, between `[` and `]` (`#acct|Nri1/BA001`), empty for
    /// a supervision message.
    pub data: String,
    /// Extended data blocks (`[X…]`, `[Y…]`, `[M…]`, `[V…]` …): id and value.
    pub extended: Vec<(char, String)>,
    /// The sender's timestamp, when it gave one (UTC).
    pub timestamp: Option<NaiveDateTime>,
}

impl Content {
    /// The account named in the data (`#acct|…`) and the payload after it.
    ///
    /// The account is written `#acct|` by most senders and `acct|` in the
    /// standard's own example; both are read.
    pub fn account_and_payload(&self) -> (Option<&str>, &str) {
        let data = self.data.as_str();
        let unmarked = data.strip_prefix('#').unwrap_or(data);
        match unmarked.split_once('|') {
            Some((acct, payload))
                if !acct.is_empty()
                    && acct.len() <= MAX_ACCOUNT_LEN
                    && acct.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                (Some(acct), payload)
            }
            _ if data.starts_with('#') => (Some(unmarked), ""),
            _ => (None, data),
        }
    }
}

/// Parses content that starts right after `[` (unencrypted frames) or after
/// the pad's `|` (decrypted content): `data]`, `[x…]`*, optional timestamp.
pub fn parse_content(bytes: &[u8]) -> Result<Content, FrameError> {
    let close = bytes
        .iter()
        .position(|&b| b == b']')
        .ok_or_else(|| body_error(bytes.len(), "data field has no closing `]`"))?;
    let data = bytes.get(..close).unwrap_or_default();
    if let Some(bad) = data.iter().position(|b| !(0x20..0x7f).contains(b)) {
        return Err(body_error(bad, "data must be printable ASCII"));
    }
    let mut at = close + 1;
    let mut extended = Vec::new();
    while bytes.get(at) == Some(&b'[') {
        let end = bytes
            .iter()
            .skip(at)
            .position(|&b| b == b']')
            .map(|p| p + at)
            .ok_or_else(|| body_error(at, "extended data has no closing `]`"))?;
        let block = bytes.get(at + 1..end).unwrap_or_default();
        let (&id, value) = block
            .split_first()
            .ok_or_else(|| body_error(at, "extended data block is empty"))?;
        if !id.is_ascii_alphabetic() {
            return Err(body_error(at + 1, "extended data id must be a letter"));
        }
        if extended.len() >= 16 {
            return Err(body_error(at, "more than 16 extended data blocks"));
        }
        extended.push((id as char, ascii(value)));
        at = end + 1;
    }
    let timestamp = match bytes.get(at..) {
        None | Some([]) => None,
        Some(rest) if rest.first() == Some(&b'_') => Some(
            parse_timestamp(rest.get(1..).unwrap_or_default())
                .ok_or_else(|| body_error(at, "timestamp must be `_HH:MM:SS,MM-DD-YYYY`"))?,
        ),
        Some(_) => return Err(body_error(at, "unexpected bytes after the data")),
    };
    Ok(Content {
        data: ascii(data),
        extended,
        timestamp,
    })
}

/// Parses `HH:MM:SS,MM-DD-YYYY` (exactly 19 bytes).
///
/// Read digit by digit rather than with a format string: every frame
/// carries one, and this is on the receiver's hot path.
pub fn parse_timestamp(text: &[u8]) -> Option<NaiveDateTime> {
    let &[
        h1,
        h2,
        b':',
        m1,
        m2,
        b':',
        s1,
        s2,
        b',',
        mo1,
        mo2,
        b'-',
        d1,
        d2,
        b'-',
        y1,
        y2,
        y3,
        y4,
    ] = text
    else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let two = |a: u8, b: u8| Some(digit(a)? * 10 + digit(b)?);
    let time = NaiveTime::from_hms_opt(two(h1, h2)?, two(m1, m2)?, two(s1, s2)?)?;
    let year = two(y1, y2)? * 100 + two(y3, y4)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, two(mo1, mo2)?, two(d1, d2)?)?;
    Some(date.and_time(time))
}

/// Formats a timestamp as DC-09 writes it, with its leading `_`
/// (`_HH:MM:SS,MM-DD-YYYY`; years outside 0–9999 are clamped, as the
/// field has four digits).
pub fn format_timestamp(at: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    }
    let mut out = String::with_capacity(20);
    out.push('_');
    two(&mut out, at.hour());
    out.push(':');
    two(&mut out, at.minute());
    out.push(':');
    // A leap second (chrono's 60th) is written as 59.
    two(&mut out, at.second().min(59));
    out.push(',');
    two(&mut out, at.month());
    out.push('-');
    two(&mut out, at.day());
    out.push('-');
    let year = u32::try_from(at.year().clamp(0, 9999)).unwrap_or_default();
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    out
}

/// Cuts complete frames (LF … CR) out of a byte stream.
#[derive(Debug, Default)]
pub struct FrameSplitter {
    buffer: Vec<u8>,
}

/// One piece cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// LF … CR, to be checked with [`parse_envelope`].
    Frame(Vec<u8>),
    /// Bytes that cannot be a frame (noise before LF, or a frame with no CR
    /// within [`MAX_FRAME_BYTES`]); answered with NAK.
    Garbage(Vec<u8>),
}

impl FrameSplitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete piece, if any.
    pub fn next_piece(&mut self) -> Option<Piece> {
        let lf = self.buffer.iter().position(|&b| b == b'\n');
        match lf {
            // Noise before a frame start (a bare CR between frames is common
            // and not worth a NAK).
            Some(n) if n > 0 => {
                let noise: Vec<u8> = self.buffer.drain(..n).collect();
                if noise.iter().all(|b| b.is_ascii_whitespace()) {
                    return self.next_piece();
                }
                Some(Piece::Garbage(noise))
            }
            Some(_) => match self.buffer.iter().position(|&b| b == b'\r') {
                Some(cr) if cr < MAX_FRAME_BYTES => {
                    // A second LF before the CR means the first frame was cut off.
                    if let Some(next_lf) = self
                        .buffer
                        .iter()
                        .skip(1)
                        .take(cr)
                        .position(|&b| b == b'\n')
                    {
                        return Some(Piece::Garbage(self.buffer.drain(..=next_lf).collect()));
                    }
                    Some(Piece::Frame(self.buffer.drain(..=cr).collect()))
                }
                _ if self.buffer.len() >= MAX_FRAME_BYTES => Some(Piece::Garbage(
                    self.buffer.drain(..MAX_FRAME_BYTES).collect(),
                )),
                _ => None,
            },
            None if self.buffer.len() >= MAX_FRAME_BYTES || self.buffer.ends_with(b"\r") => {
                let noise: Vec<u8> = std::mem::take(&mut self.buffer);
                if noise.iter().all(|b| b.is_ascii_whitespace()) {
                    return None;
                }
                Some(Piece::Garbage(noise))
            }
            None => None,
        }
    }

    /// What is left at the end of the input (a connection closed, a
    /// datagram ended): bytes that never became a frame.
    pub fn finish(&mut self) -> Option<Piece> {
        let rest = std::mem::take(&mut self.buffer);
        (!rest.iter().all(u8::is_ascii_whitespace)).then_some(Piece::Garbage(rest))
    }

    /// Bytes buffered that do not yet form a piece.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc_is_crc16_arc() {
        // The catalogue check value of CRC-16/ARC.
        assert_eq!(crc16(b"123456789"), 0xBB3D);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn a_frame_from_the_standard_round_trips_to_the_byte() {
        let body =
            br#""SIA-DCS"0002R1L232#78919[1234|NFA129][S123Main St., 55123]_11:10:00,10-12-2019"#;
        let frame = build_frame(body);
        assert_eq!(
            &frame[..9],
            format!("\n{:04X}{:04X}", crc16(body), body.len()).as_bytes()
        );
        let env = parse_envelope(&frame).unwrap();
        assert_eq!(env.body, body);
        let (h, rest) = parse_header(env.body).unwrap();
        assert_eq!(
            h,
            Header {
                encrypted: false,
                token: "SIA-DCS".into(),
                sequence: "0002".into(),
                receiver: Some("1".into()),
                line: Some("232".into()),
                account_prefix: None,
                account: "78919".into(),
            }
        );
        assert_eq!(h.echo(), "0002R1L232#78919");
        let c = parse_content(&rest[1..]).unwrap();
        assert_eq!(c.data, "1234|NFA129");
        assert_eq!(c.extended, vec![('S', "123Main St., 55123".to_string())]);
        assert_eq!(
            c.timestamp,
            Some(
                NaiveDate::from_ymd_opt(2019, 10, 12)
                    .unwrap()
                    .and_hms_opt(11, 10, 0)
                    .unwrap()
            )
        );
    }

    #[test]
    fn the_dialler_frame_shape_parses() {
        // What dc09_spt sends for a plain SIA event: no timestamp.
        let body = br#""SIA-DCS"0001R1L1#1234[#1234|Nri1/BA001]"#;
        let frame = build_frame(body);
        let (h, rest) = parse_header(parse_envelope(&frame).unwrap().body).unwrap();
        assert!(!h.encrypted);
        let c = parse_content(&rest[1..]).unwrap();
        assert_eq!(c.account_and_payload(), (Some("1234"), "Nri1/BA001"));
        assert_eq!(c.timestamp, None);
        let (h, _) = parse_header(br#""*NULL"0000#12["#).unwrap();
        assert!(h.encrypted);
        assert_eq!(h.token, "NULL");
        assert_eq!(h.echo(), "0000#12");
        // A receiver's NAK has an account prefix and no account.
        let (h, _) = parse_header(br#""NAK"0000R0L0A0[]"#).unwrap();
        assert_eq!(
            (h.account_prefix.as_deref(), h.account.as_str()),
            (Some("0"), "")
        );
        assert_eq!(h.echo(), "0000R0L0A0");
    }

    #[test]
    fn envelope_errors_say_what_and_where() {
        let body = br#""NULL"0000#1234[]"#;
        let good = build_frame(body);
        let mut bad_crc = good.clone();
        bad_crc[1] = if bad_crc[1] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            parse_envelope(&bad_crc),
            Err(FrameError::CrcMismatch { .. })
        ));
        let mut bad_len = good.clone();
        // Change the length field but keep the CRC right.
        bad_len[8] = if bad_len[8] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            parse_envelope(&bad_len),
            Err(FrameError::LengthMismatch { actual, .. }) if actual == body.len()
        ));
        assert_eq!(parse_envelope(b"\n12"), Err(FrameError::TooShort(3)));
        assert_eq!(
            parse_envelope(b"x0000000000\r"),
            Err(FrameError::NoLineFeed(b'x'))
        );
        assert_eq!(
            parse_envelope(b"\nzz00001a\"\r"),
            Err(FrameError::BadCrcField("zz00".into()))
        );
        let err = parse_header(br#""SIA-DCS"12#1["#).unwrap_err();
        assert_eq!(
            err,
            FrameError::Body {
                offset: 9,
                reason: "expected a 4-digit sequence number".into()
            }
        );
        assert!(
            parse_header(br#""SIA-DCS"0001R#1["#)
                .unwrap_err()
                .to_string()
                .contains("body byte 14")
        );
        assert!(parse_content(b"abc").is_err());
        assert!(parse_content(b"abc]_1:2").is_err());
        assert!(parse_content(b"abc]junk").is_err());
    }

    #[test]
    fn splitter_cuts_frames_and_reports_noise() {
        let a = build_frame(br#""NULL"0000#1234[]"#);
        let b = build_frame(br#""NULL"0001#1234[]"#);
        let mut s = FrameSplitter::new();
        let mut stream = b"\r\n".to_vec();
        stream.extend_from_slice(&a[1..]);
        stream.extend_from_slice(b"junk");
        stream.extend_from_slice(&b[..5]);
        s.push(&stream);
        assert_eq!(s.next_piece(), Some(Piece::Frame(a.clone())));
        assert_eq!(s.next_piece(), Some(Piece::Garbage(b"junk".to_vec())));
        assert_eq!(s.next_piece(), None);
        s.push(&b[5..]);
        assert_eq!(s.next_piece(), Some(Piece::Frame(b)));
        assert_eq!(s.pending(), 0);
        // A frame that never ends is cut at the limit.
        s.push(b"\n");
        s.push(&vec![b'A'; MAX_FRAME_BYTES + 10]);
        assert!(matches!(s.next_piece(), Some(Piece::Garbage(g)) if g.len() == MAX_FRAME_BYTES));
    }

    proptest! {
        #[test]
        fn envelope_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_envelope(&bytes);
            let _ = parse_header(&bytes);
            let _ = parse_content(&bytes);
        }

        #[test]
        fn timestamps_read_and_write_as_chrono_does(secs in 0i64..253_402_300_799) {
            let at = chrono::DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let text = format_timestamp(at);
            prop_assert_eq!(&text, &at.format("_%H:%M:%S,%m-%d-%Y").to_string());
            prop_assert_eq!(parse_timestamp(&text.as_bytes()[1..]), Some(at));
        }

        #[test]
        fn timestamp_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..25)) {
            let _ = parse_timestamp(&bytes);
        }

        #[test]
        fn built_frames_parse_back(seq in 0u16..10000, acct in "[0-9A-F]{3,16}", data in "[ -Z^-~]{0,60}") {
            let body = format!("\"SIA-DCS\"{seq:04}#{acct}[{data}]");
            let frame = build_frame(body.as_bytes());
            let env = parse_envelope(&frame).unwrap();
            let (h, rest) = parse_header(env.body).unwrap();
            prop_assert_eq!(h.account, acct);
            prop_assert_eq!(parse_content(&rest[1..]).unwrap().data, data);
        }

        #[test]
        fn splitter_never_panics_and_never_loses_a_frame(noise in proptest::collection::vec(any::<u8>(), 0..300)) {
            let frame = build_frame(br#""NULL"0000#1234[]"#);
            let mut s = FrameSplitter::new();
            let clean: Vec<u8> = noise.into_iter().filter(|b| *b != b'\n' && *b != b'\r').collect();
            s.push(&clean);
            s.push(b"\r");
            s.push(&frame);
            let mut frames = 0;
            while let Some(p) = s.next_piece() {
                if p == Piece::Frame(frame.clone()) { frames += 1; }
            }
            prop_assert_eq!(frames, 1);
        }
    }
}
