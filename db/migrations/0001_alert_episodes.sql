CREATE TABLE `alert_episodes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` text NOT NULL,
	`domain` text NOT NULL,
	`opened_at` text NOT NULL,
	`status` text NOT NULL,
	`worst` text NOT NULL,
	`last_alert_at` text NOT NULL,
	`reminders` integer DEFAULT 0 NOT NULL,
	`closed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_episodes_open` ON `alert_episodes` (`product_id`) WHERE closed_at is null;--> statement-breakpoint
CREATE INDEX `alert_episodes_product` ON `alert_episodes` (`product_id`,`opened_at`);--> statement-breakpoint
ALTER TABLE `alerts` ADD `last_attempt_at` text;--> statement-breakpoint
ALTER TABLE `alerts` ADD `episode_id` integer;