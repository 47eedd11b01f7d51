import { parseArgs } from 'node:util';
import { flagName, settingRows } from './settings.js';

/**
 * Turns argv into variable name → raw value, recording unknown flags,
 * missing values and stray arguments instead of stopping at the first one
 * (which `parseArgs` in strict mode would do). Secret settings have no flag;
 * theirs are declared only so that their values are swallowed, never echoed
 * back as stray arguments.
 */
export function parseFlags(argv: readonly string[], problems: string[]): Map<string, string> {
  const rows = settingRows().map(([, row]) => row);
  const byFlag = new Map(rows.map((row) => [flagName(row.env), row]));
  const options = Object.fromEntries(rows.map((row) => [flagName(row.env), { type: row.flag === 'switch' ? ('boolean' as const) : ('string' as const) }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags = new Map<string, string>();
  const expectedFlags = rows.filter((row) => row.flag !== 'secret').map((row) => `--${flagName(row.env)}`);
  for (const token of tokens) {
    if (token.kind === 'positional') problems.push(`${JSON.stringify(token.value)}: unexpected argument; settings are flags such as --port 4001`);
    if (token.kind !== 'option') continue;
    const row = byFlag.get(token.name);
    const problem = flagProblem(token.rawName, row, token.value, token.inlineValue, expectedFlags);
    if (problem !== undefined) problems.push(problem);
    else if (row !== undefined) flags.set(row.env, token.value ?? 'true');
  }
  return flags;
}

function flagProblem(
  rawName: string,
  row: { readonly env: string; readonly flag: string } | undefined,
  value: string | undefined,
  inline: boolean | undefined,
  expectedFlags: readonly string[],
): string | undefined {
  if (row?.flag === 'secret') return `${rawName}: not accepted as a flag (a command line is visible to other users); set ${row.env} in the environment`;
  if (row === undefined) return `${rawName}: unknown flag; expected one of ${expectedFlags.join(', ')}`;
  if (value === undefined && row.flag !== 'switch') return `${rawName}: expected a value (${rawName} <value> or ${rawName}=<value>)`;
  // parseArgs takes the next argument as the value even when it is another flag; say so rather than misread it.
  if (inline === false && value?.startsWith('-')) {
    return `${rawName}: expected a value but got ${JSON.stringify(value)}, which looks like a flag; write ${rawName}=${value} if that is the value`;
  }
  return undefined;
}
