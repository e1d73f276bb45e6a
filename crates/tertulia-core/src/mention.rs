//! What people say to or about the brand: mentions, comments, replies.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::account::Author;
use crate::error::{Error, Result, finite};
use crate::id::{Language, MentionId, PostId};
use crate::platform::Platform;

/// How a mention reached the brand.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    /// A post that names the brand or tags one of its accounts.
    #[default]
    Mention,
    /// A comment or reply under one of the brand's posts.
    Comment,
    /// A quote or share of one of the brand's posts with added text.
    Quote,
    /// A private message to one of the brand's accounts.
    DirectMessage,
}

impl MentionKind {
    /// The snake-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            MentionKind::Mention => "mention",
            MentionKind::Comment => "comment",
            MentionKind::Quote => "quote",
            MentionKind::DirectMessage => "direct_message",
        }
    }
}

/// A sentiment score in `[-1, 1]`: -1 most negative, 0 neutral, +1 most positive.
///
/// ```
/// use tertulia_core::{Polarity, Sentiment};
///
/// let s = Sentiment::new(-0.6)?;
/// assert_eq!(s.polarity(), Polarity::Negative);
/// assert_eq!(Sentiment::new(0.01)?.polarity(), Polarity::Neutral);
/// assert!(Sentiment::new(f64::NAN).is_err());
/// assert!(Sentiment::new(1.5).is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Sentiment(f64);

impl Sentiment {
    /// The half-width of the neutral band [`Sentiment::polarity`] uses, VADER's
    /// convention: scores in `(-0.05, 0.05)` are neutral.
    pub const NEUTRAL_BAND: f64 = 0.05;

    /// Checks that `score` is finite and in `[-1, 1]`.
    pub fn new(score: f64) -> Result<Self> {
        finite("sentiment", score)?;
        if !(-1.0..=1.0).contains(&score) {
            return Err(Error::OutOfRange {
                field: "sentiment",
                value: score.to_string(),
                expected: "[-1, 1]",
            });
        }
        Ok(Sentiment(score))
    }

    /// The score.
    pub fn score(self) -> f64 {
        self.0
    }

    /// Negative, neutral or positive, with the [`Sentiment::NEUTRAL_BAND`].
    pub fn polarity(self) -> Polarity {
        self.polarity_with(Self::NEUTRAL_BAND)
    }

    /// Negative at or below `-band`, positive at or above `band`, neutral between.
    pub fn polarity_with(self, band: f64) -> Polarity {
        if self.0 >= band {
            Polarity::Positive
        } else if self.0 <= -band {
            Polarity::Negative
        } else {
            Polarity::Neutral
        }
    }
}

impl TryFrom<f64> for Sentiment {
    type Error = Error;
    fn try_from(score: f64) -> Result<Self> {
        Sentiment::new(score)
    }
}

impl From<Sentiment> for f64 {
    fn from(s: Sentiment) -> f64 {
        s.0
    }
}

/// The three classes of sentiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Unhappy, angry, critical.
    Negative,
    /// Neither.
    Neutral,
    /// Happy, praising.
    Positive,
}

/// Something a person said to or about the brand: a mention, or a comment
/// under one of its posts (then `in_reply_to` names the post).
///
/// `responded_at` is when the brand first answered, if it has; response-time
/// KPIs and the crisis backlog are computed from it. Use
/// [`Mention::with_response`] to set it with a check, or [`Mention::check`]
/// on mentions read from elsewhere.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle, Mention, MentionId, Platform, PostId};
///
/// let at = Utc.with_ymd_and_hms(2026, 2, 10, 9, 30, 0).unwrap();
/// let who = Author::new(AccountId::new("77")?, Handle::new("luis")?);
/// let comment = Mention::new(MentionId::new("c1")?, Platform::Instagram, who, at, "¿Hay envíos a Chile?")
///     .replying_to(PostId::new("p1")?)
///     .with_response(at + TimeDelta::minutes(20))?;
/// assert_eq!(comment.response_time(), Some(TimeDelta::minutes(20)));
/// assert!(comment.clone().with_response(at - TimeDelta::minutes(1)).is_err());
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// The platform's identifier.
    pub id: MentionId,
    /// Where it was said.
    pub platform: Platform,
    /// Who said it, as at that time.
    pub author: Author,
    /// When, in UTC.
    pub created_at: DateTime<Utc>,
    /// What was said, as written (never normalised here).
    pub text: String,
    /// Mention, comment, quote or direct message.
    #[serde(default)]
    pub kind: MentionKind,
    /// The brand's post it answers, for comments and quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<PostId>,
    /// Its language, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Its sentiment, once a model has scored it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// When the brand first answered it; `None` while unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responded_at: Option<DateTime<Utc>>,
}

/// A comment is a [`Mention`] under one of the brand's posts
/// (`kind` is [`MentionKind::Comment`] and `in_reply_to` names the post).
pub type Comment = Mention;

impl Mention {
    /// A mention with no post, language, sentiment or response.
    pub fn new(
        id: MentionId,
        platform: Platform,
        author: Author,
        created_at: DateTime<Utc>,
        text: impl Into<String>,
    ) -> Self {
        Mention {
            id,
            platform,
            author,
            created_at,
            text: text.into(),
            kind: MentionKind::Mention,
            in_reply_to: None,
            language: None,
            sentiment: None,
            responded_at: None,
        }
    }

    /// This mention as a comment under `post`.
    #[must_use]
    pub fn replying_to(mut self, post: PostId) -> Self {
        self.kind = MentionKind::Comment;
        self.in_reply_to = Some(post);
        self
    }

    /// This mention with a language.
    #[must_use]
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// This mention answered at `at`, which may not come before it was made.
    pub fn with_response(mut self, at: DateTime<Utc>) -> Result<Self> {
        self.responded_at = Some(at);
        self.check()?;
        Ok(self)
    }

    /// Checks what the types alone cannot: a response does not come before
    /// the mention. Readers of files call it on every mention they read.
    pub fn check(&self) -> Result<()> {
        match self.responded_at {
            Some(at) if at < self.created_at => Err(Error::Reversed {
                field: "responded_at",
                earlier: self.created_at,
                later: at,
            }),
            _ => Ok(()),
        }
    }

    /// How long the brand took to answer, if it has.
    pub fn response_time(&self) -> Option<TimeDelta> {
        self.responded_at.map(|at| at - self.created_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sentiment_json_is_checked() {
        assert!(serde_json::from_str::<Sentiment>("1.01").is_err());
        assert_eq!(
            serde_json::from_str::<Sentiment>("-1").unwrap().score(),
            -1.0
        );
    }

    proptest! {
        #[test]
        fn polarity_agrees_with_the_band(score in -1.0f64..=1.0) {
            let s = Sentiment::new(score).unwrap();
            let expected = if score >= 0.05 {
                Polarity::Positive
            } else if score <= -0.05 {
                Polarity::Negative
            } else {
                Polarity::Neutral
            };
            prop_assert_eq!(s.polarity(), expected);
        }
    }
}
