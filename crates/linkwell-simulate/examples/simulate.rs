//! Writes a simulated log to stdout and the labels to stderr.
//!
//! `cargo run --release -p linkwell-simulate --example simulate -- [format] [calls] [seed] [days] [distinct-ips]`

use std::io::Write;

use linkwell_simulate::{OutputFormat, SimConfig, simulate};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let format = args
        .next()
        .and_then(|f| OutputFormat::from_name(&f))
        .unwrap_or_default();
    let calls = args.next().and_then(|c| c.parse().ok()).unwrap_or(200_000);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let days = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let distinct_client_ips = args.next().and_then(|s| s.parse().ok());
    let cfg = SimConfig {
        format,
        calls,
        seed,
        days,
        distinct_client_ips,
        ..SimConfig::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = simulate(&cfg, &mut out)?;
    out.flush()?;
    let text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
    writeln!(std::io::stderr(), "{text}")
}
