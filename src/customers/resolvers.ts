import type { Resolvers, Role as RoleName } from '../generated/graphql';
import type { Role } from '../auth/principal';
import { commandMeta as meta } from '../graphql-kit/command-meta';
import { money } from '../graphql-kit/money';
import type { GraphQLContext } from '../graphql-kit/context';
import type { CustomerModel } from './models';
import { answerWithOwnWrite } from '../graphql-kit/read-your-writes';
import type { CustomerCommands, CustomerOutcome } from './commands';
import { customerLoader } from './loaders';
import type { Amount } from '../shared/money';
import type { Totals } from './read-model';

async function lifetimeTotals(customer: CustomerModel, context: GraphQLContext): Promise<Totals> {
  return customer.lifetimeTotals ?? (await customerLoader(context).load(customer.id))?.lifetimeTotals ?? {};
}

/** The lifetime totals as [currency, amount] pairs, by currency code. */
async function byCurrency(customer: CustomerModel, context: GraphQLContext): Promise<[string, Amount][]> {
  return Object.entries(await lifetimeTotals(customer, context)).sort(([a], [b]) => a.localeCompare(b));
}

/** Every customer command's payload type (each mutation has its own, for clients): the customer as it left it. */
const customerPayload = { customer: (outcome: CustomerOutcome) => outcome.state };

const ROLE_NAMES: Readonly<Record<Role, RoleName>> = { customer: 'CUSTOMER', staff: 'STAFF', admin: 'ADMIN' };

/** The customers slice's API, over its commands. (Customer.orders belongs to the orders slice.) */
export const customerResolvers = (customers: CustomerCommands): Resolvers => ({
  Query: {
    customer: (_parent, { id }, context) => customerLoader(context).load(id),
    // The access rule has admitted a caller with a token: the principal is there.
    viewer: (_parent, _args, context) => context.principal!,
  },
  Viewer: {
    subject: (principal) => principal.sub,
    role: (principal) => ROLE_NAMES[principal.role],
    customer: (principal, _args, context) =>
      principal.customerId === null ? null : customerLoader(context).load(principal.customerId),
  },
  Mutation: {
    registerCustomer: async (_parent, { input }, context) =>
      answerWithOwnWrite(
        context,
        await customers.register({ name: input.name, email: input.email }, meta(input, context)),
      ),
    deactivateCustomer: async (_parent, { input }, context) =>
      answerWithOwnWrite(
        context,
        await customers.deactivate(
          { customerId: input.customerId, reason: input.reason },
          input.expectedVersion,
          meta(input, context),
        ),
      ),
  },
  RegisterCustomerPayload: customerPayload,
  DeactivateCustomerPayload: customerPayload,
  Customer: {
    // A customer folded from its stream (a mutation answered before projectors caught up) has no order figures:
    // take them from the query table, where the customer may already be.
    orderCount: async (customer, _args, context) =>
      customer.orderCount ?? (await customerLoader(context).load(customer.id))?.orderCount ?? 0,
    lifetimeSpend: async (customer, _args, context) =>
      (await byCurrency(customer, context)).map(([currency, amount]) => money(amount, currency)),
    lifetimeTotals: async (customer, _args, context) =>
      (await byCurrency(customer, context)).map(([currency, amount]) => ({ currency, amount })),
    async lifetimeTotal(customer, _args, context) {
      const amounts = Object.values(await lifetimeTotals(customer, context));
      return amounts.length === 0 ? '0.00' : amounts.length === 1 ? amounts[0]! : null;
    },
  },
});
