//! Reading post-level exports: Facebook Insights, and tertulia's own CSV and
//! JSON Lines forms of the core `Post`.
//!
//! Readers take any `std::io::Read`; opening files is the caller's business.
//! A missing cell stays missing. A cell that holds something else than its
//! column allows is an error that names the line and the column, or, with
//! [`ImportOptions::skip_bad_rows`], a row left out and listed in
//! [`Import::skipped`], never silently.
//!
//! Publishing times are read in the forms exports write them (see
//! [`DateOrder`] for dates such as `05/03/2026`, which a file must make
//! unambiguous).

mod when;

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::{Metric, Metrics, Platform, Post, PostKind};

use crate::error::{Error, Result};
use crate::group::{PostRecord, Posted};
pub use when::DateOrder;
use when::{FORMATS, Stamp, file_order};

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
    /// Whether numeric dates (`05/03/2026`) put the day or the month first.
    /// `None` (the default): the file must show it, by a date whose day is
    /// above 12; a date that reads two ways in a file that does not is an
    /// error ([`Error::AmbiguousDate`]), never a guess.
    pub date_order: Option<DateOrder>,
    /// Leave out a row that cannot be read, and list it in
    /// [`Import::skipped`] with its line and reason, instead of stopping at
    /// it. Default `false`.
    pub skip_bad_rows: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            zone: Tz::UTC,
            weekday_one: None,
            date_order: None,
            skip_bad_rows: false,
        }
    }
}

/// A row left out by [`ImportOptions::skip_bad_rows`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Its line in the file, counting a header as line 1.
    pub line: u64,
    /// Why, as the error would have said it.
    pub problem: String,
}

/// What an import read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// The format read.
    pub format: Format,
    /// One record per post, in file order.
    pub records: Vec<PostRecord>,
    /// The line of the file each record was read from.
    pub lines: Vec<u64>,
    /// Header columns the format does not use, as written.
    pub ignored_columns: Vec<String>,
    /// Rows left out, with why (only with [`ImportOptions::skip_bad_rows`]).
    pub skipped: Vec<Skipped>,
    /// The order numeric dates were read in: the one given, or the one the
    /// file showed; `None` when it holds no numeric date that needs one.
    pub date_order: Option<DateOrder>,
}

impl Import {
    /// The column a header name that is not used was probably meant to be,
    /// in `format` (one or two letters off, as `lieks` for `likes`).
    ///
    /// ```
    /// use tertulia_kpi::import::{Format, Import};
    ///
    /// assert_eq!(Import::meant(Format::Csv, "lieks"), Some("likes"));
    /// assert_eq!(Import::meant(Format::Csv, "text"), None);
    /// ```
    pub fn meant(format: Format, column: &str) -> Option<&'static str> {
        let column = column.trim().to_ascii_lowercase();
        let names: Vec<&'static str> = match format {
            Format::FacebookInsights => INSIGHTS_COLUMNS.iter().map(|(n, _)| *n).collect(),
            _ => CSV_COLUMNS
                .iter()
                .copied()
                .chain(Metric::ALL.iter().map(|m| m.name()))
                .collect(),
        };
        names
            .into_iter()
            .filter(|n| *n != column)
            .map(|n| (edits(&column, n), n))
            .filter(|&(d, n)| d <= if n.len() > 6 { 2 } else { 1 })
            .min_by_key(|&(d, _)| d)
            .map(|(_, n)| n)
    }
}

/// The names tertulia's CSV reads besides the metrics.
const CSV_COLUMNS: [&str; 7] = [
    "platform",
    "handle",
    "account",
    "followers",
    "created_at",
    "kind",
    "paid",
];

/// The edit distance of two short names (insertions, deletions,
/// substitutions and swaps of neighbours).
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Reads `input` in `format`.
pub fn read(input: impl Read, format: Format, options: &ImportOptions) -> Result<Import> {
    match format {
        Format::FacebookInsights => read_facebook_insights(input, options),
        Format::Csv => read_csv(input, options),
        Format::Jsonl => read_jsonl(input, options),
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
/// are skipped. Only [`ImportOptions::skip_bad_rows`] applies.
pub fn read_jsonl(input: impl Read, options: &ImportOptions) -> Result<Import> {
    let mut text = String::new();
    let mut input = input;
    input.read_to_string(&mut text)?;
    let mut import = Import {
        format: Format::Jsonl,
        records: Vec::new(),
        lines: Vec::new(),
        ignored_columns: Vec::new(),
        skipped: Vec::new(),
        date_order: None,
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_number = i as u64 + 1;
        match serde_json::from_str::<Post>(line) {
            Ok(post) => {
                import.records.push(PostRecord::from(&post));
                import.lines.push(line_number);
            }
            Err(source) => {
                let e = Error::Json {
                    line: line_number,
                    source,
                };
                if !options.skip_bad_rows {
                    return Err(e);
                }
                import.skipped.push(Skipped {
                    line: line_number,
                    problem: e.to_string(),
                });
            }
        }
    }
    if import.records.is_empty() && import.skipped.is_empty() {
        return Err(Error::Empty {
            problem: "the file is empty: it holds no post (one core Post as JSON a line)",
        });
    }
    Ok(import)
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
    if text.trim().is_empty() {
        return Err(Error::Empty {
            problem: "the file is empty: it has no header and no rows",
        });
    }
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
        let meant: Vec<String> = ignored
            .iter()
            .filter_map(|c| {
                Some(format!(
                    "{c:?} (did you mean {:?}?)",
                    Import::meant(format, c)?
                ))
            })
            .collect();
        return Err(Error::Header {
            problem: format!(
                "names no metric column a {format} file has ({}){}; check the format and the separator",
                match format {
                    Format::FacebookInsights => "such as Lifetime Post Total Reach or like",
                    _ => "such as likes, comments, shares or reach",
                },
                if meant.is_empty() {
                    String::new()
                } else {
                    format!(": {}", meant.join(", "))
                }
            ),
        });
    }
    let posted = fields.iter().position(|f| *f == Some(Field::Posted));
    if format == Format::Csv && posted.is_none() {
        return Err(Error::Header {
            problem: "has no created_at column: add the publishing time of each post".into(),
        });
    }

    // Every row first: the time cells together say the file's date order.
    let mut rows = Vec::new();
    for row in reader.records() {
        rows.push(match row {
            Ok(row) => {
                let line = line_at(text, row.position().map_or(0, |p| p.byte()));
                let stamp = posted.and_then(|i| Stamp::read(row.get(i)?));
                (line, Ok((row, stamp)))
            }
            Err(source) => {
                let line = source.position().map_or(0, |p| line_at(text, p.byte()));
                (line, Err(Error::Csv { line, source }))
            }
        });
    }
    if rows.is_empty() {
        return Err(Error::Empty {
            problem: "the file has a header but no rows: export it with its posts",
        });
    }
    let order = file_order(
        options.date_order,
        rows.iter()
            .filter_map(|(line, r)| Some((*line, r.as_ref().ok()?.1.as_ref()?))),
    )?;

    let mut import = Import {
        format,
        records: Vec::with_capacity(rows.len()),
        lines: Vec::with_capacity(rows.len()),
        ignored_columns: ignored,
        skipped: Vec::new(),
        date_order: order,
    };
    for (line, row) in rows {
        let record = row.and_then(|(row, stamp)| {
            record(&row, stamp, line, format, options, order, &fields, &header)
        });
        match record {
            Ok(r) => {
                import.records.push(r);
                import.lines.push(line);
            }
            Err(e) if options.skip_bad_rows => import.skipped.push(Skipped {
                line,
                problem: e.to_string(),
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(import)
}

/// One row of a table as a record.
#[allow(clippy::too_many_arguments)]
fn record(
    row: &csv::StringRecord,
    stamp: Option<Stamp>,
    line: u64,
    format: Format,
    options: &ImportOptions,
    order: Option<DateOrder>,
    fields: &[Option<Field>],
    header: &csv::StringRecord,
) -> Result<PostRecord> {
    let mut record = PostRecord {
        platform: (format == Format::FacebookInsights).then_some(Platform::Facebook),
        account: None,
        kind: PostKind::default(),
        posted: Posted::default(),
        followers: None,
        paid: None,
        metrics: Metrics::default(),
    };
    for ((cell, field), name) in row.iter().zip(fields).zip(header) {
        let (Some(field), value) = (field, cell.trim()) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let bad = |problem: &str| Error::Cell {
            line,
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
                record.kind = value
                    .parse()
                    .map_err(|e: tertulia_core::Error| bad(&e.to_string()))?
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
                let Some(stamp) = stamp else {
                    return Err(bad(&format!("is not a date and time: {FORMATS}")));
                };
                record.posted.at = Some(stamp.resolve(options.zone, order).map_err(|problem| {
                    if stamp.ambiguous() && order.is_none() {
                        let (first, second) = stamp.readings();
                        Error::AmbiguousDate {
                            line,
                            column: name.to_owned(),
                            value: value.to_owned(),
                            first,
                            second,
                        }
                    } else {
                        bad(&problem)
                    }
                })?);
            }
            Field::Platform => {
                record.platform = Some(
                    value
                        .parse()
                        .map_err(|e: tertulia_core::Error| bad(&e.to_string()))?,
                )
            }
            Field::Account => record.account = Some(value.trim_start_matches('@').to_owned()),
        }
    }
    Ok(record)
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
        let err = read_jsonl("\n{\"id\":1}\n".as_bytes(), &ImportOptions::default()).unwrap_err();
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

    #[test]
    fn empty_files_and_files_without_rows_say_so() {
        let o = ImportOptions::default();
        for empty in ["", "\n\n", "\u{feff}"] {
            let err = read_csv(empty.as_bytes(), &o).unwrap_err();
            assert!(matches!(err, Error::Empty { .. }), "{err}");
            assert!(err.to_string().contains("is empty"), "{err}");
        }
        let err = read_csv("created_at,likes\n".as_bytes(), &o).unwrap_err();
        assert!(err.to_string().contains("header but no rows"), "{err}");
        let err = read_jsonl("".as_bytes(), &o).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }

    #[test]
    fn bad_rows_are_skipped_and_listed_only_when_asked() {
        let file = "created_at,likes\n2026-03-05T18:00:00Z,4\n2026-03-05T19:00:00Z,-4\nnot a time,3\n2026-03-06T10:00:00Z,1,9\n2026-03-07T10:00:00Z,2\n";
        let err = read_csv(file.as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("line 3, column \"likes\""),
            "{err}"
        );
        let options = ImportOptions {
            skip_bad_rows: true,
            ..ImportOptions::default()
        };
        let import = read_csv(file.as_bytes(), &options).unwrap();
        assert_eq!(import.records.len(), 2);
        assert_eq!(import.lines, [2, 6]);
        let lines: Vec<u64> = import.skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(
            import.skipped[0].problem.contains("-4"),
            "{:?}",
            import.skipped
        );
        assert!(
            import.skipped[1].problem.contains("not a date"),
            "{:?}",
            import.skipped
        );
        let jsonl = "{\"oops\":1}\n";
        let import = read_jsonl(jsonl.as_bytes(), &options).unwrap();
        assert!(import.records.is_empty());
        assert_eq!(import.skipped[0].line, 1);
    }

    #[test]
    fn numeric_dates_follow_the_file_or_are_refused() {
        let o = ImportOptions::default();
        // 3 May or 5 March? Nothing in the file says: refused, never guessed.
        let one = "created_at,likes\n05/03/2026 18:00,4\n";
        let err = read_csv(one.as_bytes(), &o).unwrap_err();
        assert!(matches!(err, Error::AmbiguousDate { .. }), "{err}");
        assert!(
            err.to_string().contains("5 March 2026 or 3 May 2026"),
            "{err}"
        );
        // Another row shows the day comes first.
        let two = "created_at,likes\n05/03/2026 18:00,4\n25/03/2026 18:00,1\n";
        let import = read_csv(two.as_bytes(), &o).unwrap();
        assert_eq!(import.date_order, Some(DateOrder::DayFirst));
        assert_eq!(
            import.records[0].posted.at.unwrap().to_rfc3339(),
            "2026-03-05T18:00:00+00:00"
        );
        // Or the caller says so.
        let us = ImportOptions {
            date_order: Some(DateOrder::MonthFirst),
            ..o
        };
        let import = read_csv(one.as_bytes(), &us).unwrap();
        assert_eq!(
            import.records[0].posted.at.unwrap().to_rfc3339(),
            "2026-05-03T18:00:00+00:00"
        );
        // A file that writes both orders is refused with both lines.
        let mixed = "created_at,likes\n25/03/2026 18:00,4\n03/25/2026 18:00,1\n";
        let err = read_csv(mixed.as_bytes(), &o).unwrap_err();
        assert!(
            err.to_string().contains("line 2") && err.to_string().contains("line 3"),
            "{err}"
        );
        // Times without a zone are read in the file's zone.
        let local = "created_at,likes\n2014-01-21T20:26:05.383,4\n";
        let madrid = ImportOptions {
            zone: "Europe/Madrid".parse().unwrap(),
            ..o
        };
        let import = read_csv(local.as_bytes(), &madrid).unwrap();
        assert_eq!(
            import.records[0].posted.at.unwrap().to_rfc3339(),
            "2014-01-21T19:26:05.383+00:00"
        );
    }

    #[test]
    fn a_misspelt_column_is_named_with_what_it_was_meant_to_be() {
        let err = read_csv(
            "created_at,lieks\n2026-03-05T18:00:00Z,4\n".as_bytes(),
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("\"lieks\" (did you mean \"likes\"?)"),
            "{err}"
        );
        assert_eq!(Import::meant(Format::Csv, "crated_at"), Some("created_at"));
        assert_eq!(
            Import::meant(Format::FacebookInsights, "Lifetime Post Total Rech"),
            Some("lifetime post total reach")
        );
        assert_eq!(Import::meant(Format::Csv, "id"), None);
    }
}
