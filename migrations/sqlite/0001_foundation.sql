-- Plugboard foundation schema (SQLite). Times are unix seconds; flags are 0/1 integers
-- so that one SQL text serves SQLite and PostgreSQL through sqlx's Any driver.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_developer  INTEGER NOT NULL DEFAULT 0 CHECK (is_developer IN (0, 1)),
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id);

-- The cookie holds a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per key ("email:…" or "ip:…"), for rate limiting across instances.
CREATE TABLE login_failures (
    key        TEXT    NOT NULL,
    failed_at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

CREATE TABLE plugins (
    id                        INTEGER PRIMARY KEY,
    slug                      TEXT    NOT NULL UNIQUE,
    name                      TEXT    NOT NULL,
    description               TEXT    NOT NULL,
    author                    TEXT    NOT NULL,
    author_url                TEXT,
    icon_url                  TEXT,
    category                  TEXT    NOT NULL CHECK (category IN ('productivity', 'communication', 'developer-tools', 'analytics', 'automation', 'security', 'finance', 'marketing', 'support')),
    install_count             INTEGER NOT NULL DEFAULT 0,
    rating                    REAL    NOT NULL DEFAULT 0,
    review_count              INTEGER NOT NULL DEFAULT 0,
    is_verified               INTEGER NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
    is_published              INTEGER NOT NULL DEFAULT 0 CHECK (is_published IN (0, 1)),
    client_id                 TEXT    NOT NULL UNIQUE,
    client_secret_hash        TEXT    NOT NULL,
    permissions               TEXT    NOT NULL DEFAULT '[]',
    redirect_uris             TEXT    NOT NULL DEFAULT '[]',
    webhook_url               TEXT,
    oauth_config              TEXT,
    config_schema             TEXT,
    kind                      TEXT    NOT NULL DEFAULT 'server' CHECK (kind IN ('server', 'client', 'both')),
    server_url                TEXT,
    bundle                    TEXT,
    show_authorization_button INTEGER NOT NULL DEFAULT 0 CHECK (show_authorization_button IN (0, 1)),
    monetized                 INTEGER NOT NULL DEFAULT 0 CHECK (monetized IN (0, 1)),
    developer_id              INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);
CREATE INDEX plugins_by_installs ON plugins (is_published, install_count DESC, id DESC);
CREATE INDEX plugins_by_category ON plugins (is_published, category, install_count DESC, id DESC);
CREATE INDEX plugins_by_rating   ON plugins (is_published, rating DESC, review_count DESC, id DESC);
CREATE INDEX plugins_by_newest   ON plugins (is_published, created_at DESC, id DESC);
CREATE INDEX plugins_by_name     ON plugins (is_published, lower(name), id);

-- Full-text index over name and description, kept in step by triggers.
CREATE VIRTUAL TABLE plugins_fts USING fts5(
    name, description,
    content = 'plugins', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER plugins_fts_insert AFTER INSERT ON plugins BEGIN
    INSERT INTO plugins_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER plugins_fts_delete AFTER DELETE ON plugins BEGIN
    INSERT INTO plugins_fts (plugins_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER plugins_fts_update AFTER UPDATE OF name, description ON plugins BEGIN
    INSERT INTO plugins_fts (plugins_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO plugins_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TABLE installations (
    id             INTEGER PRIMARY KEY,
    plugin_id      INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    granted_scopes TEXT    NOT NULL DEFAULT '[]',
    config         TEXT    NOT NULL DEFAULT '{}',
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'uninstalled')),
    installed_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    installed_at   INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (plugin_id, tenant_id)
);
CREATE INDEX installations_tenant ON installations (tenant_id, status);

CREATE TABLE reviews (
    id         INTEGER PRIMARY KEY,
    plugin_id  INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       TEXT    NOT NULL,
    reply      TEXT,
    replied_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (plugin_id, tenant_id)
);
CREATE INDEX reviews_plugin ON reviews (plugin_id, updated_at DESC);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX projects_tenant ON projects (tenant_id, id);

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'doing', 'done')),
    assignee_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    due_date    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tasks_tenant_project ON tasks (tenant_id, project_id, id);
