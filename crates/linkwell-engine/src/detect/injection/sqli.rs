//! SQL injection: a SQL tokenizer plus rules over the token stream.
//!
//! The technique is libinjection's idea, written our own way: a value that
//! injects SQL has to be valid SQL *from the point where it leaves the
//! surrounding query's literal*. So the value is tokenized three times, as
//! if it started in SQL code, inside a `'…'` literal, and inside a `"…"`
//! literal; in the quoted contexts the first token is the literal the
//! attacker closes. The folded token types (the "shape", e.g. `s&sos`) of
//! each reading are then checked against rules describing what only
//! injected SQL looks like: a closed literal followed by a boolean operator
//! and a comparison, `UNION SELECT`, a stacked statement after `;`, a
//! comment that cuts the rest of the query, a call to a delay or error-
//! based function. A closed literal followed directly by a word, as in
//! `O'Reilly`, is ordinary text.

/// Token types. The letters (see [`Tk::letter`]) make up the shape shown
/// in evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tk {
    Str,
    Num,
    Name,
    /// A known SQL function immediately followed by `(`.
    Func,
    /// Any other word immediately followed by `(`.
    Call,
    /// and, or, xor, &&, ||
    Logic,
    /// = < > != <> <=> <= >= :=
    Cmp,
    /// like, rlike, regexp, between, in, is, sounds, div, mod
    CmpWord,
    /// + - / % ^ ~ | &
    Arith,
    Star,
    Union,
    Select,
    From,
    Where,
    /// having, limit, procedure, into, offset
    Clause,
    /// order, group
    OrderGroup,
    By,
    As,
    All,
    /// insert, update, delete, drop, create, alter, exec, execute, declare,
    /// shutdown, truncate, call, begin, grant, load, handler
    Stmt,
    Waitfor,
    Delay,
    Null,
    Not,
    Case,
    /// when, then
    When,
    /// table, database, schema, function, view, index, trigger: what
    /// DROP/CREATE/ALTER act on.
    Object,
    /// information_schema, sysobjects, pg_catalog, ...: no benign value
    /// names them.
    Catalog,
    Var,
    SysVar,
    LParen,
    RParen,
    Comma,
    Semi,
    Comment,
    Other,
}

impl Tk {
    fn letter(self) -> char {
        match self {
            Tk::Str => 's',
            Tk::Num | Tk::Null => '1',
            Tk::Name | Tk::Catalog => 'n',
            Tk::Func | Tk::Call => 'f',
            Tk::Logic => '&',
            Tk::Cmp | Tk::CmpWord | Tk::Arith | Tk::Star => 'o',
            Tk::Union => 'U',
            Tk::Select
            | Tk::From
            | Tk::Where
            | Tk::Clause
            | Tk::OrderGroup
            | Tk::By
            | Tk::As
            | Tk::All
            | Tk::Waitfor
            | Tk::Delay
            | Tk::Not
            | Tk::Case
            | Tk::When
            | Tk::Object => 'k',
            Tk::Stmt => 'T',
            Tk::Var | Tk::SysVar => 'v',
            Tk::LParen => '(',
            Tk::RParen => ')',
            Tk::Comma => ',',
            Tk::Semi => ';',
            Tk::Comment => 'c',
            Tk::Other => '?',
        }
    }

    /// Something that can stand as a value in an expression.
    fn is_operand(self) -> bool {
        matches!(
            self,
            Tk::Str
                | Tk::Num
                | Tk::Null
                | Tk::Func
                | Tk::Call
                | Tk::Var
                | Tk::SysVar
                | Tk::LParen
                | Tk::Select
                | Tk::Not
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    t: Tk,
    /// A delay, file or error-based function, or `@@` variable: enough on
    /// its own when called.
    strong: bool,
}

/// Tokens looked at per reading; injected SQL shows itself early.
const MAX_TOKENS: usize = 64;

/// Known SQL functions (lower case). Calls to these make an operand.
const FUNCS: &[&str] = &[
    "abs",
    "ascii",
    "avg",
    "bin",
    "cast",
    "ceil",
    "char",
    "char_length",
    "chr",
    "coalesce",
    "concat",
    "concat_ws",
    "convert",
    "count",
    "crc32",
    "current_user",
    "database",
    "db_name",
    "decode",
    "elt",
    "exp",
    "field",
    "floor",
    "format",
    "group_concat",
    "hex",
    "if",
    "ifnull",
    "iif",
    "instr",
    "isnull",
    "lcase",
    "left",
    "length",
    "like",
    "locate",
    "lower",
    "lpad",
    "ltrim",
    "max",
    "md5",
    "mid",
    "min",
    "now",
    "nullif",
    "nvl",
    "ord",
    "position",
    "pow",
    "rand",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "rpad",
    "rtrim",
    "schema",
    "sha1",
    "sleep",
    "substr",
    "substring",
    "sum",
    "system_user",
    "to_char",
    "trim",
    "ucase",
    "unhex",
    "upper",
    "user",
    "version",
    "xmltype",
];

/// Functions that only an injection calls from a request value: delays,
/// file access, error-based extraction, OS access.
const STRONG_FUNCS: &[&str] = &[
    "benchmark",
    "pg_sleep",
    "sleep",
    "extractvalue",
    "updatexml",
    "make_set",
    "load_file",
    "randomblob",
    "xp_cmdshell",
    "generate_series",
    "regexp_substring",
    "sqlid_to_sqlhash",
    "receive_message",
    "get_host_address",
    "get_host_name",
    "gtid_subset",
    "json_keys",
    "exp",
    "pg_read_file",
    "lo_import",
    "sys_eval",
    "sys_exec",
    "openrowset",
    "opendatasource",
    "drithsx",
    "dbms_pipe",
    "dbms_lock",
    "dbms_utility",
    "utl_inaddr",
    "utl_http",
    "ctxsys",
];

const CATALOGS: &[&str] = &[
    "information_schema",
    "sysobjects",
    "syscolumns",
    "sysibm",
    "pg_catalog",
    "pg_shadow",
    "pg_user",
    "sqlite_master",
    "all_tables",
    "all_users",
    "user_tables",
    "mysql.user",
    "master..sysdatabases",
    "msysobjects",
    "rdb$fields",
    "rdb$relations",
    "rdb$types",
];

fn keyword(w: &str) -> Tk {
    match w {
        "and" | "or" | "xor" => Tk::Logic,
        "like" | "rlike" | "regexp" | "between" | "in" | "is" | "sounds" | "div" | "mod"
        | "glob" | "collate" => Tk::CmpWord,
        "union" | "intersect" | "except" | "minus" => Tk::Union,
        "select" => Tk::Select,
        "from" => Tk::From,
        "where" => Tk::Where,
        "having" | "limit" | "procedure" | "into" | "offset" => Tk::Clause,
        "order" | "group" => Tk::OrderGroup,
        "by" => Tk::By,
        "as" => Tk::As,
        "all" | "distinct" => Tk::All,
        "insert" | "update" | "delete" | "drop" | "create" | "alter" | "exec" | "execute"
        | "declare" | "shutdown" | "truncate" | "call" | "begin" | "grant" | "load" | "handler" => {
            Tk::Stmt
        }
        "waitfor" => Tk::Waitfor,
        "delay" | "time" => Tk::Delay,
        "null" | "true" | "false" => Tk::Null,
        "not" | "exists" => Tk::Not,
        "case" => Tk::Case,
        "table" | "database" | "schema" | "function" | "view" | "index" | "trigger" => Tk::Object,
        "when" | "then" => Tk::When,
        _ => {
            if w.len() >= 6 && CATALOGS.iter().any(|c| w.starts_with(c)) {
                Tk::Catalog
            } else {
                Tk::Name
            }
        }
    }
}

fn is_strong(w: &str) -> bool {
    w.split('.')
        .any(|part| STRONG_FUNCS.contains(&part) || part.starts_with("dbms_"))
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Tokenizes `s` read in context `ctx` (`None`: SQL code; `Some(q)`: inside
/// a literal quoted with `q`). Returns false when the value never leaves
/// the literal (nothing to judge).
fn tokenize(s: &[u8], ctx: Option<u8>, out: &mut Vec<Tok>) -> bool {
    out.clear();
    let mut i = 0;
    if let Some(q) = ctx {
        let Some(end) = s.iter().position(|&c| c == q) else {
            return false;
        };
        out.push(Tok {
            t: Tk::Str,
            strong: false,
        });
        i = end + 1;
        // `1""))) and …`: extra quotes after the break are empty literals.
        while i < s.len() && s[i] == q {
            i += 1;
        }
    }
    let mut word = [0u8; 40];
    while i < s.len() && out.len() < MAX_TOKENS {
        let c = s[i];
        let push = |out: &mut Vec<Tok>, t| {
            out.push(Tok { t, strong: false });
        };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0 => i += 1,
            b'\'' | b'"' => {
                i += 1;
                while i < s.len() && s[i] != c {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                push(out, Tk::Str);
            }
            b'`' => {
                i += 1;
                while i < s.len() && s[i] != b'`' {
                    i += 1;
                }
                i += 1;
                push(out, Tk::Name);
            }
            b'0'..=b'9' => {
                while i < s.len()
                    && (s[i].is_ascii_alphanumeric()
                        || (s[i] == b'.' && i + 1 < s.len() && s[i + 1].is_ascii_digit()))
                {
                    i += 1;
                }
                push(out, Tk::Num);
            }
            b'.' if i + 1 < s.len() && s[i + 1].is_ascii_digit() => {
                i += 1;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                push(out, Tk::Num);
            }
            b'@' => {
                let sys = s.get(i + 1) == Some(&b'@');
                i += if sys { 2 } else { 1 };
                while i < s.len() && word_byte(s[i]) {
                    i += 1;
                }
                out.push(Tok {
                    t: if sys { Tk::SysVar } else { Tk::Var },
                    strong: sys,
                });
            }
            b'#' => {
                push(out, Tk::Comment);
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            }
            b'-' if s.get(i + 1) == Some(&b'-') => {
                push(out, Tk::Comment);
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                if s.get(i + 2) == Some(&b'!') {
                    // MySQL executable comment: its body is code.
                    i += 3;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                    continue;
                }
                match s[i + 2..].windows(2).position(|w| w == b"*/") {
                    // A closed block comment is whitespace (`UNION/**/SELECT`).
                    Some(p) => i += 2 + p + 2,
                    None => {
                        push(out, Tk::Comment);
                        i = s.len();
                    }
                }
            }
            b'*' if s.get(i + 1) == Some(&b'/') => i += 2,
            b'(' => {
                push(out, Tk::LParen);
                i += 1;
            }
            b')' => {
                push(out, Tk::RParen);
                i += 1;
            }
            b',' => {
                push(out, Tk::Comma);
                i += 1;
            }
            b';' => {
                push(out, Tk::Semi);
                i += 1;
            }
            b'*' => {
                push(out, Tk::Star);
                i += 1;
            }
            b'=' | b'<' | b'>' | b'!' | b':' => {
                let two = s.get(i + 1).copied();
                let t = match (c, two) {
                    (b'!', Some(b'=')) | (b':', Some(b'=')) => Tk::Cmp,
                    (b'!', _) => Tk::Not,
                    (b':', _) => Tk::Other,
                    _ => Tk::Cmp,
                };
                i += 1;
                while i < s.len() && matches!(s[i], b'=' | b'<' | b'>') {
                    i += 1;
                }
                push(out, t);
            }
            b'|' | b'&' => {
                let double = s.get(i + 1) == Some(&c);
                i += if double { 2 } else { 1 };
                push(out, if double { Tk::Logic } else { Tk::Arith });
            }
            b'+' | b'-' | b'/' | b'%' | b'^' | b'~' => {
                push(out, Tk::Arith);
                i += 1;
            }
            _ if word_byte(c) => {
                let start = i;
                while i < s.len()
                    && (word_byte(s[i]) || (s[i] == b'.' && i + 1 < s.len() && word_byte(s[i + 1])))
                {
                    i += 1;
                }
                let raw = &s[start..i];
                let n = raw.len().min(word.len());
                for (d, &b) in word.iter_mut().zip(&raw[..n]) {
                    *d = b.to_ascii_lowercase();
                }
                let w = std::str::from_utf8(&word[..n]).unwrap_or("");
                let mut called = s.get(i) == Some(&b'(');
                if !called
                    && s.get(i).is_some_and(u8::is_ascii_whitespace)
                    && s[i..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'(')
                {
                    // `sleep (5)`: delay functions called with a space.
                    called = is_strong(w);
                }
                let mut t = if raw.len() > word.len() {
                    Tk::Name
                } else {
                    keyword(w)
                };
                let mut strong = false;
                if called && matches!(t, Tk::Name | Tk::CmpWord | Tk::Null | Tk::Catalog) {
                    strong = is_strong(w);
                    t = if strong || FUNCS.contains(&w) || w.contains('.') {
                        Tk::Func
                    } else {
                        Tk::Call
                    };
                }
                out.push(Tok { t, strong });
            }
            _ => {
                push(out, Tk::Other);
                i += 1;
            }
        }
    }
    true
}

fn at(toks: &[Tok], i: usize) -> Option<Tk> {
    toks.get(i).map(|t| t.t)
}

/// A `SELECT` that reads like SQL rather than English ("select a plan"):
/// followed by a value, a star, a call or a parenthesis.
fn select_shape(toks: &[Tok], i: usize) -> bool {
    at(toks, i) == Some(Tk::Select)
        && matches!(
            at(toks, i + 1),
            Some(
                Tk::Num
                    | Tk::Str
                    | Tk::Null
                    | Tk::Star
                    | Tk::Func
                    | Tk::Call
                    | Tk::Var
                    | Tk::SysVar
                    | Tk::LParen
                    | Tk::All
                    | Tk::Catalog
                    | Tk::Case
            )
        )
        || at(toks, i) == Some(Tk::Select)
            && at(toks, i + 1) == Some(Tk::Name)
            && matches!(at(toks, i + 2), Some(Tk::From | Tk::Comma))
}

/// What follows a boolean operator in an injected condition: a
/// comparison, a call, a subquery or a negated subquery.
fn expr_start(toks: &[Tok], i: usize, quoted: bool) -> bool {
    let Some(t) = at(toks, i) else {
        return false;
    };
    let next = at(toks, i + 1);
    match t {
        Tk::Num | Tk::Str | Tk::Null | Tk::Var | Tk::SysVar | Tk::Name => {
            let compared = matches!(next, Some(Tk::Cmp | Tk::CmpWord))
                && at(toks, i + 2).is_some_and(|t| t.is_operand() || t == Tk::Name);
            compared
                || (t != Tk::Name
                    && match next {
                        None => quoted,
                        Some(Tk::Comment) => true,
                        Some(Tk::Semi | Tk::RParen) => quoted,
                        Some(Tk::OrderGroup | Tk::Clause) => true,
                        _ => false,
                    })
        }
        Tk::Func => true,
        Tk::Select => select_shape(toks, i),
        Tk::LParen => {
            select_shape(toks, i + 1)
                || expr_start(toks, i + 1, quoted) && next != Some(Tk::Name)
                || next == Some(Tk::LParen) && expr_start(toks, i + 2, quoted)
        }
        Tk::Not => next == Some(Tk::LParen),
        _ => false,
    }
}

/// A statement that can only be SQL after `;` (`;select sleep(5)`,
/// `;waitfor delay`, `;drop table`).
fn stacked(toks: &[Tok], i: usize) -> bool {
    match at(toks, i) {
        Some(Tk::Select) => select_shape(toks, i),
        Some(Tk::Stmt) => at(toks, i + 1).is_some_and(|t| t != Tk::Other),
        Some(Tk::Func) => true,
        Some(Tk::Waitfor) => at(toks, i + 1) == Some(Tk::Delay),
        Some(Tk::LParen) => select_shape(toks, i + 1),
        _ => false,
    }
}

/// The rule a token stream breaks, if any. `quoted`: the first token is
/// the literal closed by the value.
fn judge(toks: &[Tok], quoted: bool) -> Option<&'static str> {
    let n = toks.len();
    if quoted {
        // What follows the closed literal (and any closing parentheses).
        let mut k = 1;
        while at(toks, k) == Some(Tk::RParen) {
            k += 1;
        }
        let parens = k > 1;
        match at(toks, k) {
            Some(Tk::Comment) => return Some("a closed literal followed by a comment"),
            Some(Tk::Logic) if expr_start(toks, k + 1, true) => {
                return Some("a closed literal followed by a boolean condition");
            }
            Some(Tk::Where | Tk::Clause) => {
                return Some("a closed literal followed by a SQL clause");
            }
            Some(Tk::OrderGroup) if at(toks, k + 1) == Some(Tk::By) => {
                return Some("a closed literal followed by a SQL clause");
            }
            Some(Tk::Select) if select_shape(toks, k) => {
                return Some("a closed literal followed by SELECT");
            }
            Some(Tk::As)
                if at(toks, k + 1) == Some(Tk::Name)
                    && matches!(at(toks, k + 2), Some(Tk::Where | Tk::Logic | Tk::Comment)) =>
            {
                return Some("a closed literal followed by a SQL clause");
            }
            Some(Tk::Cmp | Tk::Arith | Tk::CmpWord)
                if at(toks, k + 1).is_some_and(|t| t.is_operand() && (t != Tk::Num || parens)) =>
            {
                return Some("a closed literal followed by an operator");
            }
            Some(Tk::Semi) if at(toks, k + 1).is_none_or(|t| t == Tk::Comment) => {
                return Some("a closed literal ending the statement");
            }
            Some(Tk::Waitfor) if at(toks, k + 1) == Some(Tk::Delay) => {
                return Some("a closed literal followed by WAITFOR DELAY");
            }
            Some(Tk::Comma)
                if at(toks, k + 1) == Some(Tk::Func)
                    || at(toks, k + 1) == Some(Tk::LParen)
                        && (select_shape(toks, k + 2) || at(toks, k + 2) == Some(Tk::Case)) =>
            {
                return Some("a closed literal followed by a subquery or call");
            }
            _ => {}
        }
    }
    for i in 0..n {
        let t = toks[i].t;
        let prev = if i > 0 { Some(toks[i - 1].t) } else { None };
        match t {
            Tk::Union => {
                let mut j = i + 1;
                while matches!(at(toks, j), Some(Tk::All | Tk::LParen)) {
                    j += 1;
                }
                if at(toks, j) == Some(Tk::Select) {
                    return Some("UNION SELECT");
                }
            }
            Tk::Semi
                if prev.is_none_or(|p| matches!(p, Tk::Str | Tk::Num | Tk::RParen))
                    && stacked(toks, i + 1) =>
            {
                return Some("a stacked statement after ';'");
            }
            // After a word (`balance;DROP TABLE accounts--`) only a
            // statement that cannot be prose counts.
            Tk::Semi
                if at(toks, i + 1) == Some(Tk::Stmt)
                    && (at(toks, i + 2) == Some(Tk::Object)
                        || toks.last().is_some_and(|t| t.t == Tk::Comment)) =>
            {
                return Some("a stacked statement after ';'");
            }
            Tk::Func if toks[i].strong => return Some("a call to a delay or extraction function"),
            Tk::SysVar => return Some("a server variable (@@)"),
            Tk::LParen if select_shape(toks, i + 1) => return Some("a subquery"),
            Tk::Select
                if i == 0 && select_shape(toks, 0) && toks.iter().any(|t| t.t == Tk::From) =>
            {
                return Some("a SELECT statement");
            }
            Tk::Case
                if at(toks, i + 1) == Some(Tk::When)
                    && matches!(at(toks, i + 2), Some(Tk::Num | Tk::Str | Tk::LParen)) =>
            {
                return Some("a CASE WHEN expression");
            }
            Tk::Func
                if at(toks, i + 1) == Some(Tk::LParen)
                    && matches!(at(toks, i + 2), Some(Tk::Num | Tk::Str))
                    && at(toks, i + 3) == Some(Tk::Cmp)
                    && matches!(at(toks, i + 4), Some(Tk::Num | Tk::Str)) =>
            {
                return Some("a comparison inside a function call");
            }
            Tk::Waitfor if at(toks, i + 1) == Some(Tk::Delay) => {
                return Some("WAITFOR DELAY");
            }
            Tk::Catalog if prev == Some(Tk::From) => {
                return Some("a read of the database catalog");
            }
            Tk::Logic
                if prev.is_none_or(|p| matches!(p, Tk::Num | Tk::Str | Tk::RParen | Tk::Null))
                    && expr_start(toks, i + 1, false) =>
            {
                return Some("a boolean condition (OR/AND) appended to a value");
            }
            Tk::OrderGroup
                if prev.is_some_and(|p| matches!(p, Tk::Num | Tk::RParen | Tk::Str))
                    && at(toks, i + 1) == Some(Tk::By)
                    && matches!(at(toks, i + 2), Some(Tk::Num | Tk::Func | Tk::Call)) =>
            {
                return Some("ORDER/GROUP BY appended to a value");
            }
            Tk::RParen
                if matches!(at(toks, i + 1), Some(Tk::Comment))
                    && prev.is_some_and(|p| matches!(p, Tk::Num | Tk::RParen | Tk::Str)) =>
            {
                return Some("a closing parenthesis followed by a comment");
            }
            _ => {}
        }
    }
    None
}

/// Cheap precondition: every rule needs one of these bytes or a keyword
/// with a space or parenthesis around it.
fn may_be_sql(s: &[u8]) -> bool {
    s.iter().any(|&b| {
        matches!(
            b,
            b'\''
                | b'"'
                | b'('
                | b';'
                | b'#'
                | b'='
                | b'@'
                | b'-'
                | b'/'
                | b'<'
                | b'>'
                | b'|'
                | b'&'
        )
    }) || s
        .iter()
        .filter(|&&b| b == b' ' || b == b'\t' || b == b'\n')
        .count()
        >= 2
}

/// The SQL-injection rule `value` (decoded) breaks, with the shape of the
/// reading that broke it.
pub(super) fn detect(value: &str) -> Option<(&'static str, String)> {
    let s = value.as_bytes();
    if !may_be_sql(s) {
        return None;
    }
    let mut toks = Vec::with_capacity(16);
    for ctx in [None, Some(b'\''), Some(b'"')] {
        if !tokenize(s, ctx, &mut toks) {
            continue;
        }
        if let Some(rule) = judge(&toks, ctx.is_some()) {
            let shape = toks.iter().take(8).map(|t| t.t.letter()).collect();
            return Some((rule, shape));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        super::super::assert_caught(
            super::super::InjectionClass::Sql,
            &[
                "1' OR '1'='1",
                "-1839\" or \"1\"=\"2",
                "1234 OR 1=1",
                "admin'--",
                "admin' #",
                "1' and 1=1",
                "1 UNION SELECT password FROM users",
                "1 union/**/select 1,2",
                "-3130'))) union all select 2886,2886#",
                "1;select sleep(5)",
                "1'; DROP TABLE users--",
                "2010-01-01'+sleep(20.to_i)+'",
                "make_set(2672=2672,5440)",
                "1)) and (select * from (select(sleep(5)))gcrr)#",
                "1' in boolean mode) and 3580=(select count(*) from domain.domains as t1)--",
                "1\"\"))) and elt(4249=4249,7259) and (((\"awyk\" like \"awyk",
                "1 or extractvalue(1297,concat(0x5c,0x7171706a71))# ogwe",
                "1%\"))) waitfor delay '0:0:5'--",
                "1 order by 5--",
                "' or 1=1 limit 1 -- -+",
                "1 and @@version>5",
                "1;select case when 7717=7717 then 1 else null end--",
                "1',iif(6625=6625,1,1/0)",
                "elt(5953=5953,1)",
                "1,(select (case when (3743=9640) then 1 else 3743 end))",
                "1 rlike (select (case when (8314=5463) then 1 else 0x28 end))",
                "balance;DROP TABLE accounts--",
                "name; drop table users",
                "sELecT slEep (10 /6)",
                "or 4975==4975'",
                "AND 2771=1709)",
                "select * from user where a not between '1' and '2'",
                "x' AND 1=(SELECT COUNT(*) FROM information_schema.tables)--",
            ],
            |a| detect(a).is_some(),
        );
    }

    #[test]
    fn benign() {
        for b in [
            "O'Reilly",
            "D'Angelo, Maria",
            "Invoice 2026-11 (final) - select plan",
            "Rock 'n' roll",
            "it's 5 or 6 items",
            "Apt 3 or 4",
            "Payment; update address please",
            "please select an option from the menu",
            "Rent and (select a plan)",
            "12, rue de l'Église",
            "\"Best\" account",
            "2026-01-01T10:00:00Z",
            "john.doe+test@example.com",
            "Smith & Sons (Ltd.)",
            "a = b",
            "c/ caridad s/n",
            "50% off -- limited",
            "Die \"Union von Europa\"",
            "in case when the card is lost",
            "max(5 items)",
            "or 2 items",
            "and then some",
            "Select * items you want",
            "sleep well",
            "Lunch; set table for four",
            "Report; update the index later",
        ] {
            assert_eq!(detect(b), None, "false positive on {b}");
        }
    }

    #[test]
    fn shape_is_reported() {
        let (_, shape) = detect("1' or '1'='1").unwrap_or_default();
        assert_eq!(shape, "s&sos");
    }
}
