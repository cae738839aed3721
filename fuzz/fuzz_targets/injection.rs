//! The injection detector on arbitrary bytes: as one value, and spread over
//! every place of a call (path, query, JSON/form/XML body, headers,
//! cookies). It must never panic; a value it flags must still be flagged
//! when it is the only thing in the call's query string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkwell_core::CallRecord;
use linkwell_engine::detect::{classify_injection, scan_call};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = classify_injection(&text);
    for ct in ["application/json", "application/x-www-form-urlencoded", "text/xml", ""] {
        let mut c = CallRecord::default();
        c.set_target(format!("/{text}?{text}={text}").into());
        c.request_body = Some(text.clone());
        c.content_type = (!ct.is_empty()).then(|| ct.into());
        c.user_agent = Some(text.clone());
        c.headers.push(("cookie".into(), text.clone()));
        c.headers.push(("x-custom".into(), text.clone()));
        let _ = scan_call(&c);
    }
});
