//! Validators of attribute values and of whole objects.
//!
//! A validator sees only known, non-null values and reports into [`Diagnostics`] at the path
//! it is given, so every message points at the offending expression.

use std::sync::Arc;

use crate::framework::diagnostics::Diagnostics;

use crate::values::path::{AttributePath, PathStep};
use crate::values::value::Value;

pub use pattern::{Pattern, PatternError};

/// Checks one value. Implement it for checks the built-in validators don't cover, or use
/// [`from_fn`].
pub trait Validator: Send + Sync {
    /// What a valid value looks like, in the user's words ("a string of 1 to 63 characters").
    fn description(&self) -> String;

    /// Reports problems with `value` (known and not null) found at `path`.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// The attribute name at the end of `path`, for messages ("region", or "value" at the root).
fn subject(path: &AttributePath) -> String {
    if path.is_root() {
        "value".to_owned()
    } else {
        path.to_string()
    }
}

fn invalid(path: &AttributePath, diags: &mut Diagnostics, detail: String) {
    diags.attribute_error(path.clone(), "Invalid attribute value", detail);
}

struct FnValidator<F> {
    description: String,
    check: F,
}

impl<F> Validator for FnValidator<F>
where
    F: Fn(&Value, &AttributePath, &mut Diagnostics) + Send + Sync,
{
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        (self.check)(value, path, diags);
    }
}

/// A validator from a closure.
pub fn from_fn<F>(description: impl Into<String>, check: F) -> Arc<dyn Validator>
where
    F: Fn(&Value, &AttributePath, &mut Diagnostics) + Send + Sync + 'static,
{
    Arc::new(FnValidator {
        description: description.into(),
        check,
    })
}

/// A validator of strings: `accept` says whether a string is valid; `expected` describes the
/// valid ones for the error message ("must be {expected}").
fn string_check(
    expected: String,
    accept: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> Arc<dyn Validator> {
    let description = expected.clone();
    from_fn(description, move |value, path, diags| {
        match value.as_str() {
            Some(s) if accept(s) => {}
            Some(s) => invalid(
                path,
                diags,
                format!("{} must be {expected}, but got {s:?}.", subject(path)),
            ),
            None => invalid(
                path,
                diags,
                format!("{} must be a string, but got {value}.", subject(path)),
            ),
        }
    })
}

/// Strings matching `pattern` (unanchored unless the pattern says `^...$`); `expected` tells the
/// user what that means, e.g. `"an AWS region such as eu-west-1"`.
///
/// # Panics
/// When `pattern` is not a valid pattern: schemas are built by code, so that is a bug.
pub fn regex(pattern: &str, expected: impl Into<String>) -> Arc<dyn Validator> {
    let compiled = Pattern::new(pattern)
        .unwrap_or_else(|e| panic!("invalid validator pattern {pattern:?}: {e}"));
    string_check(expected.into(), move |s| compiled.is_match(s))
}

/// Strings of `min..=max` characters.
pub fn string_length(min: usize, max: usize) -> Arc<dyn Validator> {
    string_check(format!("a string of {min} to {max} characters"), move |s| {
        (min..=max).contains(&s.chars().count())
    })
}

/// Non-empty strings.
pub fn not_empty() -> Arc<dyn Validator> {
    string_check("a non-empty string".to_owned(), |s| !s.is_empty())
}

/// One of the given strings.
pub fn one_of<S: Into<String>>(allowed: impl IntoIterator<Item = S>) -> Arc<dyn Validator> {
    let allowed: Vec<String> = allowed.into_iter().map(Into::into).collect();
    let list = allowed
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    string_check(format!("one of {list}"), move |s| {
        allowed.iter().any(|a| a == s)
    })
}

/// Whole numbers that fit 64 bits (what [`Attribute::int64`](crate::framework::schema::Attribute::int64)
/// adds by itself).
pub fn whole_number() -> Arc<dyn Validator> {
    from_fn("a whole number", |value, path, diags| {
        if value.as_i64().is_none() {
            invalid(
                path,
                diags,
                format!("{} must be a whole number, but got {value}.", subject(path)),
            );
        }
    })
}

/// Whole numbers in `min..=max`.
pub fn int_range(min: i64, max: i64) -> Arc<dyn Validator> {
    from_fn(
        format!("a whole number from {min} to {max}"),
        move |value, path, diags| match value.as_i64() {
            Some(i) if (min..=max).contains(&i) => {}
            _ => invalid(
                path,
                diags,
                format!(
                    "{} must be a whole number from {min} to {max}, but got {value}.",
                    subject(path)
                ),
            ),
        },
    )
}

/// Whole numbers of at least `min`.
pub fn int_at_least(min: i64) -> Arc<dyn Validator> {
    from_fn(
        format!("a whole number of at least {min}"),
        move |value, path, diags| match value.as_i64() {
            Some(i) if i >= min => {}
            _ => invalid(
                path,
                diags,
                format!(
                    "{} must be a whole number of at least {min}, but got {value}.",
                    subject(path)
                ),
            ),
        },
    )
}

/// `http://` or `https://` URLs with a host.
pub fn url() -> Arc<dyn Validator> {
    string_check("an http:// or https:// URL".to_owned(), |s| {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        rest.is_some_and(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(char::is_whitespace)
        })
    })
}

/// Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
pub fn arn() -> Arc<dyn Validator> {
    string_check(
        "an ARN such as arn:aws:iam::123456789012:role/name".to_owned(),
        |s| parse_arn(s).is_some(),
    )
}

/// ARNs of one service, e.g. `arn_of_service("iam")`.
pub fn arn_of_service(service: &str) -> Arc<dyn Validator> {
    let wanted = service.to_owned();
    string_check(
        format!("an ARN of the {service} service (arn:aws:{service}:...)"),
        move |s| parse_arn(s).is_some_and(|(svc, _)| svc == wanted),
    )
}

/// The service and resource of an ARN.
fn parse_arn(s: &str) -> Option<(&str, &str)> {
    let mut parts = s.splitn(6, ':');
    let (prefix, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let lower = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let ok = prefix == "arn"
        && partition.starts_with("aws")
        && lower(partition)
        && !service.is_empty()
        && lower(service)
        && lower(region)
        && (account.is_empty()
            || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        && !resource.is_empty();
    ok.then_some((service, resource))
}

/// Applies `validator` to each element of a list, set or map, with each element's path.
pub fn each(validator: Arc<dyn Validator>) -> Arc<dyn Validator> {
    let description = format!("each element {}", validator.description());
    from_fn(description, move |value, path, diags| {
        let check = |item: &Value, path: &AttributePath, diags: &mut Diagnostics| {
            if item.is_known() && !item.is_null() {
                validator.validate(item, path, diags);
            }
        };
        match value {
            Value::List(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(item, &path.child(PathStep::ElementKeyInt(i as i64)), diags);
                }
            }
            Value::Set(items) => items.iter().for_each(|item| check(item, path, diags)),
            Value::Map(entries) => {
                for (key, item) in entries {
                    check(
                        item,
                        &path.child(PathStep::ElementKeyString(key.clone())),
                        diags,
                    );
                }
            }
            _ => {}
        }
    })
}

/// How many of `names` an object sets; `None` when any of them is unknown (it may yet be set).
fn count_set(object: &Value, names: &[String]) -> Option<usize> {
    let mut count = 0;
    for name in names {
        match object.get(name) {
            Value::Unknown => return None,
            Value::Null => {}
            _ => count += 1,
        }
    }
    Some(count)
}

fn quoted(names: &[String]) -> String {
    names.join(", ")
}

fn object_check(
    names: Vec<String>,
    description: String,
    accept: impl Fn(usize) -> bool + Send + Sync + 'static,
    summary: &'static str,
) -> Arc<dyn Validator> {
    let detail = format!("Set {description}.");
    from_fn(description, move |object, path, diags| {
        let Some(count) = count_set(object, &names) else {
            return;
        };
        if !accept(count) {
            let mut detail = detail.clone();
            let set: Vec<&str> = names
                .iter()
                .filter(|n| !object.get(n).is_null())
                .map(String::as_str)
                .collect();
            if !set.is_empty() {
                detail.push_str(&format!(" The configuration sets {}.", set.join(", ")));
            }
            if !path.is_root() {
                detail.push_str(&format!(" (in {path})"));
            }
            diags.attribute_error(path.clone(), summary, detail);
        }
    })
}

/// An object validator: exactly one of the named attributes is set (not null).
pub fn exactly_one_of<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Arc<dyn Validator> {
    let names: Vec<String> = names.into_iter().map(Into::into).collect();
    let description = format!("exactly one of {}", quoted(&names));
    object_check(
        names,
        description,
        |n| n == 1,
        "Invalid attribute combination",
    )
}

/// An object validator: at least one of the named attributes is set.
pub fn at_least_one_of<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Arc<dyn Validator> {
    let names: Vec<String> = names.into_iter().map(Into::into).collect();
    let description = format!("at least one of {}", quoted(&names));
    object_check(
        names,
        description,
        |n| n >= 1,
        "Invalid attribute combination",
    )
}

/// An object validator: at most one of the named attributes is set (they conflict).
pub fn conflicts_with<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Arc<dyn Validator> {
    let names: Vec<String> = names.into_iter().map(Into::into).collect();
    let description = format!("at most one of {}", quoted(&names));
    object_check(names, description, |n| n <= 1, "Conflicting attributes")
}

/// A small regular-expression engine for validator patterns, so that schemas need no regex
/// crate: literals, `.`, classes (`[a-z0-9_-]`, `[^/]`), `\d \w \s` and their negations,
/// anchors `^ $`, groups `( )` / `(?: )`, alternation `|` and the quantifiers
/// `* + ? {n} {n,} {n,m}` (lazy forms accepted; matching only answers yes or no).
/// It backtracks, which is fine for the short strings of a configuration.
mod pattern {
    use std::fmt;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PatternError {
        pub position: usize,
        pub message: String,
    }

    impl fmt::Display for PatternError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} at character {}", self.message, self.position)
        }
    }

    impl std::error::Error for PatternError {}

    #[derive(Debug, Clone)]
    enum Node {
        Char(char),
        Any,
        Class {
            ranges: Vec<(char, char)>,
            negated: bool,
        },
        Start,
        End,
        Group(Vec<Vec<Node>>),
        Repeat {
            node: Box<Node>,
            min: u32,
            max: Option<u32>,
        },
    }

    /// A compiled pattern.
    #[derive(Debug, Clone)]
    pub struct Pattern {
        alternatives: Vec<Vec<Node>>,
    }

    const DIGIT: &[(char, char)] = &[('0', '9')];
    const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
    const SPACE: &[(char, char)] = &[('\t', '\r'), (' ', ' ')];

    impl Pattern {
        pub fn new(pattern: &str) -> Result<Pattern, PatternError> {
            let mut parser = Parser {
                chars: pattern.chars().collect(),
                pos: 0,
            };
            let alternatives = parser.alternation()?;
            if parser.pos < parser.chars.len() {
                return Err(parser.error("unmatched ')'"));
            }
            Ok(Pattern { alternatives })
        }

        /// Whether the pattern matches anywhere in `text`.
        pub fn is_match(&self, text: &str) -> bool {
            let input: Vec<char> = text.chars().collect();
            let matcher = Matcher { input: &input };
            (0..=input.len()).any(|start| {
                self.alternatives
                    .iter()
                    .any(|seq| matcher.seq(seq, start, &mut |_| true))
            })
        }
    }

    struct Parser {
        chars: Vec<char>,
        pos: usize,
    }

    impl Parser {
        fn error(&self, message: &str) -> PatternError {
            PatternError {
                position: self.pos,
                message: message.to_owned(),
            }
        }

        fn peek(&self) -> Option<char> {
            self.chars.get(self.pos).copied()
        }

        fn eat(&mut self, c: char) -> bool {
            if self.peek() == Some(c) {
                self.pos += 1;
                true
            } else {
                false
            }
        }

        fn alternation(&mut self) -> Result<Vec<Vec<Node>>, PatternError> {
            let mut alternatives = vec![self.sequence()?];
            while self.eat('|') {
                alternatives.push(self.sequence()?);
            }
            Ok(alternatives)
        }

        fn sequence(&mut self) -> Result<Vec<Node>, PatternError> {
            let mut nodes = Vec::new();
            while let Some(c) = self.peek() {
                if c == '|' || c == ')' {
                    break;
                }
                let atom = self.atom()?;
                nodes.push(self.quantified(atom)?);
            }
            Ok(nodes)
        }

        fn quantified(&mut self, atom: Node) -> Result<Node, PatternError> {
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => return self.braces(atom),
                _ => return Ok(atom),
            };
            self.pos += 1;
            self.repeat(atom, min, max)
        }

        fn repeat(&mut self, atom: Node, min: u32, max: Option<u32>) -> Result<Node, PatternError> {
            if matches!(atom, Node::Start | Node::End | Node::Repeat { .. }) {
                return Err(self.error("nothing to repeat"));
            }
            self.eat('?');
            Ok(Node::Repeat {
                node: Box::new(atom),
                min,
                max,
            })
        }

        fn number(&mut self) -> Option<u32> {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            self.chars[start..self.pos]
                .iter()
                .collect::<String>()
                .parse()
                .ok()
        }

        fn braces(&mut self, atom: Node) -> Result<Node, PatternError> {
            self.pos += 1;
            let min = self
                .number()
                .ok_or_else(|| self.error("expected a count after '{'"))?;
            let max = if self.eat(',') {
                if self.peek() == Some('}') {
                    None
                } else {
                    Some(
                        self.number()
                            .ok_or_else(|| self.error("expected a count after ','"))?,
                    )
                }
            } else {
                Some(min)
            };
            if !self.eat('}') {
                return Err(self.error("expected '}'"));
            }
            if max.is_some_and(|max| max < min) {
                return Err(self.error("a repetition's maximum is below its minimum"));
            }
            self.repeat(atom, min, max)
        }

        fn atom(&mut self) -> Result<Node, PatternError> {
            let c = self.peek().ok_or_else(|| self.error("unexpected end"))?;
            self.pos += 1;
            Ok(match c {
                '.' => Node::Any,
                '^' => Node::Start,
                '$' => Node::End,
                '(' => {
                    if self.eat('?') && !self.eat(':') {
                        return Err(self.error("only (?: ) groups are supported"));
                    }
                    let alternatives = self.alternation()?;
                    if !self.eat(')') {
                        return Err(self.error("expected ')'"));
                    }
                    Node::Group(alternatives)
                }
                '[' => self.class()?,
                '\\' => self.escape()?,
                '*' | '+' | '?' | '{' => return Err(self.error("nothing to repeat")),
                c => Node::Char(c),
            })
        }

        fn escape(&mut self) -> Result<Node, PatternError> {
            let c = self
                .peek()
                .ok_or_else(|| self.error("pattern ends in '\\'"))?;
            self.pos += 1;
            let class = |ranges: &[(char, char)], negated| Node::Class {
                ranges: ranges.to_vec(),
                negated,
            };
            Ok(match c {
                'd' => class(DIGIT, false),
                'D' => class(DIGIT, true),
                'w' => class(WORD, false),
                'W' => class(WORD, true),
                's' => class(SPACE, false),
                'S' => class(SPACE, true),
                'n' => Node::Char('\n'),
                't' => Node::Char('\t'),
                c if c.is_ascii_alphanumeric() => {
                    return Err(self.error("unsupported escape"));
                }
                c => Node::Char(c),
            })
        }

        fn class(&mut self) -> Result<Node, PatternError> {
            let negated = self.eat('^');
            let mut ranges = Vec::new();
            let mut first = true;
            loop {
                let c = self.peek().ok_or_else(|| self.error("expected ']'"))?;
                self.pos += 1;
                if c == ']' && !first {
                    break;
                }
                first = false;
                let low = if c == '\\' {
                    let e = self.peek().ok_or_else(|| self.error("expected ']'"))?;
                    self.pos += 1;
                    match e {
                        'd' => {
                            ranges.extend_from_slice(DIGIT);
                            continue;
                        }
                        'w' => {
                            ranges.extend_from_slice(WORD);
                            continue;
                        }
                        's' => {
                            ranges.extend_from_slice(SPACE);
                            continue;
                        }
                        'n' => '\n',
                        't' => '\t',
                        e if e.is_ascii_alphanumeric() => {
                            return Err(self.error("unsupported escape in a class"));
                        }
                        e => e,
                    }
                } else {
                    c
                };
                let is_range = self.peek() == Some('-')
                    && self.chars.get(self.pos + 1).is_some_and(|c| *c != ']');
                if is_range {
                    self.pos += 1;
                    let mut high = self.peek().ok_or_else(|| self.error("expected ']'"))?;
                    self.pos += 1;
                    if high == '\\' {
                        high = self.peek().ok_or_else(|| self.error("expected ']'"))?;
                        self.pos += 1;
                    }
                    if high < low {
                        return Err(self.error("a class range is out of order"));
                    }
                    ranges.push((low, high));
                } else {
                    ranges.push((low, low));
                }
            }
            Ok(Node::Class { ranges, negated })
        }
    }

    struct Matcher<'a> {
        input: &'a [char],
    }

    impl Matcher<'_> {
        /// Whether `nodes` match at `at` such that `then` accepts the end position.
        fn seq(&self, nodes: &[Node], at: usize, then: &mut dyn FnMut(usize) -> bool) -> bool {
            let Some((first, rest)) = nodes.split_first() else {
                return then(at);
            };
            match first {
                Node::Start => at == 0 && self.seq(rest, at, then),
                Node::End => at == self.input.len() && self.seq(rest, at, then),
                Node::Group(alternatives) => alternatives
                    .iter()
                    .any(|alt| self.seq(alt, at, &mut |next| self.seq(rest, next, then))),
                Node::Repeat { node, min, max } => self.repeat(node, *min, *max, 0, at, rest, then),
                single => {
                    at < self.input.len()
                        && matches_char(single, self.input[at])
                        && self.seq(rest, at + 1, then)
                }
            }
        }

        #[allow(clippy::too_many_arguments)]
        fn repeat(
            &self,
            node: &Node,
            min: u32,
            max: Option<u32>,
            count: u32,
            at: usize,
            rest: &[Node],
            then: &mut dyn FnMut(usize) -> bool,
        ) -> bool {
            if max.is_none_or(|max| count < max) {
                let more = self.seq(std::slice::from_ref(node), at, &mut |next| {
                    // An empty iteration can only help reach the minimum; never loop on it.
                    (next != at || count < min)
                        && self.repeat(node, min, max, count + 1, next, rest, then)
                });
                if more {
                    return true;
                }
            }
            count >= min && self.seq(rest, at, then)
        }
    }

    fn matches_char(node: &Node, c: char) -> bool {
        match node {
            Node::Char(expected) => *expected == c,
            Node::Any => c != '\n',
            Node::Class { ranges, negated } => {
                ranges.iter().any(|(low, high)| (*low..=*high).contains(&c)) != *negated
            }
            _ => false,
        }
    }
}
