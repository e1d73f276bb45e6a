-- The publishing queue: channels, posts with one target per channel, the
-- audit trail, recurring series and metric snapshots. Instants are
-- microseconds since 1970-01-01 UTC; JSON is text.
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    account TEXT NOT NULL,
    zone TEXT NOT NULL,
    constraints TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (platform, account)
);

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    content TEXT NOT NULL,
    channels TEXT NOT NULL,
    rule TEXT NOT NULL,
    expanded_through BIGINT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    content TEXT NOT NULL,
    zone TEXT NOT NULL,
    at BIGINT,
    approver TEXT,
    approval TEXT NOT NULL,
    series_id BIGINT REFERENCES series (id),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (series_id, at)
);

CREATE TABLE media (
    post_id BIGINT NOT NULL REFERENCES posts (id),
    variant TEXT NOT NULL,
    part BIGINT NOT NULL,
    position BIGINT NOT NULL,
    mime TEXT NOT NULL,
    alt_text TEXT,
    bytes BLOB NOT NULL,
    PRIMARY KEY (post_id, variant, part, position)
);

CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id),
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    state TEXT NOT NULL,
    due_at BIGINT,
    next_try_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    error TEXT,
    retry_safe BIGINT,
    published TEXT,
    published_at BIGINT,
    sent_at BIGINT,
    claimed_from TEXT,
    previous_owner TEXT,
    UNIQUE (post_id, channel_id)
);
CREATE INDEX targets_by_state ON targets (state, due_at);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id),
    target_id BIGINT REFERENCES targets (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    why TEXT NOT NULL
);
CREATE INDEX events_by_post ON events (post_id, id);

CREATE TABLE snapshots (
    target_id BIGINT NOT NULL REFERENCES targets (id),
    age_seconds BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    taken_at BIGINT,
    metrics TEXT,
    error TEXT,
    PRIMARY KEY (target_id, age_seconds)
);
CREATE INDEX snapshots_due ON snapshots (taken_at, due_at);
