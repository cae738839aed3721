//! The report's sections, each appending HTML to one buffer.
//!
//! Rule of the module: a value from the scan reaches `out` only through
//! [`esc`] (or as a number formatted here).

use std::cmp::Reverse;
use std::fmt::Write as _;

use linkwell_core::endpoint::{Classification, EndpointKey, EndpointSummary, StatusMix};
use linkwell_core::finding::{Finding, Owasp, Severity};
use linkwell_core::scan::ScanOutput;
use linkwell_core::time::Timestamp;

use crate::charts::{self, Bar, HBar, Segment};
use crate::html::{clip, count, duration_ms, esc, millis, percent, span, time};
use crate::{MAX_ENDPOINT_ROWS, MAX_FINDING_ROWS, MAX_REJECTED_ROWS, ReportOptions};

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

const CLASSES: [Classification; 5] = [
    Classification::Documented,
    Classification::Shadow,
    Classification::Zombie,
    Classification::Unused,
    Classification::Unclassified,
];

const OWASP: [Owasp; 10] = [
    Owasp::Api1,
    Owasp::Api2,
    Owasp::Api3,
    Owasp::Api4,
    Owasp::Api5,
    Owasp::Api6,
    Owasp::Api7,
    Owasp::Api8,
    Owasp::Api9,
    Owasp::Api10,
];

pub(crate) fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#7f1d1d",
        Severity::High => "#dc2626",
        Severity::Medium => "#ea580c",
        Severity::Low => "#a16207",
        Severity::Info => "#64748b",
    }
}

fn class_color(c: Classification) -> &'static str {
    match c {
        Classification::Documented => "#16a34a",
        Classification::Shadow => "#7c3aed",
        Classification::Zombie => "#dc2626",
        Classification::Unused => "#94a3b8",
        Classification::Unclassified => "#475569",
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// `1 finding`, `2 findings`, `1,000 calls`.
fn plural(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", count(n), if n == 1 { "" } else { "s" })
}

/// The headline number of a finding: its largest evidence count.
fn headline(f: &Finding) -> u64 {
    f.evidence.counts.iter().map(|(_, v)| *v).max().unwrap_or(0)
}

fn endpoint_label(e: &EndpointSummary) -> String {
    EndpointKey::new(e.method.as_str(), e.host.as_str(), e.template.as_str()).to_string()
}

/// `<p class="omitted">` when a table was capped.
fn omitted(out: &mut String, shown: usize, total: usize, what: &str, rest: &str) {
    if total > shown {
        let _ = write!(
            out,
            "<p class=\"omitted\" role=\"note\">Showing {} of {} {what}; {} omitted. {rest}</p>",
            count(shown as u64),
            count(total as u64),
            count((total - shown) as u64)
        );
    }
}

/// Findings per severity: the summary's numbers when it has them, else counted.
fn severity_counts(scan: &ScanOutput) -> [(Severity, u64); 5] {
    SEVERITIES.map(|s| {
        let n = if scan.summary.severity.is_empty() {
            scan.findings.iter().filter(|f| f.severity == s).count() as u64
        } else {
            scan.summary
                .severity
                .iter()
                .filter(|(name, _)| name == s.name())
                .map(|(_, n)| *n)
                .sum()
        };
        (s, n)
    })
}

pub(crate) fn header(out: &mut String, scan: &ScanOutput, title: &str, opts: &ReportOptions) {
    let s = &scan.summary;
    let _ = write!(
        out,
        "<header class=\"masthead\"><div class=\"in\">\
         <div class=\"brand\">Linkwell · API security report</div><h1>{}</h1><p class=\"meta\">",
        esc(title)
    );
    match (s.first_seen, s.last_seen) {
        (Some(a), Some(b)) => {
            out.push_str("Traffic from ");
            time(out, a);
            out.push_str(" to ");
            time(out, b);
            let _ = write!(out, " ({})", span(b.0 - a.0));
        }
        _ => out.push_str("No timestamped traffic"),
    }
    if let Some(g) = opts.generated_at {
        out.push_str(" · generated ");
        time(out, g);
    }
    let _ = write!(
        out,
        " · all times UTC · scan schema v{}</p></div></header>",
        scan.schema_version
    );
}

pub(crate) fn nav(out: &mut String) {
    out.push_str(
        "<nav class=\"toc\" aria-label=\"Sections\"><a href=\"#summary\">Summary</a>\
         <a href=\"#inputs\">Inputs</a><a href=\"#overview\">Charts</a>\
         <a href=\"#findings\">Findings</a><a href=\"#inventory\">Inventory</a>\
         <a href=\"#rejected\">Rejected lines</a></nav>",
    );
}

fn card(out: &mut String, key: &str, value: &str, detail: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div>",
        esc(key),
        esc(value)
    );
    if !detail.is_empty() {
        let _ = write!(out, "<div class=\"d\">{}</div>", esc(detail));
    }
    out.push_str("</div>");
}

pub(crate) fn summary(out: &mut String, scan: &ScanOutput) {
    let s = &scan.summary;
    out.push_str("<section id=\"summary\" aria-label=\"Summary\"><div class=\"cards\">");
    card(out, "Lines read", &count(s.lines), "");
    card(
        out,
        "Parsed",
        &count(s.parsed),
        &format!("{} of lines", percent(s.parsed, s.lines)),
    );
    card(
        out,
        "Rejected",
        &count(s.rejected),
        &format!("{} of lines", percent(s.rejected, s.lines)),
    );
    card(out, "Calls", &count(s.calls), "");
    card(out, "Endpoints", &count(s.endpoints), "");
    card(out, "Findings", &count(s.findings), "");
    match (s.first_seen, s.last_seen) {
        (Some(a), Some(b)) => card(out, "Time range", &span(b.0 - a.0), &format!("{a} – {b}")),
        _ => card(out, "Time range", "–", "no timestamps"),
    }
    card(out, "Elapsed", &duration_ms(s.elapsed_ms), "scan time");
    out.push_str("</div><div class=\"sevs\" aria-label=\"Findings by severity\">");
    for (sev, n) in severity_counts(scan) {
        let _ = write!(
            out,
            "<span class=\"badge sev-{0}\">{0} <b>{1}</b></span>",
            sev.name(),
            count(n)
        );
    }
    out.push_str("</div></section>");
}

pub(crate) fn inputs(out: &mut String, scan: &ScanOutput) {
    out.push_str("<section id=\"inputs\"><h2>Inputs</h2>");
    if scan.inputs.is_empty() {
        out.push_str("<p class=\"empty\">No inputs recorded.</p></section>");
        return;
    }
    out.push_str(
        "<div class=\"tw\"><table class=\"data\"><thead><tr>\
         <th scope=\"col\">#</th><th scope=\"col\">Path</th><th scope=\"col\">Format</th>\
         <th scope=\"col\">Format source</th><th scope=\"col\" class=\"n\">Lines</th>\
         <th scope=\"col\" class=\"n\">Parsed</th><th scope=\"col\" class=\"n\">Rejected</th>\
         </tr></thead><tbody>",
    );
    for (i, inp) in scan.inputs.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td class=\"n\">{i}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&clip(&inp.path, 200)),
            esc(&inp.format),
            if inp.detected { "detected" } else { "forced" },
            count(inp.lines),
            count(inp.parsed),
            count(inp.rejected)
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn figure(out: &mut String, title: &str, desc: &str, svg: &str) {
    let _ = write!(
        out,
        "<figure class=\"fig\"><figcaption>{}<span>{}</span></figcaption>{svg}</figure>",
        esc(title),
        esc(desc)
    );
}

fn risk_color(risk: u32) -> &'static str {
    match risk {
        75.. => severity_color(Severity::Critical),
        50..=74 => severity_color(Severity::High),
        25..=49 => severity_color(Severity::Medium),
        1..=24 => severity_color(Severity::Low),
        0 => charts::GREY,
    }
}

fn risk_class(risk: u32) -> &'static str {
    match risk {
        75.. => "r4",
        50..=74 => "r3",
        25..=49 => "r2",
        1..=24 => "r1",
        0 => "r0",
    }
}

pub(crate) fn charts(out: &mut String, scan: &ScanOutput) {
    out.push_str("<section id=\"overview\"><h2>Charts</h2>");

    figure(
        out,
        "Calls over time",
        "calls per bucket with 4xx and 5xx responses; findings in the lane below",
        &charts::timeline(&scan.timeline),
    );

    let mut mix = StatusMix::default();
    for e in &scan.endpoints {
        mix.s1xx += e.status.s1xx;
        mix.s2xx += e.status.s2xx;
        mix.s3xx += e.status.s3xx;
        mix.s4xx += e.status.s4xx;
        mix.s5xx += e.status.s5xx;
        mix.other += e.status.other;
    }
    figure(
        out,
        "Status mix",
        "responses by status class over all endpoints",
        &charts::stacked(
            "Status mix",
            "calls",
            &[
                Segment {
                    label: "2xx",
                    value: mix.s2xx,
                    color: "#16a34a",
                    always: true,
                },
                Segment {
                    label: "3xx",
                    value: mix.s3xx,
                    color: "#0891b2",
                    always: false,
                },
                Segment {
                    label: "4xx",
                    value: mix.s4xx,
                    color: charts::AMBER,
                    always: true,
                },
                Segment {
                    label: "5xx",
                    value: mix.s5xx,
                    color: charts::RED,
                    always: true,
                },
                Segment {
                    label: "1xx",
                    value: mix.s1xx,
                    color: "#a78bfa",
                    always: false,
                },
                Segment {
                    label: "no response",
                    value: mix.other,
                    color: "#475569",
                    always: false,
                },
            ],
        ),
    );

    let mut risky: Vec<&EndpointSummary> = scan
        .endpoints
        .iter()
        .filter(|e| e.risk_score > 0 || e.findings > 0)
        .collect();
    risky.sort_by_key(|e| (Reverse(e.risk_score), Reverse(e.findings), Reverse(e.calls)));
    let bars = risky
        .iter()
        .take(10)
        .map(|e| {
            let label = endpoint_label(e);
            Bar {
                tooltip: format!(
                    "{label}: risk {}, {} findings, {} calls, {}",
                    e.risk_score,
                    count(e.findings),
                    count(e.calls),
                    e.classification.name()
                ),
                label,
                value: f64::from(e.risk_score),
                color: risk_color(e.risk_score),
                note: format!("risk {} · {}", e.risk_score, plural(e.findings, "finding")),
            }
        })
        .collect();
    figure(
        out,
        "Top endpoints by risk",
        "risk score 0–100 (worst finding severity weighted by count)",
        &charts::hbar(&HBar {
            title: "Top endpoints by risk",
            bars,
            max: Some(100.0),
            label_width: 400.0,
            legend: vec![],
            empty: "No endpoint has findings or a risk score.",
            axis_label: "risk",
        }),
    );

    let mut clients: Vec<_> = scan.top_clients.iter().collect();
    clients.sort_by_key(|c| (Reverse(c.calls), Reverse(c.findings)));
    let bars = clients
        .iter()
        .take(10)
        .map(|c| Bar {
            label: c.ip.clone(),
            tooltip: format!(
                "{}: {} calls, {} client errors, {} findings, worst severity {}",
                c.ip,
                count(c.calls),
                count(c.client_errors),
                count(c.findings),
                c.worst.map_or("none", Severity::name)
            ),
            value: c.calls as f64,
            color: c.worst.map_or(charts::GREY, severity_color),
            note: format!(
                "{} · {}",
                plural(c.calls, "call"),
                plural(c.findings, "finding")
            ),
        })
        .collect();
    let mut legend: Vec<(&str, &str)> = SEVERITIES
        .iter()
        .map(|s| (s.name(), severity_color(*s)))
        .collect();
    legend.push(("no finding", charts::GREY));
    figure(
        out,
        "Top clients",
        "by calls; colour is the worst severity among the client's findings",
        &charts::hbar(&HBar {
            title: "Top clients",
            bars,
            max: None,
            label_width: 300.0,
            legend,
            empty: "No client data in this scan.",
            axis_label: "calls",
        }),
    );

    let by_class: Vec<(Classification, u64)> = CLASSES
        .iter()
        .map(|c| {
            let n = if scan.summary.classification.is_empty() {
                scan.endpoints
                    .iter()
                    .filter(|e| e.classification == *c)
                    .count() as u64
            } else {
                scan.summary
                    .classification
                    .iter()
                    .filter(|(name, _)| name == c.name())
                    .map(|(_, n)| *n)
                    .sum()
            };
            (*c, n)
        })
        .collect();
    let total_eps: u64 = by_class.iter().map(|(_, n)| n).sum();
    let bars = if total_eps == 0 {
        Vec::new()
    } else {
        by_class
            .iter()
            .map(|(c, n)| Bar {
                label: c.name().to_owned(),
                tooltip: format!(
                    "{}: {} endpoints ({})",
                    c.name(),
                    count(*n),
                    percent(*n, total_eps)
                ),
                value: *n as f64,
                color: class_color(*c),
                note: format!("{} ({})", count(*n), percent(*n, total_eps)),
            })
            .collect()
    };
    figure(
        out,
        "Endpoints by classification",
        "documented: in a spec · shadow: in no spec · zombie: deprecated but called · unused: never called",
        &charts::hbar(&HBar {
            title: "Endpoints by classification",
            bars,
            max: None,
            label_width: 140.0,
            legend: vec![],
            empty: "No endpoints in this scan.",
            axis_label: "endpoints",
        }),
    );

    let bars = if scan.findings.is_empty() {
        Vec::new()
    } else {
        OWASP
            .iter()
            .map(|o| {
                let mut n = 0u64;
                let mut worst: Option<Severity> = None;
                let mut per = [0u64; 5];
                for f in scan.findings.iter().filter(|f| f.owasp == *o) {
                    n += 1;
                    per[usize::from(severity_rank(f.severity))] += 1;
                    worst = worst.max(Some(f.severity));
                }
                let by_sev = SEVERITIES
                    .iter()
                    .filter(|s| per[usize::from(severity_rank(**s))] > 0)
                    .map(|s| format!("{} {}", per[usize::from(severity_rank(*s))], s.name()))
                    .collect::<Vec<_>>()
                    .join(", ");
                Bar {
                    label: format!("{} {}", o.id(), o.title()),
                    tooltip: format!(
                        "{} {}: {}{}",
                        o.id(),
                        o.title(),
                        plural(n, "finding"),
                        if by_sev.is_empty() {
                            String::new()
                        } else {
                            format!(" ({by_sev})")
                        }
                    ),
                    value: n as f64,
                    color: worst.map_or(charts::GREY, severity_color),
                    note: plural(n, "finding"),
                }
            })
            .collect()
    };
    figure(
        out,
        "Findings by OWASP API Security Top 10 (2023)",
        "colour is the worst severity in the category",
        &charts::hbar(&HBar {
            title: "Findings by OWASP category",
            bars,
            max: None,
            label_width: 420.0,
            legend: vec![],
            empty: "No findings in this scan.",
            axis_label: "findings",
        }),
    );
    out.push_str("</section>");
}

fn sample_location(out: &mut String, scan: &ScanOutput, input: u32, line: u64) {
    let name = match scan.inputs.get(input as usize) {
        Some(i) => clip(&i.path, 120).into_owned(),
        None => format!("input {input}"),
    };
    let _ = write!(out, "<code>{}#{line}</code> ", esc(&name));
}

pub(crate) fn findings(out: &mut String, scan: &ScanOutput) {
    let _ = write!(
        out,
        "<section id=\"findings\"><h2>Findings <span class=\"h2n\">{}</span></h2>",
        count(scan.findings.len() as u64)
    );
    if scan.findings.is_empty() {
        out.push_str(
            "<p class=\"empty\">No findings: no detector fired on this traffic.</p></section>",
        );
        return;
    }
    let mut order: Vec<&Finding> = scan.findings.iter().collect();
    order.sort_by_key(|f| (Reverse(f.severity), Reverse(headline(f)), f.first_seen));
    let shown = order.len().min(MAX_FINDING_ROWS);
    omitted(
        out,
        shown,
        order.len(),
        "findings (the most severe first)",
        "The scan's JSON output and the store hold all of them.",
    );
    out.push_str(
        "<div class=\"tw\"><table class=\"data sortable\" data-filter=\"findings\"><thead><tr>\
         <th scope=\"col\" data-type=\"num\">Severity</th><th scope=\"col\">Finding</th>\
         <th scope=\"col\">OWASP</th><th scope=\"col\">Client</th><th scope=\"col\">Endpoint</th>\
         <th scope=\"col\" data-type=\"num\">First / last seen</th>\
         <th scope=\"col\" data-type=\"num\">Evidence</th><th scope=\"col\">Explanation</th>\
         </tr></thead><tbody>",
    );
    for f in order.iter().take(shown) {
        finding_row(out, scan, f);
    }
    out.push_str("</tbody></table></div></section>");
}

fn finding_row(out: &mut String, scan: &ScanOutput, f: &Finding) {
    let sev = f.severity.name();
    let _ = write!(
        out,
        "<tr><td data-v=\"{}\"><span class=\"badge sev-{sev}\">{sev}</span></td>\
         <td><div class=\"kind\">{}</div><div class=\"sub\">confidence {:.0}%",
        severity_rank(f.severity),
        f.kind.name(),
        f64::from(f.confidence.clamp(0.0, 1.0)) * 100.0
    );
    if let Some(cwe) = f.cwe {
        let _ = write!(out, " · CWE-{cwe}");
    }
    let _ = write!(
        out,
        "</div></td><td data-v=\"{}\"><span class=\"owasp\">{}</span><div class=\"sub\">{}</div></td><td>",
        OWASP.iter().position(|o| *o == f.owasp).unwrap_or(0) + 1,
        f.owasp.id(),
        f.owasp.title()
    );
    match &f.client.ip {
        Some(ip) => {
            let _ = write!(out, "<div class=\"mono\">{}</div>", esc(&clip(ip, 64)));
        }
        None => out.push_str("<div class=\"sub\">no client IP</div>"),
    }
    if let Some(id) = &f.client.identity {
        let _ = write!(out, "<div>{}</div>", esc(&clip(id, 80)));
    }
    if let Some(ua) = &f.client.user_agent {
        let _ = write!(out, "<div class=\"sub ua\">{}</div>", esc(&clip(ua, 160)));
    }
    out.push_str("</td><td class=\"mono\">");
    match &f.endpoint {
        Some(k) => {
            let _ = write!(out, "{}", esc(&clip(&k.to_string(), 200)));
        }
        None => out.push_str("<span class=\"sub\">any</span>"),
    }
    let _ = write!(out, "</td><td data-v=\"{}\" class=\"nw\">", f.first_seen.0);
    time(out, f.first_seen);
    out.push_str("<br>");
    time(out, f.last_seen);
    let _ = write!(out, "</td><td data-v=\"{}\">", headline(f));
    if !f.evidence.counts.is_empty() {
        out.push_str("<ul class=\"ev\">");
        for (name, v) in &f.evidence.counts {
            let _ = write!(
                out,
                "<li>{} <b>{}</b></li>",
                esc(&clip(name, 60)),
                count(*v)
            );
        }
        out.push_str("</ul>");
    }
    if !f.evidence.samples.is_empty() {
        out.push_str("<div class=\"samples\"><span class=\"sub\">samples</span> ");
        for s in &f.evidence.samples {
            sample_location(out, scan, s.input, s.line);
        }
        out.push_str("</div>");
    }
    if !f.evidence.excerpts.is_empty() {
        out.push_str("<div class=\"exc\">");
        for e in &f.evidence.excerpts {
            let _ = write!(out, "<code>{}</code> ", esc(&clip(e, 200)));
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "</td><td class=\"expl\">{}</td></tr>",
        esc(&clip(&f.explanation, 600))
    );
}

/// A tiny decorative status-class bar; the text next to it carries the data.
fn mini_mix(out: &mut String, m: &StatusMix) {
    let total = m.total();
    if total == 0 {
        out.push_str("<span class=\"sub\">–</span>");
        return;
    }
    out.push_str("<svg class=\"mini\" viewBox=\"0 0 100 8\" aria-hidden=\"true\">");
    let mut x = 0.0;
    let parts = [
        ("2xx", m.s2xx, "#16a34a"),
        ("3xx", m.s3xx, "#0891b2"),
        ("4xx", m.s4xx, charts::AMBER),
        ("5xx", m.s5xx, charts::RED),
        ("1xx", m.s1xx, "#a78bfa"),
        ("none", m.other, "#475569"),
    ];
    for (_, v, c) in parts {
        if v > 0 {
            let w = v as f64 * 100.0 / total as f64;
            let _ = write!(
                out,
                "<rect x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"8\" fill=\"{c}\"/>"
            );
            x += w;
        }
    }
    out.push_str("</svg><span class=\"sub\">");
    let mut first = true;
    for (name, v, _) in parts {
        if v > 0 {
            let _ = write!(
                out,
                "{}{name} {}",
                if first { "" } else { " · " },
                percent(v, total)
            );
            first = false;
        }
    }
    out.push_str("</span>");
}

fn opt_time(out: &mut String, t: Option<Timestamp>) {
    match t {
        Some(t) => time(out, t),
        None => out.push('–'),
    }
}

pub(crate) fn inventory(out: &mut String, scan: &ScanOutput) {
    let _ = write!(
        out,
        "<section id=\"inventory\"><h2>Inventory <span class=\"h2n\">{}</span></h2>",
        count(scan.endpoints.len() as u64)
    );
    if scan.endpoints.is_empty() {
        out.push_str("<p class=\"empty\">No endpoints observed.</p></section>");
        return;
    }
    let mut order: Vec<&EndpointSummary> = scan.endpoints.iter().collect();
    order.sort_by(|a, b| {
        (Reverse(a.risk_score), Reverse(a.findings), Reverse(a.calls))
            .cmp(&(Reverse(b.risk_score), Reverse(b.findings), Reverse(b.calls)))
            .then_with(|| (&a.template, &a.method, &a.host).cmp(&(&b.template, &b.method, &b.host)))
    });
    let shown = order.len().min(MAX_ENDPOINT_ROWS);
    omitted(
        out,
        shown,
        order.len(),
        "endpoints (highest risk first)",
        "Export the full inventory with linkwell inventory export.",
    );
    out.push_str(
        "<div class=\"tw\"><table class=\"data sortable inv\" data-filter=\"endpoints\"><thead><tr>\
         <th scope=\"col\">Method</th><th scope=\"col\">Host</th><th scope=\"col\">Template</th>\
         <th scope=\"col\" data-type=\"num\" class=\"n\">Calls</th><th scope=\"col\">Class</th>\
         <th scope=\"col\">Status mix</th>\
         <th scope=\"col\" data-type=\"num\" class=\"n\">p50 / p99 ms</th>\
         <th scope=\"col\">Auth</th><th scope=\"col\">Sensitive</th>\
         <th scope=\"col\" data-type=\"num\" class=\"n\">Clients</th>\
         <th scope=\"col\" data-type=\"num\" class=\"n\">Findings</th>\
         <th scope=\"col\" data-type=\"num\" class=\"n\">Risk</th>\
         <th scope=\"col\" data-type=\"num\">First / last seen</th>\
         <th scope=\"col\">Spec path</th></tr></thead><tbody>",
    );
    for e in order.iter().take(shown) {
        endpoint_row(out, e);
    }
    out.push_str("</tbody></table></div></section>");
}

fn endpoint_row(out: &mut String, e: &EndpointSummary) {
    let cls = e.classification.name();
    let _ = write!(
        out,
        "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono tpl\">{}</td>\
         <td class=\"n\" data-v=\"{}\">{}</td><td><span class=\"cls cls-{cls}\">{cls}</span></td><td>",
        esc(&clip(&e.method, 16)),
        esc(&clip(&e.host, 80)),
        esc(&clip(&e.template, 200)),
        e.calls,
        count(e.calls)
    );
    mini_mix(out, &e.status);
    match &e.latency_ms {
        Some(q) => {
            let _ = write!(
                out,
                "</td><td class=\"n\" data-v=\"{}\">{} / {}</td><td>",
                if q.p99.is_finite() { q.p99 } else { 0.0 },
                millis(q.p50),
                millis(q.p99)
            );
        }
        None => out.push_str("</td><td class=\"n\" data-v=\"-1\">–</td><td>"),
    }
    let auth: Vec<&str> = e.auth.iter().map(|a| a.name()).collect();
    if auth.is_empty() {
        out.push_str("<span class=\"sub\">–</span>");
    } else {
        out.push_str(&auth.join(", "));
    }
    out.push_str("</td><td>");
    if e.sensitive.is_empty() {
        out.push_str("<span class=\"sub\">–</span>");
    }
    for (i, k) in e.sensitive.iter().enumerate() {
        let _ = write!(
            out,
            "{}<span class=\"{}\">{}</span>",
            if i == 0 { "" } else { ", " },
            if k.is_credential() { "cred" } else { "pii" },
            k.name()
        );
    }
    let _ = write!(
        out,
        "</td><td class=\"n\" data-v=\"{0}\">{1}</td><td class=\"n\" data-v=\"{2}\">{3}</td>\
         <td class=\"n\" data-v=\"{4}\"><span class=\"risk {5}\">{4}</span></td><td class=\"nw\" data-v=\"{6}\">",
        e.clients,
        count(e.clients),
        e.findings,
        count(e.findings),
        e.risk_score,
        risk_class(e.risk_score),
        e.first_seen.map_or(i64::MIN, |t| t.0)
    );
    opt_time(out, e.first_seen);
    out.push_str("<br>");
    opt_time(out, e.last_seen);
    out.push_str("</td><td class=\"mono\">");
    match &e.spec_path {
        Some(p) => {
            let _ = write!(out, "{}", esc(&clip(p, 200)));
        }
        None => out.push_str("<span class=\"sub\">–</span>"),
    }
    out.push_str("</td></tr>");
}

pub(crate) fn rejected(out: &mut String, scan: &ScanOutput) {
    let total = scan.summary.rejected;
    let _ = write!(
        out,
        "<section id=\"rejected\"><h2>Rejected lines <span class=\"h2n\">{}</span></h2>",
        count(total)
    );
    if scan.rejected.is_empty() {
        if total == 0 {
            out.push_str("<p class=\"empty\">Every line was parsed.</p></section>");
        } else {
            out.push_str(
                "<p class=\"empty\">Rejected lines were counted but none were kept as samples.</p></section>",
            );
        }
        return;
    }
    let shown = scan.rejected.len().min(MAX_REJECTED_ROWS);
    let total_listed = usize::try_from(total)
        .unwrap_or(usize::MAX)
        .max(scan.rejected.len());
    omitted(
        out,
        shown,
        total_listed,
        "rejected lines (the first ones)",
        "Rejected lines are counted in the summary.",
    );
    out.push_str(
        "<div class=\"tw\"><table class=\"data sortable\" data-filter=\"rejected lines\"><thead><tr>\
         <th scope=\"col\">Input</th><th scope=\"col\" data-type=\"num\" class=\"n\">Line</th>\
         <th scope=\"col\">Reason</th></tr></thead><tbody>",
    );
    for r in scan.rejected.iter().take(shown) {
        let _ = write!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"n\" data-v=\"{}\">{}</td><td>{}</td></tr>",
            esc(&clip(&r.input, 200)),
            r.line,
            r.line,
            esc(&clip(&r.reason, 300))
        );
    }
    out.push_str("</tbody></table></div></section>");
}
