//! RELP framing: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`.
//!
//! Our own codec: no maintained Rust crate speaks RELP (librelp, in C, is
//! the reference implementation), and the framing is small. The reader is
//! incremental — bytes go in as they arrive, whole frames come out — and
//! bounded: a transaction number and a length have at most 9 digits, a
//! command at most 32 letters, and data at most [`MAX_DATALEN`] octets, so
//! at most one frame's worth is ever buffered. A malformed frame is a
//! [`FrameError`] naming the byte offset in the connection's stream where
//! it went wrong; RELP has no way to resynchronise, so the connection ends.

use bytes::{Bytes, BytesMut};

/// The largest transaction number; the next after it is 1 (0 is for hints).
pub const MAX_TXNR: u32 = 999_999_999;

/// Digits of a transaction number or a data length at most.
const MAX_DIGITS: usize = 9;

/// Letters of a command at most.
const MAX_COMMAND: usize = 32;

/// The largest data part a frame may carry: librelp's own default maximum
/// (128 KiB), which is what rsyslog's `omrelp` is built to respect.
pub const MAX_DATALEN: usize = 128 * 1024;

/// A RELP command, as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Opens a session; the data holds the client's offers.
    Open,
    /// One syslog message.
    Syslog,
    /// Ends the session.
    Close,
    /// A response (only a server sends these).
    Rsp,
    /// A command this server does not serve.
    Other(String),
}

impl Command {
    fn of(name: &[u8]) -> Command {
        match name {
            b"open" => Command::Open,
            b"syslog" => Command::Syslog,
            b"close" => Command::Close,
            b"rsp" => Command::Rsp,
            // Letters only (the parser checked), so this is lossless.
            other => Command::Other(String::from_utf8_lossy(other).into_owned()),
        }
    }
}

/// One whole frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The transaction number (0 for a hint).
    pub txnr: u32,
    /// The command.
    pub command: Command,
    /// The data part (empty when DATALEN is 0).
    pub data: Bytes,
}

/// What was wrong with a frame, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RELP frame broken at byte {offset} of the connection: {kind}")]
pub struct FrameError {
    /// The offset, in the connection's stream, of the byte that was wrong.
    pub offset: u64,
    /// What was wrong.
    pub kind: FrameErrorKind,
}

/// The ways a frame can be broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameErrorKind {
    /// A field that must start with a digit did not.
    #[error("expected a digit of the {field}, found {found}")]
    ExpectedDigit {
        /// `transaction number` or `data length`.
        field: &'static str,
        /// The byte found, shown.
        found: String,
    },
    /// A number had more than nine digits.
    #[error("the {field} has more than 9 digits")]
    NumberTooLong {
        /// `transaction number` or `data length`.
        field: &'static str,
    },
    /// The command was missing or not letters.
    #[error("expected the command (letters), found {found}")]
    ExpectedCommand {
        /// The byte found, shown.
        found: String,
    },
    /// The command had more than 32 letters.
    #[error("the command has more than 32 letters")]
    CommandTooLong,
    /// A field was not followed by the space that ends it.
    #[error("expected a space after the {field}, found {found}")]
    ExpectedSpace {
        /// The field before.
        field: &'static str,
        /// The byte found, shown.
        found: String,
    },
    /// DATALEN was above the limit.
    #[error("data length {datalen} is above the limit of {max} octets")]
    DataTooLong {
        /// The length the frame announced.
        datalen: usize,
        /// The limit.
        max: usize,
    },
    /// The frame did not end with LF.
    #[error("expected the trailer (LF), found {found}")]
    ExpectedTrailer {
        /// The byte found, shown.
        found: String,
    },
    /// The connection ended in the middle of a frame.
    #[error("the connection ended inside a frame ({buffered} octets of it received)")]
    Truncated {
        /// Octets of the unfinished frame received.
        buffered: usize,
    },
}

/// A byte as an error message shows it: the character when printable,
/// else its hex value.
fn shown(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", byte as char)
    } else if byte == b' ' {
        "a space".to_owned()
    } else {
        format!("byte 0x{byte:02x}")
    }
}

/// Where a frame's parts are in the buffer.
struct Parsed {
    txnr: u32,
    command: (usize, usize),
    data: (usize, usize),
    len: usize,
}

/// Reads a decimal number of at most nine digits at `*pos`: `Ok(None)`
/// when the buffer ends before the number does.
fn number(
    buf: &[u8],
    pos: &mut usize,
    field: &'static str,
) -> Result<Option<u32>, (usize, FrameErrorKind)> {
    let start = *pos;
    let mut value: u32 = 0;
    while let Some(&b) = buf.get(*pos) {
        if !b.is_ascii_digit() {
            break;
        }
        if *pos - start == MAX_DIGITS {
            return Err((*pos, FrameErrorKind::NumberTooLong { field }));
        }
        // Nine digits fit in a u32 (999,999,999 < 2^32).
        value = value * 10 + u32::from(b - b'0');
        *pos += 1;
    }
    match buf.get(*pos) {
        None => Ok(None),
        Some(&b) if *pos == start => Err((
            *pos,
            FrameErrorKind::ExpectedDigit {
                field,
                found: shown(b),
            },
        )),
        Some(_) => Ok(Some(value)),
    }
}

/// Checks the space that ends `field` at `*pos` and steps over it.
fn space(
    buf: &[u8],
    pos: &mut usize,
    field: &'static str,
) -> Result<Option<()>, (usize, FrameErrorKind)> {
    match buf.get(*pos) {
        None => Ok(None),
        Some(b' ') => {
            *pos += 1;
            Ok(Some(()))
        }
        Some(&b) => Err((
            *pos,
            FrameErrorKind::ExpectedSpace {
                field,
                found: shown(b),
            },
        )),
    }
}

/// Parses the frame at the start of `buf`: `Ok(None)` when more bytes are
/// needed, with every byte already there checked.
fn parse(buf: &[u8], max_data: usize) -> Result<Option<Parsed>, (usize, FrameErrorKind)> {
    let mut pos = 0;
    let Some(txnr) = number(buf, &mut pos, "transaction number")? else {
        return Ok(None);
    };
    if space(buf, &mut pos, "transaction number")?.is_none() {
        return Ok(None);
    }
    let start = pos;
    while let Some(&b) = buf.get(pos) {
        if !b.is_ascii_alphabetic() {
            break;
        }
        if pos - start == MAX_COMMAND {
            return Err((pos, FrameErrorKind::CommandTooLong));
        }
        pos += 1;
    }
    match buf.get(pos) {
        None => return Ok(None),
        Some(&b) if pos == start => {
            return Err((pos, FrameErrorKind::ExpectedCommand { found: shown(b) }));
        }
        Some(_) => {}
    }
    let command = (start, pos);
    if space(buf, &mut pos, "command")?.is_none() {
        return Ok(None);
    }
    let len_at = pos;
    let Some(datalen) = number(buf, &mut pos, "data length")? else {
        return Ok(None);
    };
    let datalen = datalen as usize;
    if datalen > max_data {
        return Err((
            len_at,
            FrameErrorKind::DataTooLong {
                datalen,
                max: max_data,
            },
        ));
    }
    // No data, no space before the trailer (librelp reads it so too).
    if datalen > 0 && space(buf, &mut pos, "data length")?.is_none() {
        return Ok(None);
    }
    let data = (pos, pos + datalen);
    match buf.get(data.1) {
        None => Ok(None),
        Some(b'\n') => Ok(Some(Parsed {
            txnr,
            command,
            data,
            len: data.1 + 1,
        })),
        Some(&b) => Err((data.1, FrameErrorKind::ExpectedTrailer { found: shown(b) })),
    }
}

/// Frames out of a connection's bytes, as they arrive.
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
    /// The stream offset of `buf[0]`.
    offset: u64,
    max_data: usize,
}

impl FrameReader {
    /// A reader taking data parts of at most `max_data` octets (capped at
    /// [`MAX_DATALEN`]).
    pub fn new(max_data: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            offset: 0,
            max_data: max_data.min(MAX_DATALEN),
        }
    }

    /// Adds bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed. After
    /// an error the stream cannot be read further.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        match parse(&self.buf, self.max_data) {
            Ok(None) => Ok(None),
            Ok(Some(parsed)) => {
                let mut frame = self.buf.split_to(parsed.len).freeze();
                self.offset += parsed.len as u64;
                let command = Command::of(&frame[parsed.command.0..parsed.command.1]);
                frame.truncate(parsed.data.1);
                let data = frame.split_off(parsed.data.0);
                Ok(Some(Frame {
                    txnr: parsed.txnr,
                    command,
                    data,
                }))
            }
            Err((at, kind)) => Err(FrameError {
                offset: self.offset + at as u64,
                kind,
            }),
        }
    }

    /// At the end of the stream: an error when it ended inside a frame.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        Err(FrameError {
            offset: self.offset + self.buf.len() as u64,
            kind: FrameErrorKind::Truncated {
                buffered: self.buf.len(),
            },
        })
    }
}

/// Appends the frame `TXNR COMMAND DATALEN [DATA]` to `out`.
pub fn encode(out: &mut Vec<u8>, txnr: u32, command: &str, data: &[u8]) {
    out.extend_from_slice(format!("{txnr} {command} {}", data.len()).as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data);
    }
    out.push(b'\n');
}

/// The transaction number a client uses after `txnr`.
pub fn next_txnr(txnr: u32) -> u32 {
    if txnr >= MAX_TXNR { 1 } else { txnr + 1 }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
