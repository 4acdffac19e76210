import type { TestServer } from './server';

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`;
const ADD = `mutation ($input: AddItemInput!) { addItem(input: $input) { version } }`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { version } }`;
const SHIP = `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { version } }`;
const CANCEL = `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { version } }`;
const DEACTIVATE = `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { version } }`;

/**
 * `total` commands from `clients` concurrent clients over HTTP: each registers a customer, then places orders and
 * moves them through every path of the state machine (add, pay, ship, cancel before and after paying), and at the
 * then deactivates some customers and carries on with new ones. Returns how many commands succeeded (all should).
 */
export async function runWorkload(server: TestServer, clients: number, total: number): Promise<number> {
  let sent = 0;
  let failed = 0;
  const take = () => (sent < total ? ++sent : 0);
  const run = async (query: string, input: Record<string, unknown>) => {
    const res = await server.gql(query, { input });
    if (res.errors) failed++;
    return res.data;
  };
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const register = async (round: number) => {
        const customer = await run(REGISTER, {
          name: `Client ${c}.${round}`,
          email: `client${c}.${round}@example.com`,
        });
        return customer!.registerCustomer.aggregateId as string;
      };
      if (!take()) return;
      let round = 0;
      let customerId = await register(round);
      for (let n = 0; ; n++) {
        if (!take()) return;
        const placed = await run(PLACE, {
          customerId,
          items: [{ productId: `p${n % 7}`, quantity: 1 + (n % 3), unitPrice: `${(n % 50) + 0.99}` }],
        });
        const orderId = placed!.placeOrder.aggregateId as string;
        const path = (c + n) % 4;
        if (!take()) return;
        await run(ADD, { orderId, item: { productId: 'extra', quantity: 2, unitPrice: '0.10' } });
        if (path === 3) {
          if (!take()) return;
          await run(CANCEL, { orderId, reason: 'changed mind' });
          continue;
        }
        if (!take()) return;
        await run(PAY, { orderId });
        if (!take()) return;
        if (path === 2) await run(CANCEL, { orderId });
        else await run(SHIP, { orderId });
        if (path === 1 && n % 5 === 4 && take()) {
          await run(DEACTIVATE, { customerId });
          if (!take()) return;
          customerId = await register(++round);
        }
      }
    }),
  );
  if (failed > 0) throw new Error(`${failed} of ${sent} workload commands failed`);
  return sent;
}
