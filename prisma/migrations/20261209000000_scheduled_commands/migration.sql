-- Commands the service has scheduled for itself (deadlines), kept by the `scheduled-commands` projector from the log:
-- each row is the command one event asked for, to be sent at `due_at`, until an event cancels it by `key` or the
-- scheduler has sent it. `causation_id` and `correlation_id` are the asking event's, for the command's metadata.
CREATE TABLE "scheduled_commands" (
    "key" TEXT NOT NULL,
    "command" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "causation_id" UUID NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,

    CONSTRAINT "scheduled_commands_pkey" PRIMARY KEY ("key")
);

-- The scheduler takes the earliest due rows and sleeps until the next one.
CREATE INDEX "scheduled_commands_due_at_key_idx" ON "scheduled_commands" ("due_at", "key");

-- When an order's payment window closes (ORDER_PAYMENT_WINDOW when it was placed); null without one, or once the
-- order is no longer PLACED. Orders placed before had no window.
ALTER TABLE "orders" ADD COLUMN "payment_due_at" TIMESTAMPTZ(3);
