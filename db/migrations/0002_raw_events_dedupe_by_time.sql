DROP INDEX `raw_events_hash`;--> statement-breakpoint
CREATE UNIQUE INDEX `raw_events_time_hash` ON `raw_events` (`event_time`,`event_hash`);