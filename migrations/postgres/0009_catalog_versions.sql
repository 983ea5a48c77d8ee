-- Catalog versions for the marketplace's in-process index (app/src/server/catalog/index.rs):
-- every change a listing depends on takes the next version, stamped on the plugin (or on
-- its removal), so an instance loads just what changed since the version it holds.
-- Versions must become visible in the order they were taken, or an instance could
-- read version 8 while 7 is still uncommitted and never load 7: the transaction that
-- takes one holds a transaction-level advisory lock until it commits, so catalog
-- changes (publishing, installs, reviews: rare next to reads) commit one at a time.
CREATE SEQUENCE catalog_versions;

ALTER TABLE plugins ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX plugins_by_catalog_version ON plugins (catalog_version);

CREATE TABLE catalog_removals (
    plugin_id       BIGINT PRIMARY KEY,
    catalog_version BIGINT NOT NULL
);
CREATE INDEX catalog_removals_by_version ON catalog_removals (catalog_version);

CREATE FUNCTION next_catalog_version() RETURNS BIGINT AS $$
BEGIN
    -- 0x636174616c6f67 is "catalog": any constant, the same in every transaction.
    PERFORM pg_advisory_xact_lock(27973175172951911);
    RETURN nextval('catalog_versions');
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION plugins_catalog_stamp() RETURNS trigger AS $$
BEGIN
    NEW.catalog_version := next_catalog_version();
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION plugins_catalog_removed() RETURNS trigger AS $$
BEGIN
    INSERT INTO catalog_removals (plugin_id, catalog_version) VALUES (OLD.id, next_catalog_version())
        ON CONFLICT (plugin_id) DO UPDATE SET catalog_version = EXCLUDED.catalog_version;
    RETURN OLD;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER plugins_catalog_insert BEFORE INSERT ON plugins
    FOR EACH ROW EXECUTE FUNCTION plugins_catalog_stamp();

CREATE TRIGGER plugins_catalog_update BEFORE UPDATE ON plugins
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.description IS DISTINCT FROM NEW.description
       OR OLD.category IS DISTINCT FROM NEW.category OR OLD.is_published IS DISTINCT FROM NEW.is_published
       OR OLD.install_count IS DISTINCT FROM NEW.install_count OR OLD.rating IS DISTINCT FROM NEW.rating
       OR OLD.review_count IS DISTINCT FROM NEW.review_count OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION plugins_catalog_stamp();

CREATE TRIGGER plugins_catalog_delete AFTER DELETE ON plugins
    FOR EACH ROW EXECUTE FUNCTION plugins_catalog_removed();
