CREATE TABLE "decision_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"recipient" text NOT NULL,
	"decision" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"outbox_id" bigint,
	"mailed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "decision_links_proposal_idx" ON "decision_links" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "decision_links_outbox_idx" ON "decision_links" USING btree ("outbox_id","recipient");