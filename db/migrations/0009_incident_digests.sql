CREATE TABLE `incident_digest_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`transition_id` integer NOT NULL,
	`route_key` text NOT NULL,
	`channel` text NOT NULL,
	`audience` text NOT NULL,
	`route_domain` text NOT NULL,
	`due_at` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`next_attempt_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failing_since` text,
	`last_error` text,
	`sent_at` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`transition_id`) REFERENCES `incident_transitions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incident_digest_items_transition` ON `incident_digest_items` (`route_key`,`audience`,`transition_id`);--> statement-breakpoint
CREATE INDEX `incident_digest_items_due` ON `incident_digest_items` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `incident_digest_items_incident` ON `incident_digest_items` (`incident_id`);--> statement-breakpoint
CREATE TABLE `incident_route_holds` (
	`key` text PRIMARY KEY NOT NULL,
	`until` text NOT NULL,
	`reason` text NOT NULL
);
