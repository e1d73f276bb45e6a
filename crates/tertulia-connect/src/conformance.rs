//! The conformance suite: what every connector must do, checked against
//! the connector itself. Turn on the `conformance` feature in your
//! dev-dependencies and add one test:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use tertulia_connect::MemoryConnector;
//! use tertulia_connect::conformance::{Setup, run};
//!
//! let report = run(&MemoryConnector::new(), &Setup::new("ci-run-42")).await.unwrap();
//! assert!(report.skipped().count() == 0, "{report}");
//! # });
//! ```
//!
//! Checks that need a capability the connector does not declare are
//! skipped, and the report says so; each such call must then answer
//! [`Error::Unsupported`], which is checked too. Every post the suite
//! makes it deletes again where it can. Keys start with the setup's prefix:
//! give each run its own, so runs against a real server do not meet.

use std::collections::HashSet;
use std::fmt;

use futures_util::StreamExt;

use crate::connector::{Connector, ConnectorExt};
use crate::error::Error;
use crate::types::{
    Capability, IdempotencyKey, Media, Page, PageRequest, Part, PostRef, PublishRequest,
};

/// A valid 1×1 PNG, for the media check.
pub const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// How the suite runs.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The start of every idempotency key and text the suite makes.
    pub prefix: String,
    /// The most pages the paging check reads (a real account may have
    /// thousands of mentions).
    pub max_pages: usize,
}

impl Setup {
    /// Keys under `prefix`, at most 20 pages read.
    pub fn new(prefix: impl Into<String>) -> Self {
        Setup {
            prefix: prefix.into(),
            max_pages: 20,
        }
    }
}

/// What came of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It held.
    Passed,
    /// It needs a capability the connector does not declare.
    Skipped(Capability),
}

/// What the suite found: each check and its outcome.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Check names and outcomes, in the order run.
    pub checks: Vec<(&'static str, Outcome)>,
}

impl Report {
    /// The checks skipped and the capability each lacked.
    pub fn skipped(&self) -> impl Iterator<Item = (&'static str, Capability)> + '_ {
        self.checks.iter().filter_map(|(n, o)| match o {
            Outcome::Skipped(c) => Some((*n, *c)),
            Outcome::Passed => None,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, outcome) in &self.checks {
            match outcome {
                Outcome::Passed => writeln!(f, "passed   {name}")?,
                Outcome::Skipped(c) => writeln!(f, "skipped  {name} (no {c:?})")?,
            }
        }
        Ok(())
    }
}

/// A check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conformance check {check:?} failed: {problem}")]
pub struct Failure {
    /// The check.
    pub check: &'static str,
    /// What went wrong.
    pub problem: String,
}

struct Suite<'a, C: ?Sized> {
    c: &'a C,
    setup: &'a Setup,
    report: Report,
}

type Checked = Result<(), Failure>;

fn fail(check: &'static str, problem: impl Into<String>) -> Failure {
    Failure {
        check,
        problem: problem.into(),
    }
}

impl<C: Connector + ?Sized> Suite<'_, C> {
    fn has(&self, c: Capability) -> bool {
        self.c.capabilities().has(c)
    }

    fn key(&self, check: &'static str, name: &str) -> Result<IdempotencyKey, Failure> {
        IdempotencyKey::new(format!("{}-{name}", self.setup.prefix))
            .map_err(|e| fail(check, format!("the prefix makes no key: {e}")))
    }

    fn passed(&mut self, name: &'static str) {
        self.report.checks.push((name, Outcome::Passed));
    }

    fn skipped(&mut self, name: &'static str, c: Capability) {
        self.report.checks.push((name, Outcome::Skipped(c)));
    }

    async fn cleanup(&self, check: &'static str, posts: &[PostRef]) -> Checked {
        if !self.has(Capability::Delete) {
            return Ok(());
        }
        for p in posts.iter().rev() {
            self.c
                .delete(p)
                .await
                .map_err(|e| fail(check, format!("deleting {} failed: {e}", p.id)))?;
        }
        Ok(())
    }

    /// Text one unit over the limit fails `validate` and `publish`, saying
    /// by how much; text at the limit passes `validate`.
    async fn limits(&mut self) -> Checked {
        const CHECK: &str = "limits";
        if !self.has(Capability::Publish) {
            self.skipped(CHECK, Capability::Publish);
            return Ok(());
        }
        let max = self.c.limits().max_length;
        if max == 0 {
            return Err(fail(CHECK, "max_length is 0: nothing could be published"));
        }
        let at = PublishRequest::text(self.key(CHECK, "at-limit")?, "a".repeat(max));
        self.c
            .validate(&at)
            .map_err(|e| fail(CHECK, format!("text at the limit was refused: {e}")))?;
        let over = PublishRequest::text(self.key(CHECK, "over-limit")?, "a".repeat(max + 1));
        for (what, result) in [
            ("validate", self.c.validate(&over).map(|_| None)),
            ("publish", self.c.publish(&over).await.map(Some)),
        ] {
            match result {
                Err(Error::Validation { message, .. }) if message.contains("1 over") => {}
                other => {
                    return Err(fail(
                        CHECK,
                        format!(
                            "{what} of text 1 over the limit gave {other:?}, not a validation error saying \"1 over\""
                        ),
                    ));
                }
            }
        }
        self.passed(CHECK);
        Ok(())
    }

    /// A post publishes once and deletes once; deleting it again is
    /// not found. Returns the deleted post, known to be missing now.
    async fn publish_and_delete(&mut self) -> Result<Option<PostRef>, Failure> {
        const CHECK: &str = "publish_and_delete";
        if !self.has(Capability::Publish) {
            self.skipped(CHECK, Capability::Publish);
            return Ok(None);
        }
        let text = format!("{} conformance: one post", self.setup.prefix);
        let published = self
            .c
            .publish_text(self.key(CHECK, "post")?, &text)
            .await
            .map_err(|e| fail(CHECK, format!("publishing failed: {e}")))?;
        let [post] = published.posts.as_slice() else {
            return Err(fail(
                CHECK,
                format!("one part made {} posts", published.posts.len()),
            ));
        };
        if published.repeated {
            return Err(fail(CHECK, "a new key's first publish says it repeated"));
        }
        if !self.has(Capability::Delete) {
            self.skipped("delete", Capability::Delete);
            self.passed(CHECK);
            return Ok(None);
        }
        self.c
            .delete(post)
            .await
            .map_err(|e| fail(CHECK, format!("deleting failed: {e}")))?;
        match self.c.delete(post).await {
            Err(Error::NotFound { .. }) => {}
            other => {
                return Err(fail(
                    CHECK,
                    format!("deleting twice gave {other:?}, not NotFound"),
                ));
            }
        }
        self.passed(CHECK);
        Ok(Some(post.clone()))
    }

    /// A thread makes one post per part, each its own.
    async fn thread(&mut self) -> Checked {
        const CHECK: &str = "thread";
        let parts =
            ["1/3", "2/3", "3/3"].map(|n| format!("{} conformance: thread {n}", self.setup.prefix));
        let request = PublishRequest::thread(self.key(CHECK, "thread")?, parts);
        if !self.has(Capability::Publish) {
            self.skipped(CHECK, Capability::Publish);
            return Ok(());
        }
        if !self.has(Capability::Thread) {
            match self.c.publish(&request).await {
                Err(Error::Unsupported {
                    capability: Capability::Thread,
                }) => {}
                other => {
                    return Err(fail(
                        CHECK,
                        format!("a thread without the capability gave {other:?}, not Unsupported"),
                    ));
                }
            }
            self.skipped(CHECK, Capability::Thread);
            return Ok(());
        }
        let published = self
            .c
            .publish(&request)
            .await
            .map_err(|e| fail(CHECK, format!("publishing a thread failed: {e}")))?;
        let ids: HashSet<&str> = published.posts.iter().map(|p| p.id.as_str()).collect();
        if published.posts.len() != 3 || ids.len() != 3 {
            return Err(fail(
                CHECK,
                format!("three parts made {:?}", published.posts),
            ));
        }
        self.cleanup(CHECK, &published.posts).await?;
        self.passed(CHECK);
        Ok(())
    }

    /// The same key twice makes one post.
    async fn duplicate_safe(&mut self) -> Checked {
        const CHECK: &str = "duplicate_safe";
        if !self.has(Capability::Publish) || !self.has(Capability::IdempotentPublish) {
            self.skipped(CHECK, Capability::IdempotentPublish);
            return Ok(());
        }
        let key = self.key(CHECK, "twice")?;
        let text = format!(
            "{} conformance: published twice, seen once",
            self.setup.prefix
        );
        let first = self
            .c
            .publish_text(key.clone(), &text)
            .await
            .map_err(|e| fail(CHECK, format!("the first publish failed: {e}")))?;
        let second = self
            .c
            .publish_text(key, &text)
            .await
            .map_err(|e| fail(CHECK, format!("the second publish failed: {e}")))?;
        // `repeated` is what the connector knows: some platforms answer a
        // repeat without saying so. The posts must be the same.
        if second.posts != first.posts {
            return Err(fail(
                CHECK,
                format!("one key published {first:?} then {second:?}"),
            ));
        }
        if self.has(Capability::FindPublished) {
            let request = PublishRequest::text(self.key(CHECK, "twice")?, &text);
            let found = self
                .c
                .find_published(&request)
                .await
                .map_err(|e| fail(CHECK, format!("find_published failed: {e}")))?;
            let ids = |p: &[PostRef]| p.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
            if ids(&found) != ids(&first.posts) {
                return Err(fail(
                    CHECK,
                    format!(
                        "find_published found {found:?}, not what was published, {:?}",
                        first.posts
                    ),
                ));
            }
            let never = PublishRequest::text(self.key(CHECK, "never")?, &text);
            match self.c.find_published(&never).await {
                Ok(found) if found.is_empty() => {}
                other => {
                    return Err(fail(
                        CHECK,
                        format!("find_published of a key never published gave {other:?}"),
                    ));
                }
            }
        }
        self.cleanup(CHECK, &first.posts).await?;
        self.passed(CHECK);
        Ok(())
    }

    /// An image with alt text publishes.
    async fn media(&mut self) -> Checked {
        const CHECK: &str = "media_with_alt_text";
        for c in [Capability::Publish, Capability::Media, Capability::AltText] {
            if !self.has(c) {
                self.skipped(CHECK, c);
                return Ok(());
            }
        }
        let request = PublishRequest {
            idempotency_key: self.key(CHECK, "media")?,
            parts: vec![Part {
                text: format!("{} conformance: one pixel", self.setup.prefix),
                media: vec![Media {
                    bytes: PIXEL_PNG.to_vec(),
                    mime: "image/png".into(),
                    alt_text: Some("A single transparent pixel.".into()),
                }],
            }],
            reply_to: None,
        };
        let published = self
            .c
            .publish(&request)
            .await
            .map_err(|e| fail(CHECK, format!("publishing an image failed: {e}")))?;
        self.cleanup(CHECK, &published.posts).await?;
        self.passed(CHECK);
        Ok(())
    }

    /// Mentions page by page: each page within its limit, no mention twice.
    async fn paging(&mut self) -> Checked {
        const CHECK: &str = "paging";
        if !self.has(Capability::Mentions) {
            self.skipped(CHECK, Capability::Mentions);
            return Ok(());
        }
        let mut seen = HashSet::new();
        let mut request = PageRequest {
            cursor: None,
            limit: Some(2),
        };
        for _ in 0..self.setup.max_pages {
            let Page { items, next } = self
                .c
                .mentions(&request)
                .await
                .map_err(|e| fail(CHECK, format!("reading a page failed: {e}")))?;
            if items.len() > 2 {
                return Err(fail(
                    CHECK,
                    format!("a page of at most 2 held {}", items.len()),
                ));
            }
            for m in items {
                if !seen.insert(m.id.clone()) {
                    return Err(fail(CHECK, format!("mention {} came twice", m.id)));
                }
            }
            match next {
                Some(cursor) => request.cursor = Some(cursor),
                None => break,
            }
        }
        // The stream reads the same mentions.
        let streamed: Vec<_> = self.c.all_mentions().take(seen.len()).collect().await;
        if streamed.iter().any(Result::is_err) {
            return Err(fail(CHECK, "the stream of mentions failed"));
        }
        self.passed(CHECK);
        Ok(())
    }

    /// Reading a post that is gone is not found, never an empty success.
    async fn missing(&mut self, gone: Option<PostRef>) -> Checked {
        const CHECK: &str = "missing_post";
        let Some(gone) = gone else {
            self.skipped(CHECK, Capability::Delete);
            return Ok(());
        };
        if self.has(Capability::PostMetrics) {
            match self.c.post_metrics(&gone).await {
                Err(Error::NotFound { .. }) => {}
                other => {
                    return Err(fail(
                        CHECK,
                        format!("metrics of a deleted post gave {other:?}"),
                    ));
                }
            }
        }
        if self.has(Capability::Replies) {
            match self.c.replies(&gone, &PageRequest::default()).await {
                Err(Error::NotFound { .. }) => {}
                other => {
                    return Err(fail(
                        CHECK,
                        format!("replies of a deleted post gave {other:?}"),
                    ));
                }
            }
        }
        self.passed(CHECK);
        Ok(())
    }

    /// What the connector does not declare answers Unsupported.
    async fn unsupported(&mut self) -> Checked {
        const CHECK: &str = "unsupported";
        let refuses = |capability: Capability, result: Result<(), Error>| match result {
            Err(Error::Unsupported { capability: c }) if c == capability => Ok(()),
            other => Err(fail(
                CHECK,
                format!("{capability:?} is not declared, yet the call gave {other:?}"),
            )),
        };
        let nowhere = PostRef::new(format!("{}-nowhere", self.setup.prefix));
        let page = PageRequest::default();
        let lacks = |c| !self.has(c);
        if lacks(Capability::Delete) {
            refuses(Capability::Delete, self.c.delete(&nowhere).await)?;
        }
        if lacks(Capability::Mentions) {
            refuses(Capability::Mentions, self.c.mentions(&page).await.map(drop))?;
        }
        if lacks(Capability::Replies) {
            refuses(
                Capability::Replies,
                self.c.replies(&nowhere, &page).await.map(drop),
            )?;
        }
        if lacks(Capability::PostMetrics) {
            refuses(
                Capability::PostMetrics,
                self.c.post_metrics(&nowhere).await.map(drop),
            )?;
        }
        if lacks(Capability::AccountMetrics) {
            refuses(
                Capability::AccountMetrics,
                self.c.account_metrics().await.map(drop),
            )?;
        }
        if lacks(Capability::FindPublished) {
            let request = PublishRequest::text(self.key(CHECK, "find")?, "never published");
            refuses(
                Capability::FindPublished,
                self.c.find_published(&request).await.map(drop),
            )?;
        }
        if lacks(Capability::HideReply) {
            refuses(
                Capability::HideReply,
                self.c.hide_reply(&nowhere, true).await,
            )?;
        }
        self.passed(CHECK);
        Ok(())
    }
}

/// Runs every check on `connector`; the first check that does not hold
/// ends the run.
pub async fn run<C: Connector + ?Sized>(connector: &C, setup: &Setup) -> Result<Report, Failure> {
    let mut s = Suite {
        c: connector,
        setup,
        report: Report::default(),
    };
    s.limits().await?;
    let gone = s.publish_and_delete().await?;
    s.thread().await?;
    s.duplicate_safe().await?;
    s.media().await?;
    s.paging().await?;
    s.missing(gone).await?;
    s.unsupported().await?;
    Ok(s.report)
}
