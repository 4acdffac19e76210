import type { GraphQLResolveInfo } from 'graphql';
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
import { parsesAs } from '../projections/keyset';
import { encodeKeysetCursor, keysetKey, readKeysetCursor } from '../graphql-kit/cursor';
import { MAX_CUSTOMERS_PAGE, pageInfo, pageRequest, selects, type PagingArgs } from '../graphql-kit/pages';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { InvalidInput } from '../shared/errors';
import {
  CUSTOMER_SORTS,
  listCustomers,
  MAX_SEARCH_LENGTH,
  type CustomerListFilter,
  type CustomerPage,
  type CustomerSortField,
  type Totals,
} from './read-model';

async function lifetimeTotals(customer: CustomerModel, context: GraphQLContext): Promise<Totals> {
  return customer.lifetimeTotals ?? (await customerLoader(context).load(customer.id))?.lifetimeTotals ?? {};
}

/** The lifetime totals as [currency, amount] pairs, by currency code. */
async function byCurrency(customer: CustomerModel, context: GraphQLContext): Promise<[string, Amount][]> {
  return Object.entries(await lifetimeTotals(customer, context)).sort(([a], [b]) => a.localeCompare(b));
}

/** Every customer command's payload type (each mutation has its own, for clients): the customer as it left it. */
const customerPayload = { customer: (outcome: CustomerOutcome) => outcome.state };

/** A cursor's key for customers sorted by `sort`: a cursor of another ordering, or none of ours, is refused. */
const cursorKeyFor = (sort: CustomerSortField) => (cursor: string, field: 'after' | 'before') => {
  const keyset = readKeysetCursor(cursor);
  if (keyset === undefined) throw new InvalidInput(`${field} is not a cursor this server issued`, field);
  return keysetKey(keyset, `customers.${sort}`, (key) => parsesAs(CUSTOMER_SORTS[sort], key), field);
};

const customerCursor = (page: CustomerPage, index: number) =>
  encodeKeysetCursor(`customers.${page.sort}`, page.keys[index]!);

type CustomerPageArgs = PagingArgs & {
  filter?: CustomerListFilter | null;
  orderBy?: { field: CustomerSortField; direction: 'ASC' | 'DESC' } | null;
};

/** A page of customers (staff and admins only, by the access rules), with its total count when the query asks. */
async function customerPage(context: GraphQLContext, info: GraphQLResolveInfo, args: CustomerPageArgs) {
  const filter = args.filter ?? {};
  if (filter.search != null && (filter.search.length < 1 || filter.search.length > MAX_SEARCH_LENGTH)) {
    throw new InvalidInput(`search must be 1 to ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
  }
  const sort = {
    field: args.orderBy?.field ?? 'REGISTERED_AT',
    descending: (args.orderBy?.direction ?? 'DESC') === 'DESC',
  };
  const page = pageRequest(args, MAX_CUSTOMERS_PAGE, cursorKeyFor(sort.field));
  await readsShowWrites(context);
  return listCustomers(context.services.reads, filter, sort, page, { withTotal: selects(info, 'totalCount') });
}

const ROLE_NAMES: Readonly<Record<Role, RoleName>> = { customer: 'CUSTOMER', staff: 'STAFF', admin: 'ADMIN' };

/** The customers slice's API, over its commands. (Customer.orders belongs to the orders slice.) */
export const customerResolvers = (customers: CustomerCommands): Resolvers => ({
  Query: {
    customer: (_parent, { id }, context) => customerLoader(context).load(id),
    customers: (_parent, args, context, info) => customerPage(context, info, args),
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
    forgetCustomer: async (_parent, { input }, context) =>
      answerWithOwnWrite(context, await customers.forget({ customerId: input.customerId }, meta(input, context))),
  },
  RegisterCustomerPayload: customerPayload,
  DeactivateCustomerPayload: customerPayload,
  ForgetCustomerPayload: customerPayload,
  CustomerConnection: {
    edges: (page) => page.customers.map((node, index) => ({ node, cursor: customerCursor(page, index) })),
    nodes: (page) => page.customers,
    pageInfo: (page) =>
      pageInfo(
        page.customers.map((_customer, index) => index),
        (index) => customerCursor(page, index),
        page,
      ),
    totalCount(page) {
      // customerPage reads the count with the page whenever the operation selects it, so it is here when asked for.
      if (page.totalCount === undefined) throw new Error('the page of customers was read without its count');
      return page.totalCount;
    },
  },
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
