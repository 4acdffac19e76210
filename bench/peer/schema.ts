/**
 * The peer's tables: orderstream's read model of an order as a CRUD developer would write it, in a schema of its
 * own (`peer`) of the bench's database, so both servers read the same PostgreSQL.
 *
 * The items are a jsonb column, as in orderstream's own `orders` table: PostGraphile's `createOrder` then writes an
 * order with its items in one mutation and one INSERT. An `order_items` table would need a second mutation per item
 * (PostGraphile 5 has no nested create without a third-party plugin), which is not the write being compared.
 */
export const PEER_SCHEMA = 'peer';

export const PEER_DDL = `
  DROP SCHEMA IF EXISTS ${PEER_SCHEMA} CASCADE;
  CREATE SCHEMA ${PEER_SCHEMA};
  CREATE TABLE ${PEER_SCHEMA}.orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'PLACED',
    currency text NOT NULL DEFAULT 'EUR',
    total_amount numeric NOT NULL,
    item_count integer NOT NULL,
    items jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
  );
  CREATE INDEX orders_created_at_idx ON ${PEER_SCHEMA}.orders (created_at DESC);
  CREATE INDEX orders_customer_id_idx ON ${PEER_SCHEMA}.orders (customer_id);
`;

// orderstream's ids are UUIDs; a row whose id is anything else (a test's or another stage's) has no place here.
const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/** Copies orderstream's orders as they are now into the peer's table (same ids, so both read the same orders). */
export const PEER_SEED_SQL = `
  INSERT INTO ${PEER_SCHEMA}.orders
    (id, customer_id, status, currency, total_amount, item_count, items, created_at, updated_at, version)
  SELECT id::uuid, customer_id::uuid, status, currency, total_amount, item_count, items, created_at, updated_at,
    version
  FROM public.orders
  WHERE id ~ ${UUID} AND customer_id ~ ${UUID}`;
