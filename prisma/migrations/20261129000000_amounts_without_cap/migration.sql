-- Amounts without a precision cap. NUMERIC(14,2) could not hold totals the API accepted (a unit price of
-- 1000000000000 stopped the orders projector for good with "numeric field overflow"), and a customer's lifetime
-- total grows with every order anyway. Values are written with two decimals by the projectors; unconstrained
-- NUMERIC keeps them exactly at any size, so no amount the API accepts can fail a projector.
ALTER TABLE "orders" ALTER COLUMN "total_amount" TYPE NUMERIC;
ALTER TABLE "customers" ALTER COLUMN "lifetime_total" TYPE NUMERIC;
ALTER TABLE "customer_orders" ALTER COLUMN "paid_amount" TYPE NUMERIC;
