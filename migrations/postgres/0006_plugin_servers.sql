-- Plugin servers (DESIGN.md §6): content processing jobs, and the tokens Plugboard holds
-- as the OAuth client of a plugin's own service. Tokens and secrets are stored sealed
-- (AES-256-GCM under PLUGBOARD_TOKEN_KEY), never in plaintext.

-- The plugin answers POST /plugin/{pluginId}: a Run action is offered on tasks.
ALTER TABLE plugins ADD COLUMN processes_content BIGINT NOT NULL DEFAULT 0 CHECK (processes_content IN (0, 1));
-- `oauth_config` (JSON: authorization_url, token_url, client_id, scopes) exists since 0001;
-- the client secret Plugboard authenticates with at the plugin's token URL, sealed.
ALTER TABLE plugins ADD COLUMN oauth_client_secret TEXT;

-- An authorization in flight: the random `state` (only its hash), bound to the browser
-- session that started it, with the PKCE verifier sealed. Single use, ten minutes.
CREATE TABLE service_connect_requests (
    state_hash      TEXT    PRIMARY KEY,
    session_hash    TEXT    NOT NULL,
    installation_id BIGINT  NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    pkce_verifier   TEXT    NOT NULL,
    expires_at      BIGINT  NOT NULL
);

-- A user's connection to a plugin's service: the tokens Plugboard got as its OAuth client.
CREATE TABLE service_connections (
    installation_id BIGINT  NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    access_token    TEXT    NOT NULL,
    refresh_token   TEXT,
    expires_at      BIGINT,
    scopes          TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (installation_id, user_id)
);

-- A Run: content sent to a plugin server. A synchronous answer finishes it at once; an
-- asynchronous one leaves it pending until the plugin posts to /api/v1/jobs/{id}, or
-- until its deadline passes.
CREATE TABLE plugin_jobs (
    id              TEXT    PRIMARY KEY,
    installation_id BIGINT  NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    task_id         BIGINT  REFERENCES tasks(id) ON DELETE SET NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'timed_out')),
    result          TEXT,
    error           TEXT,
    created_at      BIGINT  NOT NULL,
    deadline_at     BIGINT  NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX plugin_jobs_tenant ON plugin_jobs (tenant_id, created_at DESC);
CREATE INDEX plugin_jobs_pending ON plugin_jobs (status, deadline_at);
