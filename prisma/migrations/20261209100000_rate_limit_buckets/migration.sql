-- The mutation rate limit's token buckets, shared by every instance on this database (src/db/rate-limit-buckets.ts):
-- one row per caller that has sent a mutation lately, `tokens` as of `at`, and what its last request was granted.
-- UNLOGGED: nothing here is worth a WAL write per mutation, and a crash that empties it only refills every bucket.
CREATE UNLOGGED TABLE "rate_limit_buckets" (
    "caller" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "granted" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "rate_limit_buckets_pkey" PRIMARY KEY ("caller")
);
