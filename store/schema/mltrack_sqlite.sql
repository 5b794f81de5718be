-- mltrack's own tables beside MLflow's schema (SQLite). Every name starts with mltrack_ so
-- that MLflow's tables stay exactly as `mlflow db upgrade` makes them; these statements are
-- run at every start-up and are idempotent.

-- The model registry audit log: every stage transition and alias change, with who and when.
CREATE TABLE IF NOT EXISTS mltrack_registry_audit (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
	timestamp BIGINT NOT NULL,
	user_id VARCHAR(256),
	action VARCHAR(32) NOT NULL,
	name VARCHAR(256) NOT NULL,
	version INTEGER,
	alias VARCHAR(256),
	old_value VARCHAR(256),
	new_value VARCHAR(256)
);
CREATE INDEX IF NOT EXISTS mltrack_registry_audit_name ON mltrack_registry_audit (workspace, name, id);

-- Tag filters in searches ("tags.team = 'a'"): MLflow keys the tags table (key, run_uuid),
-- so a filter on a tag that every run carries reads every run's row for its value. This
-- index holds the value, and the run, so the filter is one range of it. (SQLite only:
-- PostgreSQL's btree refuses entries over about 2.7 kB, and tag values may be 8,000
-- characters.)
CREATE INDEX IF NOT EXISTS mltrack_tags_key_value ON tags (key, value, run_uuid);

-- The tags of traces, by trace: MLflow keys trace_tags (key, request_id) and indexes
-- request_id alone, so reading a page's tags, or a tag filter's probe of each trace a
-- search visits, fetches every tag's row for its value. This index holds the key and the
-- value in the trace's order: a page's tags are one range of it, already sorted, and a
-- probe is one seek (query/sql_traces.c names it, for the planner would take the unique
-- primary key). Partial, and only mltrack's queries say `key <> 'mlflow.traceName'`:
-- SQLite then never offers it to MLflow's, whose tag-filter plan it would otherwise turn
-- into a scan of the key's every row (1 ms -> 65 ms on 100,000 traces).
CREATE INDEX IF NOT EXISTS mltrack_trace_tags_request ON trace_tags (request_id, key, value)
	WHERE key <> 'mlflow.traceName';

-- Trace tag filters of trace metrics ("trace.tag.team = 'a'"): MLflow's primary key (key,
-- request_id) leaves the value in the row, so the filter fetched the row of every trace
-- carrying the key (200 ms for 100,000 traces); here the traces of one (key, value) are a
-- range of the index alone. Partial, as mltrack_trace_tags_request is: without the name
-- (in trace_info) and the two tags every trace gets (their values are the trace's own), so
-- ingest writes an entry only for the tags users set; mltrack's filter says the same
-- NOT IN (query/sql_trace_metrics.c), and MLflow's queries, which never do, never see it.
CREATE INDEX IF NOT EXISTS mltrack_trace_tags_value ON trace_tags (key, value, request_id)
	WHERE key NOT IN ('mlflow.traceName', 'mlflow.artifactLocation', 'mlflow.trace.spansLocation');

-- Trace searches by state ("trace.status = 'OK'"), newest first: MLflow's index
-- (experiment_id, timestamp_ms) leaves the state and the id in the row, which the search
-- then fetches for every trace it passes over. Here both are in the index, so only the
-- page's rows are read.
CREATE INDEX IF NOT EXISTS mltrack_trace_info_status ON trace_info (experiment_id, status, timestamp_ms, request_id);

-- Registry webhooks' outbox: one row per (event, subscribed webhook), written in the very
-- transaction of the registry change that caused it, sent by the delivery thread after
-- commit (hooks/deliver.c) and deleted once delivered or given up. lease_until is a claim:
-- a sender takes a row by moving it into the future, so several processes on one database
-- never send a row at the same time, and a killed sender's rows come back when it passes.
CREATE TABLE IF NOT EXISTS mltrack_webhook_deliveries (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	webhook_id VARCHAR(256) NOT NULL,
	entity VARCHAR(50) NOT NULL,
	action VARCHAR(50) NOT NULL,
	payload TEXT NOT NULL,
	created BIGINT NOT NULL,
	attempts INTEGER DEFAULT 0 NOT NULL,
	next_attempt BIGINT NOT NULL,
	lease_until BIGINT DEFAULT 0 NOT NULL,
	delivery_id VARCHAR(36)
);
CREATE INDEX IF NOT EXISTS mltrack_webhook_deliveries_due ON mltrack_webhook_deliveries (next_attempt);
-- Artifact locations of entities `mltrack gc` has deleted, written in the transaction that
-- deleted their rows and removed once the files are gone: a gc that stops in between (or
-- cannot reach the store) leaves them here, and the next gc removes them first.
CREATE TABLE IF NOT EXISTS mltrack_gc_pending (
	location TEXT NOT NULL PRIMARY KEY,
	entity VARCHAR(64) NOT NULL,
	entity_id VARCHAR(64) NOT NULL,
	queued_time BIGINT NOT NULL
);
