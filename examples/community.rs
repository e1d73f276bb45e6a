//! Embed the simulator: generate a community, then measure it as a user
//! would and compare with the planted truth.
//!
//! Run: `cargo run --example community -- [SEED]`.

use std::collections::BTreeMap;

use tertulia::core::{Metric, PostKind};
use tertulia::sim::{SimConfig, Simulation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(s) => s.parse().map_err(|e| format!("SEED {s:?}: {e}"))?,
        None => 7,
    };
    let sim = Simulation::new(SimConfig::default().with_seed(seed).with_weeks(26))?;

    // Interactions per account reached, by post kind, as a ratio of sums.
    // Posts without a reported reach (Bluesky) or with a missing count are
    // left out, not counted as zero.
    let mut by_kind: BTreeMap<PostKind, (u64, u64)> = BTreeMap::new();
    for post in sim.posts() {
        let m = &post.metrics;
        let counts = [Metric::Likes, Metric::Comments, Metric::Shares].map(|x| m.get(x));
        if let ([Some(l), Some(c), Some(s)], Some(reach)) = (counts, m.reach) {
            let e = by_kind.entry(post.kind).or_default();
            e.0 += l + c + s;
            e.1 += reach;
        }
    }
    println!("kind         observed  planted effect");
    for (kind, (interactions, reach)) in &by_kind {
        let rate = *interactions as f64 / *reach as f64;
        let effect = sim.truth().kind_effects[kind];
        println!("{:<12} {:>7.2}%  ×{effect:.2}", kind.name(), 100.0 * rate);
    }
    for account in &sim.truth().accounts {
        let best = account.best_slots[0];
        println!(
            "{} ({}): planted best slot {} {:02}:00",
            account.handle, account.home, best.weekday, best.hour
        );
    }
    Ok(())
}
