-- Events a processor could not apply and went past (PROJECTION_ON_ERROR=park, issue 24): each row is written in the
-- transaction that moves the processor's checkpoint beyond its event. `held_behind` names the parked event of the
-- same aggregate that this one waits behind (its own fold never failed): an aggregate's events are applied in order
-- or not at all. `rebuild` rows belong to a rebuild under way and replace the live ones when its tables swap in.
-- A row with `skipped_at` is an operator's decision to drop its event: kept, so that a rebuild drops it too.
CREATE TABLE "parked_events" (
    "processor" TEXT NOT NULL,
    "rebuild" BOOLEAN NOT NULL DEFAULT false,
    "event_id" UUID NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "error" TEXT NOT NULL,
    "held_behind" UUID,
    "first_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "last_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "skipped_at" TIMESTAMPTZ(3),

    CONSTRAINT "parked_events_pkey" PRIMARY KEY ("processor", "rebuild", "event_id")
);

-- A batch asks which of its aggregates are held; retry and skip read an aggregate's rows in log order.
CREATE INDEX "parked_events_processor_rebuild_aggregate_id_position_idx"
    ON "parked_events" ("processor", "rebuild", "aggregate_id", "position");
