import { getNamedType, isInputObjectType, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { groupKey } from '../../../server/live/fanout/group-key.js';
import { createPulseSchema } from '../../../server/root/schema.js';

/** The one operation of a document; Yoga's parser cache hands every subscriber of a text the same object. */
function operationOf(query: string): OperationDefinitionNode {
  const [operation] = parse(query).definitions;
  if (operation?.kind !== 'OperationDefinition') throw new Error('not an operation');
  return operation;
}

/** The cursor variable under a name of its own, so the key cannot be relying on `$since`. */
const RESUMABLE = operationOf(/* GraphQL */ `
  subscription Resumable($filter: ActivityFilter, $first: Int, $c: Cursor) {
    activityChanged(filter: $filter, first: $first, since: $c) { __typename cursor }
  }
`);

const ADMIN = new Set(['admin']);
const CURSOR_A = 'AAAAAAAAAAAAAAAA:12';
const CURSOR_B = 'AAAAAAAAAAAAAAAA:40';

const keyOf = (variables: Record<string, unknown> | undefined, operation = RESUMABLE, roles: ReadonlySet<string> = ADMIN): string =>
  groupKey(operation, variables, roles);

describe('groupKey', () => {
  it('gives operations that differ only in their since variable one key, whatever the variable is called', () => {
    const filter = { userId: 'u1' };
    expect(keyOf({ filter, first: 5, c: CURSOR_A })).toBe(keyOf({ filter, first: 5, c: CURSOR_B }));
    expect(keyOf({ filter, first: 5, c: CURSOR_A })).toBe(keyOf({ filter, first: 5 }));
  });

  it('keeps a null since, an absent since and no variables at all together', () => {
    expect(keyOf({ c: null })).toBe(keyOf({}));
    expect(keyOf({})).toBe(keyOf(undefined));
    expect(keyOf({ first: 5, c: null })).toBe(keyOf({ first: 5 }));
  });

  it('does not split on the order of keys, at the top or inside an input object', () => {
    expect(keyOf({ first: 5, filter: { userId: 'u1', pathPrefix: '/shop' }, c: CURSOR_A })).toBe(
      keyOf({ c: CURSOR_B, filter: { pathPrefix: '/shop', userId: 'u1' }, first: 5 }),
    );
  });

  it('gives operations that differ in first or in filter two keys', () => {
    expect(keyOf({ first: 5, c: CURSOR_A })).not.toBe(keyOf({ first: 6, c: CURSOR_A }));
    expect(keyOf({ filter: { userId: 'u1' } })).not.toBe(keyOf({ filter: { userId: 'u2' } }));
    expect(keyOf({ filter: { userId: 'u1' } })).not.toBe(keyOf({ filter: { userId: 'u1', pathPrefix: '/a' } }));
  });

  it('keeps null and absent apart for every other variable: absent takes the default (first: 20), null does not', () => {
    expect(keyOf({ first: null })).not.toBe(keyOf({}));
    expect(keyOf({ filter: null })).not.toBe(keyOf({}));
  });

  it('ignores variables the operation does not declare, as execution does', () => {
    expect(keyOf({ first: 5, unused: 'x' })).toBe(keyOf({ first: 5 }));
  });

  it('keeps an inline literal since in the document: each literal cursor is a group of its own', () => {
    const at = (cursor: string): OperationDefinitionNode =>
      operationOf(`subscription($first: Int) { activityChanged(first: $first, since: "${cursor}") { __typename } }`);
    const atA = at(CURSOR_A);
    const atB = at(CURSOR_B);
    expect(keyOf({ first: 5 }, atA)).toBe(keyOf({ first: 5 }, atA));
    expect(keyOf({ first: 5 }, atA)).not.toBe(keyOf({ first: 5 }, atB));
    // Its other variables still split and join as usual.
    expect(keyOf({ first: 5 }, atA)).not.toBe(keyOf({ first: 6 }, atA));
  });

  it('keys a Cursor variable that does not feed since (through a fragment) by its value', () => {
    const spread = operationOf(/* GraphQL */ `
      subscription Spread($c: Cursor) { ...Live }
      fragment Live on Subscription { activityChanged(since: $c) { __typename } }
    `);
    expect(keyOf({ c: CURSOR_A }, spread)).not.toBe(keyOf({ c: CURSOR_B }, spread));
  });

  it('splits on the authorisation scope, not on the order roles are listed in', () => {
    expect(keyOf({}, RESUMABLE, new Set(['admin', 'ingest']))).toBe(keyOf({}, RESUMABLE, new Set(['ingest', 'admin'])));
    expect(keyOf({}, RESUMABLE, new Set(['admin', 'ingest']))).not.toBe(keyOf({}, RESUMABLE, ADMIN));
  });

  it('tells apart two parses of the same text (two groups cost an execution, never correctness)', () => {
    const text = 'subscription { activityChanged { __typename } }';
    expect(keyOf({}, operationOf(text))).not.toBe(keyOf({}, operationOf(text)));
  });

  // Leaving the since variable out of the key is right only while nothing else can read it.
  it('relies on a schema where Cursor is the type of activityChanged(since:) alone', () => {
    const schema = createPulseSchema();
    const cursorInputs: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (getNamedType(field.type).name === 'Cursor') cursorInputs.push(`${type.name}.${field.name}`);
      } else if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          for (const argument of 'args' in field ? field.args : []) if (getNamedType(argument.type).name === 'Cursor') cursorInputs.push(`${type.name}.${field.name}(${argument.name})`);
        }
      }
    }
    for (const directive of schema.getDirectives()) {
      for (const argument of directive.args) if (getNamedType(argument.type).name === 'Cursor') cursorInputs.push(`@${directive.name}(${argument.name})`);
    }
    expect(cursorInputs, 'another Cursor input: see server/live/fanout/group-key.ts before adding one').toEqual(['Subscription.activityChanged(since)']);
  });
});
