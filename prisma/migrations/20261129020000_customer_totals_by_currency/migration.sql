-- A customer's lifetime total is kept per currency (ISO 4217 code → amount): orders are in different currencies
-- since OrderPlaced schema version 2, and amounts in different currencies do not add up. The customers projector
-- (version 2) rebuilds both tables from the log on start, so the new columns need no back-fill here.
ALTER TABLE "customers" ADD COLUMN "lifetime_totals" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "customers" DROP COLUMN "lifetime_total";
ALTER TABLE "customer_orders" ADD COLUMN "currency" TEXT NOT NULL DEFAULT 'EUR';
