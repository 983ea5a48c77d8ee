-- The plugin REST API: which installation created or last changed a project or a task,
-- so that a tenant sees plugins at work; indexes for the API's filters.

ALTER TABLE projects ADD COLUMN created_by_installation INTEGER REFERENCES installations(id) ON DELETE SET NULL;
ALTER TABLE projects ADD COLUMN updated_by_installation INTEGER REFERENCES installations(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN created_by_installation INTEGER REFERENCES installations(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN updated_by_installation INTEGER REFERENCES installations(id) ON DELETE SET NULL;

CREATE INDEX tasks_tenant_status ON tasks (tenant_id, status, id);
CREATE INDEX projects_tenant_archived ON projects (tenant_id, archived, id);
