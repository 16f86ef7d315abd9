//! General wildcard patterns: the shape of a Sigma value with `*` or `?`
//! in the middle, which no plain prefix, suffix or substring test covers.

/// One token of a general wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum GlobToken {
    Lit(Box<str>),
    /// `*`
    Run,
    /// `?`
    One,
}

/// A wildcard pattern that is not a plain prefix, suffix or substring.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Glob {
    pub(crate) tokens: Box<[GlobToken]>,
}

impl Glob {
    /// The longest literal the pattern requires, if any: an occurrence of it
    /// is necessary for a match.
    pub(crate) fn longest_literal(&self) -> Option<&str> {
        self.tokens
            .iter()
            .filter_map(|t| match t {
                GlobToken::Lit(l) => Some(&**l),
                _ => None,
            })
            .max_by_key(|l| l.len())
    }

    /// Matches the whole of `text`: greedy with backtracking to the last
    /// `*`, linear in practice and never exponential.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let tokens = &self.tokens;
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            if let Some(token) = tokens.get(t) {
                match token {
                    GlobToken::Run => {
                        star = Some((t, p));
                        t += 1;
                        continue;
                    }
                    GlobToken::One => {
                        if let Some(c) = text[p..].chars().next() {
                            p += c.len_utf8();
                            t += 1;
                            continue;
                        }
                    }
                    GlobToken::Lit(lit) => {
                        if text[p..].starts_with(&**lit) {
                            p += lit.len();
                            t += 1;
                            continue;
                        }
                    }
                }
            } else if p == text.len() {
                return true;
            }
            // Mismatch: let the last `*` swallow one more character.
            match star {
                Some((star_t, star_p)) => match text[star_p..].chars().next() {
                    Some(c) => {
                        let next = star_p + c.len_utf8();
                        star = Some((star_t, next));
                        t = star_t + 1;
                        p = next;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(tokens: Vec<GlobToken>) -> Glob {
        Glob {
            tokens: tokens.into_boxed_slice(),
        }
    }

    fn lit(s: &str) -> GlobToken {
        GlobToken::Lit(s.into())
    }

    #[test]
    fn glob_matching() {
        use GlobToken::{One, Run};
        let g = glob(vec![lit("prog"), One, lit(".exe")]);
        assert!(g.matches("progA.exe"));
        assert!(g.matches("progé.exe"));
        assert!(!g.matches("prog.exe"));
        assert!(!g.matches("progAB.exe"));
        assert_eq!(g.longest_literal().map(str::len), Some(4));
        let g = glob(vec![lit("a"), Run, lit("b"), Run, lit("c")]);
        assert!(g.matches("abc"));
        assert!(g.matches("axxbyyc"));
        assert!(g.matches("abcbc"));
        assert!(!g.matches("acb"));
        let g = glob(vec![Run, lit("aab")]);
        assert!(g.matches("aaab"));
        let g = glob(vec![Run, One, Run]);
        assert!(g.matches("x"));
        assert!(!g.matches(""));
        assert_eq!(g.longest_literal(), None);
        let g = glob(vec![]);
        assert!(g.matches(""));
        assert!(!g.matches("a"));
    }
}
