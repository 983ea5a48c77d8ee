-- Plugin versions (issue 17): everything staff review belongs to a version. A plugin has
-- at most one draft (what its developer edits), at most one version in review, and the
-- versions staff published, kept unchanged with their release notes; the last one
-- published is live. The `plugins` row holds the live version's reviewed fields (or,
-- until a first version is published, the draft's, which only its developer can
-- install), so everything that runs reads one row, as before.

-- Client-side bundles by their content's hash: a version names the bundle it ships.
CREATE TABLE bundles (
    sha256     TEXT    PRIMARY KEY,
    -- Subresource Integrity of the bytes (`sha384-…`).
    integrity  TEXT    NOT NULL,
    bytes      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO bundles (sha256, integrity, bytes, created_at)
    SELECT b.sha256, b.integrity, b.bytes, b.updated_at FROM plugin_bundles b
    WHERE b.plugin_id = (SELECT MIN(o.plugin_id) FROM plugin_bundles o WHERE o.sha256 = b.sha256);
ALTER TABLE plugins ADD COLUMN bundle_sha256 TEXT REFERENCES bundles(sha256);
UPDATE plugins SET bundle_sha256 = (SELECT b.sha256 FROM plugin_bundles b WHERE b.plugin_id = plugins.id);
DROP TABLE plugin_bundles;

CREATE TABLE plugin_versions (
    id                        INTEGER PRIMARY KEY,
    plugin_id                 INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    -- 1, 2, 3… within the plugin.
    number                    INTEGER NOT NULL,
    state                     TEXT    NOT NULL CHECK (state IN ('draft', 'in_review', 'published', 'rejected')),
    name                      TEXT    NOT NULL,
    description               TEXT    NOT NULL,
    author                    TEXT    NOT NULL,
    author_url                TEXT,
    icon_url                  TEXT,
    category                  TEXT    NOT NULL CHECK (category IN ('productivity', 'communication', 'developer-tools', 'analytics', 'automation', 'security', 'finance', 'marketing', 'support')),
    permissions               TEXT    NOT NULL,
    webhook_url               TEXT,
    server_url                TEXT,
    show_authorization_button INTEGER NOT NULL CHECK (show_authorization_button IN (0, 1)),
    monetized                 INTEGER NOT NULL CHECK (monetized IN (0, 1)),
    processes_content         INTEGER NOT NULL CHECK (processes_content IN (0, 1)),
    oauth_config              TEXT,
    -- Sealed; it belongs with the OAuth client `oauth_config` names.
    oauth_client_secret       TEXT,
    bundle_sha256             TEXT    REFERENCES bundles(sha256),
    client_origins            TEXT    NOT NULL,
    -- "What's new", given when the version is submitted.
    release_notes             TEXT,
    -- The reason staff gave when they rejected it.
    review_reason             TEXT,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    submitted_at              INTEGER,
    -- When staff published or rejected it.
    decided_at                INTEGER,
    UNIQUE (plugin_id, number)
);
CREATE UNIQUE INDEX plugin_versions_one_draft ON plugin_versions (plugin_id) WHERE state = 'draft';
CREATE UNIQUE INDEX plugin_versions_one_in_review ON plugin_versions (plugin_id) WHERE state = 'in_review';
CREATE INDEX plugin_versions_by_state ON plugin_versions (state, submitted_at, id);

-- Today's plugins become one version each: live when the plugin is (or was, until staff
-- unpublished it) published, else in the state it is in. A plugin in review or rejected
-- may be one that went back to review while published: its installations keep running
-- the row as it is, and a console edit no longer reaches the row while any organisation
-- but its developer's has it installed (`store::versions::mirror_unpublished`).
INSERT INTO plugin_versions (plugin_id, number, state, name, description, author, author_url, icon_url, category, permissions,
        webhook_url, server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret,
        bundle_sha256, client_origins, release_notes, review_reason, created_at, updated_at, submitted_at, decided_at)
    SELECT id, 1,
           CASE review_state WHEN 'unpublished' THEN 'published' ELSE review_state END,
           name, description, author, author_url, icon_url, category, permissions,
           webhook_url, server_url, show_authorization_button, monetized, processes_content, oauth_config, oauth_client_secret,
           bundle_sha256, client_origins,
           CASE WHEN review_state IN ('published', 'unpublished') THEN 'The version published before Plugboard kept versions.' END,
           CASE WHEN review_state = 'rejected' THEN review_reason END,
           created_at, updated_at, submitted_at,
           -- When staff last published (or rejected) it, as their decisions recorded.
           CASE WHEN review_state IN ('published', 'unpublished', 'rejected') THEN
               COALESCE((SELECT MAX(d.created_at) FROM plugin_decisions d WHERE d.plugin_id = plugins.id
                          AND d.action = CASE WHEN plugins.review_state = 'rejected' THEN 'rejected' ELSE 'published' END), updated_at)
           END
    FROM plugins;

-- Uploaded icons are kept per upload (its address says which: /icons/{slug}?v=…), so a
-- draft's new icon is not the live version's until staff publish it.
CREATE TABLE plugin_icons_next (
    plugin_id    INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    v            INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (plugin_id, v)
);
INSERT INTO plugin_icons_next (plugin_id, v, content_type, bytes, updated_at)
    SELECT plugin_id, updated_at, content_type, bytes, updated_at FROM plugin_icons;
DROP TABLE plugin_icons;
ALTER TABLE plugin_icons_next RENAME TO plugin_icons;

-- Staff can suspend a published plugin: every token dies, nothing of it runs, the
-- marketplace hides it; lifting it lets each installing tenant reactivate with a consent.
ALTER TABLE plugins ADD COLUMN suspended_at INTEGER;
ALTER TABLE plugins ADD COLUMN suspension_reason TEXT;

-- An installation stopped by its plugin's suspension: it runs again after its tenant's
-- next consent.
ALTER TABLE installations ADD COLUMN suspended_at INTEGER;
-- The live version whose wider scopes the tenant declined (the request is not shown
-- again until a later version asks).
ALTER TABLE installations ADD COLUMN declined_version INTEGER;

-- Events for a suspended plugin are kept and held until the suspension is lifted.
ALTER TABLE webhook_events ADD COLUMN held_at INTEGER;

-- Decisions name the version they were about; staff suspend and reinstate plugins.
CREATE TABLE plugin_decisions_next (
    id         INTEGER PRIMARY KEY,
    plugin_id  INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT    NOT NULL CHECK (action IN ('submitted', 'published', 'rejected', 'verified', 'unverified', 'unpublished', 'suspended', 'reinstated')),
    reason     TEXT,
    version    INTEGER,
    created_at INTEGER NOT NULL
);
INSERT INTO plugin_decisions_next (id, plugin_id, actor_id, action, reason, version, created_at)
    SELECT id, plugin_id, actor_id, action, reason, CASE WHEN action IN ('submitted', 'published', 'rejected') THEN 1 END, created_at FROM plugin_decisions;
DROP TABLE plugin_decisions;
ALTER TABLE plugin_decisions_next RENAME TO plugin_decisions;
CREATE INDEX plugin_decisions_plugin ON plugin_decisions (plugin_id, id);

-- A card shows the author, the icon and the verified badge too: their changes take a
-- catalog version like the rest.
DROP TRIGGER plugins_catalog_update;
CREATE TRIGGER plugins_catalog_update
AFTER UPDATE OF name, description, category, is_published, install_count, rating, review_count, created_at, author, icon_url, is_verified ON plugins
WHEN old.name IS NOT new.name OR old.description IS NOT new.description OR old.category IS NOT new.category
  OR old.is_published IS NOT new.is_published OR old.install_count IS NOT new.install_count
  OR old.rating IS NOT new.rating OR old.review_count IS NOT new.review_count OR old.created_at IS NOT new.created_at
  OR old.author IS NOT new.author OR old.icon_url IS NOT new.icon_url OR old.is_verified IS NOT new.is_verified
BEGIN
    UPDATE catalog_sequence SET value = value + 1 WHERE id = 1;
    UPDATE plugins SET catalog_version = (SELECT value FROM catalog_sequence WHERE id = 1) WHERE id = new.id;
END;
