import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationLimitsRule } from '../../../server/http/query-limits.js';

const schema = buildSchema(`
  type Query { node: Node, name: String }
  type Node { child: Node, name: String, id: ID }
`);

/** Codes and limits of the errors the rule alone reports for `source`. */
function refusals(source: string, maxDepth = 4, maxFields = 20): unknown[] {
  return validate(schema, parse(source), [operationLimitsRule(maxDepth, maxFields)]).map((error) => error.extensions);
}

const nested = (depth: number): string => `{ ${'node { '.repeat(depth - 1)}name${' }'.repeat(depth - 1)} }`;

describe('operationLimitsRule', () => {
  it('accepts an operation at the depth limit and refuses one level more', () => {
    expect(refusals(nested(4))).toEqual([]);
    expect(refusals(nested(5))).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_DEPTH' })]);
  });

  it('counts depth through fragments and inline fragments', () => {
    const source = `{ node { ...A } } fragment A on Node { child { ... on Node { child { child { name } } } } }`;
    expect(refusals(source)).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_DEPTH' })]);
  });

  it('counts fields after expanding fragments, so aliases and spreads cannot hide them', () => {
    const fields = Array.from({ length: 5 }, (_, i) => `a${i}: name`).join(' ');
    expect(refusals(`{ ...F ...F ...F ...F } fragment F on Query { ${fields} }`)).toEqual([]);
    expect(refusals(`{ ...F ...F ...F ...F ...F } fragment F on Query { ${fields} name }`)).toEqual([
      expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_FIELDS' }),
    ]);
  });

  it('stops early on a fragment bomb instead of expanding it exponentially', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const source = `{ ...F0 } ${fragments} fragment F${levels} on Query { name }`;
    const started = performance.now();
    expect(refusals(source, 10, 500)).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_FIELDS' })]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not loop on fragment cycles, even run without NoFragmentCyclesRule', () => {
    const source = `{ node { ...A } } fragment A on Node { name child { ...B } } fragment B on Node { id ...A }`;
    expect(refusals(source, 100, 100)).toEqual([]);
    // With every rule, graphql reports the cycle itself.
    const all = validate(schema, parse(source), [...specifiedRules, operationLimitsRule(100, 100)]);
    expect(all.map((error) => error.message).join('\n')).toContain('Cannot spread fragment "A" within itself');
  });

  it('reports each operation of a document on its own, with its location', () => {
    const errors = validate(schema, parse(`query Ok { name } query Deep ${nested(6)}`), [operationLimitsRule(4, 20)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe('Operation "Deep" nests fields deeper than 4 (MAX_QUERY_DEPTH).');
    expect(errors[0]?.locations).toEqual([{ line: 1, column: 19 }]);
  });

  it("lets GraphiQL's introspection query through with the default limits", () => {
    expect(validate(schema, parse(getIntrospectionQuery()), [operationLimitsRule(12, 500)])).toEqual([]);
  });

  it('still bounds introspection at 15 levels and counts its fields', () => {
    const deep = `{ __schema { types { ${'fields { type { '.repeat(7)}name${' } }'.repeat(7)} } } }`;
    expect(refusals(deep, 4, 500)).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_DEPTH' })]);
    expect(refusals(getIntrospectionQuery(), 12, 50)).toEqual([expect.objectContaining({ limit: 'MAX_QUERY_FIELDS' })]);
  });
});
