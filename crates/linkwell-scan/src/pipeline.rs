//! The scan loop.

use std::time::Instant;

use linkwell_core::scan::{InputSummary, RejectedLine, SCAN_SCHEMA_VERSION, ScanSummary};
use linkwell_core::{CallRecord, EndpointKey, Finding, SourceFormat, SourceRef, Verdict};
use linkwell_engine::Engine;
use linkwell_engine::incidents::sort_findings;
use linkwell_ingest::reader::{Input, LineReader, read_to_string_capped};
use linkwell_ingest::{ParseError, har};
use linkwell_inventory::openapi::{self, Spec};
use linkwell_inventory::{Inventory, PathTemplate};

use crate::ScanOutput;
use crate::clients::Clients;
use crate::config::ScanConfig;
use crate::endpoint_findings::{attach_risk, inventory_findings};
use crate::parallel::{FormatChoice, FromWorker, Pipeline};
use crate::timeline::Timeline;

/// The largest HAR document read into memory.
const MAX_HAR_BYTES: usize = 512 << 20;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("error reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot recognise the log format of {path} ({reason}); name it with --format")]
    UnknownFormat { path: String, reason: String },
    #[error("{path} is not a HAR document: {source}")]
    Har { path: String, source: ParseError },
    #[error(
        "{path} looks like HAR but has a line longer than {limit} bytes; scan it with --format har, which reads the document whole"
    )]
    HarLineTooLong { path: String, limit: usize },
    #[error("cannot record calls: {0}")]
    Sink(String),
    #[error("cannot use {path}: {source}")]
    Enrich {
        path: String,
        source: linkwell_engine::enrich::EnrichError,
    },
}

/// Where a long scan reports how far it got (the CLI draws a bar).
pub trait Progress {
    fn input_started(&self, _name: &str, _total_bytes: Option<u64>) {}
    fn format_chosen(&self, _name: &str, _format: SourceFormat, _detected: bool, _reason: &str) {}
    fn advanced(&self, _bytes_read: u64, _lines: u64) {}
    fn input_finished(&self, _name: &str) {}
    /// Something the user should know that does not stop the scan (bad
    /// lines in a threat-intelligence list).
    fn warning(&self, _message: &str) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Receives every call with its endpoint and verdict (the store's call
/// writer, later the audit trail).
pub trait CallSink {
    fn call(
        &mut self,
        call: &CallRecord<'_>,
        endpoint: &EndpointKey,
        verdict: &Verdict,
    ) -> Result<(), String>;
}

pub struct ScanOptions<'a> {
    /// None: detect per input from its first lines.
    pub format: Option<SourceFormat>,
    pub specs: &'a [Spec],
    pub progress: &'a dyn Progress,
    pub sink: Option<&'a mut dyn CallSink>,
}

struct Run<'c, 's> {
    cfg: &'c ScanConfig,
    inventory: Inventory,
    engine: Engine,
    timeline: Timeline,
    clients: Clients,
    sink: Option<&'s mut dyn CallSink>,
    summary: ScanSummary,
    rejected: Vec<RejectedLine>,
    /// Template buffer for calls not templated by a parse worker (HAR).
    path: PathTemplate,
}

impl Run<'_, '_> {
    fn accept(&mut self, rec: &CallRecord<'_>, input: &mut InputSummary) -> Result<(), ScanError> {
        let mut path = std::mem::take(&mut self.path);
        path.set(&rec.path);
        let r = self.accept_templated(rec, &path, input);
        self.path = path;
        r
    }

    /// [`Run::accept`] with the path's template computed by the caller.
    fn accept_templated(
        &mut self,
        rec: &CallRecord<'_>,
        path: &PathTemplate,
        input: &mut InputSummary,
    ) -> Result<(), ScanError> {
        input.parsed += 1;
        self.summary.parsed += 1;
        self.summary.calls += 1;
        let t = rec.time;
        self.summary.first_seen = Some(self.summary.first_seen.map_or(t, |f| f.min(t)));
        self.summary.last_seen = Some(self.summary.last_seen.map_or(t, |l| l.max(t)));
        let key = self.inventory.observe_templated(rec, path);
        let verdict = self.engine.process(rec, key);
        if let Some(sink) = self.sink.as_deref_mut() {
            sink.call(rec, key, &verdict).map_err(ScanError::Sink)?;
        }
        self.timeline
            .record(t, rec.status, verdict.findings.len() as u64);
        self.clients.record(rec);
        Ok(())
    }

    fn reject(&mut self, input: &mut InputSummary, line: u64, reason: String) {
        input.rejected += 1;
        self.summary.rejected += 1;
        if self.rejected.len() < self.cfg.max_rejected_shown {
            self.rejected.push(RejectedLine {
                input: input.path.clone(),
                line,
                reason,
            });
        }
    }
}

/// Scans every input in order and returns the combined result.
pub fn scan(
    inputs: &[String],
    opts: ScanOptions<'_>,
    cfg: &ScanConfig,
) -> Result<ScanOutput, ScanError> {
    let started = Instant::now();
    let mut engine = Engine::new(cfg.engine.clone());
    if let Some(enricher) = crate::enrich::load_enricher(&cfg.engine.enrich, opts.progress)? {
        engine.set_enricher(enricher);
    }
    let mut run = Run {
        cfg,
        inventory: Inventory::new(cfg.inventory.clone()),
        engine,
        timeline: Timeline::new(),
        clients: Clients::new(),
        sink: opts.sink,
        summary: ScanSummary::default(),
        rejected: Vec::new(),
        path: PathTemplate::default(),
    };
    let mut summaries = Vec::new();
    for (idx, path) in inputs.iter().enumerate() {
        let summary = scan_input(&mut run, idx as u32, path, opts.format, opts.progress)?;
        opts.progress.input_finished(path);
        summaries.push(summary);
    }
    run.summary.lines = run.summary.parsed + run.summary.rejected;

    let Run {
        inventory: mut inv,
        engine,
        timeline,
        clients,
        mut summary,
        rejected,
        ..
    } = run;
    let mut findings: Vec<Finding> = engine
        .finish()
        .into_iter()
        .map(|mut f| {
            f.endpoint = f.endpoint.map(|k| inv.canonical(&k));
            f
        })
        .collect();
    let mut endpoints = inv.finish();
    openapi::classify(&mut endpoints, opts.specs);
    findings.extend(inventory_findings(&endpoints));
    sort_findings(&mut findings);
    attach_risk(&mut endpoints, &findings);

    summary.endpoints = endpoints.iter().filter(|e| e.calls > 0).count() as u64;
    summary.findings = findings.len() as u64;
    summary.classification = count_by(endpoints.iter().map(|e| e.classification.name()));
    summary.severity = count_by(findings.iter().map(|f| f.severity.name()));
    let top_clients = clients.finish(&findings, cfg.top_clients);
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(ScanOutput {
        schema_version: SCAN_SCHEMA_VERSION,
        summary,
        inputs: summaries,
        endpoints,
        findings,
        rejected,
        timeline: timeline.finish(),
        top_clients,
    })
}

fn count_by<'a>(it: impl Iterator<Item = &'a str>) -> Vec<(String, u64)> {
    let mut m = std::collections::BTreeMap::<&str, u64>::new();
    for k in it {
        *m.entry(k).or_default() += 1;
    }
    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn scan_input(
    run: &mut Run<'_, '_>,
    idx: u32,
    path: &str,
    forced: Option<SourceFormat>,
    progress: &dyn Progress,
) -> Result<InputSummary, ScanError> {
    let input = Input::open(path).map_err(|source| ScanError::Open {
        path: path.to_string(),
        source,
    })?;
    let total = if path == "-" {
        None
    } else {
        std::fs::metadata(path).ok().map(|m| m.len())
    };
    progress.input_started(path, total);
    let mut summary = InputSummary {
        path: path.to_string(),
        format: forced.map_or("", SourceFormat::name).to_string(),
        ..Default::default()
    };
    let ingest = &run.cfg.ingest;
    if forced == Some(SourceFormat::Har) {
        let text =
            read_to_string_capped(input, MAX_HAR_BYTES).map_err(|source| ScanError::Read {
                path: path.to_string(),
                source,
            })?;
        progress.format_chosen(path, SourceFormat::Har, false, "forced with --format");
        parse_har_text(run, idx, &text, &mut summary)?;
        summary.lines = summary.parsed + summary.rejected;
        return Ok(summary);
    }
    let mut pipeline = Pipeline::start(
        LineReader::new(input, ingest.max_line_bytes),
        idx,
        forced,
        ingest,
        path,
    );
    match pipeline.format.recv() {
        Ok(FormatChoice::Chosen {
            format,
            detected,
            reason,
        }) => {
            summary.format = format.name().to_string();
            summary.detected = detected;
            progress.format_chosen(path, format, detected, &reason);
        }
        Ok(FormatChoice::Unknown(reason)) => {
            pipeline.finish();
            return Err(ScanError::UnknownFormat {
                path: path.to_string(),
                reason,
            });
        }
        // The reader stopped before choosing (a read error): the workers say why.
        Err(_) => {}
    }
    let result = consume(run, &mut pipeline, &mut summary, progress);
    pipeline.finish();
    let har_text = result?;
    if let Some(text) = har_text {
        parse_har_text(run, idx, &text, &mut summary)?;
    }
    summary.lines = summary.parsed + summary.rejected;
    if summary.format.is_empty() {
        summary.format = "empty".to_string();
    }
    Ok(summary)
}

/// HAR entries are numbered like lines: `line` is the 1-based entry index.
fn parse_har_text(
    run: &mut Run<'_, '_>,
    idx: u32,
    text: &str,
    summary: &mut InputSummary,
) -> Result<(), ScanError> {
    let entries = har::parse_har(text).map_err(|source| ScanError::Har {
        path: summary.path.clone(),
        source,
    })?;
    for (i, entry) in entries.into_iter().enumerate() {
        let line = i as u64 + 1;
        match entry {
            Ok(mut rec) => {
                rec.source = SourceRef { input: idx, line };
                run.accept(&rec, summary)?;
            }
            Err(e) => run.reject(summary, line, e.to_string()),
        }
    }
    Ok(())
}

/// Takes the parsed chunks in input order; returns the HAR text, if any.
fn consume(
    run: &mut Run<'_, '_>,
    pipeline: &mut Pipeline,
    summary: &mut InputSummary,
    progress: &dyn Progress,
) -> Result<Option<String>, ScanError> {
    let mut har_text: Option<String> = None;
    while let Some(msg) = pipeline.next() {
        let parsed = match msg {
            FromWorker::Parsed(p) => p,
            FromWorker::Error(source) => {
                return Err(ScanError::Read {
                    path: summary.path.clone(),
                    source,
                });
            }
        };
        if let Some(raw) = parsed.raw {
            if !parsed.rejects.is_empty() {
                return Err(ScanError::HarLineTooLong {
                    path: summary.path.clone(),
                    limit: run.cfg.ingest.max_line_bytes,
                });
            }
            let text = har_text.get_or_insert_with(String::new);
            if text.len() + raw.len() > MAX_HAR_BYTES {
                return Err(ScanError::Har {
                    path: summary.path.clone(),
                    source: ParseError::TooLong { len: MAX_HAR_BYTES },
                });
            }
            text.push_str(&raw);
        }
        for (rec, path) in parsed.records[..parsed.len].iter().zip(&parsed.paths) {
            run.accept_templated(rec, path, summary)?;
        }
        for (line, reason) in parsed.rejects {
            run.reject(summary, line, reason);
        }
        progress.advanced(parsed.bytes_read, summary.parsed + summary.rejected);
        pipeline.give_back(parsed.records, parsed.paths);
    }
    Ok(har_text)
}
