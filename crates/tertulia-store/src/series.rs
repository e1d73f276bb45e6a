//! Recurring posts: a series stored as wall-clock time and zone, expanded
//! into dated posts a horizon ahead, so each occurrence is a post of its own
//! with targets, states and an audit trail.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tertulia_schedule::Recurrence;

use crate::Store;
use crate::db::{instant, micros};
use crate::error::{Error, Result};
use crate::queue::{Content, NewPost};

/// A recurring post to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSeries {
    /// What each occurrence says.
    pub content: Content,
    /// The channels, by name.
    pub channels: Vec<String>,
    /// When it goes out.
    pub rule: Recurrence,
    /// The first occurrence is the first after this instant.
    pub starts: DateTime<Utc>,
    /// Who adds it (adding it approves every occurrence).
    pub by: String,
}

/// A recurring post in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its number.
    pub id: i64,
    /// What each occurrence says.
    pub content: Content,
    /// The channels.
    pub channels: Vec<String>,
    /// When it goes out.
    pub rule: Recurrence,
    /// Occurrences up to here are posts already.
    pub expanded_through: DateTime<Utc>,
    /// Whether it goes on.
    pub active: bool,
}

impl Store {
    /// Adds a recurring post; its occurrences become posts as workers
    /// expand it ([`Store::expand_series`]).
    pub async fn add_series(&self, series: &NewSeries) -> Result<i64> {
        for name in &series.channels {
            self.channel(name).await?;
        }
        if series.channels.is_empty() {
            return Err(Error::Invalid {
                field: "channels".into(),
                message: "name at least one channel".into(),
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO series (content, channels, rule, expanded_through, active, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
        )
        .bind(serde_json::to_string(&series.content).expect("content serializes"))
        .bind(serde_json::to_string(&series.channels).expect("names serialize"))
        .bind(serde_json::to_string(&series.rule).expect("a rule serializes"))
        .bind(micros(series.starts))
        .bind(micros(Utc::now()))
        .bind(series.by.clone())
        .fetch_one(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    /// Every series.
    pub async fn series(&self) -> Result<Vec<Series>> {
        let rows = sqlx::query(
            "SELECT id, content, channels, rule, expanded_through, active FROM series ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|r| {
                let e = |e| self.db.err(e);
                let id: i64 = r.try_get(0).map_err(e)?;
                let json = |i: usize| r.try_get::<String, _>(i).map_err(|e| self.db.err(e));
                let corrupt = |what: &str, detail: String| Error::Corrupt {
                    location: self.db.location.clone(),
                    what: format!("series {id} {what}"),
                    detail,
                };
                Ok(Series {
                    id,
                    content: serde_json::from_str(&json(1)?)
                        .map_err(|err| corrupt("content", err.to_string()))?,
                    channels: serde_json::from_str(&json(2)?)
                        .map_err(|err| corrupt("channels", err.to_string()))?,
                    rule: serde_json::from_str(&json(3)?)
                        .map_err(|err| corrupt("rule", err.to_string()))?,
                    expanded_through: instant(r.try_get(4).map_err(e)?),
                    active: r.try_get::<i64, _>(5).map_err(e)? != 0,
                })
            })
            .collect()
    }

    /// Stops series `id`: no occurrence after now becomes a post, and the
    /// scheduled ones not yet sent are cancelled.
    pub async fn stop_series(&self, id: i64, by: &str) -> Result<usize> {
        let now = Utc::now();
        let mut tx = self.db.write().await?;
        let n = sqlx::query("UPDATE series SET active = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound { what: "series", id });
        }
        let rows = sqlx::query(
            "UPDATE targets SET state = 'cancelled' WHERE state = 'scheduled' AND post_id IN \
             (SELECT id FROM posts WHERE series_id = $1) RETURNING id, post_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        for r in &rows {
            let t: i64 = r.try_get(0).map_err(|e| self.db.err(e))?;
            let p: i64 = r.try_get(1).map_err(|e| self.db.err(e))?;
            self.event(
                &mut tx,
                p,
                Some(t),
                now,
                by,
                Some("scheduled"),
                "cancelled",
                &format!("series {id} stopped by {by}"),
            )
            .await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(rows.len())
    }

    /// Turns the occurrences of every active series up to `now + horizon`
    /// into scheduled posts, once each however many workers expand at the
    /// same time; the number of posts made.
    pub async fn expand_series(&self, now: DateTime<Utc>, horizon: TimeDelta) -> Result<usize> {
        let through = now + horizon;
        let mut made = 0;
        for s in self.series().await? {
            if !s.active || s.expanded_through >= through {
                continue;
            }
            let mut tx = self.db.write().await?;
            // Whoever locks the series first expands it.
            let current: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT expanded_through FROM series WHERE id = $1 AND active = 1{}",
                self.db.skip_locked()
            )))
            .bind(s.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
            let Some(current) = current.map(instant) else {
                continue;
            };
            for at in s.rule.between(current, through) {
                let post = NewPost {
                    content: s.content.clone(),
                    channels: s.channels.clone(),
                    at: Some(at),
                    zone: s.rule.zone,
                    approver: None,
                    by: format!("series {}", s.id),
                };
                self.insert_post(&mut tx, &post, now, Some(s.id)).await?;
                made += 1;
            }
            sqlx::query("UPDATE series SET expanded_through = $1 WHERE id = $2")
                .bind(micros(through))
                .bind(s.id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?;
            tx.commit().await.map_err(|e| self.db.err(e))?;
        }
        Ok(made)
    }
}
