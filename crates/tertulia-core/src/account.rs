//! Who posts: anyone's public profile ([`Author`]) and the brand's own
//! accounts ([`Account`]) with the time zones of their audience.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, finite};
use crate::id::{AccountId, Handle};
use crate::platform::Platform;

/// What a platform says about an account's standing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorFlags {
    /// The platform verified who runs the account.
    pub verified: bool,
    /// The account moderates the community the item was posted in.
    pub moderator: bool,
    /// The account is a member (subscriber, follower) of the community.
    pub member: bool,
    /// The account says it is automated.
    pub bot: bool,
}

/// An account's public profile, as seen when it wrote something.
///
/// The counts (`followers`, `reputation`) are a snapshot taken with the post or
/// mention that carries this author: on a [`Post`](crate::Post) they are the
/// followers at post time. `None` means the platform did not say.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle};
///
/// let author = Author::new(AccountId::new("42")?, Handle::new("@ana")?)
///     .with_followers(1_250)
///     .with_created_at(Utc.with_ymd_and_hms(2019, 5, 1, 0, 0, 0).unwrap());
/// assert_eq!(author.followers, Some(1_250));
/// assert_eq!(author.handle.to_string(), "@ana");
/// assert!(!author.flags.verified);
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Author {
    /// The platform's identifier of the account.
    pub id: AccountId,
    /// The handle people mention it by.
    pub handle: Handle,
    /// The display name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Followers at the time of the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    /// When the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// A platform score of standing (Reddit karma, for example); may be negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reputation: Option<i64>,
    /// Verified, moderator, member, bot.
    #[serde(default)]
    pub flags: AuthorFlags,
}

impl Author {
    /// An author known only by id and handle.
    pub fn new(id: AccountId, handle: Handle) -> Self {
        Author {
            id,
            handle,
            display_name: None,
            followers: None,
            created_at: None,
            reputation: None,
            flags: AuthorFlags::default(),
        }
    }

    /// This author with a follower count.
    #[must_use]
    pub fn with_followers(mut self, followers: u64) -> Self {
        self.followers = Some(followers);
        self
    }

    /// This author with the account's creation time.
    #[must_use]
    pub fn with_created_at(mut self, at: DateTime<Utc>) -> Self {
        self.created_at = Some(at);
        self
    }

    /// How old the account was at `at`, if its creation time is known.
    /// Negative if the source says the account was created after `at`.
    pub fn account_age(&self, at: DateTime<Utc>) -> Option<chrono::TimeDelta> {
        self.created_at.map(|created| at - created)
    }
}

/// One time zone of an audience and its share of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AudienceShare {
    /// Where these followers live.
    pub zone: Tz,
    /// Their share of the audience, in (0, 1]; the shares of an audience sum to 1.
    pub share: f64,
}

/// Where an account's followers live: shares of the audience by IANA time zone.
///
/// Built from weights, which are normalised to sum to 1. Each weight must be
/// finite and positive, and each zone may appear once.
///
/// ```
/// use chrono_tz::{America, Europe};
/// use tertulia_core::Audience;
///
/// let audience = Audience::new([(Europe::Madrid, 3.0), (America::Mexico_City, 1.0)])?;
/// assert_eq!(audience.share_of(America::Mexico_City), 0.25);
/// assert_eq!(audience.share_of(America::New_York), 0.0);
/// assert!(Audience::new([(Europe::Madrid, f64::NAN)]).is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<AudienceShare>", into = "Vec<AudienceShare>")]
pub struct Audience(Vec<AudienceShare>);

impl Audience {
    /// The audience with these `(zone, weight)` pairs, normalised to shares.
    pub fn new(weights: impl IntoIterator<Item = (Tz, f64)>) -> Result<Self> {
        let mut shares: Vec<AudienceShare> = Vec::new();
        for (zone, weight) in weights {
            finite("audience share", weight)?;
            if weight <= 0.0 {
                return Err(Error::OutOfRange {
                    field: "audience share",
                    value: weight.to_string(),
                    expected: "the positive numbers: leave out a zone with no audience",
                });
            }
            if shares.iter().any(|s| s.zone == zone) {
                return Err(Error::Duplicate {
                    field: "audience zone",
                    value: zone.name().to_owned(),
                });
            }
            shares.push(AudienceShare {
                zone,
                share: weight,
            });
        }
        if shares.is_empty() {
            return Err(Error::Empty { field: "audience" });
        }
        let total: f64 = shares.iter().map(|s| s.share).sum();
        finite("audience total", total)?;
        for s in &mut shares {
            s.share /= total;
        }
        Ok(Audience(shares))
    }

    /// An audience that lives in one time zone.
    pub fn single(zone: Tz) -> Self {
        Audience(vec![AudienceShare { zone, share: 1.0 }])
    }

    /// The zones and their shares, in the order given.
    pub fn shares(&self) -> &[AudienceShare] {
        &self.0
    }

    /// The share of the audience living in `zone`; 0 if none does.
    pub fn share_of(&self, zone: Tz) -> f64 {
        self.0
            .iter()
            .find(|s| s.zone == zone)
            .map_or(0.0, |s| s.share)
    }
}

impl TryFrom<Vec<AudienceShare>> for Audience {
    type Error = Error;
    fn try_from(shares: Vec<AudienceShare>) -> Result<Self> {
        Audience::new(shares.into_iter().map(|s| (s.zone, s.share)))
    }
}

impl From<Audience> for Vec<AudienceShare> {
    fn from(a: Audience) -> Self {
        a.0
    }
}

/// One of the brand's own accounts: where it is, who it is, the time zone
/// its community manager plans in, and where its audience lives.
///
/// ```
/// use chrono_tz::Europe;
/// use tertulia_core::{Account, AccountId, Author, Handle, Platform};
///
/// let account = Account::new(
///     Platform::Mastodon,
///     Author::new(AccountId::new("1")?, Handle::new("aurora@mastodon.social")?),
///     Europe::Madrid,
/// );
/// assert_eq!(account.audience.share_of(Europe::Madrid), 1.0);
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The platform the account is on.
    pub platform: Platform,
    /// The account's profile.
    pub profile: Author,
    /// The time zone the account is run from: calendars and reports use it.
    pub time_zone: Tz,
    /// Where its followers live.
    pub audience: Audience,
}

impl Account {
    /// An account whose audience lives in its own time zone.
    pub fn new(platform: Platform, profile: Author, time_zone: Tz) -> Self {
        Account {
            platform,
            profile,
            time_zone,
            audience: Audience::single(time_zone),
        }
    }

    /// This account with another audience.
    #[must_use]
    pub fn with_audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Europe};

    #[test]
    fn audience_rejects_bad_weights() {
        assert!(Audience::new([]).is_err());
        assert!(Audience::new([(Europe::Madrid, 0.0)]).is_err());
        assert!(Audience::new([(Europe::Madrid, -1.0)]).is_err());
        assert!(Audience::new([(Europe::Madrid, f64::INFINITY)]).is_err());
        assert!(matches!(
            Audience::new([(Europe::Madrid, 1.0), (Europe::Madrid, 2.0)]),
            Err(Error::Duplicate { .. })
        ));
        // Weights whose sum overflows are refused, not turned into NaN shares.
        assert!(Audience::new([(Europe::Madrid, f64::MAX), (America::Lima, f64::MAX)]).is_err());
    }

    #[test]
    fn audience_json_is_checked_on_the_way_in() {
        let a = Audience::new([(Europe::Madrid, 1.0), (America::New_York, 1.0)]).unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"[{"zone":"Europe/Madrid","share":0.5},{"zone":"America/New_York","share":0.5}]"#
        );
        assert_eq!(serde_json::from_str::<Audience>(&json).unwrap(), a);
        assert!(
            serde_json::from_str::<Audience>(r#"[{"zone":"Europe/Madrid","share":-1}]"#).is_err()
        );
        assert!(serde_json::from_str::<Audience>(r#"[{"zone":"Mars/Base","share":1}]"#).is_err());
    }
}
