//! The scanner behind [`super::json::JsonDocument`]: one pass over a JSON value
//! into a flat table of nodes (a "tape"), strings left in place. Keys with
//! escapes are unescaped as they are scanned; string values with escapes
//! are only checked, and unescaped when they are read (most of an event's
//! escaped text, rendered messages and paths, is never read by a rule).
//!
//! It accepts exactly what `serde_json` accepts for a value (RFC 8259:
//! no trailing commas, no leading zeros, no raw control characters in
//! strings, surrogates only in pairs, numbers within `f64`), nested at most
//! 128 deep as `serde_json` allows.

use std::fmt;

use super::json_simd::{self as simd, BLOCK, block_masks};

/// Containers nest at most this deep (as in `serde_json`).
const MAX_DEPTH: usize = 128;

/// Why a JSON text could not be read, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// The byte offset of the problem, from the start of the input.
    pub offset: usize,
    /// What was wrong.
    pub kind: JsonErrorKind,
}

/// What was wrong with a JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The input ended inside a value (more input may complete it).
    Incomplete,
    /// A byte that cannot stand here.
    Unexpected(u8),
    /// A backslash escape that JSON does not have.
    BadEscape,
    /// A `\u` escape that is not a valid character (a lone surrogate).
    BadUnicodeEscape,
    /// A control character inside a string.
    ControlCharacter,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// A number beyond the range of a 64-bit float.
    NumberOutOfRange,
    /// Containers nested deeper than 128.
    TooDeep,
    /// The value is not an object.
    NotAnObject,
    /// Something follows the value.
    TrailingCharacters,
    /// The input is larger than 4 GiB.
    TooLarge,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            JsonErrorKind::Incomplete => "the input ends inside a value".to_owned(),
            JsonErrorKind::Unexpected(b) if b.is_ascii_graphic() => {
                format!("unexpected `{}`", b as char)
            }
            JsonErrorKind::Unexpected(b) => format!("unexpected byte 0x{b:02x}"),
            JsonErrorKind::BadEscape => "invalid escape in a string".to_owned(),
            JsonErrorKind::BadUnicodeEscape => "invalid \\u escape (lone surrogate)".to_owned(),
            JsonErrorKind::ControlCharacter => "control character inside a string".to_owned(),
            JsonErrorKind::NotUtf8 => "invalid UTF-8".to_owned(),
            JsonErrorKind::NumberOutOfRange => "number out of range".to_owned(),
            JsonErrorKind::TooDeep => "nested more than 128 deep".to_owned(),
            JsonErrorKind::NotAnObject => "the value is not an object".to_owned(),
            JsonErrorKind::TrailingCharacters => "characters after the value".to_owned(),
            JsonErrorKind::TooLarge => "the value is larger than 4 GiB".to_owned(),
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl std::error::Error for JsonError {}

/// Where a string's text is: in the input, or unescaped into the arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Text {
    pub(crate) start: u32,
    /// The length; the top bit says the text is in the arena.
    pub(crate) len: u32,
}

const IN_ARENA: u32 = 1 << 31;

impl Text {
    fn input(start: usize, end: usize) -> Text {
        Text {
            start: start as u32,
            len: (end - start) as u32,
        }
    }

    pub(crate) fn resolve<'a>(self, input: &'a str, arena: &'a str) -> &'a str {
        let (source, len) = if self.len & IN_ARENA != 0 {
            (arena, self.len & !IN_ARENA)
        } else {
            (input, self.len)
        };
        let start = self.start as usize;
        source.get(start..start + len as usize).unwrap_or("")
    }
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Text),
    /// A string with escapes, checked but left as written: the index of
    /// its span in [`Tape::escaped`].
    Escaped(u32),
    /// Its members follow it; `end` is the index after its last descendant.
    Object {
        end: u32,
    },
    /// Its elements follow it.
    Array {
        end: u32,
    },
}

/// One value, with the key it has in its parent object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Node {
    pub(crate) key: Text,
    pub(crate) kind: Kind,
    /// A later member of the same object has the same key, so this one is
    /// not seen (as in a `serde_json` map, the last one wins).
    pub(crate) shadowed: bool,
}

impl Node {
    /// The index after this node and its descendants.
    pub(crate) fn end(&self, index: usize) -> usize {
        match self.kind {
            Kind::Object { end } | Kind::Array { end } => end as usize,
            _ => index + 1,
        }
    }
}

/// Reusable buffers of the scanner.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    pub(crate) nodes: Vec<Node>,
    /// Unescaped strings; UTF-8 once the input is known to be.
    pub(crate) arena: Vec<u8>,
    /// Direct members of the objects being scanned.
    members: Vec<u32>,
    /// The members of the top object, in order.
    pub(crate) top: Vec<u32>,
    /// The [`key_print`] of each of them.
    pub(crate) top_prints: Vec<u32>,
    /// Room for finding duplicate keys in a large object.
    sorted: Vec<(u64, u32)>,
    /// Where the string values with escapes are in the input (from after
    /// the opening quote to the closing one), in order.
    pub(crate) escaped: Vec<(u32, u32)>,
}

/// The kinds of escapes a text's string values held (see
/// [`Scanner::escapes`]).
pub(crate) mod escape {
    /// `\"`.
    pub(crate) const QUOTE: u8 = 1;
    /// `\\`.
    pub(crate) const BACKSLASH: u8 = 2;
    /// `\/`.
    pub(crate) const SLASH: u8 = 4;
    /// `\b`, `\f`, `\n`, `\r`, `\t`.
    pub(crate) const CONTROL: u8 = 8;
    /// `\u` (any character).
    pub(crate) const UNICODE: u8 = 16;
}

/// The scanner over one input.
pub(crate) struct Scanner<'t, 'i, H> {
    tape: &'t mut Tape,
    input: &'i [u8],
    hash: H,
    depth: usize,
    /// Whether a string held a non-ASCII byte (so the input needs a UTF-8 check).
    pub(crate) non_ascii: bool,
    /// The kinds of escapes string values held (bits of [`escape`]).
    pub(crate) escapes: u8,
    /// Whether long strings may be scanned with AVX2.
    avx2: bool,
}

type Result<T> = std::result::Result<T, JsonError>;

fn error(offset: usize, kind: JsonErrorKind) -> JsonError {
    JsonError { offset, kind }
}

impl<'t, 'i, H: Fn(&[u8]) -> u64> Scanner<'t, 'i, H> {
    pub(crate) fn new(tape: &'t mut Tape, input: &'i [u8], hash: H) -> Self {
        tape.nodes.clear();
        tape.arena.clear();
        tape.members.clear();
        tape.top.clear();
        tape.top_prints.clear();
        tape.escaped.clear();
        Scanner {
            tape,
            input,
            hash,
            depth: 0,
            non_ascii: false,
            escapes: 0,
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
        }
    }

    /// Scans one object starting at or after `pos` (after whitespace);
    /// returns the offset just after it. The top object's members are left
    /// in `Tape::top`, duplicates included (the caller indexes them).
    pub(crate) fn object(&mut self, pos: usize) -> Result<usize> {
        if self.input.len() >= IN_ARENA as usize {
            return Err(error(0, JsonErrorKind::TooLarge));
        }
        let pos = self.skip_ws(pos);
        match self.input.get(pos) {
            None => Err(error(pos, JsonErrorKind::Incomplete)),
            Some(b'{') => self.value(pos, Text::default(), true),
            Some(_) => Err(error(pos, JsonErrorKind::NotAnObject)),
        }
    }

    fn skip_ws(&self, mut pos: usize) -> usize {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(pos) {
            pos += 1;
        }
        pos
    }

    fn push(&mut self, key: Text, kind: Kind) -> usize {
        self.tape.nodes.push(Node {
            key,
            kind,
            shadowed: false,
        });
        self.tape.nodes.len() - 1
    }

    /// Scans the value at `pos` (no whitespace before it).
    fn value(&mut self, pos: usize, key: Text, top: bool) -> Result<usize> {
        let Some(&byte) = self.input.get(pos) else {
            return Err(error(pos, JsonErrorKind::Incomplete));
        };
        match byte {
            b'"' => {
                let start = pos + 1;
                let stop = self.plain_run(start)?;
                if self.input[stop] == b'"' {
                    self.push(key, Kind::Str(Text::input(start, stop)));
                    return Ok(stop + 1);
                }
                let end = self.escaped_string::<false>(start, stop)?;
                let index = self.tape.escaped.len() as u32;
                self.tape
                    .escaped
                    .push((start as u32, end.saturating_sub(1) as u32));
                self.push(key, Kind::Escaped(index));
                Ok(end)
            }
            b'{' => self.object_body(pos, key, top),
            b'[' => self.array_body(pos, key),
            b't' => self.literal(pos, b"true", key, Kind::Bool(true)),
            b'f' => self.literal(pos, b"false", key, Kind::Bool(false)),
            b'n' => self.literal(pos, b"null", key, Kind::Null),
            b'-' | b'0'..=b'9' => self.number(pos, key),
            other => Err(error(pos, JsonErrorKind::Unexpected(other))),
        }
    }

    fn literal(&mut self, pos: usize, word: &[u8], key: Text, kind: Kind) -> Result<usize> {
        for (i, &expected) in word.iter().enumerate() {
            match self.input.get(pos + i) {
                None => return Err(error(pos + i, JsonErrorKind::Incomplete)),
                Some(&b) if b != expected => {
                    return Err(error(pos + i, JsonErrorKind::Unexpected(b)));
                }
                Some(_) => {}
            }
        }
        self.push(key, kind);
        Ok(pos + word.len())
    }

    fn enter(&mut self, pos: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(pos, JsonErrorKind::TooDeep));
        }
        Ok(())
    }

    fn object_body(&mut self, open: usize, key: Text, top: bool) -> Result<usize> {
        self.enter(open)?;
        let node = self.push(key, Kind::Object { end: 0 });
        let first_member = self.tape.members.len();
        let mut pos = self.skip_ws(open + 1);
        match self.input.get(pos) {
            None => return Err(error(pos, JsonErrorKind::Incomplete)),
            Some(b'}') => pos += 1,
            Some(_) => loop {
                match self.input.get(pos) {
                    None => return Err(error(pos, JsonErrorKind::Incomplete)),
                    Some(b'"') => {}
                    Some(&b) => return Err(error(pos, JsonErrorKind::Unexpected(b))),
                }
                let key_start = pos + 1;
                let (member_key, after_key) = self.string(key_start)?;
                pos = self.skip_ws(after_key);
                match self.input.get(pos) {
                    None => return Err(error(pos, JsonErrorKind::Incomplete)),
                    Some(b':') => {}
                    Some(&b) => return Err(error(pos, JsonErrorKind::Unexpected(b))),
                }
                pos = self.skip_ws(pos + 1);
                let member = self.tape.nodes.len() as u32;
                self.tape.members.push(member);
                pos = self.value(pos, member_key, false)?;
                pos = self.skip_ws(pos);
                match self.input.get(pos) {
                    None => return Err(error(pos, JsonErrorKind::Incomplete)),
                    Some(b',') => pos = self.skip_ws(pos + 1),
                    Some(b'}') => {
                        pos += 1;
                        break;
                    }
                    Some(&b) => return Err(error(pos, JsonErrorKind::Unexpected(b))),
                }
            },
        }
        let end = self.tape.nodes.len() as u32;
        if let Some(n) = self.tape.nodes.get_mut(node) {
            n.kind = Kind::Object { end };
        }
        self.close_members(first_member, top);
        self.depth -= 1;
        Ok(pos)
    }

    /// Marks members shadowed by a later one with the same key; the top
    /// object's members are handed over as they are.
    fn close_members(&mut self, first: usize, top: bool) {
        let tape = &mut *self.tape;
        if top {
            let members = tape.members.get(first..).unwrap_or(&[]);
            tape.top.extend_from_slice(members);
            tape.top_prints.extend(members.iter().map(|&node| {
                key_print(
                    tape.nodes[node as usize]
                        .key
                        .resolve_bytes(self.input, &tape.arena),
                )
            }));
            tape.members.truncate(first);
            return;
        }
        let mut sorted = std::mem::take(&mut tape.sorted);
        let members = tape.members.get(first..).unwrap_or(&[]);
        let same_key = |a: u32, b: u32| {
            let arena = &tape.arena;
            tape.nodes[a as usize].key.resolve_bytes(self.input, arena)
                == tape.nodes[b as usize].key.resolve_bytes(self.input, arena)
        };
        let mut shadowed: Vec<u32> = Vec::new();
        // Within a run (in object order), a member is shadowed when a later
        // one has the same key.
        let mut mark = |run: &[(u64, u32)]| {
            for (i, &(hash, node)) in run.iter().enumerate() {
                if run[i + 1..]
                    .iter()
                    .any(|&(h, other)| h == hash && same_key(node, other))
                {
                    shadowed.push(node);
                }
            }
        };
        sorted.clear();
        if members.len() <= 16 {
            // Few members: every pair is compared, keys unhashed.
            sorted.extend(members.iter().map(|&node| (0, node)));
            mark(&sorted);
        } else {
            let arena = &tape.arena;
            sorted.extend(members.iter().map(|&node| {
                let key = tape.nodes[node as usize]
                    .key
                    .resolve_bytes(self.input, arena);
                ((self.hash)(key), node)
            }));
            sorted.sort_unstable();
            for run in sorted.chunk_by(|a, b| a.0 == b.0) {
                if run.len() > 1 {
                    mark(run);
                }
            }
        }
        tape.sorted = sorted;
        for node in shadowed {
            tape.nodes[node as usize].shadowed = true;
        }
        tape.members.truncate(first);
    }

    fn array_body(&mut self, open: usize, key: Text) -> Result<usize> {
        self.enter(open)?;
        let node = self.push(key, Kind::Array { end: 0 });
        let mut pos = self.skip_ws(open + 1);
        match self.input.get(pos) {
            None => return Err(error(pos, JsonErrorKind::Incomplete)),
            Some(b']') => pos += 1,
            Some(_) => loop {
                pos = self.value(pos, Text::default(), false)?;
                pos = self.skip_ws(pos);
                match self.input.get(pos) {
                    None => return Err(error(pos, JsonErrorKind::Incomplete)),
                    Some(b',') => pos = self.skip_ws(pos + 1),
                    Some(b']') => {
                        pos += 1;
                        break;
                    }
                    Some(&b) => return Err(error(pos, JsonErrorKind::Unexpected(b))),
                }
            },
        }
        let end = self.tape.nodes.len() as u32;
        if let Some(n) = self.tape.nodes.get_mut(node) {
            n.kind = Kind::Array { end };
        }
        self.depth -= 1;
        Ok(pos)
    }

    /// Scans a key whose text starts at `start` (after the quote);
    /// returns it and the offset after the closing quote. A key with
    /// escapes is unescaped into the arena.
    fn string(&mut self, start: usize) -> Result<(Text, usize)> {
        let stop = self.plain_run(start)?;
        if self.input[stop] == b'"' {
            return Ok((Text::input(start, stop), stop + 1));
        }
        let arena_start = self.tape.arena.len();
        let end = self.escaped_string::<true>(start, stop)?;
        let len = self.tape.arena.len() - arena_start;
        Ok((
            Text {
                start: arena_start as u32,
                len: (len as u32) | IN_ARENA,
            },
            end,
        ))
    }

    /// The offset of the first quote or backslash at or after `from`;
    /// fails on a control character or the end of the input. Notes
    /// whether a non-ASCII byte was passed.
    fn plain_run(&mut self, from: usize) -> Result<usize> {
        let stop = self.plain_run_inline(from);
        self.checked_stop(stop)
    }

    /// The offset of the first quote, backslash or control character at
    /// or after `from` (or the end of the input); notes whether a
    /// non-ASCII byte was passed. Sixteen bytes at a time: most strings
    /// of an event (keys, short values) end within the first block.
    /// Always inlined: left to the compiler, an unrelated change elsewhere
    /// in the crate once made it a call per string and per escape (+4 %
    /// instructions over a hunt).
    #[inline(always)]
    fn plain_run_inline(&mut self, from: usize) -> usize {
        let input = self.input;
        let mut i = from;
        #[cfg(target_arch = "x86_64")]
        let mut widened = !self.avx2;
        while let Some(block) = input
            .get(i..i + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        {
            let (special, high) = block_masks(block);
            if special != 0 {
                let at = special.trailing_zeros();
                // Only the bytes before the stop belong to this string.
                self.non_ascii |= high & ((1u32 << at) - 1) != 0;
                return i + at as usize;
            }
            self.non_ascii |= high != 0;
            i += BLOCK;
            // Longer than a block: the rest of the run, wider, once.
            #[cfg(target_arch = "x86_64")]
            if !widened {
                widened = true;
                // SAFETY: AVX2 was detected when the scanner was made.
                let (stop, found, high) = unsafe { simd::long_run_avx2(input, i) };
                self.non_ascii |= high;
                if found {
                    return stop;
                }
                i = stop;
            }
        }
        while let Some(&b) = input.get(i) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            self.non_ascii |= b >= 0x80;
            i += 1;
        }
        i
    }

    fn checked_stop(&self, at: usize) -> Result<usize> {
        match self.input.get(at) {
            None => Err(error(self.input.len(), JsonErrorKind::Incomplete)),
            Some(b'"' | b'\\') => Ok(at),
            Some(_) => Err(error(at, JsonErrorKind::ControlCharacter)),
        }
    }

    /// The slow path: the string has escapes. Checks them and returns the
    /// offset after the closing quote; with `UNESCAPE`, appends the text
    /// unescaped to the arena, otherwise notes the kinds of escapes.
    fn escaped_string<const UNESCAPE: bool>(
        &mut self,
        start: usize,
        first_escape: usize,
    ) -> Result<usize> {
        let mut out = if UNESCAPE {
            let mut out = std::mem::take(&mut self.tape.arena);
            out.extend_from_slice(&self.input[start..first_escape]);
            out
        } else {
            Vec::new()
        };
        let mut escapes = 0u8;
        let mut pos = first_escape;
        let result = loop {
            // `pos` is at a backslash.
            let Some(&escape) = self.input.get(pos + 1) else {
                break Err(error(self.input.len(), JsonErrorKind::Incomplete));
            };
            let next = match escape {
                b'"' => Some((b'"', escape::QUOTE)),
                b'\\' => Some((b'\\', escape::BACKSLASH)),
                b'/' => Some((b'/', escape::SLASH)),
                b'b' => Some((0x08, escape::CONTROL)),
                b'f' => Some((0x0c, escape::CONTROL)),
                b'n' => Some((b'\n', escape::CONTROL)),
                b'r' => Some((b'\r', escape::CONTROL)),
                b't' => Some((b'\t', escape::CONTROL)),
                b'u' => None,
                _ => break Err(error(pos + 1, JsonErrorKind::BadEscape)),
            };
            match next {
                Some((b, kind)) => {
                    if UNESCAPE {
                        out.push(b);
                    }
                    escapes |= kind;
                    pos += 2;
                }
                None => match self.unicode_escape(pos) {
                    Ok((c, after)) => {
                        if UNESCAPE {
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        escapes |= escape::UNICODE;
                        pos = after;
                    }
                    Err(e) => break Err(e),
                },
            }
            // Escaped strings (rendered event messages) hold an escape every
            // few bytes: the run up to the next one is found inline, a word
            // at a time, rather than by a call per run.
            let stop = self.plain_run_inline(pos);
            if UNESCAPE {
                out.extend_from_slice(&self.input[pos..stop]);
            }
            pos = stop;
            match self.input.get(stop) {
                Some(b'"') => break Ok(pos + 1),
                Some(b'\\') => {}
                Some(_) => break Err(error(stop, JsonErrorKind::ControlCharacter)),
                None => break Err(error(self.input.len(), JsonErrorKind::Incomplete)),
            }
        };
        if UNESCAPE {
            self.tape.arena = out;
        } else {
            self.escapes |= escapes;
        }
        result
    }

    /// Decodes `\uXXXX` (and its low surrogate, if it is a high one) at `pos`.
    fn unicode_escape(&self, pos: usize) -> Result<(char, usize)> {
        let first = self.hex4(pos + 2)?;
        match first {
            0xD800..=0xDBFF => {
                let low_at = pos + 6;
                match (self.input.get(low_at), self.input.get(low_at + 1)) {
                    (Some(b'\\'), Some(b'u')) => {}
                    (None, _) | (Some(b'\\'), None) => {
                        return Err(error(self.input.len(), JsonErrorKind::Incomplete));
                    }
                    _ => return Err(error(low_at, JsonErrorKind::BadUnicodeEscape)),
                }
                let low = self.hex4(low_at + 2)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(error(low_at, JsonErrorKind::BadUnicodeEscape));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                char::from_u32(code)
                    .map(|c| (c, low_at + 6))
                    .ok_or(error(pos, JsonErrorKind::BadUnicodeEscape))
            }
            0xDC00..=0xDFFF => Err(error(pos, JsonErrorKind::BadUnicodeEscape)),
            code => char::from_u32(code)
                .map(|c| (c, pos + 6))
                .ok_or(error(pos, JsonErrorKind::BadUnicodeEscape)),
        }
    }

    fn hex4(&self, at: usize) -> Result<u32> {
        let mut value = 0u32;
        for i in 0..4 {
            let Some(&b) = self.input.get(at + i) else {
                return Err(error(self.input.len(), JsonErrorKind::Incomplete));
            };
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(error(at + i, JsonErrorKind::BadEscape)),
            };
            value = value * 16 + u32::from(digit);
        }
        Ok(value)
    }

    fn number(&mut self, start: usize, key: Text) -> Result<usize> {
        let input = self.input;
        let digits = |mut pos: usize| {
            while let Some(b'0'..=b'9') = input.get(pos) {
                pos += 1;
            }
            pos
        };
        let mut pos = start;
        if input.get(pos) == Some(&b'-') {
            pos += 1;
        }
        match input.get(pos) {
            None => return Err(error(pos, JsonErrorKind::Incomplete)),
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => pos = digits(pos + 1),
            Some(&b) => return Err(error(pos, JsonErrorKind::Unexpected(b))),
        }
        let mut integer = true;
        if input.get(pos) == Some(&b'.') {
            integer = false;
            let after = digits(pos + 1);
            if after == pos + 1 {
                return Err(match input.get(after) {
                    None => error(after, JsonErrorKind::Incomplete),
                    Some(&b) => error(after, JsonErrorKind::Unexpected(b)),
                });
            }
            pos = after;
        }
        if let Some(b'e' | b'E') = input.get(pos) {
            integer = false;
            pos += 1;
            if let Some(b'+' | b'-') = input.get(pos) {
                pos += 1;
            }
            let after = digits(pos);
            if after == pos {
                return Err(match input.get(after) {
                    None => error(after, JsonErrorKind::Incomplete),
                    Some(&b) => error(after, JsonErrorKind::Unexpected(b)),
                });
            }
            pos = after;
        }
        // A number that reaches the end of the input may go on in more input.
        if pos == input.len() {
            return Err(error(pos, JsonErrorKind::Incomplete));
        }
        // The span is ASCII by construction.
        let text = std::str::from_utf8(&input[start..pos]).unwrap_or("");
        let negative = text.starts_with('-');
        let kind = match (integer, negative) {
            // `-0` is a float to `serde_json`.
            (true, true) => text.parse::<i64>().ok().map(|i| {
                if i == 0 {
                    Kind::Float(-0.0)
                } else {
                    Kind::Int(i)
                }
            }),
            (true, false) => text.parse::<u64>().ok().map(|u| match i64::try_from(u) {
                Ok(i) => Kind::Int(i),
                Err(_) => Kind::UInt(u),
            }),
            (false, _) => None,
        };
        let kind = match kind {
            Some(kind) => kind,
            // Fractions, exponents and integers beyond 64 bits are read by
            // `serde_json` itself, so both documents hold the same number.
            None => match serde_json::from_str::<serde_json::Number>(text) {
                Ok(n) => {
                    if let Some(i) = n.as_i64() {
                        Kind::Int(i)
                    } else if let Some(u) = n.as_u64() {
                        Kind::UInt(u)
                    } else {
                        Kind::Float(n.as_f64().unwrap_or(f64::NAN))
                    }
                }
                Err(_) => return Err(error(start, JsonErrorKind::NumberOutOfRange)),
            },
        };
        self.push(key, kind);
        Ok(pos)
    }
}

/// A cheap summary of a key: its length and first and last bytes. Keys
/// with different prints differ; a lookup compares whole keys only where
/// the prints agree.
pub(crate) fn key_print(key: &[u8]) -> u32 {
    let first = key.first().map_or(0, |&b| u32::from(b));
    let last = key.last().map_or(0, |&b| u32::from(b));
    (key.len() as u32) << 16 | first << 8 | last
}

impl Text {
    fn resolve_bytes<'a>(self, input: &'a [u8], arena: &'a [u8]) -> &'a [u8] {
        let (source, len) = if self.len & IN_ARENA != 0 {
            (arena, self.len & !IN_ARENA)
        } else {
            (input, self.len)
        };
        let start = self.start as usize;
        source.get(start..start + len as usize).unwrap_or(&[])
    }
}
