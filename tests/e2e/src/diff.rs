//! Readable failure messages: a line diff of what was expected against what was found.

use serde_json::Value;

/// A unified-style line diff: unchanged lines start with `  `, expected-only lines with `- `,
/// actual-only lines with `+ `. Empty when the texts are equal.
pub fn line_diff(expected: &str, actual: &str) -> String {
    if expected == actual {
        return String::new();
    }
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    // The longest common subsequence table is quadratic; past a few million cells a side-by-side
    // dump is as readable as a diff.
    if old.len().saturating_mul(new.len()) > 4_000_000 {
        for line in &old {
            out.push_str(&format!("- {line}\n"));
        }
        for line in &new {
            out.push_str(&format!("+ {line}\n"));
        }
        return out;
    }
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push_str(&format!("  {}\n", old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", old[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", new[j]));
            j += 1;
        }
    }
    out
}

/// Panics with a line diff (`-` expected, `+` actual) when the texts differ.
#[track_caller]
pub fn assert_text_eq(expected: &str, actual: &str) {
    if expected != actual {
        panic!(
            "texts differ (- expected, + actual):\n{}",
            line_diff(expected, actual)
        );
    }
}

/// Panics with a line diff of the pretty-printed values when they differ.
#[track_caller]
pub fn assert_json_eq(expected: &Value, actual: &Value) {
    if expected != actual {
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
        panic!(
            "JSON values differ (- expected, + actual):\n{}",
            line_diff(&pretty(expected), &pretty(actual))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_removed_and_added_lines() {
        let diff = line_diff("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(diff, "  a\n- b\n+ B\n  c\n+ d\n");
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(line_diff("x\ny", "x\ny"), "");
    }

    #[test]
    #[should_panic(expected = "-   \"uid\": \"200000\"")]
    fn json_mismatch_shows_the_differing_line() {
        assert_json_eq(
            &serde_json::json!({"uid": "200000"}),
            &serde_json::json!({"uid": "200005"}),
        );
    }
}
