CREATE TABLE `incident_consumers` (
	`incident_id` integer NOT NULL,
	`domain` text NOT NULL,
	`products` text NOT NULL,
	`notified_at` text NOT NULL,
	`acknowledged_at` text,
	`acknowledged_by` text,
	`resolved_at` text,
	PRIMARY KEY(`incident_id`, `domain`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_consumers_domain` ON `incident_consumers` (`domain`);--> statement-breakpoint
CREATE TABLE `incident_transitions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`kind` text NOT NULL,
	`at` text NOT NULL,
	`actor` text,
	`actor_domain` text,
	`note` text,
	`product_status` text NOT NULL,
	`score` real,
	`changes` text NOT NULL,
	`root_cause` text,
	`blast_radius` text NOT NULL,
	`episode_id` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_transitions_incident` ON `incident_transitions` (`incident_id`,`id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` text NOT NULL,
	`domain` text NOT NULL,
	`title` text NOT NULL,
	`status` text NOT NULL,
	`severity` text NOT NULL,
	`product_status` text NOT NULL,
	`score` real,
	`detected_at` text NOT NULL,
	`started_at` text NOT NULL,
	`acknowledged_at` text,
	`acknowledged_by` text,
	`muted_until` text,
	`resolved_at` text,
	`resolution` text,
	`resolved_by` text,
	`resolve_reason` text,
	`reopened` integer DEFAULT 0 NOT NULL,
	`episode_id` integer NOT NULL,
	`root_cause` text,
	`blast_radius` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_episode` ON `incidents` (`episode_id`);--> statement-breakpoint
CREATE INDEX `incidents_product` ON `incidents` (`product_id`,`detected_at`);--> statement-breakpoint
CREATE INDEX `incidents_domain` ON `incidents` (`domain`,`detected_at`);