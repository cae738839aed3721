//! LineReader over arbitrary bytes: plain, as-is (so truncated or corrupt
//! gzip is covered), and freshly gzipped (so the decoder path sees valid
//! streams of arbitrary content). The first byte sets the line cap. Block
//! reads must give the same lines as line-by-line reads.
#![no_main]

use std::io::{Cursor, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use linkwell_ingest::reader::{Input, LineReader, read_to_string_capped};

fn drain(data: Vec<u8>, max: usize) {
    let total = data.len();
    let mut r = LineReader::new(Input::from_reader("fuzz", Cursor::new(data.clone())), max);
    let mut last = 0u64;
    let mut lines = Vec::new();
    while let Some(line) = r.next_line() {
        let Ok(line) = line else { break };
        assert_eq!(line.number, last + 1);
        last = line.number;
        assert!(line.bytes.len() <= max);
        assert!(line.truncated || !line.bytes.ends_with(b"\n"));
        lines.push((line.number, line.bytes.to_vec(), line.truncated));
    }
    assert!(r.next_line().is_none());
    assert!(r.bytes_read() <= total as u64);

    let mut r = LineReader::new(Input::from_reader("fuzz", Cursor::new(data)), max);
    let mut blocks = Vec::new();
    loop {
        let (mut block, mut spans) = (Vec::new(), Vec::new());
        let more = r.read_block(&mut block, &mut spans, 1 + max * 3);
        for s in &spans {
            blocks.push((s.number, block[s.start..s.end].to_vec(), s.truncated));
        }
        match more {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
    }
    assert_eq!(blocks, lines);
}

fuzz_target!(|data: &[u8]| {
    let Some((&cap, rest)) = data.split_first() else {
        return;
    };
    let max = usize::from(cap);
    drain(rest.to_vec(), max);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    if gz.write_all(rest).is_ok() {
        if let Ok(compressed) = gz.finish() {
            drain(compressed.clone(), max);
            let _ = read_to_string_capped(
                Input::from_reader("fuzz.gz", Cursor::new(compressed)),
                max * 64,
            );
        }
    }
    let _ = read_to_string_capped(
        Input::from_reader("fuzz", Cursor::new(rest.to_vec())),
        max * 64,
    );
});
