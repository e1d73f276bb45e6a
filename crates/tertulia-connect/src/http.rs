//! What connectors that speak HTTP share (feature `http`): a server address
//! checked once, a client set up alike, and reqwest's errors and headers in
//! this crate's terms.
//!
//! ```
//! use tertulia_connect::http::server_url;
//!
//! assert!(server_url("base", "https://mastodon.example").is_ok());
//! let e = server_url("base", "mastodon.example").unwrap_err();
//! assert!(e.to_string().contains("base"));
//! ```

use std::time::Duration;

use url::Url;

use crate::{Error, Result};

/// `address` as an http(s) URL with a host, or a validation error naming
/// `field`.
pub fn server_url(field: &str, address: &str) -> Result<Url> {
    let url = Url::parse(address).map_err(|e| Error::Validation {
        field: field.into(),
        message: format!("not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Validation {
            field: field.into(),
            message: "must be an http(s) URL with a host".into(),
        });
    }
    Ok(url)
}

/// A client with tertulia's user agent, 10 s to connect and 30 s for a
/// whole call.
pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("tertulia/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// An answer's headers as text, those that are text.
pub fn headers(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

/// A call that failed on the way: a transport error naming the host and the
/// reasons the network stack gave, without the URL (its path or query may
/// hold a credential, as a Slack webhook's does).
impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        let host = e.url().and_then(|u| {
            let host = u.host_str()?;
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        });
        let timeout = e.is_timeout();
        let e = e.without_url();
        // reqwest's own words ("error sending request") say little: its
        // causes say why (a refused connection, a name that does not resolve).
        let mut words = vec![e.to_string()];
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let said = c.to_string();
            if !words.iter().any(|w| w.contains(&said)) {
                words.push(said);
            }
            cause = c.source();
        }
        Error::Transport {
            timeout,
            message: words.join(": "),
            host,
        }
    }
}

/// An answer's body as one line for an error message: JSON or text as it
/// came, white space folded, at most 200 characters; an HTML page by its
/// title, since its markup says nothing to a person.
///
/// ```
/// use tertulia_connect::http::body_words;
///
/// assert_eq!(body_words("<!DOCTYPE html><html><head><title>501 Not Implemented</title></head>\n<body>...</body></html>"),
///     "an HTML page, \"501 Not Implemented\"");
/// assert_eq!(body_words("busy\n  try later"), "busy try later");
/// ```
pub fn body_words(body: &str) -> String {
    let trimmed = body.trim_start();
    let lower = trimmed
        .get(..trimmed.len().min(512))
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
    {
        let title = body
            .to_ascii_lowercase()
            .find("<title>")
            .and_then(|at| {
                let rest = &body[at + "<title>".len()..];
                let end = rest.to_ascii_lowercase().find("</title>")?;
                Some(rest[..end].split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .filter(|t| !t.is_empty());
        return match title {
            Some(t) => format!(
                "an HTML page, {:?}",
                t.chars().take(120).collect::<String>()
            ),
            None => "an HTML page".to_owned(),
        };
    }
    let folded = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() > 200 {
        format!("{}…", folded.chars().take(200).collect::<String>())
    } else {
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_host_is_named_with_the_reason() {
        // A port nobody listens on: the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e: Error = client()
            .unwrap()
            .get(format!("http://127.0.0.1:{port}/secret-path?token=hunter2"))
            .send()
            .await
            .unwrap_err()
            .into();
        let said = e.to_string();
        assert!(
            said.starts_with(&format!("no answer from 127.0.0.1:{port}: ")),
            "{said}"
        );
        assert!(said.to_lowercase().contains("refused"), "{said}");
        assert!(
            !said.contains("hunter2") && !said.contains("secret-path"),
            "{said}"
        );
        assert_eq!(said.lines().count(), 1);
    }
}
