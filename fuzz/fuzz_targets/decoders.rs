//! The platforms' answers decoded from any bytes: an error or mentions,
//! never a panic; and what decodes survives a serde round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tertulia_core::Mention;

fuzz_target!(|body: &str| {
    let mastodon = tertulia_mastodon::mentions_from_notifications(body);
    let bluesky = tertulia_bluesky::mentions_from_notifications(body).map(|p| p.items);
    for mentions in [mastodon, bluesky].into_iter().flatten() {
        for m in mentions {
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Mention>(&json).unwrap(), m);
        }
    }
});
