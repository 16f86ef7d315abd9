//! What a file holds, told by its first bytes, and how to read it.

use std::cell::Cell;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::rc::Rc;

use vigil_detect::JsonParser;

/// The kinds of input a hunt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A Windows XML event log (`ElfFile`).
    Evtx,
    /// A gzip stream (of any of these kinds).
    Gzip,
    /// A zip archive (of any of these kinds).
    Zip,
    /// JSON: lines, objects one after another, or an array of objects.
    Json,
}

impl InputKind {
    /// Tells the kind from the first bytes of an input; `None` when it is
    /// none of the kinds a hunt reads.
    pub fn sniff(head: &[u8]) -> Option<InputKind> {
        if head.starts_with(b"ElfFile\0") {
            return Some(InputKind::Evtx);
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            return Some(InputKind::Gzip);
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Some(InputKind::Zip);
        }
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        match text
            .iter()
            .find(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        {
            Some(b'{' | b'[') => Some(InputKind::Json),
            _ => None,
        }
    }

    /// A name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Evtx => "EVTX",
            InputKind::Gzip => "gzip",
            InputKind::Zip => "zip",
            InputKind::Json => "JSON",
        }
    }
}

/// How many leading bytes are enough to tell the kind.
pub(crate) const SNIFF_BYTES: usize = 64;

/// Inputs are read through buffers this large, so that a stream whose
/// first line is not JSON shows this much of what follows it (see
/// [`json_lines_after_junk`]).
pub(crate) const READ_BUFFER: usize = 64 * 1024;

/// Whether `head`, the start of a stream that does not open with JSON,
/// still holds JSON lines: a line after the first is a whole JSON object.
/// Such a stream is a JSON-lines file with something else at its start (a
/// resource-fork file concatenated in, a truncated first record), read
/// line by line; a text or binary file of another kind has no such line
/// and is skipped as before.
pub(crate) fn json_lines_after_junk(head: &[u8], parser: &mut JsonParser) -> bool {
    let mut rest = head;
    while let Some(newline) = memchr::memchr(b'\n', rest) {
        rest = rest.get(newline + 1..).unwrap_or(&[]);
        let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        let opens_object = line
            .iter()
            .find(|b| !matches!(b, b' ' | b'\r' | b'\t'))
            .is_some_and(|b| *b == b'{');
        if opens_object && parser.parse(line).is_ok() {
            return true;
        }
    }
    false
}

/// The first bytes of a buffered stream, without consuming them.
pub(crate) fn peek<R: BufRead + ?Sized>(reader: &mut R) -> io::Result<Vec<u8>> {
    // `fill_buf` may return fewer bytes than wanted even before the end;
    // a short head only makes sniffing more conservative.
    let head = reader.fill_buf()?;
    Ok(head[..head.len().min(SNIFF_BYTES)].to_vec())
}

/// A reader that counts the bytes read through it (the progress of a hunt
/// is counted in bytes of the files on disk).
#[derive(Debug)]
pub(crate) struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, count: Rc<Cell<u64>>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_content() {
        assert_eq!(InputKind::sniff(b"ElfFile\0\0\0"), Some(InputKind::Evtx));
        assert_eq!(InputKind::sniff(&[0x1f, 0x8b, 8]), Some(InputKind::Gzip));
        assert_eq!(InputKind::sniff(b"PK\x03\x04rest"), Some(InputKind::Zip));
        assert_eq!(InputKind::sniff(b"  \n{\"a\":1}"), Some(InputKind::Json));
        assert_eq!(InputKind::sniff(b"\xef\xbb\xbf[{}]"), Some(InputKind::Json));
        assert_eq!(InputKind::sniff(b"\x00\x05\x16\x07Mac OS X"), None);
        assert_eq!(InputKind::sniff(b"<Event>"), None);
        assert_eq!(InputKind::sniff(b""), None);
    }

    #[test]
    fn json_lines_are_found_behind_a_first_line_that_is_not_json() {
        let mut parser = JsonParser::new();
        let junk_then_lines = b"\x00\x05\x16\x07Mac OS X\n{\"a\":1}\n{\"a\":2}\n";
        assert!(json_lines_after_junk(junk_then_lines, &mut parser));
        let truncated_first = b"\"a\":1,\"b\":2}\r\n{\"a\":3}";
        assert!(json_lines_after_junk(truncated_first, &mut parser));
        // Source code, a README, a log of another kind: no line is a JSON object.
        let code = b"int main() {\n{\n  return 0;\n}\n";
        assert!(!json_lines_after_junk(code, &mut parser));
        assert!(!json_lines_after_junk(
            b"plain text\nmore text\n",
            &mut parser
        ));
        assert!(!json_lines_after_junk(
            b"{\"only\": \"the first line\"}",
            &mut parser
        ));
    }
}
