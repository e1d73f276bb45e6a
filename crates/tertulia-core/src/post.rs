//! What the brand publishes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::account::Author;
use crate::error::{Error, Result};
use crate::id::{Language, PostId};
use crate::metrics::Metrics;
use crate::platform::Platform;

/// The format of a post, which changes how people engage with it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// Text only (Facebook calls it a status).
    #[default]
    Text,
    /// One picture.
    Photo,
    /// Several pictures or videos to swipe through (an album).
    Carousel,
    /// A video.
    Video,
    /// A short vertical video (reel, short, TikTok).
    ShortVideo,
    /// A post whose point is a link.
    Link,
    /// A poll.
    Poll,
    /// A story that expires.
    Story,
    /// A live broadcast.
    Live,
}

impl PostKind {
    /// Every kind, in declaration order.
    pub const ALL: [PostKind; 9] = [
        PostKind::Text,
        PostKind::Photo,
        PostKind::Carousel,
        PostKind::Video,
        PostKind::ShortVideo,
        PostKind::Link,
        PostKind::Poll,
        PostKind::Story,
        PostKind::Live,
    ];

    /// The snake-case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PostKind::Text => "text",
            PostKind::Photo => "photo",
            PostKind::Carousel => "carousel",
            PostKind::Video => "video",
            PostKind::ShortVideo => "short_video",
            PostKind::Link => "link",
            PostKind::Poll => "poll",
            PostKind::Story => "story",
            PostKind::Live => "live",
        }
    }

    /// True for the kinds that have video views.
    pub fn is_video(self) -> bool {
        matches!(
            self,
            PostKind::Video | PostKind::ShortVideo | PostKind::Live
        )
    }
}

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses the snake-case names and the words exports use: Facebook's
/// `Status` is [`PostKind::Text`], `Album` is [`PostKind::Carousel`], `Reel` is
/// [`PostKind::ShortVideo`].
impl FromStr for PostKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<PostKind> {
        let name = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let kind = match name.as_str() {
            "status" => PostKind::Text,
            "album" => PostKind::Carousel,
            "reel" | "short" => PostKind::ShortVideo,
            other => {
                return PostKind::ALL
                    .into_iter()
                    .find(|k| k.name() == other)
                    .ok_or_else(|| Error::BadText {
                        field: "post kind",
                        value: s.to_owned(),
                        problem: "is not a post kind: use text, photo, carousel, video, short_video, link, poll, story or live",
                    });
            }
        };
        Ok(kind)
    }
}

/// A post the brand published on one of its accounts.
///
/// `author` is the publishing account as it was at `created_at`: its
/// `followers` are the followers at post time, the denominator of engagement
/// by followers. `metrics` are the counts as last observed.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle, Metric, Platform, Post, PostId, PostKind};
///
/// let author = Author::new(AccountId::new("1")?, Handle::new("aurora")?).with_followers(5_000);
/// let at = Utc.with_ymd_and_hms(2026, 3, 3, 18, 0, 0).unwrap();
/// let post = Post::new(PostId::new("p1")?, Platform::Bluesky, author, at, "Spring is here 🌸")
///     .with_kind(PostKind::Photo);
/// assert_eq!(post.metrics.get(Metric::Likes), None);
///
/// let json = serde_json::to_string(&post).unwrap();
/// let back: Post = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, post);
/// # Ok::<(), tertulia_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// The platform's identifier.
    pub id: PostId,
    /// Where it was published.
    pub platform: Platform,
    /// Who published it, as at publishing time.
    pub author: Author,
    /// When it was published, in UTC.
    pub created_at: DateTime<Utc>,
    /// Its text, as published.
    pub text: String,
    /// Its format.
    #[serde(default)]
    pub kind: PostKind,
    /// The counts as last observed; each one may be missing.
    #[serde(default)]
    pub metrics: Metrics,
    /// The post it answers when it is part of a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<PostId>,
    /// Its language, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Whether it was promoted with money; `None` if not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<bool>,
    /// Its web address, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
}

impl Post {
    /// A text post with no metrics yet.
    pub fn new(
        id: PostId,
        platform: Platform,
        author: Author,
        created_at: DateTime<Utc>,
        text: impl Into<String>,
    ) -> Self {
        Post {
            id,
            platform,
            author,
            created_at,
            text: text.into(),
            kind: PostKind::Text,
            metrics: Metrics::default(),
            in_reply_to: None,
            language: None,
            paid: None,
            url: None,
        }
    }

    /// This post with another kind.
    #[must_use]
    pub fn with_kind(mut self, kind: PostKind) -> Self {
        self.kind = kind;
        self
    }

    /// This post with these metrics.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// This post with a language.
    #[must_use]
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_export_words() {
        assert_eq!("Status".parse::<PostKind>().unwrap(), PostKind::Text);
        assert_eq!("Photo".parse::<PostKind>().unwrap(), PostKind::Photo);
        assert_eq!(
            "short-video".parse::<PostKind>().unwrap(),
            PostKind::ShortVideo
        );
        assert_eq!("Reel".parse::<PostKind>().unwrap(), PostKind::ShortVideo);
        let err = "gif".parse::<PostKind>().unwrap_err();
        assert!(err.to_string().contains("use text, photo"), "{err}");
        for k in PostKind::ALL {
            assert_eq!(k.name().parse::<PostKind>().unwrap(), k);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
    }

    #[test]
    fn minimal_json_reads_with_defaults() {
        let json = r#"{"id":"1","platform":"facebook",
            "author":{"id":"9","handle":"brand"},
            "created_at":"2026-01-05T10:00:00Z","text":"hola"}"#;
        let post: Post = serde_json::from_str(json).unwrap();
        assert_eq!(post.kind, PostKind::Text);
        assert!(post.metrics.is_empty());
        assert_eq!(post.author.followers, None);
        let bad = json.replace(r#""id":"1""#, r#""id":"""#);
        assert!(serde_json::from_str::<Post>(&bad).is_err());
    }
}
