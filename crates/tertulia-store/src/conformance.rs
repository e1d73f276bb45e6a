//! The store test suite: what every backend must do, run against a fresh,
//! empty store for each check. Turn on the `conformance` feature and give
//! [`run`] a way to make empty stores:
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use tertulia_store::{Store, conformance};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut n = 0;
//! let report = conformance::run(|| {
//!     n += 1;
//!     let path = dir.path().join(format!("store-{n}.db"));
//!     async move { Store::open(path.to_str().unwrap()).await }
//! })
//! .await;
//! assert!(report.failed.is_empty(), "{report}");
//! # });
//! ```

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use futures_util::future::join_all;
use tertulia_connect::{Media, Part, PostRef, Published};
use tertulia_core::{Metrics, Platform};
use tertulia_schedule::Recurrence;

use crate::{
    Channel, ClaimKind, Content, Error, Filter, NewPost, NewSeries, Outcome, PostState, Store,
    TargetState,
};

/// What the suite found.
#[derive(Debug, Default)]
pub struct Report {
    /// The checks that passed.
    pub passed: Vec<&'static str>,
    /// The checks that failed, and how.
    pub failed: Vec<(&'static str, String)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} checks passed, {} failed",
            self.passed.len(),
            self.failed.len()
        )?;
        for (name, why) in &self.failed {
            writeln!(f, "  {name}: {why}")?;
        }
        Ok(())
    }
}

type Check = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

fn ok<T>(r: Result<T, Error>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

async fn channels(store: &Store, names: &[&str]) -> Check {
    for (i, name) in names.iter().enumerate() {
        ok(store
            .add_channel(&Channel {
                name: (*name).into(),
                platform: if i % 2 == 0 {
                    Platform::Bluesky
                } else {
                    Platform::Mastodon
                },
                account: format!("{name}.example"),
                zone: chrono_tz::Europe::Madrid,
                constraints: Default::default(),
            })
            .await)?;
    }
    Ok(())
}

fn post(text: &str, channels: &[&str], at: Option<DateTime<Utc>>) -> NewPost {
    NewPost {
        content: Content::text(text),
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        at,
        zone: chrono_tz::Europe::Madrid,
        approver: None,
        by: "ana".into(),
    }
}

fn published(id: &str) -> Outcome {
    Outcome::Published(Published {
        posts: vec![PostRef::new(id)],
        repeated: false,
    })
}

/// Runs every check, each on a store `fresh` makes.
pub async fn run<F, Fut>(mut fresh: F) -> Report
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::Result<Store>>,
{
    let mut report = Report::default();
    macro_rules! checks {
        ($($name:ident),* $(,)?) => {$(
            match fresh().await {
                Ok(store) => {
                    match $name(&store).await {
                        Ok(()) => report.passed.push(stringify!($name)),
                        Err(e) => report.failed.push((stringify!($name), e)),
                    }
                    store.close().await;
                }
                Err(e) => report.failed.push((stringify!($name), format!("no fresh store: {e}"))),
            }
        )*};
    }
    checks!(
        channels_are_named_once,
        a_post_goes_out_at_its_time_once,
        one_target_fails_and_only_it_is_retried,
        approval_comes_before_scheduling,
        a_dead_workers_lease_runs_out_and_its_target_is_taken_over,
        an_unknown_outcome_is_checked_not_resent,
        late_posts_are_missed_beyond_the_grace,
        concurrent_claims_never_share_a_target,
        series_expand_once_however_often,
        snapshots_keep_missing_as_missing,
        media_and_variants_round_trip,
        drafts_cancel_and_booked_times,
    );
    report
}

async fn channels_are_named_once(s: &Store) -> Check {
    channels(s, &["brand-bsky", "brand-masto"]).await?;
    let all = ok(s.channels().await)?;
    ensure!(all.len() == 2, "{} channels", all.len());
    let again = s
        .add_channel(&Channel {
            name: "brand-bsky".into(),
            ..all[0].clone()
        })
        .await;
    ensure!(
        matches!(again, Err(Error::Invalid { .. })),
        "a second brand-bsky: {again:?}"
    );
    match s.channel("nope").await {
        Err(Error::UnknownChannel { known, .. }) => ensure!(known.len() == 2, "{known:?}"),
        other => return Err(format!("unknown channel: {other:?}")),
    }
    let e = s.add_post(&post("x", &["nope"], Some(t0()))).await;
    ensure!(matches!(e, Err(Error::UnknownChannel { .. })), "{e:?}");
    Ok(())
}

async fn a_post_goes_out_at_its_time_once(s: &Store) -> Check {
    channels(s, &["brand-bsky"]).await?;
    let id = ok(s
        .add_post(&post("hello", &["brand-bsky"], Some(t0())))
        .await)?;
    let lease = TimeDelta::minutes(5);
    let early = ok(s.claim("w1", t0() - TimeDelta::seconds(1), lease, 10).await)?;
    ensure!(early.is_empty(), "claimed before its time: {early:?}");
    let claims = ok(s.claim("w1", t0(), lease, 10).await)?;
    ensure!(claims.len() == 1, "{} claims", claims.len());
    let c = &claims[0];
    ensure!(c.kind == ClaimKind::Due && c.attempts == 1, "{c:?}");
    ensure!(
        c.request.idempotency_key == s.key_of(c.target),
        "the key is the target's"
    );
    ensure!(c.request.parts[0].text == "hello", "{:?}", c.request.parts);
    ensure!(
        ok(s.post(id).await)?.state() == PostState::Publishing,
        "publishing"
    );
    let again = ok(s.claim("w2", t0(), lease, 10).await)?;
    ensure!(again.is_empty(), "claimed twice: {again:?}");
    let r = ok(s.record("w1", c, &published("at://1"), t0(), &[]).await)?;
    ensure!(r.state == Some(TargetState::Published), "{r:?}");
    let p = ok(s.post(id).await)?;
    ensure!(p.state() == PostState::Published, "{:?}", p.state());
    ensure!(
        p.targets[0].published_at == Some(t0()),
        "{:?}",
        p.targets[0]
    );
    let h = ok(s.history(id).await)?;
    let to: Vec<&str> = h.iter().map(|e| e.to.as_str()).collect();
    ensure!(to == ["scheduled", "publishing", "published"], "{to:?}");
    ensure!(h[1].actor == "w1" && h[2].why.contains("at://1"), "{h:?}");
    let later = ok(s.claim("w2", t0() + TimeDelta::days(1), lease, 10).await)?;
    ensure!(later.is_empty(), "a published target came back: {later:?}");
    Ok(())
}

async fn one_target_fails_and_only_it_is_retried(s: &Store) -> Check {
    channels(s, &["a", "b"]).await?;
    let id = ok(s.add_post(&post("both", &["a", "b"], Some(t0()))).await)?;
    let claims = ok(s.claim("w", t0(), TimeDelta::minutes(5), 10).await)?;
    ensure!(claims.len() == 2, "{claims:?}");
    ok(s.record("w", &claims[0], &published("p1"), t0(), &[]).await)?;
    let fail = Outcome::Failed {
        error: "401 the token was revoked".into(),
        retry_safe: true,
    };
    ok(s.record("w", &claims[1], &fail, t0(), &[]).await)?;
    let p = ok(s.post(id).await)?;
    ensure!(p.state() == PostState::PartlyPublished, "{:?}", p.state());
    let p = ok(s.retry(id, "ana", false).await)?;
    let states: Vec<TargetState> = p.targets.iter().map(|t| t.state).collect();
    ensure!(
        states == [TargetState::Published, TargetState::Scheduled],
        "{states:?}"
    );
    let again = ok(s.claim("w", Utc::now(), TimeDelta::minutes(5), 10).await)?;
    ensure!(
        again.len() == 1 && again[0].target == claims[1].target,
        "{again:?}"
    );
    ensure!(
        again[0].request.idempotency_key == claims[1].request.idempotency_key,
        "same key"
    );
    // A failure that may have reached the platform needs --force.
    let unsafe_ = Outcome::Failed {
        error: "timeout".into(),
        retry_safe: false,
    };
    ok(s.record("w", &again[0], &unsafe_, t0(), &[]).await)?;
    ensure!(
        matches!(s.retry(id, "ana", false).await, Err(Error::Refused { .. })),
        "unsafe retry allowed"
    );
    ok(s.retry(id, "ana", true).await)?;
    Ok(())
}

async fn approval_comes_before_scheduling(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let mut p = post("needs a yes", &["a"], Some(t0()));
    p.approver = Some("marta".into());
    let id = ok(s.add_post(&p).await)?;
    ensure!(
        ok(s.post(id).await)?.state() == PostState::AwaitingApproval,
        "awaiting"
    );
    ensure!(
        ok(s.claim("w", t0(), TimeDelta::minutes(5), 10).await)?.is_empty(),
        "claimed unapproved"
    );
    let wrong = s.approve(id, "luis", "").await;
    ensure!(matches!(wrong, Err(Error::Refused { .. })), "{wrong:?}");
    ok(s.approve(id, "marta", "fine by legal").await)?;
    ensure!(
        ok(s.post(id).await)?.state() == PostState::Scheduled,
        "scheduled"
    );
    let twice = s.reject(id, "marta", "").await;
    ensure!(matches!(twice, Err(Error::Refused { .. })), "{twice:?}");
    let h = ok(s.history(id).await)?;
    ensure!(
        h.iter()
            .any(|e| e.to == "approved" && e.actor == "marta" && e.why.contains("fine by legal")),
        "{h:?}"
    );
    let mut q = post("no", &["a"], Some(t0()));
    q.approver = Some("marta".into());
    let id = ok(s.add_post(&q).await)?;
    ok(s.reject(id, "marta", "off brand").await)?;
    ensure!(
        ok(s.post(id).await)?.state() == PostState::Cancelled,
        "rejected is cancelled"
    );
    Ok(())
}

async fn a_dead_workers_lease_runs_out_and_its_target_is_taken_over(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let id = ok(s.add_post(&post("x", &["a"], Some(t0()))).await)?;
    let lease = TimeDelta::minutes(1);
    let first = ok(s.claim("w1", t0(), lease, 10).await)?;
    ensure!(first.len() == 1, "{first:?}");
    let during = ok(s
        .claim("w2", t0() + TimeDelta::seconds(59), lease, 10)
        .await)?;
    ensure!(during.is_empty(), "taken while the lease held: {during:?}");
    let after = ok(s
        .claim("w2", t0() + TimeDelta::seconds(61), lease, 10)
        .await)?;
    ensure!(after.len() == 1, "not taken over: {after:?}");
    ensure!(
        after[0].kind == ClaimKind::TakenOver { from: "w1".into() },
        "{:?}",
        after[0].kind
    );
    ensure!(
        after[0].request.idempotency_key == first[0].request.idempotency_key,
        "the same key"
    );
    ensure!(
        after[0].first_sent_at == t0(),
        "first sent {:?}",
        after[0].first_sent_at
    );
    // The dead worker comes back and tries to record: it no longer holds it.
    let late = ok(s.record("w1", &first[0], &published("p"), t0(), &[]).await)?;
    ensure!(
        late.state.is_none(),
        "a worker without the lease recorded: {late:?}"
    );
    ok(s.record("w2", &after[0], &published("p"), t0(), &[]).await)?;
    ensure!(
        ok(s.post(id).await)?.state() == PostState::Published,
        "published"
    );
    // Giving back a claim makes it due again, untouched.
    let id = ok(s.add_post(&post("y", &["a"], Some(t0()))).await)?;
    let c = ok(s.claim("w3", t0(), lease, 10).await)?;
    ensure!(ok(s.release("w3", &c[0], t0()).await)?, "not released");
    let p = ok(s.post(id).await)?;
    ensure!(
        p.targets[0].state == TargetState::Scheduled && p.targets[0].attempts == 0,
        "{:?}",
        p.targets[0]
    );
    Ok(())
}

async fn an_unknown_outcome_is_checked_not_resent(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let id = ok(s.add_post(&post("x", &["a"], Some(t0()))).await)?;
    let c = ok(s.claim("w", t0(), TimeDelta::minutes(5), 10).await)?;
    let check_at = t0() + TimeDelta::minutes(2);
    let unknown = Outcome::Unknown {
        error: "no answer in time".into(),
        check_at: Some(check_at),
    };
    ok(s.record("w", &c[0], &unknown, t0(), &[]).await)?;
    ensure!(
        ok(s.post(id).await)?.state() == PostState::NeedsChecking,
        "needs checking"
    );
    ensure!(
        ok(
            s.claim("w", t0() + TimeDelta::minutes(1), TimeDelta::minutes(5), 10)
                .await
        )?
        .is_empty(),
        "checked early"
    );
    let c = ok(s.claim("w", check_at, TimeDelta::minutes(5), 10).await)?;
    ensure!(c.len() == 1 && c[0].kind == ClaimKind::Check, "{c:?}");
    ensure!(
        c[0].attempts == 1,
        "a check is not a send: {}",
        c[0].attempts
    );
    // A connector that cannot tell leaves it to a person.
    let cannot = Outcome::Unknown {
        error: "cannot read the account".into(),
        check_at: None,
    };
    ok(s.record("w", &c[0], &cannot, check_at, &[]).await)?;
    ensure!(
        ok(
            s.claim("w", t0() + TimeDelta::days(9), TimeDelta::minutes(5), 10)
                .await
        )?
        .is_empty(),
        "resent without a person"
    );
    ensure!(
        matches!(s.retry(id, "ana", false).await, Err(Error::Refused { .. })),
        "retried without --force"
    );
    Ok(())
}

async fn late_posts_are_missed_beyond_the_grace(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let late = ok(s.add_post(&post("late", &["a"], Some(t0()))).await)?;
    let recent = ok(s
        .add_post(&post("recent", &["a"], Some(t0() + TimeDelta::minutes(50))))
        .await)?;
    let now = t0() + TimeDelta::hours(1) + TimeDelta::minutes(1);
    let missed = ok(s.mark_missed("w", now, TimeDelta::hours(1)).await)?;
    ensure!(
        missed.len() == 1 && missed[0].channel.as_deref() == Some("a"),
        "{missed:?}"
    );
    ensure!(
        ok(s.post(late).await)?.state() == PostState::Missed,
        "missed"
    );
    ensure!(
        ok(s.post(recent).await)?.state() == PostState::Scheduled,
        "within the grace"
    );
    let h = ok(s.history(late).await)?;
    ensure!(
        h.last().is_some_and(|e| e.why.contains("queue retry")),
        "{h:?}"
    );
    ok(s.retry(late, "ana", false).await)?;
    ensure!(
        ok(s.post(late).await)?.state() == PostState::Scheduled,
        "retried"
    );
    Ok(())
}

async fn concurrent_claims_never_share_a_target(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    for i in 0..60 {
        ok(s.add_post(&post(&format!("p{i}"), &["a"], Some(t0())))
            .await)?;
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        tasks.push(async move {
            let mut mine = Vec::new();
            loop {
                let c = s
                    .claim(&format!("w{w}"), t0(), TimeDelta::minutes(5), 7)
                    .await?;
                if c.is_empty() {
                    return Ok::<_, Error>(mine);
                }
                mine.extend(c.into_iter().map(|c| c.target));
            }
        });
    }
    let results = join_all(tasks).await;
    let mut seen = BTreeSet::new();
    for r in results {
        for t in ok(r)? {
            ensure!(seen.insert(t), "target {t} claimed twice");
        }
    }
    ensure!(seen.len() == 60, "{} of 60 claimed", seen.len());
    Ok(())
}

async fn series_expand_once_however_often(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let rule = Recurrence::daily(
        chrono_tz::America::New_York,
        NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
    );
    let id = ok(s
        .add_series(&NewSeries {
            content: Content::text("good morning"),
            channels: vec!["a".into()],
            rule,
            starts: Utc.with_ymd_and_hms(2027, 3, 12, 0, 0, 0).unwrap(),
            by: "ana".into(),
        })
        .await)?;
    let now = Utc.with_ymd_and_hms(2027, 3, 12, 0, 0, 0).unwrap();
    let (a, b) = (s.clone(), s.clone());
    let both =
        join_all([a, b].map(|s| async move { s.expand_series(now, TimeDelta::days(4)).await }))
            .await;
    let made: usize = both.into_iter().map(ok).sum::<Result<usize, String>>()?;
    ensure!(made == 4, "{made} occurrences made for 4 days");
    ensure!(
        ok(s.expand_series(now, TimeDelta::days(4)).await)? == 0,
        "expanded twice"
    );
    let posts = ok(s.posts(&Filter::default()).await)?;
    let mut local: Vec<String> = posts
        .iter()
        .map(|p| {
            p.at.unwrap()
                .with_timezone(&chrono_tz::America::New_York)
                .format("%d %H:%M")
                .to_string()
        })
        .collect();
    local.sort();
    ensure!(
        local == ["12 02:30", "13 02:30", "14 03:00", "15 02:30"],
        "{local:?}"
    );
    ensure!(posts.iter().all(|p| p.series == Some(id)), "series");
    let cancelled = ok(s.stop_series(id, "ana").await)?;
    ensure!(cancelled == 4, "{cancelled}");
    ensure!(
        ok(s.expand_series(now, TimeDelta::days(30)).await)? == 0,
        "a stopped series went on"
    );
    Ok(())
}

async fn snapshots_keep_missing_as_missing(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    ok(s.add_post(&post("x", &["a"], Some(t0()))).await)?;
    let c = ok(s.claim("w", t0(), TimeDelta::minutes(5), 1).await)?;
    let ages = [TimeDelta::hours(1), TimeDelta::hours(24)];
    ok(s.record("w", &c[0], &published("p"), t0(), &ages).await)?;
    ensure!(
        ok(s.due_snapshots(t0() + TimeDelta::minutes(59), 10).await)?.is_empty(),
        "early"
    );
    let due = ok(s.due_snapshots(t0() + TimeDelta::hours(2), 10).await)?;
    ensure!(
        due.len() == 1 && due[0].age == TimeDelta::hours(1) && due[0].post.id == "p",
        "{due:?}"
    );
    let m = Metrics {
        likes: Some(3),
        ..Metrics::default()
    };
    ok(
        s.record_snapshot(&due[0], t0() + TimeDelta::hours(2), Ok(m))
            .await,
    )?;
    let history = ok(s.published_history(Some("a")).await)?;
    ensure!(history.len() == 1, "{history:?}");
    ensure!(
        history[0].metrics.likes == Some(3) && history[0].metrics.shares.is_none(),
        "{:?}",
        history[0].metrics
    );
    let due = ok(s.due_snapshots(t0() + TimeDelta::days(2), 10).await)?;
    ok(s.record_snapshot(
        &due[0],
        t0() + TimeDelta::days(2),
        Err("post_metrics is not supported".into()),
    )
    .await)?;
    let snaps = ok(s.snapshots(c[0].target).await)?;
    ensure!(
        snaps.len() == 2 && snaps[1].metrics.is_none() && snaps[1].error.is_some(),
        "{snaps:?}"
    );
    // The newest reading that has metrics counts.
    let history = ok(s.published_history(None).await)?;
    ensure!(
        history[0].metrics.likes == Some(3),
        "{:?}",
        history[0].metrics
    );
    Ok(())
}

async fn media_and_variants_round_trip(s: &Store) -> Check {
    channels(s, &["a", "b"]).await?;
    let image = Media {
        bytes: PNG.to_vec(),
        mime: "image/png".into(),
        alt_text: Some("a red dot".into()),
    };
    let mut content = Content {
        parts: vec![Part {
            text: "long text for a".into(),
            media: vec![image.clone()],
        }],
        variants: Default::default(),
    };
    content.variants.insert(
        "b".into(),
        vec![Part::from("short for b"), Part::from("2/2")],
    );
    let id = ok(s
        .add_post(&NewPost {
            content: content.clone(),
            ..post("", &["a", "b"], Some(t0()))
        })
        .await)?;
    ensure!(
        ok(s.post(id).await)?.content == content,
        "content changed in the store"
    );
    let claims = ok(s.claim("w", t0(), TimeDelta::minutes(5), 10).await)?;
    let by = |name: &str| claims.iter().find(|c| c.channel.name == name).unwrap();
    ensure!(by("a").request.parts[0].media == [image], "media lost");
    ensure!(
        by("b").request.parts.len() == 2,
        "{:?}",
        by("b").request.parts
    );
    Ok(())
}

/// The first bytes of a PNG: enough for the store, which keeps bytes as
/// they are.
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff];

async fn drafts_cancel_and_booked_times(s: &Store) -> Check {
    channels(s, &["a"]).await?;
    let draft = ok(s.add_post(&post("someday", &["a"], None)).await)?;
    ensure!(
        ok(s.post(draft).await)?.state() == PostState::Draft,
        "draft"
    );
    ensure!(
        ok(
            s.claim("w", t0() + TimeDelta::days(400), TimeDelta::minutes(5), 10)
                .await
        )?
        .is_empty(),
        "a draft was claimed"
    );
    let at = t0() + TimeDelta::hours(3);
    ok(s.schedule(draft, at, "ana").await)?;
    ensure!(
        ok(s.post(draft).await)?.state() == PostState::Scheduled,
        "scheduled"
    );
    let booked = ok(s.booked("a", t0(), t0() + TimeDelta::days(1)).await)?;
    ensure!(booked == [at], "{booked:?}");
    let p = ok(s.cancel(draft, "ana", "the launch moved").await)?;
    ensure!(p.state() == PostState::Cancelled, "{:?}", p.state());
    ensure!(
        ok(s.booked("a", t0(), t0() + TimeDelta::days(1)).await)?.is_empty(),
        "a cancelled post is booked"
    );
    ensure!(
        matches!(s.cancel(draft, "ana", "").await, Err(Error::Refused { .. })),
        "cancelled twice"
    );
    let listed = ok(s
        .posts(&Filter {
            states: vec![PostState::Cancelled],
            ..Filter::default()
        })
        .await)?;
    ensure!(listed.len() == 1, "{listed:?}");
    Ok(())
}

/// Makes a new, empty database on the PostgreSQL server of `url` (whose
/// user may create databases) and gives its address: one per check, so
/// checks never meet.
pub async fn fresh_postgres(url: &str) -> crate::Result<String> {
    use sqlx::Connection;
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "tertulia_t{}_{}_{}",
        std::process::id(),
        Utc::now().timestamp_micros(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let unavailable = |e: sqlx::Error| Error::Unavailable {
        location: url.split('@').next_back().unwrap_or("").to_owned(),
        detail: e.to_string(),
    };
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .map_err(unavailable)?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .map_err(unavailable)?;
    admin.close().await.map_err(unavailable)?;
    let mut u = url::Url::parse(url).map_err(|_| Error::Address {
        url: "(postgres url)".into(),
    })?;
    u.set_path(&format!("/{name}"));
    Ok(u.to_string())
}
