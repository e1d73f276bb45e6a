//! **Answer a crisis** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will turn a stream of mentions into signals (volume, negative
//! share, keyword triggers, influential authors, unanswered backlog). Streaming
//! detectors will find spikes and sustained shifts early, and an incident will
//! open and escalate through a policy of levels, delays and acknowledgements.
//! Notifiers for Slack, PagerDuty and signed webhooks will deliver through an
//! outbox that loses no alert.
//!
//! It has no public items yet.
