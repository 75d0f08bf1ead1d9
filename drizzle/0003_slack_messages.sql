CREATE TABLE "slack_messages" (
	"proposal_id" text NOT NULL,
	"role" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"posted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_messages_proposal_id_role_pk" PRIMARY KEY("proposal_id","role")
);
--> statement-breakpoint
CREATE TABLE "slack_receipts" (
	"key" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "slack_receipts_time_idx" ON "slack_receipts" USING btree ("received_at");