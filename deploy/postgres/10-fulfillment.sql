-- The fulfillment service's own database (its inbox), next to orderstream's. The postgres image runs this once,
-- when it initialises an empty data volume.
CREATE DATABASE fulfillment;
