-- Catalog versions for the marketplace's in-process index (app/src/server/catalog/index.rs):
-- every change a listing depends on takes the next version, stamped on the plugin (or on
-- its removal), so an instance loads just what changed since the version it holds.
-- SQLite has one writer at a time, so versions become visible in the order they were taken.
CREATE TABLE catalog_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO catalog_sequence (id, value) VALUES (1, 0);

ALTER TABLE plugins ADD COLUMN catalog_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX plugins_by_catalog_version ON plugins (catalog_version);

CREATE TABLE catalog_removals (
    plugin_id       INTEGER PRIMARY KEY,
    catalog_version INTEGER NOT NULL
);
CREATE INDEX catalog_removals_by_version ON catalog_removals (catalog_version);

CREATE TRIGGER plugins_catalog_insert AFTER INSERT ON plugins BEGIN
    UPDATE catalog_sequence SET value = value + 1 WHERE id = 1;
    UPDATE plugins SET catalog_version = (SELECT value FROM catalog_sequence WHERE id = 1) WHERE id = new.id;
END;

CREATE TRIGGER plugins_catalog_update
AFTER UPDATE OF name, description, category, is_published, install_count, rating, review_count, created_at ON plugins
WHEN old.name IS NOT new.name OR old.description IS NOT new.description OR old.category IS NOT new.category
  OR old.is_published IS NOT new.is_published OR old.install_count IS NOT new.install_count
  OR old.rating IS NOT new.rating OR old.review_count IS NOT new.review_count OR old.created_at IS NOT new.created_at
BEGIN
    UPDATE catalog_sequence SET value = value + 1 WHERE id = 1;
    UPDATE plugins SET catalog_version = (SELECT value FROM catalog_sequence WHERE id = 1) WHERE id = new.id;
END;

CREATE TRIGGER plugins_catalog_delete AFTER DELETE ON plugins BEGIN
    UPDATE catalog_sequence SET value = value + 1 WHERE id = 1;
    INSERT OR REPLACE INTO catalog_removals (plugin_id, catalog_version)
        VALUES (old.id, (SELECT value FROM catalog_sequence WHERE id = 1));
END;
