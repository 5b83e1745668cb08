-- The four tables of The Eye. Events are range-partitioned by event time, one partition a
-- month, created by the writer as it meets new months (see store/partitions.py).

CREATE TABLE applications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE events (
    id              uuid NOT NULL,
    session_id      text NOT NULL,
    category        text NOT NULL,
    name            text NOT NULL,
    data            jsonb NOT NULL,
    "timestamp"     timestamptz NOT NULL,
    application_id  bigint,
    received_at     timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    -- Where the event was read: tells a redelivery (same place) from a duplicate (elsewhere).
    kafka_partition integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    -- A partitioned table's unique keys must hold the partition key; an event delivered twice
    -- carries the same id and time, so this still makes redelivery a no-op.
    PRIMARY KEY (id, "timestamp")
) PARTITION BY RANGE ("timestamp");

CREATE INDEX events_session_time ON events (session_id, "timestamp", id);
CREATE INDEX events_category_time ON events (category, name, "timestamp", id);
CREATE INDEX events_time ON events ("timestamp", id);

-- One row per session, written from the worker's session table (streams/sessions.py).
CREATE TABLE sessions (
    session_id        text PRIMARY KEY,
    application_id    bigint,
    first_seen        timestamptz NOT NULL,
    last_seen         timestamptz NOT NULL,
    duration_seconds  double precision NOT NULL,
    event_count       integer NOT NULL,
    pageviews         integer NOT NULL,
    entry_page        text,
    exit_page         text,
    bounce            boolean NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_first_seen ON sessions (first_seen, session_id);

CREATE TABLE errors (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reason          text NOT NULL,
    detail          text NOT NULL,
    payload         bytea,
    headers         jsonb NOT NULL DEFAULT '{}',
    topic           text NOT NULL,
    "partition"     integer NOT NULL,
    "offset"        bigint NOT NULL,
    received_at     timestamptz NOT NULL,
    application_id  bigint,
    -- The hash of the app key sent (never the key), so `eye replay` can judge it again.
    app_key_hash    bytea,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    -- One row per message read, however often it is read.
    UNIQUE (topic, "partition", "offset")
);
CREATE INDEX errors_reason_time ON errors (reason, received_at);
CREATE INDEX errors_time ON errors (received_at);

-- Troubles of The Eye itself that belong to no message, such as a database outage.
CREATE TABLE incidents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    detail      text NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    attempts    integer NOT NULL
);
