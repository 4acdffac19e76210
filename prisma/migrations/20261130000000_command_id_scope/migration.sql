-- A commandId is an idempotency key within its caller's scope, not across everyone: a key another user already
-- used (or guessed and claimed first) no longer refuses someone else's command, nor tells them it was used. The
-- scope is the caller's token `sub` (the events' metadata.userId), or '' for commands no user sent (a token's
-- `sub` is never empty).
--
-- Existing rows get the scope of the caller who sent them, read from the command's first event (its
-- first_position; a record and its events were committed by one statement, and events are never deleted): that is
-- exactly the scope the command side now computes for that caller, so a client retrying a command it sent before
-- this migration still gets its first result and appends nothing. A fixed "legacy" scope would instead have
-- matched no caller, and such a retry would have been applied a second time.
ALTER TABLE "processed_commands" ADD COLUMN "scope" TEXT;
UPDATE "processed_commands" AS pc SET "scope" = coalesce(e."metadata" ->> 'userId', '')
  FROM "events" AS e
  WHERE e."position" = pc."first_position";
ALTER TABLE "processed_commands" ALTER COLUMN "scope" SET NOT NULL;
ALTER TABLE "processed_commands" DROP CONSTRAINT "processed_commands_pkey";
ALTER TABLE "processed_commands" ADD CONSTRAINT "processed_commands_pkey" PRIMARY KEY ("scope", "command_id");
