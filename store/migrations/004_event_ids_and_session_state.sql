-- Client event ids seen within the dedup window (EYE_DEDUP_WINDOW), with where each was first
-- read. The worker checks a batch's ids here and adds them in the transaction of its events:
-- the duplicate check no longer costs a table write and a changelog record per event.
CREATE TABLE event_ids (
    id               uuid PRIMARY KEY,
    kafka_partition  integer NOT NULL,
    kafka_offset     bigint NOT NULL,
    seen_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_ids_seen_at ON event_ids USING brin (seen_at);
INSERT INTO event_ids (id, kafka_partition, kafka_offset, seen_at)
SELECT DISTINCT ON (id) id, kafka_partition, kafka_offset, received_at FROM events
WHERE received_at > now() - interval '7 days' ORDER BY id, received_at
ON CONFLICT DO NOTHING;

-- The worker's state of the session after the events stored with it (streams/sessions.py,
-- Session.to_bytes), written in the same transaction: where a worker that takes over the
-- partition picks the session up, since the worker's session table keeps no changelog.
ALTER TABLE sessions ADD COLUMN state bytea;
