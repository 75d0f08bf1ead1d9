ALTER TABLE "proposals" ADD COLUMN "runbook" jsonb;
