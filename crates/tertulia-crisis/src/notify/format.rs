//! What each receiver is sent: pure functions from a notification to a
//! request, no I/O.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tertulia_core::Secret;

use super::Attempt;
use crate::incident::{Change, Notification};
use crate::{Error, Result};

/// An HTTP `POST` to make.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// Where to (it may hold a secret: Slack's webhook URLs do).
    pub url: Secret,
    /// Headers, besides `Content-Type: application/json`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl fmt::Debug for Request {
    /// The URL's host and the header names only: both may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("host", &origin(self.url.expose()))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// How a notification becomes a request for one kind of receiver.
pub trait Format: Send + Sync + fmt::Debug {
    /// The request for one attempt.
    fn request(&self, attempt: &Attempt<'_>) -> Request;
}

impl<F: Format + ?Sized> Format for Box<F> {
    fn request(&self, attempt: &Attempt<'_>) -> Request {
        (**self).request(attempt)
    }
}

/// Parses an endpoint URL: `http` or `https`, with a host.
fn endpoint(url: &str, what: &str) -> Result<Secret> {
    let parsed = url::Url::parse(url)
        .map_err(|e| Error::Config(format!("the {what} URL does not parse: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::Config(format!(
            "the {what} URL must be http(s) with a host, not {:?}",
            origin(url)
        )));
    }
    Ok(Secret::new(url))
}

/// `scheme://host[:port]` of a URL, which is safe to show.
fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(not a URL)".into(),
    }
}

fn json_request(url: &Secret, headers: Vec<(String, String)>, body: &Value) -> Request {
    Request {
        url: url.clone(),
        headers,
        body: serde_json::to_vec(body).expect("a JSON value serializes"),
    }
}

/// The first `max` characters of `s`, ending in "…" when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep: String = s.chars().take(max.saturating_sub(1)).collect();
            format!("{keep}…")
        }
    }
}

fn verb(change: Change) -> &'static str {
    match change {
        Change::Trigger => "triggered",
        Change::Acknowledge => "acknowledged",
        Change::Resolve => "resolved",
    }
}

/// A Slack incoming webhook: `{"text", "blocks"}`, the text for
/// notifications and clients without blocks, the blocks for people.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_crisis::detect::Severity;
/// use tertulia_crisis::incident::{Change, Notification};
/// use tertulia_crisis::notify::{Attempt, Format, Slack};
///
/// let n = Notification { incident: 3, dedup_key: "acme:volume".into(), change: Change::Trigger,
///     severity: Severity::Error, summary: "Mentions 6x the usual".into(),
///     targets: vec!["cm".into()], details: Default::default(),
///     at: Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap() };
/// let slack = Slack::new("https://hooks.slack.com/services/T0/B0/XYZ")?;
/// let r = slack.request(&Attempt { notification: &n, delivery: "d1", number: 1, now: n.at });
/// let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
/// assert_eq!(body["text"], "[ERROR] Incident #3 triggered: Mentions 6x the usual");
/// # Ok::<(), tertulia_crisis::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Slack {
    url: Secret,
}

impl Slack {
    /// A webhook at `url` (the URL is the credential: it is never shown).
    pub fn new(url: &str) -> Result<Self> {
        Ok(Slack {
            url: endpoint(url, "Slack webhook")?,
        })
    }

    /// The payload for `n`.
    pub fn payload(n: &Notification) -> Value {
        // Slack's mrkdwn reads these three as markup.
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let severity = format!("{:?}", n.severity).to_uppercase();
        let text = format!(
            "[{severity}] Incident #{} {}: {}",
            n.incident,
            verb(n.change),
            n.summary
        );
        let mut fields = vec![
            json!({"type": "mrkdwn", "text": format!("*Severity*\n{}", severity.to_lowercase())}),
            json!({"type": "mrkdwn", "text": format!("*Key*\n`{}`", cut(&esc(&n.dedup_key), 1900))}),
            json!({"type": "mrkdwn", "text": format!("*At*\n{}", n.at.to_rfc3339())}),
        ];
        if !n.targets.is_empty() {
            fields.push(json!({"type": "mrkdwn", "text": cut(&format!("*For*\n{}", esc(&n.targets.join(", "))), 2000)}));
        }
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text",
                "text": cut(&format!("{severity}: incident #{} {}", n.incident, verb(n.change)), 150)}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&esc(&n.summary), 3000)}}),
            json!({"type": "section", "fields": fields}),
        ];
        // Slack takes ten fields a section: the details go in sections of ten.
        let details: Vec<Value> = n
            .details
            .iter()
            .map(|(k, v)| json!({"type": "mrkdwn", "text": cut(&format!("*{}*\n{}", esc(k), esc(v)), 2000)}))
            .collect();
        for chunk in details.chunks(10) {
            blocks.push(json!({"type": "section", "fields": chunk}));
        }
        json!({"text": cut(&text, 3000), "blocks": blocks})
    }
}

impl Format for Slack {
    fn request(&self, a: &Attempt<'_>) -> Request {
        json_request(&self.url, Vec::new(), &Self::payload(a.notification))
    }
}

/// PagerDuty's Events API v2: triggers, acknowledges and resolves an alert
/// by the incident's dedup key.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_crisis::detect::Severity;
/// use tertulia_crisis::incident::{Change, Notification};
/// use tertulia_crisis::notify::PagerDuty;
///
/// let mut n = Notification { incident: 3, dedup_key: "acme:volume".into(), change: Change::Trigger,
///     severity: Severity::Critical, summary: "x".repeat(2000), targets: vec![],
///     details: Default::default(), at: Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap() };
/// let pd = PagerDuty::new("R0UT1NGKEY", "tertulia")?;
/// let event = pd.event(&n);
/// assert_eq!(event["event_action"], "trigger");
/// assert_eq!(event["payload"]["severity"], "critical");
/// assert_eq!(event["payload"]["summary"].as_str().unwrap().chars().count(), 1024);
/// n.change = Change::Resolve;
/// assert!(pd.event(&n).get("payload").is_none(), "a resolve carries only the key");
/// # Ok::<(), tertulia_crisis::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PagerDuty {
    routing_key: Secret,
    source: String,
    url: Secret,
}

impl PagerDuty {
    /// PagerDuty's endpoint for events.
    pub const URL: &'static str = "https://events.pagerduty.com/v2/enqueue";
    /// The longest summary PagerDuty takes, in characters.
    pub const MAX_SUMMARY: usize = 1024;
    /// The longest dedup key PagerDuty takes, in characters.
    pub const MAX_DEDUP_KEY: usize = 255;

    /// Events for the service integration `routing_key`, from `source` (the
    /// system that saw the problem: "tertulia", a brand's name).
    pub fn new(routing_key: impl Into<Secret>, source: impl Into<String>) -> Result<Self> {
        let (routing_key, source) = (routing_key.into(), source.into());
        if routing_key.expose().trim().is_empty() || source.trim().is_empty() {
            return Err(Error::Config(
                "PagerDuty needs a routing key (the integration key of a service) and a source"
                    .into(),
            ));
        }
        Ok(PagerDuty {
            routing_key,
            source,
            url: Secret::new(Self::URL),
        })
    }

    /// The same, sent to another endpoint (PagerDuty's EU service, a test
    /// server).
    pub fn with_url(mut self, url: &str) -> Result<Self> {
        self.url = endpoint(url, "PagerDuty")?;
        Ok(self)
    }

    /// The event for `n`.
    pub fn event(&self, n: &Notification) -> Value {
        let action = match n.change {
            Change::Trigger => "trigger",
            Change::Acknowledge => "acknowledge",
            Change::Resolve => "resolve",
        };
        let mut event = json!({
            "routing_key": self.routing_key.expose(),
            "event_action": action,
            "dedup_key": dedup_key(&n.dedup_key),
        });
        if n.change == Change::Trigger {
            let mut details = serde_json::Map::new();
            details.insert("incident".into(), json!(n.incident));
            details.insert("targets".into(), json!(n.targets));
            for (k, v) in &n.details {
                details.insert(k.clone(), json!(v));
            }
            event["payload"] = json!({
                "summary": cut(&n.summary, Self::MAX_SUMMARY),
                "source": self.source,
                "severity": n.severity,
                "timestamp": n.at.to_rfc3339(),
                "custom_details": details,
            });
            event["client"] = json!("tertulia");
        }
        event
    }
}

/// A dedup key PagerDuty takes: a longer one keeps its start and a hash of
/// the whole, so two long keys stay apart.
fn dedup_key(key: &str) -> String {
    if key.chars().count() <= PagerDuty::MAX_DEDUP_KEY {
        return key.to_owned();
    }
    // FNV-1a: stable across runs and platforms.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let start: String = key.chars().take(PagerDuty::MAX_DEDUP_KEY - 17).collect();
    format!("{start}#{hash:016x}")
}

impl Format for PagerDuty {
    fn request(&self, a: &Attempt<'_>) -> Request {
        json_request(&self.url, Vec::new(), &self.event(a.notification))
    }
}

/// A JSON webhook of your own, signed so the receiver can check that the
/// message is from you and fresh.
///
/// The body is `{"delivery", "attempt", "notification"}`. Three headers
/// come with it: `X-Tertulia-Delivery` (the delivery id, the same on every
/// attempt), `X-Tertulia-Timestamp` (Unix seconds) and
/// `X-Tertulia-Signature`: `v1=` and the hex HMAC-SHA256, keyed by the shared
/// secret, of the timestamp, a `.`, and the body. Receivers check it with
/// [`verify`] (or the same three steps in any language) and refuse old
/// timestamps.
#[derive(Debug, Clone)]
pub struct SignedWebhook {
    url: Secret,
    secret: Secret,
}

impl SignedWebhook {
    /// The header naming the delivery.
    pub const DELIVERY: &'static str = "X-Tertulia-Delivery";
    /// The header with the signing time.
    pub const TIMESTAMP: &'static str = "X-Tertulia-Timestamp";
    /// The header with the signature.
    pub const SIGNATURE: &'static str = "X-Tertulia-Signature";

    /// Posts to `url`, signed with `secret` (at least 16 bytes).
    pub fn new(url: &str, secret: impl Into<Secret>) -> Result<Self> {
        let secret = secret.into();
        if secret.expose().len() < 16 {
            return Err(Error::Config(
                "a webhook secret must be at least 16 bytes: a short one can be guessed".into(),
            ));
        }
        Ok(SignedWebhook {
            url: endpoint(url, "webhook")?,
            secret,
        })
    }
}

impl Format for SignedWebhook {
    fn request(&self, a: &Attempt<'_>) -> Request {
        let body = json!({
            "delivery": a.delivery,
            "attempt": a.number,
            "notification": a.notification,
        });
        let mut r = json_request(&self.url, Vec::new(), &body);
        let timestamp = a.now.timestamp();
        let signature = sign(self.secret.expose().as_bytes(), timestamp, &r.body);
        r.headers = vec![
            (Self::DELIVERY.into(), a.delivery.into()),
            (Self::TIMESTAMP.into(), timestamp.to_string()),
            (Self::SIGNATURE.into(), format!("v1={signature}")),
        ];
        r
    }
}

/// The hex HMAC-SHA256 of `timestamp.body`, keyed by `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a signed webhook's headers fit its body: the signature matches
/// (compared in constant time) and the timestamp is within `tolerance_seconds`
/// of `now_unix`.
///
/// ```
/// use tertulia_crisis::notify::{sign, verify};
///
/// let secret = b"a-long-shared-secret";
/// let body = br#"{"delivery":"d1"}"#;
/// let header = format!("v1={}", sign(secret, 1_780_000_000, body));
/// assert!(verify(secret, "1780000000", body, &header, 1_780_000_030, 300));
/// assert!(!verify(secret, "1780000000", b"{}", &header, 1_780_000_030, 300), "another body");
/// assert!(!verify(secret, "1780000000", body, &header, 1_780_009_000, 300), "too old");
/// ```
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_unix: i64,
    tolerance_seconds: i64,
) -> bool {
    let Ok(t) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now_unix - t).abs() > tolerance_seconds {
        return false;
    }
    let Some(hex) = signature.trim().strip_prefix("v1=") else {
        return false;
    };
    let Some(bytes) = decode_hex(hex) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::detect::Severity;

    fn notification(change: Change) -> Notification {
        Notification {
            incident: 7,
            dedup_key: "acme:negative".into(),
            change,
            severity: Severity::Warning,
            summary: "Negative mentions <3x> & rising".into(),
            targets: vec!["cm".into(), "legal".into()],
            details: [("negative".to_owned(), "41".to_owned())].into(),
            at: Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap(),
        }
    }

    #[test]
    fn slack_escapes_markup_and_keeps_the_text_plain() {
        let p = Slack::payload(&notification(Change::Acknowledge));
        assert_eq!(
            p["text"],
            "[WARNING] Incident #7 acknowledged: Negative mentions <3x> & rising"
        );
        assert_eq!(
            p["blocks"][1]["text"]["text"],
            "Negative mentions &lt;3x&gt; &amp; rising"
        );
        assert_eq!(p["blocks"][3]["fields"][0]["text"], "*negative*\n41");
    }

    #[test]
    fn slack_keeps_to_its_limits() {
        let mut n = notification(Change::Trigger);
        n.summary = "é".repeat(5000);
        n.details = (0..25).map(|i| (format!("k{i:02}"), "v".into())).collect();
        let p = Slack::payload(&n);
        assert_eq!(p["text"].as_str().unwrap().chars().count(), 3000);
        assert!(p["text"].as_str().unwrap().ends_with('…'));
        let blocks = p["blocks"].as_array().unwrap();
        // header, summary, fields, then 25 details in sections of 10, 10, 5.
        assert_eq!(blocks.len(), 6);
        assert_eq!(blocks[5]["fields"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn pagerduty_acknowledge_carries_only_the_key() {
        let pd = PagerDuty::new("KEY", "tertulia").unwrap();
        assert_eq!(
            pd.event(&notification(Change::Acknowledge)),
            json!({"routing_key": "KEY", "event_action": "acknowledge", "dedup_key": "acme:negative"})
        );
    }

    #[test]
    fn long_dedup_keys_stay_apart() {
        let (a, b) = ("x".repeat(300) + "a", "x".repeat(300) + "b");
        let (ka, kb) = (dedup_key(&a), dedup_key(&b));
        assert_eq!(ka.chars().count(), PagerDuty::MAX_DEDUP_KEY);
        assert_ne!(ka, kb);
        assert_eq!(dedup_key("short"), "short");
    }

    #[test]
    fn signed_requests_verify_and_hide_their_secrets() {
        let hook =
            SignedWebhook::new("https://example.org/hook?token=abc", "0123456789abcdef").unwrap();
        let n = notification(Change::Trigger);
        let a = Attempt {
            notification: &n,
            delivery: "d9",
            number: 2,
            now: n.at,
        };
        let r = hook.request(&a);
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert!(verify(
            b"0123456789abcdef",
            &header(SignedWebhook::TIMESTAMP),
            &r.body,
            &header(SignedWebhook::SIGNATURE),
            n.at.timestamp(),
            300
        ));
        assert_eq!(header(SignedWebhook::DELIVERY), "d9");
        let shown = format!("{r:?} {hook:?}");
        assert!(
            !shown.contains("token=abc") && !shown.contains("0123456789abcdef"),
            "{shown}"
        );
        assert!(SignedWebhook::new("https://example.org", "short").is_err());
        assert!(Slack::new("ftp://example.org").is_err());
        assert!(!verify(b"k", "1", b"", "v1=zz", 1, 5), "not hex");
    }
}
