import { CORE_SETTINGS } from './settings-core.js';
import { LIMIT_SETTINGS } from './settings-limits.js';
import type { Setting, SettingValue } from './setting.js';

/**
 * Every setting of Pulse, declared once, in the order of the start-up
 * summary and the README table. Everything else is derived from it: the
 * {@link Config} type, the flags, the validation (`loadConfig`), the
 * summary (`describeConfig`) and the README table (`settingsTable`, kept
 * equal to the README by a test).
 */
export const SETTINGS = { ...CORE_SETTINGS, ...LIMIT_SETTINGS } as const;

/** A key of the settings table, e.g. `idleTimeoutMs`. */
export type SettingKey = keyof typeof SETTINGS;

/**
 * Every setting of a Pulse process, validated. Built only by `loadConfig`;
 * each field's variable, default and meaning are in {@link SETTINGS} (and
 * the README's Configuration table, derived from it).
 */
export type Config = { readonly [K in SettingKey]: SettingValue<(typeof SETTINGS)[K]> };

/** The table's rows with their keys, in order, seen through the common row type. */
export function settingRows(): readonly (readonly [SettingKey, Setting<unknown>])[] {
  return Object.entries(SETTINGS) as unknown as readonly (readonly [SettingKey, Setting<unknown>])[];
}

/** `IDLE_TIMEOUT_MS` → `idle-timeout-ms`. */
export function flagName(env: string): string {
  return env.toLowerCase().replaceAll('_', '-');
}
