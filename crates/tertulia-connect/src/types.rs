//! What goes in and out of a connector: plain serde data.

use std::fmt;

use serde::{Deserialize, Serialize};
use tertulia_core::Metrics;
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{Error, Result};

/// Something a connector may or may not be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Capability {
    /// Publish a post.
    Publish,
    /// Publish several parts as a thread.
    Thread,
    /// Attach media.
    Media,
    /// Describe media for people who cannot see it.
    AltText,
    /// Edit a published post.
    Edit,
    /// Delete a post.
    Delete,
    /// Read mentions of the account.
    Mentions,
    /// Read the replies under a post.
    Replies,
    /// Hide a reply under one's post.
    HideReply,
    /// Read a post's metrics.
    PostMetrics,
    /// Read the account's metrics.
    AccountMetrics,
    /// Publishing twice with one idempotency key makes one post: a retried
    /// publish is safe.
    IdempotentPublish,
    /// Find what a publish made by reading the account: whether a publish
    /// whose answer was lost reached the platform.
    FindPublished,
}

impl Capability {
    /// Every capability, in order.
    pub const ALL: [Capability; 13] = [
        Capability::Publish,
        Capability::Thread,
        Capability::Media,
        Capability::AltText,
        Capability::Edit,
        Capability::Delete,
        Capability::Mentions,
        Capability::Replies,
        Capability::HideReply,
        Capability::PostMetrics,
        Capability::AccountMetrics,
        Capability::IdempotentPublish,
        Capability::FindPublished,
    ];

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// One of the calls of a [`Connector`](crate::Connector): what faults are
/// injected into, retry policies decide on and recordings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`Connector::publish`](crate::Connector::publish).
    Publish,
    /// [`Connector::delete`](crate::Connector::delete).
    Delete,
    /// [`Connector::mentions`](crate::Connector::mentions).
    Mentions,
    /// [`Connector::replies`](crate::Connector::replies).
    Replies,
    /// [`Connector::post_metrics`](crate::Connector::post_metrics).
    PostMetrics,
    /// [`Connector::account_metrics`](crate::Connector::account_metrics).
    AccountMetrics,
    /// [`Connector::hide_reply`](crate::Connector::hide_reply).
    HideReply,
    /// [`Connector::find_published`](crate::Connector::find_published).
    FindPublished,
}

/// The set of things a connector can do.
///
/// ```
/// use tertulia_connect::{Capabilities, Capability};
///
/// let caps = Capabilities::from_iter([Capability::Publish, Capability::Delete]);
/// assert!(caps.has(Capability::Delete));
/// assert!(!caps.has(Capability::Thread));
/// assert_eq!(serde_json::to_string(&caps).unwrap(), r#"["publish","delete"]"#);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Capabilities(u32);

impl Capabilities {
    /// Nothing.
    pub const NONE: Capabilities = Capabilities(0);

    /// Every capability.
    pub fn all() -> Self {
        Capability::ALL.into_iter().collect()
    }

    /// Whether `c` is in the set.
    pub fn has(self, c: Capability) -> bool {
        self.0 & c.bit() != 0
    }

    /// `Ok` if `c` is in the set, else [`Error::Unsupported`].
    pub fn require(self, c: Capability) -> Result<()> {
        if self.has(c) {
            Ok(())
        } else {
            Err(Error::Unsupported { capability: c })
        }
    }

    /// The set with `c`.
    #[must_use]
    pub fn with(self, c: Capability) -> Self {
        Capabilities(self.0 | c.bit())
    }

    /// The set without `c`.
    #[must_use]
    pub fn without(self, c: Capability) -> Self {
        Capabilities(self.0 & !c.bit())
    }

    /// The capabilities in the set, in order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.into_iter().filter(move |c| self.has(*c))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Capabilities::NONE, Capabilities::with)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Capabilities {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Capabilities {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Vec::<Capability>::deserialize(d)?.into_iter().collect())
    }
}

/// What a platform counts when it limits a post's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    /// What a reader sees as one character (Bluesky): "👍🏽" is one.
    Graphemes,
    /// Unicode scalar values (Mastodon): "👍🏽" is two.
    Characters,
    /// UTF-8 bytes.
    Bytes,
}

/// A platform's limits on what one post may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The longest text.
    pub max_length: usize,
    /// What the length counts.
    pub unit: LengthUnit,
    /// The most UTF-8 bytes a text may hold as well, when the platform
    /// limits both (Bluesky: 300 graphemes and 3,000 bytes, so 200 family
    /// emoji of 25 bytes each are too long).
    pub max_text_bytes: Option<usize>,
    /// What a link counts as, whatever its length (Mastodon: 23); `None`
    /// when links count as written.
    pub url_weight: Option<usize>,
    /// The most media on one post.
    pub max_media: usize,
    /// The largest medium, in bytes.
    pub max_media_bytes: Option<u64>,
    /// The longest alt text, in characters.
    pub max_alt_text: Option<usize>,
    /// The most parts in one thread.
    pub max_thread: Option<usize>,
}

impl Limits {
    /// How long `text` is by these limits.
    ///
    /// ```
    /// use tertulia_connect::{LengthUnit, Limits};
    ///
    /// let mastodon = Limits { max_length: 500, unit: LengthUnit::Characters, max_text_bytes: None,
    ///     url_weight: Some(23), max_media: 4, max_media_bytes: None, max_alt_text: Some(1500), max_thread: None };
    /// assert_eq!(mastodon.length("see https://example.org/a/very/long/path/indeed"), 4 + 23);
    /// let bluesky = Limits { unit: LengthUnit::Graphemes, url_weight: None, ..mastodon };
    /// assert_eq!(bluesky.length("👍🏽 ok"), 4);
    /// ```
    pub fn length(&self, text: &str) -> usize {
        let count = |s: &str| match self.unit {
            LengthUnit::Graphemes => s.graphemes(true).count(),
            LengthUnit::Characters => s.chars().count(),
            LengthUnit::Bytes => s.len(),
        };
        let Some(weight) = self.url_weight else {
            return count(text);
        };
        // Links count `weight` each; the rest, between them, as written.
        let (mut total, mut rest) = (0, text);
        while let Some(at) = find_link(rest) {
            let end = at
                + rest[at..]
                    .find(char::is_whitespace)
                    .unwrap_or(rest.len() - at);
            total += count(&rest[..at]) + weight;
            rest = &rest[end..];
        }
        total + count(rest)
    }
}

/// The limits in words, as a dry run reports which it checked: "300
/// graphemes and 3,000 bytes of text, 4 media of at most 2,000,000 bytes
/// each, alt text of at most 2,000 characters".
impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = tertulia_core::thousands;
        let unit = match self.unit {
            LengthUnit::Graphemes => "graphemes",
            LengthUnit::Characters => "characters",
            LengthUnit::Bytes => "bytes",
        };
        write!(f, "{} {unit}", n(self.max_length as u64))?;
        if let Some(b) = self.max_text_bytes {
            write!(f, " and {} bytes", n(b as u64))?;
        }
        write!(f, " of text")?;
        if let Some(w) = self.url_weight {
            write!(f, " (a link counts as {w})")?;
        }
        write!(f, ", {} media", self.max_media)?;
        if let Some(b) = self.max_media_bytes {
            write!(f, " of at most {} bytes each", n(b))?;
        }
        if let Some(a) = self.max_alt_text {
            write!(f, ", alt text of at most {} characters", n(a as u64))?;
        }
        if let Some(t) = self.max_thread {
            write!(f, ", threads of at most {t} posts")?;
        }
        Ok(())
    }
}

/// Where the next `http://` or `https://` link starts.
fn find_link(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("http") {
        let at = from + i;
        let tail = &s[at..];
        let starts_word = at == 0 || s[..at].ends_with(char::is_whitespace);
        if starts_word && (tail.starts_with("http://") || tail.starts_with("https://")) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// The key that makes a publish happen once, however often it is sent.
/// Keep it with the draft it publishes and send the same one on every try.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key, in bytes.
    pub const MAX: usize = 128;

    /// A key of 1 to 128 printable ASCII characters.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() || key.len() > Self::MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Validation {
                field: "idempotency_key".into(),
                message: format!(
                    "must be 1 to {} printable ASCII characters without spaces, not {key:?}",
                    Self::MAX
                ),
            });
        }
        Ok(IdempotencyKey(key))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

/// An image or video to attach.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its MIME type (`image/jpeg`, `image/png`, ...).
    pub mime: String,
    /// What it shows, for people who cannot see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .field("alt_text", &self.alt_text)
            .finish()
    }
}

/// One post of a publish: the whole post, or one part of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Its text.
    pub text: String,
    /// Its media.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

impl From<&str> for Part {
    fn from(text: &str) -> Self {
        Part {
            text: text.to_owned(),
            media: Vec::new(),
        }
    }
}

impl From<String> for Part {
    fn from(text: String) -> Self {
        Part {
            text,
            media: Vec::new(),
        }
    }
}

/// A post, or a thread of posts each answering the one before, to publish
/// once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRequest {
    /// The same on every try of this publish.
    pub idempotency_key: IdempotencyKey,
    /// One part for a post, several for a thread.
    pub parts: Vec<Part>,
    /// The post the first part answers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<PostRef>,
}

impl PublishRequest {
    /// A post of `text` under `key`.
    pub fn text(key: IdempotencyKey, text: impl Into<String>) -> Self {
        PublishRequest {
            idempotency_key: key,
            parts: vec![Part::from(text.into())],
            reply_to: None,
        }
    }

    /// A thread of `parts` under `key`.
    pub fn thread(key: IdempotencyKey, parts: impl IntoIterator<Item = impl Into<Part>>) -> Self {
        PublishRequest {
            idempotency_key: key,
            parts: parts.into_iter().map(Into::into).collect(),
            reply_to: None,
        }
    }
}

/// A published post, as the platform names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostRef {
    /// The platform's id (a Mastodon status id, a Bluesky `at://` URI).
    pub id: String,
    /// Where people see it, if the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The version of it that was published, where the platform names one
    /// (a Bluesky record's CID, which replies must quote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl PostRef {
    /// A reference by id alone.
    pub fn new(id: impl Into<String>) -> Self {
        PostRef {
            id: id.into(),
            url: None,
            version: None,
        }
    }
}

/// What a publish made: one post per part, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The posts.
    pub posts: Vec<PostRef>,
    /// Whether they are known to have been published before under the
    /// same key. `false` may still be a repeat on a platform that answers a
    /// repeat without saying so (Mastodon).
    pub repeated: bool,
}

/// Where a listing goes on: opaque, only the connector that gave it reads
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

/// Which page of a listing to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// Where to go on from; `None` for the first page (the newest items).
    pub cursor: Option<Cursor>,
    /// The most items wanted (the connector may give fewer).
    pub limit: Option<usize>,
}

impl From<Option<Cursor>> for PageRequest {
    fn from(cursor: Option<Cursor>) -> Self {
        PageRequest {
            cursor,
            limit: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<Cursor>,
}

/// The account's figures, as far as the platform reports them: missing is
/// `None`, never 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMetrics {
    /// Followers.
    pub followers: Option<u64>,
    /// Accounts followed.
    pub following: Option<u64>,
    /// Posts published.
    pub posts: Option<u64>,
}

/// A post's figures. Re-exported so connectors name one type.
pub type PostMetrics = Metrics;

/// Checks `request` against a connector's capabilities and limits, with
/// no network call: the first problem, naming the field and by how much.
/// Each medium must be what its type says by its bytes: an `image/png` must
/// start as a PNG does (see [`media_type`]).
///
/// ```
/// use tertulia_connect::{Capabilities, Capability, IdempotencyKey, LengthUnit, Limits, PublishRequest, validate};
///
/// let limits = Limits { max_length: 300, unit: LengthUnit::Graphemes, max_text_bytes: Some(3_000),
///     url_weight: None, max_media: 4, max_media_bytes: Some(2_000_000), max_alt_text: None, max_thread: None };
/// let caps = Capabilities::from_iter([Capability::Publish]);
/// let long = PublishRequest::text(IdempotencyKey::new("k1")?, "a".repeat(320));
/// let e = validate(&long, caps, &limits).unwrap_err();
/// assert_eq!(e.to_string(), "parts[0].text: 320 graphemes, 20 over the limit of 300");
/// # Ok::<(), tertulia_connect::Error>(())
/// ```
pub fn validate(request: &PublishRequest, caps: Capabilities, limits: &Limits) -> Result<()> {
    caps.require(Capability::Publish)?;
    let invalid = |field: String, message: String| Err(Error::Validation { field, message });
    if request.parts.is_empty() {
        return invalid("parts".into(), "a publish needs at least one part".into());
    }
    if request.parts.len() > 1 {
        caps.require(Capability::Thread)?;
        if let Some(max) = limits.max_thread.filter(|&m| request.parts.len() > m) {
            return invalid(
                "parts".into(),
                format!(
                    "{} parts, {} over the limit of {max}",
                    request.parts.len(),
                    request.parts.len() - max
                ),
            );
        }
    }
    let unit = match limits.unit {
        LengthUnit::Graphemes => "graphemes",
        LengthUnit::Characters => "characters",
        LengthUnit::Bytes => "bytes",
    };
    for (i, part) in request.parts.iter().enumerate() {
        if part.text.trim().is_empty() && part.media.is_empty() {
            return invalid(
                format!("parts[{i}].text"),
                "is empty and the part has no media".into(),
            );
        }
        if let Some(max) = limits.max_text_bytes.filter(|&m| part.text.len() > m) {
            return invalid(
                format!("parts[{i}].text"),
                format!(
                    "{} bytes of UTF-8, {} over the limit of {max} (emoji and accented letters take several bytes each)",
                    part.text.len(),
                    part.text.len() - max
                ),
            );
        }
        let n = limits.length(&part.text);
        if n > limits.max_length {
            return invalid(
                format!("parts[{i}].text"),
                format!(
                    "{n} {unit}, {} over the limit of {}",
                    n - limits.max_length,
                    limits.max_length
                ),
            );
        }
        if part.media.is_empty() {
            continue;
        }
        caps.require(Capability::Media)?;
        if part.media.len() > limits.max_media {
            return invalid(
                format!("parts[{i}].media"),
                format!(
                    "{} media, {} over the limit of {}",
                    part.media.len(),
                    part.media.len() - limits.max_media,
                    limits.max_media
                ),
            );
        }
        for (j, m) in part.media.iter().enumerate() {
            if let Some(problem) = type_problem(m) {
                return invalid(format!("parts[{i}].media[{j}]"), problem);
            }
            if let Some(max) = limits
                .max_media_bytes
                .filter(|&max| m.bytes.len() as u64 > max)
            {
                return invalid(
                    format!("parts[{i}].media[{j}]"),
                    format!(
                        "{} bytes, {} over the limit of {max}",
                        m.bytes.len(),
                        m.bytes.len() as u64 - max
                    ),
                );
            }
            if let Some(alt) = &m.alt_text {
                caps.require(Capability::AltText)?;
                let n = alt.chars().count();
                if let Some(max) = limits.max_alt_text.filter(|&max| n > max) {
                    return invalid(
                        format!("parts[{i}].media[{j}].alt_text"),
                        format!("{n} characters, {} over the limit of {max}", n - max),
                    );
                }
            }
        }
    }
    Ok(())
}

/// The type of a medium by its first bytes: `image/png`, `image/jpeg`,
/// `image/gif`, `image/webp`, `image/avif`, `image/heic`, `video/mp4`,
/// `video/quicktime` or `video/webm`; `None` when it is none of these.
///
/// ```
/// use tertulia_connect::media_type;
///
/// assert_eq!(media_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
/// assert_eq!(media_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
/// assert_eq!(media_type(b"definitely not an image"), None);
/// ```
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if at(0, b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("image/gif")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        Some("video/webm")
    } else if at(4, b"ftyp") {
        // ISO base media: the brand says which.
        match bytes.get(8..12)? {
            b"avif" | b"avis" => Some("image/avif"),
            b"heic" | b"heix" | b"mif1" | b"msf1" => Some("image/heic"),
            b"qt  " => Some("video/quicktime"),
            _ => Some("video/mp4"),
        }
    } else {
        None
    }
}

/// What is wrong with a medium's type, if anything: its bytes must be the
/// type it says (`image/jpg` is read as `image/jpeg`).
fn type_problem(m: &Media) -> Option<String> {
    let said = m.mime.trim().to_ascii_lowercase();
    let said = if said == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        said
    };
    let head: Vec<String> = m.bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    match media_type(&m.bytes) {
        Some(found) if found == said => None,
        Some(found) => Some(format!(
            "says {said} but its bytes are {found}: give the type the file has"
        )),
        None if said.starts_with("image/") || said.starts_with("video/") => Some(format!(
            "says {said} but its bytes are no image or video this checks (PNG, JPEG, GIF, WebP, AVIF, HEIC, MP4, QuickTime, WebM; they start {}): give the file itself",
            if head.is_empty() {
                "with nothing".to_owned()
            } else {
                head.join(" ")
            }
        )),
        // A type this does not know: the platform decides.
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_length: 10,
            unit: LengthUnit::Characters,
            max_text_bytes: Some(16),
            url_weight: Some(23),
            max_media: 1,
            max_media_bytes: Some(8),
            max_alt_text: Some(5),
            max_thread: Some(2),
        }
    }

    #[test]
    fn limits_read_as_words() {
        assert_eq!(
            limits().to_string(),
            "10 characters and 16 bytes of text (a link counts as 23), 1 media of at most 8 bytes each, alt text of at most 5 characters, threads of at most 2 posts"
        );
    }

    #[test]
    fn links_count_their_weight_wherever_they_are() {
        let l = limits();
        assert_eq!(l.length("https://a.b/c"), 23);
        assert_eq!(l.length("x http://a.b y https://c.d"), 2 + 23 + 3 + 23);
        assert_eq!(
            l.length("nothttp://a.b"),
            13,
            "inside a word it is not a link"
        );
        assert_eq!(l.length("ñandú"), 5);
    }

    #[test]
    fn each_problem_names_its_field() {
        let caps = Capabilities::all();
        let key = IdempotencyKey::new("k").unwrap();
        // A GIF header and padding: an image by its bytes.
        let media = |n: usize, alt: Option<&str>| Media {
            bytes: b"GIF89a"
                .iter()
                .copied()
                .chain(std::iter::repeat(0))
                .take(n)
                .collect(),
            mime: "image/gif".into(),
            alt_text: alt.map(Into::into),
        };
        let with_media = |m: Vec<Media>| PublishRequest {
            idempotency_key: key.clone(),
            parts: vec![Part {
                text: "hi".into(),
                media: m,
            }],
            reply_to: None,
        };
        let field = |r: &PublishRequest, caps: Capabilities| match validate(r, caps, &limits()) {
            Err(Error::Validation { field, .. }) => field,
            Err(Error::Unsupported { capability }) => format!("{capability:?}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(&PublishRequest::thread(key.clone(), ["a", "b", "c"]), caps),
            "parts"
        );
        assert_eq!(
            field(&PublishRequest::thread(key.clone(), ["a", "  "]), caps),
            "parts[1].text"
        );
        assert_eq!(
            field(&with_media(vec![media(8, None), media(8, None)]), caps),
            "parts[0].media"
        );
        assert_eq!(
            field(&with_media(vec![media(9, None)]), caps),
            "parts[0].media[0]"
        );
        // Ten characters, but 30 bytes: the byte limit is a limit too.
        assert_eq!(
            field(
                &PublishRequest::text(key.clone(), "ñ".repeat(10).replace('ñ', "€")),
                caps
            ),
            "parts[0].text"
        );
        // Random bytes named .png are no image.
        let fake = Media {
            bytes: vec![0x3f; 8],
            mime: "image/png".into(),
            alt_text: None,
        };
        let e = validate(&with_media(vec![fake]), caps, &limits())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("parts[0].media[0]: says image/png but its bytes are no image"),
            "{e}"
        );
        let wrong = Media {
            mime: "image/jpeg".into(),
            ..media(8, None)
        };
        let e = validate(&with_media(vec![wrong]), caps, &limits())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("says image/jpeg but its bytes are image/gif"),
            "{e}"
        );
        assert_eq!(
            field(&with_media(vec![media(8, Some("longer"))]), caps),
            "parts[0].media[0].alt_text"
        );
        assert_eq!(
            field(
                &with_media(vec![media(8, Some("ok"))]),
                caps.without(Capability::AltText)
            ),
            "AltText"
        );
        assert_eq!(
            field(
                &PublishRequest::thread(key.clone(), ["a", "b"]),
                caps.without(Capability::Thread)
            ),
            "Thread"
        );
        assert!(validate(&with_media(vec![media(8, Some("cat"))]), caps, &limits()).is_ok());
    }

    #[test]
    fn keys_and_capabilities_read_back() {
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("has space").is_err());
        assert!(IdempotencyKey::new("x".repeat(129)).is_err());
        let caps: Capabilities = serde_json::from_str(r#"["delete","publish"]"#).unwrap();
        assert_eq!(
            caps,
            Capabilities::from_iter([Capability::Publish, Capability::Delete])
        );
        assert!(serde_json::from_str::<IdempotencyKey>(r#""""#).is_err());
    }
}
