//! The condition grammar: `selection and not 1 of filter_*`.
//!
//! Precedence from loosest to tightest: `or`, `and`, `not`, `x of …`,
//! parentheses. Keywords are matched without regard to case. Positions in
//! errors are 1-based character columns into the condition string.

use std::fmt;

use super::ast::Search;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionExpr {
    /// A search identifier.
    Ident {
        /// The identifier.
        name: String,
        /// Where it starts (1-based column).
        column: usize,
    },
    /// `1 of x*`, `all of them`, `2 of selection_*` …
    Of {
        /// How many of the matched searches must hold.
        quantifier: Quantifier,
        /// Which searches.
        target: OfTarget,
        /// Where the quantifier starts (1-based column).
        column: usize,
    },
    /// `not x`.
    Not(Box<ConditionExpr>),
    /// `x and y and …`.
    And(Vec<ConditionExpr>),
    /// `x or y or …`.
    Or(Vec<ConditionExpr>),
}

/// How many searches an `of` expression needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `1 of` / `any of`.
    Any,
    /// `all of`.
    All,
    /// `n of` for `n` other than 1: at least `n`.
    AtLeast(usize),
}

/// The searches an `of` expression ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfTarget {
    /// `them`: every search whose name does not start with `_`.
    Them,
    /// A name pattern where `*` stands for any run of characters.
    Pattern(String),
}

/// A condition that does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// 1-based character column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Parses a condition string.
pub fn parse_condition(text: &str) -> Result<ConditionExpr, ConditionError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end_column: text.chars().count() + 1,
        depth: 0,
    };
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(tok) => Err(ConditionError {
            column: tok.column,
            message: format!("unexpected `{}` after a complete condition", tok.text()),
        }),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Open,
    Close,
    Word(String),
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    column: usize,
}

impl Token {
    fn text(&self) -> &str {
        match &self.kind {
            TokenKind::Open => "(",
            TokenKind::Close => ")",
            TokenKind::Word(w) => w,
        }
    }

    fn keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '*'
}

fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let column = i + 1;
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token {
                kind: TokenKind::Open,
                column,
            }),
            ')' => tokens.push(Token {
                kind: TokenKind::Close,
                column,
            }),
            '|' => {
                return Err(ConditionError {
                    column,
                    message: "aggregation with `|` is not supported; use a correlation rule"
                        .to_owned(),
                });
            }
            c if is_word_char(c) => {
                let mut word = String::from(c);
                while let Some(&(_, next)) = chars.peek() {
                    if !is_word_char(next) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token {
                    kind: TokenKind::Word(word),
                    column,
                });
            }
            other => {
                return Err(ConditionError {
                    column,
                    message: format!("unexpected character `{other}`"),
                });
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end_column: usize,
    depth: usize,
}

const RESERVED: [&str; 7] = ["and", "or", "not", "of", "them", "all", "any"];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let tok = self.tokens.get(self.pos).cloned();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.keyword(keyword)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn descend(&mut self, column: usize) -> Result<(), ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ConditionError {
                column,
                message: format!("nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.end_column, |t| t.column)
    }

    fn or_expr(&mut self) -> Result<ConditionExpr, ConditionError> {
        let mut parts = vec![self.and_expr()?];
        while self.eat_keyword("or") {
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ConditionExpr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<ConditionExpr, ConditionError> {
        let mut parts = vec![self.unary()?];
        while self.eat_keyword("and") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            ConditionExpr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<ConditionExpr, ConditionError> {
        let column = self.here();
        if self.eat_keyword("not") {
            self.descend(column)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(ConditionExpr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<ConditionExpr, ConditionError> {
        let Some(tok) = self.next() else {
            return Err(ConditionError {
                column: self.end_column,
                message: "the condition ends where a search identifier was expected".to_owned(),
            });
        };
        match &tok.kind {
            TokenKind::Open => {
                self.descend(tok.column)?;
                let inner = self.or_expr()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token {
                        kind: TokenKind::Close,
                        ..
                    }) => Ok(inner),
                    Some(other) => Err(ConditionError {
                        column: other.column,
                        message: format!(
                            "expected `)` to close the `(` at column {}, found `{}`",
                            tok.column,
                            other.text()
                        ),
                    }),
                    None => Err(ConditionError {
                        column: self.end_column,
                        message: format!("the `(` at column {} is never closed", tok.column),
                    }),
                }
            }
            TokenKind::Close => Err(ConditionError {
                column: tok.column,
                message: "unexpected `)`".to_owned(),
            }),
            TokenKind::Word(word) => {
                if self.peek().is_some_and(|t| t.keyword("of")) {
                    return self.of_expr(word, tok.column);
                }
                let lower = word.to_ascii_lowercase();
                if RESERVED.contains(&lower.as_str()) {
                    return Err(ConditionError {
                        column: tok.column,
                        message: format!("expected a search identifier, found keyword `{word}`"),
                    });
                }
                if word.contains('*') {
                    return Err(ConditionError {
                        column: tok.column,
                        message: format!("the pattern `{word}` must follow `1 of` or `all of`"),
                    });
                }
                Ok(ConditionExpr::Ident {
                    name: word.clone(),
                    column: tok.column,
                })
            }
        }
    }

    fn of_expr(
        &mut self,
        quantifier: &str,
        column: usize,
    ) -> Result<ConditionExpr, ConditionError> {
        let quantifier = if quantifier.eq_ignore_ascii_case("all") {
            Quantifier::All
        } else if quantifier.eq_ignore_ascii_case("any") {
            Quantifier::Any
        } else {
            match quantifier.parse::<usize>() {
                Ok(0) => {
                    return Err(ConditionError {
                        column,
                        message: "`0 of` is always true; write the condition without it".to_owned(),
                    });
                }
                Ok(1) => Quantifier::Any,
                Ok(n) => Quantifier::AtLeast(n),
                Err(_) => {
                    return Err(ConditionError {
                        column,
                        message: format!(
                            "`{quantifier}` is not a quantifier; expected a number, `any` or `all` before `of`"
                        ),
                    });
                }
            }
        };
        // Skip the `of` the caller saw.
        self.pos += 1;
        let Some(target) = self.next() else {
            return Err(ConditionError {
                column: self.end_column,
                message: "expected `them` or a search identifier pattern after `of`".to_owned(),
            });
        };
        let TokenKind::Word(word) = &target.kind else {
            return Err(ConditionError {
                column: target.column,
                message: format!(
                    "expected `them` or a search identifier pattern after `of`, found `{}`",
                    target.text()
                ),
            });
        };
        let target = if word.eq_ignore_ascii_case("them") {
            OfTarget::Them
        } else if RESERVED.contains(&word.to_ascii_lowercase().as_str()) {
            return Err(ConditionError {
                column: target.column,
                message: format!("expected a search identifier pattern after `of`, found `{word}`"),
            });
        } else {
            OfTarget::Pattern(word.clone())
        };
        Ok(ConditionExpr::Of {
            quantifier,
            target,
            column,
        })
    }
}

/// A condition with every identifier and pattern bound to searches by index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    /// The search at this index holds.
    Search(usize),
    /// Negation.
    Not(Box<Resolved>),
    /// Conjunction.
    And(Vec<Resolved>),
    /// Disjunction.
    Or(Vec<Resolved>),
    /// At least `n` of these hold.
    AtLeast(usize, Vec<Resolved>),
}

impl Resolved {
    /// The same condition with every search index moved up by `offset`, for
    /// appending a filter's searches after a rule's.
    pub(crate) fn shifted(&self, offset: usize) -> Resolved {
        match self {
            Resolved::Search(i) => Resolved::Search(i + offset),
            Resolved::Not(inner) => Resolved::Not(Box::new(inner.shifted(offset))),
            Resolved::And(parts) => {
                Resolved::And(parts.iter().map(|p| p.shifted(offset)).collect())
            }
            Resolved::Or(parts) => Resolved::Or(parts.iter().map(|p| p.shifted(offset)).collect()),
            Resolved::AtLeast(n, parts) => {
                Resolved::AtLeast(*n, parts.iter().map(|p| p.shifted(offset)).collect())
            }
        }
    }
}

/// Why a condition cannot be bound to the rule's searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// The identifier names no search.
    UnknownIdentifier { name: String, column: usize },
    /// The pattern matches no search.
    EmptyPattern { pattern: String, column: usize },
    /// `n of` asks for more searches than the pattern matches.
    TooFew {
        needed: usize,
        found: usize,
        column: usize,
    },
}

/// Binds `expr` to `searches`.
pub(crate) fn resolve(expr: &ConditionExpr, searches: &[Search]) -> Result<Resolved, ResolveError> {
    Ok(match expr {
        ConditionExpr::Ident { name, column } => {
            match searches.iter().position(|s| &s.name == name) {
                Some(i) => Resolved::Search(i),
                None => {
                    return Err(ResolveError::UnknownIdentifier {
                        name: name.clone(),
                        column: *column,
                    });
                }
            }
        }
        ConditionExpr::Not(inner) => Resolved::Not(Box::new(resolve(inner, searches)?)),
        ConditionExpr::And(parts) => Resolved::And(
            parts
                .iter()
                .map(|p| resolve(p, searches))
                .collect::<Result<_, _>>()?,
        ),
        ConditionExpr::Or(parts) => Resolved::Or(
            parts
                .iter()
                .map(|p| resolve(p, searches))
                .collect::<Result<_, _>>()?,
        ),
        ConditionExpr::Of {
            quantifier,
            target,
            column,
        } => {
            let matched: Vec<Resolved> = searches
                .iter()
                .enumerate()
                .filter(|(_, s)| of_target_selects(target, &s.name))
                .map(|(i, _)| Resolved::Search(i))
                .collect();
            if matched.is_empty() {
                return Err(ResolveError::EmptyPattern {
                    pattern: match target {
                        OfTarget::Them => "them".to_owned(),
                        OfTarget::Pattern(p) => p.clone(),
                    },
                    column: *column,
                });
            }
            match quantifier {
                Quantifier::Any => Resolved::Or(matched),
                Quantifier::All => Resolved::And(matched),
                Quantifier::AtLeast(n) => {
                    if *n > matched.len() {
                        return Err(ResolveError::TooFew {
                            needed: *n,
                            found: matched.len(),
                            column: *column,
                        });
                    }
                    Resolved::AtLeast(*n, matched)
                }
            }
        }
    })
}

/// Whether an `of` target selects the search called `name`. Names starting
/// with `_` are left out of `them` and of patterns that do not themselves
/// start with `_`, as pySigma does, so helper searches can be hidden.
pub(crate) fn of_target_selects(target: &OfTarget, name: &str) -> bool {
    match target {
        OfTarget::Them => !name.starts_with('_'),
        OfTarget::Pattern(pattern) => {
            (pattern.starts_with('_') || !name.starts_with('_')) && star_match(pattern, name)
        }
    }
}

/// Matches `name` against `pattern`, where `*` is any run of characters.
fn star_match(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        // No `*` at all: the whole name must equal the pattern.
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(name: &str, column: usize) -> ConditionExpr {
        ConditionExpr::Ident {
            name: name.to_owned(),
            column,
        }
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_tighter_than_or() {
        let parsed = parse_condition("a or not b and c").unwrap();
        assert_eq!(
            parsed,
            ConditionExpr::Or(vec![
                ident("a", 1),
                ConditionExpr::And(vec![
                    ConditionExpr::Not(Box::new(ident("b", 10))),
                    ident("c", 16)
                ])
            ])
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let parsed = parse_condition("selection1 and (keywords1 or keywords2)").unwrap();
        assert_eq!(
            parsed,
            ConditionExpr::And(vec![
                ident("selection1", 1),
                ConditionExpr::Or(vec![ident("keywords1", 17), ident("keywords2", 30)])
            ])
        );
    }

    #[test]
    fn spec_examples_parse() {
        for text in [
            "keywords1 or keywords2",
            "1 of them",
            "all of them",
            "all of selection*",
            "1 of selection* and keywords",
            "1 of selection* and not 1 of filter*",
            "keywords and not filters",
            "selection1 and (keywords1 or keywords2)",
            "any of sel_*",
            "2 of sel_*",
            "selection_main and 1 of selection_empty*",
            "NOT a AND b OR c",
        ] {
            parse_condition(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn of_expressions_carry_their_quantifier() {
        assert_eq!(
            parse_condition("all of filter_*").unwrap(),
            ConditionExpr::Of {
                quantifier: Quantifier::All,
                target: OfTarget::Pattern("filter_*".into()),
                column: 1
            }
        );
        assert_eq!(
            parse_condition("x and 3 of them").unwrap(),
            ConditionExpr::And(vec![
                ident("x", 1),
                ConditionExpr::Of {
                    quantifier: Quantifier::AtLeast(3),
                    target: OfTarget::Them,
                    column: 7
                }
            ])
        );
    }

    #[test]
    fn errors_name_the_column() {
        let err = parse_condition("selection and").unwrap_err();
        assert_eq!(err.column, 14);
        let err = parse_condition("selection and (a or b").unwrap_err();
        assert!(err.message.contains("never closed"), "{err}");
        let err = parse_condition("a b").unwrap_err();
        assert_eq!(err.column, 3);
        let err = parse_condition("sel | count() > 5").unwrap_err();
        assert_eq!(err.column, 5);
        let err = parse_condition("selection* and x").unwrap_err();
        assert_eq!(err.column, 1);
        let err = parse_condition("a and $b").unwrap_err();
        assert_eq!(err.column, 7);
        let err = parse_condition("").unwrap_err();
        assert_eq!(err.column, 1);
        let err = parse_condition("x of them").unwrap_err();
        assert_eq!(err.column, 1);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_condition(&deep).is_err());
        let nots = format!("{}a", "not ".repeat(10_000));
        assert!(parse_condition(&nots).is_err());
    }

    fn searches(names: &[&str]) -> Vec<Search> {
        names
            .iter()
            .map(|n| Search {
                name: (*n).to_owned(),
                body: super::super::ast::SearchBody::AllOf(Vec::new()),
            })
            .collect()
    }

    #[test]
    fn patterns_resolve_to_matching_searches_and_them_skips_underscores() {
        let s = searches(&["selection_a", "selection_b", "filter", "_helper"]);
        let r = resolve(&parse_condition("1 of selection_*").unwrap(), &s).unwrap();
        assert_eq!(
            r,
            Resolved::Or(vec![Resolved::Search(0), Resolved::Search(1)])
        );
        let r = resolve(&parse_condition("all of them").unwrap(), &s).unwrap();
        assert_eq!(
            r,
            Resolved::And(vec![
                Resolved::Search(0),
                Resolved::Search(1),
                Resolved::Search(2)
            ])
        );
        let r = resolve(&parse_condition("1 of _h*").unwrap(), &s).unwrap();
        assert_eq!(r, Resolved::Or(vec![Resolved::Search(3)]));
        // A pattern without `*` must match the whole name.
        let r = resolve(&parse_condition("1 of filter").unwrap(), &s).unwrap();
        assert_eq!(r, Resolved::Or(vec![Resolved::Search(2)]));
    }

    #[test]
    fn unknown_identifiers_and_empty_patterns_are_errors_with_columns() {
        let s = searches(&["selection"]);
        assert_eq!(
            resolve(&parse_condition("selection and not filter").unwrap(), &s),
            Err(ResolveError::UnknownIdentifier {
                name: "filter".into(),
                column: 19
            })
        );
        assert_eq!(
            resolve(
                &parse_condition("selection and not 1 of filter*").unwrap(),
                &s
            ),
            Err(ResolveError::EmptyPattern {
                pattern: "filter*".into(),
                column: 19
            })
        );
        assert!(matches!(
            resolve(&parse_condition("2 of sel*").unwrap(), &s),
            Err(ResolveError::TooFew {
                needed: 2,
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn star_match_handles_middle_and_edge_stars() {
        assert!(star_match("a*c", "abc"));
        assert!(star_match("a*c", "ac"));
        assert!(!star_match("a*c", "abcd"));
        assert!(star_match("*", ""));
        assert!(star_match("*b*", "abc"));
        assert!(!star_match("ab*ba", "aba"));
        assert!(star_match("ab*ba", "abba"));
    }
}
