//! Bad lines are rejected with the right error, and nothing panics.
#![allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)

mod common;

use common::{SAMPLES, data, lines};
use linkwell_core::SourceFormat;
use linkwell_ingest::har::parse_har;
use linkwell_ingest::{IngestConfig, MAX_EXCERPT, ParseError, detect, parse_bytes, parse_line};

fn err(format: SourceFormat, line: &str) -> ParseError {
    match parse_line(format, line, &IngestConfig::default()) {
        Ok(r) => panic!("{format} accepted {line:?}: {r:?}"),
        Err(e) => e,
    }
}

const COMBINED_OK: &str =
    r#"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] "GET /a HTTP/1.1" 200 10 "-" "ua""#;

#[test]
fn empty_and_too_long() {
    for f in SourceFormat::ALL_LOG_FORMATS {
        if f != SourceFormat::Har {
            assert_eq!(err(f, ""), ParseError::Empty);
            assert_eq!(err(f, " \t\r\n"), ParseError::Empty);
        }
    }
    let cfg = IngestConfig {
        max_line_bytes: 10,
        ..IngestConfig::default()
    };
    assert_eq!(
        parse_line(SourceFormat::NginxCombined, COMBINED_OK, &cfg).unwrap_err(),
        ParseError::TooLong {
            len: COMBINED_OK.len()
        }
    );
    assert_eq!(
        parse_bytes(SourceFormat::NginxJson, &[0xff; 11], &cfg).unwrap_err(),
        ParseError::TooLong { len: 11 }
    );
}

#[test]
fn json_syntax_errors() {
    for f in [
        SourceFormat::NginxJson,
        SourceFormat::EnvoyJson,
        SourceFormat::AwsApigw,
        SourceFormat::Cloudflare,
        SourceFormat::Kong,
        SourceFormat::Traefik,
        SourceFormat::Ndjson,
    ] {
        let e = err(f, r#"{"remote_addr":"203.0.113.7","status":20"#);
        assert!(matches!(e, ParseError::NotJson { .. }), "{f}: {e}");
        assert_eq!(err(f, "[1,2,3]"), ParseError::NotAnObject, "{f}");
        assert_eq!(err(f, r#""just a string""#), ParseError::NotAnObject, "{f}");
        assert!(
            matches!(err(f, COMBINED_OK), ParseError::NotJson { .. }),
            "{f}"
        );
        assert!(
            matches!(err(f, "\u{0}\u{1}\u{2}\u{7f}"), ParseError::NotJson { .. }),
            "{f}"
        );
        assert!(
            matches!(err(f, r#"{"a":1} {"b":2}"#), ParseError::NotJson { .. }),
            "{f}"
        );
    }
}

#[test]
fn text_formats_reject_other_shapes() {
    assert!(matches!(
        err(SourceFormat::NginxCombined, r#"{"status":200}"#),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(SourceFormat::NginxCombined, "\u{0}\u{1}garbage\u{fffd}"),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(SourceFormat::Envoy, COMBINED_OK),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(
            SourceFormat::Envoy,
            "[2026-03-02T10:15:30Z] \"GET / HTTP/1.1\" 200"
        ),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(
            SourceFormat::NginxCombined,
            r#"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] "GET /a HTTP/1.1 200 10"#
        ),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(SourceFormat::Har, r#"{"log":{}}"#),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        err(SourceFormat::Live, "x"),
        ParseError::WrongShape(_)
    ));
}

#[test]
fn invalid_addresses() {
    let e = err(
        SourceFormat::NginxCombined,
        r#"999.1.1.1 - - [02/Mar/2026:10:15:30 +0000] "GET /a HTTP/1.1" 200 10"#,
    );
    assert_eq!(
        e,
        ParseError::BadField {
            field: "remote_addr",
            value: "999.1.1.1".into()
        }
    );
    let e = err(
        SourceFormat::Cloudflare,
        r#"{"ClientIP":"not-an-ip","ClientRequestURI":"/","EdgeStartTimestamp":1772446530,"EdgeResponseStatus":200}"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "ClientIP",
                ..
            }
        ),
        "{e}"
    );
    let e = err(
        SourceFormat::Traefik,
        r#"{"ClientAddr":"10.0.0.2:99999","RequestPath":"/","DownstreamStatus":200,"StartUTC":"2026-03-02T10:15:30Z"}"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "ClientAddr",
                ..
            }
        ),
        "{e}"
    );
    // A garbage X-Forwarded-For is evidence, not a reason to reject.
    let r = parse_line(
        SourceFormat::Envoy,
        r#"[2026-03-02T10:15:30.123Z] "GET / HTTP/1.1" 200 - 0 0 1 - "<script>" "ua" "id" "host" "-""#,
        &IngestConfig::default(),
    )
    .unwrap();
    assert_eq!(
        (r.client_ip, r.forwarded_for.as_deref()),
        (None, Some("<script>"))
    );
}

#[test]
fn bad_request_lines() {
    for req in [
        "GET",
        "GET ",
        "\\x16\\x03\\x01\\x02\\x00\\x01",
        "G(E)T /a HTTP/1.1",
    ] {
        let line = format!(r#"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] "{req}" 400 0 "-" "-""#);
        assert_eq!(
            err(SourceFormat::NginxCombined, &line),
            ParseError::BadRequestLine,
            "{req}"
        );
    }
    let line = r#"[2026-03-02T10:15:30.123Z] "GET - HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-""#;
    assert_eq!(err(SourceFormat::Envoy, line), ParseError::BadRequestLine);
    let line = r#"{"time_local":"02/Mar/2026:10:15:30 +0000","remote_addr":"203.0.113.7","request":"GET","status":400}"#;
    assert_eq!(
        err(SourceFormat::NginxJson, line),
        ParseError::BadRequestLine
    );
}

#[test]
fn numbers_out_of_range_or_negative() {
    let base = |extra: &str| {
        format!(
            r#"{{"time_iso8601":"2026-03-02T10:15:30Z","remote_addr":"203.0.113.7","request_uri":"/a",{extra}}}"#
        )
    };
    let cases = [
        (r#""status":99999999999999999999999"#, "status"),
        (r#""status":1000"#, "status"),
        (r#""status":-200"#, "status"),
        (r#""status":"abc""#, "status"),
        (r#""status":200,"body_bytes_sent":-5"#, "body_bytes_sent"),
        (r#""status":200,"body_bytes_sent":"-5""#, "body_bytes_sent"),
        (r#""status":200,"body_bytes_sent":1.5"#, "body_bytes_sent"),
        (
            r#""status":200,"request_length":184467440737095516160"#,
            "request_length",
        ),
        (r#""status":200,"request_time":-3.2"#, "request_time"),
        (r#""status":200,"request_time":"fast""#, "request_time"),
        (r#""status":200,"remote_port":"http""#, "remote_port"),
    ];
    for (extra, field) in cases {
        let e = err(SourceFormat::NginxJson, &base(extra));
        assert!(
            matches!(e, ParseError::BadField { field: f, .. } if f == field),
            "{extra}: {e}"
        );
    }
    let e = err(
        SourceFormat::Kong,
        r#"{"request":{"uri":"/","size":-1},"response":{"status":200},"started_at":1772446530123}"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "request.size",
                ..
            }
        ),
        "{e}"
    );
    let e = err(
        SourceFormat::Cloudflare,
        r#"{"ClientRequestURI":"/","EdgeStartTimestamp":1772446530,"EdgeResponseStatus":200,"ClientASN":99999999999}"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "ClientASN",
                ..
            }
        ),
        "{e}"
    );
    let e = err(
        SourceFormat::NginxCombined,
        r#"203.0.113.7 - - [02/Mar/2026:10:15:30 +0000] "GET /a HTTP/1.1" 200 -12"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "body_bytes_sent",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn missing_and_mistyped_fields() {
    let e = err(
        SourceFormat::NginxJson,
        r#"{"remote_addr":"203.0.113.7","request_uri":"/a","msec":1772446530.1}"#,
    );
    assert_eq!(e, ParseError::MissingField("status"));
    let e = err(
        SourceFormat::NginxJson,
        r#"{"remote_addr":"203.0.113.7","request_uri":"/a","status":200}"#,
    );
    assert_eq!(e, ParseError::MissingField("time_iso8601"));
    let e = err(SourceFormat::NginxJson, r#"{"foo":1,"bar":2}"#);
    assert!(matches!(e, ParseError::WrongShape(_)), "{e}");
    let e = err(SourceFormat::Kong, r#"{"client_ip":"203.0.113.7"}"#);
    assert_eq!(e, ParseError::MissingField("request"));
    let e = err(
        SourceFormat::Kong,
        r#"{"request":"GET /","response":{"status":200}}"#,
    );
    assert!(matches!(e, ParseError::BadValue { .. }), "{e}");
    let e = err(
        SourceFormat::Traefik,
        r#"{"RequestPath":"/","StartUTC":"2026-03-02T10:15:30Z"}"#,
    );
    assert_eq!(e, ParseError::MissingField("DownstreamStatus"));
    let e = err(
        SourceFormat::Ndjson,
        r#"{"time":"2026-03-02T10:15:30Z","status":200}"#,
    );
    assert_eq!(e, ParseError::MissingField("path"));
    let e = err(
        SourceFormat::NginxCombined,
        r#"203.0.113.7 - - [32/Foo/2026:10:15:30 +0000] "GET /a HTTP/1.1" 200 1"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "time_local",
                ..
            }
        ),
        "{e}"
    );
    let e = err(
        SourceFormat::EnvoyJson,
        r#"{"start_time":"2026-03-02T10:15:30Z","path":"/","response_code":200,"method":"GE T"}"#,
    );
    assert!(
        matches!(
            e,
            ParseError::BadField {
                field: "method",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn error_values_are_short() {
    let long = "x".repeat(10_000);
    let line = format!(r#"{long} - - [02/Mar/2026:10:15:30 +0000] "GET / HTTP/1.1" 200 1"#);
    match err(SourceFormat::NginxCombined, &line) {
        ParseError::BadField { value, .. } => assert!(value.len() <= MAX_EXCERPT + 3),
        e => panic!("{e}"),
    }
    assert!(err(SourceFormat::NginxCombined, &line).to_string().len() < 200);
}

#[test]
fn har_document_errors() {
    assert_eq!(parse_har("[]").unwrap_err(), ParseError::NotAnObject);
    assert!(matches!(
        parse_har("{}").unwrap_err(),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        parse_har(r#"{"log":{"entries":{}}}"#).unwrap_err(),
        ParseError::WrongShape(_)
    ));
    assert!(matches!(
        parse_har(r#"{"log":"#).unwrap_err(),
        ParseError::NotJson { .. }
    ));
    assert!(matches!(parse_har("").unwrap_err(), ParseError::Empty));
    let entries = parse_har(r#"{"log":{"entries":[{"request":{}},42]}}"#).unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(Result::is_err));
}

/// A small deterministic PRNG (xorshift64*), so the mutation loop is
/// reproducible without a proptest dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const INSERTS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"[",
    b"]",
    b" ",
    b"{",
    b"}",
    b":",
    b",",
    b"-",
    b"\0",
    b"\xff",
    "é".as_bytes(),
    b"99999999999999999999999",
    b"-1",
    b"1e400",
    b"null",
    b"\\x",
    b"\\u00",
    b"#",
    b"?",
    b"://",
    b"%",
];

fn mutate(rng: &mut Rng, line: &[u8]) -> Vec<u8> {
    let mut v = line.to_vec();
    for _ in 0..=rng.below(4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.below(v.len() + 1)
        };
        match rng.below(4) {
            0 => v.truncate(at),
            1 => {
                let ins = INSERTS[rng.below(INSERTS.len())];
                v.splice(at..at, ins.iter().copied());
            }
            2 if at < v.len() => {
                let end = (at + rng.below(8) + 1).min(v.len());
                v.drain(at..end);
            }
            _ if at < v.len() => v[at] = (rng.next() & 0xff) as u8,
            _ => {}
        }
    }
    v
}

#[test]
fn mutated_samples_never_panic() {
    let cfg = IngestConfig::default();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut corpus: Vec<String> = Vec::new();
    for (_, file) in SAMPLES {
        corpus.extend(lines(&data(file)).into_iter().map(str::to_string));
    }
    let mut parsed = 0usize;
    let mut rejected = 0usize;
    for line in &corpus {
        // Every prefix at a char boundary.
        for (i, _) in line.char_indices() {
            for f in SourceFormat::ALL_LOG_FORMATS {
                match parse_line(f, &line[..i], &cfg) {
                    Ok(_) => parsed += 1,
                    Err(e) => {
                        rejected += 1;
                        let _ = e.to_string();
                    }
                }
            }
        }
        // Random mutations, fed as bytes (invalid UTF-8 included).
        for _ in 0..300 {
            let m = mutate(&mut rng, line.as_bytes());
            for f in SourceFormat::ALL_LOG_FORMATS {
                match parse_bytes(f, &m, &cfg) {
                    Ok(r) => {
                        parsed += 1;
                        let _ = r.into_owned();
                    }
                    Err(_) => rejected += 1,
                }
            }
            let text = String::from_utf8_lossy(&m);
            let _ = detect(&[&text, line], &cfg);
        }
    }
    // The loop exercised both outcomes.
    assert!(
        parsed > 1000 && rejected > 1000,
        "{parsed} parsed, {rejected} rejected"
    );

    let har = data("sample.har");
    for _ in 0..2000 {
        let m = mutate(&mut rng, har.as_bytes());
        let _ = parse_har(&String::from_utf8_lossy(&m));
    }
}
