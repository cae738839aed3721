//! `linkwell scan`.

use std::process::ExitCode;

use anyhow::Context;
use linkwell_audit::{AuditConfig, AuditEvent, AuditLog, CallAudit};
use linkwell_core::{CallRecord, EndpointKey, Severity, Verdict};
use linkwell_scan::{CallSink, ScanOptions, ScanOutput};
use linkwell_store::{CallRow, CallWriter, Store};

use super::{create_output, expand_inputs, load_specs, parse_format};
use crate::cli::{ScanArgs, SeverityArg};
use crate::progress::Bar;
use crate::terminal;

/// Feeds every call to the store's background writer.
struct StoreSink {
    writer: CallWriter,
    kinds: Vec<&'static str>,
}

impl CallSink for StoreSink {
    fn call(
        &mut self,
        call: &CallRecord<'_>,
        endpoint: &EndpointKey,
        verdict: &Verdict,
    ) -> Result<(), String> {
        self.kinds.clear();
        self.kinds
            .extend(verdict.findings.iter().map(|f| f.kind.name()));
        let action = verdict.action.name();
        let row = CallRow::from_call(call, &endpoint.template, &self.kinds, action);
        self.writer.send(row).map_err(|e| e.to_string())
    }
}

/// Hands each call to the store and, when scoring against labels, to the
/// verdict collector.
struct Tee<'s> {
    store: Option<&'s mut StoreSink>,
    audit: Option<&'s AuditLog>,
    verdicts: Option<linkwell_simulate::Verdicts>,
}

impl CallSink for Tee<'_> {
    fn call(
        &mut self,
        call: &CallRecord<'_>,
        endpoint: &EndpointKey,
        verdict: &Verdict,
    ) -> Result<(), String> {
        if let Some(v) = self.verdicts.as_mut() {
            v.record(call, verdict);
        }
        if let Some(log) = self.audit {
            log.append(&AuditEvent::Call(Box::new(CallAudit::new(
                call,
                Some(endpoint),
                verdict,
            ))))
            .map_err(|e| format!("audit trail: {e}"))?;
        }
        match self.store.as_deref_mut() {
            Some(s) => s.call(call, endpoint, verdict),
            None => Ok(()),
        }
    }
}

pub(crate) fn run(a: &ScanArgs) -> anyhow::Result<ExitCode> {
    let cfg = crate::config::load(a.config.as_deref())?;
    let inputs = expand_inputs(&a.inputs)?;
    let format = parse_format(&a.format)?;
    let specs = load_specs(&a.openapi)?;
    let bar = Bar::new(a.quiet);

    let mut store = match &a.store {
        Some(dir) => Some(
            Store::create(dir).with_context(|| format!("cannot create store {}", dir.display()))?,
        ),
        None => None,
    };
    let scan_id = match store.as_mut() {
        Some(s) => Some(s.begin_scan()?),
        None => None,
    };
    let mut sink = match (&store, scan_id) {
        (Some(s), Some(id)) => Some(StoreSink {
            writer: s.call_writer(id)?,
            kinds: Vec::new(),
        }),
        _ => None,
    };
    let truth = match &a.labels {
        Some(p) => {
            let text = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            let truth: linkwell_simulate::GroundTruth = serde_json::from_slice(&text)
                .with_context(|| {
                    format!("{} is not a `linkwell simulate --labels` file", p.display())
                })?;
            Some(truth)
        }
        None => None,
    };
    let audit = match &a.audit {
        Some(dir) => Some(
            AuditLog::open(dir, AuditConfig::default())
                .with_context(|| format!("cannot open the audit trail in {}", dir.display()))?,
        ),
        None => None,
    };
    let mut tee = Tee {
        store: sink.as_mut(),
        audit: audit.as_ref(),
        verdicts: truth
            .as_ref()
            .map(|_| linkwell_simulate::Verdicts::default()),
    };
    let teeing = tee.store.is_some() || tee.audit.is_some() || tee.verdicts.is_some();
    let result = linkwell_scan::scan(
        &inputs,
        ScanOptions {
            format,
            specs: &specs,
            progress: &bar,
            sink: teeing.then_some(&mut tee as &mut dyn CallSink),
        },
        &cfg,
    );
    let verdicts = tee.verdicts.take();
    if let Some(log) = audit {
        log.close().context("cannot close the audit trail")?;
    }
    bar.clear();
    let out = result?;
    if let (Some(s), Some(id), Some(sink)) = (store.as_mut(), scan_id, sink) {
        sink.writer
            .finish()
            .context("cannot finish writing calls to the store")?;
        s.complete_scan(id, &out)
            .context("cannot save the scan to the store")?;
    }
    write_outputs(a, &out)?;
    if !a.quiet {
        terminal::print_summary(&out, a.top);
        if let Some(p) = &a.report {
            eprintln!("report: {}", p.display());
        }
        if let Some(p) = a.json.as_ref().filter(|p| p.as_os_str() != "-") {
            eprintln!("json:   {}", p.display());
        }
        if let Some(p) = &a.store {
            eprintln!("store:  {}", p.display());
        }
    }
    if let (Some(truth), Some(verdicts)) = (&truth, &verdicts) {
        let eval = linkwell_simulate::evaluate(&truth.labels, truth.benign_clients, verdicts);
        terminal::print_evaluation(&eval);
    }
    Ok(exit_code(&out, a.fail_on))
}

pub(crate) fn write_outputs(a: &ScanArgs, out: &ScanOutput) -> anyhow::Result<()> {
    if let Some(p) = &a.json {
        let mut w = create_output(p)?;
        serde_json::to_writer_pretty(&mut w, out).context("cannot write JSON")?;
        writeln!(w)?;
        w.flush()?;
    }
    if let Some(p) = &a.report {
        let html = linkwell_report::render_html(out, &linkwell_report::ReportOptions::default());
        let mut w = create_output(p)?;
        w.write_all(html.as_bytes())?;
        w.flush()?;
    }
    Ok(())
}

use std::io::Write;

fn exit_code(out: &ScanOutput, fail_on: Option<SeverityArg>) -> ExitCode {
    let Some(level) = fail_on else {
        return ExitCode::SUCCESS;
    };
    let min = match level {
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    };
    if out.findings.iter().any(|f| f.severity >= min) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
