-- Client-side plugins (DESIGN.md §7): the JavaScript bundle a plugin ships, stored by
-- Plugboard and served by its hash, and the network origins its code may reach.

-- JSON list of origins (`https://api.example.com`); the frame's CSP allows only these.
ALTER TABLE plugins ADD COLUMN client_origins TEXT NOT NULL DEFAULT '[]';

CREATE TABLE plugin_bundles (
    plugin_id  INTEGER PRIMARY KEY REFERENCES plugins(id) ON DELETE CASCADE,
    -- SHA-256 of the bytes, hex: the bundle's address (/bundles/{sha256}.js).
    sha256     TEXT    NOT NULL,
    -- Subresource Integrity of the bytes (`sha384-…`), checked by the browser.
    integrity  TEXT    NOT NULL,
    bytes      BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX plugin_bundles_sha256 ON plugin_bundles (sha256);
