import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsTable, TABLE_MARKERS, withSettingsTable } from '../../../server/config/readme-table.js';
import { SETTINGS } from '../../../server/config/settings.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the README settings table', () => {
  it('is the one derived from the settings table (run npm run docs:settings after changing a setting)', () => {
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('has one row per setting, naming its variable', () => {
    const table = settingsTable();
    for (const { env } of Object.values(SETTINGS)) expect(table).toContain(`| \`${env}\` |`);
    expect(table.split('\n')).toHaveLength(Object.keys(SETTINGS).length + 2);
  });

  it('refuses a README without the markers rather than losing its text', () => {
    expect(() => withSettingsTable('# no table here')).toThrow(TABLE_MARKERS.begin);
  });
});
