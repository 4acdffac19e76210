-- Orders carry their currency (ISO 4217) since OrderPlaced schema version 2. Rows projected from version 1 events
-- get the currency those orders were in (LEGACY_CURRENCY in src/orders/events.ts), which is also what upcasting
-- gives those events when they are read again, so a rebuild yields the same rows.
ALTER TABLE "orders" ADD COLUMN "currency" TEXT NOT NULL DEFAULT 'EUR';
