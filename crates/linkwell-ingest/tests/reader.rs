//! Reading files, gzip and stdin-like streams into bounded lines.
#![allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)

use std::io::{self, Cursor, Read, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use linkwell_ingest::reader::{Input, LineReader, read_to_string_capped};

/// Collects (number, text, truncated) for every line.
fn collect(mut r: LineReader) -> Vec<(u64, String, bool)> {
    let mut out = Vec::new();
    while let Some(line) = r.next_line() {
        let line = line.unwrap();
        out.push((
            line.number,
            String::from_utf8_lossy(line.bytes).into_owned(),
            line.truncated,
        ));
    }
    out
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn owned(v: &[(u64, &str, bool)]) -> Vec<(u64, String, bool)> {
    v.iter().map(|(n, s, t)| (*n, s.to_string(), *t)).collect()
}

#[test]
fn crlf_and_final_line_without_newline() {
    let r = LineReader::new(
        Input::from_reader("-", Cursor::new(b"a\r\nb\n\nc".to_vec())),
        100,
    );
    assert_eq!(
        collect(r),
        owned(&[
            (1, "a", false),
            (2, "b", false),
            (3, "", false),
            (4, "c", false)
        ])
    );
    let r = LineReader::new(Input::from_reader("-", Cursor::new(b"a\n".to_vec())), 100);
    assert_eq!(collect(r), owned(&[(1, "a", false)]));
    let r = LineReader::new(Input::from_reader("-", Cursor::new(Vec::new())), 100);
    assert_eq!(collect(r), owned(&[]));
}

#[test]
fn long_lines_are_truncated_and_skipped() {
    let long = "x".repeat(100_000);
    let text = format!("short\n{long}\nafter\n{long}");
    let r = LineReader::new(
        Input::from_reader("mem", Cursor::new(text.into_bytes())),
        16,
    );
    let lines = collect(r);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], (1, "short".to_string(), false));
    assert_eq!(lines[1], (2, "x".repeat(16), true));
    assert_eq!(lines[2], (3, "after".to_string(), false));
    assert_eq!(lines[3], (4, "x".repeat(16), true));
}

#[test]
fn limit_is_on_content_not_on_crlf() {
    let text = b"0123456789\r\n01234567890\r\n".to_vec();
    let r = LineReader::new(Input::from_reader("mem", Cursor::new(text)), 10);
    assert_eq!(
        collect(r),
        owned(&[(1, "0123456789", false), (2, "0123456789", true)])
    );
}

#[test]
fn buffer_does_not_grow_past_the_cap() {
    // 64 MiB of a single line, produced lazily: memory must stay bounded.
    struct Endless(usize);
    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0);
            buf[..n].fill(b'a');
            self.0 -= n;
            Ok(n)
        }
    }
    let mut r = LineReader::new(Input::from_reader("big", Endless(64 << 20)), 1024);
    let line = r.next_line().unwrap().unwrap();
    assert!(line.truncated);
    assert_eq!(line.bytes.len(), 1024);
    assert!(r.next_line().is_none());
    assert_eq!(r.bytes_read(), 64 << 20);
}

#[test]
fn gzip_is_detected_by_magic_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = "line one\r\nline two\nline three";
    let compressed = gz(text.as_bytes());
    let path = dir.path().join("access.log.1");
    std::fs::write(&path, &compressed).unwrap();
    let input = Input::open(path.to_str().unwrap()).unwrap();
    assert_eq!(input.name(), path.to_str().unwrap());
    let mut r = LineReader::new(input, 1 << 20);
    let mut got = Vec::new();
    while let Some(l) = r.next_line() {
        got.push(String::from_utf8(l.unwrap().bytes.to_vec()).unwrap());
    }
    assert_eq!(got, ["line one", "line two", "line three"]);
    assert_eq!(
        r.bytes_read(),
        compressed.len() as u64,
        "progress counts compressed bytes"
    );

    // Plain files too, and a `.gz` name does not force gzip.
    let plain = dir.path().join("plain.gz");
    std::fs::write(&plain, "a\nb\n").unwrap();
    let r = LineReader::new(Input::open(plain.to_str().unwrap()).unwrap(), 100);
    assert_eq!(collect(r).len(), 2);
    assert!(Input::open(dir.path().join("missing").to_str().unwrap()).is_err());
}

#[test]
fn concatenated_gzip_members_and_one_byte_reads() {
    struct OneByte(Cursor<Vec<u8>>);
    impl Read for OneByte {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }
    let mut data = gz(b"first\n");
    data.extend(gz(b"second\n"));
    let r = LineReader::new(Input::from_reader("-", OneByte(Cursor::new(data))), 100);
    assert_eq!(
        collect(r),
        owned(&[(1, "first", false), (2, "second", false)])
    );
    // A single byte equal to the first magic byte is not gzip.
    let r = LineReader::new(
        Input::from_reader("-", OneByte(Cursor::new(vec![0x1f]))),
        100,
    );
    assert_eq!(collect(r), owned(&[(1, "\u{1f}", false)]));
}

#[test]
fn corrupt_gzip_is_an_error_once() {
    let mut data = gz(b"hello\nworld\n");
    let n = data.len();
    data[n / 2] ^= 0xff;
    data.truncate(n - 4);
    let mut r = LineReader::new(Input::from_reader("bad.gz", Cursor::new(data)), 100);
    let mut errors = 0;
    let mut steps = 0;
    while let Some(l) = r.next_line() {
        steps += 1;
        if l.is_err() {
            errors += 1;
        }
        assert!(steps < 10);
    }
    assert_eq!(errors, 1);
}

#[test]
fn read_whole_input_with_cap() {
    let text = "{\"log\":{\"entries\":[]}}";
    let s = read_to_string_capped(
        Input::from_reader("x.har", Cursor::new(text.as_bytes().to_vec())),
        100,
    )
    .unwrap();
    assert_eq!(s, text);
    let s = read_to_string_capped(
        Input::from_reader("x.har.gz", Cursor::new(gz(text.as_bytes()))),
        text.len(),
    )
    .unwrap();
    assert_eq!(s, text);
    let e = read_to_string_capped(
        Input::from_reader("x.har", Cursor::new(text.as_bytes().to_vec())),
        10,
    )
    .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    let s = read_to_string_capped(
        Input::from_reader("x", Cursor::new(vec![b'a', 0xff, b'b'])),
        10,
    )
    .unwrap();
    assert_eq!(s, "a\u{fffd}b");
}

#[test]
fn line_reader_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let r = LineReader::new(Input::from_reader("-", Cursor::new(Vec::new())), 1);
    assert_send(&r);
}

/// Hands out at most `step` bytes per read, so line ends fall anywhere
/// relative to the reader's buffer.
struct Dribble {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Dribble {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Block reading gives exactly the lines, numbers and truncation of
/// line-by-line reading, wherever lines and reads split.
#[test]
fn blocks_hold_the_same_lines_as_next_line() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..300 {
        let mut data = Vec::new();
        for _ in 0..(next() % 40) {
            let len = [0, 1, 5, 9, 10, 11, 12, 30][(next() % 8) as usize];
            data.extend((0..len).map(|i| b'a' + (i % 26) as u8));
            match next() % 4 {
                0 => data.extend_from_slice(b"\r\n"),
                1 => data.push(b'\r'),
                _ => data.push(b'\n'),
            }
        }
        if next() % 2 == 0 {
            data.extend_from_slice(b"tail");
        }
        let max = [1, 9, 10, 11, 100][(round % 5) as usize];
        let step = 1 + (next() % 20) as usize;
        let open = || {
            Input::from_reader(
                "t",
                Dribble {
                    data: data.clone(),
                    at: 0,
                    step,
                },
            )
        };
        let want = collect(LineReader::new(open(), max));
        let mut r = LineReader::new(open(), max);
        let mut got = Vec::new();
        let target = 1 + (next() % 64) as usize;
        loop {
            let (mut block, mut spans) = (Vec::new(), Vec::new());
            let more = r.read_block(&mut block, &mut spans, target).unwrap();
            for s in &spans {
                let text = String::from_utf8_lossy(&block[s.start..s.end]).into_owned();
                got.push((s.number, text, s.truncated));
            }
            if !more {
                break;
            }
        }
        assert_eq!(
            got,
            want,
            "max {max}, step {step}, {:?}",
            String::from_utf8_lossy(&data)
        );
    }
}
