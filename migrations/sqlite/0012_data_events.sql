-- Data events (issue 19). A version declares the data event types it subscribes to
-- (`task.created`, …; a JSON array of names); `plugins.event_types` holds the live
-- version's, like every reviewed field. Nothing subscribed before.
ALTER TABLE plugin_versions ADD COLUMN event_types TEXT NOT NULL DEFAULT '[]';
ALTER TABLE plugins ADD COLUMN event_types TEXT NOT NULL DEFAULT '[]';

-- The worker leases at most one event per installation at a time (so one tenant's events
-- reach a plugin in the order they were made) and a bounded number per endpoint: it looks
-- up the events in flight by installation here, and by plugin with the index below.
CREATE INDEX webhook_events_installation ON webhook_events (installation_id, status, locked_until);

-- "Resend failed since …" and Redeliver start a message's schedule again: its retries
-- count from `retry_base`, the attempts it had before.
ALTER TABLE webhook_events ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0;
-- The deliveries log filtered by outcome, Resend's failed messages of one plugin, and the
-- lease's count of a plugin's events in flight.
CREATE INDEX webhook_events_plugin_status ON webhook_events (plugin_id, status, id);
