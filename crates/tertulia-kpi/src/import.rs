//! Reading post-level exports: Facebook Insights, and tertulia's own CSV and
//! JSON Lines forms of the core `Post`.
//!
//! Readers take any `std::io::Read`; opening files is the caller's business.
//! A missing cell stays missing. A cell that holds something else than its
//! column allows is an error that names the line and the column.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::{Metric, Metrics, Platform, Post, PostKind};

use crate::error::{Error, Result};
use crate::group::{PostRecord, Posted};

/// A file format the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A Facebook Insights post-level export (`;` or `,` separated), with
    /// Insights column names such as `Lifetime Post Total Reach`.
    FacebookInsights,
    /// tertulia's CSV: one post per row, columns named after the core `Post`
    /// fields and metrics (see [`read_csv`]).
    Csv,
    /// tertulia's JSON Lines: one core `Post` per line, as `tertulia
    /// simulate` writes them.
    Jsonl,
}

impl Format {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::FacebookInsights => "facebook-insights",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }

    /// The format a file most likely has, from its extension and first line:
    /// JSON Lines for `.jsonl`/`.json` or a line starting with `{`, Facebook
    /// Insights for a header with an Insights column, tertulia CSV otherwise.
    pub fn guess(extension: Option<&str>, first_line: &str) -> Format {
        let ext = extension.map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("jsonl" | "json" | "ndjson"))
            || first_line.trim_start().starts_with('{')
        {
            Format::Jsonl
        } else if first_line.to_ascii_lowercase().contains("lifetime") {
            Format::FacebookInsights
        } else {
            Format::Csv
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        [Format::FacebookInsights, Format::Csv, Format::Jsonl]
            .into_iter()
            .find(|f| f.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| Error::Setting {
                field: "format",
                value: s.to_owned(),
                expected: "use facebook-insights, csv or jsonl",
            })
    }
}

/// How to read an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// The zone of local times without an offset (the page's time zone for
    /// Facebook Insights). Default UTC.
    pub zone: Tz,
    /// Which weekday a `Post Weekday` of 1 means, when you know; the UCI
    /// data set does not say, so by default the numbers are kept as they
    /// are and reported as "day 1" to "day 7".
    pub weekday_one: Option<Weekday>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            zone: Tz::UTC,
            weekday_one: None,
        }
    }
}

/// What an import read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// The format read.
    pub format: Format,
    /// One record per post, in file order.
    pub records: Vec<PostRecord>,
    /// Header columns the format does not use, as written.
    pub ignored_columns: Vec<String>,
}

/// Reads `input` in `format`.
pub fn read(input: impl Read, format: Format, options: &ImportOptions) -> Result<Import> {
    match format {
        Format::FacebookInsights => read_facebook_insights(input, options),
        Format::Csv => read_csv(input, options),
        Format::Jsonl => read_jsonl(input),
    }
}

/// What a column of an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Metric(Metric),
    Followers,
    Kind,
    Paid,
    Month,
    Weekday,
    Hour,
    Posted,
    Platform,
    Account,
}

/// Facebook Insights column names (lower case) and what they hold. The UCI
/// "Facebook metrics" data set uses the first group; Meta's exports name
/// reactions, comments and shares as in the second.
const INSIGHTS_COLUMNS: &[(&str, Field)] = &[
    ("page total likes", Field::Followers),
    ("type", Field::Kind),
    ("post month", Field::Month),
    ("post weekday", Field::Weekday),
    ("post hour", Field::Hour),
    ("paid", Field::Paid),
    ("lifetime post total reach", Field::Metric(Metric::Reach)),
    (
        "lifetime post total impressions",
        Field::Metric(Metric::Impressions),
    ),
    (
        "lifetime engaged users",
        Field::Metric(Metric::EngagedUsers),
    ),
    ("lifetime post consumptions", Field::Metric(Metric::Clicks)),
    (
        "lifetime post total video views",
        Field::Metric(Metric::VideoViews),
    ),
    (
        "lifetime post video views",
        Field::Metric(Metric::VideoViews),
    ),
    (
        "lifetime post video complete views",
        Field::Metric(Metric::VideoCompletions),
    ),
    ("like", Field::Metric(Metric::Likes)),
    ("comment", Field::Metric(Metric::Comments)),
    ("share", Field::Metric(Metric::Shares)),
    ("reactions", Field::Metric(Metric::Likes)),
    ("comments", Field::Metric(Metric::Comments)),
    ("shares", Field::Metric(Metric::Shares)),
    ("posted", Field::Posted),
    ("page name", Field::Account),
];

/// Reads a Facebook Insights post-level export.
///
/// The separator (`;`, `,` or tab) is taken from the header. Known columns
/// (see the README) fill the record; others are listed as ignored. A
/// `Posted` column gives the instant, read in `options.zone`; without one,
/// `Post Month`, `Post Weekday` and `Post Hour` give what they can.
///
/// ```
/// use tertulia_kpi::import::{read_facebook_insights, ImportOptions};
/// use tertulia_core::Metric;
///
/// let file = "Type;Lifetime Post Total Reach;like;comment;share\r\nPhoto;2752;79;4;17\r\nStatus;10460;;5;29\r\n";
/// let import = read_facebook_insights(file.as_bytes(), &ImportOptions::default())?;
/// assert_eq!(import.records[0].metrics.get(Metric::Reach), Some(2752));
/// assert_eq!(import.records[1].metrics.get(Metric::Likes), None); // empty cell: missing
///
/// let bad = "Type;like\r\nPhoto;many\r\n";
/// let err = read_facebook_insights(bad.as_bytes(), &ImportOptions::default()).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column "like": "many" is not a whole number: write a count such as 42, or leave the cell empty if unknown"#);
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
pub fn read_facebook_insights(input: impl Read, options: &ImportOptions) -> Result<Import> {
    read_table(input, Format::FacebookInsights, options, |name| {
        INSIGHTS_COLUMNS
            .iter()
            .find(|(col, _)| *col == name)
            .map(|&(_, field)| field)
    })
}

/// Reads tertulia's CSV form of posts.
///
/// Columns, by header name, any order, all optional except `created_at`:
/// `platform`, `handle`, `followers`, `created_at` (RFC 3339, or a local time
/// `YYYY-MM-DD HH:MM[:SS]` read in `options.zone`), `kind`, `paid`
/// (`true`/`false`/`1`/`0`), and one column per metric named as
/// `tertulia_core::Metric` names them (`likes`, `comments`, `shares`,
/// `saves`, `clicks`, `impressions`, `reach`, `video_views`,
/// `video_completions`, `engaged_users`). Other columns (`id`, `text`, ...)
/// are ignored.
pub fn read_csv(input: impl Read, options: &ImportOptions) -> Result<Import> {
    let import = read_table(input, Format::Csv, options, |name| {
        Some(match name {
            "platform" => Field::Platform,
            "handle" | "account" => Field::Account,
            "followers" => Field::Followers,
            "created_at" => Field::Posted,
            "kind" => Field::Kind,
            "paid" => Field::Paid,
            other => Field::Metric(other.parse().ok()?),
        })
    })?;
    Ok(import)
}

/// Reads tertulia's JSON Lines form: one core `Post` per line; blank lines
/// are skipped.
pub fn read_jsonl(input: impl Read) -> Result<Import> {
    let mut text = String::new();
    let mut input = input;
    input.read_to_string(&mut text)?;
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let post: Post = serde_json::from_str(line).map_err(|source| Error::Json {
            line: i as u64 + 1,
            source,
        })?;
        records.push(PostRecord::from(&post));
    }
    Ok(Import {
        format: Format::Jsonl,
        records,
        ignored_columns: Vec::new(),
    })
}

fn read_table(
    input: impl Read,
    format: Format,
    options: &ImportOptions,
    field_of: impl Fn(&str) -> Option<Field>,
) -> Result<Import> {
    let mut text = String::new();
    let mut input = input;
    input.read_to_string(&mut text)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| header_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|source| Error::Csv { line: 1, source })?
        .clone();
    let mut fields = Vec::with_capacity(header.len());
    let mut ignored = Vec::new();
    for name in &header {
        let field = field_of(&name.trim().to_ascii_lowercase());
        if field.is_none() {
            ignored.push(name.to_owned());
        }
        fields.push(field);
    }
    let has_metric = fields.iter().any(|f| matches!(f, Some(Field::Metric(_))));
    if !has_metric {
        return Err(Error::Header {
            problem: format!(
                "names no metric column a {format} file has ({}); check the format and the separator",
                match format {
                    Format::FacebookInsights => "such as Lifetime Post Total Reach or like",
                    _ => "such as likes, comments, shares or reach",
                }
            ),
        });
    }
    if format == Format::Csv && !fields.contains(&Some(Field::Posted)) {
        return Err(Error::Header {
            problem: "has no created_at column: add the publishing time of each post".into(),
        });
    }

    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|source| Error::Csv {
            line: source.position().map_or(0, |p| line_at(text, p.byte())),
            source,
        })?;
        let start = row.position().map_or(0, |p| p.byte());
        let mut record = PostRecord {
            platform: (format == Format::FacebookInsights).then_some(Platform::Facebook),
            account: None,
            kind: PostKind::default(),
            posted: Posted::default(),
            followers: None,
            paid: None,
            metrics: Metrics::default(),
        };
        for ((cell, field), name) in row.iter().zip(&fields).zip(&header) {
            let (Some(field), value) = (field, cell.trim()) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let bad = |problem: &str| Error::Cell {
                line: line_at(text, start),
                column: name.to_owned(),
                value: value.to_owned(),
                problem: problem.to_owned(),
            };
            let count = || -> Result<u64> {
                parse_count(value).ok_or_else(|| {
                    bad("is not a whole number: write a count such as 42, or leave the cell empty if unknown")
                })
            };
            let within = |range: std::ops::RangeInclusive<u64>, what: &str| -> Result<u64> {
                let v = count()?;
                if range.contains(&v) {
                    Ok(v)
                } else {
                    Err(bad(&format!("is not a valid {what}")))
                }
            };
            match *field {
                Field::Metric(metric) => record.metrics.set(metric, Some(count()?)),
                Field::Followers => record.followers = Some(count()?),
                Field::Kind => {
                    record.kind = value.parse().map_err(|e: tertulia_core::Error| bad(&e.to_string()))?
                }
                Field::Paid => {
                    record.paid = Some(match value.to_ascii_lowercase().as_str() {
                        "1" | "1.0" | "true" | "yes" => true,
                        "0" | "0.0" | "false" | "no" => false,
                        _ => return Err(bad("is not paid or organic: write 1 or 0, true or false")),
                    })
                }
                Field::Month => record.posted.month = Some(within(1..=12, "month (1-12)")? as u32),
                Field::Hour => record.posted.hour = Some(within(0..=23, "hour (0-23)")? as u32),
                Field::Weekday => {
                    let n = within(1..=7, "weekday (1-7)")? as u8;
                    match options.weekday_one {
                        Some(first) => {
                            let mut day = first;
                            for _ in 1..n {
                                day = day.succ();
                            }
                            record.posted.weekday = Some(day);
                        }
                        None => record.posted.day_number = Some(n),
                    }
                }
                Field::Posted => {
                    record.posted.at = Some(parse_time(value, options.zone).ok_or_else(|| {
                        bad("is not a date and time: write RFC 3339 (2026-03-05T18:00:00Z) or local YYYY-MM-DD HH:MM:SS or MM/DD/YYYY HH:MM:SS AM")
                    })?)
                }
                Field::Platform => {
                    record.platform = Some(value.parse().map_err(|e: tertulia_core::Error| bad(&e.to_string()))?)
                }
                Field::Account => record.account = Some(value.trim_start_matches('@').to_owned()),
            }
        }
        records.push(record);
    }
    Ok(Import {
        format,
        records,
        ignored_columns: ignored,
    })
}

/// A count written as a whole number, also as `12.0` (spreadsheets do that).
fn parse_count(value: &str) -> Option<u64> {
    value.parse::<u64>().ok().or_else(|| {
        let v: f64 = value.parse().ok()?;
        // 2^64: every whole f64 below it fits in a u64.
        (v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0).then_some(v as u64)
    })
}

/// The line (from 1) holding byte `offset` of `text`. Counted only when an
/// error is reported, and right whatever the line ends and however many lines
/// a quoted cell spans.
fn line_at(text: &str, offset: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
    // After a CRLF the reader may place a record at its '\n'.
    while end < bytes.len() && matches!(bytes[end], b'\r' | b'\n') {
        end += 1;
    }
    1 + bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64
}

/// An instant from RFC 3339, or from a local time in `zone` (the earlier
/// instant when clocks go back; none in a gap).
fn parse_time(value: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.to_utc());
    }
    const LOCAL: [&str; 5] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M",
    ];
    LOCAL.iter().find_map(|f| {
        let local = NaiveDateTime::parse_from_str(value, f).ok()?;
        Some(zone.from_local_datetime(&local).earliest()?.to_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tertulia_csv_reads_core_fields_and_names_bad_cells() {
        let file = "id,platform,handle,followers,created_at,kind,paid,likes,comments,shares,reach,text\n\
                    p1,bluesky,@aurora,1200,2026-03-05T18:00:00Z,photo,false,40,2,1,,hola\n\
                    p2,mastodon,aurora,1210,2026-03-06 09:30,video,1,7,0,0,300,\n";
        let zone: Tz = "Europe/Madrid".parse().unwrap();
        let options = ImportOptions {
            zone,
            ..ImportOptions::default()
        };
        let import = read_csv(file.as_bytes(), &options).unwrap();
        assert_eq!(import.ignored_columns, ["id", "text"]);
        let [a, b] = &import.records[..] else {
            panic!("two records")
        };
        assert_eq!(a.platform, Some(Platform::Bluesky));
        assert_eq!(a.account.as_deref(), Some("aurora"));
        assert_eq!(a.metrics.reach, None);
        assert_eq!(b.paid, Some(true));
        assert_eq!(b.kind, PostKind::Video);
        // 09:30 in Madrid in March is 08:30 UTC.
        assert_eq!(
            b.posted.at.unwrap().to_rfc3339(),
            "2026-03-06T08:30:00+00:00"
        );

        let bad = file.replace("photo", "gif");
        let err = read_csv(bad.as_bytes(), &options).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2, column \"kind\": \"gif\""),
            "{err}"
        );
        let bad = file.replace("2026-03-06 09:30", "yesterday");
        let err = read_csv(bad.as_bytes(), &options).unwrap_err();
        assert!(
            err.to_string().starts_with("line 3, column \"created_at\""),
            "{err}"
        );
        let no_time = "likes\n3\n";
        assert!(matches!(
            read_csv(no_time.as_bytes(), &options),
            Err(Error::Header { .. })
        ));
        let ragged = "created_at,likes\n2026-03-05T18:00:00Z,1,2\n";
        let err = read_csv(ragged.as_bytes(), &options).unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: not well-formed CSV"),
            "{err}"
        );
    }

    #[test]
    fn insights_weekdays_and_ranges() {
        let file = "Post Weekday,Post Hour,Post Month,like\n1,0,12,5\n";
        let options = ImportOptions {
            weekday_one: Some(Weekday::Sun),
            ..ImportOptions::default()
        };
        let import = read_facebook_insights(file.as_bytes(), &options).unwrap();
        let posted = import.records[0].posted;
        assert_eq!(
            (posted.weekday, posted.hour, posted.month),
            (Some(Weekday::Sun), Some(0), Some(12))
        );
        let err =
            read_facebook_insights("Post Hour;like\n24;1\n".as_bytes(), &options).unwrap_err();
        assert!(err.to_string().contains("not a valid hour"), "{err}");
        let err = read_facebook_insights("Name;Age\nx;1\n".as_bytes(), &options).unwrap_err();
        assert!(err.to_string().contains("names no metric column"), "{err}");
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let err = read_jsonl("\n{\"id\":1}\n".as_bytes()).unwrap_err();
        assert!(
            err.to_string().starts_with("line 2: not a post in JSON"),
            "{err}"
        );
        assert_eq!(Format::guess(Some("jsonl"), ""), Format::Jsonl);
        assert_eq!(
            Format::guess(None, "Type;Lifetime Post Total Reach"),
            Format::FacebookInsights
        );
        assert_eq!(Format::guess(Some("csv"), "created_at,likes"), Format::Csv);
    }
}
