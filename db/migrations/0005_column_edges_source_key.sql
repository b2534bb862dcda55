PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_column_edges` (
	`dataset_id` integer NOT NULL,
	`column` text NOT NULL,
	`from_dataset_id` integer NOT NULL,
	`from_column` text NOT NULL,
	`transformation` text,
	`source` text DEFAULT 'openlineage' NOT NULL,
	PRIMARY KEY(`dataset_id`, `column`, `from_dataset_id`, `from_column`, `source`),
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`from_dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_column_edges`("dataset_id", "column", "from_dataset_id", "from_column", "transformation", "source") SELECT "dataset_id", "column", "from_dataset_id", "from_column", "transformation", "source" FROM `column_edges`;--> statement-breakpoint
DROP TABLE `column_edges`;--> statement-breakpoint
ALTER TABLE `__new_column_edges` RENAME TO `column_edges`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `column_edges_from` ON `column_edges` (`from_dataset_id`);