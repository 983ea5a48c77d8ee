-- Reuse detection made visible (issue 20). A grant revoked because one of its refresh
-- tokens or its code was presented twice says so (`refresh_reused` or `code_reused`;
-- NULL for every other end), so the token endpoint can tell the plugin why, and the
-- installation's admins see "Reconnect needed".
ALTER TABLE oauth_grants ADD COLUMN revoked_for TEXT;

-- Refused codes and refresh tokens of a known installation, for the developer's console
-- (token health). Kept as long as webhook history, then pruned.
CREATE TABLE oauth_token_failures (
    id              INTEGER PRIMARY KEY,
    plugin_id       INTEGER NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX oauth_token_failures_plugin ON oauth_token_failures (plugin_id, at);
-- At most one row of a kind per installation a minute: the check looks here.
CREATE INDEX oauth_token_failures_installation ON oauth_token_failures (installation_id, kind, at);
