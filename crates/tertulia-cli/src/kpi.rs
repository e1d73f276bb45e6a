//! `tertulia kpi FILE`: the KPI report of a post-level export, and the
//! tables the demo shares.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use chrono::Weekday;
use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;
use tertulia_core::Metric;
use tertulia_kpi::import::{self, Format, ImportOptions};
use tertulia_kpi::{
    Confidence, Engagement, Estimate, Grouping, HEADLINE, Kpi, KpiOptions, KpiReport, Kpis,
    MissingCounts, PostReport, Rate, ResponseSummary,
};

use crate::CliError;
use crate::community::parse_zone;
use crate::output::{count, print_json, print_text, table};

/// A post-level export to read, as every command that measures takes it.
#[derive(Debug, Args)]
pub(crate) struct Input {
    /// The export to read: a Facebook Insights CSV, tertulia CSV or JSON Lines of posts.
    pub file: PathBuf,
    /// The file's format (default: guessed from its extension and header).
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// The IANA time zone of days, weekdays and hours, and of local times in the file.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = parse_zone)]
    pub tz: Tz,
    /// Which weekday a Facebook Insights "Post Weekday" of 1 means, if known (for example sunday).
    #[arg(long, value_name = "DAY")]
    pub weekday_one: Option<Weekday>,
}

impl Input {
    /// The file's records, read in its (given or guessed) format.
    pub fn read(&self) -> Result<import::Import, CliError> {
        let read_error = |source| CliError::Read {
            path: self.file.clone(),
            source,
        };
        let file = File::open(&self.file).map_err(read_error)?;
        let mut input = BufReader::new(file);
        let format = match self.format {
            Some(f) => f,
            None => {
                let first = input.fill_buf().map_err(read_error)?;
                let first = String::from_utf8_lossy(first);
                let ext = self.file.extension().and_then(|e| e.to_str());
                Format::guess(ext, first.lines().next().unwrap_or(""))
            }
        };
        let options = ImportOptions {
            zone: self.tz,
            weekday_one: self.weekday_one,
        };
        import::read(input, format, &options).map_err(|source| self.error(source))
    }

    /// An error about this file or a setting used on it.
    pub fn error(&self, source: tertulia_kpi::Error) -> CliError {
        CliError::Kpi {
            path: self.file.clone(),
            source,
        }
    }
}

/// Options of `tertulia kpi`.
#[derive(Debug, Args)]
pub(crate) struct KpiArgs {
    #[command(flatten)]
    input: Input,
    /// Break the KPIs down by kind, weekday, hour, day, week, month, platform, account or paid.
    #[arg(long, value_name = "GROUPING", value_parser = parse_grouping)]
    by: Option<Grouping>,
    /// The interactions that count as engagement, comma-separated.
    #[arg(long, value_name = "METRICS", default_value = "likes,comments,shares", value_parser = parse_engagement)]
    engagement: Engagement,
    /// Count a missing interaction as 0, as many tools do, to compare with their figures.
    #[arg(long)]
    missing_as_zero: bool,
    /// The confidence level of intervals and tests, between 0 and 1.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print JSON with every figure instead of tables.
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_format(s: &str) -> Result<Format, String> {
    s.parse().map_err(|e: tertulia_kpi::Error| e.to_string())
}

fn parse_grouping(s: &str) -> Result<Grouping, String> {
    s.parse().map_err(|e: tertulia_kpi::Error| e.to_string())
}

fn parse_engagement(s: &str) -> Result<Engagement, String> {
    let metrics = s
        .split(',')
        .map(str::parse::<Metric>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Engagement::new(metrics).map_err(|e| e.to_string())
}

/// What `tertulia kpi --json` prints.
#[derive(Debug, Serialize)]
struct FileReport {
    file: PathBuf,
    format: Format,
    ignored_columns: Vec<String>,
    #[serde(flatten)]
    report: KpiReport,
}

pub(crate) fn run(args: &KpiArgs) -> Result<(), CliError> {
    let input = &args.input;
    let import = input.read()?;
    let missing = if args.missing_as_zero {
        MissingCounts::AsZero
    } else {
        MissingCounts::Exclude
    };
    let confidence = Confidence::new(args.confidence).map_err(|e| input.error(e))?;
    let mut kpis = Kpis::new(KpiOptions {
        engagement: args.engagement.with_missing(missing),
        confidence,
        grouping: args.by,
        ..KpiOptions::from(input.tz)
    });
    for record in &import.records {
        kpis.add_post(record);
    }
    let report = FileReport {
        file: input.file.clone(),
        format: import.format,
        ignored_columns: import.ignored_columns,
        report: kpis.report(),
    };
    if args.json {
        return print_json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "KPIs of {} posts in {} ({})",
        count(report.report.posts.posts),
        input.file.display(),
        report.format
    );
    if !report.ignored_columns.is_empty() {
        let _ = writeln!(
            out,
            "Columns not used: {}",
            report.ignored_columns.join(", ")
        );
    }
    render(&mut out, &report.report);
    print_text(&out)
}

/// The whole KPI report as tables.
pub(crate) fn render(out: &mut String, r: &KpiReport) {
    let level = format!("{:.0}%", 100.0 * r.confidence);
    let _ = writeln!(
        out,
        "engagement = {} · days and hours in {} · [{level} intervals]\n",
        r.engagement, r.zone
    );
    render_posts(out, &r.posts, &level);

    let d = &r.daily_engagement;
    if d.used > 0 {
        let _ = writeln!(
            out,
            "Daily engagement rate (a day's engagement / the account's followers that day, {} account-days{}): {} as a ratio of sums, {} as the mean over days",
            count(d.used),
            left_out(d.missing, "days with a missing count"),
            estimate(d.ratio_of_sums, false),
            estimate(d.mean_of_rates, false),
        );
    }
    if !r.follower_growth.is_empty() {
        let growth: Vec<String> = r
            .follower_growth
            .iter()
            .map(|g| {
                format!(
                    "{} {} → {} ({})",
                    g.account,
                    count(g.span.first.1),
                    count(g.span.last.1),
                    g.growth_rate
                        .map_or("n/a".into(), |x| format!("{:+.2}%", 100.0 * x))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "Follower growth over the period: {}",
            growth.join("; ")
        );
    }

    if let Some(grouping) = r.grouping {
        let shown: Vec<Kpi> = HEADLINE
            .into_iter()
            .chain([Kpi::EngagementPerPost])
            .filter(|&k| r.posts.rate(k).ratio_of_sums.is_some())
            .collect();
        let _ = writeln!(
            out,
            "\nBy {grouping} (each cell: ratio of sums / mean of per-post rates){}",
            left_out(r.unplaced, "posts without what the grouping needs")
        );
        let mut header = vec!["group".to_owned(), "posts".to_owned()];
        header.extend(shown.iter().map(|k| k.formula().to_owned()));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut t = table(&header);
        for g in &r.groups {
            let mut row = vec![g.label.clone(), count(g.report.posts)];
            row.extend(shown.iter().map(|&k| {
                let rate = g.report.rate(k);
                format!(
                    "{} / {}",
                    value(rate.ratio_of_sums, k.is_per_post()),
                    value(rate.mean_of_rates, k.is_per_post())
                )
            }));
            t.add_row(row);
        }
        let _ = writeln!(out, "{t}");
    }

    let changes: Vec<_> = r
        .changes
        .iter()
        .filter_map(|c| Some((c, c.difference.ratio_of_sums?)))
        .collect();
    if !changes.is_empty() {
        let _ = writeln!(
            out,
            "\nPeriod over period. The pooled p treats every person reached as independent and calls\n\
             nearly any change significant; the per-post p (Welch) takes posts as the units: trust it."
        );
        let mut t = table(&[
            "period",
            "KPI",
            "before → now (ratio of sums)",
            "change",
            "p pooled",
            "p per post",
            "significant per post",
        ]);
        for (c, pooled) in changes {
            let per_post = c.difference.mean_of_rates;
            t.add_row(vec![
                c.period.to_string(),
                c.kpi.formula().to_owned(),
                format!("{} → {}", pct(pooled.a), pct(pooled.b)),
                pooled
                    .relative_change
                    .map_or("n/a".into(), |x| format!("{:+.1}%", 100.0 * x)),
                format!("{:.3}", pooled.p_value),
                per_post.map_or("n/a".into(), |p| format!("{:.3}", p.p_value)),
                match per_post {
                    Some(p) if p.significant => "yes",
                    Some(_) => "no",
                    None => "n/a",
                }
                .to_owned(),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }

    if let Some(m) = &r.mentions {
        let _ = writeln!(
            out,
            "\nMentions: {}; answered {} ({})",
            count(m.mentions),
            count(m.responded),
            estimate(m.response_rate, false)
        );
        if let Some(s) = &m.first_response {
            let _ = writeln!(out, "  first response, wall clock: {}", response(s));
        }
        if let (Some(s), Some(zone)) = (&m.first_response_business, &m.business_hours_zone) {
            let _ = writeln!(
                out,
                "  first response, business hours in {zone}: {}",
                response(s)
            );
        }
        let net = &m.net_sentiment;
        if net.including_neutral.is_some() {
            let _ = writeln!(
                out,
                "  net sentiment: {} without neutral in the denominator, {} with it{}",
                signed(net.excluding_neutral),
                signed(net.including_neutral),
                left_out(net.counts.unscored, "mentions not scored")
            );
        } else {
            let _ = writeln!(
                out,
                "  net sentiment: none of the {} mentions has a sentiment score",
                count(net.counts.unscored)
            );
        }
    }
}

/// The per-post KPI table.
fn render_posts(out: &mut String, p: &PostReport, level: &str) {
    let ros = format!("ratio of sums [{level}]");
    let mor = format!("mean of per-post rates [{level}]");
    let mut t = table(&["KPI", "formula", &ros, &mor, "posts used", "left out"]);
    let mut undefined = Vec::new();
    for (&kpi, rate) in &p.rates {
        if rate.used == 0 {
            undefined.push(kpi.name());
            continue;
        }
        t.add_row(vec![
            kpi.name().to_owned(),
            kpi.formula().to_owned(),
            estimate(rate.ratio_of_sums, kpi.is_per_post()),
            estimate(rate.mean_of_rates, kpi.is_per_post()),
            count(rate.used),
            omitted(rate),
        ]);
    }
    let _ = writeln!(out, "{t}");
    if !undefined.is_empty() {
        let _ = writeln!(
            out,
            "Undefined, no post reports what they need: {}",
            undefined.join(", ")
        );
    }
}

fn omitted(rate: &Rate) -> String {
    let mut parts = Vec::new();
    if rate.missing > 0 {
        parts.push(format!("{} missing", count(rate.missing)));
    }
    if rate.undefined > 0 {
        parts.push(format!("{} with denominator 0", count(rate.undefined)));
    }
    parts.join(", ")
}

fn left_out(n: u64, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("; {} {what} left out", count(n))
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}%", 100.0 * x)
}

/// A KPI figure for people: a count per post with two decimals, a rate as a
/// percentage with three.
pub(crate) fn figure(x: f64, per_post: bool) -> String {
    if per_post { format!("{x:.2}") } else { pct(x) }
}

/// An optional KPI figure: "undefined" when there is none.
pub(crate) fn value(e: Option<Estimate>, per_post: bool) -> String {
    e.map_or("undefined".into(), |e| figure(e.value, per_post))
}

fn estimate(e: Option<Estimate>, per_post: bool) -> String {
    let Some(est) = e else {
        return "undefined".into();
    };
    match est.interval {
        Some(i) if per_post => format!("{:.2} [{:.2}–{:.2}]", est.value, i.low, i.high),
        Some(i) => format!(
            "{} [{:.3}–{:.3}]",
            pct(est.value),
            100.0 * i.low,
            100.0 * i.high
        ),
        None => value(e, per_post),
    }
}

fn signed(e: Option<Estimate>) -> String {
    match e {
        None => "undefined".into(),
        Some(Estimate {
            value,
            interval: Some(i),
        }) => format!("{value:+.3} [{:+.3}, {:+.3}]", i.low, i.high),
        Some(e) => format!("{:+.3}", e.value),
    }
}

fn response(s: &ResponseSummary) -> String {
    format!(
        "mean {}, median {}, p90 {} over {} responses",
        duration(s.mean_seconds),
        duration(s.median_seconds),
        duration(s.p90_seconds),
        count(s.responses)
    )
}

/// Seconds for people: 45 s, 12 min, 3.5 h, 2.1 d.
pub(crate) fn duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 90.0 * 60.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 48.0 * 3600.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} d", seconds / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(duration(12.0), "12 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(3.0 * 3600.0), "3.0 h");
        assert_eq!(duration(3.0 * 86_400.0), "3.0 d");
        assert!(parse_engagement("likes,saves").is_ok());
        assert!(parse_engagement("likes,reach").is_err());
    }
}
