// Masking of secrets and personal data in answers (and optionally prompts), whole or streamed.
// Pure: no I/O. The gateway's mask stage builds one Masker from config and opens a stream per answer.
export { createMasker, type Masker } from './masker.js';
export { StreamMasker } from './stream-masker.js';
export { maskJsonStrings } from './json.js';
export type { Finding } from './scanner.js';
export { maskingConfigSchema, detectorNames, type DetectorName, type MaskingConfig, type MaskingSettings } from './config.js';
export { secretKinds } from './secrets.js';
