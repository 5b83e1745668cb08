-- Rollups of `events` for eventCounts and topPages (store/queries.py): events per UTC hour and
-- per UTC day by (category, name), and page views ('page interaction'/'pageview') per UTC hour
-- and per UTC day by (data->>'host', data->>'path'). A question over a long range reads whole
-- days and hours here and only its partial hours from `events`.
--
-- Statement-level triggers on `events` keep them in the transaction of every INSERT or DELETE
-- that goes through the `events` table, whoever runs it. Statements that name a partition
-- (events_default, a month) do not fire them: the partition code (store/partitions.py) moves
-- rows between the default partition and a new month, which changes no count, and drops whole
-- months together with their rollup rows. A row never holds a count of 0: the row goes.

CREATE TABLE event_counts_hourly (
    "hour"    timestamptz NOT NULL,
    category  text NOT NULL,
    name      text NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY ("hour", category, name)
);

CREATE TABLE event_counts_daily (
    day       timestamptz NOT NULL,
    category  text NOT NULL,
    name      text NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY (day, category, name)
);

-- host and path are null when the page view's data has none.
CREATE TABLE page_views_hourly (
    "hour"  timestamptz NOT NULL,
    host    text,
    path    text,
    views   bigint NOT NULL,
    CONSTRAINT page_views_hourly_key UNIQUE NULLS NOT DISTINCT ("hour", host, path)
);

CREATE TABLE page_views_daily (
    day    timestamptz NOT NULL,
    host   text,
    path   text,
    views  bigint NOT NULL,
    CONSTRAINT page_views_daily_key UNIQUE NULLS NOT DISTINCT (day, host, path)
);

-- Adds the rows a statement inserted to the rollups, or takes those it deleted away. Keys are
-- taken in one fixed order (table by table, key order within each), so concurrent transactions
-- wait for each other instead of deadlocking. After a delete, the rows brought to 0 go; only
-- this transaction can have brought a row to 0 (it holds the row's lock until it commits), so
-- that takes no new lock. Transition tables are visible in the trigger's own function only,
-- hence one function and dynamic SQL naming the statement's table.
CREATE FUNCTION events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'inserted_rows' ELSE 'deleted_rows' END;
    sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    rollup record;
BEGIN
    FOR rollup IN SELECT * FROM (VALUES
            (1, 'event_counts_hourly', 'hour', 'category, name', 'count', 'true'),
            (2, 'event_counts_daily', 'day', 'category, name', 'count', 'true'),
            (3, 'page_views_hourly', 'hour', 'host, path', 'views', 'pageview'),
            (4, 'page_views_daily', 'day', 'host, path', 'views', 'pageview'))
            AS r(n, tab, unit, keys, total, rows_of) ORDER BY n LOOP
        EXECUTE format($q$
            INSERT INTO %1$I AS r (%2$I, %3$s, %4$I)
            SELECT date_trunc(%2$L, "timestamp", 'UTC'), %5$s, count(*) * %6$s
            FROM %7$I WHERE %8$s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (%2$I, %3$s) DO UPDATE SET %4$I = r.%4$I + EXCLUDED.%4$I
            $q$, rollup.tab, rollup.unit, rollup.keys, rollup.total,
            CASE rollup.keys WHEN 'host, path' THEN $k$data->>'host', data->>'path'$k$
                             ELSE 'category, name' END,
            sign, changed,
            CASE rollup.rows_of WHEN 'pageview'
                 THEN $w$category = 'page interaction' AND name = 'pageview'$w$ ELSE 'true' END);
        IF sign < 0 THEN
            EXECUTE format($q$
                DELETE FROM %1$I WHERE %3$I = 0 AND %2$I = ANY (ARRAY(
                    SELECT DISTINCT date_trunc(%2$L, "timestamp", 'UTC') FROM %4$I))
                $q$, rollup.tab, rollup.unit, rollup.total, changed);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER events_rollup_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT
    EXECUTE FUNCTION events_rollup();
CREATE TRIGGER events_rollup_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT
    EXECUTE FUNCTION events_rollup();
-- An UPDATE that moved an event's time, category, name or page would leave the rollups wrong;
-- nothing updates events, and this keeps it so.
CREATE FUNCTION events_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are not updated: delete and insert instead (the rollups follow '
                    'inserts and deletes only)';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OF "timestamp", category, name, data ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_no_update();

-- The events stored before this migration.
INSERT INTO event_counts_hourly ("hour", category, name, count)
SELECT date_trunc('hour', "timestamp", 'UTC'), category, name, count(*)
FROM events GROUP BY 1, 2, 3;
INSERT INTO event_counts_daily (day, category, name, count)
SELECT date_trunc('day', "hour", 'UTC'), category, name, sum(count)
FROM event_counts_hourly GROUP BY 1, 2, 3;
INSERT INTO page_views_hourly ("hour", host, path, views)
SELECT date_trunc('hour', "timestamp", 'UTC'), data->>'host', data->>'path', count(*)
FROM events WHERE category = 'page interaction' AND name = 'pageview' GROUP BY 1, 2, 3;
INSERT INTO page_views_daily (day, host, path, views)
SELECT date_trunc('day', "hour", 'UTC'), host, path, sum(views)
FROM page_views_hourly GROUP BY 1, 2, 3;
