//! Reading inputs: plain files, gzip files and stdin, line by line with a
//! hard per-line memory cap.
//!
//! Rotated logs are usually gzipped and not always named `.gz`, so gzip is
//! recognised by its magic bytes. Concatenated gzip members (logrotate,
//! Logpush batches) are read as one stream. A log line is attacker-shaped
//! data: one without a newline must not make us buffer gigabytes, so a line
//! over the cap is reported as truncated and the rest of it is skipped as it
//! streams past.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUF_BYTES: usize = 64 * 1024;

/// An opened input: a name for messages and a buffered, decompressed stream.
pub struct Input {
    name: String,
    reader: Box<dyn BufRead + Send>,
    raw_bytes: Arc<AtomicU64>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Input {
    /// Opens a path, or stdin for `-`.
    pub fn open(path: &str) -> io::Result<Input> {
        if path == "-" {
            return Ok(Input::from_reader("-", io::stdin()));
        }
        let file = File::open(path)?;
        Ok(Input::from_reader(path, file))
    }

    /// Wraps any reader. Whether it is gzip is decided from its first two
    /// bytes on the first read, so errors surface from the reads, not here.
    pub fn from_reader(name: &str, r: impl Read + Send + 'static) -> Input {
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let counted = Counting {
            inner: Box::new(r),
            count: Arc::clone(&raw_bytes),
        };
        Input {
            name: name.to_string(),
            reader: Box::new(BufReader::with_capacity(
                BUF_BYTES,
                Sniff::Pending(Some(counted)),
            )),
            raw_bytes,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Counts bytes taken from the underlying file (compressed bytes for gzip),
/// which is what a progress bar over the file size needs.
struct Counting {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

type Prefixed = io::Chain<io::Cursor<Vec<u8>>, Counting>;

/// Decides plain or gzip on the first read.
enum Sniff {
    Pending(Option<Counting>),
    Plain(Prefixed),
    Gzip(Box<MultiGzDecoder<BufReader<Prefixed>>>),
}

impl Read for Sniff {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self {
                Sniff::Plain(r) => return r.read(buf),
                Sniff::Gzip(r) => return r.read(buf),
                Sniff::Pending(slot) => {
                    let Some(mut raw) = slot.take() else {
                        return Err(io::Error::other("input failed earlier"));
                    };
                    let mut magic = [0u8; 2];
                    let mut n = 0;
                    while n < magic.len() {
                        match raw.read(&mut magic[n..]) {
                            Ok(0) => break,
                            Ok(k) => n += k,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                    let prefixed = io::Cursor::new(magic[..n].to_vec()).chain(raw);
                    *self = if magic[..n] == GZIP_MAGIC {
                        Sniff::Gzip(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
                            BUF_BYTES, prefixed,
                        ))))
                    } else {
                        Sniff::Plain(prefixed)
                    };
                }
            }
        }
    }
}

/// One line from a [`LineReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The line without its `\n` / `\r\n`; for a truncated line, its first
    /// `max_line_bytes` bytes.
    pub bytes: &'a [u8],
    /// The line was longer than `max_line_bytes`; the rest was skipped.
    pub truncated: bool,
}

/// Where a line sits in a block filled by [`LineReader::read_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    /// 1-based line number.
    pub number: u64,
    /// `data[start..end]` is the line as [`Line::bytes`] would give it.
    pub start: usize,
    pub end: usize,
    /// As [`Line::truncated`].
    pub truncated: bool,
}

/// Iterates lines with one reusable buffer (see the module docs).
pub struct LineReader {
    input: Input,
    buf: Vec<u8>,
    max: usize,
    number: u64,
    done: bool,
}

impl std::fmt::Debug for LineReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineReader")
            .field("input", &self.input.name)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl LineReader {
    pub fn new(input: Input, max_line_bytes: usize) -> Self {
        LineReader {
            input,
            buf: Vec::new(),
            max: max_line_bytes,
            number: 0,
            done: false,
        }
    }

    /// The next line; `None` at the end. After an I/O error the reader is
    /// finished (the error is returned once).
    pub fn next_line(&mut self) -> Option<io::Result<Line<'_>>> {
        if self.done {
            return None;
        }
        self.buf.clear();
        // One byte of slack so a `\r` right at the limit can be stripped
        // before judging the length.
        let cap = self.max.saturating_add(1);
        let mut overflow = false;
        let mut any = false;
        loop {
            let avail = match self.input.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if avail.is_empty() {
                self.done = true;
                if !any {
                    return None;
                }
                break;
            }
            any = true;
            let (len, newline) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if !overflow {
                let room = cap - self.buf.len();
                if len <= room {
                    self.buf.extend_from_slice(&avail[..len]);
                } else {
                    self.buf.extend_from_slice(&avail[..room]);
                    overflow = true;
                }
            }
            self.input
                .reader
                .consume(if newline { len + 1 } else { len });
            if newline {
                break;
            }
        }
        self.number += 1;
        if !overflow && self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        let truncated = overflow || self.buf.len() > self.max;
        if truncated {
            self.buf.truncate(self.max);
        }
        Some(Ok(Line {
            number: self.number,
            bytes: &self.buf,
            truncated,
        }))
    }

    /// Appends whole lines to `data`, and where each one sits to `lines`,
    /// until `data` holds at least `target` bytes or the input ends; returns
    /// false once the input has ended.
    ///
    /// The lines, numbers and truncation are exactly those of
    /// [`LineReader::next_line`], but the lines that lie whole in the read
    /// buffer are found with one search and copied with one `memcpy`,
    /// instead of two copies and a call per line: a scan's reader thread
    /// shares two cores with everything else. A line that runs past the
    /// buffer's end takes the careful path of `next_line`. A truncated line
    /// may be kept whole in `data` (it was already in memory, at most one
    /// read buffer); its span covers only the first `max_line_bytes`.
    pub fn read_block(
        &mut self,
        data: &mut Vec<u8>,
        lines: &mut Vec<LineSpan>,
        target: usize,
    ) -> io::Result<bool> {
        while data.len() < target {
            if self.done {
                return Ok(false);
            }
            let avail = match self.input.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            let Some(last) = memchr::memrchr(b'\n', avail) else {
                match self.next_line() {
                    Some(Ok(l)) => {
                        let start = data.len();
                        data.extend_from_slice(l.bytes);
                        lines.push(LineSpan {
                            number: l.number,
                            start,
                            end: data.len(),
                            truncated: l.truncated,
                        });
                    }
                    Some(Err(e)) => return Err(e),
                    None => return Ok(false),
                }
                continue;
            };
            let base = data.len();
            data.extend_from_slice(&avail[..=last]);
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', &avail[..=last]) {
                let line = &avail[start..nl];
                // As in next_line: over `max + 1` bytes the `\r` stays.
                let len = if line.len() <= self.max.saturating_add(1) && line.last() == Some(&b'\r')
                {
                    line.len() - 1
                } else {
                    line.len()
                };
                let truncated = len > self.max;
                self.number += 1;
                lines.push(LineSpan {
                    number: self.number,
                    start: base + start,
                    end: base + start + len.min(self.max),
                    truncated,
                });
                start = nl + 1;
            }
            self.input.reader.consume(last + 1);
        }
        Ok(!self.done)
    }

    /// Bytes consumed from the underlying file so far (compressed bytes for
    /// gzip), for progress reporting against the file size.
    pub fn bytes_read(&self) -> u64 {
        self.input.raw_bytes.load(Ordering::Relaxed)
    }

    pub fn name(&self) -> &str {
        self.input.name()
    }
}

/// Reads a whole input (HAR documents) into memory, failing with
/// `InvalidData` rather than growing past `cap` bytes. Invalid UTF-8 is
/// replaced, not rejected: a HAR with one bad byte in a body is still useful.
pub fn read_to_string_capped(input: Input, cap: usize) -> io::Result<String> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    input.reader.take(limit).read_to_end(&mut bytes)?;
    if bytes.len() > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {cap} bytes", input.name),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}
