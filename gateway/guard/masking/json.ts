// Masks every string in a JSON value (non-streamed answers, and prompts when masking.requests is on).
// Keys stay as they are; unchanged branches are returned as the same objects.
import type { Masker } from './masker.js';

export function maskJsonStrings<T>(value: T, masker: Masker): T {
  return maskValue(value, masker) as T;
}

function maskValue(value: unknown, masker: Masker): unknown {
  if (typeof value === 'string') return masker.mask(value).text;
  if (Array.isArray(value)) {
    const items = value.map((item) => maskValue(item, masker));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const masked = maskValue(item, masker);
      if (masked !== item) changed = true;
      return [key, masked] as const;
    });
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}
