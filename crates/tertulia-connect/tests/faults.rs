//! The layers against injected faults, on tokio's paused clock: a
//! thousand posts through 429s, 5xx, timeouts and lost answers end as a
//! thousand posts, none twice; waits honour the platform; a publish is
//! retried only where it cannot post twice.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tertulia_connect::layers::{
    ConcurrencyLimit, DefaultRetry, DryRun, RateLimit, Recording, Retry,
};
use tertulia_connect::{
    Capabilities, Capability, Connector, ConnectorExt, Error, Fault, IdempotencyKey,
    MemoryConnector, Operation, PostRef,
};
use tokio::time::Instant;

fn key(i: usize) -> IdempotencyKey {
    IdempotencyKey::new(format!("post-{i:04}")).unwrap()
}

/// A seeded schedule of faults: about one call in three fails one way or
/// another (xorshift, so every run is the same).
fn schedule(platform: &MemoryConnector, calls: usize, mut seed: u64) -> [usize; 5] {
    let mut kinds = [0; 5];
    for _ in 0..calls {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (kind, fault) = match seed % 12 {
            0 => (
                0,
                Fault::RateLimited {
                    retry_after: None,
                    reset_in: Some(Duration::from_secs(60)),
                },
            ),
            1 => (
                1,
                Fault::RateLimited {
                    retry_after: Some(Duration::from_secs(5)),
                    reset_in: None,
                },
            ),
            2 => (2, Fault::Upstream(503)),
            3 => (3, Fault::Timeout),
            4 => (4, Fault::LostResponse),
            _ => continue,
        };
        kinds[kind] += 1;
        platform.inject(Operation::Publish, fault);
    }
    kinds
}

#[tokio::test(start_paused = true)]
async fn a_thousand_posts_through_faults_are_a_thousand_posts() {
    let platform = MemoryConnector::new();
    let faults = schedule(&platform, 3_000, 0x9e37_79b9_7f4a_7c15);
    let policy = DefaultRetry {
        max_retries: 30,
        deadline: Duration::from_secs(24 * 3600),
        ..DefaultRetry::default()
    };
    let quota = governor::Quota::per_second(NonZeroU32::new(50).unwrap());
    let connector = Retry::with_policy(
        RateLimit::new(ConcurrencyLimit::new(platform.clone(), 8).unwrap(), quota),
        policy,
    );
    let results = join_all((0..1_000).map(|i| {
        let c = &connector;
        async move { c.publish_text(key(i), &format!("post {i}")).await }
    }))
    .await;
    let published: Vec<PostRef> = results
        .into_iter()
        .map(|r| r.expect("every post goes out in the end"))
        .map(|p| p.posts.into_iter().next().unwrap())
        .collect();
    let posts = platform.posts();
    assert_eq!(posts.len(), 1_000, "exactly a thousand");
    let mut keys: Vec<&str> = posts.iter().map(|p| p.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 1_000, "no key twice");
    // What each caller was told is what the platform holds.
    for (i, p) in published.iter().enumerate() {
        let stored = posts.iter().find(|s| s.post == *p).unwrap();
        assert_eq!(stored.key, key(i));
    }
    let calls = platform.calls(Operation::Publish);
    println!(
        "1000 posts in {calls} calls; faults injected: {} resets, {} retry-afters, {} 5xx, {} timeouts, {} lost answers",
        faults[0], faults[1], faults[2], faults[3], faults[4]
    );
    assert!(calls > 1_200, "the faults were met: {calls} calls");
    assert!(faults.iter().all(|&n| n > 50), "{faults:?}");
}

#[tokio::test(start_paused = true)]
async fn a_wait_is_the_longer_of_the_backoff_and_the_platforms() {
    let platform = MemoryConnector::new();
    platform.inject(
        Operation::Publish,
        Fault::RateLimited {
            retry_after: None,
            reset_in: Some(Duration::from_secs(90)),
        },
    );
    let connector = Retry::new(platform.clone());
    let start = Instant::now();
    connector.publish_text(key(1), "hello").await.unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(90), "{waited:?}");
    assert!(waited < Duration::from_secs(95), "{waited:?}");
    assert_eq!(platform.calls(Operation::Publish), 2);
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_ends_the_call() {
    let platform = MemoryConnector::new();
    platform.inject(
        Operation::Publish,
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(3_600)),
            reset_in: None,
        },
    );
    let connector = Retry::new(platform.clone()); // a 2-minute deadline
    let start = Instant::now();
    let e = connector.publish_text(key(1), "hello").await.unwrap_err();
    assert!(matches!(e, Error::RateLimited { .. }), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "it did not wait an hour"
    );
    assert_eq!(platform.calls(Operation::Publish), 1);
}

#[tokio::test(start_paused = true)]
async fn a_publish_that_could_post_twice_is_not_retried() {
    let caps = Capabilities::all().without(Capability::IdempotentPublish);
    let platform = MemoryConnector::new().with_capabilities(caps);
    platform.inject(Operation::Publish, Fault::LostResponse);
    let connector = Retry::new(platform.clone());
    assert!(matches!(
        connector.publish_text(key(1), "hello").await,
        Err(Error::Transport { timeout: true, .. })
    ));
    assert_eq!(
        platform.posts().len(),
        1,
        "one post, and the caller is told the truth"
    );
    assert_eq!(platform.calls(Operation::Publish), 1);
    // Reads are retried all the same.
    platform.inject(Operation::AccountMetrics, Fault::Upstream(502));
    assert!(connector.account_metrics().await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_not_retried_and_invalid_input_never_leaves() {
    let platform = MemoryConnector::new();
    let connector = Retry::new(platform.clone());
    let long = "a".repeat(301);
    let e = connector.publish_text(key(1), &long).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "parts[0].text: 301 graphemes, 1 over the limit of 300"
    );
    assert_eq!(
        platform.calls(Operation::Publish),
        0,
        "validated before any call"
    );
    let e = connector
        .delete(&PostRef::new("memory/404"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }));
    assert_eq!(platform.calls(Operation::Delete), 1);
}

#[tokio::test(start_paused = true)]
async fn a_delete_whose_answer_was_lost_is_done() {
    let platform = MemoryConnector::new();
    let post = platform.publish_text(key(1), "bye").await.unwrap().posts[0].clone();
    platform.inject(Operation::Delete, Fault::LostResponse);
    Retry::new(platform.clone()).delete(&post).await.unwrap();
    assert!(platform.posts().is_empty());
}

#[tokio::test(start_paused = true)]
async fn one_429_holds_every_caller_until_the_reset() {
    let platform = MemoryConnector::new();
    let quota = governor::Quota::per_second(NonZeroU32::new(1_000).unwrap());
    let limited = Arc::new(RateLimit::new(platform.clone(), quota));
    platform.inject(
        Operation::Mentions,
        Fault::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            reset_in: None,
        },
    );
    let start = Instant::now();
    assert!(limited.mentions(&Default::default()).await.is_err());
    // Another caller, another call: it waits for the reset, not for a 429
    // of its own.
    limited.account_metrics().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(platform.calls(Operation::AccountMetrics), 1);
}

#[tokio::test(start_paused = true)]
async fn the_quota_spaces_calls() {
    let platform = MemoryConnector::new();
    let quota = governor::Quota::per_second(NonZeroU32::new(10).unwrap());
    let limited = RateLimit::new(platform.clone(), quota);
    let start = Instant::now();
    for _ in 0..31 {
        limited.account_metrics().await.unwrap();
    }
    // A burst of 10, then one every 100 ms.
    let took = start.elapsed();
    assert!(
        (Duration::from_millis(2_000)..Duration::from_millis(2_300)).contains(&took),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_dry_run_publishes_nothing_and_a_recording_keeps_everything() {
    let platform = MemoryConnector::new();
    let recorded = Recording::new(DryRun::new(platform.clone()));
    let p = recorded.publish_text(key(1), "plan").await.unwrap();
    assert_eq!(p.posts[0].id, "dry-run:post-0001:0");
    recorded.delete(&p.posts[0]).await.unwrap();
    assert!(
        recorded
            .publish_text(key(2), &"a".repeat(400))
            .await
            .is_err(),
        "still validated"
    );
    assert!(platform.posts().is_empty());
    let records = recorded.records();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].operation, "Publish");
    assert!(records[0].request.contains("plan"));
    assert!(records[2].error.as_deref().unwrap().contains("100 over"));
}

#[tokio::test]
async fn a_thread_cut_short_resumes_without_repeating_a_part() {
    let platform = MemoryConnector::new();
    platform.inject(Operation::Publish, Fault::FailAfterParts(2));
    let thread = tertulia_connect::PublishRequest::thread(key(1), ["1/4", "2/4", "3/4", "4/4"]);
    let Err(Error::PartialPublish { published, .. }) = platform.publish(&thread).await else {
        panic!("the fault cuts it short")
    };
    assert_eq!(published.len(), 2);
    let done = platform.publish(&thread).await.unwrap();
    assert_eq!(&done.posts[..2], &published[..]);
    let posts = platform.posts();
    assert_eq!(posts.len(), 4);
    // Each part answers the one before.
    for w in posts.windows(2) {
        assert_eq!(w[1].reply_to.as_ref(), Some(&w[0].post));
    }
}
