//! The options every command that simulates a community shares.

use chrono_tz::Tz;
use clap::Args;
use tertulia_sim::{SimConfig, Simulation};

use crate::CliError;

/// Which community to simulate.
#[derive(Debug, Clone, Args)]
pub(crate) struct CommunityArgs {
    /// The seed: the same seed gives the same community, byte for byte.
    #[arg(long, default_value_t = 7, allow_negative_numbers = true)]
    pub seed: u64,
    /// How many weeks to simulate (1 to 1040).
    #[arg(long, default_value_t = 12, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(tertulia_sim::MAX_WEEKS)))]
    pub weeks: u32,
    /// The IANA time zone the brand's main account is run from, for example America/New_York.
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub tz: Option<Tz>,
    /// Posts each account publishes a week (0 to 100000; default: each account's own).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(tertulia_sim::MAX_POSTS_PER_WEEK)))]
    pub posts_per_week: Option<u32>,
}

pub(crate) fn parse_zone(name: &str) -> Result<Tz, String> {
    tertulia_core::time_zone(name).map_err(|e| e.to_string())
}

impl CommunityArgs {
    /// The simulation these options describe.
    pub fn simulation(&self) -> Result<Simulation, CliError> {
        let mut config = SimConfig::default()
            .with_seed(self.seed)
            .with_weeks(self.weeks);
        if let Some(zone) = self.tz {
            config = config.with_home_zone(zone);
        }
        if let Some(posts) = self.posts_per_week {
            config = config.with_posts_per_week(posts);
        }
        Ok(Simulation::new(config)?)
    }
}
