//! **Connect: Bluesky.** The [`Connector`] for the AT Protocol, over XRPC
//! to the account's PDS.
//!
//! - **One session.** It logs in once (`createSession`), keeps the session
//!   in a [`SessionStore`] (memory by default; yours to persist it), and
//!   refreshes it when the PDS answers `ExpiredToken` (a 400, not a 401).
//!   It never logs in per call: the PDS allows 30 logins in 5 minutes.
//! - **Posts** of up to 300 graphemes, with facets for links, mentions and
//!   hashtags by UTF-8 byte offsets ([`spans`]; a mention's handle is
//!   resolved to its DID, and one that does not resolve stays plain text);
//!   threads with `root` and `parent` references (each part's CID kept);
//!   up to four images of 2 MB with alt text.
//! - **Duplicate-safe.** Each part's record key is a TID derived from the
//!   idempotency key. A second create of the same key is refused by the
//!   PDS, and the connector then reads the record (`getRecord`) and answers
//!   with it; after an answer that never came it looks before it reports a
//!   failure. A retried publish never makes a second post.
//! - **Reading.** [`Bluesky::posts`] lists the account's own posts
//!   (`listRecords`, on the PDS itself). Mentions, replies, counts and
//!   profile figures need an AppView ([`Bluesky::with_appview`]); a PDS
//!   with none answers 502, reported as [`Error::Upstream`] "unavailable".
//! - **Errors** are read by their XRPC name (`ExpiredToken`,
//!   `RecordNotFound`, `RateLimitExceeded` with its `RateLimit-*` headers).
//!
//! The password is a [`Secret`], and so are the session's tokens.
//!
//! ```no_run
//! # async fn run() -> tertulia_connect::Result<()> {
//! use tertulia_bluesky::Bluesky;
//! use tertulia_connect::{ConnectorExt, IdempotencyKey};
//!
//! let password = std::env::var("BLUESKY_APP_PASSWORD").unwrap();
//! let bluesky = Bluesky::new("https://bsky.social", "aurora.bsky.social", password)?;
//! bluesky.publish_text(IdempotencyKey::new("launch-2026-12-01")?, "Glow Serum is here ✨ #GlowSerum").await?;
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tertulia_connect::{
    AccountMetrics, AuthProblem, Capabilities, Capability, Connector, Cursor, Error,
    IdempotencyKey, LengthUnit, Limits, Page, PageRequest, PostMetrics, PostRef, PublishRequest,
    Published, RateLimit, Result, http,
};
use tertulia_core::{
    AccountId, Author, Clock, Handle, Mention, MentionId, MentionKind, Metrics, Platform, PostId,
    Secret, SystemClock,
};
use url::Url;

mod richtext;

pub use richtext::{ByteSlice, Feature, Span, spans};

/// The collection posts live in.
const POSTS: &str = "app.bsky.feed.post";

/// A logged-in session: who, and the tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The account's DID.
    pub did: String,
    /// Its handle.
    pub handle: String,
    /// The short-lived token calls carry.
    pub access_jwt: Secret,
    /// The token that gets a new one.
    pub refresh_jwt: Secret,
}

/// Where sessions are kept between calls and runs, so that a restart does
/// not log in again.
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// The session kept, if any.
    fn load(&self) -> Option<Session>;
    /// Keeps `session` (or forgets it, with `None`).
    fn save(&self, session: Option<&Session>);
}

/// Sessions kept in memory: for one run.
#[derive(Debug, Default)]
pub struct MemorySessions(Mutex<Option<Session>>);

impl SessionStore for MemorySessions {
    fn load(&self) -> Option<Session> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn save(&self, session: Option<&Session>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = session.cloned();
    }
}

/// Sessions kept in a file, so a worker that runs every minute from cron,
/// or restarts after a crash, goes on with its session instead of logging
/// in again (a PDS limits logins: about 30 in 5 minutes per account). The
/// file holds tokens: it is written only by its owner (mode 0600 on Unix),
/// atomically, and a file that cannot be read is treated as no session.
#[derive(Debug, Clone)]
pub struct FileSessions {
    path: std::path::PathBuf,
}

impl FileSessions {
    /// Sessions in the file at `path` (its folder is made if missing).
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        FileSessions { path: path.into() }
    }

    fn write(&self, session: Option<&Session>) -> std::io::Result<()> {
        let Some(session) = session else {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        std::io::Write::write_all(&mut f, serde_json::to_string(session)?.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl SessionStore for FileSessions {
    fn load(&self) -> Option<Session> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }
    fn save(&self, session: Option<&Session>) {
        // A session that cannot be kept costs a login next time, no more.
        let _ = self.write(session);
    }
}

/// A Bluesky account on its PDS.
#[derive(Debug, Clone)]
pub struct Bluesky {
    pds: Url,
    identifier: String,
    password: Secret,
    client: reqwest::Client,
    sessions: Arc<dyn SessionStore>,
    /// Serializes logging in and refreshing, so concurrent calls do it once.
    login: Arc<tokio::sync::Mutex<()>>,
    /// Whether to read through an AppView, and the proxy service (empty:
    /// the PDS's own).
    appview: Option<String>,
    clock: Arc<dyn Clock>,
}

/// A body for an XRPC call.
#[derive(Clone, Copy)]
enum Body<'a> {
    None,
    Json(&'a Value),
    Bytes(&'a [u8], &'a str),
}

impl Bluesky {
    /// The account `identifier` (handle, DID or e-mail) with its (app)
    /// password, on the PDS at `pds`. Nothing is sent until the first call.
    pub fn new(
        pds: &str,
        identifier: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Result<Self> {
        let pds = http::server_url("pds", pds)?;
        let (identifier, password) = (identifier.into(), password.into());
        if identifier.trim().is_empty() || password.expose().is_empty() {
            return Err(Error::Auth {
                problem: AuthProblem::Missing,
                message: "an identifier and a password are needed".into(),
            });
        }
        let client = http::client()?;
        Ok(Bluesky {
            pds,
            identifier,
            password,
            client,
            sessions: Arc::new(MemorySessions::default()),
            login: Arc::default(),
            appview: None,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same, keeping sessions in `store`.
    #[must_use]
    pub fn with_session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.sessions = store;
        self
    }

    /// The same, reading mentions, replies and counts through the AppView
    /// the PDS is set up with.
    #[must_use]
    pub fn with_appview(mut self) -> Self {
        self.appview = Some(String::new());
        self
    }

    /// The same, through the AppView `service` names, by the
    /// `atproto-proxy` header (`did:web:api.bsky.app#bsky_appview` is
    /// Bluesky's own).
    #[must_use]
    pub fn with_appview_proxy(mut self, service: impl Into<String>) -> Self {
        self.appview = Some(service.into());
        self
    }

    /// The same, reading reset times and stamping posts with `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The session, logging in if there is none yet.
    pub async fn session(&self) -> Result<Session> {
        if let Some(s) = self.sessions.load() {
            return Ok(s);
        }
        let _one = self.login.lock().await;
        if let Some(s) = self.sessions.load() {
            return Ok(s);
        }
        self.create_session().await
    }

    async fn create_session(&self) -> Result<Session> {
        let body = json!({"identifier": self.identifier, "password": self.password.expose()});
        let v = self
            .send(
                Method::POST,
                "com.atproto.server.createSession",
                &[],
                Body::Json(&body),
                None,
            )
            .await?;
        let s = session_of(&v, "com.atproto.server.createSession")?;
        self.sessions.save(Some(&s));
        Ok(s)
    }

    /// A new access token for `stale`, or a new login if the refresh token
    /// is refused too.
    async fn refresh(&self, stale: &Session) -> Result<Session> {
        let _one = self.login.lock().await;
        if let Some(s) = self
            .sessions
            .load()
            .filter(|s| s.access_jwt != stale.access_jwt)
        {
            return Ok(s); // another call refreshed it meanwhile
        }
        let nsid = "com.atproto.server.refreshSession";
        match self
            .send(
                Method::POST,
                nsid,
                &[],
                Body::None,
                Some(&stale.refresh_jwt),
            )
            .await
        {
            Ok(v) => {
                let s = session_of(&v, nsid)?;
                self.sessions.save(Some(&s));
                Ok(s)
            }
            Err(Error::Auth { .. }) => {
                self.sessions.save(None);
                self.create_session().await
            }
            Err(e) => Err(e),
        }
    }

    /// One XRPC call with the session; refreshed once if it expired.
    async fn xrpc(
        &self,
        method: Method,
        nsid: &str,
        query: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<Value> {
        let session = self.session().await?;
        match self
            .send(method.clone(), nsid, query, body, Some(&session.access_jwt))
            .await
        {
            // An expired (or no longer valid) access token: refresh once.
            Err(Error::Auth {
                problem: AuthProblem::Expired | AuthProblem::Invalid,
                ..
            }) => {
                let fresh = self.refresh(&session).await?;
                self.send(method, nsid, query, body, Some(&fresh.access_jwt))
                    .await
            }
            other => other,
        }
    }

    async fn send(
        &self,
        method: Method,
        nsid: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        token: Option<&Secret>,
    ) -> Result<Value> {
        let mut url = self
            .pds
            .join(&format!("xrpc/{nsid}"))
            .map_err(|e| Error::Validation {
                field: "nsid".into(),
                message: e.to_string(),
            })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut request = self.client.request(method, url);
        if let Some(t) = token {
            request = request.bearer_auth(t.expose());
        }
        if let Some(service) = self.appview.as_ref().filter(|s| !s.is_empty())
            && nsid.starts_with("app.bsky.")
        {
            request = request.header("atproto-proxy", service.as_str());
        }
        request = match body {
            Body::None => request,
            Body::Json(v) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(v.to_string()),
            Body::Bytes(b, mime) => request
                .header(reqwest::header::CONTENT_TYPE, mime)
                .body(b.to_vec()),
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = http::headers(&response);
        let text = response.text().await?;
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| decode_error(nsid, e));
        }
        let limit = RateLimit::from_headers(
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            self.clock.now(),
        );
        Err(error_of(status, &text, &limit, nsid))
    }

    /// The record `rkey` of the account's posts, if it exists.
    async fn get_post(&self, did: &str, rkey: &str) -> Result<Option<PostRef>> {
        let query = [
            ("repo", did.to_owned()),
            ("collection", POSTS.to_owned()),
            ("rkey", rkey.to_owned()),
        ];
        match self
            .xrpc(
                Method::GET,
                "com.atproto.repo.getRecord",
                &query,
                Body::None,
            )
            .await
        {
            Ok(v) => Ok(Some(post_ref(
                &v,
                "com.atproto.repo.getRecord",
                &self.handle_of(did),
            )?)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn handle_of(&self, did: &str) -> String {
        self.sessions
            .load()
            .filter(|s| s.did == did)
            .map_or_else(|| did.to_owned(), |s| s.handle)
    }

    /// The DID of `handle`, or `None` if it does not resolve.
    async fn resolve(&self, handle: &str) -> Result<Option<String>> {
        let q = [("handle", handle.to_owned())];
        match self
            .xrpc(
                Method::GET,
                "com.atproto.identity.resolveHandle",
                &q,
                Body::None,
            )
            .await
        {
            Ok(v) => Ok(v["did"].as_str().map(str::to_owned)),
            Err(Error::NotFound { .. } | Error::Validation { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The facets of `text`: links and hashtags as found, mentions whose
    /// handle resolves.
    async fn facets(&self, text: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for s in spans(text) {
            let feature = match s.feature {
                Feature::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                Feature::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
                Feature::Mention(handle) => match self.resolve(&handle).await? {
                    Some(did) => json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
                    None => continue,
                },
            };
            out.push(json!({"index": s.at, "features": [feature]}));
        }
        Ok(out)
    }

    /// The `{uri, cid}` of the thread root above `parent`.
    async fn root_of(&self, parent: &PostRef) -> Result<Value> {
        let (did, _, rkey) = parse_uri(&parent.id)?;
        let query = [
            ("repo", did.to_owned()),
            ("collection", POSTS.to_owned()),
            ("rkey", rkey.to_owned()),
        ];
        let v = self
            .xrpc(
                Method::GET,
                "com.atproto.repo.getRecord",
                &query,
                Body::None,
            )
            .await?;
        let root = &v["value"]["reply"]["root"];
        Ok(if root.is_object() {
            root.clone()
        } else {
            json!({"uri": v["uri"], "cid": v["cid"]})
        })
    }

    /// The account's own posts, newest first (from the PDS: no AppView
    /// needed).
    pub async fn posts(&self, page: &PageRequest) -> Result<Page<OwnPost>> {
        let session = self.session().await?;
        let nsid = "com.atproto.repo.listRecords";
        let query = page_query(
            [
                ("repo", session.did.clone()),
                ("collection", POSTS.to_owned()),
            ],
            page,
        );
        let v = self.xrpc(Method::GET, nsid, &query, Body::None).await?;
        let records = v["records"]
            .as_array()
            .ok_or_else(|| decode_message(nsid, "no records"))?;
        let items = records
            .iter()
            .map(|r| OwnPost::of(r, &r["value"], nsid, &session.handle))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            next: next_cursor(&v, items.len()),
            items,
        })
    }

    /// The account's feed as the AppView shows it (its posts and reposts,
    /// newest first), as `at://` URIs and texts; needs an AppView.
    pub async fn author_feed(&self, page: &PageRequest) -> Result<Page<OwnPost>> {
        self.appview_call(Capability::Mentions)?;
        let session = self.session().await?;
        let nsid = "app.bsky.feed.getAuthorFeed";
        let query = page_query([("actor", session.did.clone())], page);
        let v = self.xrpc(Method::GET, nsid, &query, Body::None).await?;
        let feed = v["feed"]
            .as_array()
            .ok_or_else(|| decode_message(nsid, "no feed"))?;
        let items = feed
            .iter()
            .map(|f| OwnPost::of(&f["post"], &f["post"]["record"], nsid, &session.handle))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            next: next_cursor(&v, items.len()),
            items,
        })
    }

    fn appview_call(&self, capability: Capability) -> Result<()> {
        if self.appview.is_some() {
            Ok(())
        } else {
            Err(Error::Unsupported { capability })
        }
    }
}

/// One of the account's own posts, as its PDS holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnPost {
    /// How it is referred to.
    pub post: PostRef,
    /// Its text.
    pub text: String,
    /// When it says it was made.
    pub created_at: Option<DateTime<Utc>>,
    /// The whole record (facets, reply, embed).
    pub record: Value,
}

impl OwnPost {
    /// From a `{uri, cid}` answer and its record.
    fn of(v: &Value, record: &Value, nsid: &str, handle: &str) -> Result<Self> {
        Ok(OwnPost {
            post: post_ref(v, nsid, handle)?,
            text: record["text"].as_str().unwrap_or_default().to_owned(),
            created_at: created_at(record),
            record: record.clone(),
        })
    }
}

fn decode_error(nsid: &str, e: impl std::fmt::Display) -> Error {
    Error::Decode {
        endpoint: nsid.to_owned(),
        message: e.to_string(),
    }
}

fn decode_message(nsid: &str, message: &str) -> Error {
    decode_error(nsid, message)
}

fn session_of(v: &Value, nsid: &str) -> Result<Session> {
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| decode_message(nsid, &format!("no {k}")))
    };
    Ok(Session {
        did: field("did")?,
        handle: field("handle")?,
        access_jwt: Secret::new(field("accessJwt")?),
        refresh_jwt: Secret::new(field("refreshJwt")?),
    })
}

/// The `PostRef` of a `{uri, cid}` answer.
fn post_ref(v: &Value, nsid: &str, handle: &str) -> Result<PostRef> {
    let uri = v["uri"]
        .as_str()
        .ok_or_else(|| decode_message(nsid, "no uri"))?;
    let cid = v["cid"]
        .as_str()
        .ok_or_else(|| decode_message(nsid, "no cid"))?;
    let rkey = uri.rsplit('/').next().unwrap_or_default();
    Ok(PostRef {
        id: uri.to_owned(),
        url: Some(format!("https://bsky.app/profile/{handle}/post/{rkey}")),
        version: Some(cid.to_owned()),
    })
}

/// `at://DID/COLLECTION/RKEY` in its three parts.
fn parse_uri(uri: &str) -> Result<(&str, &str, &str)> {
    let not_ours = || Error::NotFound {
        what: format!("{uri:?} is not an at:// URI of a record"),
    };
    let rest = uri.strip_prefix("at://").ok_or_else(not_ours)?;
    let mut parts = rest.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(did), Some(collection), Some(rkey))
            if !did.is_empty() && !rkey.is_empty() && !rkey.contains('/') =>
        {
            Ok((did, collection, rkey))
        }
        _ => Err(not_ours()),
    }
}

/// The record key of part `part` of the publish under `key`: a TID (13
/// characters of base32-sortable) made from a hash of both, the same on
/// every try.
pub fn record_key(key: &IdempotencyKey, part: usize) -> String {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    // FNV-1a, then splitmix64's finalizer: stable across runs and builds.
    let mut h = key
        .as_str()
        .bytes()
        .chain([0])
        .chain(part.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    // The top bit of a TID is 0.
    let n = h >> 1;
    (0..13)
        .rev()
        .map(|i| ALPHABET[((n >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// What an unsuccessful XRPC answer means, by its error name.
fn error_of(status: u16, body: &str, limit: &RateLimit, nsid: &str) -> Error {
    #[derive(Deserialize, Default)]
    struct Xrpc {
        #[serde(default)]
        error: String,
        #[serde(default)]
        message: String,
    }
    let x: Xrpc = serde_json::from_str(body).unwrap_or_default();
    let message = if x.message.is_empty() {
        tertulia_connect::http::body_words(body)
    } else {
        x.message.clone()
    };
    let auth = |problem| Error::Auth {
        problem,
        message: format!(
            "{nsid}: {}",
            if message.is_empty() {
                x.error.clone()
            } else {
                message.clone()
            }
        ),
    };
    match (status, x.error.as_str()) {
        (_, "ExpiredToken") => auth(AuthProblem::Expired),
        (_, "InvalidToken" | "AuthenticationRequired")
            if status == 401 || x.error == "InvalidToken" =>
        {
            auth(AuthProblem::Invalid)
        }
        (401, _) => auth(AuthProblem::Invalid),
        (_, "AccountTakedown" | "AccountDeactivated") => auth(AuthProblem::Revoked),
        (_, "RecordNotFound" | "NotFound" | "RepoNotFound" | "UnknownRecord") | (404, _) => {
            Error::NotFound {
                what: format!("{nsid}: {message}"),
            }
        }
        (_, "InvalidSwap") | (409, _) => Error::Conflict { message },
        (429, _) | (_, "RateLimitExceeded") => limit.error(Some(nsid.to_owned())),
        (502, _) => Error::Upstream {
            status: Some(502),
            retry_after: None,
            message: format!("{nsid} is unavailable: the PDS has no AppView to ask ({message})"),
        },
        (400..=499, _) => Error::Validation {
            field: nsid.to_owned(),
            message: if x.error.is_empty() {
                message
            } else {
                format!("{}: {message}", x.error)
            },
        },
        (code, _) => Error::Upstream {
            status: Some(code),
            retry_after: limit.retry_after,
            message,
        },
    }
}

#[async_trait]
impl Connector for Bluesky {
    fn platform(&self) -> Platform {
        Platform::Bluesky
    }

    fn capabilities(&self) -> Capabilities {
        let base = Capabilities::from_iter([
            Capability::Publish,
            Capability::Thread,
            Capability::Media,
            Capability::AltText,
            Capability::Delete,
            Capability::IdempotentPublish,
            Capability::FindPublished,
        ]);
        if self.appview.is_some() {
            base.with(Capability::Mentions)
                .with(Capability::Replies)
                .with(Capability::PostMetrics)
                .with(Capability::AccountMetrics)
        } else {
            base
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            // app.bsky.feed.post: text of at most 300 graphemes and 3,000
            // bytes; app.bsky.embed.images: 4 images, each blob at most
            // 2,000,000 bytes ("formerly limited to 1 MB"). The lexicon sets
            // no limit on alt text; 2,000 characters is the Bluesky app's.
            max_length: 300,
            unit: LengthUnit::Graphemes,
            max_text_bytes: Some(3_000),
            url_weight: None,
            max_media: 4,
            max_media_bytes: Some(2_000_000),
            max_alt_text: Some(2_000),
            max_thread: None,
        }
    }

    async fn publish(&self, request: &PublishRequest) -> Result<Published> {
        self.validate(request)?;
        let session = self.session().await?;
        let root = match &request.reply_to {
            Some(parent) => Some(self.root_of(parent).await?),
            None => None,
        };
        let mut posts: Vec<PostRef> = Vec::new();
        let mut repeats = 0;
        for (i, part) in request.parts.iter().enumerate() {
            let rkey = record_key(&request.idempotency_key, i);
            let result: Result<(PostRef, bool)> = async {
                let mut record = json!({
                    "$type": POSTS,
                    "text": part.text,
                    "createdAt": self.clock.now().to_rfc3339_opts(SecondsFormat::Millis, true),
                });
                let facets = self.facets(&part.text).await?;
                if !facets.is_empty() {
                    record["facets"] = json!(facets);
                }
                let parent = posts.last().or(request.reply_to.as_ref());
                if let Some(parent) = parent {
                    let parent = json!({"uri": parent.id, "cid": parent.version});
                    let root = root.clone().unwrap_or_else(|| {
                        json!({"uri": posts[0].id, "cid": posts[0].version})
                    });
                    record["reply"] = json!({"root": root, "parent": parent});
                }
                if !part.media.is_empty() {
                    let mut images = Vec::new();
                    for m in &part.media {
                        let v = self
                            .xrpc(Method::POST, "com.atproto.repo.uploadBlob", &[], Body::Bytes(&m.bytes, &m.mime))
                            .await?;
                        images.push(json!({"image": v["blob"], "alt": m.alt_text.clone().unwrap_or_default()}));
                    }
                    record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
                }
                let body = json!({"repo": session.did, "collection": POSTS, "rkey": rkey, "record": record});
                let nsid = "com.atproto.repo.createRecord";
                match self.xrpc(Method::POST, nsid, &[], Body::Json(&body)).await {
                    Ok(v) => Ok((post_ref(&v, nsid, &session.handle)?, false)),
                    // Refused (the key's record is there already: a retry, a
                    // thread resumed), or no answer at all: look.
                    Err(e @ (Error::Validation { .. } | Error::Conflict { .. } | Error::Transport { .. } | Error::Upstream { .. })) => {
                        match self.get_post(&session.did, &rkey).await {
                            Ok(Some(existing)) => Ok((existing, true)),
                            _ => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            .await;
            match result {
                Ok((post, repeated)) => {
                    repeats += usize::from(repeated);
                    posts.push(post);
                }
                Err(e) => return Err(Error::partial(posts, e)),
            }
        }
        Ok(Published {
            repeated: repeats == posts.len(),
            posts,
        })
    }

    async fn delete(&self, post: &PostRef) -> Result<()> {
        let (did, collection, rkey) = parse_uri(&post.id)?;
        // Deleting what is not there succeeds on a PDS: look first, so a
        // post already gone says so.
        let query = [
            ("repo", did.to_owned()),
            ("collection", collection.to_owned()),
            ("rkey", rkey.to_owned()),
        ];
        self.xrpc(
            Method::GET,
            "com.atproto.repo.getRecord",
            &query,
            Body::None,
        )
        .await?;
        let body = json!({"repo": did, "collection": collection, "rkey": rkey});
        self.xrpc(
            Method::POST,
            "com.atproto.repo.deleteRecord",
            &[],
            Body::Json(&body),
        )
        .await?;
        Ok(())
    }

    async fn mentions(&self, page: &PageRequest) -> Result<Page<Mention>> {
        self.appview_call(Capability::Mentions)?;
        let nsid = "app.bsky.notification.listNotifications";
        let v = self
            .xrpc(Method::GET, nsid, &page_query([], page), Body::None)
            .await?;
        notifications(&v)
    }

    async fn replies(&self, post: &PostRef, page: &PageRequest) -> Result<Page<Mention>> {
        self.appview_call(Capability::Replies)?;
        if page.cursor.is_some() {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let nsid = "app.bsky.feed.getPostThread";
        let v = self
            .xrpc(
                Method::GET,
                nsid,
                &[("uri", post.id.clone()), ("depth", "1".into())],
                Body::None,
            )
            .await?;
        let replies = v["thread"]["replies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let items = replies
            .iter()
            .map(|r| mention_of(&json!({"uri": r["post"]["uri"], "author": r["post"]["author"], "record": r["post"]["record"], "reason": "reply"}), nsid))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, next: None })
    }

    /// Each part's record is named by the request's key, so finding what
    /// went out is reading those records from the PDS.
    async fn find_published(&self, request: &PublishRequest) -> Result<Vec<PostRef>> {
        let session = self.session().await?;
        let mut found = Vec::new();
        for i in 0..request.parts.len() {
            match self
                .get_post(&session.did, &record_key(&request.idempotency_key, i))
                .await?
            {
                Some(post) => found.push(post),
                None => break,
            }
        }
        Ok(found)
    }

    async fn post_metrics(&self, post: &PostRef) -> Result<PostMetrics> {
        self.appview_call(Capability::PostMetrics)?;
        let nsid = "app.bsky.feed.getPosts";
        let v = self
            .xrpc(Method::GET, nsid, &[("uris", post.id.clone())], Body::None)
            .await?;
        let p = v["posts"].get(0).ok_or_else(|| Error::NotFound {
            what: format!("post {}", post.id),
        })?;
        Ok(Metrics {
            likes: p["likeCount"].as_u64(),
            comments: p["replyCount"].as_u64(),
            shares: p["repostCount"].as_u64(),
            ..Metrics::default()
        })
    }

    async fn account_metrics(&self) -> Result<AccountMetrics> {
        self.appview_call(Capability::AccountMetrics)?;
        let session = self.session().await?;
        let v = self
            .xrpc(
                Method::GET,
                "app.bsky.actor.getProfile",
                &[("actor", session.did)],
                Body::None,
            )
            .await?;
        Ok(AccountMetrics {
            followers: v["followersCount"].as_u64(),
            following: v["followsCount"].as_u64(),
            posts: v["postsCount"].as_u64(),
        })
    }
}

/// The mentions, replies and quotes in a body of
/// `app.bsky.notification.listNotifications`; an answer that is not one is
/// [`Error::Decode`].
///
/// ```
/// let body = r#"{"notifications": [{"uri": "at://did:plc:luis/app.bsky.feed.post/3k", "reason": "mention",
///     "author": {"did": "did:plc:luis", "handle": "luis.example.com"},
///     "record": {"text": "@aurora hi", "createdAt": "2026-12-01T10:00:00.000Z"}}], "cursor": "c1"}"#;
/// let page = tertulia_bluesky::mentions_from_notifications(body).unwrap();
/// assert_eq!(page.items[0].text, "@aurora hi");
/// assert!(tertulia_bluesky::mentions_from_notifications("{}").is_err());
/// ```
pub fn mentions_from_notifications(body: &str) -> Result<Page<Mention>> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| decode_error("app.bsky.notification.listNotifications", e))?;
    notifications(&v)
}

fn notifications(v: &Value) -> Result<Page<Mention>> {
    let nsid = "app.bsky.notification.listNotifications";
    let list = v["notifications"]
        .as_array()
        .ok_or_else(|| decode_message(nsid, "no notifications"))?;
    let items = list
        .iter()
        .filter(|n| matches!(n["reason"].as_str(), Some("mention" | "reply" | "quote")))
        .map(|n| mention_of(n, nsid))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        next: next_cursor(v, list.len()),
        items,
    })
}

/// The query of a listing: `fixed`, then the page's limit (50 unless it
/// says, at most 100) and cursor.
fn page_query<const N: usize>(
    fixed: [(&'static str, String); N],
    page: &PageRequest,
) -> Vec<(&'static str, String)> {
    let mut query = Vec::from(fixed);
    query.push(("limit", page.limit.unwrap_or(50).clamp(1, 100).to_string()));
    if let Some(Cursor(c)) = &page.cursor {
        query.push(("cursor", c.clone()));
    }
    query
}

/// The cursor of a listing's next page: none after an empty page.
fn next_cursor(v: &Value, read: usize) -> Option<Cursor> {
    v["cursor"]
        .as_str()
        .filter(|_| read > 0)
        .map(|c| Cursor(c.to_owned()))
}

/// A record's `createdAt`.
fn created_at(record: &Value) -> Option<DateTime<Utc>> {
    record["createdAt"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A mention from a notification (or a thread reply shaped like one).
fn mention_of(n: &Value, nsid: &str) -> Result<Mention> {
    let bad = |e: tertulia_core::Error| decode_error(nsid, e);
    let text = |k: &str| n["author"][k].as_str().map(str::to_owned);
    let did = text("did").ok_or_else(|| decode_message(nsid, "no author did"))?;
    let handle = text("handle").unwrap_or_else(|| did.clone());
    let author = Author::new(
        AccountId::new(did).map_err(bad)?,
        Handle::new(handle).map_err(bad)?,
    );
    let uri = n["uri"]
        .as_str()
        .ok_or_else(|| decode_message(nsid, "no uri"))?;
    let record = &n["record"];
    let created_at = created_at(record).ok_or_else(|| decode_message(nsid, "no createdAt"))?;
    let mut m = Mention::new(
        MentionId::new(uri).map_err(bad)?,
        Platform::Bluesky,
        author,
        created_at,
        record["text"].as_str().unwrap_or_default(),
    );
    if let Some(parent) = record["reply"]["parent"]["uri"].as_str() {
        m.kind = MentionKind::Comment;
        m.in_reply_to = Some(PostId::new(parent).map_err(bad)?);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_are_tids_and_repeat() {
        let k = IdempotencyKey::new("launch").unwrap();
        let a = record_key(&k, 0);
        assert_eq!(a.len(), 13);
        assert!(
            a.bytes()
                .all(|b| b"234567abcdefghijklmnopqrstuvwxyz".contains(&b))
        );
        assert!(
            b"234567abcdefghij".contains(&a.as_bytes()[0]),
            "the top bit is 0"
        );
        assert_eq!(a, record_key(&k, 0));
        assert_ne!(a, record_key(&k, 1));
        assert_ne!(a, record_key(&IdempotencyKey::new("launch2").unwrap(), 0));
    }

    #[test]
    fn xrpc_errors_are_read_by_name() {
        let none = RateLimit::default();
        let e = |status, body: &str| error_of(status, body, &none, "com.atproto.repo.createRecord");
        assert!(matches!(
            e(
                400,
                r#"{"error":"ExpiredToken","message":"Token has expired"}"#
            ),
            Error::Auth {
                problem: AuthProblem::Expired,
                ..
            }
        ));
        assert!(matches!(
            e(400, r#"{"error":"InvalidToken","message":"bad"}"#),
            Error::Auth {
                problem: AuthProblem::Invalid,
                ..
            }
        ));
        assert!(matches!(
            e(
                401,
                r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#
            ),
            Error::Auth {
                problem: AuthProblem::Invalid,
                ..
            }
        ));
        assert!(matches!(
            e(
                400,
                r#"{"error":"RecordNotFound","message":"Could not locate record"}"#
            ),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            e(
                429,
                r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#
            ),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            e(400, r#"{"error":"InvalidSwap"}"#),
            Error::Conflict { .. }
        ));
        assert!(matches!(
            e(502, "Bad Gateway"),
            Error::Upstream {
                status: Some(502),
                ..
            }
        ));
        assert!(matches!(
            e(
                400,
                r#"{"error":"InvalidRequest","message":"Input/text must not be longer than 3000 graphemes"}"#
            ),
            Error::Validation { .. }
        ));
        assert!(e(503, "").is_retryable());
    }

    #[test]
    fn uris_split_into_their_parts() {
        assert_eq!(
            parse_uri("at://did:plc:abc/app.bsky.feed.post/3k2a").unwrap(),
            ("did:plc:abc", "app.bsky.feed.post", "3k2a")
        );
        assert!(parse_uri("https://bsky.app/x").is_err());
        assert!(parse_uri("at://did:plc:abc/app.bsky.feed.post/").is_err());
    }

    #[test]
    fn secrets_never_show() {
        let b = Bluesky::new("http://127.0.0.1:1", "alice.test", "hunter2-password").unwrap();
        assert!(!format!("{b:?}").contains("hunter2"));
    }
}
