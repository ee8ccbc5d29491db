-- 030_integration_ids: an integration's id is its client's, unique among the
-- integrations of its owner, not its tenant's (issue 13): an id another
-- account uses is free, so creating one never reveals that it exists. The
-- integrations made before keep their tenant's ID as their id.
ALTER TABLE integrations ADD COLUMN id TEXT NOT NULL DEFAULT '';
UPDATE integrations SET id = tenant_id;
CREATE UNIQUE INDEX integrations_owner_id ON integrations (owner_id, id);
