//! Format detection on arbitrary first lines (and HAR prefixes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkwell_ingest::{FieldMap, IngestConfig, detect};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').take(20).collect();
    let cfg = IngestConfig::default();
    if let Some(d) = detect(&lines, &cfg) {
        assert!(d.matched <= d.examined);
        assert!(d.matched > 0);
    }
    // As one document (how the pipeline probes for HAR).
    let _ = detect(&[&text], &cfg);
    // With dotted, alternative NDJSON names configured.
    let cfg = IngestConfig {
        ndjson: FieldMap {
            time: Some("a.b|t".into()),
            method: Some("m|x.y.z".into()),
            path: Some("p.q".into()),
            status: Some("s".into()),
            headers: Some("h".into()),
            ..FieldMap::default()
        },
        ..IngestConfig::default()
    };
    let _ = detect(&lines, &cfg);
});
