-- The event store: streams (one row per aggregate, the optimistic-concurrency anchor), the immutable event log,
-- and the record of processed command ids (idempotency).

CREATE TABLE "streams" (
    "aggregate_id"   TEXT        NOT NULL,
    "aggregate_type" TEXT        NOT NULL,
    "version"        INTEGER     NOT NULL CHECK ("version" >= 0),
    "created_at"     TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    "updated_at"     TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "streams_pkey" PRIMARY KEY ("aggregate_id")
);

-- Global order. Sequence values are taken before commit, so transactions commit out of sequence order and a reader
-- of "position > last" would skip late committers for ever. Instead every event is stamped with the id of the
-- transaction that wrote it, and readers only return events of transactions older than the oldest one still
-- running (pg_snapshot_xmin), in (transaction_id, index within the transaction) order. `position` IS that pair,
-- packed into one bigint: transaction_id * 65536 + index (1..65535). So positions strictly increase in the order
-- every reader sees events, one column is both the public position and the cursor, and the primary-key index is
-- the (transaction_id, position) index readers page by. Limits: 65,535 events per append; transaction ids below
-- 2^47 (at 100,000 transactions a second, 44 years). Gaps between positions are normal and mean nothing.
CREATE TABLE "events" (
    "position"       BIGINT      NOT NULL,
    "transaction_id" XID8        NOT NULL DEFAULT pg_current_xact_id(),
    "event_id"       UUID        NOT NULL,
    "aggregate_id"   TEXT        NOT NULL,
    "aggregate_type" TEXT        NOT NULL,
    "version"        INTEGER     NOT NULL CHECK ("version" >= 1),
    "event_type"     TEXT        NOT NULL,
    "schema_version" INTEGER     NOT NULL DEFAULT 1,
    "payload"        JSONB       NOT NULL,
    "metadata"       JSONB       NOT NULL,
    "timestamp"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "events_pkey" PRIMARY KEY ("position"),
    CONSTRAINT "events_position_is_transaction_order"
        CHECK (("position" >> 16) = ("transaction_id"::text::bigint) AND ("position" & 65535) > 0)
);

CREATE UNIQUE INDEX "events_event_id_key" ON "events" ("event_id");
-- Backstop for optimistic concurrency: two writers can never both write version N of one aggregate.
CREATE UNIQUE INDEX "events_aggregate_id_version_key" ON "events" ("aggregate_id", "version");
-- Filtered log reads keep position order within a filter.
CREATE INDEX "events_event_type_position_idx" ON "events" ("event_type", "position");
CREATE INDEX "events_aggregate_type_position_idx" ON "events" ("aggregate_type", "position");
CREATE INDEX "events_correlation_id_position_idx" ON "events" (("metadata" ->> 'correlationId'), "position");
CREATE INDEX "events_timestamp_idx" ON "events" ("timestamp");

CREATE TABLE "processed_commands" (
    "command_id"     TEXT        NOT NULL,
    "command_type"   TEXT        NOT NULL,
    "request_hash"   TEXT        NOT NULL,
    "aggregate_id"   TEXT        NOT NULL,
    "version"        INTEGER     NOT NULL,
    "first_position" BIGINT      NOT NULL,
    "last_position"  BIGINT      NOT NULL,
    "created_at"     TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
    CONSTRAINT "processed_commands_pkey" PRIMARY KEY ("command_id")
);
