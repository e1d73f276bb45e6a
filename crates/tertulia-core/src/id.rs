//! Identifiers, handles and language tags: strings that are checked once, when
//! they are made, so that every later use can trust them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Checks the rules every identifier shares: non-empty, no control characters.
fn check_id(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::Empty { field });
    }
    if value.chars().any(char::is_control) {
        return Err(Error::BadText {
            field,
            value: value.to_owned(),
            problem: "contains a control character: remove it",
        });
    }
    Ok(())
}

/// `FromStr`, `TryFrom<String>` and `Into<String>` for a checked text type
/// whose `new` does the checking.
macro_rules! text_conversions {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// A platform's own identifier, kept as text: non-empty and without
        /// control characters. It serializes as a plain string.
        ///
        /// ```
        #[doc = concat!("use tertulia_core::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id = ", stringify!($name), "::new(\"", $example, "\")?;")]
        #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
        #[doc = concat!("assert!(", stringify!($name), "::new(\"\").is_err());")]
        /// # Ok::<(), tertulia_core::Error>(())
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps `value`.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                check_id($field, &value)?;
                Ok(Self(value))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        text_conversions!($name);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// The identifier of a post on its platform (a Bluesky AT URI, a Mastodon
    /// status id, a Facebook post id, ...).
    PostId,
    "post id",
    "at://did:plc:abc/app.bsky.feed.post/3k2a"
);
string_id!(
    /// The identifier of a mention, comment or reply on its platform.
    MentionId,
    "mention id",
    "109876543210"
);
string_id!(
    /// The identifier of an account on its platform (a DID, a numeric id, ...).
    AccountId,
    "account id",
    "did:plc:z72i7hdynmk6r22z27h6tvur"
);

/// The name people use for an account, without a leading `@`:
/// `aurora.bsky.social`, `aurora@mastodon.social`.
///
/// Non-empty, no white space, no control characters. A leading `@` is removed,
/// so `@aurora` and `aurora` are the same handle.
///
/// ```
/// use tertulia_core::Handle;
///
/// let h = Handle::new("@aurora@mastodon.social")?;
/// assert_eq!(h.as_str(), "aurora@mastodon.social");
/// assert_eq!(h.to_string(), "@aurora@mastodon.social");
/// assert!(Handle::new("two words").is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

impl Handle {
    /// Checks `value`, removes one leading `@`, and wraps it.
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let mut value = value.into();
        if value.starts_with('@') {
            value.remove(0);
        }
        check_id("handle", &value)?;
        if value.chars().any(char::is_whitespace) {
            return Err(Error::BadText {
                field: "handle",
                value,
                problem: "contains white space: a handle is one word",
            });
        }
        Ok(Handle(value))
    }

    /// The handle without the leading `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shows the handle as people write it, with a leading `@`.
impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

text_conversions!(Handle);

/// A language tag in the BCP 47 form platforms use: `en`, `es`, `pt-BR`.
///
/// The primary subtag is 2 or 3 ASCII letters, stored lowercase; each further
/// subtag is 1 to 8 ASCII letters or digits. This is the shape of a tag, not a
/// registry look-up: `xx` is accepted.
///
/// ```
/// use tertulia_core::Language;
///
/// assert_eq!(Language::new("ES")?, Language::es());
/// assert_eq!(Language::new("pt-BR")?.primary(), "pt");
/// assert!(Language::new("english").is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    /// Checks the shape of `tag` and wraps it.
    pub fn new(tag: impl AsRef<str>) -> Result<Self> {
        let tag = tag.as_ref().trim();
        if tag.is_empty() {
            return Err(Error::Empty { field: "language" });
        }
        let bad = || Error::BadText {
            field: "language",
            value: tag.to_owned(),
            problem: "is not a language tag: use a BCP 47 tag such as en, es or pt-BR",
        };
        let mut parts = tag.split(['-', '_']);
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(bad());
        }
        let mut out = primary.to_ascii_lowercase();
        for part in parts {
            if !(1..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad());
            }
            out.push('-');
            out.push_str(part);
        }
        Ok(Language(out))
    }

    /// English.
    pub fn en() -> Self {
        Language("en".to_owned())
    }

    /// Spanish.
    pub fn es() -> Self {
        Language("es".to_owned())
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `pt` for `pt-BR`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_conversions!(Language);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_and_control_characters() {
        assert_eq!(
            PostId::new("").unwrap_err(),
            Error::Empty { field: "post id" }
        );
        assert!(MentionId::new("a\nb").is_err());
        assert!(serde_json::from_str::<AccountId>(r#""""#).is_err());
        let id: PostId = serde_json::from_str(r#""123_456""#).unwrap();
        assert_eq!(id.as_str(), "123_456");
    }

    #[test]
    fn handles_drop_one_at_sign() {
        assert_eq!(Handle::new("@a").unwrap(), Handle::new("a").unwrap());
        assert!(Handle::new("@").is_err());
        assert!(Handle::new("a\tb").is_err());
    }

    #[test]
    fn language_tags_are_normalised() {
        assert_eq!(Language::new("EN").unwrap().as_str(), "en");
        assert_eq!(Language::new("es_419").unwrap().as_str(), "es-419");
        assert!(Language::new("e").is_err());
        assert!(Language::new("en-").is_err());
        assert!(Language::new("en-toolongsubtag").is_err());
    }
}
