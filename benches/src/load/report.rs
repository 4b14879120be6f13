//! Results: JSON, a Markdown table and an SVG chart (drawn by hand: bars and text).

use std::fmt::Write as _;

use super::Report;

/// Thousands separators: 1234567 → "1,234,567".
pub fn thousands(x: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = x.max(0.0).round() as u64;
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

/// Milliseconds with one decimal from microseconds.
pub fn ms(us: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let v = us as f64 / 1000.0;
    format!("{v:.1}")
}

fn percent(cpu: Option<f64>) -> String {
    cpu.map_or("–".to_owned(), |c| format!("{:.0}%", c * 100.0))
}

fn lost_dup(r: &Report) -> String {
    let mut s = format!("{} / {}", r.lost, r.duplicated);
    let disc: u64 = r.disconnects.values().sum();
    if disc > 0 {
        let _ = write!(s, " ({disc} disconnected)");
    }
    s
}

/// Deliveries per server CPU second, or a dash.
fn per_cpu(r: &Report) -> String {
    r.deliveries_per_cpu_sec.map_or("–".to_owned(), thousands)
}

/// What `r` is loaded with: `max (window 64)` or `1,000 msg/s`.
fn load(r: &Report) -> String {
    match r.scenario.rate {
        None => format!("max (window {})", r.scenario.window),
        Some(rate) => format!("{} msg/s", thousands(rate)),
    }
}

/// "chatcore: 2.1× (1.8× per CPU s)" for each of `ours` against `r`, in the same
/// scenario (same shape and publishers, and with `same_rate` the same load), among
/// `reports`.
fn ratios(reports: &[Report], r: &Report, ours: &[&str], same_rate: bool) -> String {
    let mut cell = Vec::new();
    if ours.contains(&r.label.as_str()) || r.deliveries_per_sec <= 0.0 {
        return String::new();
    }
    for m in reports.iter().filter(|o| {
        ours.contains(&o.label.as_str())
            && o.scenario_name == r.scenario_name
            && o.scenario.publishers == r.scenario.publishers
            && (!same_rate || o.scenario.rate == r.scenario.rate)
    }) {
        let mut c = format!(
            "{}: {:.1}×",
            m.label,
            m.deliveries_per_sec / r.deliveries_per_sec
        );
        if let (Some(a), Some(b)) = (m.deliveries_per_cpu_sec, r.deliveries_per_cpu_sec)
            && b > 0.0
        {
            let _ = write!(c, " ({:.1}× per CPU s)", a / b);
        }
        cell.push(c);
    }
    cell.join(", ")
}

/// One Markdown table row per report; with `with_ratio_to`, a column comparing
/// those servers with each other one in the same scenario.
pub fn table(reports: &[Report], with_ratio_to: Option<&[&str]>) -> String {
    table_with(reports, with_ratio_to.map(|o| (o, true)), None)
}

/// The sustained rates: per search, its best stage and what the stage above it
/// showed, with the ratio column of [`table`] (across rates).
pub fn sustained_table(best: &[(Report, String)], ours: &[&str]) -> String {
    let reports: Vec<Report> = best.iter().map(|(r, _)| r.clone()).collect();
    let above: Vec<String> = best.iter().map(|(_, a)| a.clone()).collect();
    table_with(
        &reports,
        Some((ours, false)),
        Some(("the next stage up", &above)),
    )
}

/// [`table`], with the ratio column (`ours`, and whether the rates must match) and
/// a column of notes, one per report.
fn table_with(
    reports: &[Report],
    ratio: Option<(&[&str], bool)>,
    notes: Option<(&str, &[String])>,
) -> String {
    let mut out = String::from(
        "| scenario | publishers | load | server | deliveries/s | deliveries per server CPU s | msgs/s | p50 ms | p99 ms | p99.9 ms | lost / dup | server CPU | generator CPU |",
    );
    let mut rule = String::from("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    if let Some((title, _)) = notes {
        let _ = write!(out, " {title} |");
        rule.push_str("---|");
    }
    if ratio.is_some() {
        out.push_str(" chatcore ÷ this |");
        rule.push_str("---|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for (i, r) in reports.iter().enumerate() {
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario_name,
            r.scenario.publishers,
            load(r),
            r.label,
            thousands(r.deliveries_per_sec),
            per_cpu(r),
            thousands(r.messages_per_sec),
            ms(r.latency_us.p50),
            ms(r.latency_us.p99),
            ms(r.latency_us.p999),
            lost_dup(r),
            percent(r.server_cpu),
            percent(r.generator_cpu),
        );
        if let Some((_, notes)) = notes {
            let _ = write!(out, " {} |", notes.get(i).map_or("", String::as_str));
        }
        if let Some((ours, same_rate)) = ratio {
            let _ = write!(out, " {} |", ratios(reports, r, ours, same_rate));
        }
        out.push('\n');
    }
    out
}

/// Memory table: one row per report.
pub fn memory_table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| server | rooms × connections | connections | RSS before | RSS connected | per connection |\n|---|---|---:|---:|---:|---:|\n",
    );
    for r in reports {
        let _ = writeln!(
            out,
            "| {} | {} × {} | {} | {} | {} | {} |",
            r.label,
            thousands(r.scenario.rooms as f64),
            thousands(r.scenario.members as f64),
            thousands(r.clients as f64),
            r.server_rss_before_kib
                .map_or("–".into(), |k| format!("{} KiB", thousands(k as f64))),
            r.server_rss_connected_kib
                .map_or("–".into(), |k| format!("{} KiB", thousands(k as f64))),
            r.memory_per_connection_bytes
                .map_or("–".into(), |b| format!("{:.1} KB", b as f64 / 1000.0)),
        );
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A grouped bar chart: one group per scenario, one bar per server, with the value
/// printed on each bar; `value` picks what is drawn.
pub fn svg_bars(
    title: &str,
    unit: &str,
    reports: &[&Report],
    value: impl Fn(&Report) -> f64,
) -> String {
    const COLORS: [&str; 4] = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5"];
    let mut scenarios: Vec<String> = Vec::new();
    let mut servers: Vec<String> = Vec::new();
    for r in reports {
        if !scenarios.contains(&r.scenario_name) {
            scenarios.push(r.scenario_name.clone());
        }
        if !servers.contains(&r.label) {
            servers.push(r.label.clone());
        }
    }
    let max = reports
        .iter()
        .map(|r| value(r))
        .fold(0.0f64, f64::max)
        .max(1.0);
    let (w, h) = (760.0, 420.0);
    let (left, right, top, bottom) = (90.0, 20.0, 50.0, 80.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    #[allow(clippy::cast_precision_loss)]
    let group_w = plot_w / scenarios.len().max(1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let bar_w = (group_w * 0.8) / servers.len().max(1) as f64;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{}</text>
"##,
        w / 2.0,
        esc(title)
    );
    // Axis and grid.
    for i in 0..=5 {
        let v = max * f64::from(i) / 5.0;
        let y = top + plot_h - plot_h * f64::from(i) / 5.0;
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            w - right,
            left - 6.0,
            y + 4.0,
            thousands(v)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">{}</text>"##,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        esc(unit)
    );
    for (gi, sc) in scenarios.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let gx = left + group_w * gi as f64 + group_w * 0.1;
        for (si, server) in servers.iter().enumerate() {
            let Some(r) = reports
                .iter()
                .find(|r| &r.scenario_name == sc && &r.label == server)
            else {
                continue;
            };
            let v = value(r);
            let bh = plot_h * v / max;
            #[allow(clippy::cast_precision_loss)]
            let x = gx + bar_w * si as f64;
            let y = top + plot_h - bh;
            let _ = writeln!(
                s,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"##,
                bar_w * 0.92,
                COLORS[si % COLORS.len()],
                x + bar_w * 0.46,
                y - 4.0,
                thousands(v)
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13">{}</text>"##,
            gx + group_w * 0.4,
            top + plot_h + 18.0,
            esc(sc)
        );
    }
    // Legend.
    for (si, server) in servers.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + 200.0 * si as f64;
        let y = h - 24.0;
        let _ = writeln!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"##,
            y - 10.0,
            COLORS[si % COLORS.len()],
            x + 16.0,
            esc(server)
        );
    }
    s.push_str("</svg>\n");
    s
}
