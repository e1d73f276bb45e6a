//! The publishing queue: channels, posts with one target per channel, each
//! with its own state, and the audit trail of every change.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tertulia_connect::{IdempotencyKey, Media, Part, PostRef, PublishRequest, Published};
use tertulia_core::Platform;
use tertulia_schedule::Constraints;

use crate::Store;
use crate::db::{instant, micros};
use crate::error::{Error, Result};

/// Where posts go: an account on a platform, run in a named time zone.
/// Credentials are not part of it: they come from the environment or a
/// credentials file when the worker runs, never from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Its name in commands and plans (`brand-bsky`).
    pub name: String,
    /// The platform.
    pub platform: Platform,
    /// The account's handle.
    pub account: String,
    /// The zone its calendar, quotas and blackouts are read in.
    pub zone: Tz,
    /// What its calendar must respect.
    #[serde(default)]
    pub constraints: Constraints,
}

impl Channel {
    /// The channel as the planner sees it.
    pub fn for_planner(&self) -> tertulia_schedule::Channel {
        tertulia_schedule::Channel {
            id: self.name.clone(),
            platform: self.platform.clone(),
            account: self.account.clone(),
            zone: self.zone,
            constraints: self.constraints.clone(),
        }
    }
}

macro_rules! states {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &[$name] = &[$($name::$v,)*];

            /// Its name in the store, commands and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$v),)*
                    _ => Err(Error::Invalid {
                        field: stringify!($name).to_owned(),
                        message: format!(
                            "{s:?} is not one; the names are {}",
                            [$($s),*].join(", ")
                        ),
                    }),
                }
            }
        }
    };
}

states! {
    /// Where one target of a post (one channel) stands.
    TargetState {
        /// Written, with no time yet.
        Draft = "draft",
        /// Waiting for the approver named on the post.
        AwaitingApproval = "awaiting_approval",
        /// Goes out at its time.
        Scheduled = "scheduled",
        /// A worker holds it and is sending it.
        Publishing = "publishing",
        /// It is on the platform.
        Published = "published",
        /// The platform refused it, or retries ran out; the error says
        /// which, and whether sending it again is safe.
        Failed = "failed",
        /// The call may have reached the platform: the account is read to
        /// find out, and it is never sent again blindly.
        OutcomeUnknown = "outcome_unknown",
        /// Its time passed while no worker ran, beyond the grace period: a
        /// person decides.
        Missed = "missed",
        /// It will not go out.
        Cancelled = "cancelled",
    }
}

states! {
    /// Where a post stands, from the states of its targets.
    PostState {
        /// Written, with no time yet.
        Draft = "draft",
        /// Waiting for its approver.
        AwaitingApproval = "awaiting_approval",
        /// Goes out at its time.
        Scheduled = "scheduled",
        /// Being sent.
        Publishing = "publishing",
        /// On every channel it was meant for.
        Published = "published",
        /// On some channels; the others need a person or a retry.
        PartlyPublished = "partly_published",
        /// Nowhere yet; a target failed.
        Failed = "failed",
        /// Whether a target went out is being checked, or needs a person.
        NeedsChecking = "needs_checking",
        /// Its time passed while no worker ran.
        Missed = "missed",
        /// It will not go out.
        Cancelled = "cancelled",
    }
}

states! {
    /// Whether a post needs a person's approval, and what they said.
    Approval {
        /// Nobody has to approve it.
        NotNeeded = "not_needed",
        /// Its approver has not answered.
        Pending = "pending",
        /// Approved.
        Approved = "approved",
        /// Rejected: it will not go out.
        Rejected = "rejected",
    }
}

impl PostState {
    /// A post's state from its targets' states: published only when every
    /// target that was not cancelled is; partly published when some are
    /// and the rest wait for a person or a retry.
    ///
    /// ```
    /// use tertulia_store::{PostState, TargetState};
    ///
    /// let of = |t: &[TargetState]| PostState::of(t.iter().copied());
    /// assert_eq!(of(&[TargetState::Published, TargetState::Failed]), PostState::PartlyPublished);
    /// assert_eq!(of(&[TargetState::Published, TargetState::Cancelled]), PostState::Published);
    /// assert_eq!(of(&[TargetState::Scheduled, TargetState::Publishing]), PostState::Publishing);
    /// ```
    pub fn of(targets: impl IntoIterator<Item = TargetState>) -> PostState {
        use TargetState as T;
        let states: Vec<T> = targets.into_iter().filter(|s| *s != T::Cancelled).collect();
        let any = |s: T| states.contains(&s);
        if states.is_empty() {
            return PostState::Cancelled;
        }
        if states.iter().all(|s| *s == T::Published) {
            return PostState::Published;
        }
        if any(T::Published) {
            return PostState::PartlyPublished;
        }
        for (t, p) in [
            (T::Publishing, PostState::Publishing),
            (T::OutcomeUnknown, PostState::NeedsChecking),
            (T::Failed, PostState::Failed),
            (T::Missed, PostState::Missed),
            (T::Scheduled, PostState::Scheduled),
            (T::AwaitingApproval, PostState::AwaitingApproval),
        ] {
            if any(t) {
                return p;
            }
        }
        PostState::Draft
    }
}

/// What a post says: the parts every channel gets, and other parts for
/// channels that need their own wording (a shorter text for Bluesky).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// One part for a post, several for a thread.
    pub parts: Vec<Part>,
    /// Per channel name, parts that replace `parts` on that channel.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Vec<Part>>,
}

impl Content {
    /// A post of one text.
    pub fn text(text: impl Into<String>) -> Content {
        Content {
            parts: vec![Part::from(text.into())],
            variants: BTreeMap::new(),
        }
    }

    /// What `channel` publishes.
    pub fn for_channel(&self, channel: &str) -> &[Part] {
        self.variants.get(channel).unwrap_or(&self.parts)
    }

    fn all(&self) -> impl Iterator<Item = (&str, &Vec<Part>)> {
        std::iter::once(("", &self.parts)).chain(self.variants.iter().map(|(k, v)| (k.as_str(), v)))
    }

    fn all_mut(&mut self) -> impl Iterator<Item = (&str, &mut Vec<Part>)> {
        std::iter::once(("", &mut self.parts))
            .chain(self.variants.iter_mut().map(|(k, v)| (k.as_str(), v)))
    }
}

/// A post to add to the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    /// What it says.
    pub content: Content,
    /// The channels it goes to, by name.
    pub channels: Vec<String>,
    /// When it goes out; `None`: a draft, with no time yet.
    pub at: Option<DateTime<Utc>>,
    /// The zone the person chose the time in, for showing it back.
    pub zone: Tz,
    /// The person who must approve it before it is scheduled.
    pub approver: Option<String>,
    /// Who adds it.
    pub by: String,
}

/// A post in the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Its number.
    pub id: i64,
    /// What it says.
    pub content: Content,
    /// The zone its time was chosen in.
    pub zone: Tz,
    /// When it goes out; `None` for a draft.
    pub at: Option<DateTime<Utc>>,
    /// Who must approve it.
    pub approver: Option<String>,
    /// Whether it is approved.
    pub approval: Approval,
    /// The recurring series it is an occurrence of.
    pub series: Option<i64>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Who added it.
    pub created_by: String,
    /// One per channel.
    pub targets: Vec<Target>,
}

impl Post {
    /// Its state, from its targets'.
    pub fn state(&self) -> PostState {
        PostState::of(self.targets.iter().map(|t| t.state))
    }
}

/// A post on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Its number.
    pub id: i64,
    /// The post.
    pub post: i64,
    /// The channel's name.
    pub channel: String,
    /// Where it stands.
    pub state: TargetState,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// When the next try is, after a retryable failure.
    pub next_try_at: Option<DateTime<Utc>>,
    /// Sends tried.
    pub attempts: u32,
    /// The last error.
    pub error: Option<String>,
    /// Whether sending it again is safe (after a failure).
    pub retry_safe: Option<bool>,
    /// What the platform made.
    pub published: Option<Published>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The worker that holds it while publishing.
    pub lease_owner: Option<String>,
}

/// One change in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The post.
    pub post: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a person's name, or `worker:ID`.
    pub actor: String,
    /// The target, if the change was to one.
    pub target: Option<i64>,
    /// Its channel.
    pub channel: Option<String>,
    /// The state before, if it was a target's.
    pub from: Option<String>,
    /// The state after (a target state, or `approved`, `rejected`, `added`).
    pub to: String,
    /// Why, in words.
    pub why: String,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} post {} {}",
            self.at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.post,
            self.actor
        )?;
        if let Some(c) = &self.channel {
            write!(f, " [{c}]")?;
        }
        match &self.from {
            Some(from) => write!(f, " {from} -> {}", self.to)?,
            None => write!(f, " {}", self.to)?,
        }
        write!(f, ": {}", self.why)
    }
}

/// Which posts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only posts in these states (empty: all).
    pub states: Vec<PostState>,
    /// Only posts with a target on this channel.
    pub channel: Option<String>,
    /// At most this many, newest first (`None`: all).
    pub limit: Option<u32>,
}

/// A target a worker holds, with what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The target.
    pub target: i64,
    /// Its post.
    pub post: i64,
    /// Its channel.
    pub channel: Channel,
    /// What to send, with the target's idempotency key.
    pub request: PublishRequest,
    /// What it was before this worker took it.
    pub kind: ClaimKind,
    /// Sends tried, this one included.
    pub attempts: u32,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// When it was first sent (this claim, or an earlier one).
    pub first_sent_at: DateTime<Utc>,
    /// The change claiming made, for the log.
    pub event: Event,
}

/// Why a worker holds a target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimKind {
    /// It is due: send it.
    Due,
    /// A worker held it and its lease ran out (it died or hung mid-send):
    /// the platform may have it. Send again only under the same key where
    /// the connector is idempotent; otherwise read the account first.
    TakenOver {
        /// The worker that held it.
        from: String,
    },
    /// Its outcome is unknown: read the account to find out.
    Check,
}

/// What came of a claim.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// It is on the platform.
    Published(Published),
    /// Not yet: try again at `at`.
    RetryAt {
        /// When.
        at: DateTime<Utc>,
        /// Why it did not go out.
        error: String,
    },
    /// It did not go out and will not without a person.
    Failed {
        /// Why.
        error: String,
        /// Whether sending it again is safe (nothing reached the platform).
        retry_safe: bool,
    },
    /// It may or may not be on the platform. `check_at`: when to read the
    /// account to find out; `None`: this connector cannot tell, a person
    /// must look.
    Unknown {
        /// Why it is not known.
        error: String,
        /// When to check.
        check_at: Option<DateTime<Utc>>,
    },
}

/// What recording an outcome did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The state the target went to; `None` when this worker no longer held
    /// the target (its lease ran out and another took it), so nothing
    /// changed.
    pub state: Option<TargetState>,
    /// The change it made, for the log.
    pub event: Option<Event>,
}

pub(crate) fn parse<T: FromStr<Err = Error>>(s: &str) -> Result<T> {
    s.parse()
}

impl Store {
    /// Adds a channel. Its name must be new, and its platform and account
    /// too.
    pub async fn add_channel(&self, channel: &Channel) -> Result<()> {
        if channel.name.trim().is_empty() || channel.name.contains(char::is_whitespace) {
            return Err(Error::Invalid {
                field: "channel name".into(),
                message: format!(
                    "{:?}: give a name without spaces, such as brand-bsky",
                    channel.name
                ),
            });
        }
        let constraints =
            serde_json::to_string(&channel.constraints).map_err(|e| Error::Invalid {
                field: "constraints".into(),
                message: e.to_string(),
            })?;
        let existing = self.channels().await?;
        if let Some(c) = existing.iter().find(|c| {
            c.name == channel.name
                || (c.platform == channel.platform && c.account == channel.account)
        }) {
            return Err(Error::Invalid {
                field: "channel".into(),
                message: format!(
                    "channel {} ({} {}) is already there: choose another name or account",
                    c.name, c.platform, c.account
                ),
            });
        }
        sqlx::query(
            "INSERT INTO channels (name, platform, account, zone, constraints, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(channel.name.clone())
        .bind(channel.platform.as_str().to_owned())
        .bind(channel.account.clone())
        .bind(channel.zone.name().to_owned())
        .bind(constraints)
        .bind(micros(Utc::now()))
        .execute(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(())
    }

    /// Every channel, by name.
    pub async fn channels(&self) -> Result<Vec<Channel>> {
        let rows = sqlx::query(
            "SELECT id, name, platform, account, zone, constraints FROM channels ORDER BY name",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|r| self.channel_of(r).map(|(_, c)| c))
            .collect()
    }

    /// The channel named `name`.
    pub async fn channel(&self, name: &str) -> Result<Channel> {
        let all = self.channels().await?;
        all.iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| Error::UnknownChannel {
                name: name.to_owned(),
                known: all.into_iter().map(|c| c.name).collect(),
            })
    }

    fn channel_of(&self, r: &AnyRow) -> Result<(i64, Channel)> {
        let get = |c: &str| r.try_get::<String, _>(c).map_err(|e| self.db.err(e));
        let name = get("name")?;
        let corrupt = |what: &str, detail: String| Error::Corrupt {
            location: self.db.location.clone(),
            what: format!("channel {name} {what}"),
            detail,
        };
        let platform = Platform::from_str(&get("platform")?)
            .map_err(|e| corrupt("platform", e.to_string()))?;
        let zone = Tz::from_str(&get("zone")?).map_err(|e| corrupt("zone", e.to_string()))?;
        let constraints = serde_json::from_str(&get("constraints")?)
            .map_err(|e| corrupt("constraints", e.to_string()))?;
        Ok((
            r.try_get::<i64, _>("id").map_err(|e| self.db.err(e))?,
            Channel {
                name: name.clone(),
                platform,
                account: get("account")?,
                zone,
                constraints,
            },
        ))
    }

    /// Adds a post with one target per channel: a draft without a time,
    /// awaiting approval when it names an approver, otherwise scheduled.
    /// Every part is checked against the platform's limits by the caller
    /// (the connector knows them); the store checks the channels exist.
    pub async fn add_post(&self, post: &NewPost) -> Result<i64> {
        let mut tx = self.db.write().await?;
        let id = self.insert_post(&mut tx, post, Utc::now(), None).await?;
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(id)
    }

    /// Inserts a post and its targets in `tx` (an occurrence of `series`,
    /// if given).
    pub(crate) async fn insert_post(
        &self,
        tx: &mut Transaction<'static, Any>,
        post: &NewPost,
        now: DateTime<Utc>,
        series: Option<i64>,
    ) -> Result<i64> {
        if post.channels.is_empty() {
            return Err(Error::Invalid {
                field: "channels".into(),
                message: "name at least one channel".into(),
            });
        }
        if post.content.parts.is_empty() || post.content.all().any(|(_, p)| p.is_empty()) {
            return Err(Error::Invalid {
                field: "content".into(),
                message: "a post needs at least one part".into(),
            });
        }
        for name in post.content.variants.keys() {
            if !post.channels.contains(name) {
                return Err(Error::Invalid {
                    field: format!("variants.{name}"),
                    message: "a variant for a channel the post does not go to".into(),
                });
            }
        }
        if let Some(a) = &post.approver
            && a.trim().is_empty()
        {
            return Err(Error::Invalid {
                field: "approver".into(),
                message: "name the person who approves".into(),
            });
        }
        let channels = self.channels().await?;
        let mut ids = Vec::new();
        for name in &post.channels {
            match channels.iter().position(|c| &c.name == name) {
                Some(_) => {}
                None => {
                    return Err(Error::UnknownChannel {
                        name: name.clone(),
                        known: channels.into_iter().map(|c| c.name).collect(),
                    });
                }
            }
            let id: i64 = sqlx::query_scalar("SELECT id FROM channels WHERE name = $1")
                .bind(name.clone())
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| self.db.err(e))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut stripped = post.content.clone();
        for (_, parts) in stripped.all_mut() {
            for p in parts {
                p.media.clear();
            }
        }
        let approval = if post.approver.is_some() {
            Approval::Pending
        } else {
            Approval::NotNeeded
        };
        let row = sqlx::query(
            "INSERT INTO posts (content, zone, at, approver, approval, series_id, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(serde_json::to_string(&stripped).expect("content serializes"))
        .bind(post.zone.name().to_owned())
        .bind(post.at.map(micros))
        .bind(post.approver.clone())
        .bind(approval.as_str().to_owned())
        .bind(series)
        .bind(micros(now))
        .bind(post.by.clone())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| self.db.err(e))?;
        let id: i64 = row.try_get(0).map_err(|e| self.db.err(e))?;
        for (variant, parts) in post.content.all() {
            for (pi, part) in parts.iter().enumerate() {
                for (mi, m) in part.media.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO media (post_id, variant, part, position, mime, alt_text, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(variant.to_owned())
                    .bind(pi as i64)
                    .bind(mi as i64)
                    .bind(m.mime.clone())
                    .bind(m.alt_text.clone())
                    .bind(m.bytes.clone())
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| self.db.err(e))?;
                }
            }
        }
        let state = match (post.at, &post.approver) {
            (None, None) => TargetState::Draft,
            (_, Some(_)) => TargetState::AwaitingApproval,
            (Some(_), None) => TargetState::Scheduled,
        };
        let why = match (post.at, &post.approver) {
            (_, Some(a)) => format!("added; {a} must approve it"),
            (None, None) => "added as a draft, with no time".to_owned(),
            (Some(at), None) => format!("added for {}", shown(at, post.zone)),
        };
        for channel in ids {
            let target: i64 = sqlx::query_scalar(
                "INSERT INTO targets (post_id, channel_id, state, due_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(id)
            .bind(channel)
            .bind(state.as_str().to_owned())
            .bind(post.at.map(micros))
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
            self.event(
                tx,
                id,
                Some(target),
                now,
                &post.by,
                None,
                state.as_str(),
                &why,
            )
            .await?;
        }
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn event(
        &self,
        tx: &mut Transaction<'static, Any>,
        post: i64,
        target: Option<i64>,
        at: DateTime<Utc>,
        actor: &str,
        from: Option<&str>,
        to: &str,
        why: &str,
    ) -> Result<Event> {
        let event = Event {
            post,
            at,
            actor: actor.to_owned(),
            target,
            channel: None,
            from: from.map(str::to_owned),
            to: to.to_owned(),
            why: why.to_owned(),
        };
        self.insert_events(tx, std::slice::from_ref(&event)).await?;
        Ok(event)
    }

    /// Writes `events` to the audit trail, many to a statement.
    pub(crate) async fn insert_events(
        &self,
        tx: &mut Transaction<'static, Any>,
        events: &[Event],
    ) -> Result<()> {
        for chunk in events.chunks(200) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = 7 * i;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6,
                        n + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO events (post_id, target_id, at, actor, from_state, to_state, why) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.post)
                    .bind(e.target)
                    .bind(micros(e.at))
                    .bind(e.actor.clone())
                    .bind(e.from.clone())
                    .bind(e.to.clone())
                    .bind(e.why.clone());
            }
            q.execute(&mut **tx).await.map_err(|e| self.db.err(e))?;
        }
        Ok(())
    }

    /// The post `id` with its targets.
    pub async fn post(&self, id: i64) -> Result<Post> {
        let mut posts = self.posts_where(&format!("p.id = {id}")).await?;
        posts.pop().ok_or(Error::NotFound { what: "post", id })
    }

    /// Posts, newest first.
    pub async fn posts(&self, filter: &Filter) -> Result<Vec<Post>> {
        let mut clause = "1 = 1".to_owned();
        if let Some(c) = &filter.channel {
            let channel = self.channel(c).await?;
            clause = format!(
                "p.id IN (SELECT t.post_id FROM targets t JOIN channels c ON c.id = t.channel_id WHERE c.name = '{}')",
                channel.name.replace('\'', "''")
            );
        }
        let mut posts = self.posts_where(&clause).await?;
        if !filter.states.is_empty() {
            posts.retain(|p| filter.states.contains(&p.state()));
        }
        if let Some(n) = filter.limit {
            posts.truncate(n as usize);
        }
        Ok(posts)
    }

    /// Posts matching `clause` (over `posts p`), newest first.
    async fn posts_where(&self, clause: &str) -> Result<Vec<Post>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.content, p.zone, p.at, p.approver, p.approval, p.series_id, p.created_at, p.created_by \
             FROM posts p WHERE {clause} ORDER BY p.id DESC"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0).map(|i| i.to_string()))
            .collect::<Result<_, _>>()
            .map_err(|e| self.db.err(e))?;
        let list = ids.join(",");
        let mut targets = self
            .targets_where(&format!("t.post_id IN ({list})"))
            .await?;
        let mut media = self.media(&list).await?;
        let mut posts = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(|e| self.db.err(e))?;
            let corrupt = |what: &str, detail: String| Error::Corrupt {
                location: self.db.location.clone(),
                what: format!("post {id} {what}"),
                detail,
            };
            let mut content: Content =
                serde_json::from_str(&r.try_get::<String, _>(1).map_err(|e| self.db.err(e))?)
                    .map_err(|e| corrupt("content", e.to_string()))?;
            attach(&mut content, media.remove(&id).unwrap_or_default());
            let zone = Tz::from_str(&r.try_get::<String, _>(2).map_err(|e| self.db.err(e))?)
                .map_err(|e| corrupt("zone", e.to_string()))?;
            let approval: Approval =
                parse(&r.try_get::<String, _>(5).map_err(|e| self.db.err(e))?)?;
            let mine: Vec<Target> = targets.remove(&id).unwrap_or_default();
            posts.push(Post {
                id,
                content,
                zone,
                at: r
                    .try_get::<Option<i64>, _>(3)
                    .map_err(|e| self.db.err(e))?
                    .map(instant),
                approver: r.try_get(4).map_err(|e| self.db.err(e))?,
                approval,
                series: r.try_get(6).map_err(|e| self.db.err(e))?,
                created_at: instant(r.try_get(7).map_err(|e| self.db.err(e))?),
                created_by: r.try_get(8).map_err(|e| self.db.err(e))?,
                targets: mine,
            });
        }
        Ok(posts)
    }

    /// Targets matching `clause` (over `targets t`), by post, in id order.
    async fn targets_where(&self, clause: &str) -> Result<BTreeMap<i64, Vec<Target>>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.id, t.post_id, c.name, t.state, t.due_at, t.next_try_at, t.attempts, t.error, \
             t.retry_safe, t.published, t.published_at, t.lease_owner \
             FROM targets t JOIN channels c ON c.id = t.channel_id WHERE {clause} ORDER BY t.id"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let mut out: BTreeMap<i64, Vec<Target>> = BTreeMap::new();
        for r in &rows {
            let t = self.target_of(r)?;
            out.entry(t.post).or_default().push(t);
        }
        Ok(out)
    }

    fn target_of(&self, r: &AnyRow) -> Result<Target> {
        let e = |e| self.db.err(e);
        let id: i64 = r.try_get(0).map_err(e)?;
        let published = match r.try_get::<Option<String>, _>(9).map_err(e)? {
            Some(s) => Some(serde_json::from_str(&s).map_err(|err| Error::Corrupt {
                location: self.db.location.clone(),
                what: format!("target {id} published"),
                detail: err.to_string(),
            })?),
            None => None,
        };
        Ok(Target {
            id,
            post: r.try_get(1).map_err(e)?,
            channel: r.try_get(2).map_err(e)?,
            state: parse(&r.try_get::<String, _>(3).map_err(e)?)?,
            due_at: r.try_get::<Option<i64>, _>(4).map_err(e)?.map(instant),
            next_try_at: r.try_get::<Option<i64>, _>(5).map_err(e)?.map(instant),
            attempts: u32::try_from(r.try_get::<i64, _>(6).map_err(e)?).unwrap_or(u32::MAX),
            error: r.try_get(7).map_err(e)?,
            retry_safe: r.try_get::<Option<i64>, _>(8).map_err(e)?.map(|v| v != 0),
            published,
            published_at: r.try_get::<Option<i64>, _>(10).map_err(e)?.map(instant),
            lease_owner: r.try_get(11).map_err(e)?,
        })
    }

    /// Media of the posts in `list` (comma-separated ids), by post.
    async fn media(&self, list: &str) -> Result<BTreeMap<i64, Vec<(String, usize, Media)>>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT post_id, variant, part, mime, alt_text, bytes FROM media WHERE post_id IN ({list}) \
             ORDER BY post_id, variant, part, position"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let mut out: BTreeMap<i64, Vec<(String, usize, Media)>> = BTreeMap::new();
        for r in &rows {
            let e = |e| self.db.err(e);
            out.entry(r.try_get(0).map_err(e)?).or_default().push((
                r.try_get(1).map_err(e)?,
                usize::try_from(r.try_get::<i64, _>(2).map_err(e)?).unwrap_or(usize::MAX),
                Media {
                    mime: r.try_get(3).map_err(e)?,
                    alt_text: r.try_get(4).map_err(e)?,
                    bytes: r.try_get(5).map_err(e)?,
                },
            ));
        }
        Ok(out)
    }

    /// The audit trail of post `id`, oldest first.
    pub async fn history(&self, id: i64) -> Result<Vec<Event>> {
        self.post(id).await?;
        let rows = sqlx::query(
            "SELECT e.at, e.actor, e.target_id, c.name, e.from_state, e.to_state, e.why FROM events e \
             LEFT JOIN targets t ON t.id = e.target_id LEFT JOIN channels c ON c.id = t.channel_id \
             WHERE e.post_id = $1 ORDER BY e.id",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        rows.iter()
            .map(|r| {
                let e = |e| self.db.err(e);
                Ok(Event {
                    post: id,
                    at: instant(r.try_get(0).map_err(e)?),
                    actor: r.try_get(1).map_err(e)?,
                    target: r.try_get(2).map_err(e)?,
                    channel: r.try_get(3).map_err(e)?,
                    from: r.try_get(4).map_err(e)?,
                    to: r.try_get(5).map_err(e)?,
                    why: r.try_get(6).map_err(e)?,
                })
            })
            .collect()
    }

    /// Moves the targets of `post` that are in `from` to `to`, recording
    /// `why` for each; the number moved.
    #[allow(clippy::too_many_arguments)]
    async fn move_targets(
        &self,
        tx: &mut Transaction<'static, Any>,
        post: i64,
        from: &[TargetState],
        to: TargetState,
        due_now: Option<DateTime<Utc>>,
        by: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, state FROM targets WHERE post_id = $1 AND state IN ({}) ORDER BY id",
            list.join(",")
        )))
        .bind(post)
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| self.db.err(e))?;
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(|e| self.db.err(e))?;
            let before: String = r.try_get(1).map_err(|e| self.db.err(e))?;
            sqlx::query(
                "UPDATE targets SET state = $1, due_at = COALESCE($2, due_at), next_try_at = NULL, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $3",
            )
            .bind(to.as_str().to_owned())
            .bind(due_now.map(micros))
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(|e| self.db.err(e))?;
            self.event(tx, post, Some(id), now, by, Some(&before), to.as_str(), why)
                .await?;
        }
        Ok(rows.len())
    }

    /// `by` approves post `id` (they must be its approver): its targets are
    /// scheduled, or stay drafts if it has no time.
    pub async fn approve(&self, id: i64, by: &str, note: &str) -> Result<Post> {
        self.decide(id, by, note, true, Utc::now()).await
    }

    /// `by` rejects post `id` (they must be its approver): it will not go
    /// out.
    pub async fn reject(&self, id: i64, by: &str, note: &str) -> Result<Post> {
        self.decide(id, by, note, false, Utc::now()).await
    }

    async fn decide(
        &self,
        id: i64,
        by: &str,
        note: &str,
        yes: bool,
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let post = self.post(id).await?;
        let Some(approver) = &post.approver else {
            return Err(Error::Refused {
                post: id,
                message: "it needs no approval".into(),
            });
        };
        if approver != by {
            return Err(Error::Refused {
                post: id,
                message: format!("only {approver} can approve or reject it, not {by}"),
            });
        }
        if post.approval != Approval::Pending {
            return Err(Error::Refused {
                post: id,
                message: format!("it was already {}", post.approval),
            });
        }
        let mut tx = self.db.write().await?;
        let approval = if yes {
            Approval::Approved
        } else {
            Approval::Rejected
        };
        let changed =
            sqlx::query("UPDATE posts SET approval = $1 WHERE id = $2 AND approval = 'pending'")
                .bind(approval.as_str().to_owned())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.err(e))?
                .rows_affected();
        if changed == 0 {
            return Err(Error::Refused {
                post: id,
                message: "someone decided on it at the same time; look again".into(),
            });
        }
        let note = if note.trim().is_empty() {
            String::new()
        } else {
            format!(": {note}")
        };
        self.event(
            &mut tx,
            id,
            None,
            now,
            by,
            None,
            approval.as_str(),
            &format!("{}{note}", approval),
        )
        .await?;
        let to = match (yes, post.at) {
            (false, _) => TargetState::Cancelled,
            (true, Some(_)) => TargetState::Scheduled,
            (true, None) => TargetState::Draft,
        };
        let why = format!("{} by {by}{note}", approval);
        self.move_targets(
            &mut tx,
            id,
            &[TargetState::AwaitingApproval],
            to,
            None,
            by,
            &why,
            now,
        )
        .await?;
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.post(id).await
    }

    /// Cancels what of post `id` has not gone out. A target being sent
    /// cannot be cancelled; one whose outcome is unknown can (a person who
    /// cancels it says they have looked).
    pub async fn cancel(&self, id: i64, by: &str, why: &str) -> Result<Post> {
        let post = self.post(id).await?;
        if post
            .targets
            .iter()
            .any(|t| t.state == TargetState::Publishing)
        {
            return Err(Error::Refused {
                post: id,
                message: "a worker is sending it right now; cancel again in a moment, or delete what was published".into(),
            });
        }
        let mut tx = self.db.write().await?;
        let n = self
            .move_targets(
                &mut tx,
                id,
                &[
                    TargetState::Draft,
                    TargetState::AwaitingApproval,
                    TargetState::Scheduled,
                    TargetState::Failed,
                    TargetState::Missed,
                    TargetState::OutcomeUnknown,
                ],
                TargetState::Cancelled,
                None,
                by,
                &format!("cancelled by {by}{}", note(why)),
                Utc::now(),
            )
            .await?;
        if n == 0 {
            return Err(Error::Refused {
                post: id,
                message: format!("nothing left to cancel: it is {}", post.state()),
            });
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.post(id).await
    }

    /// Sends again, now, the targets of post `id` that need it: failed ones
    /// whose retry is safe, missed ones, and ones whose outcome was unknown
    /// and that `by` has checked are not on the platform. Published targets
    /// are never sent again. A failure that is not safe to retry needs
    /// `force` (the person has checked).
    pub async fn retry(&self, id: i64, by: &str, force: bool) -> Result<Post> {
        let post = self.post(id).await?;
        let now = Utc::now();
        let mut tx = self.db.write().await?;
        let mut moved = 0;
        for t in &post.targets {
            let ok = match t.state {
                TargetState::Missed => true,
                TargetState::Failed => t.retry_safe == Some(true) || force,
                TargetState::OutcomeUnknown => force,
                _ => false,
            };
            if !ok {
                continue;
            }
            let why = match t.state {
                TargetState::OutcomeUnknown => {
                    format!("{by} checked the account: it is not there; sending again")
                }
                _ => format!("retry asked by {by}"),
            };
            sqlx::query(
                "UPDATE targets SET state = 'scheduled', due_at = $1, next_try_at = NULL, error = NULL, \
                 retry_safe = NULL, sent_at = NULL WHERE id = $2 AND state = $3",
            )
            .bind(micros(now))
            .bind(t.id)
            .bind(t.state.as_str().to_owned())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
            self.event(
                &mut tx,
                id,
                Some(t.id),
                now,
                by,
                Some(t.state.as_str()),
                "scheduled",
                &why,
            )
            .await?;
            moved += 1;
        }
        if moved == 0 {
            let unsafe_ = post
                .targets
                .iter()
                .any(|t| matches!(t.state, TargetState::Failed | TargetState::OutcomeUnknown));
            return Err(Error::Refused {
                post: id,
                message: if unsafe_ {
                    "its failed targets may have reached the platform: look at the account, then retry with --force if they are not there".into()
                } else {
                    format!("nothing to retry: it is {}", post.state())
                },
            });
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.post(id).await
    }

    /// Gives post `id` (a draft) its time, and schedules it unless it waits
    /// for approval.
    pub async fn schedule(&self, id: i64, at: DateTime<Utc>, by: &str) -> Result<Post> {
        let post = self.post(id).await?;
        let now = Utc::now();
        let mut tx = self.db.write().await?;
        sqlx::query("UPDATE posts SET at = $1 WHERE id = $2")
            .bind(micros(at))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        sqlx::query("UPDATE targets SET due_at = $1 WHERE post_id = $2 AND state IN ('draft', 'awaiting_approval', 'scheduled')")
            .bind(micros(at))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?;
        let why = format!("scheduled by {by} for {}", shown(at, post.zone));
        let n = self
            .move_targets(
                &mut tx,
                id,
                &[TargetState::Draft],
                TargetState::Scheduled,
                None,
                by,
                &why,
                now,
            )
            .await?;
        if n == 0
            && !post.targets.iter().any(|t| {
                matches!(
                    t.state,
                    TargetState::AwaitingApproval | TargetState::Scheduled
                )
            })
        {
            return Err(Error::Refused {
                post: id,
                message: format!("only a draft can be given a time; it is {}", post.state()),
            });
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        self.post(id).await
    }

    /// What is booked on `channel` between `from` and `to`: the times of
    /// its targets that are scheduled, awaiting approval, being sent or
    /// published. The planner places new posts around them.
    pub async fn booked(
        &self,
        channel: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        self.channel(channel).await?;
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT COALESCE(t.published_at, t.due_at) FROM targets t JOIN channels c ON c.id = t.channel_id \
             WHERE c.name = $1 AND t.state IN ('awaiting_approval', 'scheduled', 'publishing', 'published') \
             AND COALESCE(t.published_at, t.due_at) >= $2 AND COALESCE(t.published_at, t.due_at) < $3 ORDER BY 1",
        )
        .bind(channel.to_owned())
        .bind(micros(from))
        .bind(micros(to))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        Ok(rows.into_iter().map(instant).collect())
    }

    /// The idempotency key of target `id`: the same on every try, by every
    /// worker, and different from any other store's.
    pub fn key_of(&self, target: i64) -> IdempotencyKey {
        IdempotencyKey::new(format!("tq-{}-{target}", self.db.id)).expect("a valid key")
    }

    /// Marks scheduled targets more than `grace` late (and never tried) as
    /// missed, for a person to decide; the changes made.
    pub async fn mark_missed(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        grace: TimeDelta,
    ) -> Result<Vec<Event>> {
        let cutoff = micros(now - grace);
        let mut tx = self.db.write().await?;
        let rows = sqlx::query(
            "UPDATE targets SET state = 'missed' WHERE state = 'scheduled' AND attempts = 0 AND due_at < $1 \
             RETURNING id, post_id, due_at, channel_id",
        )
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        let names: BTreeMap<i64, String> = sqlx::query("SELECT id, name FROM channels")
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.db.err(e))?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| self.db.err(e))?;
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(|e| self.db.err(e))?;
            let post: i64 = r.try_get(1).map_err(|e| self.db.err(e))?;
            let due = instant(r.try_get(2).map_err(|e| self.db.err(e))?);
            let late = now - due;
            let why = format!(
                "due at {} but no worker ran until {} ({} late, beyond the grace of {} min): a person decides whether it still goes out (`tertulia queue retry {post}`)",
                due.format("%Y-%m-%d %H:%M UTC"),
                now.format("%Y-%m-%d %H:%M UTC"),
                human(late),
                grace.num_minutes()
            );
            let channel: i64 = r.try_get(3).map_err(|e| self.db.err(e))?;
            let mut event = self
                .event(
                    &mut tx,
                    post,
                    Some(id),
                    now,
                    worker,
                    Some("scheduled"),
                    "missed",
                    &why,
                )
                .await?;
            event.channel = names.get(&channel).cloned();
            events.push(event);
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(events)
    }

    /// Claims up to `limit` targets for `worker` until `now + lease`: due
    /// scheduled ones, ones whose holder's lease ran out, and unknown
    /// outcomes due for a check. On PostgreSQL rows other workers hold are
    /// skipped (`FOR UPDATE SKIP LOCKED`); on SQLite one write transaction
    /// claims at a time.
    pub async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> Result<Vec<Claim>> {
        let now_us = micros(now);
        let mut tx = self.db.write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE targets SET state = 'publishing', claimed_from = state, previous_owner = lease_owner, \
             lease_owner = $1, lease_until = $2, \
             attempts = attempts + CASE WHEN state = 'outcome_unknown' THEN 0 ELSE 1 END, \
             sent_at = COALESCE(sent_at, $3) \
             WHERE id IN (SELECT id FROM targets WHERE \
               (state = 'scheduled' AND due_at <= $3 AND (next_try_at IS NULL OR next_try_at <= $3)) \
               OR (state = 'publishing' AND lease_until < $3) \
               OR (state = 'outcome_unknown' AND next_try_at IS NOT NULL AND next_try_at <= $3) \
               ORDER BY due_at, id LIMIT $4{}) \
             RETURNING id, post_id, channel_id, claimed_from, previous_owner, attempts, due_at, sent_at",
            self.db.skip_locked()
        )))
        .bind(worker.to_owned())
        .bind(micros(now + lease))
        .bind(now_us)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?;
        if rows.is_empty() {
            tx.commit().await.map_err(|e| self.db.err(e))?;
            return Ok(Vec::new());
        }
        struct Raw {
            target: i64,
            post: i64,
            channel: i64,
            from: String,
            previous: Option<String>,
            attempts: i64,
            due: i64,
            sent: i64,
        }
        let mut raws = Vec::with_capacity(rows.len());
        for r in &rows {
            let e = |e| self.db.err(e);
            raws.push(Raw {
                target: r.try_get(0).map_err(e)?,
                post: r.try_get(1).map_err(e)?,
                channel: r.try_get(2).map_err(e)?,
                from: r.try_get(3).map_err(e)?,
                previous: r.try_get(4).map_err(e)?,
                attempts: r.try_get(5).map_err(e)?,
                due: r.try_get(6).map_err(e)?,
                sent: r.try_get(7).map_err(e)?,
            });
        }
        raws.sort_by_key(|r| (r.due, r.target));
        let mut events = BTreeMap::new();
        for r in &raws {
            let why = match (r.from.as_str(), &r.previous) {
                ("publishing", Some(p)) => {
                    format!("taken over from {p}, whose lease ran out: it may have sent it")
                }
                ("outcome_unknown", _) => "checking the account for it".to_owned(),
                _ if r.attempts > 1 => format!("sending, try {}", r.attempts),
                _ => "sending".to_owned(),
            };
            events.insert(
                r.target,
                Event {
                    post: r.post,
                    at: now,
                    actor: worker.to_owned(),
                    target: Some(r.target),
                    channel: None,
                    from: Some(r.from.clone()),
                    to: "publishing".to_owned(),
                    why,
                },
            );
        }
        let all: Vec<Event> = events.values().cloned().collect();
        self.insert_events(&mut tx, &all).await?;
        tx.commit().await.map_err(|e| self.db.err(e))?;

        let posts: Vec<String> = raws.iter().map(|r| r.post.to_string()).collect();
        let list = posts.join(",");
        let content_rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, content FROM posts WHERE id IN ({list})"
        )))
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| self.db.err(e))?;
        let mut media = self.media(&list).await?;
        let mut contents: BTreeMap<i64, Content> = BTreeMap::new();
        for r in &content_rows {
            let id: i64 = r.try_get(0).map_err(|e| self.db.err(e))?;
            let mut c: Content =
                serde_json::from_str(&r.try_get::<String, _>(1).map_err(|e| self.db.err(e))?)
                    .map_err(|e| Error::Corrupt {
                        location: self.db.location.clone(),
                        what: format!("post {id} content"),
                        detail: e.to_string(),
                    })?;
            attach(&mut c, media.remove(&id).unwrap_or_default());
            contents.insert(id, c);
        }
        let channel_rows =
            sqlx::query("SELECT id, name, platform, account, zone, constraints FROM channels")
                .fetch_all(&self.db.pool)
                .await
                .map_err(|e| self.db.err(e))?;
        let channels: BTreeMap<i64, Channel> = channel_rows
            .iter()
            .map(|r| self.channel_of(r))
            .collect::<Result<_>>()?;
        raws.into_iter()
            .map(|r| {
                let channel = channels[&r.channel].clone();
                let mut event = events.remove(&r.target).expect("an event per claim");
                event.channel = Some(channel.name.clone());
                let content = &contents[&r.post];
                let request = PublishRequest {
                    idempotency_key: self.key_of(r.target),
                    parts: content.for_channel(&channel.name).to_vec(),
                    reply_to: None,
                };
                Ok(Claim {
                    target: r.target,
                    post: r.post,
                    channel,
                    request,
                    kind: match (r.from.as_str(), r.previous) {
                        ("publishing", from) => ClaimKind::TakenOver {
                            from: from.unwrap_or_else(|| "a worker".into()),
                        },
                        ("outcome_unknown", _) => ClaimKind::Check,
                        _ => ClaimKind::Due,
                    },
                    attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                    due_at: instant(r.due),
                    first_sent_at: instant(r.sent),
                    event,
                })
            })
            .collect()
    }

    /// Records what came of `claim`, if `worker` still holds it, and on
    /// publication schedules its metric snapshots at `ages`.
    pub async fn record(
        &self,
        worker: &str,
        claim: &Claim,
        outcome: &Outcome,
        now: DateTime<Utc>,
        ages: &[TimeDelta],
    ) -> Result<Recorded> {
        let mut r = self
            .record_many(worker, &[(claim, outcome)], now, ages)
            .await?;
        Ok(r.pop().expect("one outcome, one record"))
    }

    /// Records several outcomes in one transaction: what a worker does with
    /// the answers that came in together, so the store's cost is paid once
    /// for all of them. A crash before the commit loses none of the posts:
    /// their targets are taken over when the lease ends and sent again under
    /// the same keys.
    pub async fn record_many(
        &self,
        worker: &str,
        outcomes: &[(&Claim, &Outcome)],
        now: DateTime<Utc>,
        ages: &[TimeDelta],
    ) -> Result<Vec<Recorded>> {
        let mut tx = self.db.write().await?;
        let mut events = Vec::new();
        let mut snapshots = Vec::new();
        let mut out = Vec::with_capacity(outcomes.len());
        struct Row<'a> {
            claim: &'a Claim,
            published_now: bool,
            state: TargetState,
            error: Option<String>,
            retry_safe: Option<bool>,
            published: Option<String>,
            next: Option<DateTime<Utc>>,
            why: String,
        }
        let mut rows = Vec::with_capacity(outcomes.len());
        for &(claim, outcome) in outcomes {
            let (state, error, retry_safe, published, next, why) = match outcome {
                Outcome::Published(p) => (
                    TargetState::Published,
                    None,
                    None,
                    Some(serde_json::to_string(p).expect("published serializes")),
                    None,
                    match (&claim.kind, p.repeated) {
                        (ClaimKind::Check, _) => format!("found on the account: {}", refs(p)),
                        (_, true) => format!(
                            "the platform already had it under the same key, so it was not sent twice: {}",
                            refs(p)
                        ),
                        _ => format!("published: {}", refs(p)),
                    },
                ),
                Outcome::RetryAt { at, error } => (
                    TargetState::Scheduled,
                    Some(error.clone()),
                    None,
                    None,
                    Some(*at),
                    format!(
                        "{error}; trying again at {}",
                        at.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                ),
                Outcome::Failed { error, retry_safe } => (
                    TargetState::Failed,
                    Some(error.clone()),
                    Some(*retry_safe),
                    None,
                    None,
                    format!(
                        "{error}; {}",
                        if *retry_safe {
                            "nothing reached the platform, so a retry is safe"
                        } else {
                            "look at the account before a retry"
                        }
                    ),
                ),
                Outcome::Unknown { error, check_at } => (
                    TargetState::OutcomeUnknown,
                    Some(error.clone()),
                    Some(false),
                    None,
                    *check_at,
                    match check_at {
                        Some(at) => format!(
                            "{error}; it may be on the platform: the account is read at {} before anything is sent again",
                            at.format("%H:%M:%S UTC")
                        ),
                        None => format!(
                            "{error}; it may be on the platform and this connector cannot tell: look at the account, then `tertulia queue retry {} --force` or cancel it",
                            claim.post
                        ),
                    },
                ),
            };
            rows.push(Row {
                claim,
                published_now: matches!(outcome, Outcome::Published(_)),
                state,
                error,
                retry_safe,
                published,
                next,
                why,
            });
        }
        // One statement for many targets: each changes only if this worker
        // still holds it.
        let mut changed = std::collections::BTreeSet::new();
        for chunk in rows.chunks(100) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = 7 * i + 1;
                    format!(
                        "(CAST(${} AS BIGINT), CAST(${} AS TEXT), CAST(${} AS TEXT), CAST(${} AS BIGINT), \
                         CAST(${} AS TEXT), CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                        n,
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                })
                .collect();
            let sql = format!(
                "UPDATE targets SET state = v.column2, lease_owner = NULL, lease_until = NULL, error = v.column3, \
                 retry_safe = v.column4, published = v.column5, published_at = v.column6, next_try_at = v.column7 \
                 FROM (VALUES {}) AS v WHERE targets.id = v.column1 AND targets.state = 'publishing' \
                 AND targets.lease_owner = ${} RETURNING targets.id",
                values.join(", "),
                7 * chunk.len() + 1
            );
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.claim.target)
                    .bind(r.state.as_str().to_owned())
                    .bind(r.error.clone())
                    .bind(r.retry_safe.map(i64::from))
                    .bind(r.published.clone())
                    .bind(r.published_now.then_some(micros(now)))
                    .bind(r.next.map(micros));
            }
            q = q.bind(worker.to_owned());
            changed.extend(q.fetch_all(&mut *tx).await.map_err(|e| self.db.err(e))?);
        }
        for r in rows {
            if !changed.contains(&r.claim.target) {
                out.push(Recorded {
                    state: None,
                    event: None,
                });
                continue;
            }
            let event = Event {
                post: r.claim.post,
                at: now,
                actor: worker.to_owned(),
                target: Some(r.claim.target),
                channel: Some(r.claim.channel.name.clone()),
                from: Some("publishing".to_owned()),
                to: r.state.as_str().to_owned(),
                why: r.why,
            };
            events.push(event.clone());
            if r.published_now {
                snapshots.extend(ages.iter().map(|age| (r.claim.target, *age)));
            }
            out.push(Recorded {
                state: Some(r.state),
                event: Some(event),
            });
        }
        self.insert_events(&mut tx, &events).await?;
        for chunk in snapshots.chunks(300) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO snapshots (target_id, age_seconds, due_at) VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (target, age) in chunk {
                q = q
                    .bind(*target)
                    .bind(age.num_seconds())
                    .bind(micros(now + *age));
            }
            q.execute(&mut *tx).await.map_err(|e| self.db.err(e))?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(out)
    }

    /// Gives back a claim untouched (a worker shutting down before sending):
    /// the target is due again for the next worker.
    pub async fn release(&self, worker: &str, claim: &Claim, now: DateTime<Utc>) -> Result<bool> {
        let back = match claim.kind {
            ClaimKind::Check => TargetState::OutcomeUnknown,
            ClaimKind::TakenOver { .. } => TargetState::Publishing,
            ClaimKind::Due => TargetState::Scheduled,
        };
        let mut tx = self.db.write().await?;
        // A taken-over target stays `publishing` with its lease ended, so
        // the next worker treats it as one that may have been sent.
        let changed = sqlx::query(
            "UPDATE targets SET state = $1, lease_owner = NULL, lease_until = $2, \
             attempts = CASE WHEN $1 = 'scheduled' THEN attempts - 1 ELSE attempts END, \
             sent_at = CASE WHEN $1 = 'scheduled' AND attempts <= 1 THEN NULL ELSE sent_at END \
             WHERE id = $3 AND state = 'publishing' AND lease_owner = $4",
        )
        .bind(back.as_str().to_owned())
        .bind(micros(now) - 1)
        .bind(claim.target)
        .bind(worker.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db.err(e))?
        .rows_affected();
        if changed > 0 {
            self.event(
                &mut tx,
                claim.post,
                Some(claim.target),
                now,
                worker,
                Some("publishing"),
                back.as_str(),
                "given back unsent: the worker is stopping",
            )
            .await?;
        }
        tx.commit().await.map_err(|e| self.db.err(e))?;
        Ok(changed > 0)
    }
}

fn attach(content: &mut Content, media: Vec<(String, usize, Media)>) {
    for (variant, part, m) in media {
        let parts = if variant.is_empty() {
            Some(&mut content.parts)
        } else {
            content.variants.get_mut(&variant)
        };
        if let Some(p) = parts.and_then(|p| p.get_mut(part)) {
            p.media.push(m);
        }
    }
}

fn note(why: &str) -> String {
    if why.trim().is_empty() {
        String::new()
    } else {
        format!(": {why}")
    }
}

fn refs(p: &Published) -> String {
    p.posts
        .iter()
        .map(|r: &PostRef| r.url.clone().unwrap_or_else(|| r.id.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `at` as a person reads it in `zone`.
pub fn shown(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z"),
        zone.name()
    )
}

fn human(d: TimeDelta) -> String {
    let m = d.num_minutes();
    if m < 120 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h", m / 60)
    } else {
        format!("{} days", m / (24 * 60))
    }
}
