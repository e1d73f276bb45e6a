//! The worker on both backends, with `MemoryConnector` platforms and a
//! manual clock: faults, takeovers, missed posts, metrics, series, many
//! workers at once.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use tertulia_connect::{Capability, Connector, Fault, MemoryConnector, Operation, Published};
use tertulia_core::{ManualClock, Metrics, Platform};
use tertulia_schedule::Recurrence;
use tertulia_store::{
    Channel, Content, NewPost, NewSeries, Outcome, PostState, Store, TargetState, conformance,
};
use tertulia_worker::{Connectors, Options, Worker};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

/// A fresh store on each backend there is: SQLite always, PostgreSQL when
/// one is named (and always under scripts/test.sh).
async fn stores(dir: &tempfile::TempDir) -> Vec<Store> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut out = vec![
        Store::open(dir.path().join(format!("w{n}.db")).to_str().unwrap())
            .await
            .unwrap(),
    ];
    match std::env::var("TERTULIA_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let fresh = conformance::fresh_postgres(&url).await.unwrap();
            out.push(Store::open(&fresh).await.unwrap());
        }
        _ if std::env::var_os("TERTULIA_REQUIRE_POSTGRES").is_some() => {
            panic!("TERTULIA_REQUIRE_POSTGRES is set but TERTULIA_POSTGRES_URL is not")
        }
        _ => eprintln!(
            "PostgreSQL skipped: TERTULIA_POSTGRES_URL is unset (scripts/test.sh starts one)"
        ),
    }
    out
}

async fn channel(store: &Store, name: &str) {
    store
        .add_channel(&Channel {
            name: name.into(),
            platform: Platform::Bluesky,
            account: format!("{name}.example"),
            zone: chrono_tz::Europe::Madrid,
            constraints: Default::default(),
        })
        .await
        .unwrap();
}

fn post(channels: &[&str], at: DateTime<Utc>, text: &str) -> NewPost {
    NewPost {
        content: Content::text(text),
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        at: Some(at),
        zone: chrono_tz::Europe::Madrid,
        approver: None,
        by: "ana".into(),
    }
}

struct Setup {
    store: Store,
    clock: Arc<ManualClock>,
    platforms: Vec<(String, MemoryConnector)>,
}

impl Setup {
    async fn new(store: Store, platforms: Vec<(&str, MemoryConnector)>) -> Setup {
        for (name, _) in &platforms {
            channel(&store, name).await;
        }
        let clock = Arc::new(ManualClock::new(t0()));
        Setup {
            store,
            platforms: platforms
                .into_iter()
                .map(|(n, p)| (n.to_owned(), p.with_clock(clock.clone())))
                .collect(),
            clock,
        }
    }

    fn worker(&self, id: &str) -> Worker {
        let mut c = Connectors::new();
        for (name, p) in &self.platforms {
            c.insert(name.clone(), Arc::new(p.clone()) as Arc<dyn Connector>);
        }
        Worker::new(self.store.clone(), c, self.clock.clone(), Options::new(id)).unwrap()
    }

    /// Adds a post of `text` due at `at` on `channels`; its id.
    async fn add(&self, channels: &[&str], at: DateTime<Utc>, text: &str) -> i64 {
        self.store
            .add_post(&post(channels, at, text))
            .await
            .unwrap()
    }

    fn platform(&self, i: usize) -> &MemoryConnector {
        &self.platforms[i].1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_on_an_idempotent_platform_is_sent_again_under_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        let id = s.add(&["a"], t0(), "hello").await;
        s.platform(0)
            .inject(Operation::Publish, Fault::LostResponse);
        let w = s.worker("w1");
        let pass = w.run_once().await.unwrap();
        assert_eq!(pass.retrying, 1, "{pass:?}");
        assert_eq!(s.platform(0).posts().len(), 1, "it did reach the platform");
        s.clock.advance(TimeDelta::seconds(30));
        let pass = w.run_once().await.unwrap();
        assert_eq!(pass.published, 1, "{pass:?}");
        assert_eq!(s.platform(0).posts().len(), 1, "not twice");
        let history = s.store.history(id).await.unwrap();
        assert!(
            history.last().unwrap().why.contains("already had it"),
            "{history:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_elsewhere_is_looked_for_on_the_account_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let platform = MemoryConnector::new().with_capabilities(
            Capability::ALL
                .into_iter()
                .filter(|c| *c != Capability::IdempotentPublish)
                .collect(),
        );
        let s = Setup::new(store, vec![("a", platform)]).await;
        let id = s.add(&["a"], t0(), "hello").await;
        s.platform(0)
            .inject(Operation::Publish, Fault::LostResponse);
        let w = s.worker("w1");
        let pass = w.run_once().await.unwrap();
        assert_eq!(pass.failed, 1, "{pass:?}");
        assert_eq!(
            s.store.post(id).await.unwrap().state(),
            PostState::NeedsChecking
        );
        s.clock.advance(TimeDelta::minutes(1));
        let pass = w.run_once().await.unwrap();
        assert_eq!(pass.published, 1, "{pass:?}");
        assert_eq!(s.platform(0).posts().len(), 1);
        assert_eq!(
            s.platform(0).calls(Operation::Publish),
            1,
            "never sent again"
        );
        let history = s.store.history(id).await.unwrap();
        assert!(
            history
                .last()
                .unwrap()
                .why
                .starts_with("found on the account"),
            "{history:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_way_to_look_a_person_decides() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let caps = Capability::ALL
            .into_iter()
            .filter(|c| !matches!(c, Capability::IdempotentPublish | Capability::FindPublished))
            .collect();
        let s = Setup::new(
            store,
            vec![("a", MemoryConnector::new().with_capabilities(caps))],
        )
        .await;
        let id = s.add(&["a"], t0(), "hello").await;
        s.platform(0).inject(Operation::Publish, Fault::Timeout);
        let w = s.worker("w1");
        w.run_once().await.unwrap();
        s.clock.advance(TimeDelta::days(3));
        w.run_once().await.unwrap();
        assert_eq!(
            s.platform(0).calls(Operation::Publish),
            1,
            "resent without a person"
        );
        let p = s.store.post(id).await.unwrap();
        assert_eq!(p.targets[0].state, TargetState::OutcomeUnknown);
        assert!(
            p.targets[0].error.as_deref().unwrap().contains("no answer"),
            "{p:?}"
        );
        s.store.retry(id, "ana", true).await.unwrap();
        w.run_once().await.unwrap();
        assert_eq!(s.platform(0).posts().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_failing_does_not_resend_to_the_others() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(
            store,
            vec![
                ("a", MemoryConnector::new()),
                ("b", MemoryConnector::new()),
                ("c", MemoryConnector::new()),
            ],
        )
        .await;
        let id = s.add(&["a", "b", "c"], t0(), "everywhere").await;
        // b's platform refuses it (a 4xx: nothing was made).
        s.platform(1)
            .inject(Operation::Publish, Fault::Upstream(403));
        let w = s.worker("w1");
        w.run_once().await.unwrap();
        let p = s.store.post(id).await.unwrap();
        assert_eq!(p.state(), PostState::PartlyPublished);
        assert_eq!(p.targets[1].retry_safe, Some(true));
        s.store.retry(id, "ana", false).await.unwrap();
        w.run_once().await.unwrap();
        assert_eq!(
            s.store.post(id).await.unwrap().state(),
            PostState::Published
        );
        for i in 0..3 {
            assert_eq!(s.platform(i).posts().len(), 1, "platform {i}");
        }
        assert_eq!(
            s.platform(0).calls(Operation::Publish),
            1,
            "a was not sent again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_died_mid_publish_is_taken_over_without_a_second_post() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        let id = s.add(&["a"], t0(), "hello").await;
        // The first worker claims and publishes, then dies before recording.
        let claims = s
            .store
            .claim("dead", t0(), TimeDelta::minutes(5), 10)
            .await
            .unwrap();
        s.platform(0).publish(&claims[0].request).await.unwrap();
        let w = s.worker("w2");
        assert_eq!(
            w.run_once().await.unwrap().published,
            0,
            "the lease still holds"
        );
        s.clock
            .advance(TimeDelta::minutes(5) + TimeDelta::seconds(1));
        let pass = w.run_once().await.unwrap();
        assert_eq!(pass.published, 1, "{pass:?}");
        assert_eq!(s.platform(0).posts().len(), 1);
        let h = s.store.history(id).await.unwrap();
        assert!(
            h.iter().any(|e| e.why.contains("taken over from dead")),
            "{h:?}"
        );
        // The dead worker's late answer changes nothing.
        let late = Outcome::Published(Published {
            posts: vec![],
            repeated: false,
        });
        let r = s
            .store
            .record("dead", &claims[0], &late, t0(), &[])
            .await
            .unwrap();
        assert!(r.state.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_found_late_go_out_within_the_grace_and_are_missed_beyond() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        let late = s.add(&["a"], t0(), "late").await;
        let recent = s.add(&["a"], t0() + TimeDelta::minutes(90), "recent").await;
        s.clock.set(t0() + TimeDelta::hours(2));
        let pass = s.worker("w").run_once().await.unwrap();
        assert_eq!(pass.published, 1);
        assert_eq!(s.store.post(late).await.unwrap().state(), PostState::Missed);
        assert_eq!(
            s.store.post(recent).await.unwrap().state(),
            PostState::Published
        );
        assert!(
            pass.events
                .iter()
                .any(|e| e.to == "missed" && e.channel.as_deref() == Some("a"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_read_at_their_ages_and_missing_stays_missing() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        s.add(&["a"], t0(), "measured").await;
        let w = s.worker("w");
        w.run_once().await.unwrap();
        let posted = s.platform(0).posts()[0].post.clone();
        s.platform(0)
            .set_metrics(
                &posted,
                Metrics {
                    likes: Some(7),
                    ..Metrics::default()
                },
            )
            .unwrap();
        s.clock.advance(TimeDelta::minutes(59));
        assert_eq!(w.run_once().await.unwrap().snapshots, 0);
        s.clock.advance(TimeDelta::minutes(2));
        assert_eq!(w.run_once().await.unwrap().snapshots, 1);
        s.clock.advance(TimeDelta::days(8));
        assert_eq!(w.run_once().await.unwrap().snapshots, 2, "24 h and 7 days");
        let history = s.store.published_history(Some("a")).await.unwrap();
        assert_eq!(history[0].metrics.likes, Some(7));
        assert_eq!(
            history[0].metrics.shares, None,
            "not reported is missing, not 0"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monday_series_goes_out_at_nine_in_madrid_all_year() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        let start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        s.clock.set(start);
        s.store
            .add_series(&NewSeries {
                content: Content::text("Monday tip"),
                channels: vec!["a".into()],
                rule: Recurrence::weekly(
                    chrono_tz::Europe::Madrid,
                    [Weekday::Mon],
                    NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                ),
                starts: start,
                by: "ana".into(),
            })
            .await
            .unwrap();
        let w = s.worker("w");
        // A pass every hour of Monday mornings (06:00-10:00 UTC holds 09:00
        // Madrid in winter and in summer), and one each other noon.
        for hour in 0..365 * 24 {
            let now = start + TimeDelta::hours(hour);
            let monday_morning = now.weekday() == Weekday::Mon && (6..=10).contains(&now.hour());
            if monday_morning || now.hour() == 12 {
                s.clock.set(now);
                w.run_once().await.unwrap();
            }
        }
        let posts = s.platform(0).posts();
        assert_eq!(posts.len(), 52);
        for p in &posts {
            let local = p.created_at.with_timezone(&chrono_tz::Europe::Madrid);
            assert_eq!(
                (local.weekday(), local.hour()),
                (Weekday::Mon, 9),
                "{}",
                p.created_at
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_on_one_queue_publish_each_target_once() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        for i in 0..400 {
            s.add(&["a"], t0(), &format!("post {i}")).await;
        }
        let workers: Vec<Worker> = (0..4).map(|i| s.worker(&format!("w{i}"))).collect();
        let passes = futures_util::future::join_all(workers.iter().map(|w| w.run_once())).await;
        let total: usize = passes.into_iter().map(|p| p.unwrap().published).sum();
        assert_eq!(total, 400);
        let texts: BTreeSet<String> = s.platform(0).posts().into_iter().map(|p| p.text).collect();
        assert_eq!(texts.len(), 400);
        assert_eq!(s.platform(0).posts().len(), 400, "one post each");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_gives_back_what_it_did_not_start() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        s.add(&["a"], t0(), "x").await;
        let w = s.worker("w");
        w.stopper().stop();
        w.run(|_| {}, |_| {}).await.unwrap();
        assert!(s.platform(0).posts().is_empty());
        let claims = s
            .store
            .claim("other", t0(), TimeDelta::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(claims.len(), 1, "still due for the next worker");
    }
}

#[test]
fn bad_options_are_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("x.db").to_str().unwrap())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(t0()));
        let mut o = Options::new("w");
        o.batch = 0;
        let e = Worker::new(store.clone(), Connectors::new(), clock.clone(), o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "batch and concurrency: 0 and 8 is not allowed: at least 1 each"
        );
        let mut o = Options::new("w");
        o.metric_ages = vec![TimeDelta::zero()];
        assert!(Worker::new(store, Connectors::new(), clock, o).is_err());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_waits_for_its_window_and_never_uses_up_the_tries() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(&dir).await {
        let s = Setup::new(store, vec![("a", MemoryConnector::new())]).await;
        let id = s.add(&["a"], t0(), "hello").await;
        let w = s.worker("w1");
        // Ten refusals in a row, each asking for an hour: more than the
        // five tries a failing post gets.
        for _ in 0..10 {
            s.platform(0).inject(
                Operation::Publish,
                Fault::RateLimited {
                    retry_after: None,
                    reset_in: Some(std::time::Duration::from_secs(3600)),
                },
            );
            assert_eq!(w.run_once().await.unwrap().retrying, 1);
            let p = s.store.post(id).await.unwrap();
            assert_eq!(p.targets[0].state, TargetState::Scheduled, "{p:?}");
            // Not before the window reopens.
            s.clock.advance(TimeDelta::minutes(59));
            assert_eq!(w.run_once().await.unwrap().published, 0);
            s.clock.advance(TimeDelta::minutes(1));
        }
        assert_eq!(w.run_once().await.unwrap().published, 1);
        assert_eq!(s.platform(0).posts().len(), 1);
    }
}
