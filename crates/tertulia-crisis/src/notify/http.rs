//! Notifiers that post their format's requests over HTTP (reqwest, rustls).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use tertulia_core::retry_after;

use super::{Attempt, Format, Notifier};
use crate::{Error, Result};

/// A [`Format`] sent over HTTP: [`Slack`](super::Slack),
/// [`PagerDuty`](super::PagerDuty), [`SignedWebhook`](super::SignedWebhook)
/// or your own.
///
/// Every request has a timeout (10 s unless set), so a receiver that hangs
/// costs one timeout and a retry, never a stuck outbox.
#[derive(Debug)]
pub struct HttpNotifier<F> {
    name: String,
    format: F,
    client: reqwest::Client,
}

impl<F: Format> HttpNotifier<F> {
    /// A notifier named `name` sending `format`'s requests.
    pub fn new(name: impl Into<String>, format: F) -> Result<Self> {
        Self::with_timeout(name, format, Duration::from_secs(10))
    }

    /// The same, each request given up after `timeout`.
    pub fn with_timeout(name: impl Into<String>, format: F, timeout: Duration) -> Result<Self> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(Error::Config("a notifier needs a name".into()));
        }
        if timeout.is_zero() {
            return Err(Error::Config(format!(
                "notifier {name:?}: a timeout of 0 fails every request"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("tertulia/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("notifier {name:?}: {e}")))?;
        Ok(HttpNotifier {
            name,
            format,
            client,
        })
    }
}

#[async_trait]
impl<F: Format> Notifier for HttpNotifier<F> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, attempt: &Attempt<'_>) -> Result<()> {
        let r = self.format.request(attempt);
        let mut request = self
            .client
            .post(r.url.expose())
            .header(CONTENT_TYPE, "application/json")
            .body(r.body);
        for (k, v) in &r.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let response = request.send().await.map_err(|e| Error::Delivery {
            notifier: self.name.clone(),
            status: None,
            retry_after: None,
            retryable: true,
            // Without the URL: it may be the credential.
            problem: format!("no answer: {}", e.without_url()),
        })?;
        let status = response.status().as_u16();
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        answer(&self.name, status, wait.as_deref(), &body, attempt.now)
    }
}

/// What a receiver's answer means: 2xx delivered; 408, 429 and 5xx worth
/// retrying (after `Retry-After` if it came); any other status refused,
/// never retried, since the same message would be refused again.
///
/// ```
/// use chrono::Utc;
/// use tertulia_crisis::notify::answer;
///
/// let now = Utc::now();
/// assert!(answer("pd", 202, None, "", now).is_ok());
/// let busy = answer("pd", 429, Some("30"), "", now).unwrap_err();
/// assert!(matches!(busy, tertulia_crisis::Error::Delivery { retryable: true, .. }));
/// let refused = answer("pd", 400, None, r#"{"status":"invalid event"}"#, now).unwrap_err();
/// assert!(matches!(refused, tertulia_crisis::Error::Delivery { retryable: false, .. }));
/// ```
pub fn answer(
    notifier: &str,
    status: u16,
    wait: Option<&str>,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let retryable = matches!(status, 408 | 429) || status >= 500;
    let said: String = body.trim().chars().take(200).collect();
    Err(Error::Delivery {
        notifier: notifier.to_owned(),
        status: Some(status),
        retry_after: wait.and_then(|w| retry_after(w, now)),
        retryable,
        problem: if said.is_empty() {
            format!("answered {status}")
        } else {
            format!("answered {status}: {said}")
        },
    })
}
