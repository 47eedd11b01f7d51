import {
  getNamedType,
  getOperationAST,
  Kind,
  locatedError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PulseContext } from '../resolvers/context.js';
import { recordCounted } from '../resolvers/mutation.js';
import { coercePlainActivityInputs } from '../resolvers/plain-activity-inputs.js';

/** A document that is one plain `recordActivities` selecting nothing but `recorded`, as its execution needs it. */
interface PlainIngest {
  /** The variable `inputs` is given as. */
  readonly variable: string;
  /** The field as written (its response key and its location, for an error). */
  readonly field: FieldNode;
  /** The payload's selections: response key, and whether it is `recorded` (else `__typename`). */
  readonly selections: ReadonlyArray<{ readonly key: string; readonly recorded: boolean }>;
  /** The payload type's name, for `__typename`. */
  readonly typename: string;
}

/** Each document's plan per operation name; null when it is not a plain ingest. */
const plans = new WeakMap<DocumentNode, Map<string | null, PlainIngest | null>>();

/**
 * Runs the ingest mutation the way every ingest client sends it,
 * `recordActivities(inputs: $inputs) { recorded }`, without GraphQL's
 * variable coercion: its inputs are coerced by
 * `coercePlainActivityInputs`, then the resolver's own
 * `recordCounted` runs, and the result (or the error, located as the
 * executor locates it) is built as the executor builds it. Everything else
 * in the pipeline stays: it replaces the execute function only, after the
 * role check, so every later hook (masking, result processing) still sees
 * the result. A document of any other shape, and variables GraphQL would
 * have a word about, are executed as always.
 */
export function usePlainIngest(): Plugin<PulseContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const plan = planOf(args.schema, args.document, args.operationName);
      if (plan === null) return;
      setExecuteFn((execution: ExecutionArgs) => {
        const context = execution.contextValue as PulseContext;
        const inputs = coercePlainActivityInputs(execution.variableValues?.[plan.variable]);
        context.services.metrics.plainIngest.inc({ inputs: inputs === null ? 'coerced_by_graphql' : 'plain' });
        if (inputs === null) return executeFn(execution);
        return executePlain(plan, inputs, context);
      });
    },
  };
}

async function executePlain(plan: PlainIngest, inputs: Parameters<typeof recordCounted>[0], context: PulseContext): Promise<ExecutionResult> {
  const key = plan.field.alias?.value ?? plan.field.name.value;
  try {
    const recorded = await recordCounted(inputs, context);
    const payload: Record<string, unknown> = {};
    for (const selection of plan.selections) payload[selection.key] = selection.recorded ? recorded : plan.typename;
    return { data: { [key]: payload } };
  } catch (error) {
    // A non-null root field: its error nulls `data`, as the executor answers it.
    return { errors: [locatedError(error, [plan.field], [key])], data: null };
  }
}

function planOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): PlainIngest | null {
  let byName = plans.get(document);
  if (byName === undefined) plans.set(document, (byName = new Map()));
  const name = operationName ?? null;
  let plan = byName.get(name);
  if (plan === undefined) byName.set(name, (plan = plainIngestOf(schema, document, name)));
  return plan;
}

function plainIngestOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): PlainIngest | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation' || (operation.directives?.length ?? 0) > 0) return null;
  const [field, ...others] = operation.selectionSet.selections;
  if (field?.kind !== Kind.FIELD || others.length > 0 || field.name.value !== 'recordActivities' || (field.directives?.length ?? 0) > 0) return null;
  const [argument, ...moreArguments] = field.arguments ?? [];
  if (argument?.name.value !== 'inputs' || argument.value.kind !== Kind.VARIABLE || moreArguments.length > 0) return null;
  const variable = argument.value.name.value;
  const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === variable);
  if (definition === undefined || definition.defaultValue !== undefined || (definition.directives?.length ?? 0) > 0 || !isInputList(definition.type)) return null;
  const selections: Array<{ key: string; recorded: boolean }> = [];
  for (const selection of field.selectionSet?.selections ?? []) {
    if (selection.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0 || (selection.arguments?.length ?? 0) > 0) return null;
    const fieldName = selection.name.value;
    if (fieldName !== 'recorded' && fieldName !== '__typename') return null;
    selections.push({ key: selection.alias?.value ?? fieldName, recorded: fieldName === 'recorded' });
  }
  const payloadType = schema.getMutationType()?.getFields().recordActivities?.type;
  if (payloadType === undefined || selections.length === 0) return null;
  return { variable, field, selections, typename: getNamedType(payloadType).name };
}

/** `[ActivityInput!]!`, the only type the argument takes a variable of without a default. */
function isInputList(type: TypeNode): boolean {
  if (type.kind !== Kind.NON_NULL_TYPE || type.type.kind !== Kind.LIST_TYPE) return false;
  const item = type.type.type;
  return item.kind === Kind.NON_NULL_TYPE && item.type.kind === Kind.NAMED_TYPE && item.type.name.value === 'ActivityInput';
}
