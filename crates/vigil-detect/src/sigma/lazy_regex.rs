//! A rule's regular expression (`|re`), checked when the rule loads and
//! compiled when it is first needed.
//!
//! Compiling was the largest part of loading a large rule set: of loading
//! the 2,407 Windows rules, the regexes' compilation took 55 ms of 200 and
//! 24 MB of the 100 MB resident (Unicode classes such as `\d`, `\w` and
//! `\s` compile to large automata), while a hunt or a node only ever
//! evaluates the regexes of rules whose log source an event has and whose
//! other selections let matching get that far. So the syntax is checked at
//! load — with regex-syntax, the parser the regex crate itself uses, with
//! the same flags — and a malformed regex still rejects its rule at load;
//! the automaton is built once, by the first thread that needs it.
//!
//! What only compiling can find is a regex over the compiled-size limit.
//! Such a regex matches nothing, and says why once in the log;
//! `vigil rules check` compiles every regex ([`LazyRegex::compiled`]) and
//! rejects the rule.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// The `re` sub-modifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RegexFlags {
    /// `i`: case-insensitive.
    pub(crate) ignore_case: bool,
    /// `m`: `^` and `$` match at line ends.
    pub(crate) multi_line: bool,
    /// `s`: `.` matches a newline too.
    pub(crate) dot_all: bool,
}

/// A regular expression whose syntax is known good, compiled on first use.
/// Clones share the compiled automaton.
#[derive(Clone)]
pub(crate) struct LazyRegex(Arc<Inner>);

struct Inner {
    pattern: String,
    flags: RegexFlags,
    compiled: OnceLock<Result<regex::Regex, String>>,
}

impl fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LazyRegex").field(&self.0.pattern).finish()
    }
}

impl LazyRegex {
    /// Checks `pattern`'s syntax under `flags`; the error is the parser's
    /// last line (what is wrong, without the pattern drawn above it).
    pub(crate) fn new(pattern: String, flags: RegexFlags) -> Result<Self, String> {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(flags.ignore_case)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_all)
            .build()
            .parse(&pattern)
            .map_err(|e| last_line(&e.to_string()))?;
        Ok(Self(Arc::new(Inner {
            pattern,
            flags,
            compiled: OnceLock::new(),
        })))
    }

    /// The pattern as written in the rule.
    pub(crate) fn as_str(&self) -> &str {
        &self.0.pattern
    }

    /// Whether the regex matches somewhere in `text`; never, when it could
    /// not be compiled.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.compiled().is_ok_and(|re| re.is_match(text))
    }

    /// The compiled regex, compiling it now if no one has; or why it cannot
    /// be compiled (logged once, when first found).
    pub(crate) fn compiled(&self) -> Result<&regex::Regex, &str> {
        self.0
            .compiled
            .get_or_init(|| {
                let Inner { pattern, flags, .. } = &*self.0;
                regex::RegexBuilder::new(pattern)
                    .case_insensitive(flags.ignore_case)
                    .multi_line(flags.multi_line)
                    .dot_matches_new_line(flags.dot_all)
                    .build()
                    .map_err(|e| {
                        let why = last_line(&e.to_string());
                        tracing::warn!(pattern = %pattern, error = %why, "a rule's regular expression cannot be compiled and matches nothing");
                        why
                    })
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

// Stored as the pattern and its flags (the compiled rule-set cache); the
// syntax was checked when the rule first loaded, and the automaton is built
// on first use as after any load.
impl serde::Serialize for LazyRegex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&(&self.0.pattern, self.0.flags), serializer)
    }
}

impl<'de> serde::Deserialize<'de> for LazyRegex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (pattern, flags) =
            <(String, RegexFlags) as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self(Arc::new(Inner {
            pattern,
            flags,
            compiled: OnceLock::new(),
        })))
    }
}

/// The last line of a regex error: what is wrong, without the pattern and
/// the caret drawn above it.
fn last_line(message: &str) -> String {
    message.lines().last().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_found_at_once() {
        let e = LazyRegex::new("a(b".into(), RegexFlags::default()).unwrap_err();
        assert_eq!(e, "error: unclosed group");
        let e = LazyRegex::new(r"\p{NoSuchClass}".into(), RegexFlags::default()).unwrap_err();
        assert!(e.contains("Unicode property not found"), "{e}");
    }

    #[test]
    fn the_flags_apply_and_clones_share_the_compiled_regex() {
        let flags = RegexFlags {
            ignore_case: true,
            multi_line: true,
            dot_all: true,
        };
        let re = LazyRegex::new("^b.c$".into(), flags).unwrap();
        let clone = re.clone();
        assert!(re.is_match("a\nB\nC"));
        assert!(std::ptr::eq(
            re.compiled().unwrap(),
            clone.compiled().unwrap()
        ));
        let plain = LazyRegex::new("^b.c$".into(), RegexFlags::default()).unwrap();
        assert!(!plain.is_match("a\nB\nC"));
        assert_eq!(plain.as_str(), "^b.c$");
    }

    #[test]
    fn a_regex_over_the_size_limit_parses_but_matches_nothing() {
        // Good syntax; compiled, far over regex's 10 MB limit.
        let re = LazyRegex::new(r"\w{1000}{1000}".into(), RegexFlags::default()).unwrap();
        let why = re.compiled().unwrap_err();
        assert!(why.contains("exceeds size limit"), "{why}");
        assert!(!re.is_match(&"a".repeat(10)));
    }
}
