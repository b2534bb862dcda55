CREATE TABLE `column_lineage_inputs` (
	`dataset_id` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`columns` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`dataset_id`) REFERENCES `datasets`(`id`) ON UPDATE no action ON DELETE cascade
);
