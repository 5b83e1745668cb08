-- Events whose month has no partition land here instead of failing: timestamps outside the
-- window of months the writer makes partitions for (store/partitions.py), and late events of
-- a month that retention dropped. Without it, one absurd timestamp made a table of its own.
-- A month made later takes its rows out of here first: PostgreSQL refuses to make a partition
-- while the default one holds rows of its range.

CREATE TABLE events_default PARTITION OF events DEFAULT;
