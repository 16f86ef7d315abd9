//! What a file holds, told by its first bytes, and how to read it.

use std::cell::Cell;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::rc::Rc;

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
}
