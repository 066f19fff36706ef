//! The Solr query subset CKAN clients send, parsed into a small syntax tree: `field:value`,
//! quoted phrases, AND/OR/NOT and `+`/`-`, parentheses, ranges `[a TO b]` / `{a TO b}` with
//! `*`, trailing wildcards, `*:*`. Anything else is a parse error, never a panic.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Word(String),
    Phrase(String),
    /// `abc*`: the prefix.
    Prefix(String),
    /// Bounds as written; `None` for `*`.
    Range {
        lo: Option<String>,
        hi: Option<String>,
        lo_inclusive: bool,
        hi_inclusive: bool,
    },
    /// `field:*`.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `*:*`
    All,
    /// A value on a field (`None`: the default search fields).
    Match {
        field: Option<String>,
        value: Value,
    },
    /// Clauses that must (true) or must not (false) match; plain clauses must match.
    And(Vec<(bool, Node)>),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Plus,
    Minus,
    /// `name:` — the field of the next atom.
    Field(String),
    Word(String),
    Phrase(String),
    Range(bool, String, String, bool),
}

/// Longest query accepted, in characters, and deepest nesting: bounds on work per request.
const MAX_QUERY_CHARS: usize = 10_000;
const MAX_DEPTH: usize = 32;

fn lex(input: &str) -> Result<Vec<Tok>, ParseError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(ParseError(format!(
            "query longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let chars: Vec<char> = input.chars().collect();
    let mut toks = vec![];
    let mut i = 0;
    let at_clause_start = |toks: &Vec<Tok>| {
        matches!(
            toks.last(),
            None | Some(
                Tok::LParen
                    | Tok::And
                    | Tok::Or
                    | Tok::Not
                    | Tok::Word(_)
                    | Tok::Phrase(_)
                    | Tok::Range(..)
                    | Tok::RParen
            )
        )
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            '"' => {
                let (s, next) = read_phrase(&chars, i)?;
                toks.push(Tok::Phrase(s));
                i = next;
            }
            '[' | '{' => {
                let (t, next) = read_range(&chars, i)?;
                toks.push(t);
                i = next;
            }
            '+' | '-' | '!'
                if at_clause_start(&toks)
                    && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) =>
            {
                toks.push(match c {
                    '+' => Tok::Plus,
                    '-' => Tok::Minus,
                    _ => Tok::Not,
                });
                i += 1;
            }
            _ => {
                let mut word = String::new();
                while i < chars.len() {
                    let ch = chars[i];
                    if ch == '\\' {
                        if let Some(&next) = chars.get(i + 1) {
                            word.push(next);
                            i += 2;
                            continue;
                        }
                        return Err(ParseError("a query cannot end with \\".into()));
                    }
                    if ch.is_whitespace() || ch == '(' || ch == ')' || ch == '"' {
                        break;
                    }
                    if ch == ':' {
                        // `field:` ends the field name; the value is the next token.
                        i += 1;
                        break;
                    }
                    word.push(ch);
                    i += 1;
                }
                if i > 0
                    && chars[i - 1] == ':'
                    && !word.is_empty()
                    && !(i >= 2 && chars[i - 2] == '\\')
                {
                    if chars.get(i).is_none_or(|c| c.is_whitespace()) {
                        return Err(ParseError(format!("no value after '{word}:'")));
                    }
                    toks.push(Tok::Field(word));
                    continue;
                }
                match word.as_str() {
                    "AND" | "&&" => toks.push(Tok::And),
                    "OR" | "||" => toks.push(Tok::Or),
                    "NOT" => toks.push(Tok::Not),
                    "" => return Err(ParseError(format!("unexpected '{c}'"))),
                    _ => toks.push(Tok::Word(word)),
                }
            }
        }
    }
    Ok(toks)
}

fn read_phrase(chars: &[char], start: usize) -> Result<(String, usize), ParseError> {
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                s.push(chars[i + 1]);
                i += 2;
            }
            '"' => return Ok((s, i + 1)),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(ParseError("unterminated phrase: a '\"' is missing".into()))
}

fn read_range(chars: &[char], start: usize) -> Result<(Tok, usize), ParseError> {
    let lo_inclusive = chars[start] == '[';
    let end = chars[start + 1..]
        .iter()
        .position(|c| *c == ']' || *c == '}')
        .map(|p| p + start + 1)
        .ok_or_else(|| ParseError("unterminated range: ']' or '}' is missing".into()))?;
    let hi_inclusive = chars[end] == ']';
    let inner: String = chars[start + 1..end].iter().collect();
    let parts: Vec<&str> = inner.split(" TO ").collect();
    let [lo, hi] = parts.as_slice() else {
        return Err(ParseError(format!(
            "a range needs 'lower TO upper', got [{inner}]"
        )));
    };
    Ok((
        Tok::Range(
            lo_inclusive,
            lo.trim().to_string(),
            hi.trim().to_string(),
            hi_inclusive,
        ),
        end + 1,
    ))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Parses a query; an empty query is `None`.
pub fn parse(input: &str) -> Result<Option<Node>, ParseError> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let node = p.or(None)?;
    if p.pos < p.toks.len() {
        return Err(ParseError("unbalanced ')'".into()));
    }
    Ok(Some(node))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self, field: Option<&str>) -> Result<Node, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError("query nested too deeply".into()));
        }
        let mut alts = vec![self.and(field)?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            alts.push(self.and(field)?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.remove(0)
        } else {
            Node::Or(alts)
        })
    }

    fn and(&mut self, field: Option<&str>) -> Result<Node, ParseError> {
        let mut clauses = vec![];
        loop {
            match self.peek() {
                None | Some(Tok::RParen) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let must = match self.peek() {
                Some(Tok::Minus) | Some(Tok::Not) => {
                    self.pos += 1;
                    false
                }
                Some(Tok::Plus) => {
                    self.pos += 1;
                    true
                }
                _ => true,
            };
            clauses.push((must, self.atom(field)?));
        }
        match clauses.len() {
            0 => Err(ParseError("empty clause".into())),
            1 if clauses[0].0 => Ok(clauses.remove(0).1),
            _ => Ok(Node::And(clauses)),
        }
    }

    fn atom(&mut self, field: Option<&str>) -> Result<Node, ParseError> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| ParseError("query ends too early".into()))?;
        self.pos += 1;
        let field_of = |f: Option<&str>| f.map(str::to_string);
        match tok {
            Tok::LParen => {
                let inner = self.or(field)?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(ParseError("unbalanced '(': a ')' is missing".into()));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Field(f) => {
                if field.is_some() {
                    return Err(ParseError(format!(
                        "field '{f}:' inside another field's value"
                    )));
                }
                if f == "*" {
                    return match self.toks.get(self.pos) {
                        Some(Tok::Word(w)) if w == "*" => {
                            self.pos += 1;
                            Ok(Node::All)
                        }
                        _ => Err(ParseError("'*:' must be followed by '*'".into())),
                    };
                }
                self.atom(Some(&f))
            }
            Tok::Word(w) => Ok(Node::Match {
                field: field_of(field),
                value: word_value(&w),
            }),
            Tok::Phrase(s) => Ok(Node::Match {
                field: field_of(field),
                value: Value::Phrase(s),
            }),
            Tok::Range(lo_inc, lo, hi, hi_inc) => {
                if field.is_none() {
                    return Err(ParseError(
                        "a range needs a field, e.g. metadata_modified:[2024-01-01T00:00:00Z TO *]"
                            .into(),
                    ));
                }
                let bound = |s: String| if s == "*" { None } else { Some(s) };
                Ok(Node::Match {
                    field: field_of(field),
                    value: Value::Range {
                        lo: bound(lo),
                        hi: bound(hi),
                        lo_inclusive: lo_inc,
                        hi_inclusive: hi_inc,
                    },
                })
            }
            Tok::RParen => Err(ParseError("unbalanced ')'".into())),
            Tok::And | Tok::Or | Tok::Not | Tok::Plus | Tok::Minus => {
                Err(ParseError("an operator needs something to apply to".into()))
            }
        }
    }
}

fn word_value(w: &str) -> Value {
    if w == "*" {
        Value::Any
    } else if let Some(prefix) = w
        .strip_suffix('*')
        .filter(|p| !p.is_empty() && !p.contains('*'))
    {
        Value::Prefix(prefix.to_string())
    } else {
        Value::Word(w.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(field: Option<&str>, v: Value) -> Node {
        Node::Match {
            field: field.map(str::to_string),
            value: v,
        }
    }
    fn w(s: &str) -> Value {
        Value::Word(s.into())
    }

    #[test]
    fn the_subset_clients_send() {
        assert_eq!(parse("*:*"), Ok(Some(Node::All)));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(
            parse("tags:economy"),
            Ok(Some(m(Some("tags"), w("economy"))))
        );
        assert_eq!(
            parse("da nang"),
            Ok(Some(Node::And(vec![
                (true, m(None, w("da"))),
                (true, m(None, w("nang")))
            ])))
        );
        assert_eq!(
            parse("title:\"Đà Nẵng\""),
            Ok(Some(m(Some("title"), Value::Phrase("Đà Nẵng".into()))))
        );
        assert_eq!(
            parse("organization:a OR organization:b"),
            Ok(Some(Node::Or(vec![
                m(Some("organization"), w("a")),
                m(Some("organization"), w("b"))
            ])))
        );
        assert_eq!(
            parse("-organization:a"),
            Ok(Some(Node::And(vec![(
                false,
                m(Some("organization"), w("a"))
            )])))
        );
        assert_eq!(
            parse("metadata_modified:[2026-11-23T04:27:30.593566Z TO *]"),
            Ok(Some(m(
                Some("metadata_modified"),
                Value::Range {
                    lo: Some("2026-11-23T04:27:30.593566Z".into()),
                    hi: None,
                    lo_inclusive: true,
                    hi_inclusive: true
                }
            )))
        );
        assert_eq!(
            parse("name:truong*"),
            Ok(Some(m(Some("name"), Value::Prefix("truong".into()))))
        );
        assert_eq!(
            parse("tags:(a OR b)"),
            Ok(Some(Node::Or(vec![
                m(Some("tags"), w("a")),
                m(Some("tags"), w("b"))
            ])))
        );
        assert!(matches!(parse("a AND NOT b"), Ok(Some(Node::And(c))) if c.len() == 2 && !c[1].0));
        assert_eq!(
            parse("url:http\\://x"),
            Ok(Some(m(Some("url"), w("http://x"))))
        );
    }

    #[test]
    fn malformed_queries_are_errors() {
        for q in [
            "(a", "a)", "\"open", "title:", "[a TO b]", "x:[a b]", "*:x", "AND", "a OR", "x:y:z:(",
            "\\",
        ] {
            assert!(parse(q).is_err(), "{q} should not parse");
        }
        assert!(parse(&"(".repeat(100)).is_err());
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A cheap deterministic fuzz: every short string over the syntax characters.
        let alphabet = [
            'a', ':', '"', '(', ')', '[', ']', '{', '}', '*', '-', '+', '!', ' ', '\\', 'T', 'O',
        ];
        let mut n = 0u64;
        for len in 1..=5u32 {
            let total = (alphabet.len() as u64).pow(len);
            for code in (0..total).step_by(7) {
                let mut c = code;
                let s: String = (0..len)
                    .map(|_| {
                        let ch = alphabet[(c % alphabet.len() as u64) as usize];
                        c /= alphabet.len() as u64;
                        ch
                    })
                    .collect();
                let _ = parse(&s);
                n += 1;
            }
        }
        assert!(n > 100_000);
    }
}
