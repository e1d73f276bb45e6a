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

/// A call that failed on the way: a transport error, without the URL (it may
/// hold a credential).
impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Transport {
            timeout: e.is_timeout(),
            message: e.without_url().to_string(),
        }
    }
}
