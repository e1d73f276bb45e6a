//! The crisis watch on a simulated community finds the planted crisis: no
//! incident before it starts, an alert within three hours of its start, and
//! one incident per condition (repeated alerts update it).

use std::collections::BTreeSet;

use tertulia::crisis::watch::{Watch, WatchConfig};
use tertulia::sentiment::ByLanguage;
use tertulia::sim::{SimConfig, Simulation};

#[test]
fn the_planted_crisis_is_seen_early_and_nothing_before_it() {
    let sim = Simulation::new(SimConfig::default()).unwrap();
    let crisis = sim
        .truth()
        .crisis
        .clone()
        .expect("the default plants a crisis");
    let sentiment = ByLanguage::english_and_spanish();
    let mut config = WatchConfig {
        name: "brand".into(),
        ..WatchConfig::default()
    };
    config.signals.bucket_seconds = 900;
    let mut watch = Watch::new(config).unwrap();
    let mut alerts = Vec::new();
    for mut mention in sim.mentions() {
        mention.sentiment = Some(
            sentiment
                .scores_in(&mention.text, mention.language.as_ref())
                .compound,
        );
        for step in watch.push(&mention).unwrap() {
            alerts.extend(step.alerts);
        }
    }
    for step in watch.flush().unwrap() {
        alerts.extend(step.alerts);
    }
    let raised: Vec<_> = alerts.iter().filter(|a| !a.clear).collect();
    assert!(
        raised.iter().all(|a| a.at >= crisis.start),
        "false alarm before the crisis: {:?}",
        raised.iter().find(|a| a.at < crisis.start)
    );
    let first = raised.first().expect("the crisis raises an alert");
    let delay = first.at - crisis.start;
    println!(
        "first alert {} after the planted start: {}",
        delay, first.summary
    );
    assert!(delay <= chrono::TimeDelta::hours(3), "{delay}");
    let keys: BTreeSet<&str> = raised.iter().map(|a| a.key.as_str()).collect();
    assert!(keys.contains("brand:negative"), "{keys:?}");
}
