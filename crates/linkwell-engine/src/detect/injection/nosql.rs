//! NoSQL operator injection: MongoDB-style operators smuggled in where a
//! plain value was expected (`user[$ne]=x`, `{"password": {"$gt": ""}}`,
//! `$where` JavaScript).

const OPERATORS: &[&str] = &[
    "$ne",
    "$eq",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$regex",
    "$where",
    "$exists",
    "$expr",
    "$or",
    "$and",
    "$not",
    "$nor",
    "$elemmatch",
    "$function",
    "$accumulator",
    "$jsonschema",
    "$text",
    "$type",
    "$all",
    "$size",
    "$mod",
    "$options",
    "$lookup",
    "$merge",
    "$out",
];

/// True when `name` is a Mongo operator (case-insensitive, exact).
pub(super) fn is_operator(name: &str) -> bool {
    name.starts_with('$') && OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(name))
}

/// The NoSQL rule a parameter name breaks: `a[$ne]`, `a[b][$gt]`.
pub(super) fn detect_name(name: &str) -> Option<&'static str> {
    name.split(['[', ']', '.'])
        .any(is_operator)
        .then_some("a query operator in a parameter name ([$ne], [$gt], ...)")
}

/// The NoSQL rule a value breaks: an operator object, or server-side
/// JavaScript aimed at `$where`.
pub(super) fn detect(value: &str) -> Option<&'static str> {
    if !value.contains('$') && !value.contains("this.") {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut from = 0;
    while let Some(off) = lower[from..].find('$') {
        let at = from + off;
        from = at + 1;
        let end = b[at + 1..]
            .iter()
            .position(|c| !c.is_ascii_alphabetic())
            .map_or(b.len(), |p| at + 1 + p);
        let word = &lower[at..end];
        // Operators only count as keys or bracketed names, not as prices
        // ("$in cash").
        let before = lower[..at].trim_end();
        let after = lower[end..].trim_start();
        let keyed = before.ends_with(['{', '[', '"', '\'', ','])
            && (after.starts_with([']', '"', '\'', ':']));
        if is_operator(word) && keyed {
            return Some("a query operator object ({\"$ne\": ...})");
        }
    }
    if lower.contains("this.")
        && (lower.contains("return") || lower.contains("match(") || lower.contains("||"))
    {
        return Some("server-side JavaScript for $where");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        assert!(detect_name("user[$ne]").is_some());
        assert!(detect_name("password[$regex]").is_some());
        assert!(detect("{\"$gt\": \"\"}").is_some());
        assert!(detect("{'$where': 'sleep(100)'}").is_some());
        assert!(detect("';return this.password.match(/^a/)||'").is_some());
    }

    #[test]
    fn benign() {
        assert_eq!(detect_name("user[name]"), None);
        assert_eq!(detect_name("filter[amount]"), None);
        assert_eq!(detect("$in cash, $gt 5 later"), None);
        assert_eq!(detect("Price: $5"), None);
        assert_eq!(detect("this.is fine"), None);
    }
}
