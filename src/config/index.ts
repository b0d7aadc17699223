export { loadConfig, loadConfigText, parseConfig, TOP_LEVEL_KEYS, type LoadedConfig, type LoadOptions } from './load.js';
export { formatIssue, levenshtein, suggest, type ConfigIssue } from './diagnostics.js';
export { parseGoDuration, formatDurationMs } from './duration.js';
export { detectEcr, hostWithoutPort, isLoopback } from './location.js';
export { registrySettingsFor, targetRepository, sourceRepository } from './resolve.js';
export * from './types.js';
