//! The waterfall report: `GET /funnel` (JSON) and `GET /funnel.svg` (the same report as a
//! chart for a slide), both `?from=YYYY-MM-DD&to=YYYY-MM-DD&source=web&lang=en|de`.
//! Read from the funnel's aggregates (one query per month covered), never from leads.

use std::fmt::Write as _;

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, RequestExt, Response};

use super::{json_response, App, Problem, ProblemKind};
use crate::adapters::store::LeadStore;
use crate::domain::funnel::{Day, Report, Waterfall, MAX_REPORT_DAYS};
use crate::domain::sla::Sla;
use crate::domain::stage::Stage;

/// The report period when none is asked for: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;

/// What a report request asks for, checked.
struct Query {
    from: Day,
    to: Day,
    source: Option<String>,
    german: bool,
}

fn query<S>(app: &App<S>, req: &Request) -> Result<Query, Problem> {
    let params = req.query_string_parameters();
    for (key, _) in params.iter() {
        if !["from", "to", "source", "lang"].contains(&key) {
            return Err(Problem::invalid_field(
                key,
                format!("unknown parameter `{key}`; the report takes from, to, source and lang"),
            ));
        }
    }
    let day = |name: &str| -> Result<Option<Day>, Problem> {
        match params.first(name) {
            None => Ok(None),
            Some(text) => Day::parse(text).map(Some).ok_or_else(|| {
                Problem::invalid_field(
                    name,
                    format!(
                        "`{name}` is a date as YYYY-MM-DD from {}-01-01 to {}-12-31, got `{text}`",
                        Day::FIRST_YEAR,
                        Day::LAST_YEAR
                    ),
                )
            }),
        }
    };
    let to = day("to")?.unwrap_or_else(|| Day::of(app.clock.now()));
    let from = match day("from")? {
        Some(from) => from,
        None => Day::of(to.start().plus_days(1 - DEFAULT_DAYS)),
    };
    if from > to {
        return Err(Problem::invalid_field("from", format!("`from` ({from}) is after `to` ({to})")));
    }
    if from.days_through(to) > MAX_REPORT_DAYS {
        return Err(Problem::invalid_field(
            "to",
            format!("a report covers at most {MAX_REPORT_DAYS} days; {from} to {to} is longer"),
        ));
    }
    let source = match params.first("source") {
        None => None,
        Some(name) if app.sources.get(name).is_some() => Some(name.to_owned()),
        // Not configured: as intake answers it (404), with the names that are.
        Some(name) => {
            let mut known: Vec<&str> = app.sources.names().collect();
            known.sort_unstable();
            return Err(Problem::of(
                ProblemKind::UnknownSource,
                format!("no source `{name}` is configured; sources are {}", known.join(", ")),
            )
            .with("source", name));
        }
    };
    let german = match params.first("lang") {
        None | Some("en") => false,
        Some("de") => true,
        Some(other) => {
            return Err(Problem::invalid_field("lang", format!("`lang` is `en` or `de`, not `{other}`")))
        }
    };
    Ok(Query { from, to, source, german })
}

async fn build<S: LeadStore>(app: &App<S>, req: &Request) -> Result<(Report, bool), Problem> {
    let q = query(app, req)?;
    let rows = app.store.funnel(q.from, q.to).await?;
    Ok((Report::build(q.from, q.to, q.source.as_deref(), &rows), q.german))
}

pub async fn report<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
    let (report, _) = build(app, req).await?;
    Ok(json_response(200, &report))
}

pub async fn chart<S: LeadStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, Problem> {
    let (report, german) = build(app, req).await?;
    Ok(Response::builder()
        .status(200)
        .header(CONTENT_TYPE, "image/svg+xml; charset=utf-8")
        .body(Body::Text(svg(&report, app.scorer.sla(), german)))
        .expect("static headers are valid"))
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 540.0;

/// The waterfall as a 16:9 SVG: one bar per stage with its count, the conversion and
/// median time between neighbouring stages, and the top reasons leads left.
pub fn svg(report: &Report, sla: &Sla, german: bool) -> String {
    let w: &Waterfall = &report.overall;
    let t = |en: &'static str, de: &'static str| if german { de } else { en };
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" role="img">"#
    );
    let title = format!(
        "{} {} – {}{}",
        t("Lead waterfall", "Lead-Wasserfall"),
        report.from,
        report.to,
        report.source.as_ref().map_or(String::new(), |s| format!(" · {} {s}", t("source", "Quelle"))),
    );
    let _ = write!(out, "<title>{}</title>", escape(&title));
    let _ = write!(out, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = write!(
        out,
        r##"<text x="40" y="48" font-size="26" font-weight="bold" fill="#1f2937">{}</text>"##,
        escape(&title)
    );

    // Bars: the top stage fills the plot height; the rest in proportion.
    let (plot_top, plot_bottom, left, bar_w, gap) = (110.0, 440.0, 40.0, 100.0, 66.0);
    let max = w.stages.iter().map(|s| s.entered).max().unwrap_or(0).max(1) as f64;
    let colours = ["#94a3b8", "#3b82f6", "#6366f1", "#16a34a"];
    for (i, row) in w.stages.iter().enumerate() {
        let x = left + i as f64 * (bar_w + gap);
        let h = (plot_bottom - plot_top) * row.entered as f64 / max;
        let y = plot_bottom - h;
        let name = stage_name(sla, row.stage, german);
        let _ = write!(
            out,
            r##"<g class="stage" data-stage="{id}" data-entered="{n}"><rect x="{x}" y="{y:.1}" width="{bar_w}" height="{h:.1}" fill="{c}"/><text x="{cx}" y="{ty:.1}" font-size="22" font-weight="bold" text-anchor="middle" fill="#111827">{n}</text><text x="{cx}" y="{ly}" font-size="12" text-anchor="middle" fill="#374151">{label}</text></g>"##,
            id = row.stage.id(),
            n = row.entered,
            c = colours[i % colours.len()],
            cx = x + bar_w / 2.0,
            ty = y - 8.0,
            ly = plot_bottom + 22.0,
            label = escape(&short(name)),
        );
        if i > 0 {
            let ax = x - gap / 2.0;
            let rate = row.conversion.map_or("–".to_owned(), |c| format!("{:.1} %", c * 100.0));
            let velocity = row
                .median_seconds
                .map_or(String::new(), |s| format!("{} {}", t("median", "Median"), duration(s, german)));
            let _ = write!(
                out,
                r##"<g class="conversion" data-to="{id}"><text x="{ax}" y="{y1}" font-size="15" font-weight="bold" text-anchor="middle" fill="#1f2937">→ {rate}</text><text x="{ax}" y="{y2}" font-size="12" text-anchor="middle" fill="#6b7280">{velocity}</text></g>"##,
                id = row.stage.id(),
                y1 = plot_bottom + 60.0,
                y2 = plot_bottom + 78.0,
                rate = escape(&rate),
                velocity = escape(&velocity),
            );
        }
    }

    // Why leads left: the five most frequent reasons.
    let lx = left + 4.0 * (bar_w + gap) + 10.0;
    let _ = write!(
        out,
        r##"<text x="{lx}" y="130" font-size="16" font-weight="bold" fill="#1f2937">{}</text>"##,
        t("Why leads left", "Warum Leads ausschieden")
    );
    for (i, row) in w.left.iter().take(5).enumerate() {
        let stage = stage_name(sla, row.stage, german);
        let _ = write!(
            out,
            r##"<text class="left" x="{lx}" y="{y}" font-size="13" fill="#374151">{line}</text>"##,
            y = 156.0 + i as f64 * 22.0,
            line = escape(&clip(&format!("{} × {} → {}", row.count, row.reason, short(stage)), 34)),
        );
    }
    if w.left.is_empty() {
        let _ = write!(out, r##"<text x="{lx}" y="156" font-size="13" fill="#6b7280">–</text>"##);
    }
    out.push_str("</svg>");
    out
}

/// The SLA's display name of a stage in the chart's language (its id if the SLA has none).
fn stage_name(sla: &Sla, stage: Stage, german: bool) -> &str {
    sla.stages.get(&stage).map_or(stage.id(), |n| if german { &n.de } else { &n.en })
}

/// A stage's display name without its parenthesised abbreviation: "Marketing qualified lead".
fn short(name: &str) -> String {
    name.split(" (").next().unwrap_or(name).to_owned()
}

/// Text cut to `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A median time, in the unit a manager reads it in.
fn duration(seconds: i64, german: bool) -> String {
    let (value, unit) = if seconds >= 2 * 86_400 {
        (seconds as f64 / 86_400.0, if german { "Tage" } else { "days" })
    } else if seconds >= 3600 {
        (seconds as f64 / 3600.0, if german { "Std." } else { "h" })
    } else {
        (seconds as f64 / 60.0, "min")
    };
    let number = format!("{value:.1}");
    let number = if german { number.replace('.', ",") } else { number };
    format!("{number} {unit}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally_in_both_languages() {
        assert_eq!(duration(90, false), "1.5 min");
        assert_eq!(duration(5400, false), "1.5 h");
        assert_eq!(duration(3 * 86_400, false), "3.0 days");
        assert_eq!(duration(5400, true), "1,5 Std.");
        assert_eq!(duration(3 * 86_400 + 43_200, true), "3,5 Tage");
    }

    #[test]
    fn long_lines_are_clipped() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("Zurück", 5), "Zurü…");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape(r#"a<b & "c">"#), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
