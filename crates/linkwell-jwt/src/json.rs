//! JSON bounded before parsing: serde_json recurses per nesting level, and a
//! token or JWKS is attacker-influenced, so the depth is checked first with a
//! linear scan that never allocates.

/// Deepest nesting of `[`/`{` outside strings. Returns `None` when it exceeds
/// `max` (the scan stops there).
pub(crate) fn depth_within(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for &b in bytes {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_only_outside_strings() {
        assert!(depth_within(br#"{"a":{"b":[1]}}"#, 3));
        assert!(!depth_within(br#"{"a":{"b":[1]}}"#, 2));
        assert!(depth_within(br#"{"a":"[[[[[[\"[[["}"#, 1));
        assert!(!depth_within(&[b'['; 10_000], 16));
    }
}
