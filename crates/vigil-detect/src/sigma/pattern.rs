//! Sigma string values: wildcards `*` and `?`, the backslash escape, and
//! `%placeholders%`.
//!
//! A backslash escapes `*`, `?` and itself; before any other character it
//! is a plain backslash (so `C:\Windows` needs no doubling). When the
//! `expand` modifier is present, `%name%` is a placeholder and `\%` a plain
//! percent sign.

/// One piece of a Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
    /// `%name%` under `expand`.
    Placeholder(String),
}

/// A Sigma string as a sequence of parts, with adjacent literals merged
/// and runs of `*` collapsed, so equal patterns have equal parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SigmaString {
    parts: Vec<Part>,
}

impl SigmaString {
    /// Parses a rule value; `placeholders` turns on `%name%` recognition.
    pub(crate) fn parse(raw: &str, placeholders: bool) -> Self {
        let mut out = SigmaString::default();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek().copied() {
                    Some(next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push_char(next);
                    }
                    Some('%') if placeholders => {
                        chars.next();
                        out.push_char('%');
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.push(Part::AnyRun),
                '?' => out.push(Part::AnyChar),
                '%' if placeholders => {
                    // A placeholder is `%` + name characters + `%`; anything
                    // else leaves the `%` as plain text.
                    let rest: String = chars.clone().collect();
                    let name_len = rest
                        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                        .unwrap_or(rest.len());
                    if name_len > 0 && rest[name_len..].starts_with('%') {
                        let name = rest[..name_len].to_owned();
                        for _ in 0..=name.chars().count() {
                            chars.next();
                        }
                        out.push(Part::Placeholder(name));
                    } else {
                        out.push_char('%');
                    }
                }
                other => out.push_char(other),
            }
        }
        out
    }

    /// A string of plain text with no wildcards.
    pub(crate) fn literal(text: &str) -> Self {
        let mut out = SigmaString::default();
        if !text.is_empty() {
            out.parts.push(Part::Lit(text.to_owned()));
        }
        out
    }

    /// Builds a string from parts, normalising them.
    pub(crate) fn from_parts(parts: impl IntoIterator<Item = Part>) -> Self {
        let mut out = SigmaString::default();
        for part in parts {
            out.push(part);
        }
        out
    }

    pub(crate) fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub(crate) fn into_parts(self) -> Vec<Part> {
        self.parts
    }

    fn push_char(&mut self, c: char) {
        if let Some(Part::Lit(last)) = self.parts.last_mut() {
            last.push(c);
        } else {
            self.parts.push(Part::Lit(c.to_string()));
        }
    }

    /// Appends a part, merging literals and collapsing repeated `*`.
    pub(crate) fn push(&mut self, part: Part) {
        match (self.parts.last_mut(), part) {
            (_, Part::Lit(text)) if text.is_empty() => {}
            (Some(Part::Lit(last)), Part::Lit(text)) => last.push_str(&text),
            (Some(Part::AnyRun), Part::AnyRun) => {}
            (_, part) => self.parts.push(part),
        }
    }

    /// Whether the string starts with `*`.
    pub(crate) fn starts_with_any_run(&self) -> bool {
        matches!(self.parts.first(), Some(Part::AnyRun))
    }

    /// Whether the string ends with `*`.
    pub(crate) fn ends_with_any_run(&self) -> bool {
        matches!(self.parts.last(), Some(Part::AnyRun))
    }

    /// Puts `*` in front unless it is already there.
    pub(crate) fn prepend_any_run(&mut self) {
        if !self.starts_with_any_run() {
            self.parts.insert(0, Part::AnyRun);
        }
    }

    /// Puts `*` at the end unless it is already there.
    pub(crate) fn append_any_run(&mut self) {
        if !self.ends_with_any_run() {
            self.parts.push(Part::AnyRun);
        }
    }

    /// The text when the string is plain (no wildcards or placeholders).
    pub(crate) fn plain_text(&self) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(l) => text.push_str(l),
                _ => return None,
            }
        }
        Some(text)
    }

    /// Whether any placeholder is left.
    pub(crate) fn has_placeholder(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Placeholder(_)))
    }

    /// A new string with every literal run through `map`.
    pub(crate) fn map_literals(&self, mut map: impl FnMut(&str) -> String) -> Self {
        SigmaString::from_parts(self.parts.iter().map(|p| match p {
            Part::Lit(l) => Part::Lit(map(l)),
            other => other.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Lit(s.to_owned())
    }

    #[test]
    fn wildcards_and_escapes_follow_the_specification() {
        assert_eq!(
            SigmaString::parse("prog?.exe", false).parts(),
            &[lit("prog"), Part::AnyChar, lit(".exe")]
        );
        assert_eq!(
            SigmaString::parse("antivirus_V*.exe", false).parts(),
            &[lit("antivirus_V"), Part::AnyRun, lit(".exe")]
        );
        // A plain backslash, single or doubled.
        assert_eq!(
            SigmaString::parse(r"C:\Windows", false).parts(),
            &[lit(r"C:\Windows")]
        );
        assert_eq!(
            SigmaString::parse(r"C:\\Windows", false).parts(),
            &[lit(r"C:\Windows")]
        );
        // Escaped wildcards are plain characters.
        assert_eq!(SigmaString::parse(r"a\*b\?", false).parts(), &[lit("a*b?")]);
        // A backslash followed by a wildcard: `\\*`.
        assert_eq!(
            SigmaString::parse(r"a\\*", false).parts(),
            &[lit(r"a\"), Part::AnyRun]
        );
        // Three backslashes and a star: backslash then literal star.
        assert_eq!(SigmaString::parse(r"a\\\*", false).parts(), &[lit(r"a\*")]);
        // Three or four backslashes are a double backslash.
        assert_eq!(SigmaString::parse(r"\\\\", false).parts(), &[lit(r"\\")]);
        assert_eq!(SigmaString::parse(r"\\\", false).parts(), &[lit(r"\\")]);
    }

    #[test]
    fn placeholders_only_under_expand() {
        assert_eq!(
            SigmaString::parse("%name%", false).parts(),
            &[lit("%name%")]
        );
        assert_eq!(
            SigmaString::parse("%name%", true).parts(),
            &[Part::Placeholder("name".into())]
        );
        assert_eq!(
            SigmaString::parse(r"\%plain%name%", true).parts(),
            &[lit("%plain"), Part::Placeholder("name".into())]
        );
        assert_eq!(
            SigmaString::parse("100% sure", true).parts(),
            &[lit("100% sure")]
        );
    }

    #[test]
    fn runs_of_stars_collapse() {
        assert_eq!(
            SigmaString::parse("a**b", false).parts(),
            &[lit("a"), Part::AnyRun, lit("b")]
        );
        let mut s = SigmaString::parse("*x", false);
        s.prepend_any_run();
        s.append_any_run();
        assert_eq!(s.parts(), &[Part::AnyRun, lit("x"), Part::AnyRun]);
    }
}
