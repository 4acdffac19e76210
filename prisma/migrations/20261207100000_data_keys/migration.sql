-- Crypto-shredding (issue 24): each customer's personal data in events is encrypted under a data key of their own,
-- kept here wrapped by the master key (DATA_KEY) whose id it records. Forgetting a customer deletes the wrapped key
-- and keeps the row (deleted_at) as its tombstone: what was sealed under it can no longer be read, and what is
-- appended for the subject afterwards is stored without its personal fields.
CREATE TABLE "data_keys" (
  "subject_id" TEXT NOT NULL,
  "key_id" UUID NOT NULL,
  "wrapped_key" TEXT,
  "master_key_id" TEXT,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "deleted_at" TIMESTAMPTZ(3),
  CONSTRAINT "data_keys_pkey" PRIMARY KEY ("subject_id"),
  CONSTRAINT "data_keys_deleted_check" CHECK (("deleted_at" IS NULL) = ("wrapped_key" IS NOT NULL AND "master_key_id" IS NOT NULL))
);

CREATE UNIQUE INDEX "data_keys_key_id_key" ON "data_keys" ("key_id");
-- Rotation rewraps the keys a master key other than the current one wrapped.
CREATE INDEX "data_keys_master_key_id_idx" ON "data_keys" ("master_key_id");

-- A forgotten customer's row keeps their orders' figures, without their name and email: those are written as ''
-- (never a registered customer's: both are required text), which the API serves as null. Not NULL itself, so that
-- the NAME ordering's keyset reads ((name, id) compared as a row, on its index) keep every customer in order.
ALTER TABLE "customers" ADD COLUMN "forgotten_at" TIMESTAMPTZ(3);

-- Snapshots are a cache of folds, and those written before hold names, emails and reasons in the clear: they go,
-- and the next commands take sealed ones (a long stream's first load after this folds it from the start once).
DELETE FROM "snapshots";
