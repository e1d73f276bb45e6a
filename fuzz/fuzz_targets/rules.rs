//! Any text given as a rule file: an error or rules that compile and run,
//! never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tertulia_moderation::{Engine, Item, parse_rules};

fuzz_target!(|data: &str| {
    if let Ok(rules) = parse_rules(data)
        && let Ok(mut engine) = Engine::new(rules)
    {
        let item = Item {
            id: "x".into(),
            body: "some t3xt with a link https://a.example".into(),
            ..Item::default()
        };
        let _ = engine.decide(&item);
    }
});
