//! Reading and parsing off the main thread.
//!
//! ```text
//! reader thread ── chunk 0, 2, 4 … ──▶ parse worker 0 ──▶ ┐
//!   (file/gzip/stdin,                                     ├─▶ main thread, in chunk order:
//!    format detection)  chunk 1, 3 … ──▶ parse worker 1 ──▶ ┘    inventory, engine, sinks
//! ```
//!
//! Parsing is the most expensive step per line and needs no shared state, so
//! it runs on as many workers as there are cores; everything that must see
//! calls in order (inventory learning, detector windows) stays on the main
//! thread, which takes chunks back in their original order. Records travel
//! as owned `CallRecord<'static>` buffers that the main thread hands back to
//! the worker for reuse, so after warm-up a call costs no allocation to move.
//! With only two cores the ordered stage bounds the whole scan, so every
//! step that is a pure function of one line runs on the workers: parsing,
//! and the inventory's path templating ([`PathTemplate`]).
//! Every channel is bounded: a slow consumer stalls the producers, memory
//! does not grow.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use linkwell_core::{CallRecord, SourceFormat, SourceRef};
use linkwell_ingest::reader::{LineReader, LineSpan};
use linkwell_ingest::{IngestConfig, detect, parse_line};
use linkwell_inventory::PathTemplate;

/// Bytes of line data per chunk before it is handed over.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight per channel.
const IN_FLIGHT: usize = 2;
/// Lines looked at to recognise a format.
const DETECT_LINES: usize = 20;

#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    lines: Vec<LineSpan>,
    bytes_read: u64,
}

impl Chunk {
    fn line(&self, s: &LineSpan) -> &[u8] {
        &self.data[s.start..s.end]
    }
}

/// Record and template buffers on their way back to a worker.
type Buffers = (Vec<CallRecord<'static>>, Vec<PathTemplate>);

enum ToWorker {
    Chunk(Chunk),
    Error(std::io::Error),
}

/// One chunk's worth of parsed calls, in line order.
pub(crate) struct Parsed {
    /// `records[..len]` are this chunk's calls; the rest are spare buffers.
    pub(crate) records: Vec<CallRecord<'static>>,
    /// `paths[i]` is the template of `records[i].path`.
    pub(crate) paths: Vec<PathTemplate>,
    pub(crate) len: usize,
    /// Lines that did not parse: (line number, reason).
    pub(crate) rejects: Vec<(u64, String)>,
    /// HAR only: the chunk's raw text, parsed whole at the end.
    pub(crate) raw: Option<String>,
    pub(crate) bytes_read: u64,
}

pub(crate) enum FromWorker {
    Parsed(Parsed),
    Error(std::io::Error),
}

/// What the reader decided about the input's format.
pub(crate) enum FormatChoice {
    Chosen {
        format: SourceFormat,
        detected: bool,
        reason: String,
    },
    Unknown(String),
}

pub(crate) struct Pipeline {
    pub(crate) format: Receiver<FormatChoice>,
    outputs: Vec<Receiver<FromWorker>>,
    recycle: Vec<SyncSender<Buffers>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
}

impl Pipeline {
    pub(crate) fn start(
        reader: LineReader,
        input: u32,
        forced: Option<SourceFormat>,
        cfg: &IngestConfig,
        path: &str,
    ) -> Pipeline {
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        let (format_tx, format_rx) = sync_channel(1);
        let mut to_workers = Vec::new();
        let mut outputs = Vec::new();
        let mut recycle = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = sync_channel::<(SourceFormat, ToWorker)>(IN_FLIGHT);
            let (out_tx, out_rx) = sync_channel(IN_FLIGHT);
            let (rec_tx, rec_rx) = sync_channel(IN_FLIGHT + 2);
            let cfg = cfg.clone();
            threads.push(std::thread::spawn(move || {
                work(&rx, &out_tx, &rec_rx, input, &cfg)
            }));
            to_workers.push(tx);
            outputs.push(out_rx);
            recycle.push(rec_tx);
        }
        let cfg = cfg.clone();
        let path = path.to_string();
        threads.push(std::thread::spawn(move || {
            read(reader, forced, &cfg, &path, &format_tx, &to_workers)
        }));
        Pipeline {
            format: format_rx,
            outputs,
            recycle,
            threads,
            next: 0,
        }
    }

    /// The next chunk in input order, or None at the end.
    pub(crate) fn next(&mut self) -> Option<FromWorker> {
        let i = self.next % self.outputs.len();
        self.next += 1;
        self.outputs[i].recv().ok()
    }

    /// Returns a chunk's record buffers to the worker that filled them.
    pub(crate) fn give_back(
        &mut self,
        records: Vec<CallRecord<'static>>,
        paths: Vec<PathTemplate>,
    ) {
        let i = (self.next + self.outputs.len() - 1) % self.outputs.len();
        let _ = self.recycle[i].try_send((records, paths));
    }

    /// Stops every thread (dropping channels unblocks them) and waits.
    pub(crate) fn finish(self) {
        drop(self.outputs);
        drop(self.recycle);
        drop(self.format);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn read(
    mut reader: LineReader,
    forced: Option<SourceFormat>,
    cfg: &IngestConfig,
    path: &str,
    format_tx: &SyncSender<FormatChoice>,
    workers: &[SyncSender<(SourceFormat, ToWorker)>],
) {
    let mut format = forced;
    let mut seq = 0usize;
    let fresh = || Chunk {
        // A block read may pass the target by up to one read buffer.
        data: Vec::with_capacity(CHUNK_BYTES + (64 << 10)),
        lines: Vec::with_capacity(CHUNK_BYTES / 256),
        bytes_read: 0,
    };
    let mut chunk = fresh();
    let send = |format: SourceFormat, msg: ToWorker, seq: &mut usize| {
        let ok = workers[*seq % workers.len()].send((format, msg)).is_ok();
        *seq += 1;
        ok
    };
    loop {
        let done = match reader.read_block(&mut chunk.data, &mut chunk.lines, CHUNK_BYTES) {
            Ok(more) => !more,
            Err(e) => {
                if let Some(f) = format {
                    send(f, ToWorker::Error(e), &mut seq);
                } else {
                    let _ = format_tx.send(FormatChoice::Unknown(format!("read error: {e}")));
                }
                return;
            }
        };
        if chunk.data.len() >= CHUNK_BYTES || done {
            chunk.bytes_read = reader.bytes_read();
            let f = match format {
                Some(f) => f,
                None => {
                    let choice = choose_format(path, &chunk, cfg);
                    let f = match &choice {
                        FormatChoice::Chosen { format, .. } => Some(*format),
                        FormatChoice::Unknown(_) => None,
                    };
                    let _ = format_tx.send(choice);
                    let Some(f) = f else { return };
                    format = Some(f);
                    f
                }
            };
            if format == forced && seq == 0 {
                let _ = format_tx.send(FormatChoice::Chosen {
                    format: f,
                    detected: false,
                    reason: "forced with --format".into(),
                });
            }
            if !send(
                f,
                ToWorker::Chunk(std::mem::replace(&mut chunk, fresh())),
                &mut seq,
            ) || done
            {
                return;
            }
        }
    }
}

fn work(
    rx: &Receiver<(SourceFormat, ToWorker)>,
    tx: &SyncSender<FromWorker>,
    recycled: &Receiver<Buffers>,
    input: u32,
    cfg: &IngestConfig,
) {
    for (format, msg) in rx.iter() {
        let chunk = match msg {
            ToWorker::Chunk(c) => c,
            ToWorker::Error(e) => {
                let _ = tx.send(FromWorker::Error(e));
                return;
            }
        };
        let (records, paths) = recycled.try_recv().unwrap_or_default();
        let mut out = Parsed {
            records,
            paths,
            len: 0,
            rejects: Vec::new(),
            raw: None,
            bytes_read: chunk.bytes_read,
        };
        if format == SourceFormat::Har {
            let mut text = String::with_capacity(chunk.data.len() + chunk.lines.len());
            for span in &chunk.lines {
                if span.truncated {
                    out.rejects
                        .push((span.number, "HAR line cut at the line-length limit".into()));
                }
                text.push_str(&String::from_utf8_lossy(chunk.line(span)));
                text.push('\n');
            }
            out.raw = Some(text);
        } else {
            for span in &chunk.lines {
                parse_one(&chunk, span, format, input, cfg, &mut out);
            }
        }
        if tx.send(FromWorker::Parsed(out)).is_err() {
            return;
        }
    }
}

fn parse_one(
    chunk: &Chunk,
    span: &LineSpan,
    format: SourceFormat,
    input: u32,
    cfg: &IngestConfig,
    out: &mut Parsed,
) {
    if span.truncated {
        out.rejects.push((
            span.number,
            format!("line longer than {} bytes", cfg.max_line_bytes),
        ));
        return;
    }
    let bytes = chunk.line(span);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let lossy;
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => {
            lossy = String::from_utf8_lossy(bytes).into_owned();
            &lossy
        }
    };
    match parse_line(format, text, cfg) {
        Ok(mut rec) => {
            rec.source = SourceRef {
                input,
                line: span.number,
            };
            match out.paths.get_mut(out.len) {
                Some(p) => p.set(&rec.path),
                None => {
                    let mut p = PathTemplate::default();
                    p.set(&rec.path);
                    out.paths.push(p);
                }
            }
            match out.records.get_mut(out.len) {
                Some(slot) => slot.assign_from(&rec),
                None => out.records.push(rec.into_owned()),
            }
            out.len += 1;
        }
        Err(e) => out.rejects.push((span.number, e.to_string())),
    }
}

fn choose_format(path: &str, chunk: &Chunk, cfg: &IngestConfig) -> FormatChoice {
    let sample: Vec<std::borrow::Cow<'_, str>> = chunk
        .lines
        .iter()
        .map(|s| String::from_utf8_lossy(chunk.line(s)))
        .filter(|l| !l.trim().is_empty())
        .take(DETECT_LINES)
        .collect();
    if sample.is_empty() {
        // Nothing to read: any format will do, nothing will be parsed.
        return FormatChoice::Chosen {
            format: SourceFormat::NginxCombined,
            detected: true,
            reason: "input is empty".into(),
        };
    }
    let refs: Vec<&str> = sample.iter().map(|c| c.as_ref()).collect();
    // A HAR document is one JSON object spread over many lines.
    let first = refs[0].trim_start();
    if first.starts_with("{\"log\"")
        || first == "{"
        || path.ends_with(".har")
        || path.ends_with(".har.gz")
    {
        let joined = refs.join("\n");
        if let Some(d) = detect(&[joined.as_str()], cfg).filter(|d| d.format == SourceFormat::Har) {
            return FormatChoice::Chosen {
                format: SourceFormat::Har,
                detected: true,
                reason: d.reason,
            };
        }
    }
    match detect(&refs, cfg) {
        Some(d) => FormatChoice::Chosen {
            format: d.format,
            detected: true,
            reason: d.reason,
        },
        None => FormatChoice::Unknown(format!(
            "none of the known formats parsed its first {} lines",
            refs.len()
        )),
    }
}
