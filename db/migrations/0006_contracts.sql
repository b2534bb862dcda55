CREATE TABLE `contracts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contract_id` text NOT NULL,
	`version` text NOT NULL,
	`api_version` text NOT NULL,
	`content_hash` text NOT NULL,
	`status` text NOT NULL,
	`name` text,
	`domain` text,
	`data_product` text,
	`document` text NOT NULL,
	`source_file` text,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contracts_id_hash` ON `contracts` (`contract_id`,`content_hash`);--> statement-breakpoint
CREATE INDEX `contracts_domain` ON `contracts` (`domain`);