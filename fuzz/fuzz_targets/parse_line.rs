//! Every line format on arbitrary input: the first byte picks the format,
//! the rest is the line (bytes, so invalid UTF-8 is covered too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkwell_core::SourceFormat;
use linkwell_ingest::{IngestConfig, parse_bytes, parse_line};

/// Every line format (HAR is a whole document; it has its own target).
const FORMATS: [SourceFormat; 9] = {
    let all = SourceFormat::ALL_LOG_FORMATS;
    let mut out = [all[0]; 9];
    let (mut i, mut j) = (0, 0);
    while i < all.len() {
        if !matches!(all[i], SourceFormat::Har) {
            out[j] = all[i];
            j += 1;
        }
        i += 1;
    }
    out
};
fuzz_target!(|data: &[u8]| {
    let Some((&selector, line)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(selector) % FORMATS.len()];
    let cfg = IngestConfig::default();
    match parse_bytes(format, line, &cfg) {
        Ok(rec) => {
            // Invariants every accepted record keeps.
            assert!(rec.status <= 999);
            assert_eq!(rec.format, Some(format));
            assert!(!rec.auth.is_empty());
            assert!(rec.headers.len() <= linkwell_core::call::MAX_HEADERS);
            let _ = rec.into_owned();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    // The same bytes as text, through the &str entry point.
    let text = String::from_utf8_lossy(line);
    let _ = parse_line(format, &text, &cfg);
});
