/**
 * `npm run docs:settings`: rewrites README.md's Configuration table from
 * the settings table, so that the README cannot drift from the code (a test
 * fails when it has).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../config/readme-table.js';

const readmeUrl = new URL('../../README.md', import.meta.url);
writeFileSync(readmeUrl, withSettingsTable(readFileSync(readmeUrl, 'utf8')));
