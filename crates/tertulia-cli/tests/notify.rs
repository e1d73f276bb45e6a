//! `tertulia crisis watch --notify`: the simulated crisis reaches real HTTP
//! receivers on 127.0.0.1 (wiremock), signed, routed by target, retried
//! when a receiver is busy, and kept in the outbox between runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tertulia_crisis::notify::verify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "webhook-secret-for-the-test";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tertulia-notify-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The simulated community's mentions (with its planted crisis).
fn mentions(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(["simulate", "--out", dir.join("sim").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("sim/mentions.jsonl")).unwrap()
}

fn watch(args: &[&str], input: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(["crisis", "watch"])
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run that stops early closes its input: what it said is in its output.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_crisis_reaches_every_receiver_once_each_change() {
    let dir = scratch("reach");
    let (hook, pd, slack) = (
        MockServer::start().await,
        MockServer::start().await,
        MockServer::start().await,
    );
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&hook)
        .await;
    // PagerDuty is busy for its first two requests.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&pd)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&pd)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let config = dir.join("notify.yaml");
    std::fs::write(
        &config,
        format!(
            "retry: {{first_delay_seconds: 1, max_delay_seconds: 2, max_attempts: 5}}\n\
             notifiers:\n\
             - {{name: hooks, kind: webhook, url: '{}/hook', secret_env: TEST_HOOK_SECRET}}\n\
             - {{name: pagerduty, kind: pagerduty, routing_key_env: TEST_PD_KEY, source: aurora, url: '{}/v2/enqueue'}}\n\
             - {{name: legal, kind: slack, url_env: TEST_SLACK_URL, targets: [legal]}}\n",
            hook.uri(),
            pd.uri()
        ),
    )
    .unwrap();
    let outbox = dir.join("outbox.json");
    let slack_url = format!("{}/services/T/B/X", slack.uri());
    let env = [
        ("TEST_HOOK_SECRET", SECRET),
        ("TEST_PD_KEY", "R0UT1NGKEY0000000000000000000000"),
        ("TEST_SLACK_URL", slack_url.as_str()),
    ];
    let input = mentions(&dir);
    let o = watch(
        &[
            "--notify",
            config.to_str().unwrap(),
            "--outbox",
            outbox.to_str().unwrap(),
        ],
        &input,
        &env,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.contains("R0UT1NGKEY") && !err.contains("/services/T/B/X"),
        "secrets stay out of the log: {err}"
    );
    let steps = String::from_utf8_lossy(&o.stdout);
    let told = steps.lines().filter(|l| l.contains(": tell ")).count();
    assert!(told > 0, "{steps}");

    // The webhook: every notification, each signed.
    let received = hook.received_requests().await.unwrap();
    assert_eq!(received.len(), told, "one request per notification");
    for r in &received {
        let h = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
        let t: i64 = h("x-tertulia-timestamp").parse().unwrap();
        assert!(verify(
            SECRET.as_bytes(),
            &h("x-tertulia-timestamp"),
            &r.body,
            &h("x-tertulia-signature"),
            t,
            0
        ));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            body["notification"]["dedup_key"]
                .as_str()
                .unwrap()
                .starts_with("brand:")
        );
    }
    // PagerDuty: the same notifications, plus the two refused attempts.
    let events = pd.received_requests().await.unwrap();
    assert_eq!(events.len(), told + 2);
    // Slack only for what is addressed to legal.
    let legal = steps
        .lines()
        .filter_map(|l| {
            l.split_once(": tell ")?
                .1
                .split_once(" (")
                .map(|(who, _)| who.to_owned())
        })
        .filter(|who| who.split(", ").any(|t| t == "legal"))
        .count();
    assert_eq!(slack.received_requests().await.unwrap().len(), legal);
    assert!(legal > 0, "the demo policy tells legal at error: {steps}");

    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&outbox).unwrap()).unwrap();
    assert_eq!(kept["pending"], serde_json::json!([]));
    assert_eq!(kept["failed"], serde_json::json!([]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn what_is_not_delivered_waits_in_the_outbox_for_the_next_run() {
    let dir = scratch("outbox");
    let down = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&down)
        .await;
    let config = dir.join("notify.json");
    let write_config = |url: &str| {
        std::fs::write(
            &config,
            format!(
                r#"{{"notifiers": [{{"name": "hooks", "kind": "webhook", "url": "{url}/hook", "secret_env": "TEST_HOOK_SECRET"}}]}}"#
            ),
        )
        .unwrap()
    };
    write_config(&down.uri());
    let outbox = dir.join("outbox.json");
    let args = [
        "--notify",
        config.to_str().unwrap(),
        "--outbox",
        outbox.to_str().unwrap(),
        "--drain-seconds",
        "0",
    ];
    let env = [("TEST_HOOK_SECRET", SECRET)];
    let o = watch(&args, &mentions(&dir), &env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("kept in the outbox for the next run"), "{err}");
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&outbox).unwrap()).unwrap();
    let pending = kept["pending"].as_array().unwrap().len();
    assert!(pending > 0);

    // The receiver is back; a run with no new mentions delivers the rest,
    // each under the delivery id it had.
    let up = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&up)
        .await;
    write_config(&up.uri());
    // The first retry is due 5 to 10 s after the failure: wait for it.
    let o = watch(&[&args[..4], &["--drain-seconds", "30"]].concat(), "", &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = up.received_requests().await.unwrap();
    assert_eq!(got.len(), pending);
    let mut ids: Vec<&str> = kept["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let mut sent: Vec<&str> = got
        .iter()
        .map(|r| {
            r.headers
                .get("x-tertulia-delivery")
                .unwrap()
                .to_str()
                .unwrap()
        })
        .collect();
    ids.sort_unstable();
    sent.sort_unstable();
    assert_eq!(sent, ids);
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&outbox).unwrap()).unwrap();
    assert_eq!(kept["pending"], serde_json::json!([]));

    // Without an outbox file, pending deliveries at the end are an error.
    write_config(&down.uri());
    let o = watch(
        &["--notify", config.to_str().unwrap(), "--drain-seconds", "0"],
        &mentions(&dir),
        &env,
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("run with --outbox FILE"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A missing secret is named.
    let o = watch(&["--notify", config.to_str().unwrap()], "", &[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("TEST_HOOK_SECRET"));
    std::fs::remove_dir_all(&dir).unwrap();
}
