-- mltrack's own tables beside MLflow's schema (PostgreSQL). Every name starts with mltrack_ so
-- that MLflow's tables stay exactly as `mlflow db upgrade` makes them; these statements are
-- run at every start-up (under the schema advisory lock) and are idempotent.

-- The model registry audit log: every stage transition and alias change, with who and when.
CREATE TABLE IF NOT EXISTS mltrack_registry_audit (
    id BIGSERIAL NOT NULL PRIMARY KEY,
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

-- Registry webhooks' outbox (see mltrack_sqlite.sql).
CREATE TABLE IF NOT EXISTS mltrack_webhook_deliveries (
	id BIGSERIAL PRIMARY KEY,
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
