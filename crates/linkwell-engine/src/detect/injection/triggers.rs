//! The Aho-Corasick prefilter: one pass over a value finds every cheap
//! trigger in it. The result says which analysers can possibly match
//! (classes) and which of their more expensive checks are worth running
//! (features), so a benign value costs one automaton scan.

use std::sync::OnceLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};

use super::InjectionClass;

/// Checks inside analysers that only run when their trigger was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Feature {
    /// `<`: HTML tags.
    Lt,
    /// `script`, `data:`, `mocha`: script URLs.
    Scheme,
    /// `document.`, `window.`, `location`, `innerhtml`.
    JsProperty,
    /// `expression`, `binding`, `behavio(u)r`, `url(`: CSS that runs code.
    Css,
    /// `alert`, `eval`, ...: JS sinks.
    Sink,
    /// `[]`: JSFuck.
    Brackets,
    /// `<!--#`: server-side includes.
    Ssi,
    /// `ifs`: `${IFS}` separators.
    Ifs,
    /// `/bin/`, `cmd.exe`, ...: shell paths.
    Binary,
    /// `system(`, `exec(`, ...: process-spawning calls.
    Spawn,
    /// A system file name (traversal targets).
    Target,
    /// `0x`: hex-literal dots and slashes.
    Hex,
    /// A long run of dots.
    Dots,
}

/// The result of the prefilter pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Hits {
    classes: u8,
    features: u32,
}

impl Hits {
    pub(super) fn any(self) -> bool {
        self.classes != 0
    }

    pub(super) fn class(self, c: InjectionClass) -> bool {
        self.classes & (1 << c as u8) != 0
    }

    pub(super) fn has(self, f: Feature) -> bool {
        self.features & (1 << f as u8) != 0
    }
}

const S: u8 = 1 << InjectionClass::Sql as u8;
const X: u8 = 1 << InjectionClass::Xss as u8;
const C: u8 = 1 << InjectionClass::Command as u8;
const P: u8 = 1 << InjectionClass::PathTraversal as u8;
const N: u8 = 1 << InjectionClass::NoSql as u8;
const F: u8 = 1 << InjectionClass::Ssrf as u8;

const fn f(x: Feature) -> u32 {
    1 << x as u8
}

/// Patterns (ASCII case-insensitive), the analysers they enable and the
/// features they switch on.
const TRIGGERS: &[(&str, u8, u32)] = &[
    ("'", S | C, 0),
    ("\"", S | C, 0),
    ("(", S | X, 0),
    (";", S | C, 0),
    ("#", S, 0),
    ("--", S, 0),
    ("/*", S, 0),
    ("=", S, 0),
    ("@@", S, 0),
    ("||", S | C, 0),
    ("&&", S | C, 0),
    ("|", C, 0),
    ("&", C, 0),
    ("`", X | C, 0),
    ("\n", C, 0),
    ("$", C | N, 0),
    ("this.", N, 0),
    ("union", S, 0),
    ("select", S, 0),
    ("order", S, 0),
    ("group", S, 0),
    ("waitfor", S, 0),
    ("like", S, 0),
    ("between", S, 0),
    ("regexp", S, 0),
    ("<", X | C | S, f(Feature::Lt)),
    (">", S, 0),
    ("script", X, f(Feature::Scheme)),
    ("data:", X, f(Feature::Scheme)),
    ("mocha", X, f(Feature::Scheme)),
    ("document.", X, f(Feature::JsProperty)),
    ("window.", X, f(Feature::JsProperty)),
    ("location", X, f(Feature::JsProperty)),
    ("innerhtml", X, f(Feature::JsProperty)),
    ("expression", X, f(Feature::Css)),
    ("binding", X, f(Feature::Css)),
    ("behavio", X, f(Feature::Css)),
    ("url(", X, f(Feature::Css)),
    ("alert", X, f(Feature::Sink)),
    ("prompt", X, f(Feature::Sink)),
    ("confirm", X, f(Feature::Sink)),
    ("eval", X, f(Feature::Sink)),
    ("settimeout", X, f(Feature::Sink)),
    ("setinterval", X, f(Feature::Sink)),
    ("fromcharcode", X, f(Feature::Sink)),
    ("atob", X, f(Feature::Sink)),
    ("execscript", X, f(Feature::Sink)),
    ("msgbox", X, f(Feature::Sink)),
    ("[]", X, f(Feature::Brackets)),
    ("<!--#", C, f(Feature::Ssi)),
    ("ifs", C, f(Feature::Ifs)),
    ("/bin/", C, f(Feature::Binary)),
    ("/sbin/", C, f(Feature::Binary)),
    ("cmd.exe", C, f(Feature::Binary)),
    ("powershell.exe", C, f(Feature::Binary)),
    ("system32/cmd", C, f(Feature::Binary)),
    ("system(", C, f(Feature::Spawn)),
    ("exec(", C, f(Feature::Spawn)),
    ("passthru(", C, f(Feature::Spawn)),
    ("popen(", C, f(Feature::Spawn)),
    ("proc_open(", C, f(Feature::Spawn)),
    ("cmd", C, 0),
    ("powershell", C, 0),
    ("dir", C, 0),
    ("cat ", C, 0),
    ("ls ", C, 0),
    ("wget", C, 0),
    ("curl", C, 0),
    ("bash", C, 0),
    ("ping", C, 0),
    ("type ", C, 0),
    ("whoami", C, 0),
    ("uname", C, 0),
    ("ifconfig", C, 0),
    ("ipconfig", C, 0),
    ("systeminfo", C, 0),
    ("netstat", C, 0),
    ("tasklist", C, 0),
    ("printenv", C, 0),
    ("..", P, 0),
    ("/./", P, 0),
    ("0x", P, f(Feature::Hex)),
    ("................", P, f(Feature::Dots)),
    ("/etc/", P, f(Feature::Target)),
    ("/proc/", P, f(Feature::Target)),
    ("/var/log/", P, f(Feature::Target)),
    (".ini", P, f(Feature::Target)),
    ("-inf", P, f(Feature::Target)),
    ("web.config", P, f(Feature::Target)),
    (".htaccess", P, f(Feature::Target)),
    (".htpasswd", P, f(Feature::Target)),
    (".ssh/", P, f(Feature::Target)),
    ("_history", P, f(Feature::Target)),
    (".git/", P, f(Feature::Target)),
    ("global.asa", P, f(Feature::Target)),
    ("/inetpub/", P, f(Feature::Target)),
    // The same with Windows separators (the analyser folds `\\` to `/`).
    ("\\etc\\", P, f(Feature::Target)),
    ("\\proc\\", P, f(Feature::Target)),
    ("\\var\\log\\", P, f(Feature::Target)),
    (".ssh\\", P, f(Feature::Target)),
    (".git\\", P, f(Feature::Target)),
    ("\\inetpub\\", P, f(Feature::Target)),
    ("://", F, 0),
    ("//", F, 0),
    ("file:", F, 0),
    ("gopher:", F, 0),
    ("dict:", F, 0),
    ("ldap", F, 0),
    ("tftp:", F, 0),
    ("jar:", F, 0),
    ("phar:", F, 0),
    ("expect:", F, 0),
    ("netdoc:", F, 0),
];

fn automaton() -> &'static DFA {
    static AC: OnceLock<DFA> = OnceLock::new();
    AC.get_or_init(|| {
        DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // Values are short: a prefilter's start-up costs more than the
            // DFA walk it would skip.
            .prefilter(false)
            .build(TRIGGERS.iter().map(|(s, _, _)| s))
            .unwrap_or_else(|e| panic!("static trigger set must compile: {e}"))
    })
}

/// Every trigger in `s`: a walk over the DFA's transition table, a few
/// instructions per byte. With standard semantics every match state
/// lists all patterns ending there, so overlapping triggers are all seen.
pub(super) fn scan(s: &str) -> Hits {
    let dfa = automaton();
    let mut h = Hits::default();
    let Ok(mut sid) = dfa.start_state(Anchored::No) else {
        return h;
    };
    for &b in s.as_bytes() {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) && dfa.is_match(sid) {
            for i in 0..dfa.match_len(sid) {
                let (_, classes, features) = TRIGGERS[dfa.match_pattern(sid, i).as_usize()];
                h.classes |= classes;
                h.features |= features;
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_triggers_are_all_seen() {
        // `<!--#` contains `<` and `--`; `/bin/` sits inside `/usr/bin/`.
        let h = scan("x<!--#exec");
        assert!(h.has(Feature::Ssi) && h.has(Feature::Lt));
        assert!(h.class(InjectionClass::Sql) && h.class(InjectionClass::Xss));
        assert!(scan("/usr/bin/id").has(Feature::Binary));
        assert!(scan("SELECT").class(InjectionClass::Sql));
        assert!(!scan("EUR 2026-01-01 acct_123").any());
    }
}
