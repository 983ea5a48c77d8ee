-- Test installs and private plugins (issue 20). A developer invites an organisation, named, to install a plugin
-- staff have not published yet: the invite is a link (stored by the SHA-256 of its token)
-- that an owner or admin of an organisation of that name accepts, binding it to their
-- tenant. While the plugin is unpublished, a tenant with a live (accepted, unrevoked)
-- invite may see and install it as its developer may. Revoking uninstalls it there.
CREATE TABLE plugin_invites (
    id           INTEGER PRIMARY KEY,
    plugin_id    INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    organisation TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    tenant_id    INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
    accepted_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX plugin_invites_plugin ON plugin_invites (plugin_id, id);
-- One live invite per tenant and plugin; the gates look it up by tenant.
CREATE UNIQUE INDEX plugin_invites_tenant ON plugin_invites (tenant_id, plugin_id) WHERE revoked_at IS NULL;

-- Private plugins: a version may be published for the invited organisations only (a
-- tenant's own internal tools). It is reviewed like every field, and the marketplace never
-- lists a private plugin, so its catalog version moves when it changes.
ALTER TABLE plugin_versions ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1));
ALTER TABLE plugins ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1));
DROP TRIGGER plugins_catalog_update;
CREATE TRIGGER plugins_catalog_update
AFTER UPDATE OF name, description, category, is_published, install_count, rating, review_count, created_at, author, icon_url, is_verified, is_private ON plugins
WHEN old.name IS NOT new.name OR old.description IS NOT new.description OR old.category IS NOT new.category
  OR old.is_published IS NOT new.is_published OR old.install_count IS NOT new.install_count
  OR old.rating IS NOT new.rating OR old.review_count IS NOT new.review_count OR old.created_at IS NOT new.created_at
  OR old.author IS NOT new.author OR old.icon_url IS NOT new.icon_url OR old.is_verified IS NOT new.is_verified
  OR old.is_private IS NOT new.is_private
BEGIN
    UPDATE catalog_sequence SET value = value + 1 WHERE id = 1;
    UPDATE plugins SET catalog_version = (SELECT value FROM catalog_sequence WHERE id = 1) WHERE id = new.id;
END;
