//! The one error type of the store.

/// What went wrong with the store. `location` is the file, or the server
/// and database, never a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address names no store tertulia can open.
    #[error(
        "{url:?} is not a store address: give a file path (tertulia.db), sqlite://PATH or postgres://USER@HOST/DATABASE"
    )]
    Address {
        /// What was given (without its password).
        url: String,
    },
    /// The file or database holds something else.
    #[error("{location} is not a tertulia database: {detail}; give another --db")]
    NotTertulia {
        /// Where.
        location: String,
        /// What was found.
        detail: String,
    },
    /// The database was written by a newer version of tertulia.
    #[error(
        "{location} was written by a newer tertulia (its schema has migration {version}, this tertulia knows up to {known}): upgrade tertulia to open it"
    )]
    Newer {
        /// Where.
        location: String,
        /// The newest migration in the database.
        version: i64,
        /// The newest this version knows.
        known: i64,
    },
    /// Another program holds the file's lock for longer than the wait.
    #[error(
        "{location} is locked by another program (waited {waited_s} s): close it, or wait and try again"
    )]
    Locked {
        /// Where.
        location: String,
        /// How long the store waited.
        waited_s: u64,
    },
    /// The database cannot be reached.
    #[error(
        "cannot reach {location}: {detail}; check that the server runs and the address is right"
    )]
    Unavailable {
        /// Where.
        location: String,
        /// What the driver said.
        detail: String,
    },
    /// The database refused a statement or failed.
    #[error("{location}: {source}")]
    Database {
        /// Where.
        location: String,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value could not be read back.
    #[error("{location}: {what} could not be read: {detail}; the database was changed by hand?")]
    Corrupt {
        /// Where.
        location: String,
        /// Which value (`post 12 content`).
        what: String,
        /// Why.
        detail: String,
    },
    /// No channel of that name.
    #[error("no channel named {name:?}; {}", if known.is_empty() { "add one with `tertulia channels add`".to_owned() } else { format!("the channels are: {}", known.join(", ")) })]
    UnknownChannel {
        /// The name asked for.
        name: String,
        /// The channels there are.
        known: Vec<String>,
    },
    /// No such post (or series, or target).
    #[error("no {what} {id} in the store; `tertulia queue list` shows what there is")]
    NotFound {
        /// `post`, `target`, `series`.
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// What was asked does not fit the post's state.
    #[error("post {post}: {message}")]
    Refused {
        /// The post.
        post: i64,
        /// Why, and what can be done.
        message: String,
    },
    /// A value given to the store is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// The result type of the store.
pub type Result<T, E = Error> = std::result::Result<T, E>;
