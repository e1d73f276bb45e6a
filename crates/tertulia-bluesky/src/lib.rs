//! **Connect: Bluesky** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will implement the `tertulia-connect` `Connector` trait for
//! Bluesky over AT Protocol XRPC. It will keep one stored session that it
//! refreshes instead of logging in on every call, build facets for links,
//! mentions and hashtags, and publish threads and images with alt text. A
//! retried publish will never create a second post.
//!
//! It has no public items yet.
