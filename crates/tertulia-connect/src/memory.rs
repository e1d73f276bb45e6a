//! A whole platform in memory: for tests, demos and dry runs of a plan.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tertulia_core::{Clock, Mention, Metrics, Platform, PostId, SystemClock};

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::types::{
    AccountMetrics, Capabilities, Capability, Cursor, IdempotencyKey, LengthUnit, Limits, Media,
    Operation, Page, PageRequest, PostMetrics, PostRef, PublishRequest, Published, validate,
};

/// What goes wrong with the next call of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Nothing goes wrong: the call goes through as usual (a schedule of
    /// faults can hold calls that pass).
    Pass,
    /// 429: nothing happens; the platform asks to wait `retry_after`, or
    /// until `reset_in` from now.
    RateLimited {
        /// The `Retry-After`.
        retry_after: Option<Duration>,
        /// How long until the window reopens.
        reset_in: Option<Duration>,
    },
    /// A 5xx: nothing happens.
    Upstream(u16),
    /// No answer in time; nothing happens.
    Timeout,
    /// The call happens, but its answer is lost: the caller sees a timeout.
    LostResponse,
    /// A publish puts out this many parts of a thread, then fails with a
    /// 503 ([`Error::PartialPublish`]).
    FailAfterParts(usize),
}

/// A post the platform holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPost {
    /// How it is referred to.
    pub post: PostRef,
    /// Its text.
    pub text: String,
    /// Its media.
    pub media: Vec<Media>,
    /// The post it answers.
    pub reply_to: Option<PostRef>,
    /// The key it was published under.
    pub key: IdempotencyKey,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Its metrics.
    pub metrics: Metrics,
}

#[derive(Debug, Default)]
struct State {
    posts: Vec<StoredPost>,
    /// The posts published under each key, in thread order.
    by_key: HashMap<IdempotencyKey, Vec<PostRef>>,
    /// Mentions, oldest first.
    mentions: Vec<Mention>,
    hidden: Vec<String>,
    faults: HashMap<Operation, VecDeque<Fault>>,
    calls: HashMap<Operation, usize>,
    next_id: u64,
    followers: Option<u64>,
}

/// A platform in memory, complete enough to run the conformance suite and
/// to test what sits on top of a connector: posts, threads, media with alt
/// text, deletes, mentions and replies in pages, metrics, hidden replies,
/// idempotent publishing, and faults injected on purpose (429 with a reset,
/// 5xx, timeouts, a publish whose answer is lost, a thread cut short).
///
/// Clones share the platform. Time comes from the [`Clock`] it is given.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tertulia_connect::{ConnectorExt, Fault, IdempotencyKey, MemoryConnector, Operation};
///
/// let platform = MemoryConnector::new();
/// platform.inject(Operation::Publish, Fault::LostResponse);
/// let key = IdempotencyKey::new("k1")?;
/// assert!(platform.publish_text(key.clone(), "hello").await.is_err(), "the answer was lost");
/// assert_eq!(platform.posts().len(), 1, "but the post went out");
/// let again = platform.publish_text(key, "hello").await?;
/// assert!(again.repeated);
/// assert_eq!(platform.posts().len(), 1, "and a retry made no second one");
/// # Ok::<(), tertulia_connect::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct MemoryConnector {
    platform: Platform,
    capabilities: Capabilities,
    limits: Limits,
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<State>>,
}

impl Default for MemoryConnector {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryConnector {
    /// Every capability, Bluesky-like limits (300 graphemes, 4 media of
    /// 2 MB, 2,000 characters of alt text), the system clock.
    pub fn new() -> Self {
        MemoryConnector {
            platform: Platform::Bluesky,
            capabilities: Capabilities::all(),
            limits: Limits {
                max_length: 300,
                unit: LengthUnit::Graphemes,
                max_text_bytes: Some(3_000),
                url_weight: None,
                max_media: 4,
                max_media_bytes: Some(2_000_000),
                max_alt_text: Some(2_000),
                max_thread: None,
            },
            clock: Arc::new(SystemClock),
            state: Arc::default(),
        }
    }

    /// The same, as `platform`.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// The same, able to do only `capabilities`.
    #[must_use]
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The same, with `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same, reading time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is plain data, valid even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the next call of `op` (after those already injected) fail
    /// with `fault`.
    pub fn inject(&self, op: Operation, fault: Fault) {
        self.state().faults.entry(op).or_default().push_back(fault);
    }

    /// The posts it holds, oldest first.
    pub fn posts(&self) -> Vec<StoredPost> {
        self.state().posts.clone()
    }

    /// How many calls of `op` it has answered (failed ones too).
    pub fn calls(&self, op: Operation) -> usize {
        self.state().calls.get(&op).copied().unwrap_or(0)
    }

    /// Adds a mention of the account (a reply when it has `in_reply_to`).
    pub fn add_mention(&self, mention: Mention) {
        self.state().mentions.push(mention);
    }

    /// Sets a post's metrics.
    pub fn set_metrics(&self, post: &PostRef, metrics: Metrics) -> Result<()> {
        let mut s = self.state();
        let p = s
            .posts
            .iter_mut()
            .find(|p| p.post.id == post.id)
            .ok_or_else(|| not_found(post))?;
        p.metrics = metrics;
        Ok(())
    }

    /// Sets the account's followers.
    pub fn set_followers(&self, followers: u64) {
        self.state().followers = Some(followers);
    }

    /// Counts a call of `op` and takes its next fault, if any.
    fn call(&self, op: Operation, capability: Capability) -> Result<Option<Fault>> {
        let mut s = self.state();
        *s.calls.entry(op).or_default() += 1;
        self.capabilities.require(capability)?;
        let fault = s.faults.get_mut(&op).and_then(VecDeque::pop_front);
        match fault {
            Some(Fault::RateLimited {
                retry_after,
                reset_in,
            }) => Err(Error::RateLimited {
                retry_after,
                reset_at: reset_in
                    .map(|d| self.clock.now() + TimeDelta::from_std(d).unwrap_or_default()),
                scope: Some(format!("{op:?}")),
            }),
            Some(Fault::Upstream(status)) => Err(Error::Upstream {
                status: Some(status),
                retry_after: None,
                message: "injected".into(),
            }),
            Some(Fault::Timeout) => Err(timeout()),
            Some(Fault::Pass) => Ok(None),
            other => Ok(other),
        }
    }

    fn page(&self, page: &PageRequest, of: impl Fn(&Mention) -> bool) -> Result<Page<Mention>> {
        let s = self.state();
        let newest_first: Vec<&Mention> = s.mentions.iter().rev().filter(|m| of(m)).collect();
        let from = match &page.cursor {
            None => 0,
            Some(Cursor(c)) => c.parse::<usize>().map_err(|_| Error::Validation {
                field: "cursor".into(),
                message: format!("{c:?} is not a cursor this connector gave"),
            })?,
        };
        let limit = page.limit.unwrap_or(20).clamp(1, 100);
        let items: Vec<Mention> = newest_first
            .iter()
            .skip(from)
            .take(limit)
            .map(|m| (*m).clone())
            .collect();
        let end = from + items.len();
        Ok(Page {
            next: (end < newest_first.len()).then(|| Cursor(end.to_string())),
            items,
        })
    }
}

fn timeout() -> Error {
    Error::Transport {
        message: "injected".into(),
        timeout: true,
        host: None,
    }
}

fn not_found(post: &PostRef) -> Error {
    Error::NotFound {
        what: format!("post {}", post.id),
    }
}

#[async_trait]
impl Connector for MemoryConnector {
    fn platform(&self) -> Platform {
        self.platform.clone()
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    async fn find_published(&self, request: &PublishRequest) -> Result<Vec<PostRef>> {
        self.call(Operation::FindPublished, Capability::FindPublished)?;
        let s = self.state();
        let mut found = s
            .by_key
            .get(&request.idempotency_key)
            .cloned()
            .unwrap_or_default();
        found.truncate(request.parts.len());
        Ok(found)
    }

    async fn publish(&self, request: &PublishRequest) -> Result<Published> {
        let fault = self.call(Operation::Publish, Capability::Publish)?;
        validate(request, self.capabilities, &self.limits)?;
        let idempotent = self.capabilities.has(Capability::IdempotentPublish);
        let now = self.clock.now();
        let mut s = self.state();
        let key = &request.idempotency_key;
        let mut done = if idempotent {
            s.by_key.get(key).cloned().unwrap_or_default()
        } else {
            Vec::new()
        };
        if done.len() == request.parts.len() {
            return Ok(Published {
                posts: done,
                repeated: true,
            });
        }
        let repeated = !done.is_empty();
        let stop = match fault {
            Some(Fault::FailAfterParts(n)) => n.max(done.len()),
            _ => usize::MAX,
        };
        for (i, part) in request.parts.iter().enumerate().skip(done.len()) {
            if i >= stop {
                s.by_key.insert(key.clone(), done.clone());
                return Err(Error::PartialPublish {
                    published: done,
                    source: Box::new(Error::Upstream {
                        status: Some(503),
                        retry_after: None,
                        message: "injected".into(),
                    }),
                });
            }
            s.next_id += 1;
            let post = PostRef {
                id: format!("memory/{}", s.next_id),
                url: Some(format!("https://memory.invalid/{}", s.next_id)),
                version: Some(format!("v{}", s.next_id)),
            };
            let reply_to = if i == 0 {
                request.reply_to.clone()
            } else {
                done.last().cloned()
            };
            s.posts.push(StoredPost {
                post: post.clone(),
                text: part.text.clone(),
                media: part.media.clone(),
                reply_to,
                key: key.clone(),
                created_at: now,
                metrics: Metrics::default(),
            });
            done.push(post);
        }
        s.by_key.insert(key.clone(), done.clone());
        if fault == Some(Fault::LostResponse) {
            return Err(timeout());
        }
        Ok(Published {
            posts: done,
            repeated,
        })
    }

    async fn delete(&self, post: &PostRef) -> Result<()> {
        let fault = self.call(Operation::Delete, Capability::Delete)?;
        let mut s = self.state();
        let at = s
            .posts
            .iter()
            .position(|p| p.post.id == post.id)
            .ok_or_else(|| not_found(post))?;
        s.posts.remove(at);
        if fault == Some(Fault::LostResponse) {
            return Err(timeout());
        }
        Ok(())
    }

    async fn mentions(&self, page: &PageRequest) -> Result<Page<Mention>> {
        self.call(Operation::Mentions, Capability::Mentions)?;
        self.page(page, |_| true)
    }

    async fn replies(&self, post: &PostRef, page: &PageRequest) -> Result<Page<Mention>> {
        self.call(Operation::Replies, Capability::Replies)?;
        if !self.state().posts.iter().any(|p| p.post.id == post.id) {
            return Err(not_found(post));
        }
        let id = PostId::new(post.id.clone()).map_err(|e| Error::Validation {
            field: "post".into(),
            message: e.to_string(),
        })?;
        self.page(page, |m| m.in_reply_to.as_ref() == Some(&id))
    }

    async fn post_metrics(&self, post: &PostRef) -> Result<PostMetrics> {
        self.call(Operation::PostMetrics, Capability::PostMetrics)?;
        let s = self.state();
        s.posts
            .iter()
            .find(|p| p.post.id == post.id)
            .map(|p| p.metrics)
            .ok_or_else(|| not_found(post))
    }

    async fn account_metrics(&self) -> Result<AccountMetrics> {
        self.call(Operation::AccountMetrics, Capability::AccountMetrics)?;
        let s = self.state();
        Ok(AccountMetrics {
            followers: s.followers,
            following: None,
            posts: Some(s.posts.len() as u64),
        })
    }

    async fn hide_reply(&self, reply: &PostRef, hidden: bool) -> Result<()> {
        self.call(Operation::HideReply, Capability::HideReply)?;
        let mut s = self.state();
        let is_reply = s
            .mentions
            .iter()
            .any(|m| m.id.as_str() == reply.id && m.in_reply_to.is_some());
        if !is_reply {
            return Err(Error::NotFound {
                what: format!("reply {}", reply.id),
            });
        }
        s.hidden.retain(|h| *h != reply.id);
        if hidden {
            s.hidden.push(reply.id.clone());
        }
        Ok(())
    }
}
