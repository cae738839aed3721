//! Format detection picks the right format from the first lines.
#![allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)

mod common;

use common::{SAMPLES, data, lines};
use linkwell_core::SourceFormat;
use linkwell_ingest::{IngestConfig, detect};

#[test]
fn each_sample_file_is_recognised() {
    let cfg = IngestConfig::default();
    for (format, file) in SAMPLES {
        let text = data(file);
        let sample = lines(&text);
        let d = detect(&sample, &cfg).unwrap_or_else(|| panic!("{file}: nothing detected"));
        assert_eq!(d.format, format, "{file}: {}", d.reason);
        assert_eq!(d.examined, sample.len());
        assert_eq!(d.matched, sample.len(), "{file}: {}", d.reason);
        assert!(d.reason.starts_with(format.name()), "{}", d.reason);
    }
}

#[test]
fn reason_names_the_keys_that_decided() {
    let text = data("nginx_json.log");
    let d = detect(&lines(&text), &IngestConfig::default()).unwrap();
    assert!(d.reason.contains("3/3 lines parsed"), "{}", d.reason);
    assert!(
        d.reason.contains("keys") && d.reason.contains("remote_addr"),
        "{}",
        d.reason
    );
}

#[test]
fn har_from_whole_text_or_from_first_lines() {
    let cfg = IngestConfig::default();
    let text = data("sample.har");
    let d = detect(&[text.as_str()], &cfg).unwrap();
    assert_eq!(d.format, SourceFormat::Har);
    assert!(d.reason.contains("3/4 entries"), "{}", d.reason);
    // The scan pipeline passes the first lines of a pretty-printed file.
    let first: Vec<&str> = text.lines().take(20).collect();
    let d = detect(&first, &cfg).unwrap();
    assert_eq!(d.format, SourceFormat::Har);
    // Minified, cut after a few hundred bytes.
    let minified =
        r#"{"log":{"version":"1.2","creator":{"name":"x"},"entries":[{"startedDateTime":"2026-"#;
    assert_eq!(detect(&[minified], &cfg).unwrap().format, SourceFormat::Har);
}

#[test]
fn a_few_bad_lines_do_not_change_the_verdict() {
    let text = data("nginx_json.log");
    let mut sample = lines(&text);
    sample.push(r#"{"remote_addr":"203.0.113.7","status":"abc"}"#);
    sample.push("garbage");
    let d = detect(&sample, &IngestConfig::default()).unwrap();
    assert_eq!(d.format, SourceFormat::NginxJson);
    assert_eq!((d.matched, d.examined), (3, 5));
}

#[test]
fn gateway_keys_beat_the_generic_mapping() {
    // Istio JSON also satisfies the default ndjson names (method/path/...).
    let text = data("envoy_json.log");
    let istio = lines(&text)[1];
    let d = detect(&[istio, istio], &IngestConfig::default()).unwrap();
    assert_eq!(d.format, SourceFormat::EnvoyJson, "{}", d.reason);
    // Without any gateway key it is generic NDJSON.
    let generic = r#"{"time":"2026-03-02T10:15:30Z","method":"GET","path":"/a","status":200}"#;
    let d = detect(&[generic], &IngestConfig::default()).unwrap();
    assert_eq!(d.format, SourceFormat::Ndjson, "{}", d.reason);
}

#[test]
fn nothing_recognisable() {
    let cfg = IngestConfig::default();
    assert_eq!(detect(&[], &cfg), None);
    assert_eq!(detect(&["", "   "], &cfg), None);
    assert_eq!(detect(&["hello world", "second line"], &cfg), None);
    assert_eq!(detect(&[r#"{"a":1}"#, r#"{"b":2}"#], &cfg), None);
    assert_eq!(detect(&["\u{0}\u{1}\u{fffd}\u{fffd}"], &cfg), None);
}

#[test]
fn detection_uses_the_configured_field_map() {
    let mut cfg = IngestConfig::default();
    let line = r#"{"when":"2026-03-02T10:15:30Z","verb":"GET","route":"/a","code":200}"#;
    assert_eq!(detect(&[line], &cfg), None);
    cfg.ndjson.time = Some("when".into());
    cfg.ndjson.method = Some("verb".into());
    cfg.ndjson.path = Some("route".into());
    assert_eq!(detect(&[line], &cfg).unwrap().format, SourceFormat::Ndjson);
}
