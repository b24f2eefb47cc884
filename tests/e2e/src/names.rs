use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// `<prefix>-<8 random lowercase hex digits>`: a name no other test (in this run or an earlier
/// one against the same emulator) uses, so tests can share one emulator without resetting it.
///
/// The result is a valid SageMaker domain, profile and space name, DynamoDB table name, Lambda
/// function name and EventBridge rule name, as long as `prefix` is lowercase letters, digits and
/// `-`, starts with a letter and has at most 40 characters.
pub fn unique_name(prefix: &str) -> String {
    assert!(
        prefix.len() <= 40
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "unique_name: {prefix:?} must be lowercase letters, digits and '-', start with a letter, \
         and have at most 40 characters"
    );
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded randomly per process; the counter and clock separate calls.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    format!("{prefix}-{:08x}", hasher.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differ_and_keep_the_prefix() {
        let a = unique_name("domain");
        let b = unique_name("domain");
        assert_ne!(a, b);
        assert!(
            a.starts_with("domain-") && a.len() == "domain-".len() + 8,
            "{a}"
        );
    }

    #[test]
    #[should_panic(expected = "must be lowercase")]
    fn refuses_prefixes_that_make_invalid_names() {
        unique_name("Bad_Prefix");
    }
}
