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
CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dedupe_key` text NOT NULL,
	`product_id` text,
	`domain` text NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`next_attempt_at` text NOT NULL,
	`delivered_at` text,
	`last_error` text,
	`last_attempt_at` text,
	`episode_id` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_dedupe` ON `alerts` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `alerts_due` ON `alerts` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`hash` text NOT NULL,
	`scope` text NOT NULL,
	`domain` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`expires_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`hash`);--> statement-breakpoint
CREATE TABLE `assertions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`dataset_id` integer NOT NULL,
	`column` text,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`severity` text NOT NULL,
	`failures` integer,
	`message` text,
	`observed_at` text NOT NULL,
	`origin` text NOT NULL,
	`run_id` text,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assertions_key_time` ON `assertions` (`key`,`dataset_id`,`observed_at`);--> statement-breakpoint
CREATE INDEX `assertions_dataset` ON `assertions` (`dataset_id`,`observed_at`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`scope` text NOT NULL,
	`content_hash` text NOT NULL,
	`received_at` text NOT NULL,
	`summary` text NOT NULL,
	`payload` blob NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `batches_hash` ON `batches` (`content_hash`);--> statement-breakpoint
CREATE TABLE `checks` (
	`key` text PRIMARY KEY NOT NULL,
	`dataset_id` integer NOT NULL,
	`column` text,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`severity` text NOT NULL,
	`origin` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `checks_dataset` ON `checks` (`dataset_id`);--> statement-breakpoint
CREATE TABLE `collector_state` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`last_attempt_at` text,
	`last_success_at` text,
	`last_error` text
);
--> statement-breakpoint
CREATE TABLE `column_edges` (
	`dataset_id` integer NOT NULL,
	`column` text NOT NULL,
	`from_dataset_id` integer NOT NULL,
	`from_column` text NOT NULL,
	`transformation` text,
	PRIMARY KEY(`dataset_id`, `column`, `from_dataset_id`, `from_column`),
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`from_dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `column_edges_from` ON `column_edges` (`from_dataset_id`);--> statement-breakpoint
CREATE TABLE `dataset_aliases` (
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`dataset_id` integer NOT NULL,
	PRIMARY KEY(`namespace`, `name`),
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `aliases_dataset` ON `dataset_aliases` (`dataset_id`);--> statement-breakpoint
CREATE TABLE `dataset_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dataset_id` integer NOT NULL,
	`columns_hash` text NOT NULL,
	`columns` text NOT NULL,
	`observed_at` text NOT NULL,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `versions_dataset` ON `dataset_versions` (`dataset_id`,`id`);--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`domain` text,
	`owner` text,
	`kind` text,
	`description` text,
	`access` text,
	`contract_enforced` integer,
	`columns` text,
	`tags` text,
	`meta` text,
	`source_file` text,
	`external_id` text,
	`first_seen_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `datasets_ns_name` ON `datasets` (`namespace`,`name`);--> statement-breakpoint
CREATE INDEX `datasets_domain` ON `datasets` (`domain`);--> statement-breakpoint
CREATE TABLE `domains` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text,
	`description` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `evaluations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` text NOT NULL,
	`evaluated_at` text NOT NULL,
	`score` real NOT NULL,
	`status` text NOT NULL,
	`dimensions` text NOT NULL,
	`root_cause` text,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `evaluations_product` ON `evaluations` (`product_id`,`evaluated_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`domain` text,
	`owner` text,
	`type` text NOT NULL,
	`parent_id` integer,
	`description` text,
	`schedule` text,
	`meta` text,
	`external_id` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_ns_name` ON `jobs` (`namespace`,`name`);--> statement-breakpoint
CREATE INDEX `jobs_parent` ON `jobs` (`parent_id`);--> statement-breakpoint
CREATE INDEX `jobs_domain` ON `jobs` (`domain`);--> statement-breakpoint
CREATE TABLE `lineage_edges` (
	`job_id` integer NOT NULL,
	`dataset_id` integer NOT NULL,
	`direction` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`job_id`, `dataset_id`, `direction`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `edges_dataset` ON `lineage_edges` (`dataset_id`,`direction`);--> statement-breakpoint
CREATE TABLE `metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dataset_id` integer NOT NULL,
	`name` text NOT NULL,
	`value` real NOT NULL,
	`status` text,
	`detail` text,
	`observed_at` text NOT NULL,
	`run_id` text,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metrics_dataset_name_time` ON `metrics` (`dataset_id`,`name`,`observed_at`);--> statement-breakpoint
CREATE TABLE `product_outputs` (
	`product_id` text NOT NULL,
	`dataset_id` integer NOT NULL,
	PRIMARY KEY(`product_id`, `dataset_id`),
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `outputs_dataset` ON `product_outputs` (`dataset_id`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`domain` text NOT NULL,
	`owner` text,
	`description` text,
	`origin` text NOT NULL,
	`sla` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `products_domain` ON `products` (`domain`);--> statement-breakpoint
CREATE TABLE `raw_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_hash` text NOT NULL,
	`kind` text NOT NULL,
	`run_id` text,
	`job_namespace` text,
	`job_name` text,
	`event_type` text,
	`event_time` text NOT NULL,
	`received_at` text NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `raw_events_hash` ON `raw_events` (`event_hash`);--> statement-breakpoint
CREATE INDEX `raw_events_run` ON `raw_events` (`run_id`);--> statement-breakpoint
CREATE INDEX `raw_events_received` ON `raw_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`job_id` integer NOT NULL,
	`state` text NOT NULL,
	`started_at` text,
	`ended_at` text,
	`nominal_time` text,
	`error` text,
	`rows_affected` integer,
	`parent_run_id` text,
	`facets` text,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_run_id` ON `runs` (`run_id`);--> statement-breakpoint
CREATE INDEX `runs_job` ON `runs` (`job_id`,`started_at`);