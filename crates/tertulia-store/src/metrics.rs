//! Metric snapshots of published posts, taken at set ages, and the
//! account's published history built from them.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::Row;
use tertulia_connect::{PostRef, Published};
use tertulia_core::{Author, Metrics, Post, PostId};

use crate::Store;
use crate::db::{instant, micros};
use crate::error::{Error, Result};
use crate::queue::Channel;

/// A snapshot due: a published target and the age to read it at.
#[derive(Debug, Clone, PartialEq)]
pub struct DueSnapshot {
    /// The target.
    pub target: i64,
    /// Its channel.
    pub channel: Channel,
    /// The published post (the first part of a thread).
    pub post: PostRef,
    /// The age it is read at.
    pub age: TimeDelta,
}

/// One reading of a published post.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Its age when read, as asked.
    pub age: TimeDelta,
    /// When it was read; `None` while not yet.
    pub taken_at: Option<DateTime<Utc>>,
    /// What the platform reported; what it did not is `None`.
    pub metrics: Option<Metrics>,
    /// Why it could not be read, if it could not.
    pub error: Option<String>,
}

impl Store {
    /// Snapshots due at `now`, oldest first.
    pub async fn due_snapshots(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueSnapshot>> {
        let rows = sqlx::query(
            "SELECT s.target_id, s.age_seconds, t.published, c.name FROM snapshots s \
             JOIN targets t ON t.id = s.target_id JOIN channels c ON c.id = t.channel_id \
             WHERE s.taken_at IS NULL AND s.due_at <= $1 ORDER BY s.due_at LIMIT $2",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let channels = self.channels().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let e = |e| self.db.err(e);
            let target: i64 = r.try_get(0).map_err(e)?;
            let published: Published = serde_json::from_str(
                &r.try_get::<Option<String>, _>(2)
                    .map_err(e)?
                    .unwrap_or_default(),
            )
            .map_err(|err| Error::Corrupt {
                location: self.db.location.clone(),
                what: format!("target {target} published"),
                detail: err.to_string(),
            })?;
            let name: String = r.try_get(3).map_err(e)?;
            let Some(post) = published.posts.into_iter().next() else {
                continue;
            };
            out.push(DueSnapshot {
                target,
                channel: channels
                    .iter()
                    .find(|c| c.name == name)
                    .cloned()
                    .expect("a target's channel exists"),
                post,
                age: TimeDelta::seconds(r.try_get(1).map_err(e)?),
            });
        }
        Ok(out)
    }

    /// Records a reading: the metrics, or why they could not be had. What
    /// the platform does not report stays missing.
    pub async fn record_snapshot(
        &self,
        due: &DueSnapshot,
        now: DateTime<Utc>,
        reading: std::result::Result<Metrics, String>,
    ) -> Result<()> {
        let (metrics, error) = match reading {
            Ok(m) => (
                Some(serde_json::to_string(&m).expect("metrics serialize")),
                None,
            ),
            Err(e) => (None, Some(e)),
        };
        sqlx::query(
            "UPDATE snapshots SET taken_at = $1, metrics = $2, error = $3 \
             WHERE target_id = $4 AND age_seconds = $5 AND taken_at IS NULL",
        )
        .bind(micros(now))
        .bind(metrics)
        .bind(error)
        .bind(due.target)
        .bind(due.age.num_seconds())
        .execute(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(())
    }

    /// The snapshots of target `id`, youngest age first.
    pub async fn snapshots(&self, target: i64) -> Result<Vec<Snapshot>> {
        let rows = sqlx::query(
            "SELECT age_seconds, taken_at, metrics, error FROM snapshots WHERE target_id = $1 ORDER BY age_seconds",
        )
        .bind(target)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|r| {
                let e = |e| self.db.err(e);
                Ok(Snapshot {
                    age: TimeDelta::seconds(r.try_get(0).map_err(e)?),
                    taken_at: r.try_get::<Option<i64>, _>(1).map_err(e)?.map(instant),
                    metrics: match r.try_get::<Option<String>, _>(2).map_err(e)? {
                        Some(s) => {
                            Some(serde_json::from_str(&s).map_err(|err| Error::Corrupt {
                                location: self.db.location.clone(),
                                what: format!("target {target} snapshot"),
                                detail: err.to_string(),
                            })?)
                        }
                        None => None,
                    },
                    error: r.try_get(3).map_err(e)?,
                })
            })
            .collect()
    }

    /// What the queue published on `channel` (every channel if `None`), as
    /// posts with the metrics of their oldest snapshot taken: the history
    /// `kpi`, `best-times` and `backtest` learn from. A post with no
    /// snapshot yet has every metric missing, never zero.
    pub async fn published_history(&self, channel: Option<&str>) -> Result<Vec<Post>> {
        let channels = self.channels().await?;
        if let Some(name) = channel {
            self.channel(name).await?;
        }
        let rows = sqlx::query(
            "SELECT t.id, c.name, t.published, t.published_at, p.content FROM targets t \
             JOIN channels c ON c.id = t.channel_id JOIN posts p ON p.id = t.post_id \
             WHERE t.state = 'published' AND ($1 = '' OR c.name = $1) ORDER BY t.published_at, t.id",
        )
        .bind(channel.unwrap_or("").to_owned())
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let e = |e| self.db.err(e);
            let target: i64 = r.try_get(0).map_err(e)?;
            let name: String = r.try_get(1).map_err(e)?;
            let corrupt = |what: &str, detail: String| Error::Corrupt {
                location: self.db.location.clone(),
                what: format!("target {target} {what}"),
                detail,
            };
            let published: Published = serde_json::from_str(
                &r.try_get::<Option<String>, _>(2)
                    .map_err(e)?
                    .unwrap_or_default(),
            )
            .map_err(|err| corrupt("published", err.to_string()))?;
            let content: crate::Content =
                serde_json::from_str(&r.try_get::<String, _>(4).map_err(e)?)
                    .map_err(|err| corrupt("content", err.to_string()))?;
            let Some(first) = published.posts.first() else {
                continue;
            };
            let c = channels
                .iter()
                .find(|c| c.name == name)
                .expect("a target's channel exists");
            let at = instant(
                r.try_get::<Option<i64>, _>(3)
                    .map_err(e)?
                    .ok_or_else(|| corrupt("published_at", "missing".into()))?,
            );
            let author = Author::new(
                tertulia_core::AccountId::new(c.account.clone())
                    .map_err(|err| corrupt("account", err.to_string()))?,
                tertulia_core::Handle::new(c.account.clone())
                    .map_err(|err| corrupt("account", err.to_string()))?,
            );
            let text = content
                .for_channel(&name)
                .first()
                .map(|p| p.text.clone())
                .unwrap_or_default();
            let mut post = Post::new(
                PostId::new(first.id.clone()).map_err(|err| corrupt("post id", err.to_string()))?,
                c.platform.clone(),
                author,
                at,
                text,
            );
            post.url = first.url.as_deref().and_then(|u| u.parse().ok());
            if let Some(m) = self
                .snapshots(target)
                .await?
                .into_iter()
                .rev()
                .find_map(|s| s.metrics)
            {
                post.metrics = m;
            }
            out.push(post);
        }
        Ok(out)
    }
}
