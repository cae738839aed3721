//! The terminal summary printed after a scan.

use linkwell_core::scan::ScanOutput;

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub(crate) fn print_summary(out: &ScanOutput, top: usize) {
    let s = &out.summary;
    let rate = (s.lines * 1000)
        .checked_div(s.elapsed_ms)
        .unwrap_or(s.lines);
    println!();
    println!(
        "Scanned {} lines in {:.1}s ({} lines/s): {} calls, {} rejected",
        thousands(s.lines),
        s.elapsed_ms as f64 / 1000.0,
        thousands(rate),
        thousands(s.calls),
        thousands(s.rejected)
    );
    if let (Some(a), Some(b)) = (s.first_seen, s.last_seen) {
        println!("Traffic from {a} to {b}");
    }
    for i in &out.inputs {
        println!(
            "  {}  {} ({}), {} parsed, {} rejected",
            i.path,
            i.format,
            if i.detected { "detected" } else { "forced" },
            thousands(i.parsed),
            thousands(i.rejected)
        );
    }
    for r in out.rejected.iter().take(5) {
        println!("  rejected {}:{}: {}", r.input, r.line, r.reason);
    }
    if s.rejected > 5 {
        println!(
            "  … {} rejected lines in all (see --json for the first {})",
            s.rejected,
            out.rejected.len()
        );
    }
    let classes: Vec<String> = s
        .classification
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!();
    println!("Endpoints: {} ({})", s.endpoints, classes.join(", "));
    let mut risky: Vec<_> = out.endpoints.iter().filter(|e| e.risk_score > 0).collect();
    risky.sort_by(|a, b| b.risk_score.cmp(&a.risk_score).then(b.calls.cmp(&a.calls)));
    for e in risky.iter().take(5) {
        println!(
            "  risk {:>3}  {:<7} {:<48} {:>9} calls  {}",
            e.risk_score,
            e.method,
            cut(&format!("{}{}", e.host, e.template), 48),
            thousands(e.calls),
            e.classification.name()
        );
    }
    let sev: Vec<String> = s.severity.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!();
    println!("Findings: {} ({})", s.findings, sev.join(", "));
    for f in out.findings.iter().take(top) {
        let who = f.client.ip.as_deref().unwrap_or("-");
        let ep = f
            .endpoint
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default();
        println!(
            "  {:<8} {:<24} {:<10} {:<18} {}",
            f.severity.name(),
            f.kind.name(),
            f.owasp.id(),
            cut(who, 18),
            cut(&ep, 60)
        );
        println!("           {}", f.explanation);
    }
    if out.findings.len() > top {
        println!(
            "  … {} more (see --report or --json)",
            out.findings.len() - top
        );
    }
}

/// The per-class recall table of a scan scored against simulator labels.
pub(crate) fn print_evaluation(e: &linkwell_simulate::Evaluation) {
    println!("Detection against the labels (attacking clients caught per class):");
    println!(
        "  {:<26} {:>7} {:>8} {:>7} {:>8}",
        "class", "attacks", "clients", "caught", "recall"
    );
    for c in &e.classes {
        println!(
            "  {:<26} {:>7} {:>8} {:>7} {:>7.1}%",
            c.kind,
            c.attacks,
            c.clients,
            c.caught,
            c.recall * 100.0
        );
    }
    println!(
        "Benign clients flagged: {} of {} ({:.3}%){}",
        thousands(e.benign_flagged),
        thousands(e.benign_clients),
        e.benign_flagged_share * 100.0,
        if e.benign_flagged_sample.is_empty() {
            String::new()
        } else {
            format!(": {}", e.benign_flagged_sample.join(", "))
        }
    );
}
