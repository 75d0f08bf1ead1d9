CREATE TABLE "silences" (
	"id" text PRIMARY KEY NOT NULL,
	"matchers" jsonb NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"schedule" text,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by" text
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "silence" jsonb;--> statement-breakpoint
CREATE INDEX "silences_live_idx" ON "silences" USING btree ("ended_at","ends_at");