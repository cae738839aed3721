mod common;

use std::time::Instant;

use common::{big_scan, opts, sample_scan};
use linkwell_core::endpoint::EndpointKey;
use linkwell_core::scan::ScanOutput;
use linkwell_report::{
    MAX_ENDPOINT_ROWS, MAX_FINDING_ROWS, MAX_REJECTED_ROWS, ReportOptions, render_html,
};

/// The well-formedness checks every rendered report must pass.
fn assert_structure(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    assert_eq!(html.matches("<html").count(), 1);
    assert_eq!(html.matches("</html>").count(), 1);
    assert_eq!(html.matches("<head>").count(), 1);
    assert_eq!(html.matches("<body>").count(), 1);
    assert_eq!(html.matches("</body>").count(), 1);
    for (open, close) in [
        ("<table", "</table>"),
        ("<tr>", "</tr>"),
        ("<svg", "</svg>"),
        ("<section", "</section>"),
        ("<figure", "</figure>"),
        ("<script>", "</script>"),
        ("<style>", "</style>"),
    ] {
        assert_eq!(
            html.matches(open).count(),
            html.matches(close).count(),
            "{open} and {close} balance"
        );
    }
    // Exactly our own script and stylesheet; nothing loaded from anywhere.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("http://") || only_svg_namespace(html));
    assert!(!html.contains("https://"));
    assert!(
        !html.contains(" style=\""),
        "the CSP forbids style attributes"
    );
    let before_script = &html[..html.find("<script>").unwrap_or(html.len())];
    assert!(!before_script.contains("NaN"), "a NaN reached the markup");
}

fn only_svg_namespace(html: &str) -> bool {
    html.matches("http://").count() == html.matches("http://www.w3.org/2000/svg").count()
}

#[test]
fn contains_numbers_and_endpoint_rows() {
    let html = render_html(&sample_scan(), &opts());
    assert_structure(&html);
    assert!(html.contains("<title>Q1 API review</title>"));
    for n in ["123,456", "123,400", "57,217", "2.3 s", "48,213", "9,001"] {
        assert!(html.contains(n), "missing {n}");
    }
    assert!(html.contains(">Rejected</div><div class=\"v\">56</div>"));
    assert!(html.contains("1 h 30 min"), "time range span");
    assert!(
        html.contains("<time datetime=\"2026-03-02T10:00:00.000Z\">2026-03-02 10:00:00Z</time>")
    );
    assert!(html.contains("generated <time datetime=\"2026-03-03T10:00:00.000Z\">"));
    // Inventory: one row per endpoint with its columns.
    assert_eq!(html.matches("class=\"mono tpl\"").count(), 3);
    assert!(html.contains("/v1/accounts/{id}"));
    assert!(html.contains("<span class=\"cls cls-shadow\">shadow</span>"));
    assert!(html.contains(">12.5 / 187</td>"), "p50 / p99 latency");
    assert!(html.contains("bearer"));
    assert!(html.contains("<span class=\"pii\">iban</span>"));
    assert!(html.contains("/v1/accounts/{accountId}"));
    // Inputs table and sample locations mapped to input paths.
    assert!(html.contains("nginx-combined</td><td>detected</td>"));
    assert!(html.contains("<code>/var/log/nginx/access.log#42</code>"));
    assert!(
        html.contains("<code>input 7#3</code>"),
        "unknown input index"
    );
    // Findings carry OWASP id and title, client and evidence.
    assert!(html.contains("API2:2023"));
    assert!(html.contains("Broken Authentication"));
    assert!(html.contains("failed_logins <b>412</b>"));
    assert!(html.contains("203.0.113.7"));
    // Rejected lines.
    assert!(html.contains("truncated request line"));
    // No table cap hit; only the scan's own sample of rejected lines is partial.
    assert!(!html.contains("endpoints (highest risk first)"));
    assert!(!html.contains("findings (the most severe first)"));
    assert!(html.contains("Showing 1 of 56 rejected lines (the first ones); 55 omitted."));
}

#[test]
fn findings_sorted_by_severity_then_count() {
    let html = render_html(&sample_scan(), &opts());
    let body = &html[html.find("id=\"findings\"").unwrap()..];
    let pos = |needle: &str| body.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let enumeration = pos(">enumeration<"); // critical, 977
    let stuffing = pos(">credential-stuffing<"); // critical, 412
    let shadow = pos(">shadow-endpoint<"); // medium
    let brute = pos(">brute-force<"); // low, 5000
    assert!(enumeration < stuffing && stuffing < shadow && shadow < brute);
    // Inventory: riskiest first.
    let inv = &html[html.find("id=\"inventory\"").unwrap()..];
    assert!(inv.find("/v1/login").unwrap() < inv.find("/internal/debug").unwrap());
    assert!(inv.find("/internal/debug").unwrap() < inv.find("/v1/accounts/{id}").unwrap());
}

#[test]
fn charts_are_present_and_accessible() {
    let html = render_html(&sample_scan(), &opts());
    let charts = html.matches("<svg class=\"chart\"").count();
    assert_eq!(charts, 6, "timeline, status, risk, clients, classes, OWASP");
    assert_eq!(
        html.matches("role=\"img\" aria-label=\"").count(),
        charts,
        "every chart is an accessible image"
    );
    for title in [
        "<title>Calls over time</title>",
        "<title>Status mix</title>",
        "<title>Top endpoints by risk</title>",
        "<title>Top clients</title>",
        "<title>Endpoints by classification</title>",
        "<title>Findings by OWASP category</title>",
    ] {
        assert!(html.contains(title), "{title}");
    }
    // Time axis labels in UTC, legends, tooltips.
    assert!(html.contains(">10:00<") && html.contains(">11:00<"));
    assert!(html.contains("time axis: UTC"));
    assert!(html.contains(">Server errors (5xx)<"));
    assert!(html.contains("<title>2026-03-02T10:00:00.000Z (UTC): 600 calls"));
    assert!(html.contains("API9:2023 Improper Inventory Management: 1 finding (1 medium)"));
    // The top client by calls comes first even though the other has findings.
    let clients = &html[html.find("<title>Top clients</title>").unwrap()..];
    assert!(clients.find("198.51.100.23").unwrap() < clients.find("203.0.113.7").unwrap());
}

#[test]
fn hostile_strings_are_escaped_everywhere() {
    let mut scan = sample_scan();
    let xss = "/<script>alert(1)</script>";
    let ua = "Mozilla\" onmouseover=\"alert(2)\" x='<img src=x onerror=alert(3)>";
    scan.inputs[0].path = format!("/logs{xss}.log");
    scan.endpoints[1].template = xss.into();
    scan.endpoints[1].host = "<b>evil</b>".into();
    scan.endpoints[1].spec_path = Some("\"><svg onload=alert(4)>".into());
    scan.findings[1].client.user_agent = Some(ua.into());
    scan.findings[1].client.identity = Some("</td></tr></table><script>alert(5)</script>".into());
    scan.findings[1].evidence.excerpts = vec!["' OR 1=1 -- <iframe src=//evil>".into()];
    scan.findings[1].explanation = "<style>body{display:none}</style>".into();
    scan.findings[1].endpoint = Some(EndpointKey::new("GET", "h", xss));
    scan.top_clients[0].ip = "<script>alert(6)</script>".into();
    scan.rejected[0].reason = "<script>alert(7)</script>".into();
    scan.summary.classification = vec![("<script>".into(), 1)];
    let html = render_html(
        &scan,
        &ReportOptions {
            title: Some("</title><script>alert(8)</script>".into()),
            generated_at: None,
        },
    );
    assert_structure(&html);
    for raw in [
        "<script>alert",
        "<img src=x",
        "<iframe",
        "<svg onload",
        "<b>evil",
        "onmouseover=\"alert",
        "<style>body",
        "</td></tr></table><script>",
    ] {
        assert!(!html.contains(raw), "raw {raw:?} in output");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Mozilla&quot; onmouseover=&quot;alert(2)&quot; x=&#39;&lt;img"));
    // Escaped inside the SVG charts too (risk chart label and client tooltip).
    let charts =
        &html[html.find("id=\"overview\"").unwrap()..html.find("id=\"findings\"").unwrap()];
    assert!(charts.contains("&lt;script&gt;alert(6)&lt;/script&gt;"));
    assert!(charts.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(html.matches("<style>").count(), 1);
}

#[test]
fn empty_scan_renders() {
    let html = render_html(&ScanOutput::default(), &ReportOptions::default());
    assert_structure(&html);
    assert!(html.contains("<title>Linkwell scan report</title>"));
    assert!(html.contains("No timeline data"));
    assert!(html.contains("No findings"));
    assert!(html.contains("No endpoints observed"));
    assert!(html.contains("Every line was parsed"));
    assert!(!html.contains("generated <time"));
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 6);
}

#[test]
fn csp_allows_only_the_inline_style_and_script() {
    let html = render_html(&sample_scan(), &opts());
    let csp_start = html.find("Content-Security-Policy\" content=\"").unwrap();
    let csp = &html[csp_start..html[csp_start..].find("\">").unwrap() + csp_start];
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.contains("script-src 'sha256-"));
    assert!(csp.contains("style-src 'sha256-"));
    assert!(!csp.contains("unsafe-inline"));
}

#[test]
fn large_scan_is_capped_and_timed() {
    let scan = big_scan(20_000, 5_000);
    let start = Instant::now();
    let html = render_html(&scan, &opts());
    let elapsed = start.elapsed();
    println!(
        "render: 20k endpoints, 5k findings, 20k buckets -> {:.1} ms, {:.2} MB",
        elapsed.as_secs_f64() * 1000.0,
        html.len() as f64 / 1e6
    );
    assert_structure(&html);
    assert_eq!(
        html.matches("class=\"mono tpl\"").count(),
        MAX_ENDPOINT_ROWS
    );
    assert!(html.contains("Showing 500 of 20,000 endpoints (highest risk first); 19,500 omitted."));
    assert!(
        html.contains("Showing 1,000 of 5,000 findings (the most severe first); 4,000 omitted.")
    );
    assert!(html.contains("Showing 200 of 5,000 rejected lines"));
    let inv = &html[html.find("id=\"inventory\"").unwrap()..html.find("id=\"rejected\"").unwrap()];
    assert_eq!(inv.matches("<tr>").count(), MAX_ENDPOINT_ROWS + 1);
    let findings =
        &html[html.find("id=\"findings\"").unwrap()..html.find("id=\"inventory\"").unwrap()];
    assert_eq!(findings.matches("<tr>").count(), MAX_FINDING_ROWS + 1);
    // Only critical findings make the cut (1000 of them exist).
    assert!(!findings.contains("sev-high\">high<"));
    let rej = &html[html.find("id=\"rejected\"").unwrap()..];
    assert_eq!(rej.matches("<tr>").count(), MAX_REJECTED_ROWS + 1);
    assert!(html.len() < 4_000_000, "report is {} bytes", html.len());
}
