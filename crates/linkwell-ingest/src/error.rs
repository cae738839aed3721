//! Why a line was rejected.
//!
//! A rejected line is reported to the user with its number, so every variant
//! has to say what was wrong in words an operator can act on (fix the
//! `log_format`, pick another `--format`), and carry at most a short excerpt of
//! the offending value: log lines are attacker-controlled and may be huge.

/// The longest excerpt of a bad value kept in an error, in bytes.
pub const MAX_EXCERPT: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("empty line")]
    Empty,
    #[error("line of {len} bytes is longer than the configured limit")]
    TooLong { len: usize },
    #[error("not valid JSON: {message}")]
    NotJson { message: String },
    #[error("the JSON value is not an object")]
    NotAnObject,
    /// Valid JSON whose structure does not fit the format (an object where a
    /// string belongs, and so on).
    #[error("JSON does not have the expected shape: {message}")]
    BadValue { message: String },
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("bad value for `{field}`: {value:?}")]
    BadField { field: &'static str, value: String },
    #[error("the request line is not `METHOD target [protocol]`")]
    BadRequestLine,
    /// The line is not laid out the way the format writes lines.
    #[error("{0}")]
    WrongShape(&'static str),
}

impl ParseError {
    /// A `BadField` with the value cut to [`MAX_EXCERPT`] bytes.
    pub(crate) fn bad(field: &'static str, value: &str) -> ParseError {
        ParseError::BadField {
            field,
            value: excerpt(value),
        }
    }
}

/// At most [`MAX_EXCERPT`] bytes of `s`, cut on a character boundary.
pub(crate) fn excerpt(s: &str) -> String {
    if s.len() <= MAX_EXCERPT {
        return s.to_string();
    }
    format!("{}…", &s[..s.floor_char_boundary(MAX_EXCERPT)])
}

/// Maps a serde_json failure to the variant a user can act on.
pub(crate) fn from_json(e: &serde_json::Error) -> ParseError {
    use serde_json::error::Category;
    let message = excerpt(&e.to_string());
    match e.classify() {
        Category::Data => ParseError::BadValue { message },
        Category::Syntax | Category::Eof | Category::Io => ParseError::NotJson { message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_char_safe() {
        let long = "é".repeat(100);
        let e = excerpt(&long);
        assert!(e.len() <= MAX_EXCERPT + '…'.len_utf8());
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }
}
