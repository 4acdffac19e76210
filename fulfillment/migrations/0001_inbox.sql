-- The inbox: one row per OrderPaid event this service has finished with, written in the same transaction as any
-- effect of its own, so a redelivered event (at-least-once delivery) is recognised and has no second effect.
CREATE TABLE fulfillment_inbox (
    event_id     uuid        PRIMARY KEY,
    order_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    -- 'shipped', or 'refused:<code>[:<rule>]' when orderstream refused the shipment for good.
    outcome      text        NOT NULL
);
