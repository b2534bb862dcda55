CREATE TABLE `incident_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`route_key` text NOT NULL,
	`channel` text NOT NULL,
	`audience` text NOT NULL,
	`route_domain` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`ref` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text NOT NULL,
	`last_attempt_at` text,
	`delivered_at` text,
	`failing_since` text,
	`last_error` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incident_deliveries_route` ON `incident_deliveries` (`incident_id`,`route_key`,`audience`);--> statement-breakpoint
CREATE INDEX `incident_deliveries_due` ON `incident_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `incidents` ADD `fanned_out` integer DEFAULT 0 NOT NULL;