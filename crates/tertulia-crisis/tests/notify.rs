//! The notifiers and the outbox against a real HTTP server on 127.0.0.1
//! (wiremock): the exact payloads each receiver gets, and what the outbox
//! does when a receiver is busy, down, refuses, or never answers.

#![cfg(feature = "http")]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use tertulia_crisis::detect::Severity;
use tertulia_crisis::incident::{Change, Notification};
use tertulia_crisis::notify::{
    HttpNotifier, Notifiers, Outbox, Outcome, PagerDuty, Retry, SignedWebhook, Slack, verify,
};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap()
}

fn notification(incident: u64, key: &str, change: Change) -> Notification {
    Notification {
        incident,
        dedup_key: key.into(),
        change,
        severity: Severity::Error,
        summary: "Negative mentions of Aurora 6x the usual".into(),
        targets: vec!["community-manager".into()],
        details: [
            ("negative".to_owned(), "48".to_owned()),
            ("usual".to_owned(), "8".to_owned()),
        ]
        .into(),
        at: t0(),
    }
}

fn pagerduty(server: &MockServer) -> HttpNotifier<PagerDuty> {
    let format = PagerDuty::new("R0UT1NGKEY0000000000000000000000", "aurora")
        .unwrap()
        .with_url(&format!("{}/v2/enqueue", server.uri()))
        .unwrap();
    HttpNotifier::new("pagerduty", format).unwrap()
}

/// PagerDuty at `server`, and an outbox holding one trigger for it.
fn one_trigger(server: &MockServer) -> (Notifiers, Outbox) {
    let notifiers = Notifiers::new().with(pagerduty(server)).unwrap();
    let mut outbox = Outbox::new(Retry::default()).unwrap();
    outbox.push(
        notification(1, "aurora:volume", Change::Trigger),
        &notifiers,
        t0(),
    );
    (notifiers, outbox)
}

/// `server` answers `first` to its first `times` requests, then `then`.
async fn answers_then(
    server: &MockServer,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .respond_with(then)
        .mount(server)
        .await;
}

fn bodies(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn slack_gets_text_and_blocks() {
    let server = MockServer::start().await;
    let expected = json!({
        "text": "[ERROR] Incident #4 triggered: Negative mentions of Aurora 6x the usual",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "ERROR: incident #4 triggered"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "Negative mentions of Aurora 6x the usual"}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*Severity*\nerror"},
                {"type": "mrkdwn", "text": "*Key*\n`aurora:negative`"},
                {"type": "mrkdwn", "text": "*At*\n2026-05-04T10:00:00+00:00"},
                {"type": "mrkdwn", "text": "*For*\ncommunity-manager"},
            ]},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": "*negative*\n48"},
                {"type": "mrkdwn", "text": "*usual*\n8"},
            ]},
        ]
    });
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/secret"))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let slack = Slack::new(&format!("{}/services/T0/B0/secret", server.uri())).unwrap();
    let notifiers = Notifiers::new()
        .with(HttpNotifier::new("slack", slack).unwrap())
        .unwrap();
    let mut outbox = Outbox::new(Retry::default()).unwrap();
    outbox.push(
        notification(4, "aurora:negative", Change::Trigger),
        &notifiers,
        t0(),
    );
    let outcomes = outbox.deliver(&notifiers, t0()).await;
    assert!(
        matches!(&outcomes[..], [Outcome::Delivered(d)] if d.attempts == 1),
        "{outcomes:?}"
    );
    assert!(outbox.is_empty());
}

#[tokio::test]
async fn pagerduty_triggers_acknowledges_and_resolves_by_dedup_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/enqueue"))
        .respond_with(ResponseTemplate::new(202).set_body_json(
            json!({"status": "success", "message": "Event processed", "dedup_key": "aurora:volume"}),
        ))
        .expect(3)
        .mount(&server)
        .await;
    let notifiers = Notifiers::new().with(pagerduty(&server)).unwrap();
    let mut outbox = Outbox::new(Retry::default()).unwrap();
    let mut long = notification(9, "aurora:volume", Change::Trigger);
    long.summary = "ñ".repeat(1500);
    for n in [
        long,
        notification(9, "aurora:volume", Change::Acknowledge),
        notification(9, "aurora:volume", Change::Resolve),
    ] {
        outbox.push(n, &notifiers, t0());
    }
    // One message of a key at a time, in order: three rounds.
    for round in 0..3 {
        let outcomes = outbox.deliver(&notifiers, t0()).await;
        assert_eq!(outcomes.len(), 1, "round {round}: {outcomes:?}");
        assert!(matches!(outcomes[0], Outcome::Delivered(_)));
    }
    let got = bodies(&server.received_requests().await.unwrap());
    let summary = format!("{}…", "ñ".repeat(1023));
    assert_eq!(
        got[0],
        json!({
            "routing_key": "R0UT1NGKEY0000000000000000000000",
            "event_action": "trigger",
            "dedup_key": "aurora:volume",
            "client": "tertulia",
            "payload": {
                "summary": summary,
                "source": "aurora",
                "severity": "error",
                "timestamp": "2026-05-04T10:00:00+00:00",
                "custom_details": {"incident": 9, "targets": ["community-manager"], "negative": "48", "usual": "8"},
            },
        })
    );
    assert_eq!(
        got[0]["payload"]["summary"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        1024
    );
    for (body, action) in got[1..].iter().zip(["acknowledge", "resolve"]) {
        assert_eq!(
            *body,
            json!({"routing_key": "R0UT1NGKEY0000000000000000000000", "event_action": action, "dedup_key": "aurora:volume"})
        );
    }
}

#[tokio::test]
async fn signed_webhook_verifies_on_the_receiving_side() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/crisis"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let secret = "shared-secret-0123456789";
    let hook = SignedWebhook::new(&format!("{}/hooks/crisis", server.uri()), secret).unwrap();
    let notifiers = Notifiers::new()
        .with(HttpNotifier::new("hook", hook).unwrap())
        .unwrap();
    let mut outbox = Outbox::new(Retry::default()).unwrap();
    let n = notification(2, "aurora:keywords", Change::Trigger);
    outbox.push(n.clone(), &notifiers, t0());
    let now = t0() + TimeDelta::seconds(5);
    assert!(matches!(
        &outbox.deliver(&notifiers, now).await[..],
        [Outcome::Delivered(_)]
    ));
    let received = server.received_requests().await.unwrap();
    let r = &received[0];
    let h = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(h("x-tertulia-timestamp"), now.timestamp().to_string());
    assert!(verify(
        secret.as_bytes(),
        &h("x-tertulia-timestamp"),
        &r.body,
        &h("x-tertulia-signature"),
        now.timestamp() + 30,
        300
    ));
    assert!(
        !verify(
            b"another-secret-0123456789",
            &h("x-tertulia-timestamp"),
            &r.body,
            &h("x-tertulia-signature"),
            now.timestamp(),
            300
        ),
        "another key does not verify"
    );
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["delivery"], h("x-tertulia-delivery"));
    assert_eq!(body["attempt"], 1);
    assert_eq!(
        serde_json::from_value::<Notification>(body["notification"].clone()).unwrap(),
        n
    );
}

#[tokio::test]
async fn busy_and_broken_receivers_are_retried_with_backoff() {
    let server = MockServer::start().await;
    // 503 twice, then taken.
    answers_then(
        &server,
        ResponseTemplate::new(503).set_body_string("maintenance"),
        2,
        ResponseTemplate::new(202),
    )
    .await;
    let notifiers = Notifiers::new().with(pagerduty(&server)).unwrap();
    let retry = Retry::default();
    let mut outbox = Outbox::new(retry).unwrap();
    outbox.push(
        notification(1, "aurora:volume", Change::Trigger),
        &notifiers,
        t0(),
    );
    let mut now = t0();
    let mut waits = Vec::new();
    loop {
        let outcomes = outbox.deliver(&notifiers, now).await;
        match &outcomes[..] {
            [Outcome::Retrying(d)] => {
                assert_eq!(d.problem.as_deref(), Some("answered 503: maintenance"));
                // Nothing goes before it is due.
                assert!(
                    outbox
                        .deliver(&notifiers, d.due - TimeDelta::seconds(1))
                        .await
                        .is_empty()
                );
                waits.push(d.due - now);
                now = d.due;
            }
            [Outcome::Delivered(d)] => {
                assert_eq!(d.attempts, 3);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // Backoff: the first wait in 5..=10 s, the second in 10..=20 s, and the
    // very waits the policy computes for this delivery.
    let id = "1-1";
    assert_eq!(waits, vec![retry.backoff(id, 1), retry.backoff(id, 2)]);
    assert!((5..=10).contains(&waits[0].num_seconds()));
    assert!((10..=20).contains(&waits[1].num_seconds()));
}

#[tokio::test]
async fn retry_after_is_honoured_when_longer_than_the_backoff() {
    let server = MockServer::start().await;
    answers_then(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "120"),
        1,
        ResponseTemplate::new(202),
    )
    .await;
    let (notifiers, mut outbox) = one_trigger(&server);
    let outcomes = outbox.deliver(&notifiers, t0()).await;
    let [Outcome::Retrying(d)] = &outcomes[..] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(d.due, t0() + TimeDelta::seconds(120));
    assert_eq!(outbox.next_due(), Some(t0() + TimeDelta::seconds(119 + 1)));
    assert!(
        outbox
            .deliver(&notifiers, t0() + TimeDelta::seconds(60))
            .await
            .is_empty(),
        "the backoff alone (10 s at most) would have gone at 60 s"
    );
    assert!(matches!(
        &outbox.deliver(&notifiers, d.due).await[..],
        [Outcome::Delivered(_)]
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_refusal_is_never_retried_and_is_kept_for_a_person() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}),
        ))
        .mount(&server)
        .await;
    let (notifiers, mut outbox) = one_trigger(&server);
    let outcomes = outbox.deliver(&notifiers, t0()).await;
    assert!(
        matches!(&outcomes[..], [Outcome::GaveUp(d)] if d.problem.as_deref().unwrap().contains("answered 400")),
        "{outcomes:?}"
    );
    assert!(outbox.is_empty() && outbox.next_due().is_none());
    // Hours later nothing more was sent.
    assert!(
        outbox
            .deliver(&notifiers, t0() + TimeDelta::hours(5))
            .await
            .is_empty()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // A person fixes the key and sends it again: it goes.
    let id = outbox.failed()[0].id.clone();
    assert!(outbox.retry_failed(&id, t0() + TimeDelta::hours(5)));
    assert_eq!(outbox.failed().len(), 0);
    assert_eq!(outbox.pending().len(), 1);
}

#[tokio::test]
async fn a_failing_receiver_holds_back_no_other() {
    let (down, up) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&down)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&up)
        .await;
    let notifiers = Notifiers::new()
        .with(pagerduty(&down))
        .unwrap()
        .with(HttpNotifier::new("slack", Slack::new(&format!("{}/s", up.uri())).unwrap()).unwrap())
        .unwrap();
    let retry = Retry {
        max_attempts: 3,
        ..Retry::default()
    };
    let mut outbox = Outbox::new(retry).unwrap();
    for n in [
        notification(1, "aurora:volume", Change::Trigger),
        notification(2, "aurora:negative", Change::Trigger),
        notification(1, "aurora:volume", Change::Resolve),
    ] {
        assert_eq!(outbox.push(n, &notifiers, t0()), 2);
    }
    let mut now = t0();
    let (mut delivered, mut gave_up) = (Vec::new(), Vec::new());
    while let Some(due) = outbox.next_due() {
        now = now.max(due);
        for o in outbox.deliver(&notifiers, now).await {
            match o {
                Outcome::Delivered(d) => {
                    delivered.push((d.notifier, d.notification.incident, d.notification.change))
                }
                Outcome::GaveUp(d) => gave_up.push((
                    d.notifier,
                    d.notification.incident,
                    d.notification.change,
                    d.attempts,
                )),
                Outcome::Retrying(_) => {}
            }
        }
    }
    // Slack got all three at once, whatever PagerDuty did.
    assert_eq!(
        delivered,
        vec![
            ("slack".to_owned(), 1, Change::Trigger),
            ("slack".to_owned(), 2, Change::Trigger),
            ("slack".to_owned(), 1, Change::Resolve),
        ]
    );
    assert_eq!(up.received_requests().await.unwrap().len(), 3);
    // PagerDuty: both triggers tried three times each; the resolve of
    // incident 1 waited behind its trigger, then was tried three times.
    assert_eq!(
        gave_up,
        vec![
            ("pagerduty".to_owned(), 1, Change::Trigger, 3),
            ("pagerduty".to_owned(), 2, Change::Trigger, 3),
            ("pagerduty".to_owned(), 1, Change::Resolve, 3),
        ]
    );
    let sent = bodies(&down.received_requests().await.unwrap());
    assert_eq!(sent.len(), 9);
    let first_resolve = sent
        .iter()
        .position(|b| b["event_action"] == "resolve")
        .unwrap();
    let last_volume_trigger = sent
        .iter()
        .rposition(|b| b["event_action"] == "trigger" && b["dedup_key"] == "aurora:volume")
        .unwrap();
    assert!(
        last_volume_trigger < first_resolve,
        "a resolve never overtakes its trigger"
    );
    assert_eq!(outbox.failed().len(), 3, "given up on, not lost");
}

#[tokio::test]
async fn a_receiver_that_is_gone_or_hangs_is_retried_and_the_outbox_survives_a_restart() {
    // A port nothing listens on: bound, its number taken, and let go.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    let hook = |url: String| SignedWebhook::new(&url, "shared-secret-0123456789").unwrap();
    let notifiers = Notifiers::new()
        .with(HttpNotifier::new("gone", hook(format!("{gone}/h"))).unwrap())
        .unwrap()
        .with(
            HttpNotifier::with_timeout(
                "slow",
                hook(format!("{}/h", slow.uri())),
                Duration::from_millis(300),
            )
            .unwrap(),
        )
        .unwrap();
    let mut outbox = Outbox::new(Retry::default()).unwrap();
    outbox.push(
        notification(3, "aurora:volume", Change::Trigger),
        &notifiers,
        t0(),
    );
    let outcomes = outbox.deliver(&notifiers, t0()).await;
    assert_eq!(outcomes.len(), 2);
    for o in &outcomes {
        let Outcome::Retrying(d) = o else {
            panic!("{o:?}")
        };
        let problem = d.problem.as_deref().unwrap();
        assert!(problem.contains("no answer"), "{problem}");
        assert!(
            !problem.contains("127.0.0.1"),
            "no URL in the message: {problem}"
        );
    }
    // A crash now: the queue comes back from its JSON and goes on.
    let saved = serde_json::to_string(&outbox).unwrap();
    let mut restored: Outbox = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, outbox);
    let due = restored.next_due().unwrap();
    let again = restored.deliver(&notifiers, due).await;
    assert!(
        again
            .iter()
            .all(|o| matches!(o, Outcome::Retrying(d) if d.attempts == 2)),
        "{again:?}"
    );
    // The same delivery id on every attempt: receivers drop repeats by it.
    let ids: Vec<String> = slow
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("x-tertulia-delivery")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
}

#[test]
fn outcomes_say_what_happens_next_and_nothing_else() {
    use tertulia_crisis::notify::Delivery;
    let n = notification(2, "aurora:volume", Change::Trigger);
    let d = Delivery {
        id: "2-12".into(),
        notifier: "broken".into(),
        notification: n,
        attempts: 3,
        due: t0(),
        problem: Some("answered 500: ok; that was the last of 3 attempts".into()),
    };
    let gave_up = Outcome::GaveUp(d.clone()).to_string();
    assert_eq!(
        gave_up,
        "gave up on 2-12 to broken (incident #2, trigger, attempt 3): answered 500: ok; that was the last of 3 attempts"
    );
    assert!(!gave_up.contains("will retry"));
    let retrying = Outcome::Retrying(Delivery {
        problem: Some("answered 500: ok".into()),
        ..d
    })
    .to_string();
    assert!(
        retrying.starts_with("not delivered yet: 2-12 to broken"),
        "{retrying}"
    );
    assert!(
        retrying.ends_with("answered 500: ok; trying again at 2026-05-04 10:00:00 UTC"),
        "{retrying}"
    );
}
