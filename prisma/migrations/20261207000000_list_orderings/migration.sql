-- The orderings `orders` and `customers` offer (issue 23), each an index on (sort key, id) so that a page is one
-- index range read forwards or backwards (keyset pagination: src/projections/keyset.ts), also behind the filters
-- that narrow a list to one customer, one status or the active/inactive customers;
-- test/integration/query-plans.test.ts checks each plan. (PLACED_AT already has its indexes: placed_position,
-- unique, alone and behind customer_id and status.) Plain CREATE INDEX: the query tables are written by their
-- projector only, which waits for the build; the whole file is one transaction, which CONCURRENTLY cannot run in.

CREATE INDEX "orders_updated_at_id_idx" ON "orders" ("updated_at", "id");
CREATE INDEX "orders_customer_id_updated_at_id_idx" ON "orders" ("customer_id", "updated_at", "id");
CREATE INDEX "orders_status_updated_at_id_idx" ON "orders" ("status", "updated_at", "id");

-- TOTAL sorts by the amount as a number, whatever its currency.
CREATE INDEX "orders_total_amount_id_idx" ON "orders" ("total_amount", "id");
CREATE INDEX "orders_customer_id_total_amount_id_idx" ON "orders" ("customer_id", "total_amount", "id");
CREATE INDEX "orders_status_total_amount_id_idx" ON "orders" ("status", "total_amount", "id");

-- placedAfter / placedBefore: counting the orders placed in a range (totalCount) reads the range of one index.
CREATE INDEX "orders_created_at_idx" ON "orders" ("created_at");
CREATE INDEX "orders_customer_id_created_at_idx" ON "orders" ("customer_id", "created_at");

CREATE INDEX "customers_registered_at_id_idx" ON "customers" ("registered_at", "id");
CREATE INDEX "customers_active_registered_at_id_idx" ON "customers" ("active", "registered_at", "id");
CREATE INDEX "customers_name_id_idx" ON "customers" ("name", "id");
CREATE INDEX "customers_active_name_id_idx" ON "customers" ("active", "name", "id");

-- `search`: part of the name or email, case-insensitively (ILIKE '%text%'), which no b-tree serves; trigram GIN
-- indexes do, for 3 characters or more. pg_trgm ships with PostgreSQL (contrib: the postgres image, the embedded
-- server) and is a trusted extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "customers_name_trgm_idx" ON "customers" USING gin ("name" gin_trgm_ops);
CREATE INDEX "customers_email_trgm_idx" ON "customers" USING gin ("email" gin_trgm_ops);
