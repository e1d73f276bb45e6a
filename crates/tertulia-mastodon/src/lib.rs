//! **Connect: Mastodon.** The [`Connector`] for Mastodon's REST API, and
//! for the servers that speak it.
//!
//! - Publishing sends the `Idempotency-Key` header (Mastodon keeps it an
//!   hour), so a retried publish makes no second status; each part of a
//!   thread has a key of its own (`KEY-0`, `KEY-1`, ...) and answers the
//!   part before with `in_reply_to_id`, so a thread cut short resumes where
//!   it stopped.
//! - Media go up through `/api/v2/media` with their description (alt text);
//!   the connector waits while the server processes them.
//! - Mentions are the `mention` notifications, and [`Mastodon::statuses`]
//!   the account's own statuses, both paged by the `Link` header;
//!   replies come from `/api/v1/statuses/:id/context`; counts from the
//!   status; the account's figures from `verify_credentials`.
//! - [`Mastodon::connect`] reads the instance's own limits
//!   (`max_characters`, a URL counting as `characters_reserved_per_url`).
//! - Every answer's `X-RateLimit-*` headers are read; a 429 is
//!   [`Error::RateLimited`] with the reset time.
//!
//! The access token is a [`Secret`]: it never shows in `Debug`, errors or
//! logs. Wrap the connector in `tertulia_connect::layers` for retries and
//! rate limits.
//!
//! ```no_run
//! # async fn run() -> tertulia_connect::Result<()> {
//! use tertulia_connect::{ConnectorExt, IdempotencyKey};
//! use tertulia_connect::layers::Retry;
//! use tertulia_mastodon::Mastodon;
//!
//! let token = std::env::var("MASTODON_TOKEN").unwrap();
//! let mastodon = Retry::new(Mastodon::connect("https://mastodon.social", token).await?);
//! mastodon.publish_text(IdempotencyKey::new("launch-2026-12-01")?, "Glow Serum is here ✨").await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tertulia_connect::{
    AccountMetrics, AuthProblem, Capabilities, Capability, Connector, Cursor, Error, LengthUnit,
    Limits, Media, Page, PageRequest, PostMetrics, PostRef, PublishRequest, Published, RateLimit,
    Result, http,
};
use tertulia_core::{
    AccountId, Author, Clock, Handle, Language, Mention, MentionId, MentionKind, Metrics, Platform,
    PostId, Secret, SystemClock, decode_entities,
};
use url::Url;

/// Who may see what the connector publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Everyone, on public timelines.
    #[default]
    Public,
    /// Everyone, off public timelines.
    Unlisted,
    /// Followers only.
    Private,
    /// The mentioned accounts only.
    Direct,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// A Mastodon account, reached with an access token.
#[derive(Debug, Clone)]
pub struct Mastodon {
    base: Url,
    token: Secret,
    client: reqwest::Client,
    limits: Limits,
    visibility: Visibility,
    clock: Arc<dyn Clock>,
    /// How often, and how long in all, to ask whether media are processed.
    media_poll: Duration,
    media_wait: Duration,
}

/// One of the account's own statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnStatus {
    /// How it is referred to.
    pub post: PostRef,
    /// Its text (the HTML read as text).
    pub text: String,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
    /// The status it answers, if any.
    pub in_reply_to: Option<String>,
}

/// Mastodon's defaults, for a server that does not say its own.
const DEFAULT_LIMITS: Limits = Limits {
    max_length: 500,
    unit: LengthUnit::Characters,
    max_text_bytes: None,
    url_weight: Some(23),
    max_media: 4,
    max_media_bytes: Some(16 * 1024 * 1024),
    max_alt_text: Some(1_500),
    max_thread: None,
};

impl Mastodon {
    /// The account of `token` on the server at `base`, with Mastodon's
    /// default limits (500 characters, a URL counting as 23, 4 media): no
    /// network call. [`Mastodon::connect`] reads the server's own.
    pub fn new(base: &str, token: impl Into<Secret>) -> Result<Self> {
        let mut base = http::server_url("base", base)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let token = token.into();
        if token.expose().trim().is_empty() {
            return Err(Error::Auth {
                problem: AuthProblem::Missing,
                message: "an access token is needed".into(),
            });
        }
        let client = http::client()?;
        Ok(Mastodon {
            base,
            token,
            client,
            limits: DEFAULT_LIMITS,
            visibility: Visibility::default(),
            clock: Arc::new(SystemClock),
            media_poll: Duration::from_secs(1),
            media_wait: Duration::from_secs(60),
        })
    }

    /// The same, with the server's limits read from `/api/v1/instance`.
    pub async fn connect(base: &str, token: impl Into<Secret>) -> Result<Self> {
        let mut m = Self::new(base, token)?;
        let instance: Instance = m.call(Method::GET, "api/v1/instance", None).await?;
        m.limits = instance.limits();
        Ok(m)
    }

    /// Mastodon's default limits: what a server that does not say its own
    /// allows (500 characters, a link counting as 23, 4 media of at most
    /// 16 MiB, alt text of at most 1,500 characters).
    pub fn default_limits() -> Limits {
        DEFAULT_LIMITS
    }

    /// The limits of the server at `base`, read from its public
    /// `/api/v1/instance` with no credential (for a dry run).
    pub async fn server_limits(base: &str) -> Result<Limits> {
        let m = Self::new(base, "none")?;
        let url = m.url("api/v1/instance")?;
        let response = m.client.get(url).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(error_of(
                status,
                &text,
                &RateLimit::default(),
                "api/v1/instance",
            ));
        }
        let instance: Instance = decode("api/v1/instance", &text)?;
        Ok(instance.limits())
    }

    /// The same, checking posts against `limits` (from
    /// [`Mastodon::server_limits`], or your own).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same, publishing with `visibility`.
    #[must_use]
    pub fn with_visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// The same, reading reset times against `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same, asking every `poll` whether media are processed, for at
    /// most `wait` in all.
    #[must_use]
    pub fn with_media_wait(mut self, poll: Duration, wait: Duration) -> Self {
        self.media_poll = poll;
        self.media_wait = wait;
        self
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base.join(path).map_err(|e| Error::Validation {
            field: "path".into(),
            message: format!("{path}: {e}"),
        })
    }

    /// Sends a request and reads its JSON answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<(serde_json::Value, Option<String>)>,
    ) -> Result<T> {
        let mut request = self
            .client
            .request(method, self.url(path)?)
            .bearer_auth(self.token.expose());
        if let Some((body, key)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
        }
        let (_, _, text) = self.send(request, path).await?;
        decode(path, &text)
    }

    /// Sends a request; the status, the `Link` header and the body of a
    /// success, or the error the answer means.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: &str,
    ) -> Result<(StatusCode, Option<String>, String)> {
        let response = request.send().await?;
        let status = response.status();
        let headers = http::headers(&response);
        let link = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("link"))
            .map(|(_, v)| v.clone());
        let text = response.text().await?;
        if status.is_success() {
            return Ok((status, link, text));
        }
        let limit = RateLimit::from_headers(
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            self.clock.now(),
        );
        Err(error_of(status, &text, &limit, endpoint))
    }

    /// Uploads one medium and waits until the server has processed it.
    async fn upload(&self, m: &Media) -> Result<String> {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(m.bytes.clone())
                .file_name("upload")
                .mime_str(&m.mime)
                .map_err(|_| Error::Validation {
                    field: "media.mime".into(),
                    message: format!("{:?} is not a MIME type", m.mime),
                })?,
        );
        if let Some(alt) = &m.alt_text {
            form = form.text("description", alt.clone());
        }
        let path = "api/v2/media";
        let request = self
            .client
            .post(self.url(path)?)
            .bearer_auth(self.token.expose())
            .multipart(form);
        let (_, _, text) = self.send(request, path).await?;
        let mut attachment: Attachment = decode(path, &text)?;
        let started = tokio::time::Instant::now();
        while attachment.url.is_none() {
            if started.elapsed() >= self.media_wait {
                return Err(Error::Upstream {
                    status: None,
                    retry_after: None,
                    message: format!(
                        "medium {} still processing after {} s",
                        attachment.id,
                        self.media_wait.as_secs()
                    ),
                });
            }
            tokio::time::sleep(self.media_poll).await;
            let path = format!("api/v1/media/{}", attachment.id);
            let request = self
                .client
                .get(self.url(&path)?)
                .bearer_auth(self.token.expose());
            let (status, _, text) = self.send(request, &path).await?;
            // 206: still processing.
            if status != StatusCode::PARTIAL_CONTENT {
                attachment = decode(&path, &text)?;
            }
        }
        Ok(attachment.id)
    }

    /// The account's own statuses, newest first, paged by the `Link`
    /// header: each with its text and when it was posted.
    pub async fn statuses(&self, page: &PageRequest) -> Result<Page<OwnStatus>> {
        let me: Account = self
            .call(Method::GET, "api/v1/accounts/verify_credentials", None)
            .await?;
        let path = format!("api/v1/accounts/{}/statuses", me.id);
        let (statuses, next): (Vec<Status>, _) = self.listing(&path, &[], page).await?;
        let items = statuses
            .iter()
            .map(|s| OwnStatus {
                post: s.post(),
                text: text_of(&s.content),
                created_at: s.created_at,
                in_reply_to: s.in_reply_to_id.clone(),
            })
            .collect();
        Ok(Page { items, next })
    }

    fn status_id<'a>(&self, post: &'a PostRef) -> Result<&'a str> {
        if !post.id.is_empty() && post.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(&post.id)
        } else {
            Err(Error::NotFound {
                what: format!("status {:?} (not a Mastodon status id)", post.id),
            })
        }
    }

    /// A page of a listing whose next page the `Link` header names by
    /// `max_id`.
    async fn listing<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        page: &PageRequest,
    ) -> Result<(Vec<T>, Option<Cursor>)> {
        let mut url = self.url(path)?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
            q.append_pair("limit", &page.limit.unwrap_or(20).clamp(1, 40).to_string());
            if let Some(Cursor(max_id)) = &page.cursor {
                q.append_pair("max_id", max_id);
            }
        }
        let request = self.client.get(url).bearer_auth(self.token.expose());
        let (_, link, text) = self.send(request, path).await?;
        let items: Vec<T> = decode(path, &text)?;
        // An empty page is the last, whatever the header says.
        let next = link
            .as_deref()
            .and_then(next_max_id)
            .map(Cursor)
            .filter(|_| !items.is_empty());
        Ok((items, next))
    }
}

/// The `max_id` of the `rel="next"` link of a `Link` header.
fn next_max_id(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
        {
            return None;
        }
        let url = Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "max_id")
            .map(|(_, v)| v.into_owned())
    })
}

fn decode<T: DeserializeOwned>(endpoint: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Decode {
        endpoint: endpoint.to_owned(),
        message: e.to_string(),
    })
}

/// What an unsuccessful answer means.
fn error_of(status: StatusCode, body: &str, limit: &RateLimit, endpoint: &str) -> Error {
    #[derive(Deserialize)]
    struct Body {
        error: String,
    }
    let message = serde_json::from_str::<Body>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| {
            let words = tertulia_connect::http::body_words(body);
            if words.starts_with("an HTML page") {
                // Mastodon's API answers JSON: a page is some other server.
                format!("{words}, not Mastodon's API: check that the server's address is a Mastodon server")
            } else {
                words
            }
        });
    match status.as_u16() {
        401 => Error::Auth {
            problem: if message.contains("revoked") {
                AuthProblem::Revoked
            } else if message.contains("expired") {
                AuthProblem::Expired
            } else {
                AuthProblem::Invalid
            },
            message,
        },
        403 if message.contains("scope") => Error::Auth {
            problem: AuthProblem::MissingScope,
            message,
        },
        404 | 410 => Error::NotFound {
            what: format!("{endpoint}: {message}"),
        },
        409 => Error::Conflict { message },
        422 => Error::Validation {
            field: "status".into(),
            message,
        },
        429 => limit.error(Some(endpoint.to_owned())),
        code => Error::Upstream {
            status: Some(code),
            retry_after: limit.retry_after,
            message,
        },
    }
}

#[derive(Debug, Deserialize)]
struct Instance {
    #[serde(default)]
    configuration: Option<Configuration>,
    /// Pleroma and Glitch say it here.
    #[serde(default)]
    max_toot_chars: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct Configuration {
    #[serde(default)]
    statuses: Option<StatusConfig>,
    #[serde(default)]
    media_attachments: Option<MediaConfig>,
}

#[derive(Debug, Deserialize)]
struct StatusConfig {
    max_characters: Option<usize>,
    max_media_attachments: Option<usize>,
    characters_reserved_per_url: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct MediaConfig {
    image_size_limit: Option<u64>,
    #[serde(default)]
    description_limit: Option<usize>,
}

impl Instance {
    fn limits(&self) -> Limits {
        let statuses = self
            .configuration
            .as_ref()
            .and_then(|c| c.statuses.as_ref());
        let media = self
            .configuration
            .as_ref()
            .and_then(|c| c.media_attachments.as_ref());
        Limits {
            max_length: statuses
                .and_then(|s| s.max_characters)
                .or(self.max_toot_chars)
                .unwrap_or(DEFAULT_LIMITS.max_length),
            url_weight: statuses
                .and_then(|s| s.characters_reserved_per_url)
                .or(DEFAULT_LIMITS.url_weight),
            max_media: statuses
                .and_then(|s| s.max_media_attachments)
                .unwrap_or(DEFAULT_LIMITS.max_media),
            max_media_bytes: media
                .and_then(|m| m.image_size_limit)
                .or(DEFAULT_LIMITS.max_media_bytes),
            max_alt_text: media
                .and_then(|m| m.description_limit)
                .or(DEFAULT_LIMITS.max_alt_text),
            ..DEFAULT_LIMITS
        }
    }
}

#[derive(Debug, Deserialize)]
struct Attachment {
    id: String,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Account {
    id: String,
    acct: String,
    #[serde(default)]
    followers_count: Option<u64>,
    #[serde(default)]
    following_count: Option<u64>,
    #[serde(default)]
    statuses_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    language: Option<String>,
    account: Account,
    #[serde(default)]
    replies_count: Option<u64>,
    #[serde(default)]
    reblogs_count: Option<u64>,
    #[serde(default)]
    favourites_count: Option<u64>,
}

impl Status {
    fn post(&self) -> PostRef {
        PostRef {
            id: self.id.clone(),
            url: self.url.clone().or_else(|| self.uri.clone()),
            version: None,
        }
    }

    fn mention(&self, endpoint: &str) -> Result<Mention> {
        let bad = |e: tertulia_core::Error| Error::Decode {
            endpoint: endpoint.to_owned(),
            message: e.to_string(),
        };
        let mut author = Author::new(
            AccountId::new(self.account.id.clone()).map_err(bad)?,
            Handle::new(self.account.acct.clone()).map_err(bad)?,
        );
        author.followers = self.account.followers_count;
        let mut m = Mention::new(
            MentionId::new(self.id.clone()).map_err(bad)?,
            Platform::Mastodon,
            author,
            self.created_at,
            text_of(&self.content),
        );
        if let Some(parent) = &self.in_reply_to_id {
            m.kind = MentionKind::Comment;
            m.in_reply_to = Some(PostId::new(parent.clone()).map_err(bad)?);
        }
        m.language = self.language.as_deref().and_then(|l| Language::new(l).ok());
        Ok(m)
    }
}

#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    status: Option<Status>,
}

/// The mentions in a body of `/api/v1/notifications` (the other kinds of
/// notification left out); an answer that is not one is [`Error::Decode`].
///
/// ```
/// let body = r#"[{"id": "7", "type": "mention", "status": {"id": "109", "created_at": "2026-12-01T10:00:00Z",
///     "content": "<p>@aurora hi &amp; bye</p>", "account": {"id": "5", "acct": "luis@other.example"}}}]"#;
/// let m = tertulia_mastodon::mentions_from_notifications(body).unwrap();
/// assert_eq!(m[0].text, "@aurora hi & bye");
/// assert!(tertulia_mastodon::mentions_from_notifications("<html>").is_err());
/// ```
pub fn mentions_from_notifications(body: &str) -> Result<Vec<Mention>> {
    let path = "api/v1/notifications";
    mentions_of(&decode::<Vec<Notification>>(path, body)?, path)
}

fn mentions_of(notifications: &[Notification], path: &str) -> Result<Vec<Mention>> {
    notifications
        .iter()
        .filter(|n| n.kind == "mention")
        .filter_map(|n| n.status.as_ref())
        .map(|s| s.mention(path))
        .collect()
}

#[derive(Debug, Deserialize)]
struct Context {
    descendants: Vec<Status>,
}

/// The text of a status's HTML: tags dropped, paragraphs and line breaks as
/// new lines, entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        if name.eq_ignore_ascii_case("br")
            || (tag.starts_with("/p") && rest.len() > open + close + 1)
        {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    decode_entities(&out).trim().to_owned()
}

#[async_trait]
impl Connector for Mastodon {
    fn platform(&self) -> Platform {
        Platform::Mastodon
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::from_iter([
            Capability::Publish,
            Capability::Thread,
            Capability::Media,
            Capability::AltText,
            Capability::Delete,
            Capability::Mentions,
            Capability::Replies,
            Capability::PostMetrics,
            Capability::AccountMetrics,
            Capability::IdempotentPublish,
        ])
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    async fn publish(&self, request: &PublishRequest) -> Result<Published> {
        self.validate(request)?;
        let mut posts: Vec<PostRef> = Vec::new();
        for (i, part) in request.parts.iter().enumerate() {
            let sent: Result<Status> = async {
                let mut media_ids = Vec::new();
                for m in &part.media {
                    media_ids.push(self.upload(m).await?);
                }
                let reply_to = posts
                    .last()
                    .or(request.reply_to.as_ref())
                    .map(|p| p.id.clone());
                let body = json!({
                    "status": part.text,
                    "visibility": self.visibility.as_str(),
                    "in_reply_to_id": reply_to,
                    "media_ids": media_ids,
                });
                let key = if request.parts.len() == 1 {
                    request.idempotency_key.as_str().to_owned()
                } else {
                    format!("{}-{i}", request.idempotency_key.as_str())
                };
                self.call(Method::POST, "api/v1/statuses", Some((body, Some(key))))
                    .await
            }
            .await;
            match sent {
                Ok(status) => posts.push(status.post()),
                Err(e) => return Err(Error::partial(posts, e)),
            }
        }
        // Mastodon answers a repeated key with the status it made before,
        // and does not say that it did.
        Ok(Published {
            posts,
            repeated: false,
        })
    }

    async fn delete(&self, post: &PostRef) -> Result<()> {
        let path = format!("api/v1/statuses/{}", self.status_id(post)?);
        let _: serde_json::Value = self.call(Method::DELETE, &path, None).await?;
        Ok(())
    }

    async fn mentions(&self, page: &PageRequest) -> Result<Page<Mention>> {
        let path = "api/v1/notifications";
        let (notifications, next): (Vec<Notification>, _) = self
            .listing(path, &[("types[]", "mention".to_owned())], page)
            .await?;
        let items = mentions_of(&notifications, path)?;
        Ok(Page { items, next })
    }

    async fn replies(&self, post: &PostRef, page: &PageRequest) -> Result<Page<Mention>> {
        if page.cursor.is_some() {
            // The context is one page: there is no next.
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let path = format!("api/v1/statuses/{}/context", self.status_id(post)?);
        let context: Context = self.call(Method::GET, &path, None).await?;
        let items = context
            .descendants
            .iter()
            .rev()
            .map(|s| s.mention(&path))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next: None })
    }

    async fn post_metrics(&self, post: &PostRef) -> Result<PostMetrics> {
        let path = format!("api/v1/statuses/{}", self.status_id(post)?);
        let s: Status = self.call(Method::GET, &path, None).await?;
        Ok(Metrics {
            likes: s.favourites_count,
            comments: s.replies_count,
            shares: s.reblogs_count,
            ..Metrics::default()
        })
    }

    async fn account_metrics(&self) -> Result<AccountMetrics> {
        let a: Account = self
            .call(Method::GET, "api/v1/accounts/verify_credentials", None)
            .await?;
        Ok(AccountMetrics {
            followers: a.followers_count,
            following: a.following_count,
            posts: a.statuses_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            text_of(
                r#"<p><span class="h-card"><a href="https://x/@aurora">@<span>aurora</span></a></span> is it &lt;safe&gt;?</p><p>Thanks &amp; bye<br/>luis</p>"#
            ),
            "@aurora is it <safe>?\nThanks & bye\nluis"
        );
        assert_eq!(text_of("plain"), "plain");
        assert_eq!(text_of("broken <a"), "broken <a");
    }

    #[test]
    fn the_next_link_gives_its_max_id() {
        let link = r#"<https://m.example/api/v1/notifications?max_id=109&types[]=mention>; rel="next", <https://m.example/api/v1/notifications?min_id=120>; rel="prev""#;
        assert_eq!(next_max_id(link).as_deref(), Some("109"));
        assert_eq!(
            next_max_id(r#"<https://m.example/x?min_id=1>; rel="prev""#),
            None
        );
        assert_eq!(next_max_id("garbage"), None);
    }

    #[test]
    fn a_server_that_is_not_mastodon_is_one_line() {
        let page = "<!DOCTYPE html>\n<html><head><title>501 Not Implemented</title></head>\n<body><h1>Not Implemented</h1>\n<p>The server does not support the action.</p></body></html>\n";
        let e = error_of(
            StatusCode::NOT_IMPLEMENTED,
            page,
            &RateLimit::default(),
            "api/v2/instance",
        );
        let said = e.to_string();
        assert_eq!(said.lines().count(), 1, "{said}");
        assert!(!said.contains('<'), "{said}");
        assert!(
            said.contains("\"501 Not Implemented\"") && said.contains("Mastodon server"),
            "{said}"
        );
    }

    #[test]
    fn answers_map_to_errors() {
        let none = RateLimit::default();
        let e = |code: u16, body: &str| {
            error_of(
                StatusCode::from_u16(code).unwrap(),
                body,
                &none,
                "api/v1/statuses",
            )
        };
        assert!(matches!(
            e(401, r#"{"error":"The access token was revoked"}"#),
            Error::Auth {
                problem: AuthProblem::Revoked,
                ..
            }
        ));
        assert!(matches!(
            e(401, r#"{"error":"The access token is invalid"}"#),
            Error::Auth {
                problem: AuthProblem::Invalid,
                ..
            }
        ));
        assert!(matches!(
            e(
                403,
                r#"{"error":"This action is outside the authorized scopes"}"#
            ),
            Error::Auth {
                problem: AuthProblem::MissingScope,
                ..
            }
        ));
        assert!(matches!(
            e(404, r#"{"error":"Record not found"}"#),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            e(
                422,
                r#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#
            ),
            Error::Validation { .. }
        ));
        assert!(matches!(e(429, ""), Error::RateLimited { .. }));
        assert!(e(503, "<html>down</html>").is_retryable());
        assert!(!e(400, "{}").is_retryable());
    }

    #[test]
    fn the_token_never_shows() {
        let m = Mastodon::new("https://m.example", "s3cr3t-t0k3n").unwrap();
        assert!(!format!("{m:?}").contains("s3cr3t"));
        assert!(Mastodon::new("https://m.example", " ").is_err());
        assert!(Mastodon::new("ftp://m.example", "t").is_err());
    }
}
