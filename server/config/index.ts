/**
 * Pulse's settings: one table (`settings.ts`), and what is derived from it.
 */
export { redactUrlCredentials } from './checks.js';
export { describeConfig } from './describe.js';
export { ConfigError, loadConfig } from './load.js';
export { LOG_LEVELS, type LogLevel } from './settings-limits.js';
export { IP_MODES, type IpMode } from './settings-core.js';
export { SETTINGS, type Config, type SettingKey } from './settings.js';
