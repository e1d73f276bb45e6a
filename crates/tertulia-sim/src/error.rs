//! The one error type of this crate.

/// A simulation configuration that cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A setting is outside the range it allows.
    #[error("simulation setting {field} is {value}: {expected}")]
    Setting {
        /// The setting, for example `weeks` or `accounts[1].posts_per_week`.
        field: String,
        /// The value given, printed.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A value of the shared vocabulary was refused (a handle, an audience, ...).
    #[error("simulation setting {field}: {source}")]
    Core {
        /// The setting it came from.
        field: String,
        /// What was wrong with it.
        source: tertulia_core::Error,
    },
}
