// Masking for bundles: secrets and personal data become their placeholder plus a keyed hash (HMAC), so an auditor
// never sees the value but an admin can still find it: `airlock hash VALUE` gives the tag to search for.
import { createMasker, type Finding, type MaskingConfig } from '../guard/masking/index.js';
import type { SessionCrypto } from '../store/session-crypto.js';

export interface Redactor {
  text(value: string): string;
  /** Every string inside a JSON value; keys stay. */
  json<T>(value: T): T;
  /**
   * A stream's pieces, masked as one text (a secret can be split across two chunks): each piece keeps its place,
   * a masked value appears whole in the piece where it starts.
   */
  pieces(values: string[]): string[];
}

/** The tag a masked value carries in a bundle: the same value always gets the same tag in one data dir. */
export function maskTag(crypto: SessionCrypto, value: string): string {
  return `hmac:${crypto.hmac(`audit-mask:${value}`).subarray(0, 8).toString('hex')}`;
}

export function redactor(crypto: SessionCrypto, masking: MaskingConfig = {}): Redactor {
  const masker = createMasker(masking);
  const replacement = (value: string, f: Finding) => `${f.placeholder}(${maskTag(crypto, value.slice(f.start, f.end))})`;
  const text = (value: string): string => {
    const { findings } = masker.mask(value);
    if (findings.length === 0) return value;
    let out = '';
    let cursor = 0;
    for (const f of findings) {
      out += `${value.slice(cursor, f.start)}${replacement(value, f)}`;
      cursor = f.end;
    }
    return out + value.slice(cursor);
  };
  const pieces = (values: string[]): string[] => {
    const whole = values.join('');
    const { findings } = masker.mask(whole);
    if (findings.length === 0) return values;
    let offset = 0;
    let next = 0;
    return values.map((piece) => {
      const start = offset;
      const end = (offset += piece.length);
      let out = '';
      let cursor = start;
      // A finding that began in an earlier piece: skip what is left of it.
      if (next > 0 && findings[next - 1].end > cursor) cursor = Math.min(end, findings[next - 1].end);
      while (next < findings.length && findings[next].start < end) {
        const f = findings[next++];
        out += whole.slice(cursor, f.start) + replacement(whole, f);
        cursor = Math.min(end, f.end);
      }
      return out + whole.slice(cursor, end);
    });
  };
  const json = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(json);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, json(v)]));
    return value;
  };
  return { text, json: <T>(value: T) => json(value) as T, pieces };
}

/** For `--raw`: what was recorded, as it was. */
export const rawContent: Redactor = { text: (value) => value, json: (value) => value, pieces: (values) => values };
