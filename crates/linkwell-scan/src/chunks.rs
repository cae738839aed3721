//! Reading on a thread of its own: the reader thread fills chunks of whole
//! lines and the pipeline consumes them, so decompression and disk reads
//! overlap with parsing. The channel is bounded: a slow consumer stalls the
//! reader instead of growing memory.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use linkwell_ingest::reader::LineReader;

/// Bytes of line data per chunk before it is handed over.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the threads.
const CHUNKS_IN_FLIGHT: usize = 4;

pub(crate) struct LineSpan {
    pub(crate) number: u64,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) truncated: bool,
}

#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) data: Vec<u8>,
    pub(crate) lines: Vec<LineSpan>,
    /// Underlying bytes consumed so far (for progress).
    pub(crate) bytes_read: u64,
}

impl Chunk {
    pub(crate) fn line(&self, s: &LineSpan) -> &[u8] {
        &self.data[s.start..s.end]
    }
}

pub(crate) enum Msg {
    Chunk(Chunk),
    Error(std::io::Error),
}

pub(crate) fn spawn(mut reader: LineReader) -> (Receiver<Msg>, JoinHandle<()>) {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    let handle = std::thread::spawn(move || run(&mut reader, &tx));
    (rx, handle)
}

fn run(reader: &mut LineReader, tx: &SyncSender<Msg>) {
    let mut chunk = Chunk::default();
    loop {
        match reader.next_line() {
            None => break,
            Some(Err(e)) => {
                let _ = tx.send(Msg::Error(e));
                return;
            }
            Some(Ok(line)) => {
                let start = chunk.data.len();
                chunk.data.extend_from_slice(line.bytes);
                chunk.lines.push(LineSpan {
                    number: line.number,
                    start,
                    end: chunk.data.len(),
                    truncated: line.truncated,
                });
                if chunk.data.len() >= CHUNK_BYTES {
                    chunk.bytes_read = reader.bytes_read();
                    if tx.send(Msg::Chunk(std::mem::take(&mut chunk))).is_err() {
                        return;
                    }
                }
            }
        }
    }
    chunk.bytes_read = reader.bytes_read();
    let _ = tx.send(Msg::Chunk(chunk));
}
