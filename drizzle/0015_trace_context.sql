-- Issue 21: the W3C traceparent of the span an incident, a job or an outbox row was written in.
-- Work picked up from the database (any replica, after a restart or a takeover) continues that
-- trace; audit rows of an incident carry its trace id. Null while tracing is off.
ALTER TABLE "incidents" ADD COLUMN "trace_parent" text;--> statement-breakpoint
ALTER TABLE "timers" ADD COLUMN "trace_parent" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "trace_parent" text;
