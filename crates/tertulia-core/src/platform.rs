//! Which social platform a thing lives on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A social platform.
///
/// The platforms tertulia knows by name have their own variant; any other is
/// [`Platform::Other`] with its lowercase name. Parse names with
/// [`str::parse`] (or [`Platform::other`]) rather than building `Other` by
/// hand: parsing is case-insensitive, knows common aliases (`twitter` is
/// [`Platform::X`]) and never wraps a known platform in `Other`.
///
/// It serializes as its name, so `Platform::Bluesky` is `"bluesky"` in JSON.
///
/// ```
/// use tertulia_core::Platform;
///
/// let p: Platform = "Bluesky".parse()?;
/// assert_eq!(p, Platform::Bluesky);
/// assert_eq!("twitter".parse::<Platform>()?, Platform::X);
/// assert_eq!("Discourse".parse::<Platform>()?, Platform::Other("discourse".into()));
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#""bluesky""#);
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Bluesky (AT Protocol).
    Bluesky,
    /// Mastodon and other servers that speak its API.
    Mastodon,
    /// Facebook pages.
    Facebook,
    /// Instagram.
    Instagram,
    /// Threads.
    Threads,
    /// X, formerly Twitter.
    X,
    /// LinkedIn.
    LinkedIn,
    /// TikTok.
    TikTok,
    /// YouTube.
    YouTube,
    /// Reddit.
    Reddit,
    /// Any other platform, by its lowercase name.
    Other(String),
}

impl Platform {
    /// Every platform with a variant of its own, in declaration order.
    pub const KNOWN: [Platform; 10] = [
        Platform::Bluesky,
        Platform::Mastodon,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Threads,
        Platform::X,
        Platform::LinkedIn,
        Platform::TikTok,
        Platform::YouTube,
        Platform::Reddit,
    ];

    /// The canonical lowercase name, as serialized.
    pub fn as_str(&self) -> &str {
        match self {
            Platform::Bluesky => "bluesky",
            Platform::Mastodon => "mastodon",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Threads => "threads",
            Platform::X => "x",
            Platform::LinkedIn => "linkedin",
            Platform::TikTok => "tiktok",
            Platform::YouTube => "youtube",
            Platform::Reddit => "reddit",
            Platform::Other(name) => name,
        }
    }

    /// The platform named `name`: a known one if the name (or an alias) is
    /// known, otherwise [`Platform::Other`] with the name in lowercase.
    ///
    /// The name must be non-empty and hold no white space or control characters.
    pub fn other(name: &str) -> Result<Platform> {
        name.parse()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Platform> {
        let name = s.trim().to_lowercase();
        if name.is_empty() {
            return Err(Error::Empty { field: "platform" });
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::BadText {
                field: "platform",
                value: s.to_owned(),
                problem: "contains white space or a control character: give one word such as bluesky",
            });
        }
        let alias = match name.as_str() {
            "twitter" => "x",
            "bsky" => "bluesky",
            "fb" => "facebook",
            "ig" => "instagram",
            "yt" => "youtube",
            other => other,
        };
        Ok(Platform::KNOWN
            .iter()
            .find(|p| p.as_str() == alias)
            .cloned()
            .unwrap_or(Platform::Other(name)))
    }
}

impl Serialize for Platform {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Platform, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_round_trip() {
        for p in Platform::KNOWN {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
            assert_eq!(p.to_string().to_uppercase().parse::<Platform>().unwrap(), p);
        }
    }

    #[test]
    fn other_is_canonical_and_validated() {
        assert_eq!(
            " Discourse ".parse::<Platform>().unwrap(),
            Platform::Other("discourse".into())
        );
        assert_eq!("BSKY".parse::<Platform>().unwrap(), Platform::Bluesky);
        assert_eq!(
            "".parse::<Platform>().unwrap_err(),
            Error::Empty { field: "platform" }
        );
        assert!("my forum".parse::<Platform>().is_err());
    }

    #[test]
    fn serde_uses_the_name() {
        let json = serde_json::to_string(&Platform::Other("discourse".into())).unwrap();
        assert_eq!(json, r#""discourse""#);
        let back: Platform = serde_json::from_str(r#""Mastodon""#).unwrap();
        assert_eq!(back, Platform::Mastodon);
        assert!(serde_json::from_str::<Platform>(r#""""#).is_err());
    }
}
