//! The Bluesky connector against a real PDS (with its PLC directory) on
//! 127.0.0.1: `scripts/test.sh` starts one (`@atproto/dev-env`, pinned in
//! `crates/tertulia-bluesky/pds`) and names it in `TERTULIA_PDS_URL`.
//! Without it these tests say so and check nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use tertulia_bluesky::{Bluesky, MemorySessions, Session, SessionStore};
use tertulia_connect::conformance::{Setup, run};
use tertulia_connect::{
    Capability, Connector, ConnectorExt, Error, IdempotencyKey, Media, PageRequest, Part,
    PublishRequest,
};
use tertulia_core::Secret;

fn pds() -> Option<String> {
    let url = std::env::var("TERTULIA_PDS_URL").ok();
    if url.is_none() {
        eprintln!("skipped: no PDS (TERTULIA_PDS_URL is unset; scripts/test.sh starts one)");
    }
    url
}

/// A new account on the PDS: its handle and password.
async fn account(pds: &str, name: &str) -> (String, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let handle = format!("{name}{:x}{n}.test", std::process::id() & 0xffff);
    let password = format!("{handle}-password");
    let r = reqwest::Client::new()
        .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
        .json(&json!({"email": format!("{handle}@example.com"), "handle": handle, "password": password}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    (handle, password)
}

async fn connector(pds: &str, name: &str) -> Bluesky {
    let (handle, password) = account(pds, name).await;
    Bluesky::new(pds, handle, password).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

/// The record of `uri`, straight from the PDS.
async fn record(pds: &str, uri: &str) -> Value {
    let rest = uri.strip_prefix("at://").unwrap();
    let parts: Vec<&str> = rest.split('/').collect();
    reqwest::get(format!(
        "{pds}/xrpc/com.atproto.repo.getRecord?repo={}&collection={}&rkey={}",
        parts[0], parts[1], parts[2]
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn the_conformance_suite_passes_on_a_real_pds() {
    let Some(pds) = pds() else { return };
    let b = connector(&pds, "conf").await;
    let report = run(&b, &Setup::new("conformance")).await.unwrap();
    println!("{report}");
    // Without an AppView only the reading checks are skipped.
    let skipped: Vec<Capability> = report.skipped().map(|(_, c)| c).collect();
    assert_eq!(skipped, vec![Capability::Mentions], "{report}");
    assert!(
        b.posts(&PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "cleaned up"
    );
}

#[tokio::test]
async fn facets_point_at_utf8_bytes_and_mentions_resolve_to_dids() {
    let Some(pds) = pds() else { return };
    let (bob, bob_password) = account(&pds, "bob").await;
    let bob_did = Bluesky::new(&pds, bob.clone(), bob_password)
        .unwrap()
        .session()
        .await
        .unwrap()
        .did;
    let b = connector(&pds, "alice").await;
    let text =
        format!("¡Hola @{bob}! Mira https://aurora.example/glow. #GlowSerum 👍🏽 @nobody.test");
    let post = b
        .publish_text(key("facets"), &text)
        .await
        .unwrap()
        .posts
        .remove(0);
    let r = record(&pds, &post.id).await;
    assert_eq!(r["value"]["text"], text.as_str());
    let facets = r["value"]["facets"].as_array().unwrap();
    assert_eq!(
        facets.len(),
        3,
        "{facets:?}: the unknown handle stays plain text"
    );
    let slice = |f: &Value| {
        let (a, z) = (
            f["index"]["byteStart"].as_u64().unwrap() as usize,
            f["index"]["byteEnd"].as_u64().unwrap() as usize,
        );
        text.as_bytes()[a..z].to_vec()
    };
    assert_eq!(slice(&facets[0]), format!("@{bob}").into_bytes());
    assert_eq!(
        facets[0]["features"][0],
        json!({"$type": "app.bsky.richtext.facet#mention", "did": bob_did})
    );
    assert_eq!(slice(&facets[1]), b"https://aurora.example/glow");
    assert_eq!(
        facets[1]["features"][0]["uri"],
        "https://aurora.example/glow"
    );
    assert_eq!(slice(&facets[2]), "#GlowSerum".as_bytes());
    assert_eq!(
        facets[2]["features"][0],
        json!({"$type": "app.bsky.richtext.facet#tag", "tag": "GlowSerum"})
    );
}

#[tokio::test]
async fn a_thread_keeps_root_and_parent_with_their_cids() {
    let Some(pds) = pds() else { return };
    let b = connector(&pds, "thread").await;
    let thread = PublishRequest::thread(key("thread"), ["1/3 It is here", "2/3 Why", "3/3 Where"]);
    let posts = b.publish(&thread).await.unwrap().posts;
    assert_eq!(posts.len(), 3);
    for (i, p) in posts.iter().enumerate().skip(1) {
        let reply = &record(&pds, &p.id).await["value"]["reply"];
        assert_eq!(
            reply["root"],
            json!({"uri": posts[0].id, "cid": posts[0].version})
        );
        assert_eq!(
            reply["parent"],
            json!({"uri": posts[i - 1].id, "cid": posts[i - 1].version})
        );
    }
    // A reply to the thread's last post names the thread's root.
    let mut answer = PublishRequest::text(key("answer"), "4/3 One more thing");
    answer.reply_to = Some(posts[2].clone());
    let a = b.publish(&answer).await.unwrap().posts.remove(0);
    let reply = &record(&pds, &a.id).await["value"]["reply"];
    assert_eq!(reply["root"]["uri"], posts[0].id.as_str());
    assert_eq!(reply["parent"]["uri"], posts[2].id.as_str());
}

#[tokio::test]
async fn images_go_up_with_their_alt_text() {
    let Some(pds) = pds() else { return };
    let b = connector(&pds, "images").await;
    let pixel = || Media {
        bytes: tertulia_connect::conformance::PIXEL_PNG.to_vec(),
        mime: "image/png".into(),
        alt_text: Some("A single transparent pixel".into()),
    };
    let request = PublishRequest {
        idempotency_key: key("images"),
        parts: vec![Part {
            text: "Two pixels".into(),
            media: vec![pixel(), pixel()],
        }],
        reply_to: None,
    };
    let post = b.publish(&request).await.unwrap().posts.remove(0);
    let embed = &record(&pds, &post.id).await["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images");
    assert_eq!(embed["images"].as_array().unwrap().len(), 2);
    assert_eq!(embed["images"][0]["alt"], "A single transparent pixel");
    assert_eq!(embed["images"][0]["image"]["mimeType"], "image/png");
    // Five images are refused before anything is sent.
    let five = PublishRequest {
        idempotency_key: key("five"),
        parts: vec![Part {
            text: "Five".into(),
            media: (0..5).map(|_| pixel()).collect(),
        }],
        reply_to: None,
    };
    let e = b.publish(&five).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "parts[0].media: 5 media, 1 over the limit of 4"
    );
}

#[tokio::test]
async fn publishing_twice_under_one_key_makes_one_post_and_own_posts_list() {
    let Some(pds) = pds() else { return };
    let b = connector(&pds, "twice").await;
    let first = b.publish_text(key("once"), "only once").await.unwrap();
    // The record key comes from the idempotency key: the second create is
    // refused by the PDS, and the connector reads the record instead.
    let again = b.publish_text(key("once"), "only once").await.unwrap();
    assert_eq!(again.posts, first.posts);
    assert!(again.repeated && !first.repeated);
    // A thread cut short resumes: its first part exists, the rest follow.
    let parts = ["a/3", "b/3", "c/3"];
    b.publish(&PublishRequest::thread(
        key("resume"),
        parts[..1].iter().copied(),
    ))
    .await
    .unwrap();
    let whole = b
        .publish(&PublishRequest::thread(key("resume"), parts))
        .await
        .unwrap();
    assert_eq!(whole.posts.len(), 3);
    let own = b
        .posts(&PageRequest {
            cursor: None,
            limit: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(own.items.len(), 2);
    let second = b
        .posts(&PageRequest {
            cursor: own.next.clone(),
            limit: Some(2),
        })
        .await
        .unwrap();
    let all: Vec<&str> = own
        .items
        .iter()
        .chain(&second.items)
        .map(|p| p.text.as_str())
        .collect();
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["a/3", "b/3", "c/3", "only once"]);
    // Deleting a post twice: gone, then not found.
    b.delete(&first.posts[0]).await.unwrap();
    assert!(matches!(
        b.delete(&first.posts[0]).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn one_login_serves_every_call_and_a_stale_token_is_refreshed() {
    let Some(pds) = pds() else { return };
    let (handle, password) = account(&pds, "session").await;
    let store = Arc::new(MemorySessions::default());
    let b = Bluesky::new(&pds, handle.clone(), password.clone())
        .unwrap()
        .with_session_store(store.clone());
    // Forty publishes: one login (the PDS would refuse the 31st in five
    // minutes).
    for i in 0..40 {
        b.publish_text(key(&format!("s{i}")), &format!("post {i}"))
            .await
            .unwrap();
    }
    let kept = store.load().unwrap();
    // A stale access token, a good refresh token: the next call refreshes.
    store.save(Some(&Session {
        access_jwt: Secret::new("stale"),
        ..kept.clone()
    }));
    b.publish_text(key("after"), "after the refresh")
        .await
        .unwrap();
    let fresh = store.load().unwrap();
    assert_ne!(fresh.access_jwt.expose(), "stale");
    assert_ne!(
        fresh.refresh_jwt, kept.refresh_jwt,
        "refreshing rotates the refresh token"
    );
    // Both tokens stale: it logs in again.
    store.save(Some(&Session {
        access_jwt: Secret::new("stale"),
        refresh_jwt: Secret::new("stale"),
        ..kept
    }));
    b.publish_text(key("relogin"), "after a new login")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_31st_login_in_five_minutes_is_rate_limited_with_its_reset() {
    let Some(pds) = pds() else { return };
    let (handle, password) = account(&pds, "limit").await;
    for i in 0..30 {
        // A new connector each time: a new login each time.
        let b = Bluesky::new(&pds, handle.clone(), password.clone()).unwrap();
        b.session()
            .await
            .unwrap_or_else(|e| panic!("login {}: {e}", i + 1));
    }
    let b = Bluesky::new(&pds, handle, password).unwrap();
    let e = b.session().await.unwrap_err();
    let Error::RateLimited {
        reset_at: Some(at), ..
    } = &e
    else {
        panic!("{e:?}")
    };
    let wait = *at - chrono::Utc::now();
    assert!(
        wait > chrono::TimeDelta::zero() && wait <= chrono::TimeDelta::minutes(6),
        "{wait}"
    );
    assert!(e.is_retryable());
}

#[tokio::test]
async fn without_an_appview_reading_is_reported_unavailable() {
    let Some(pds) = pds() else { return };
    let b = connector(&pds, "noview").await;
    assert!(matches!(
        b.mentions(&PageRequest::default()).await,
        Err(Error::Unsupported { .. })
    ));
    let b = b.with_appview();
    let e = b.mentions(&PageRequest::default()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Upstream {
                status: Some(502),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("unavailable"), "{e}");
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_without_the_password() {
    let Some(pds) = pds() else { return };
    let (handle, _) = account(&pds, "wrong").await;
    let b = Bluesky::new(&pds, handle, "not-the-password").unwrap();
    let e = b.session().await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert!(!e.to_string().contains("not-the-password"));
}
