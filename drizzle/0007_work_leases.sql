ALTER TABLE "outbox" ADD COLUMN "leased_by" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "timers" ADD COLUMN "leased_by" text;--> statement-breakpoint
ALTER TABLE "timers" ADD COLUMN "lease_expires_at" timestamp with time zone;