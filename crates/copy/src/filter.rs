//! DataSync's exclude filters (`FilterRule` of type `SIMPLE_PATTERN`), so that a copy leaves out
//! what a DataSync task with the same `Excludes` would.
//!
//! The rules, from the DataSync user guide page "Transferring specific files, objects, and
//! folders by using filters" and the API reference of `FilterRule`:
//! - A filter is patterns delimited by `|`. A pattern is relative to the source location: `/dir`
//!   is the folder `dir` directly under it; `/dir` and `/dir/` are the same pattern, and match
//!   the folder and all its content.
//! - `*` matches zero, one or many characters (a `/` included: `*/.ipynb_checkpoints` matches
//!   that folder at any depth). `\` makes the next character (`*`, `|` or `\`) an ordinary one.
//!   Nothing else is special. Filters are case sensitive.
//! - A pattern without a `/` (`*.tmp`, `node_modules`) matches an entry's name at any depth.
//! - An entry is left out when its path or one of its parents' matches a pattern: a left-out
//!   folder is not read at all.
//!
//! The emulator's DataSync model applies the same rules; both are tested against one table of
//! cases (`tests/contracts/datasync-filter-cases.json`).

use std::fmt;

/// The most bytes a filter may have (`FilterRule.Value`'s length limit).
pub const MAX_FILTER_BYTES: usize = 102_400;

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Bytes matched as they are.
    Literal(Vec<u8>),
    /// `*`: any bytes, `/` included.
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    pieces: Vec<Piece>,
    /// No `/` in the pattern: it matches a name at any depth.
    name_only: bool,
}

/// An exclude filter: the entries whose path (relative to the source root, with a leading `/`)
/// matches one of its patterns are not copied. The default excludes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    patterns: Vec<Pattern>,
    /// Where the copy's source root is below the root the patterns are relative to (`/a/b`, or
    /// empty for that root itself): see [`Filter::beneath`].
    base: Vec<u8>,
}

/// Why a filter was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("the filter has {0} bytes, more than DataSync's {MAX_FILTER_BYTES}")]
    TooLong(usize),
    #[error("the filter contains a NUL character")]
    Nul,
    #[error("the filter ends with a single \\ (escape it as \\\\)")]
    TrailingEscape,
}

impl Filter {
    /// Parses a DataSync filter value (`*/.ipynb_checkpoints|/scratch`). Empty patterns (`a||b`,
    /// a trailing `|`) and spaces around a pattern are ignored; an empty value excludes nothing.
    pub fn parse(value: &str) -> Result<Filter, FilterError> {
        if value.len() > MAX_FILTER_BYTES {
            return Err(FilterError::TooLong(value.len()));
        }
        if value.contains('\0') {
            return Err(FilterError::Nul);
        }
        let mut patterns = Vec::new();
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut raw = String::new();
        let mut chars = value.chars();
        let mut finish = |pieces: &mut Vec<Piece>, literal: &mut Vec<u8>, raw: &mut String| {
            if !literal.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(literal)));
            }
            let taken = std::mem::take(pieces);
            let text = std::mem::take(raw);
            if let Some(pattern) = Pattern::new(taken, &text) {
                patterns.push(pattern);
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let escaped = chars.next().ok_or(FilterError::TrailingEscape)?;
                    raw.push(escaped);
                    let mut buf = [0; 4];
                    literal.extend_from_slice(escaped.encode_utf8(&mut buf).as_bytes());
                }
                '|' => finish(&mut pieces, &mut literal, &mut raw),
                '*' => {
                    raw.push('*');
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    if pieces.last() != Some(&Piece::Any) {
                        pieces.push(Piece::Any);
                    }
                }
                c => {
                    raw.push(c);
                    let mut buf = [0; 4];
                    literal.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        finish(&mut pieces, &mut literal, &mut raw);
        Ok(Filter {
            patterns,
            base: Vec::new(),
        })
    }

    /// Excludes nothing.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// This filter for a copy whose source root is `path` below the root its patterns are
    /// relative to (a subtree copy: `path` is `sub` or `a/b`, without a leading `/`).
    pub fn beneath(&self, path: &[u8]) -> Filter {
        let mut base = self.base.clone();
        for component in path.split(|b| *b == b'/').filter(|c| !c.is_empty()) {
            base.push(b'/');
            base.extend_from_slice(component);
        }
        Filter {
            patterns: self.patterns.clone(),
            base,
        }
    }

    /// Whether the entry at `rel` (relative to the copy's source root, without a leading `/`:
    /// `a/b`) or one of its parents below the root is excluded.
    pub fn excludes(&self, rel: &[u8]) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let mut path = self.base.clone();
        // The base's own components count as parents too.
        if !path.is_empty() && self.matches_path(&path) {
            return true;
        }
        for component in rel.split(|b| *b == b'/').filter(|c| !c.is_empty()) {
            path.push(b'/');
            path.extend_from_slice(component);
            if self.matches_path(&path) {
                return true;
            }
        }
        false
    }

    /// Whether the entry `name` in the directory at `parent` (relative to the copy's source root,
    /// whose own path and parents' are known not to be excluded) is excluded: the check of a walk
    /// that never descends into an excluded directory.
    pub(crate) fn excludes_child(&self, parent: &[u8], name: &[u8]) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let mut path = Vec::with_capacity(self.base.len() + parent.len() + name.len() + 2);
        path.extend_from_slice(&self.base);
        if !parent.is_empty() {
            path.push(b'/');
            path.extend_from_slice(parent);
        }
        path.push(b'/');
        path.extend_from_slice(name);
        self.matches_path(&path)
    }

    /// `path` is `/`-rooted (`/a/b`).
    fn matches_path(&self, path: &[u8]) -> bool {
        let name = match path.iter().rposition(|b| *b == b'/') {
            Some(i) => &path[i + 1..],
            None => path,
        };
        self.patterns
            .iter()
            .any(|p| glob(&p.pieces, path) || (p.name_only && glob(&p.pieces, name)))
    }
}

impl Pattern {
    /// A pattern from its pieces and its unescaped text; `None` for an empty pattern.
    fn new(mut pieces: Vec<Piece>, text: &str) -> Option<Pattern> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        // Spaces around a pattern are the filter's, not the pattern's.
        trim_pieces(&mut pieces);
        // `/dir/` is `/dir`; a pattern of slashes alone names the root, which is never excluded.
        strip_trailing_slashes(&mut pieces);
        if pieces.is_empty() {
            return None;
        }
        let name_only = !pieces
            .iter()
            .any(|p| matches!(p, Piece::Literal(bytes) if bytes.contains(&b'/')));
        Some(Pattern { pieces, name_only })
    }
}

fn trim_pieces(pieces: &mut Vec<Piece>) {
    if let Some(Piece::Literal(first)) = pieces.first_mut() {
        let keep = first
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(first.len());
        first.drain(..keep);
        if first.is_empty() {
            pieces.remove(0);
        }
    }
    if let Some(Piece::Literal(last)) = pieces.last_mut() {
        let keep = last
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        last.truncate(keep);
        if last.is_empty() {
            pieces.pop();
        }
    }
}

fn strip_trailing_slashes(pieces: &mut Vec<Piece>) {
    while let Some(Piece::Literal(last)) = pieces.last_mut() {
        while last.last() == Some(&b'/') {
            last.pop();
        }
        if last.is_empty() {
            pieces.pop();
        } else {
            break;
        }
    }
}

/// Whether `text` matches `pieces` whole: literals in order, `Any` spanning any bytes. Greedy
/// with backtracking to the last `Any` only: linear in practice, never exponential.
fn glob(pieces: &[Piece], text: &[u8]) -> bool {
    let mut p = 0;
    let mut t = 0;
    // The last `Any` seen: the piece after it, and where in `text` its match ends now.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pieces.get(p) {
            Some(Piece::Any) => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(Piece::Literal(lit)) if text[t..].starts_with(lit) => {
                // A literal right after a star could also match further on: remember to retry.
                p += 1;
                t += lit.len();
                continue;
            }
            None if t == text.len() => return true,
            _ => {}
        }
        // Mismatch: let the last star swallow one more byte and retry from the piece after it.
        match star {
            Some((after, end)) if end < text.len() => {
                star = Some((after, end + 1));
                p = after;
                t = end + 1;
            }
            _ => return false,
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for pattern in &self.patterns {
            if !first {
                f.write_str("|")?;
            }
            first = false;
            for piece in &pattern.pieces {
                match piece {
                    Piece::Any => f.write_str("*")?,
                    Piece::Literal(bytes) => {
                        for c in String::from_utf8_lossy(bytes).chars() {
                            if matches!(c, '*' | '|' | '\\') {
                                f.write_str("\\")?;
                            }
                            write!(f, "{c}")?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases the emulator's DataSync model is tested against too.
    const CASES: &str = include_str!("../../../tests/contracts/datasync-filter-cases.json");

    #[test]
    fn the_shared_cases_hold() {
        let cases: Vec<(String, String, bool)> = serde_json::from_str(CASES).unwrap();
        assert!(cases.len() >= 20, "{} cases", cases.len());
        for (filter, path, excluded) in cases {
            let parsed = Filter::parse(&filter).unwrap();
            let rel = path.trim_start_matches('/');
            assert_eq!(
                parsed.excludes(rel.as_bytes()),
                excluded,
                "filter {filter:?}, path {path:?}"
            );
        }
    }

    #[test]
    fn bad_filters_are_refused() {
        assert_eq!(Filter::parse("a\\"), Err(FilterError::TrailingEscape));
        assert_eq!(Filter::parse("a\0b"), Err(FilterError::Nul));
        let long = "a".repeat(MAX_FILTER_BYTES + 1);
        assert_eq!(Filter::parse(&long), Err(FilterError::TooLong(long.len())));
        assert!(Filter::parse(&"a".repeat(MAX_FILTER_BYTES)).is_ok());
    }

    #[test]
    fn empty_filters_exclude_nothing() {
        for value in ["", "|", " | ", "/", "//|/"] {
            let f = Filter::parse(value).unwrap();
            assert!(f.is_empty(), "{value:?}");
            assert!(!f.excludes(b"a/b"), "{value:?}");
        }
    }

    #[test]
    fn a_subtree_copy_matches_from_the_home() {
        let f = Filter::parse("/proj/build|*/.cache").unwrap();
        let sub = f.beneath(b"proj");
        assert!(sub.excludes(b"build"));
        assert!(sub.excludes(b"build/x.o"));
        assert!(!sub.excludes(b"src/build"));
        assert!(sub.excludes(b"src/.cache"));
        assert!(!f.beneath(b"other").excludes(b"build"));
        // A subtree that is itself excluded excludes everything in it.
        assert!(
            Filter::parse("/proj")
                .unwrap()
                .beneath(b"proj")
                .excludes(b"x")
        );
        // excludes_child agrees with excludes for a walk's step.
        assert!(sub.excludes_child(b"src", b".cache"));
        assert!(!sub.excludes_child(b"src", b"lib"));
        assert!(sub.excludes_child(b"", b"build"));
    }

    #[test]
    fn filters_display_as_they_parse() {
        for value in ["*/.ipynb_checkpoints|/scratch", "a\\*b|c\\|d|e\\\\f"] {
            let f = Filter::parse(value).unwrap();
            assert_eq!(Filter::parse(&f.to_string()).unwrap(), f, "{value:?}");
        }
    }

    #[test]
    fn matching_is_not_exponential() {
        let f = Filter::parse(&"*a".repeat(50)).unwrap();
        let text = "a".repeat(49) + "b";
        assert!(!f.excludes(text.as_bytes()));
    }
}
