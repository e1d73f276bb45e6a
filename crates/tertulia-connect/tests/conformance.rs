//! The conformance suite against the in-memory platform, alone, with fewer
//! capabilities, behind every layer, and as a trait object.

use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use tertulia_connect::conformance::{Outcome, Setup, run};
use tertulia_connect::layers::{ConcurrencyLimit, RateLimit, Recording, Retry};
use tertulia_connect::{Capabilities, Capability, Connector, MemoryConnector};
use tertulia_core::{AccountId, Author, Handle, Mention, MentionId, Platform};

/// A platform whose account has been mentioned `n` times.
fn mentioned(n: usize) -> MemoryConnector {
    let m = MemoryConnector::new();
    let author = Author::new(AccountId::new("u1").unwrap(), Handle::new("luis").unwrap());
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    for i in 0..n {
        m.add_mention(Mention::new(
            MentionId::new(format!("m{i}")).unwrap(),
            Platform::Bluesky,
            author.clone(),
            t0 + chrono::TimeDelta::minutes(i as i64),
            format!("@aurora question {i}"),
        ));
    }
    m
}

fn passed_all(report: &tertulia_connect::conformance::Report) {
    assert_eq!(report.skipped().count(), 0, "{report}");
    assert!(report.checks.len() >= 8, "{report}");
}

#[tokio::test]
async fn the_memory_platform_conforms() {
    let m = mentioned(7);
    let report = run(&m, &Setup::new("memory")).await.unwrap();
    passed_all(&report);
    assert!(m.posts().is_empty(), "the suite cleans up after itself");
}

#[tokio::test]
async fn a_platform_that_can_do_little_says_so() {
    let caps = Capabilities::from_iter([Capability::Publish]);
    let m = mentioned(3).with_capabilities(caps);
    let report = run(&m, &Setup::new("little")).await.unwrap();
    let skipped: Vec<Capability> = report.skipped().map(|(_, c)| c).collect();
    assert!(skipped.contains(&Capability::Thread), "{report}");
    assert!(skipped.contains(&Capability::Mentions), "{report}");
    assert!(
        report.checks.contains(&("unsupported", Outcome::Passed)),
        "{report}"
    );
}

#[tokio::test]
async fn every_layer_conforms() {
    let quota = governor::Quota::per_second(NonZeroU32::new(1_000).unwrap());
    let setup = Setup::new("layers");
    passed_all(&run(&Retry::new(mentioned(5)), &setup).await.unwrap());
    passed_all(
        &run(&RateLimit::new(mentioned(5), quota), &setup)
            .await
            .unwrap(),
    );
    passed_all(
        &run(&ConcurrencyLimit::new(mentioned(5), 2).unwrap(), &setup)
            .await
            .unwrap(),
    );
    let recorded = Recording::new(mentioned(5));
    passed_all(&run(&recorded, &setup).await.unwrap());
    assert!(recorded.records().len() > 10);
    // All of them at once, behind a trait object.
    let stacked: Arc<dyn Connector> = Arc::new(Retry::new(RateLimit::new(
        ConcurrencyLimit::new(Recording::new(mentioned(5)), 4).unwrap(),
        quota,
    )));
    passed_all(&run(&stacked, &setup).await.unwrap());
    let boxed: Box<dyn Connector> = Box::new(mentioned(1));
    passed_all(&run(&boxed, &setup).await.unwrap());
}
