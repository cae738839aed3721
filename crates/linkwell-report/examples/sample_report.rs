//! Writes a demonstration report:
//! `cargo run -p linkwell-report --example sample_report -- out.html [--large]`.

#![allow(unreachable_pub)]

#[path = "../tests/common/mod.rs"]
mod common;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "linkwell-report.html".into());
    let scan = if args.next().as_deref() == Some("--large") {
        common::big_scan(20_000, 5_000)
    } else {
        common::sample_scan()
    };
    std::fs::write(&path, linkwell_report::render_html(&scan, &common::opts()))?;
    println!("wrote {path}");
    Ok(())
}
