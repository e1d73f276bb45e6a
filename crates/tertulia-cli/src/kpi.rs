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
use tertulia_kpi::import::{self, DateOrder, Format, ImportOptions};
use tertulia_kpi::{
    Confidence, Engagement, Estimate, Grouping, HEADLINE, Kpi, KpiOptions, KpiReport, Kpis,
    MissingCounts, PostReport, Rate, ResponseSummary,
};

use crate::CliError;
use crate::community::parse_zone;
use crate::output::{count, plural, print_json, print_text, table, warn};

/// A post-level export to read, as every command that measures takes it.
/// The zone its local times are read in is each command's own option.
#[derive(Debug, Args)]
pub(crate) struct Input {
    /// The export to read: a Facebook Insights CSV, tertulia CSV or JSON Lines of posts (or
    /// none, with --db).
    #[arg(required_unless_present = "db")]
    pub file: Option<PathBuf>,
    /// Read what the publishing queue published instead of a file: the store (a SQLite file, or
    /// postgres://...), with each post's latest metric snapshot.
    #[arg(long, conflicts_with_all = ["format", "weekday_one", "date_order"])]
    pub db: Option<String>,
    /// With --db: only this channel's posts.
    #[arg(long, requires = "db")]
    pub channel: Option<String>,
    /// The file's format (default: guessed from its extension and header).
    #[arg(long, value_parser = choice::<Format>(["facebook-insights", "csv", "jsonl"]))]
    pub format: Option<Format>,
    /// Which weekday a Facebook Insights "Post Weekday" of 1 means, if known.
    #[arg(long, value_name = "DAY", value_parser = weekdays())]
    pub weekday_one: Option<Weekday>,
    /// Whether numeric dates such as 05/03/2026 put the day first (dmy: 5 March) or the month
    /// (mdy: 3 May). Needed only when no date of the file has a day above 12.
    #[arg(long, value_name = "ORDER", value_parser = choice::<DateOrder>(["dmy", "mdy"]))]
    pub date_order: Option<DateOrder>,
    /// Leave out rows that cannot be read, each listed with its line and reason on standard
    /// error, instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

impl Input {
    /// The file's records, read in its (given or guessed) format, with local
    /// times in `zone`. Rows skipped, posts dated in the future and columns
    /// that look misspelt are said on standard error.
    pub fn read(&self, zone: Tz) -> Result<import::Import, CliError> {
        let (Some(path), None) = (&self.file, &self.db) else {
            return match &self.db {
                Some(db) => self.read_store(db),
                None => Err(CliError::Usage("give a FILE to read, or --db".into())),
            };
        };
        let read_error = |source| CliError::Read {
            path: path.clone(),
            source,
        };
        let file = File::open(path).map_err(read_error)?;
        let mut input = BufReader::new(file);
        let format = match self.format {
            Some(f) => f,
            None => {
                let first = input.fill_buf().map_err(read_error)?;
                let first = String::from_utf8_lossy(first);
                let ext = path.extension().and_then(|e| e.to_str());
                Format::guess(ext, first.lines().next().unwrap_or(""))
            }
        };
        let options = ImportOptions {
            zone,
            weekday_one: self.weekday_one,
            date_order: self.date_order,
            skip_bad_rows: self.skip_bad_rows,
        };
        let import = import::read(input, format, &options).map_err(|source| self.error(source))?;
        let file = path.display();
        for s in &import.skipped {
            eprintln!("tertulia: {file}: skipped {}", s.problem);
        }
        if import.records.is_empty() {
            return Err(CliError::Usage(format!(
                "{file}: no row could be read ({} skipped, see above)",
                plural(import.skipped.len() as u64, "row", "rows")
            )));
        }
        if !import.skipped.is_empty() {
            warn(&format!(
                "{file}: {} skipped, {} read",
                plural(import.skipped.len() as u64, "row", "rows"),
                count(import.records.len() as u64)
            ));
        }
        for column in &import.ignored_columns {
            if let Some(meant) = import::Import::meant(import.format, column) {
                warn(&format!(
                    "{file}: column {column:?} is not used: did you mean {meant:?}?"
                ));
            }
        }
        // A post from the future is a date read wrongly, and it would turn
        // the latest follower count (and so the growth) into its own.
        let tomorrow = chrono::Utc::now() + chrono::TimeDelta::days(1);
        let future: Vec<u64> = import
            .records
            .iter()
            .zip(&import.lines)
            .filter(|(r, _)| r.posted.at.is_some_and(|at| at > tomorrow))
            .map(|(_, &line)| line)
            .collect();
        if let Some(first) = future.first() {
            warn(&format!(
                "{file}: {} dated in the future (first on line {first}): check the dates and the date order; follower growth ends at the latest post",
                plural(future.len() as u64, "post is", "posts are")
            ));
        }
        Ok(import)
    }

    /// What is read, for titles and errors: the file, or the store.
    pub fn label(&self) -> PathBuf {
        match &self.db {
            Some(db) => PathBuf::from(match &self.channel {
                Some(c) => format!("{db} (published on {c})"),
                None => format!("{db} (published)"),
            }),
            None => self.file.clone().unwrap_or_default(),
        }
    }

    /// The queue's published history, as records.
    fn read_store(&self, db: &str) -> Result<import::Import, CliError> {
        let is_file = !db.contains("://") || db.starts_with("sqlite:");
        let path = db
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        if is_file && !std::path::Path::new(path).exists() {
            return Err(CliError::Usage(format!(
                "{db}: there is no store there; give the --db that `tertulia run` uses"
            )));
        }
        let store_error = |e: tertulia_store::Error| CliError::Usage(e.to_string());
        let posts = crate::connect::runtime()?.block_on(async {
            let store = tertulia_store::Store::open(db).await.map_err(store_error)?;
            store
                .published_history(self.channel.as_deref())
                .await
                .map_err(store_error)
        })?;
        if posts.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: nothing published yet; `tertulia run` publishes the queue and reads its metrics",
                self.label().display()
            )));
        }
        Ok(import::Import {
            format: Format::Jsonl,
            lines: (1..=posts.len() as u64).collect(),
            records: posts.iter().map(tertulia_kpi::PostRecord::from).collect(),
            ignored_columns: Vec::new(),
            skipped: Vec::new(),
            date_order: None,
        })
    }

    /// An error about this file or a setting used on it.
    pub fn error(&self, source: tertulia_kpi::Error) -> CliError {
        if matches!(source, tertulia_kpi::Error::AmbiguousDate { .. }) {
            return CliError::Usage(format!(
                "{}: {source} with --date-order dmy or mdy",
                self.label().display()
            ));
        }
        CliError::Kpi {
            path: self.label(),
            source: Box::new(source),
        }
    }
}

/// A parser that takes one of `names` (which `--help` lists) and reads it
/// as a `T`.
pub(crate) fn choice<T>(
    names: impl IntoIterator<Item = &'static str>,
) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names)
        .try_map(|s: String| s.parse::<T>().map_err(|e| e.to_string()))
}

/// The weekdays by name, with their short forms.
fn weekdays() -> impl clap::builder::TypedValueParser<Value = Weekday> {
    use clap::builder::{PossibleValue, TypedValueParser};
    let days = [
        ("monday", "mon"),
        ("tuesday", "tue"),
        ("wednesday", "wed"),
        ("thursday", "thu"),
        ("friday", "fri"),
        ("saturday", "sat"),
        ("sunday", "sun"),
    ];
    clap::builder::PossibleValuesParser::new(
        days.map(|(long, short)| PossibleValue::new(long).alias(short)),
    )
    .try_map(|s: String| {
        s.parse::<Weekday>()
            .map_err(|_| format!("{s:?} is not a weekday"))
    })
}

/// A probability strictly between 0 and 1, for `--level` and `--confidence`.
pub(crate) fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err(format!(
            "{s:?} is not a probability strictly between 0 and 1, such as 0.9"
        )),
    }
}

/// Options of `tertulia kpi`.
#[derive(Debug, Args)]
pub(crate) struct KpiArgs {
    #[command(flatten)]
    input: Input,
    /// The IANA time zone of days, weekdays and hours, and of local times in the file.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = parse_zone)]
    tz: Tz,
    /// Break the KPIs down by a grouping.
    #[arg(long, value_name = "GROUPING", value_parser = choice::<Grouping>(
        ["kind", "weekday", "hour", "day", "week", "month", "platform", "account", "paid"]))]
    by: Option<Grouping>,
    /// The interactions that count as engagement, comma-separated, from likes, comments, shares,
    /// saves, clicks, video_views, video_completions and engaged_users.
    #[arg(long, value_name = "METRICS", default_value = "likes,comments,shares", value_parser = parse_engagement)]
    engagement: Engagement,
    /// Count a missing interaction as 0, as many tools do, to compare with their figures.
    #[arg(long)]
    missing_as_zero: bool,
    /// The confidence level of intervals and tests, between 0 and 1.
    #[arg(long, default_value_t = 0.95, value_parser = parse_probability)]
    confidence: f64,
    /// Print JSON with every figure instead of tables.
    #[arg(long)]
    json: bool,
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
    let import = input.read(args.tz)?;
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
        ..KpiOptions::from(args.tz)
    });
    for record in &import.records {
        kpis.add_post(record);
    }
    let report = FileReport {
        file: input.label(),
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
        "KPIs of {} in {}",
        plural(report.report.posts.posts, "post", "posts"),
        match input.db {
            Some(_) => input.label().display().to_string(),
            None => format!("{} ({})", input.label().display(), report.format),
        }
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
                "  net sentiment: none of the {} has a sentiment score",
                plural(net.counts.unscored, "mention", "mentions")
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
