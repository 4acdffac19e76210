import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Settled } from './consumer';

export type FulfillmentMetrics = ReturnType<typeof createFulfillmentMetrics>;

/**
 * The service's figures, in a registry of its own (a test runs several services in one process): what it holds,
 * what it shipped and what orderstream refused, and how many messages came again.
 */
export function createFulfillmentMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let inHand = 0;
  new Gauge({
    name: 'fulfillment_inbox_depth',
    help: 'Messages received and not yet done with: waiting for their shipping time, or for orderstream',
    registers,
    collect() {
      this.set(inHand);
    },
  });
  const shipped = new Counter({
    name: 'fulfillment_shipped_total',
    help: 'Orders this service shipped (acknowledged as shipped; a repeat answered from the inbox is not counted)',
    registers,
  });
  const refused = new Counter({
    name: 'fulfillment_refused_total',
    help: 'Shipments orderstream refused for good (the order cancelled or gone), acknowledged and not retried',
    registers,
  });
  const redelivered = new Counter({
    name: 'fulfillment_redelivered_total',
    help: 'Messages delivered again (after a retry, a crash, a lost connection or another instance stopping)',
    registers,
  });
  return {
    registry,
    /** A message is in hand; `attempt` counts its deliveries, this one included. */
    received(attempt: number): void {
      inHand++;
      if (attempt > 1) redelivered.inc();
    },
    /** Done with, whatever came of it. */
    done(): void {
      inHand--;
    },
    /** What the broker was told: shipped and refused are counted once acknowledged. */
    settled({ decision, settled }: Settled): void {
      if (!settled || decision.action !== 'ack') return;
      if (decision.outcome === 'shipped') shipped.inc();
      else if (decision.outcome === 'refused') refused.inc();
    },
  };
}
