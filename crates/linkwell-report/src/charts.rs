//! Inline SVG charts, generated here so the report needs no script library
//! and no network.
//!
//! Each chart is one `<svg role="img" aria-label="…">` whose first child is a
//! `<title>`; marks carry their own `<title>` for hover tooltips. Sizes are in
//! viewBox units close to the on-screen size, so 12-unit text stays readable
//! when the SVG scales to the page width. Styling comes from the report's
//! stylesheet (classes), never from `style=` attributes, which the CSP forbids.

use std::fmt::Write as _;

use linkwell_core::scan::TimeBucket;
use linkwell_core::time::Timestamp;

use crate::html::{clip, compact, count, esc};

/// Width of every chart, in viewBox units.
const W: f64 = 960.0;

pub(crate) const BLUE: &str = "#2563eb";
pub(crate) const AMBER: &str = "#d97706";
pub(crate) const RED: &str = "#dc2626";
pub(crate) const CRIMSON: &str = "#9f1239";
pub(crate) const GREY: &str = "#94a3b8";

/// Opens an accessible SVG: `role="img"`, an `aria-label` summary and a
/// `<title>` for the browser's tooltip.
fn open(out: &mut String, h: f64, title: &str, summary: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" \
         role=\"img\" aria-label=\"{}: {}\"><title>{}</title>",
        esc(title),
        esc(summary),
        esc(title)
    );
}

/// A placeholder keeping the layout when a chart has no data.
pub(crate) fn empty(title: &str, message: &str) -> String {
    let mut out = String::new();
    open(&mut out, 56.0, title, message);
    let _ = write!(
        out,
        "<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"55\" rx=\"6\"/>\
         <text class=\"none\" x=\"{}\" y=\"32\" text-anchor=\"middle\">{}</text></svg>",
        W - 1.0,
        W / 2.0,
        esc(message)
    );
    out
}

/// A "nice" axis for `0..=max`: (top, step) with step 1, 2, 2.5 or 5 × 10ⁿ
/// and at most about `ticks` intervals. Counts never get fractional steps.
fn nice_axis(max: f64, ticks: f64, integer: bool) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / ticks;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = nice * mag;
    if integer {
        step = step.max(1.0).round();
    }
    let top = (max / step).ceil() * step;
    (top, step)
}

/// Candidate time-axis steps, in seconds.
const TIME_STEPS: [i64; 22] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
    172_800, 604_800, 2_592_000, 31_536_000,
];

/// The smallest step giving at most `max_ticks` ticks over `span_secs`.
fn time_step(span_secs: i64, max_ticks: i64) -> i64 {
    TIME_STEPS
        .into_iter()
        .find(|s| span_secs / s <= max_ticks)
        .unwrap_or(31_536_000)
}

/// `5-min`, `1-h`, `1-day`: the bucket width in words.
fn step_words(micros: i64) -> String {
    let s = micros / Timestamp::MICROS_PER_SEC;
    if s <= 0 {
        format!("{} ms", micros / 1000)
    } else if s % 86_400 == 0 {
        format!("{} d", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// One point of the time series after downsampling.
#[derive(Clone, Copy, Default)]
struct Point {
    start: i64,
    calls: u64,
    e4: u64,
    e5: u64,
    findings: u64,
}

/// The most points drawn; longer timelines are merged into wider buckets.
const MAX_POINTS: usize = 240;

/// Calls over time (area), client and server errors (lines) and a findings
/// lane below the plot. Times are UTC.
pub(crate) fn timeline(buckets: &[TimeBucket]) -> String {
    const TITLE: &str = "Calls over time";
    if buckets.is_empty() {
        return empty(TITLE, "No timeline data in this scan.");
    }
    let mut sorted: Vec<&TimeBucket> = buckets.iter().collect();
    sorted.sort_by_key(|b| b.start);
    let step = sorted
        .windows(2)
        .map(|w| w[1].start.0 - w[0].start.0)
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(60 * Timestamp::MICROS_PER_SEC);
    let t_first = sorted[0].start.0;
    let span = sorted[sorted.len() - 1].start.0 - t_first + step;
    // Merge into at most MAX_POINTS windows of `width` (a multiple of `step`).
    let slots = span / step;
    let factor = (slots + MAX_POINTS as i64 - 1) / MAX_POINTS as i64;
    let width = step * factor.max(1);
    let mut points: Vec<Point> = Vec::new();
    for b in &sorted {
        let start = t_first + (b.start.0 - t_first) / width * width;
        if points.last().is_none_or(|p| p.start != start) {
            points.push(Point {
                start,
                ..Point::default()
            });
        }
        if let Some(p) = points.last_mut() {
            p.calls += b.calls;
            p.e4 += b.client_errors;
            p.e5 += b.server_errors;
            p.findings += b.findings;
        }
    }

    let (x0, x1, y0, y1) = (64.0, W - 16.0, 28.0, 196.0);
    let (lane0, lane1) = (240.0, 262.0);
    let h = 300.0;
    let t_min = t_first;
    let t_max = points[points.len() - 1].start + width;
    let xt = |t: i64| x0 + (t - t_min) as f64 / (t_max - t_min) as f64 * (x1 - x0);
    let peak = points
        .iter()
        .map(|p| p.calls.max(p.e4).max(p.e5))
        .max()
        .unwrap_or(0);
    let (top, ystep) = nice_axis(peak as f64, 5.0, true);
    let yv = |v: u64| y1 - v as f64 / top * (y1 - y0);
    let total: u64 = points.iter().map(|p| p.calls).sum();
    let peak_at = points
        .iter()
        .max_by_key(|p| p.calls)
        .map_or(Timestamp(t_min), |p| Timestamp(p.start));

    let mut out = String::with_capacity(16 * 1024 + points.len() * 256);
    open(
        &mut out,
        h,
        TITLE,
        &format!(
            "{} calls from {} to {} (UTC) in {}-wide buckets; peak {} calls in the bucket starting {}",
            count(total),
            Timestamp(t_min),
            Timestamp(t_max),
            step_words(width),
            count(peak),
            peak_at
        ),
    );
    let _ = write!(
        out,
        "<text class=\"cap\" x=\"{x0}\" y=\"14\">calls per {} bucket</text>",
        step_words(width)
    );

    // Horizontal grid and y labels.
    let mut v = 0.0;
    while v <= top + ystep / 2.0 {
        let y = y1 - v / top * (y1 - y0);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x0}\" x2=\"{x1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{y:.1}\" dy=\".32em\" text-anchor=\"end\">{}</text>",
            x0 - 8.0,
            compact(v)
        );
        v += ystep;
    }

    // Time ticks, aligned to UTC multiples of the step.
    let tstep =
        time_step((t_max - t_min) / Timestamp::MICROS_PER_SEC, 7) * Timestamp::MICROS_PER_SEC;
    let mut t = t_min.div_euclid(tstep) * tstep;
    if t < t_min {
        t += tstep;
    }
    let mut last_day = None;
    while t <= t_max {
        let x = xt(t);
        let (yy, mo, d, hh, mi, ss) = Timestamp(t).to_civil();
        let label = if tstep < 60 * Timestamp::MICROS_PER_SEC {
            format!("{hh:02}:{mi:02}:{ss:02}")
        } else if tstep < 86_400 * Timestamp::MICROS_PER_SEC {
            format!("{hh:02}:{mi:02}")
        } else {
            format!("{mo:02}-{d:02}")
        };
        // Labels near the right edge are right-aligned so they stay visible.
        let anchor = if x > x1 - 24.0 { "end" } else { "middle" };
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y0}\" y2=\"{y1}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{label}</text>",
            y1 + 16.0
        );
        let day = (yy, mo, d);
        if last_day != Some(day) {
            let _ = write!(
                out,
                "<text class=\"tick date\" x=\"{x:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{yy:04}-{mo:02}-{d:02}</text>",
                y1 + 30.0
            );
            last_day = Some(day);
        }
        t += tstep;
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{x0}\" x2=\"{x1}\" y1=\"{y1}\" y2=\"{y1}\"/>"
    );

    // Series: points at bucket middles, dropping to zero across gaps.
    let series = |get: &dyn Fn(&Point) -> u64| -> Vec<(f64, f64)> {
        let mut pts = Vec::with_capacity(points.len() + 8);
        for (i, p) in points.iter().enumerate() {
            if i > 0 && p.start - points[i - 1].start > width {
                pts.push((xt(points[i - 1].start + width + width / 2), y1));
                pts.push((xt(p.start - width / 2), y1));
            }
            pts.push((xt(p.start + width / 2), yv(get(p))));
        }
        if pts.len() == 1 {
            // A single bucket: draw it across its whole width.
            let (_, y) = pts[0];
            pts = vec![(xt(points[0].start), y), (xt(points[0].start + width), y)];
        }
        pts
    };
    let poly = |pts: &[(f64, f64)]| -> String {
        let mut s = String::with_capacity(pts.len() * 14);
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(s, "{}{x:.1},{y:.1}", if i == 0 { "" } else { " " });
        }
        s
    };
    let calls = series(&|p| p.calls);
    if let (Some(first), Some(last)) = (calls.first(), calls.last()) {
        let _ = write!(
            out,
            "<polygon class=\"area\" fill=\"{BLUE}\" points=\"{:.1},{y1} {} {:.1},{y1}\"/>\
             <polyline fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"2\" points=\"{}\"/>",
            first.0,
            poly(&calls),
            last.0,
            poly(&calls)
        );
    }
    for (pts, color, dash) in [
        (series(&|p| p.e4), AMBER, ""),
        (series(&|p| p.e5), RED, " stroke-dasharray=\"5 3\""),
    ] {
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"{dash} points=\"{}\"/>",
            poly(&pts)
        );
    }

    // Findings lane.
    let max_f = points.iter().map(|p| p.findings).max().unwrap_or(0);
    let _ = write!(
        out,
        "<text class=\"tick\" x=\"{}\" y=\"{}\" dy=\".32em\" text-anchor=\"end\">findings</text>\
         <line class=\"axis\" x1=\"{x0}\" x2=\"{x1}\" y1=\"{lane1}\" y2=\"{lane1}\"/>\
         <text class=\"tick\" x=\"{x1}\" y=\"{}\" text-anchor=\"end\">max {} per bucket</text>",
        x0 - 8.0,
        (lane0 + lane1) / 2.0,
        lane0 - 4.0,
        count(max_f)
    );
    for p in points.iter().filter(|p| p.findings > 0) {
        let xa = xt(p.start);
        let w = (xt(p.start + width) - xa - 0.5).max(1.0);
        let hgt = (p.findings as f64 / max_f as f64 * (lane1 - lane0)).max(2.0);
        let _ = write!(
            out,
            "<rect x=\"{xa:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{hgt:.1}\" fill=\"{CRIMSON}\"/>",
            lane1 - hgt
        );
    }

    // Hover targets: one per bucket, spanning plot and lane.
    for p in &points {
        let xa = xt(p.start);
        let w = (xt(p.start + width) - xa).max(1.0);
        let _ = write!(
            out,
            "<rect class=\"hit\" x=\"{xa:.1}\" y=\"{y0}\" width=\"{w:.1}\" height=\"{}\">\
             <title>{} (UTC): {} calls, {} 4xx, {} 5xx, {} findings</title></rect>",
            lane1 - y0,
            Timestamp(p.start),
            count(p.calls),
            count(p.e4),
            count(p.e5),
            count(p.findings)
        );
    }

    legend(
        &mut out,
        x0,
        h - 12.0,
        &[
            ("Calls", BLUE),
            ("Client errors (4xx)", AMBER),
            ("Server errors (5xx)", RED),
            ("Findings", CRIMSON),
        ],
    );
    let _ = write!(
        out,
        "<text class=\"tick\" x=\"{x1}\" y=\"{}\" text-anchor=\"end\">time axis: UTC</text></svg>",
        h - 12.0
    );
    out
}

/// A row of colour swatches with labels starting at (`x`, `y`).
fn legend(out: &mut String, x: f64, y: f64, items: &[(&str, &str)]) {
    let mut cx = x;
    for (label, color) in items {
        let _ = write!(
            out,
            "<rect x=\"{cx:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{color}\"/>\
             <text class=\"leg\" x=\"{:.1}\" y=\"{y:.1}\" dy=\".32em\">{}</text>",
            y - 6.0,
            cx + 17.0,
            esc(label)
        );
        // Approximate text width at 12 units: enough to place the next item.
        cx += 17.0 + label.chars().count() as f64 * 6.6 + 22.0;
    }
}

/// One segment of a stacked bar.
pub(crate) struct Segment<'a> {
    pub(crate) label: &'a str,
    pub(crate) value: u64,
    pub(crate) color: &'a str,
    /// Listed in the legend even when zero (a zero 5xx share is news too).
    pub(crate) always: bool,
}

/// A 100 % stacked horizontal bar with a legend giving counts and shares.
pub(crate) fn stacked(title: &str, unit: &str, segments: &[Segment<'_>]) -> String {
    let total: u64 = segments.iter().map(|s| s.value).sum();
    if total == 0 {
        return empty(title, "No calls in this scan.");
    }
    let (x0, x1) = (8.0, W - 8.0);
    let summary = segments
        .iter()
        .filter(|s| s.value > 0)
        .map(|s| {
            format!(
                "{} {} ({})",
                s.label,
                count(s.value),
                crate::html::percent(s.value, total)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::with_capacity(4096);
    open(&mut out, 92.0, title, &summary);
    let mut x = x0;
    for s in segments.iter().filter(|s| s.value > 0) {
        let w = s.value as f64 / total as f64 * (x1 - x0);
        let share = crate::html::percent(s.value, total);
        let _ = write!(
            out,
            "<rect x=\"{x:.2}\" y=\"8\" width=\"{w:.2}\" height=\"34\" fill=\"{}\">\
             <title>{}: {} {unit} ({share})</title></rect>",
            s.color,
            esc(s.label),
            count(s.value)
        );
        if w > 56.0 {
            let _ = write!(
                out,
                "<text class=\"inbar\" x=\"{:.1}\" y=\"25\" dy=\".32em\" text-anchor=\"middle\">{}</text>",
                x + w / 2.0,
                esc(&share)
            );
        }
        x += w;
    }
    let shown: Vec<&Segment<'_>> = segments
        .iter()
        .filter(|s| s.value > 0 || s.always)
        .collect();
    let labels: Vec<String> = shown
        .iter()
        .map(|s| {
            format!(
                "{} {} ({})",
                s.label,
                count(s.value),
                crate::html::percent(s.value, total)
            )
        })
        .collect();
    let items: Vec<(&str, &str)> = labels
        .iter()
        .zip(&shown)
        .map(|(l, s)| (l.as_str(), s.color))
        .collect();
    legend(&mut out, x0, 70.0, &items);
    out.push_str("</svg>");
    out
}

/// One bar of a horizontal bar chart.
pub(crate) struct Bar {
    /// Shown left of the bar (clipped to fit).
    pub(crate) label: String,
    /// Hover text: the full label and the numbers.
    pub(crate) tooltip: String,
    pub(crate) value: f64,
    pub(crate) color: &'static str,
    /// Shown right of the bar.
    pub(crate) note: String,
}

/// A horizontal bar chart.
pub(crate) struct HBar<'a> {
    pub(crate) title: &'a str,
    pub(crate) bars: Vec<Bar>,
    /// A fixed axis maximum (risk is 0–100), else from the data.
    pub(crate) max: Option<f64>,
    /// Width given to the labels, in viewBox units.
    pub(crate) label_width: f64,
    pub(crate) legend: Vec<(&'a str, &'a str)>,
    /// What an empty chart says.
    pub(crate) empty: &'a str,
    pub(crate) axis_label: &'a str,
}

pub(crate) fn hbar(c: &HBar<'_>) -> String {
    if c.bars.is_empty() {
        return empty(c.title, c.empty);
    }
    let (row, bar_h, top) = (24.0, 16.0, 6.0);
    let x0 = c.label_width;
    let x1 = W - 200.0;
    let n = c.bars.len() as f64;
    let axis_y = top + n * row + 2.0;
    let h = axis_y + 26.0 + if c.legend.is_empty() { 0.0 } else { 26.0 };
    let data_max = c.bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let (axis_max, step) = match c.max {
        Some(m) => (m, m / 5.0),
        None => nice_axis(data_max, 5.0, true),
    };
    let summary = c
        .bars
        .iter()
        .take(5)
        .map(|b| format!("{} {}", b.label, b.note))
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = String::with_capacity(2048 + c.bars.len() * 512);
    open(&mut out, h, c.title, &summary);

    let mut v = 0.0;
    while v <= axis_max + step / 2.0 {
        let x = x0 + v / axis_max * (x1 - x0);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{axis_y}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            axis_y + 14.0,
            compact(v)
        );
        v += step;
    }
    let _ = write!(
        out,
        "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} \u{2192}</text>",
        x0 - 8.0,
        axis_y + 14.0,
        esc(c.axis_label)
    );
    let max_chars = ((x0 - 16.0) / 6.6).max(4.0) as usize;
    for (i, b) in c.bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let w = if axis_max > 0.0 {
            (b.value / axis_max).clamp(0.0, 1.0) * (x1 - x0)
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<g><title>{}</title>\
             <text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" dy=\".32em\" text-anchor=\"end\">{}</text>\
             <rect x=\"{x0}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar_h}\" rx=\"2\" fill=\"{}\"/>\
             <text class=\"note\" x=\"{:.1}\" y=\"{:.1}\" dy=\".32em\">{}</text>\
             <rect class=\"hit\" x=\"0\" y=\"{y:.1}\" width=\"{W}\" height=\"{row}\"/></g>",
            esc(&b.tooltip),
            x0 - 8.0,
            y + row / 2.0,
            esc(&clip(&b.label, max_chars)),
            y + (row - bar_h) / 2.0,
            w.max(if b.value > 0.0 { 1.5 } else { 0.0 }),
            b.color,
            x0 + w + 6.0,
            y + row / 2.0,
            esc(&b.note)
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{x0}\" x2=\"{x0}\" y1=\"{top}\" y2=\"{axis_y}\"/>"
    );
    if !c.legend.is_empty() {
        legend(&mut out, x0, h - 10.0, &c.legend);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axes() {
        assert_eq!(nice_axis(3.0, 5.0, true), (3.0, 1.0));
        assert_eq!(nice_axis(97.0, 5.0, true), (100.0, 20.0));
        assert_eq!(nice_axis(1234.0, 5.0, true), (1250.0, 250.0));
        assert_eq!(nice_axis(0.0, 5.0, true), (1.0, 1.0));
        assert_eq!(nice_axis(f64::NAN, 5.0, true), (1.0, 1.0));
    }

    #[test]
    fn time_steps() {
        assert_eq!(time_step(3600, 7), 600);
        assert_eq!(time_step(7200, 7), 1800);
        assert_eq!(time_step(86_400, 7), 21_600);
        assert_eq!(time_step(30, 7), 5);
        assert_eq!(time_step(40 * 86_400, 7), 604_800);
    }

    #[test]
    fn timeline_labels_are_utc_and_escaped_title_present() {
        // 2026-03-02T10:00:00Z, 24 five-minute buckets.
        let t0 = 1_772_445_600 * Timestamp::MICROS_PER_SEC;
        let buckets: Vec<TimeBucket> = (0..24)
            .map(|i| TimeBucket {
                start: Timestamp(t0 + i * 300 * Timestamp::MICROS_PER_SEC),
                calls: 100 + i as u64,
                client_errors: 3,
                server_errors: 1,
                findings: u64::from(i % 5 == 0),
            })
            .collect();
        let svg = timeline(&buckets);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(">10:00<"), "{svg}");
        assert!(svg.contains(">11:00<"));
        assert!(svg.contains(">2026-03-02<"));
        assert!(svg.contains("role=\"img\""));
        assert_eq!(svg.matches("class=\"hit\"").count(), 24);
        assert!(svg.contains("2026-03-02T10:05:00.000Z (UTC): 101 calls"));
    }

    #[test]
    fn long_timelines_are_downsampled() {
        let buckets: Vec<TimeBucket> = (0..10_000)
            .map(|i| TimeBucket {
                start: Timestamp::from_secs(1_772_445_600 + i * 60),
                calls: 1,
                ..TimeBucket::default()
            })
            .collect();
        let svg = timeline(&buckets);
        assert!(svg.matches("class=\"hit\"").count() <= MAX_POINTS);
        assert!(svg.contains("10,000 calls"));
    }

    #[test]
    fn single_bucket_and_empty() {
        let one = [TimeBucket {
            start: Timestamp::from_secs(1_772_445_600),
            calls: 5,
            ..TimeBucket::default()
        }];
        let svg = timeline(&one);
        assert!(svg.contains("5 calls"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(timeline(&[]).contains("No timeline data"));
    }
}
