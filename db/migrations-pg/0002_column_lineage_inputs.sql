CREATE TABLE "column_lineage_inputs" (
	"dataset_id" bigint PRIMARY KEY NOT NULL,
	"hash" text COLLATE "C" NOT NULL,
	"columns" json NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "column_lineage_inputs" ADD CONSTRAINT "column_lineage_inputs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;