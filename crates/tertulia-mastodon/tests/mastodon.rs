//! The Mastodon connector against a Mastodon on 127.0.0.1: a wiremock
//! server whose one responder keeps state (statuses, idempotency keys,
//! media being processed, notifications) and answers with bodies shaped
//! like Mastodon's documented entities. The conformance suite runs against
//! it, and the tests check the exact requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tertulia_connect::conformance::{Setup, run};
use tertulia_connect::{
    AuthProblem, Connector, ConnectorExt, Error, IdempotencyKey, Media, Part, PostRef,
    PublishRequest,
};
use tertulia_mastodon::Mastodon;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "test-token-0123456789";

#[derive(Debug, Default)]
struct State {
    statuses: Vec<Value>,
    keys: HashMap<String, String>,
    /// Media id -> polls before it is processed, description.
    media: HashMap<String, (u32, Option<String>)>,
    /// Notifications, oldest first.
    notifications: Vec<Value>,
    next: u64,
    /// Answers 429 to this many requests.
    busy: u32,
    max_characters: usize,
}

/// A Mastodon server in one responder.
#[derive(Debug, Clone)]
struct Fake {
    base: String,
    state: Arc<Mutex<State>>,
}

fn account(id: &str, acct: &str) -> Value {
    json!({"id": id, "username": acct, "acct": acct, "display_name": acct,
           "followers_count": 310, "following_count": 12, "statuses_count": 40,
           "url": format!("https://m.example/@{acct}")})
}

impl Fake {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn status(&self, s: &mut State, text: &str, reply: Option<String>, media: Vec<Value>) -> Value {
        s.next += 1;
        let id = (109_000_000 + s.next).to_string();
        json!({
            "id": id, "uri": format!("{}/users/aurora/statuses/{id}", self.base),
            "url": format!("{}/@aurora/{id}", self.base),
            "created_at": "2026-12-01T10:00:00.000Z",
            "content": format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")),
            "in_reply_to_id": reply, "visibility": "public", "language": "en",
            "replies_count": 2, "reblogs_count": 5, "favourites_count": 17,
            "media_attachments": media, "account": account("1", "aurora"),
        })
    }

    fn mentioned(&self, n: usize) {
        let mut s = self.state();
        for i in 0..n {
            let mut status = self.status(&mut s, &format!("@aurora question {i}"), None, vec![]);
            status["account"] = account(&format!("{}", 500 + i), &format!("fan{i}@other.example"));
            let id = (200 + i).to_string();
            s.notifications.push(json!({"id": id, "type": "mention",
                "created_at": "2026-12-01T09:00:00.000Z", "account": status["account"].clone(), "status": status}));
            // Something else happens between mentions.
            s.notifications
                .push(json!({"id": format!("{id}5"), "type": "favourite",
                "created_at": "2026-12-01T09:00:00.000Z", "account": account("9", "x")}));
        }
    }
}

fn error(code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"error": message}))
}

impl Respond for Fake {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        if r.headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(&format!("Bearer {TOKEN}"))
        {
            return error(401, "The access token is invalid");
        }
        let mut s = self.state();
        if s.busy > 0 {
            s.busy -= 1;
            let reset = (chrono::Utc::now() + chrono::TimeDelta::seconds(1)).to_rfc3339();
            return error(429, "Too many requests")
                .insert_header("X-RateLimit-Limit", "300")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.as_str());
        }
        let path = r.url.path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let method = r.method.as_str();
        let find = |s: &State, id: &str| s.statuses.iter().position(|x| x["id"] == id);
        match (method, segments.as_slice()) {
            ("GET", ["api", "v1", "instance"]) => ResponseTemplate::new(200).set_body_json(json!({
                "uri": "m.example", "title": "Mastodon", "version": "4.3.0",
                "configuration": {
                    "statuses": {"max_characters": s.max_characters, "max_media_attachments": 4, "characters_reserved_per_url": 23},
                    "media_attachments": {"image_size_limit": 16_777_216, "description_limit": 1500}
                }
            })),
            ("POST", ["api", "v1", "statuses"]) => {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                let key = r.headers.get("idempotency-key").map(|v| v.to_str().unwrap().to_owned());
                if let Some(id) = key.as_ref().and_then(|k| s.keys.get(k)).cloned()
                    && let Some(i) = find(&s, &id)
                {
                    return ResponseTemplate::new(200).set_body_json(s.statuses[i].clone());
                }
                let text = body["status"].as_str().unwrap_or("").to_owned();
                // Mastodon's count: a link is 23 characters, however long.
                let length = text.split(' ').map(|t| if t.starts_with("http://") || t.starts_with("https://") { 23 } else { t.chars().count() }).sum::<usize>()
                    + text.matches(' ').count();
                if length > s.max_characters {
                    return error(422, &format!("Validation failed: Text character limit of {} exceeded", s.max_characters));
                }
                let media: Vec<Value> = body["media_ids"].as_array().cloned().unwrap_or_default().iter()
                    .map(|id| {
                        let id = id.as_str().unwrap();
                        json!({"id": id, "type": "image", "url": format!("{}/media/{id}.png", self.base),
                               "description": s.media.get(id).and_then(|m| m.1.clone())})
                    })
                    .collect();
                let reply = body["in_reply_to_id"].as_str().map(str::to_owned);
                let status = self.status(&mut s, &text, reply, media);
                if let Some(k) = key {
                    s.keys.insert(k, status["id"].as_str().unwrap().to_owned());
                }
                s.statuses.push(status.clone());
                ResponseTemplate::new(200).set_body_json(status)
            }
            ("DELETE", ["api", "v1", "statuses", id]) => match find(&s, id) {
                Some(i) => ResponseTemplate::new(200).set_body_json(s.statuses.remove(i)),
                None => error(404, "Record not found"),
            },
            ("GET", ["api", "v1", "statuses", id]) => match find(&s, id) {
                Some(i) => ResponseTemplate::new(200).set_body_json(s.statuses[i].clone()),
                None => error(404, "Record not found"),
            },
            ("GET", ["api", "v1", "statuses", id, "context"]) => match find(&s, id) {
                Some(_) => {
                    let descendants: Vec<Value> = s.statuses.iter().filter(|x| x["in_reply_to_id"] == *id).cloned().collect();
                    ResponseTemplate::new(200).set_body_json(json!({"ancestors": [], "descendants": descendants}))
                }
                None => error(404, "Record not found"),
            },
            ("POST", ["api", "v2", "media"]) => {
                let body = String::from_utf8_lossy(&r.body);
                let description = body.split("name=\"description\"").nth(1)
                    .and_then(|rest| rest.split("\r\n\r\n").nth(1))
                    .and_then(|v| v.split("\r\n").next())
                    .map(str::to_owned);
                s.next += 1;
                let id = format!("m{}", s.next);
                s.media.insert(id.clone(), (1, description.clone()));
                ResponseTemplate::new(202).set_body_json(json!({"id": id, "type": "image", "url": null, "description": description}))
            }
            ("GET", ["api", "v1", "media", id]) => match s.media.get_mut(*id) {
                Some((polls, description)) if *polls > 0 => {
                    *polls -= 1;
                    ResponseTemplate::new(206).set_body_json(json!({"id": id, "type": "image", "url": null, "description": description}))
                }
                Some((_, description)) => ResponseTemplate::new(200).set_body_json(
                    json!({"id": id, "type": "image", "url": format!("{}/media/{id}.png", self.base), "description": description}),
                ),
                None => error(404, "Record not found"),
            },
            ("GET", ["api", "v1", "notifications"]) => {
                let q: HashMap<String, String> = r.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(15);
                let max_id: Option<u64> = q.get("max_id").and_then(|m| m.parse().ok());
                let mentions_only = q.get("types[]").is_some_and(|t| t == "mention");
                let page: Vec<Value> = s.notifications.iter().rev()
                    .filter(|n| max_id.is_none_or(|m| n["id"].as_str().unwrap().parse::<u64>().unwrap() < m))
                    .filter(|n| !mentions_only || n["type"] == "mention")
                    .take(limit).cloned().collect();
                let mut t = ResponseTemplate::new(200).set_body_json(&page);
                if let Some(last) = page.last() {
                    let next = format!("<{}/api/v1/notifications?max_id={}&types[]=mention>; rel=\"next\", <{}/api/v1/notifications?min_id=1>; rel=\"prev\"",
                        self.base, last["id"].as_str().unwrap(), self.base);
                    t = t.insert_header("Link", next.as_str());
                }
                t
            }
            ("GET", ["api", "v1", "accounts", "1", "statuses"]) => {
                let q: HashMap<String, String> = r.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
                let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
                let max_id: Option<u64> = q.get("max_id").and_then(|m| m.parse().ok());
                let page: Vec<Value> = s.statuses.iter().rev()
                    .filter(|x| x["account"]["id"] == "1")
                    .filter(|x| max_id.is_none_or(|m| x["id"].as_str().unwrap().parse::<u64>().unwrap() < m))
                    .take(limit).cloned().collect();
                let mut t = ResponseTemplate::new(200).set_body_json(&page);
                if let Some(last) = page.last() {
                    let next = format!("<{}/api/v1/accounts/1/statuses?max_id={}>; rel=\"next\"", self.base, last["id"].as_str().unwrap());
                    t = t.insert_header("Link", next.as_str());
                }
                t
            }
            ("GET", ["api", "v1", "accounts", "verify_credentials"]) => {
                ResponseTemplate::new(200).set_body_json(account("1", "aurora"))
            }
            _ => error(404, "Not found"),
        }
    }
}

async fn server() -> (MockServer, Fake) {
    let server = MockServer::start().await;
    let fake = Fake {
        base: server.uri(),
        state: Arc::new(Mutex::new(State {
            max_characters: 500,
            ..State::default()
        })),
    };
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

async fn mastodon(server: &MockServer) -> Mastodon {
    Mastodon::connect(&server.uri(), TOKEN)
        .await
        .unwrap()
        .with_media_wait(Duration::from_millis(20), Duration::from_secs(5))
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

#[tokio::test]
async fn the_conformance_suite_passes() {
    let (server, fake) = server().await;
    fake.mentioned(5);
    let m = mastodon(&server).await;
    let report = run(&m, &Setup::new("conformance")).await.unwrap();
    assert_eq!(report.skipped().count(), 0, "{report}");
    assert!(
        fake.state()
            .statuses
            .iter()
            .all(|s| !s["content"].as_str().unwrap().contains("conformance")),
        "cleaned up"
    );
}

#[tokio::test]
async fn a_thread_goes_out_with_a_key_per_part_each_answering_the_last() {
    let (server, fake) = server().await;
    let m = mastodon(&server).await;
    let thread = PublishRequest::thread(key("launch"), ["1/3 It is here", "2/3 Why", "3/3 Where"]);
    let published = m.publish(&thread).await.unwrap();
    assert_eq!(published.posts.len(), 3);
    let posts: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/statuses")
        .map(|r| {
            let mut body: Value = serde_json::from_slice(&r.body).unwrap();
            body["key"] = json!(r.headers.get("idempotency-key").unwrap().to_str().unwrap());
            body
        })
        .collect();
    assert_eq!(
        posts,
        vec![
            json!({"status": "1/3 It is here", "visibility": "public", "in_reply_to_id": null, "media_ids": [], "key": "launch-0"}),
            json!({"status": "2/3 Why", "visibility": "public", "in_reply_to_id": published.posts[0].id, "media_ids": [], "key": "launch-1"}),
            json!({"status": "3/3 Where", "visibility": "public", "in_reply_to_id": published.posts[1].id, "media_ids": [], "key": "launch-2"}),
        ]
    );
    // The same thread again: the server knows the keys, nothing new.
    let again = m.publish(&thread).await.unwrap();
    assert_eq!(again.posts, published.posts);
    assert_eq!(fake.state().statuses.len(), 3);
    // Replies are the context's descendants.
    let replies: Vec<_> = m.all_replies(&published.posts[0]).collect::<Vec<_>>().await;
    assert_eq!(replies.len(), 1);
    let reply = replies[0].as_ref().unwrap();
    assert_eq!(reply.text, "2/3 Why");
    assert_eq!(
        reply.in_reply_to.as_ref().unwrap().as_str(),
        published.posts[0].id
    );
}

use futures_util::StreamExt;

#[tokio::test]
async fn an_image_goes_up_with_its_description_and_waits_for_processing() {
    let (server, fake) = server().await;
    let m = mastodon(&server).await;
    let request = PublishRequest {
        idempotency_key: key("pixel"),
        parts: vec![Part {
            text: "One pixel".into(),
            media: vec![Media {
                bytes: tertulia_connect::conformance::PIXEL_PNG.to_vec(),
                mime: "image/png".into(),
                alt_text: Some("A single transparent pixel".into()),
            }],
        }],
        reply_to: None,
    };
    m.publish(&request).await.unwrap();
    let status = fake.state().statuses.last().unwrap().clone();
    assert_eq!(
        status["media_attachments"][0]["description"],
        "A single transparent pixel"
    );
    let requests = server.received_requests().await.unwrap();
    let polls = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/api/v1/media/"))
        .count();
    assert_eq!(polls, 2, "206 once, then 200");
}

#[tokio::test]
async fn mentions_page_by_the_link_header() {
    let (server, fake) = server().await;
    fake.mentioned(7);
    let m = mastodon(&server).await;
    let page = m
        .mentions(&tertulia_connect::PageRequest {
            cursor: None,
            limit: Some(3),
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.items[0].text, "@aurora question 6", "newest first");
    assert_eq!(page.items[0].author.handle.as_str(), "fan6@other.example");
    assert_eq!(page.items[0].author.followers, Some(310));
    let all: Vec<_> = m.all_mentions().collect::<Vec<_>>().await;
    assert_eq!(all.len(), 7);
    // The account's own statuses, two a page.
    for i in 0..3 {
        m.publish_text(key(&format!("own{i}")), &format!("own {i}"))
            .await
            .unwrap();
    }
    let first = m
        .statuses(&tertulia_connect::PageRequest {
            cursor: None,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
        ["own 2", "own 1"]
    );
    let second = m
        .statuses(&tertulia_connect::PageRequest {
            cursor: first.next,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
        ["own 0"]
    );
    let metrics = m.account_metrics().await.unwrap();
    assert_eq!((metrics.followers, metrics.posts), (Some(310), Some(40)));
}

#[tokio::test]
async fn limits_come_from_the_instance_and_are_checked_before_any_request() {
    let (server, fake) = server().await;
    fake.state().max_characters = 1000;
    let m = mastodon(&server).await;
    assert_eq!(m.limits().max_length, 1000);
    assert_eq!(m.limits().url_weight, Some(23));
    let text = format!(
        "{} https://example.org/{}",
        "a".repeat(990),
        "b".repeat(200)
    );
    // 990 + 1 + 23: a link counts 23 however long.
    assert!(m.validate(&PublishRequest::text(key("k"), text)).is_err());
    let fits = format!(
        "{} https://example.org/{}",
        "a".repeat(970),
        "b".repeat(200)
    );
    m.publish_text(key("fits"), &fits).await.unwrap();
    let e = m
        .publish_text(key("long"), &"a".repeat(1001))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "parts[0].text: 1001 characters, 1 over the limit of 1000"
    );
    assert_eq!(fake.state().statuses.len(), 1, "the long one never left");
}

#[tokio::test]
async fn a_429_says_when_and_the_retry_layer_waits_for_it() {
    let (server, fake) = server().await;
    let m = mastodon(&server).await;
    fake.state().busy = 1;
    let e = m.publish_text(key("busy"), "hello").await.unwrap_err();
    let Error::RateLimited {
        reset_at: Some(at), ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(*at > chrono::Utc::now() - chrono::TimeDelta::seconds(1));
    fake.state().busy = 1;
    let retried = tertulia_connect::layers::Retry::new(m);
    retried.publish_text(key("busy"), "hello").await.unwrap();
    assert_eq!(fake.state().statuses.len(), 1);
}

#[tokio::test]
async fn failures_map_to_what_they_mean() {
    let (server, _fake) = server().await;
    let bad = Mastodon::new(&server.uri(), "wrong").unwrap();
    assert!(matches!(
        bad.account_metrics().await,
        Err(Error::Auth {
            problem: AuthProblem::Invalid,
            ..
        })
    ));
    let m = mastodon(&server).await;
    assert!(matches!(
        m.delete(&PostRef::new("123")).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        m.delete(&PostRef::new("at://x/y")).await,
        Err(Error::NotFound { .. })
    ));
    // An answer that is not Mastodon's JSON names the endpoint.
    let html = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .mount(&html)
        .await;
    let e = Mastodon::connect(&html.uri(), TOKEN).await.unwrap_err();
    assert!(
        matches!(&e, Error::Decode { endpoint, .. } if endpoint == "api/v1/instance"),
        "{e}"
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let e = Mastodon::connect(&closed, TOKEN).await.unwrap_err();
    assert!(
        matches!(e, Error::Transport { .. }) && e.is_retryable(),
        "{e}"
    );
}
