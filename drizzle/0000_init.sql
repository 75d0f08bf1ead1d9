CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text NOT NULL,
	"via" text NOT NULL,
	"data" jsonb NOT NULL,
	"incident_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"event_count" bigint DEFAULT 0 NOT NULL,
	"latest" jsonb NOT NULL,
	"first" jsonb NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"slack_channel" text,
	"slack_ts" text,
	"summary_version" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" text PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"operation" text NOT NULL,
	"status" text NOT NULL,
	"request" jsonb NOT NULL,
	"response" jsonb,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "proposals" (
	"id" text PRIMARY KEY NOT NULL,
	"incident_id" text NOT NULL,
	"status" text NOT NULL,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"params" jsonb NOT NULL,
	"risk_score" integer NOT NULL,
	"risk_factors" jsonb NOT NULL,
	"route" text NOT NULL,
	"reasoning" text NOT NULL,
	"reasoner" text NOT NULL,
	"fallback_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" text,
	"decided_via" text,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	"result" jsonb,
	"superseded_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"escalated_at" timestamp with time zone,
	"reverted_at" timestamp with time zone,
	"reverted_by" text
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"kind" text NOT NULL,
	"incident_id" text,
	"proposal_id" text,
	"ordering_key" text,
	"coalesce_key" text,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"result" jsonb
);
--> statement-breakpoint
CREATE TABLE "timers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sre_actions" (
	"seq" bigint PRIMARY KEY DEFAULT 0 NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text DEFAULT 'sre-agent' NOT NULL,
	"kind" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor" text NOT NULL,
	"incident_id" text,
	"proposal_id" text,
	"payload" jsonb NOT NULL,
	"prev_hash" text DEFAULT '' NOT NULL,
	"hash" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_incident_idx" ON "events" USING btree ("incident_id","occurred_at");--> statement-breakpoint
CREATE INDEX "events_received_idx" ON "events" USING btree ("received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_one_open_per_key" ON "incidents" USING btree ("key") WHERE "incidents"."status" = 'open';--> statement-breakpoint
CREATE INDEX "incidents_key_idx" ON "incidents" USING btree ("key","opened_at");--> statement-breakpoint
CREATE INDEX "incidents_status_idx" ON "incidents" USING btree ("status","last_seen");--> statement-breakpoint
CREATE INDEX "executions_proposal_idx" ON "executions" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "executions_status_idx" ON "executions" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "executions_one_per_operation" ON "executions" USING btree ("proposal_id","operation");--> statement-breakpoint
CREATE UNIQUE INDEX "proposals_one_pending_per_incident" ON "proposals" USING btree ("incident_id") WHERE "proposals"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "proposals_status_idx" ON "proposals" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "proposals_incident_idx" ON "proposals" USING btree ("incident_id","created_at");--> statement-breakpoint
CREATE INDEX "proposals_target_idx" ON "proposals" USING btree ("target","created_at");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_one_pending_per_coalesce" ON "outbox" USING btree ("coalesce_key") WHERE "outbox"."status" = 'pending' and "outbox"."coalesce_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "timers_key_uq" ON "timers" USING btree ("key");--> statement-breakpoint
CREATE INDEX "timers_due_idx" ON "timers" USING btree ("status","run_at");--> statement-breakpoint
CREATE INDEX "sre_actions_time_idx" ON "sre_actions" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "sre_actions_incident_idx" ON "sre_actions" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "sre_actions_proposal_idx" ON "sre_actions" USING btree ("proposal_id");--> statement-breakpoint
CREATE INDEX "sre_actions_kind_idx" ON "sre_actions" USING btree ("kind","occurred_at");