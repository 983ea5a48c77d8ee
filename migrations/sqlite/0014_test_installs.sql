-- Test installs (issue 20). A developer invites an organisation, named, to install a plugin
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
