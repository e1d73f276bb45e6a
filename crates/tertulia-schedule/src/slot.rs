//! Weekly slots: a weekday and a time of day, in an account's local time.

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How wide a weekly slot is: 15, 30 or 60 minutes.
///
/// ```
/// use tertulia_schedule::SlotWidth;
///
/// assert_eq!(SlotWidth::Hour.slots(), 168);
/// assert_eq!(SlotWidth::try_from(15)?.slots(), 672);
/// assert!(SlotWidth::try_from(20).is_err());
/// # Ok::<(), tertulia_schedule::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum SlotWidth {
    /// 15 minutes: 672 slots a week.
    Quarter,
    /// 30 minutes: 336 slots a week.
    Half,
    /// 60 minutes: 168 slots a week (the default).
    #[default]
    Hour,
}

impl SlotWidth {
    /// The width in minutes.
    pub fn minutes(self) -> u16 {
        match self {
            SlotWidth::Quarter => 15,
            SlotWidth::Half => 30,
            SlotWidth::Hour => 60,
        }
    }

    /// Slots in a week.
    pub fn slots(self) -> usize {
        7 * 24 * 60 / usize::from(self.minutes())
    }

    /// Slots in a day.
    pub fn per_day(self) -> usize {
        24 * 60 / usize::from(self.minutes())
    }

    /// The index (0 = Monday 00:00) of the slot holding local `weekday` and
    /// `minute` of the day (0-1439).
    pub fn index(self, weekday: Weekday, minute: u16) -> usize {
        weekday.num_days_from_monday() as usize * self.per_day()
            + usize::from(minute.min(1439) / self.minutes())
    }

    /// The slot of an instant in `zone`'s local time.
    pub fn index_at(self, at: DateTime<chrono::Utc>, zone: Tz) -> usize {
        let local = at.with_timezone(&zone);
        self.index(local.weekday(), (local.hour() * 60 + local.minute()) as u16)
    }

    /// The slot at `index`, which must be below [`SlotWidth::slots`].
    pub fn slot(self, index: usize) -> Slot {
        let day = index / self.per_day();
        Slot {
            weekday: Weekday::try_from(day as u8 % 7).expect("0..7 is a weekday"),
            minute: ((index % self.per_day()) as u16) * self.minutes(),
            width: self,
        }
    }
}

impl TryFrom<u16> for SlotWidth {
    type Error = Error;
    fn try_from(minutes: u16) -> Result<Self> {
        match minutes {
            15 => Ok(SlotWidth::Quarter),
            30 => Ok(SlotWidth::Half),
            60 => Ok(SlotWidth::Hour),
            _ => Err(Error::Setting {
                field: "slot width",
                value: format!("{minutes} minutes"),
                expected: "use 15, 30 or 60 minutes",
            }),
        }
    }
}

impl From<SlotWidth> for u16 {
    fn from(w: SlotWidth) -> u16 {
        w.minutes()
    }
}

/// One weekly slot in local time: a weekday and the minute of the day it
/// starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slot {
    /// The local weekday.
    pub weekday: Weekday,
    /// The local minute of the day the slot starts at (0-1439).
    pub minute: u16,
    /// The slot's width.
    pub width: SlotWidth,
}

impl Slot {
    /// The local hour the slot starts in.
    pub fn hour(&self) -> u8 {
        (self.minute / 60) as u8
    }

    /// The slot's index in its width's grid.
    pub fn index(&self) -> usize {
        self.width.index(self.weekday, self.minute)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}",
            self.weekday,
            self.minute / 60,
            self.minute % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use chrono_tz::America::New_York;

    #[test]
    fn indexes_round_trip_and_read_local_time() {
        for width in [SlotWidth::Quarter, SlotWidth::Half, SlotWidth::Hour] {
            for i in 0..width.slots() {
                assert_eq!(width.slot(i).index(), i);
            }
        }
        // 02:30 UTC on Tuesday is Monday 22:30 in New York (EDT).
        let at = Utc.with_ymd_and_hms(2026, 6, 2, 2, 30, 0).unwrap();
        let slot = SlotWidth::Half.slot(SlotWidth::Half.index_at(at, New_York));
        assert_eq!(slot.to_string(), "Mon 22:30");
        assert_eq!(SlotWidth::Hour.slot(167).to_string(), "Sun 23:00");
    }
}
