CREATE TABLE "proposal_approvals" (
	"proposal_id" text NOT NULL,
	"seq" integer NOT NULL,
	"approver" text NOT NULL,
	"name" text NOT NULL,
	"via" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "proposal_approvals_proposal_id_seq_pk" PRIMARY KEY("proposal_id","seq")
);
--> statement-breakpoint
ALTER TABLE "proposals" ADD COLUMN "approvals_required" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "proposal_approvals_one_per_person" ON "proposal_approvals" USING btree ("proposal_id","approver");