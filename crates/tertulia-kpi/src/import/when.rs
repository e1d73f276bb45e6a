//! Publishing times as exports write them: RFC 3339 and ISO 8601 with or
//! without an offset, Unix seconds, Twitter's classic form, and numeric
//! dates whose day and month order a file must make clear.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::local_instant;

use crate::error::{Error, Result};

/// Which comes first in a numeric date such as `05/03/2026`: the day (5
/// March, as most of the world writes it) or the month (3 May, as the
/// United States does).
///
/// ```
/// use tertulia_kpi::import::DateOrder;
///
/// assert_eq!("dmy".parse::<DateOrder>()?, DateOrder::DayFirst);
/// assert_eq!("month-first".parse::<DateOrder>()?, DateOrder::MonthFirst);
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Day, month, year: `05/03/2026` is 5 March.
    DayFirst,
    /// Month, day, year: `05/03/2026` is 3 May.
    MonthFirst,
}

impl DateOrder {
    /// The name used on the command line: `dmy` or `mdy`.
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::DayFirst => "dmy",
            DateOrder::MonthFirst => "mdy",
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateOrder::DayFirst => "day first (dmy)",
            DateOrder::MonthFirst => "month first (mdy)",
        })
    }
}

impl FromStr for DateOrder {
    type Err = Error;
    fn from_str(s: &str) -> Result<DateOrder> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "dmy" | "day-first" | "day" => Ok(DateOrder::DayFirst),
            "mdy" | "month-first" | "month" => Ok(DateOrder::MonthFirst),
            _ => Err(Error::Setting {
                field: "date order",
                value: s.to_owned(),
                expected: "use dmy (day first: 05/03/2026 is 5 March) or mdy (month first: 3 May)",
            }),
        }
    }
}

/// A time cell, read as far as it can be without knowing the file's date
/// order or zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// An instant: the cell says its offset, or is Unix time.
    At(DateTime<Utc>),
    /// A local date and time, in the file's zone.
    Local(NaiveDateTime),
    /// A numeric date whose first two numbers may be day and month or month
    /// and day.
    Numeric {
        first: u32,
        second: u32,
        year: i32,
        time: NaiveTime,
    },
}

/// What a cell that could not be read as a time was.
pub(crate) const FORMATS: &str = "write RFC 3339 (2026-03-05T18:00:00Z), a local \
    YYYY-MM-DD HH:MM[:SS[.fff]] read in the file's zone, DD/MM/YYYY or MM/DD/YYYY HH:MM[:SS] [AM|PM], \
    or Unix seconds";

impl Stamp {
    /// Reads a cell; `None` when it is no time this module knows.
    pub(crate) fn read(value: &str) -> Option<Stamp> {
        let value = value.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(value) {
            return Some(Stamp::At(at.to_utc()));
        }
        const WITH_OFFSET: [&str; 4] = [
            "%Y-%m-%dT%H:%M:%S%.f%z",
            "%Y-%m-%d %H:%M:%S%.f%z",
            "%Y-%m-%d %H:%M:%S%.f %z",
            // Twitter's API before 2023: "Wed Aug 27 13:08:45 +0000 2008".
            "%a %b %d %H:%M:%S %z %Y",
        ];
        if let Some(at) = WITH_OFFSET
            .iter()
            .find_map(|f| DateTime::parse_from_str(value, f).ok())
        {
            return Some(Stamp::At(at.to_utc()));
        }
        if let Some(at) = unix(value) {
            return Some(Stamp::At(at));
        }
        // A zone written as a name that means UTC: "2014-01-21 20:26:05 UTC".
        for suffix in [" UTC", " GMT", "Z"] {
            if let Some(local) = value.strip_suffix(suffix).and_then(iso_local) {
                return Some(Stamp::At(local.and_utc()));
            }
        }
        if let Some(local) = iso_local(value) {
            return Some(Stamp::Local(local));
        }
        numeric(value)
    }

    /// What this cell says of the file's date order: a first number above
    /// 12 is a day, a second above 12 is one too.
    pub(crate) fn order(&self) -> Option<DateOrder> {
        match *self {
            Stamp::Numeric { first, .. } if first > 12 => Some(DateOrder::DayFirst),
            Stamp::Numeric { second, .. } if second > 12 => Some(DateOrder::MonthFirst),
            _ => None,
        }
    }

    /// Whether the date reads differently in the two orders.
    pub(crate) fn ambiguous(&self) -> bool {
        matches!(*self, Stamp::Numeric { first, second, .. }
            if first <= 12 && second <= 12 && first != second)
    }

    /// The two readings of an ambiguous date, for people: ("5 March 2026",
    /// "3 May 2026").
    pub(crate) fn readings(&self) -> (String, String) {
        let Stamp::Numeric {
            first,
            second,
            year,
            ..
        } = *self
        else {
            return (String::new(), String::new());
        };
        let say = |day: u32, month: u32| {
            NaiveDate::from_ymd_opt(year, month, day)
                .map_or_else(String::new, |d| d.format("%-d %B %Y").to_string())
        };
        (say(first, second), say(second, first))
    }

    /// The instant, with local times read in `zone` (a time that clocks
    /// skip moves to the first that exists; one that happens twice is the
    /// first) and numeric dates in `order`. `Err` says what is wrong.
    pub(crate) fn resolve(
        self,
        zone: Tz,
        order: Option<DateOrder>,
    ) -> std::result::Result<DateTime<Utc>, String> {
        let local = match self {
            Stamp::At(at) => return Ok(at),
            Stamp::Local(local) => local,
            Stamp::Numeric {
                first,
                second,
                year,
                time,
            } => {
                let order = order
                    .or(self.order())
                    .or((first == second).then_some(DateOrder::DayFirst));
                let (day, month) = match order {
                    Some(DateOrder::DayFirst) => (first, second),
                    Some(DateOrder::MonthFirst) => (second, first),
                    None => return Err("ambiguous".to_owned()),
                };
                let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
                    return Err(format!(
                        "is no date when read {}: check the date, or the date order",
                        order.map_or("", DateOrder::name)
                    ));
                };
                date.and_time(time)
            }
        };
        // Local times are in the zone; UTC is its own.
        Ok(if zone == Tz::UTC {
            local.and_utc()
        } else {
            local_instant(zone, local)
        })
    }
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` or with slashes, no offset.
fn iso_local(value: &str) -> Option<NaiveDateTime> {
    const LOCAL: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
    ];
    LOCAL
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
}

/// Unix time: seconds (9 or 10 digits, as Reddit's `1343516756.0`) or
/// milliseconds (12 or 13 digits).
fn unix(value: &str) -> Option<DateTime<Utc>> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n: i64 = whole.parse().ok()?;
    match whole.len() {
        9 | 10 => {
            let nanos = format!("{fraction:0<9}")[..9].parse::<u32>().ok()?;
            DateTime::from_timestamp(n, nanos)
        }
        12 | 13 if fraction.is_empty() => DateTime::from_timestamp_millis(n),
        _ => None,
    }
}

/// `NN/NN/YYYY HH:MM[:SS[.fff]] [AM|PM]`, with `/` or `-` between the date's
/// numbers and a year of two or four digits (`10/16/17 22:59`); with `.`
/// between them the day comes first (`21.01.2014 20:26`), as everywhere
/// that writes dates so.
fn numeric(value: &str) -> Option<Stamp> {
    let (date, time) = value.split_once([' ', 'T'])?;
    let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let mut parts = date.split(sep);
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || ![a, b, y]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        || a.len() > 2
        || b.len() > 2
    {
        return None;
    }
    let year: i32 = match y.len() {
        4 => y.parse().ok()?,
        // As POSIX reads %y: 69-99 are the 1900s, 00-68 the 2000s.
        2 => {
            let yy: i32 = y.parse().ok()?;
            if yy >= 69 { 1900 + yy } else { 2000 + yy }
        }
        _ => return None,
    };
    let time = clock(time.trim())?;
    let (first, second) = (a.parse().ok()?, b.parse().ok()?);
    if sep == '.' {
        let date = NaiveDate::from_ymd_opt(year, second, first)?;
        return Some(Stamp::Local(date.and_time(time)));
    }
    Some(Stamp::Numeric {
        first,
        second,
        year,
        time,
    })
}

/// `HH:MM[:SS[.fff]]`, then an optional `AM`/`PM` (`a.m.`, `pm`, ...).
fn clock(time: &str) -> Option<NaiveTime> {
    use chrono::Timelike;
    let lower = time.trim().to_ascii_lowercase();
    let (clock, pm) = [("a.m.", false), ("am", false), ("p.m.", true), ("pm", true)]
        .iter()
        .find_map(|&(suffix, pm)| Some((lower.strip_suffix(suffix)?.trim_end(), Some(pm))))
        .unwrap_or((lower.as_str(), None));
    let t = ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(clock, f).ok())?;
    match pm {
        None => Some(t),
        Some(pm) if (1..=12).contains(&t.hour()) => {
            t.with_hour(t.hour() % 12 + if pm { 12 } else { 0 })
        }
        Some(_) => None,
    }
}

/// The date order of a file from its time cells: the one `given`, or the
/// one some cell shows. Cells that show both orders are an error naming
/// their lines.
pub(crate) fn file_order<'a>(
    given: Option<DateOrder>,
    stamps: impl Iterator<Item = (u64, &'a Stamp)>,
) -> Result<Option<DateOrder>> {
    if given.is_some() {
        return Ok(given);
    }
    let (mut day, mut month) = (None, None);
    for (line, s) in stamps {
        match s.order() {
            Some(DateOrder::DayFirst) => day = day.or(Some(line)),
            Some(DateOrder::MonthFirst) => month = month.or(Some(line)),
            None => {}
        }
    }
    match (day, month) {
        (Some(d), Some(m)) => Err(Error::Setting {
            field: "date order",
            value: format!("day first on line {d} and month first on line {m}"),
            expected: "write every date of the file in one order",
        }),
        (Some(_), None) => Ok(Some(DateOrder::DayFirst)),
        (None, Some(_)) => Ok(Some(DateOrder::MonthFirst)),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Madrid;

    fn at(value: &str, order: Option<DateOrder>) -> String {
        Stamp::read(value)
            .unwrap_or_else(|| panic!("{value} is read"))
            .resolve(Tz::UTC, order)
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn common_export_forms_are_read() {
        assert_eq!(
            at("2014-01-21T20:26:05.383", None),
            "2014-01-21T20:26:05.383+00:00"
        );
        assert_eq!(
            at("2014-01-21T20:26:05+0000", None),
            "2014-01-21T20:26:05+00:00"
        );
        assert_eq!(
            at("2014-01-21 20:26:05 UTC", None),
            "2014-01-21T20:26:05+00:00"
        );
        assert_eq!(
            at("Wed Aug 27 13:08:45 +0000 2008", None),
            "2008-08-27T13:08:45+00:00"
        );
        assert_eq!(at("1343516756.0", None), "2012-07-28T23:05:56+00:00");
        assert_eq!(at("1343516756123", None), "2012-07-28T23:05:56.123+00:00");
        assert_eq!(at("21.01.2014 20:26", None), "2014-01-21T20:26:00+00:00");
        assert_eq!(at("10/16/17 22:59", None), "2017-10-16T22:59:00+00:00");
        assert_eq!(
            at("04-11-2018 04:53", Some(DateOrder::DayFirst)),
            "2018-11-04T04:53:00+00:00"
        );
        assert_eq!(
            at("04-11-2018 04:53", Some(DateOrder::MonthFirst)),
            "2018-04-11T04:53:00+00:00"
        );
        assert_eq!(
            at("03/05/2026 6:00 PM", Some(DateOrder::MonthFirst)),
            "2026-03-05T18:00:00+00:00"
        );
        assert_eq!(
            at("03/05/2026 12:30:00 am", Some(DateOrder::MonthFirst)),
            "2026-03-05T00:30:00+00:00"
        );
        assert_eq!(
            at("07/07/2026 09:00", None),
            "2026-07-07T09:00:00+00:00",
            "the same either way"
        );
        for bad in [
            "yesterday",
            "2026-13-45 10:00",
            "12345",
            "05/03/2026",
            "1/2/3/2026 10:00",
            "13:00 05/03/2026",
        ] {
            let read = Stamp::read(bad).map(|s| s.resolve(Tz::UTC, Some(DateOrder::DayFirst)));
            assert!(!matches!(read, Some(Ok(_))), "{bad}: {read:?}");
        }
    }

    #[test]
    fn local_times_are_read_in_the_zone() {
        let s = Stamp::read("2026-03-29 02:30").unwrap();
        // Clocks skip 02:00-03:00 in Madrid that night: the first time that exists.
        assert_eq!(
            s.resolve(Madrid, None).unwrap().to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
        let s = Stamp::read("2026-07-01 18:00").unwrap();
        assert_eq!(
            s.resolve(Madrid, None).unwrap().to_rfc3339(),
            "2026-07-01T16:00:00+00:00"
        );
    }

    #[test]
    fn a_file_shows_its_date_order_or_says_it_cannot() {
        let stamps: Vec<Stamp> = ["05/03/2026 18:00", "25/03/2026 18:00"]
            .iter()
            .map(|v| Stamp::read(v).unwrap())
            .collect();
        assert!(stamps[0].ambiguous() && !stamps[1].ambiguous());
        let order = file_order(
            None,
            stamps.iter().enumerate().map(|(i, s)| (i as u64 + 2, s)),
        );
        assert_eq!(order.unwrap(), Some(DateOrder::DayFirst));
        assert_eq!(
            stamps[0].readings(),
            ("5 March 2026".to_owned(), "3 May 2026".to_owned())
        );
        let mixed: Vec<Stamp> = ["25/03/2026 18:00", "03/25/2026 18:00"]
            .iter()
            .map(|v| Stamp::read(v).unwrap())
            .collect();
        let err = file_order(
            None,
            mixed.iter().enumerate().map(|(i, s)| (i as u64 + 2, s)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2") && err.contains("line 3"), "{err}");
        assert_eq!(
            stamps[0].resolve(Tz::UTC, None),
            Err("ambiguous".to_owned())
        );
    }
}
