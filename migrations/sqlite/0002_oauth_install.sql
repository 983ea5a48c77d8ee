-- Install = OAuth 2.0: consent requests, codes, grants and tokens (only hashes are
-- stored), per-key rate-limit counters, and the webhook outbox with its attempts.

-- The plugin signs webhooks with this `whsec_…` secret, so it is kept (a hash would not do).
ALTER TABLE plugins ADD COLUMN webhook_secret TEXT;
ALTER TABLE plugins ADD COLUMN webhook_disabled_at INTEGER;
ALTER TABLE plugins ADD COLUMN webhook_disabled_reason TEXT;
-- Set at the first failed delivery, cleared by a success: five days of failure disable the endpoint.
ALTER TABLE plugins ADD COLUMN webhook_failing_since INTEGER;

-- A consent screen that was shown: the form posts back only its random id, which also
-- serves as the CSRF token (it is bound to the signed-in user).
CREATE TABLE consent_requests (
    id_hash        TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id      INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    scopes         TEXT    NOT NULL,
    state          TEXT,
    code_challenge TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL
);

-- One code exchange starts one grant; every token descends from a grant, so reuse
-- detection revokes the grant and with it the whole family.
CREATE TABLE oauth_grants (
    id              INTEGER PRIMARY KEY,
    plugin_id       INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    scopes          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX oauth_grants_installation ON oauth_grants (installation_id);

CREATE TABLE oauth_codes (
    code_hash       TEXT    PRIMARY KEY,
    plugin_id       INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    redirect_uri    TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    code_challenge  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    grant_id        INTEGER REFERENCES oauth_grants(id) ON DELETE SET NULL
);
CREATE INDEX oauth_codes_installation ON oauth_codes (installation_id);

CREATE TABLE oauth_tokens (
    token_hash      TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id        INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    plugin_id       INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    scopes          TEXT    NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    revoked_at      INTEGER
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);

-- Fixed-window counters shared by every server instance.
CREATE TABLE rate_limits (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- The outbox: written in the same transaction as the change it reports.
CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    plugin_id       INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    installation_id INTEGER REFERENCES installations(id) ON DELETE SET NULL,
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    lock_token      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at);
CREATE INDEX webhook_events_plugin ON webhook_events (plugin_id, id DESC);

CREATE TABLE webhook_attempts (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    attempted_at     INTEGER NOT NULL,
    status_code      INTEGER,
    latency_ms       INTEGER NOT NULL,
    response_excerpt TEXT,
    error            TEXT
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, attempt);
