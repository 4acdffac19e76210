-- The read side: projector checkpoints, the query tables the projectors keep, and aggregate snapshots.

-- One row per projector. `position` is the checkpoint: every event at or below it has been applied (positions
-- already pack (transaction id, index), the order the gap-safe reader pages by). Advanced only in the
-- transaction that applies a batch, with a compare-and-set on the old value.
CREATE TABLE "projection_checkpoints" (
    "name"            TEXT        NOT NULL,
    "version"         INTEGER     NOT NULL,
    "position"        BIGINT      NOT NULL DEFAULT 0,
    "status"          TEXT        NOT NULL DEFAULT 'RUNNING',
    "last_error"      TEXT,
    "failed_event_id" UUID,
    "rebuild_requested_at" TIMESTAMPTZ(3),
    -- Progress of a rebuild under way: how far the fresh tables have got, and how many events that was.
    "rebuild_position" BIGINT,
    "rebuild_events"  BIGINT,
    "updated_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "projection_checkpoints_pkey" PRIMARY KEY ("name"),
    CONSTRAINT "projection_checkpoints_status_check" CHECK ("status" IN ('RUNNING', 'FAILED', 'REBUILDING'))
);

CREATE TABLE "orders" (
    "id"                  TEXT          NOT NULL,
    "customer_id"         TEXT          NOT NULL,
    "status"              TEXT          NOT NULL,
    "items"               JSONB         NOT NULL,
    "item_count"          INTEGER       NOT NULL,
    "total_amount"        NUMERIC(14,2) NOT NULL,
    "cancellation_reason" TEXT,
    "version"             INTEGER       NOT NULL,
    -- The OrderPlaced event's log position: "newest first" is a stable, unique order for cursor pagination.
    "placed_position"     BIGINT        NOT NULL,
    "created_at"          TIMESTAMPTZ(3) NOT NULL,
    "updated_at"          TIMESTAMPTZ(3) NOT NULL,
    "paid_at"             TIMESTAMPTZ(3),
    "shipped_at"          TIMESTAMPTZ(3),
    "cancelled_at"        TIMESTAMPTZ(3),
    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "orders_placed_position_key" ON "orders" ("placed_position");
CREATE INDEX "orders_customer_id_placed_position_idx" ON "orders" ("customer_id", "placed_position");
CREATE INDEX "orders_status_placed_position_idx" ON "orders" ("status", "placed_position");

CREATE TABLE "order_status_counts" (
    "status" TEXT   NOT NULL,
    "count"  BIGINT NOT NULL,
    CONSTRAINT "order_status_counts_pkey" PRIMARY KEY ("status")
);

CREATE TABLE "customers" (
    "id"                  TEXT          NOT NULL,
    "name"                TEXT          NOT NULL,
    "email"               TEXT          NOT NULL,
    "active"              BOOLEAN       NOT NULL,
    "deactivation_reason" TEXT,
    "order_count"         INTEGER       NOT NULL DEFAULT 0,
    -- What the customer has paid, less what was refunded by cancelling paid orders.
    "lifetime_total"      NUMERIC(14,2) NOT NULL DEFAULT 0,
    "version"             INTEGER       NOT NULL,
    "registered_at"       TIMESTAMPTZ(3) NOT NULL,
    "updated_at"          TIMESTAMPTZ(3) NOT NULL,
    "deactivated_at"      TIMESTAMPTZ(3),
    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- The customers projector's own memory of each order (which customer, what was paid), so it never reads another
-- projector's tables.
CREATE TABLE "customer_orders" (
    "order_id"      TEXT          NOT NULL,
    "customer_id"   TEXT          NOT NULL,
    "order_version" INTEGER       NOT NULL,
    "paid_amount"   NUMERIC(14,2) NOT NULL DEFAULT 0,
    CONSTRAINT "customer_orders_pkey" PRIMARY KEY ("order_id")
);

-- The latest snapshot of an aggregate's state, so loading folds only the events after it.
CREATE TABLE "snapshots" (
    "aggregate_id"     TEXT        NOT NULL,
    "aggregate_type"   TEXT        NOT NULL,
    "version"          INTEGER     NOT NULL,
    "snapshot_version" INTEGER     NOT NULL,
    "state"            JSONB       NOT NULL,
    "taken_at"         TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "snapshots_pkey" PRIMARY KEY ("aggregate_id")
);
