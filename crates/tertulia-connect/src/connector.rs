//! The `Connector` trait and the conveniences every connector gets.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use tertulia_core::{Mention, Platform};

use crate::error::{Error, Result};
use crate::types::{
    AccountMetrics, Capabilities, Capability, Cursor, IdempotencyKey, Limits, Page, PageRequest,
    PostMetrics, PostRef, PublishRequest, Published, validate,
};

/// A platform, as tertulia publishes to it and listens on it.
///
/// Four methods are required: what the platform is, what it can do, its
/// limits, and publishing. The rest answer [`Error::Unsupported`] until a
/// connector implements them, so a new connector starts small and says
/// honestly what it lacks; callers check [`Connector::capabilities`].
///
/// The trait is object safe: `Box<dyn Connector>` and `Arc<dyn Connector>`
/// are connectors too, and every layer ([`crate::layers`]) wraps any of
/// them.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tertulia_connect::{Connector, ConnectorExt, IdempotencyKey, MemoryConnector};
///
/// let platform = MemoryConnector::new();
/// let connector: &dyn Connector = &platform;
/// let key = IdempotencyKey::new("launch-2026-12-01")?;
/// let first = connector.publish_text(key.clone(), "Glow Serum is here ✨").await?;
/// let again = connector.publish_text(key, "Glow Serum is here ✨").await?;
/// assert_eq!(first.posts, again.posts, "one key, one post");
/// assert!(again.repeated);
/// # Ok::<(), tertulia_connect::Error>(()) }).unwrap();
/// ```
#[async_trait]
pub trait Connector: Send + Sync + Debug {
    /// The platform.
    fn platform(&self) -> Platform;

    /// What this connector can do.
    fn capabilities(&self) -> Capabilities;

    /// What one post may hold.
    fn limits(&self) -> Limits;

    /// Checks a request against the capabilities and limits, with no
    /// network call.
    fn validate(&self, request: &PublishRequest) -> Result<()> {
        validate(request, self.capabilities(), &self.limits())
    }

    /// Publishes a post or a thread, once per idempotency key where the
    /// connector has [`Capability::IdempotentPublish`].
    async fn publish(&self, request: &PublishRequest) -> Result<Published>;

    /// Deletes a post.
    async fn delete(&self, post: &PostRef) -> Result<()> {
        let _ = post;
        Err(Error::Unsupported {
            capability: Capability::Delete,
        })
    }

    /// One page of the account's mentions, newest first.
    async fn mentions(&self, page: &PageRequest) -> Result<Page<Mention>> {
        let _ = page;
        Err(Error::Unsupported {
            capability: Capability::Mentions,
        })
    }

    /// One page of the replies under `post`, newest first.
    async fn replies(&self, post: &PostRef, page: &PageRequest) -> Result<Page<Mention>> {
        let _ = (post, page);
        Err(Error::Unsupported {
            capability: Capability::Replies,
        })
    }

    /// A post's metrics; what the platform does not report is `None`.
    async fn post_metrics(&self, post: &PostRef) -> Result<PostMetrics> {
        let _ = post;
        Err(Error::Unsupported {
            capability: Capability::PostMetrics,
        })
    }

    /// The account's metrics.
    async fn account_metrics(&self) -> Result<AccountMetrics> {
        Err(Error::Unsupported {
            capability: Capability::AccountMetrics,
        })
    }

    /// The posts of `request` that are on the platform, in order, found by
    /// reading the account (not by publishing): all of them when it went
    /// out, none when it did not, the first few of a thread cut short. This
    /// is how an outcome that could not be known is checked before anything
    /// is sent again.
    async fn find_published(&self, request: &PublishRequest) -> Result<Vec<PostRef>> {
        let _ = request;
        Err(Error::Unsupported {
            capability: Capability::FindPublished,
        })
    }

    /// Hides (or shows again) a reply under one of the account's posts.
    async fn hide_reply(&self, reply: &PostRef, hidden: bool) -> Result<()> {
        let _ = (reply, hidden);
        Err(Error::Unsupported {
            capability: Capability::HideReply,
        })
    }
}

// Checked at compile time: the trait stays object safe.
const _: Option<&dyn Connector> = None;

macro_rules! forward {
    ($($ty:ty),*) => {$(
        #[async_trait]
        impl<C: Connector + ?Sized> Connector for $ty {
            fn platform(&self) -> Platform { (**self).platform() }
            fn capabilities(&self) -> Capabilities { (**self).capabilities() }
            fn limits(&self) -> Limits { (**self).limits() }
            fn validate(&self, r: &PublishRequest) -> Result<()> { (**self).validate(r) }
            async fn publish(&self, r: &PublishRequest) -> Result<Published> { (**self).publish(r).await }
            async fn delete(&self, p: &PostRef) -> Result<()> { (**self).delete(p).await }
            async fn mentions(&self, p: &PageRequest) -> Result<Page<Mention>> { (**self).mentions(p).await }
            async fn replies(&self, post: &PostRef, p: &PageRequest) -> Result<Page<Mention>> { (**self).replies(post, p).await }
            async fn post_metrics(&self, p: &PostRef) -> Result<PostMetrics> { (**self).post_metrics(p).await }
            async fn account_metrics(&self) -> Result<AccountMetrics> { (**self).account_metrics().await }
            async fn hide_reply(&self, r: &PostRef, h: bool) -> Result<()> { (**self).hide_reply(r, h).await }
            async fn find_published(&self, r: &PublishRequest) -> Result<Vec<PostRef>> { (**self).find_published(r).await }
        }
    )*};
}
forward!(Box<C>, Arc<C>, &C);

/// Conveniences for every connector.
#[async_trait]
pub trait ConnectorExt: Connector {
    /// Publishes one post of `text`.
    async fn publish_text(&self, key: IdempotencyKey, text: &str) -> Result<Published> {
        self.publish(&PublishRequest::text(key, text)).await
    }

    /// Every mention, page after page, newest first, as a stream.
    fn all_mentions(&self) -> BoxStream<'_, Result<Mention>> {
        pages(move |p| async move { self.mentions(&p).await }).boxed()
    }

    /// Every reply under `post`, page after page, as a stream.
    fn all_replies<'a>(&'a self, post: &'a PostRef) -> BoxStream<'a, Result<Mention>> {
        pages(move |p| async move { self.replies(post, &p).await }).boxed()
    }
}

impl<C: Connector + ?Sized> ConnectorExt for C {}

/// The items of a paged listing as a stream: `fetch` reads one page; the
/// stream asks for the next while items are wanted, and ends after the
/// last page or at the first error (which it yields).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use futures_util::StreamExt;
/// use tertulia_connect::{Cursor, Page, pages};
///
/// // Three pages of two numbers each.
/// let stream = pages(|p| async move {
///     let at: u32 = p.cursor.map_or(0, |c| c.0.parse().unwrap());
///     Ok::<_, tertulia_connect::Error>(Page {
///         items: vec![at, at + 1],
///         next: (at < 4).then(|| Cursor((at + 2).to_string())),
///     })
/// });
/// let all: Vec<u32> = stream.map(Result::unwrap).collect().await;
/// assert_eq!(all, [0, 1, 2, 3, 4, 5]);
/// # });
/// ```
pub fn pages<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T>> + Send
where
    T: Send,
    F: FnMut(PageRequest) -> Fut + Send,
    Fut: Future<Output = Result<Page<T>>> + Send,
{
    struct State<T, F> {
        fetch: F,
        items: VecDeque<T>,
        next: Option<Option<Cursor>>,
    }
    let start = State {
        fetch,
        items: VecDeque::new(),
        next: Some(None),
    };
    futures_util::stream::unfold(start, |mut s| async move {
        loop {
            if let Some(item) = s.items.pop_front() {
                return Some((Ok(item), s));
            }
            // `None` once the last page was read (or an error ended it).
            let cursor = s.next.take()?;
            match (s.fetch)(PageRequest::from(cursor)).await {
                Ok(page) => {
                    s.items.extend(page.items);
                    s.next = page.next.map(Some);
                }
                Err(e) => return Some((Err(e), s)),
            }
        }
    })
}
