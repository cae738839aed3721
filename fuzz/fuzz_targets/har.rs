//! HAR documents: arbitrary text through the whole-document parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkwell_ingest::har::parse_har;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = parse_har(&text) {
        for (i, e) in entries.into_iter().enumerate() {
            if let Ok(rec) = e {
                assert_eq!(rec.source.line, i as u64 + 1);
                let max = linkwell_core::call::MAX_BODY_SAMPLE;
                assert!(rec.request_body.as_ref().is_none_or(|b| b.len() <= max));
                assert!(rec.response_body.as_ref().is_none_or(|b| b.len() <= max));
                let _ = rec.into_owned();
            }
        }
    }
});
