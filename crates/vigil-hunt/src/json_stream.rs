//! JSON objects read one at a time from a byte stream: JSON lines, objects
//! one after another (pretty-printed or not), or a JSON array of objects.
//!
//! Memory is one buffer that holds at least the largest object seen (up
//! to a limit), whatever the size of the stream.

use std::io::{self, Read};

use vigil_detect::{JsonDocument, JsonError, JsonErrorKind, JsonParser};

/// The buffer starts this large and grows for larger objects.
const INITIAL_BUFFER: usize = 1 << 20;
/// Bytes read at a time.
const READ_CHUNK: usize = 256 * 1024;

/// What went wrong with one object of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamProblem {
    /// The object is not valid JSON.
    Invalid(JsonError),
    /// The object is larger than the limit; it was skipped.
    TooLarge,
}

/// Where in a stream something is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    /// The byte offset.
    pub(crate) offset: u64,
    /// The 1-based line number.
    pub(crate) line: u64,
}

/// Reads objects from `reader` into `parser`, calling `each` with every
/// object and its byte offset in the stream, and `problem` with where every
/// object that could not be read starts (reading resumes at the next
/// line). Fails only when the stream itself cannot be read.
pub(crate) fn for_each_object<R: Read>(
    mut reader: R,
    parser: &mut JsonParser,
    max_object: usize,
    mut each: impl FnMut(&JsonDocument<'_>, u64),
    mut problem: impl FnMut(At, StreamProblem),
) -> io::Result<()> {
    let mut buf: Vec<u8> = vec![0; INITIAL_BUFFER.min(max_object.max(READ_CHUNK) + READ_CHUNK)];
    let (mut start, mut end) = (0usize, 0usize);
    // The stream offset of `buf[0]`.
    let mut base: u64 = 0;
    let mut eof = false;
    // Skipping the rest of a bad object, up to the next line.
    let mut skipping = false;
    // The line `buf[start]` is on: newlines are counted as `start` passes
    // them (between objects for free, inside an object by one vectorised
    // search, which finds none in JSON lines), so that a problem can be
    // told by its line.
    let mut line: u64 = 1;
    loop {
        if skipping {
            match memchr::memchr(b'\n', &buf[start..end]) {
                Some(at) => {
                    start += at + 1;
                    line += 1;
                    skipping = false;
                }
                None => start = end,
            }
        }
        while start < end
            && matches!(
                buf[start],
                b' ' | b'\n' | b'\r' | b'\t' | b',' | b'[' | b']'
            )
        {
            line += u64::from(buf[start] == b'\n');
            start += 1;
        }
        // A byte-order mark may open a stream.
        if base == 0 && start == 0 && buf[start..end].starts_with(b"\xef\xbb\xbf") {
            start += 3;
        }
        if start == end || skipping {
            if eof {
                return Ok(());
            }
            refill(
                &mut reader,
                &mut buf,
                &mut start,
                &mut end,
                &mut base,
                &mut eof,
                max_object,
            )?;
            continue;
        }
        let at = base + start as u64;
        match parser.parse_prefix(&buf[start..end]) {
            Ok((doc, used)) => {
                each(&doc, at);
                line += memchr::memchr_iter(b'\n', &buf[start..start + used]).count() as u64;
                start += used;
            }
            Err(e) if e.kind == JsonErrorKind::Incomplete && !eof => {
                if end - start > max_object {
                    problem(at_line(at, line), StreamProblem::TooLarge);
                    skipping = true;
                    // An object starts with `{`, never a newline.
                    start += 1;
                } else {
                    refill(
                        &mut reader,
                        &mut buf,
                        &mut start,
                        &mut end,
                        &mut base,
                        &mut eof,
                        max_object,
                    )?;
                }
            }
            Err(e) => {
                problem(
                    at_line(at, line),
                    StreamProblem::Invalid(JsonError {
                        offset: e.offset,
                        kind: e.kind,
                    }),
                );
                skipping = true;
                // Never stay on the same byte (which is not a newline: those
                // were skipped above).
                start += 1;
            }
        }
    }
}

fn at_line(offset: u64, line: u64) -> At {
    At { offset, line }
}

/// Moves the unread bytes to the front, grows the buffer when it is full,
/// and reads more.
fn refill<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    start: &mut usize,
    end: &mut usize,
    base: &mut u64,
    eof: &mut bool,
    max_object: usize,
) -> io::Result<()> {
    if *start > 0 {
        buf.copy_within(*start..*end, 0);
        *end -= *start;
        *base += *start as u64;
        *start = 0;
    }
    if buf.len() - *end < READ_CHUNK {
        let wanted = (buf.len() * 2).max(*end + READ_CHUNK);
        buf.resize(
            wanted
                .min(max_object + 2 * READ_CHUNK)
                .max(*end + READ_CHUNK),
            0,
        );
    }
    loop {
        match reader.read(&mut buf[*end..]) {
            Ok(0) => {
                *eof = true;
                return Ok(());
            }
            Ok(n) => {
                *end += n;
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use vigil_detect::Document;

    use super::*;

    /// Reads `text` through a reader that hands out `chunk` bytes at a time.
    fn read_all(text: &[u8], chunk: usize, max: usize) -> (Vec<String>, Vec<(At, StreamProblem)>) {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut parser = JsonParser::new();
        let mut seen = Vec::new();
        let mut problems = Vec::new();
        for_each_object(
            Trickle(text, chunk.max(1)),
            &mut parser,
            max,
            |doc, _| {
                let mut id = String::new();
                if let Some(v) = doc.field("id") {
                    let mut buf = String::new();
                    v.any_scalar(&mut |s| {
                        id = s.text(&mut buf).to_owned();
                        true
                    });
                }
                seen.push(id);
            },
            |at, p| problems.push((at, p)),
        )
        .expect("reads");
        (seen, problems)
    }

    #[test]
    fn lines_arrays_and_pretty_objects() {
        let text = b"\xef\xbb\xbf{\"id\":1}\n{\"id\":2}\r\n\n[{\"id\":3},\n {\"id\":\n 4}]\n{\n  \"id\": 5\n}";
        let (seen, problems) = read_all(text, 3, 1 << 20);
        assert_eq!(seen, ["1", "2", "3", "4", "5"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn a_bad_line_is_reported_and_skipped() {
        let text = b"{\"id\":1}\n{\"id\":tru}\n{\"id\":3}\nnot json\n{\"id\":5}\n{\"id\":";
        let (seen, problems) = read_all(text, 4, 1 << 20);
        assert_eq!(seen, ["1", "3", "5"]);
        let offsets: Vec<u64> = problems.iter().map(|(at, _)| at.offset).collect();
        assert_eq!(offsets, [9, 29, 47]);
        let lines: Vec<u64> = problems.iter().map(|(at, _)| at.line).collect();
        assert_eq!(lines, [2, 4, 6]);
        assert!(matches!(
            problems[2].1,
            StreamProblem::Invalid(JsonError {
                kind: JsonErrorKind::Incomplete,
                ..
            })
        ));
    }

    #[test]
    fn objects_over_the_limit_are_skipped() {
        let big = format!(
            "{{\"id\":0,\"pad\":\"{}\"}}\n{{\"id\":1}}\n",
            "x".repeat(4 << 20)
        );
        let (seen, problems) = read_all(big.as_bytes(), 1 << 20, 1 << 20);
        assert_eq!(seen, ["1"]);
        assert_eq!(
            problems,
            [(At { offset: 0, line: 1 }, StreamProblem::TooLarge)]
        );
    }

    #[test]
    fn a_garbage_first_line_and_a_truncated_record_are_told_by_line() {
        let text = b"\x00\x05\x16\x07Mac OS X\x00\x00\n{\"id\":1}\n{\n  \"id\": 2\n}\n{\"id\":\"trunc\n{\"id\":4}\n";
        let (seen, problems) = read_all(text, 5, 1 << 20);
        assert_eq!(seen, ["1", "2", "4"]);
        let lines: Vec<u64> = problems.iter().map(|(at, _)| at.line).collect();
        assert_eq!(lines, [1, 6]);
    }

    proptest! {
        #[test]
        fn any_chunking_reads_the_same_objects(ids in prop::collection::vec(0u32..1000, 0..30), chunk in 1usize..64, pretty in any::<bool>()) {
            let mut text = String::new();
            for id in &ids {
                if pretty {
                    text.push_str(&format!("{{\n  \"id\": {id},\n  \"x\": [1, {{\"y\": \"\\\"}}\"}}]\n}}\n"));
                } else {
                    text.push_str(&format!("{{\"id\":{id},\"x\":\"a\\\\b\"}}\n"));
                }
            }
            let (seen, problems) = read_all(text.as_bytes(), chunk, 1 << 20);
            prop_assert!(problems.is_empty());
            prop_assert_eq!(seen, ids.iter().map(ToString::to_string).collect::<Vec<_>>());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), chunk in 1usize..16) {
            let _ = read_all(&bytes, chunk, 64);
        }
    }
}
