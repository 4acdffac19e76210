import { collectFields, collectSubFields, getDirective } from '@graphql-tools/utils';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * The cost of an operation, computed from schema.graphql's `@cost` and `@listSize` directives alone (the IBM GraphQL
 * Cost Directives, https://ibm.github.io/graphql-specs/cost-spec.html), as gateways that read them compute it
 * (Apollo Router's demand control, Hot Chocolate, Grafbase): so a client can know an operation's cost before sending
 * it, and the schema is the one place the model is written.
 *
 * - A field costs its weight: its own `@cost`, else its type's, else 1 for an object, interface or union and 0 for a
 *   scalar or enum (a scalar is read with its object); plus the `@cost` of each argument it is given; never below 0.
 * - An object's field also costs what it selects; an abstract type's, the most any of its object types would.
 * - A list costs its length times one element. The length: the largest slicing argument given (a default when
 *   absent or null, as the resolvers read it), else `assumedSize`. With `sizedFields`, that length belongs to those
 *   fields of the returned object (a connection's `edges` and `nodes`), which are then counted that many times.
 *
 *   orders(first: 100) { nodes { id items { productId } customer { name } } }  =  1 + 100 × (1 + 10 × 1 + 1)  =  1,201
 *
 * Introspection types cannot carry directives: their lists count at their average length in this schema
 * (introspectionSizes()).
 */
export type CostModel = {
  /**
   * The cost of a document's one operation (see onlyOperation) with these (raw) variables. Infinity when the
   * document is too large to cost (more than MAX_COSTED_FIELDS fields once fragments are expanded). Variables that
   * do not coerce cost 0, and so do fields whose arguments cannot be coerced: execution refuses them (or the whole
   * operation) before any resolver runs.
   */
  cost(document: DocumentNode, variables: Readonly<Record<string, unknown>>): number;
  /** Every argument name that sizes a list somewhere in the schema: the only arguments whose values move a cost. */
  slicingArguments: ReadonlySet<string>;
};

// Abstract types are costed once per object type they may be, so a walk is bounded rather than assumed linear; a
// document whose walk goes beyond this is refused as too costly to count.
const MAX_COSTED_FIELDS = 10_000;

type ListSize = { assumedSize?: number; slicingArguments?: string[]; sizedFields?: string[] };

/** A list's length handed from a field with `sizedFields` to those fields of the object it returns. */
type Sized = { fields: readonly string[]; length: number };

class TooLarge extends Error {}

/** The document with only this operation and the fragments it may use: the other operations are not run. */
export function onlyOperation(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    definitions: document.definitions.filter((d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION),
  };
}

/** The cost model of a schema whose directives checkCostDirectives() accepts (it is checked here, once). */
export function costModel(schema: GraphQLSchema): CostModel {
  checkCostDirectives(schema);
  const introspection = introspectionSizes(schema);
  // The directives are read once per schema element: a walk asks for them at every field.
  const listSize = once(
    (field: GraphQLField<unknown, unknown>) => getDirective(schema, field, 'listSize')?.[0] as ListSize | undefined,
  );
  const weight = once((owner: Parameters<typeof getDirective>[1]) => {
    const cost = getDirective(schema, owner, 'cost')?.[0] as { weight: string } | undefined;
    return cost === undefined ? undefined : Number(cost.weight);
  });
  const typeWeight = (type: GraphQLNamedType) => weight(type) ?? (isLeafType(type) ? 0 : 1);
  const slicingArguments = new Set(allFields(schema).flatMap((f) => listSize(f)?.slicingArguments ?? []));

  return {
    slicingArguments,
    cost(document, rawVariables) {
      const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (!operation) return 0;
      const { coerced: variables, errors } = getVariableValues(
        schema,
        operation.variableDefinitions ?? [],
        rawVariables,
      );
      if (errors) return 0;
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
      let costed = 0;

      const selections = (type: GraphQLObjectType, fields: Map<string, FieldNode[]>, sized?: Sized): number => {
        let total = 0;
        for (const nodes of fields.values()) {
          const name = nodes[0]!.name.value;
          if (name === '__typename') continue;
          const field =
            name === '__schema' ? SchemaMetaFieldDef : name === '__type' ? TypeMetaFieldDef : type.getFields()[name];
          // Validation has run: an unknown field cannot reach this.
          total += fieldCost(type, field!, nodes, sized?.fields.includes(name) ? sized.length : undefined);
        }
        return total;
      };

      const fieldCost = (
        parent: GraphQLObjectType,
        field: GraphQLField<unknown, unknown>,
        nodes: FieldNode[],
        sizedLength: number | undefined,
      ): number => {
        if (++costed > MAX_COSTED_FIELDS) throw new TooLarge();
        let args: Record<string, unknown>;
        try {
          args = getArgumentValues(field, nodes[0]!, variables);
        } catch (error) {
          if (error instanceof GraphQLError) return 0;
          throw error;
        }
        const named = getNamedType(field.type);
        let own = weight(field) ?? typeWeight(named);
        for (const arg of field.args) if (args[arg.name] != null) own += weight(arg) ?? 0;
        const size = listSize(field);
        const length = isListType(getNullableType(field.type))
          ? (sizedLength ?? listLength(parent, field, args, size, introspection))
          : 1;
        const sized = size?.sizedFields
          ? { fields: size.sizedFields, length: slicedLength(field, args, size) }
          : undefined;
        let selected = 0;
        if (isObjectType(named)) selected = selections(named, subFields(named, nodes), sized);
        else if (isAbstractType(named))
          for (const type of schema.getPossibleTypes(named))
            selected = Math.max(selected, selections(type, subFields(type, nodes), sized));
        return length * (Math.max(0, own) + selected);
      };

      const subFields = (type: GraphQLObjectType, nodes: FieldNode[]) =>
        collectSubFields(schema, fragments, variables, type, nodes).fields;

      const root = schema.getRootType(operation.operation);
      if (!root) return 0;
      try {
        const { fields } = collectFields(schema, fragments, variables, root, operation.selectionSet);
        // Introspection sizes are averages, so a cost may have a fraction.
        return Math.ceil(selections(root, fields));
      } catch (error) {
        if (error instanceof TooLarge) return Infinity;
        throw error;
      }
    },
  };
}

function once<K extends object, V>(read: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    if (!known.has(key)) known.set(key, read(key));
    return known.get(key)!;
  };
}

/** A list field's length when its parent did not size it. */
function listLength(
  parent: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  size: ListSize | undefined,
  introspection: Readonly<Record<string, number>>,
): number {
  if (!isIntrospectionType(parent)) return slicedLength(field, args, size!);
  const length = introspection[`${parent.name}.${field.name}`];
  if (length === undefined) throw new Error(`no size for the introspection list ${parent.name}.${field.name}`);
  return length;
}

/** The largest slicing argument given (its default when absent or null), else the assumed size. */
function slicedLength(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, size: ListSize): number {
  const given = (size.slicingArguments ?? []).map((name) => {
    const value = args[name] ?? field.args.find((a) => a.name === name)?.defaultValue;
    return typeof value === 'number' ? Math.max(0, value) : undefined;
  });
  const lengths = given.filter((n) => n !== undefined);
  return lengths.length > 0 ? Math.max(...lengths) : size.assumedSize!;
}

function allFields(schema: GraphQLSchema): GraphQLField<unknown, unknown>[] {
  return Object.values(schema.getTypeMap())
    .filter((t) => !isIntrospectionType(t) && (isObjectType(t) || isInterfaceType(t)))
    .flatMap((t) => Object.values((t as GraphQLObjectType).getFields()));
}

/**
 * Refuses a schema whose directives leave a cost undefined, or say what this model does not read: every list field
 * has a length (`assumedSize`, or a slicing argument with a default) or is sized by every field returning its type
 * (`sizedFields`); sized fields are lists and slicing arguments exist, and a sliced field has no other Int argument;
 * weights are numbers; no `@cost` on an input field (the model weighs arguments, not what an input holds) nor on an
 * interface's field (the spec forbids it).
 */
export function checkCostDirectives(schema: GraphQLSchema): void {
  const problems: string[] = [];
  const types = Object.values(schema.getTypeMap()).filter((t) => !isIntrospectionType(t));
  const listSize = (field: GraphQLField<unknown, unknown>) =>
    getDirective(schema, field, 'listSize')?.[0] as ListSize | undefined;
  const fields = allFields(schema);
  for (const type of types) {
    const cost = getDirective(schema, type, 'cost')?.[0] as { weight: string } | undefined;
    if (cost && !Number.isFinite(Number(cost.weight))) problems.push(`${type.name}: @cost weight is no number`);
    if (isInputObjectType(type))
      for (const field of Object.values(type.getFields()))
        if (getDirective(schema, field, 'cost')) problems.push(`${type.name}.${field.name}: @cost on an input field`);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const at = `${type.name}.${field.name}`;
      const size = listSize(field);
      const cost = getDirective(schema, field, 'cost')?.[0] as { weight: string } | undefined;
      if (cost && isInterfaceType(type)) problems.push(`${at}: @cost on an interface's field`);
      if (cost && !Number.isFinite(Number(cost.weight))) problems.push(`${at}: @cost weight is no number`);
      const returned = getNamedType(field.type);
      const returnedFields = isObjectType(returned) || isInterfaceType(returned) ? returned.getFields() : {};
      for (const name of size?.sizedFields ?? []) {
        const sized = returnedFields[name];
        if (!sized || !isListType(getNullableType(sized.type))) problems.push(`${at}: sized field ${name} is no list`);
      }
      for (const name of size?.slicingArguments ?? []) {
        if (!field.args.some((a) => a.name === name)) problems.push(`${at}: no slicing argument ${name}`);
      }
      // A page size the directive does not name would go uncounted (a `last` beside `first`): every Int argument
      // of a sliced field slices it.
      for (const arg of size?.slicingArguments ? field.args : []) {
        if (getNamedType(arg.type).name === 'Int' && !size!.slicingArguments!.includes(arg.name)) {
          problems.push(`${at}: Int argument ${arg.name} is not among its slicingArguments`);
        }
      }
      const defaulted = field.args.some(
        (a) => a.defaultValue !== undefined && size?.slicingArguments?.includes(a.name),
      );
      if (size && size.assumedSize === undefined && !defaulted) {
        problems.push(`${at}: @listSize with neither assumedSize nor a slicing argument with a default`);
      }
      if (!isListType(getNullableType(field.type)) || size?.assumedSize !== undefined || defaulted) continue;
      const returning = fields.filter((f) => getNamedType(f.type) === type);
      if (returning.length === 0 || !returning.every((f) => listSize(f)?.sizedFields?.includes(field.name))) {
        problems.push(`${at}: a list with no @listSize, and not sized by every field returning ${type.name}`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`schema.graphql's cost directives: ${problems.join('; ')}`);
}

/**
 * Introspection lists, sized from the schema itself at their average length in it: `__Schema.types` is exactly the
 * number of types, `__Type.fields` the fields of all types over the number of types, and so on. Introspection is
 * answered from memory, and its lists are skewed (a few types have most fields): sized at their largest, the
 * standard introspection query would cost ~35× what it returns; at their average it costs about what it returns,
 * and a nested introspection query still multiplies out.
 */
function introspectionSizes(schema: GraphQLSchema): Record<string, number> {
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const average = (lengths: number[]) =>
    lengths.length === 0 ? 0 : lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const perType = (length: (t: (typeof types)[number]) => number) => average(types.map(length));
  const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []));
  return {
    '__Schema.types': types.length,
    '__Schema.directives': directives.length,
    '__Type.fields': perType((t) => (isObjectType(t) || isInterfaceType(t) ? Object.keys(t.getFields()).length : 0)),
    '__Type.inputFields': perType((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0)),
    '__Type.enumValues': perType((t) => (isEnumType(t) ? t.getValues().length : 0)),
    '__Type.interfaces': perType((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
    '__Type.possibleTypes': perType((t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0)),
    '__Field.args': average(fields.map((f) => f.args.length)),
    '__Directive.args': average(directives.map((d) => d.args.length)),
    '__Directive.locations': average(directives.map((d) => d.locations.length)),
  };
}
