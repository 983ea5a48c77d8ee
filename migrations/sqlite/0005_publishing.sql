-- Publishing: the state a developer and staff move a plugin through, every decision on
-- the way (who and when), developer profiles, and install history for the console's charts.

-- draft → in_review → published | rejected; staff may unpublish. `is_published` stays
-- the marketplace's indexed flag and is kept equal to (review_state = 'published').
ALTER TABLE plugins ADD COLUMN review_state TEXT NOT NULL DEFAULT 'draft'
    CHECK (review_state IN ('draft', 'in_review', 'published', 'rejected', 'unpublished'));
-- The reason given with the last rejection or unpublishing, shown to the developer.
ALTER TABLE plugins ADD COLUMN review_reason TEXT;
ALTER TABLE plugins ADD COLUMN submitted_at INTEGER;
UPDATE plugins SET review_state = 'published' WHERE is_published = 1;
CREATE INDEX plugins_by_review_state ON plugins (review_state, submitted_at, id);
CREATE INDEX plugins_by_developer ON plugins (developer_id, id);

-- The public name a developer publishes under (a plugin's default author).
ALTER TABLE users ADD COLUMN developer_name TEXT;

CREATE TABLE plugin_decisions (
    id         INTEGER PRIMARY KEY,
    plugin_id  INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT    NOT NULL CHECK (action IN ('submitted', 'published', 'rejected', 'verified', 'unverified', 'unpublished')),
    reason     TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX plugin_decisions_plugin ON plugin_decisions (plugin_id, id);

-- Installs and uninstalls as they happened (an installation row keeps only its latest state).
CREATE TABLE install_events (
    id         INTEGER PRIMARY KEY,
    plugin_id  INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('installed', 'uninstalled')),
    happened_at INTEGER NOT NULL
);
CREATE INDEX install_events_plugin ON install_events (plugin_id, happened_at);
INSERT INTO install_events (plugin_id, tenant_id, kind, happened_at)
    SELECT plugin_id, tenant_id, 'installed', installed_at FROM installations WHERE status IN ('active', 'uninstalled');
INSERT INTO install_events (plugin_id, tenant_id, kind, happened_at)
    SELECT plugin_id, tenant_id, 'uninstalled', updated_at FROM installations WHERE status = 'uninstalled';

-- An icon its developer uploaded (PNG, JPEG or WebP, at most 256 KiB), served at /icons/{slug}.
CREATE TABLE plugin_icons (
    plugin_id    INTEGER PRIMARY KEY REFERENCES plugins(id) ON DELETE CASCADE,
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    updated_at   INTEGER NOT NULL
);
