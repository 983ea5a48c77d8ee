-- Installation settings (issue 18). A version may declare a settings schema (a subset of
-- JSON Schema, checked by the console); `plugins.config_schema` (since 0001) holds the
-- live version's, like every reviewed field. An installation keeps its values in
-- `config` (since 0001, a JSON object) and its secret values, each sealed by the vault,
-- in `config_secrets`. Nothing set either before, so nothing is carried over.
ALTER TABLE plugin_versions ADD COLUMN config_schema TEXT;
UPDATE plugin_versions SET config_schema = (SELECT p.config_schema FROM plugins p WHERE p.id = plugin_versions.plugin_id)
    WHERE state = 'published';
ALTER TABLE installations ADD COLUMN config_secrets TEXT NOT NULL DEFAULT '{}';

-- A consent answered with Allow for a plugin whose required settings are not set yet
-- waits, as a `settings` request, for the admin's Settings form: the code is issued when
-- the form is saved (or skipped), so the plugin's first token finds them.
ALTER TABLE consent_requests ADD COLUMN stage TEXT NOT NULL DEFAULT 'consent' CHECK (stage IN ('consent', 'settings'));
