//! Any text given as an AutoModerator configuration: an error that names
//! what is wrong, or rules that compile and run; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tertulia_moderation::{Engine, Item, parse_automoderator};

fuzz_target!(|data: &str| {
    if let Ok(rules) = parse_automoderator(data, None)
        && let Ok(mut engine) = Engine::new(rules)
    {
        let item = Item {
            id: "x".into(),
            body: "Some text, a title and https://a.example".into(),
            title: Some("Title".into()),
            ..Item::default()
        };
        let _ = engine.decide(&item);
    }
});
