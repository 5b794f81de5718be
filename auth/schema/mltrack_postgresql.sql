-- mltrack's own tables in the auth database (PostgreSQL), beside MLflow's (which are never altered):
-- revocable API tokens and the audit log of user, permission, role and token changes.
-- Created if missing at every start; MLflow's auth server ignores them.
CREATE TABLE IF NOT EXISTS mltrack_auth_tokens (
	id VARCHAR(32) NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL,
	name VARCHAR(255) NOT NULL,
	token_hash VARCHAR(64) NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT,
	revoked_at BIGINT
);
CREATE INDEX IF NOT EXISTS mltrack_auth_tokens_user ON mltrack_auth_tokens (user_id);
CREATE TABLE IF NOT EXISTS mltrack_auth_audit (
	id BIGSERIAL PRIMARY KEY,
	ts BIGINT NOT NULL,
	actor VARCHAR(255),
	action VARCHAR(64) NOT NULL,
	target VARCHAR(512),
	detail VARCHAR(2048)
);
