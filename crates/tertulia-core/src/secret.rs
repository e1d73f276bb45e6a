//! Credentials that never show.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A token, password, routing key or secret URL: readable on purpose with
/// [`Secret::expose`], and never printed by `Debug` or `Display`, so it cannot
/// leak into logs or error messages by accident.
///
/// ```
/// use tertulia_core::Secret;
///
/// let key = Secret::new("R0ut1ngK3y");
/// assert_eq!(format!("{key:?}"), "Secret(***)");
/// assert_eq!(key.to_string(), "***");
/// assert_eq!(key.expose(), "R0ut1ngK3y");
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: only for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}
