-- Whose data an event is (product.md, "Who may do what"): the customer a customer's reads are scoped to. A
-- customer's stream is their own; an order's belongs to the customer who placed it. Set by the command side with
-- every append, so a customer's `events` query and subscription select their events by an index, in SQL, with
-- no event of anyone else read and dropped. Events appended before this column existed get it here, from the
-- same facts the command side uses (the stream itself, or the order's OrderPlaced event); the events themselves
-- are not changed.
ALTER TABLE "events" ADD COLUMN "owner_id" TEXT;
UPDATE "events" SET "owner_id" = "aggregate_id" WHERE "aggregate_type" = 'Customer';
UPDATE "events" AS e SET "owner_id" = placed."payload" ->> 'customerId'
  FROM "events" AS placed
  WHERE e."aggregate_type" = 'Order' AND placed."aggregate_id" = e."aggregate_id"
    AND placed."event_type" = 'OrderPlaced';
CREATE INDEX "events_owner_id_position_idx" ON "events" ("owner_id", "position") WHERE "owner_id" IS NOT NULL;
