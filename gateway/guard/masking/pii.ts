// Personal-data detectors: own patterns (secretlint covers secrets only), each number checked where a
// checksum exists. Boundaries are look-arounds, so a placeholder replaces exactly the value.
import type { PatternSpec } from './pattern.js';

/** Mod-10 check used by payment card numbers. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: the IBAN read as a number, country and check digits moved to the end, is 1 mod 97. */
export function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = parseInt(char, 36);
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/**
 * Accepts the longest head of a grouped number that passes `valid`, cutting only at separators: a card
 * or IBAN followed by another number ("4111 1111 1111 1111 2024") is still found, without the year.
 */
function longestValid(separators: string, valid: (compact: string) => boolean) {
  const separator = new RegExp(`[${separators}]`, 'g');
  return (match: string): number => {
    for (let end = match.length; end > 0; end--) {
      if (end < match.length && !separators.includes(match[end])) continue;
      if (valid(match.slice(0, end).replace(separator, ''))) return end;
    }
    return 0;
  };
}

const cardValid = (digits: string) => digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);

const digitCount = (text: string) => text.replace(/\D/g, '').length;

/** Eight hex groups, or fewer around one "::". Real addresses carry digits; C++ scopes (Abc::Def) do not. */
export function ipv6Valid(text: string): boolean {
  if (!/\d/.test(text)) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((list) => list.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group)))) return false;
  const count = groups.reduce((sum, list) => sum + list.length, 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

export const piiPatterns = {
  email: [
    {
      kind: 'email',
      // Not the password@host of scheme://user:password@host: the secrets detector masks that password.
      pattern: String.raw`(?<![A-Za-z0-9._%+-]|\/\/[^\s\/@:]{1,100}:)[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    },
  ],
  phone: [
    // International, with a leading +: compact E.164 or groups split by space, dot or dash.
    {
      kind: 'phone',
      pattern: String.raw`(?<![\w+])\+(?:[1-9]\d{7,14}|[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]\d{1,6}){1,6})(?!\w)`,
      accept: longestValid(' .-', (compact) => digitCount(compact) >= 8 && digitCount(compact) <= 15),
    },
    // North American 3-3-4 with separators. Bare digit runs are not phones (ids, timestamps), nor are dates.
    {
      kind: 'phone',
      pattern: String.raw`(?<![\w+.-])(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)`,
    },
  ],
  card: [
    {
      kind: 'card',
      // 13–19 digits, compact or in groups (4-4-4-4, Amex 4-6-5, 4-4-4-4-3); issuer digit 2–6, Luhn-valid.
      pattern: String.raw`(?<![\w.+-])(?:\d{13,19}|\d{4}(?:[ -]\d{3,6}){2,4})(?!\w)`,
      accept: longestValid(' -', cardValid),
    },
  ],
  iban: [
    {
      kind: 'iban',
      pattern: String.raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])`,
      accept: longestValid(' ', ibanValid),
    },
  ],
  ssn: [
    {
      kind: 'ssn',
      // US SSN, dashed only; area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
      pattern: String.raw`(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])`,
    },
  ],
  ip: [
    {
      kind: 'ip',
      // A dotted quad not inside a longer dotted run: 1.2.3.4.5 and v1.2.3.4 are version numbers.
      pattern: String.raw`(?<![\w.])(?:${OCTET}\.){3}${OCTET}(?!\w|\.\d)`,
    },
    {
      kind: 'ip',
      // Candidates are runs of hex digits and colons; ipv6Valid decides (a regex spelling out every
      // compressed form costs far more per streamed chunk).
      pattern: String.raw`(?<![\w:.])[0-9A-Fa-f:]{2,39}(?![\w:]|\.\w)`,
      // A single trailing colon is punctuation ("reach fe80::1: it answers").
      accept: (match) => (ipv6Valid(match) ? match.length : /[^:]:$/.test(match) && ipv6Valid(match.slice(0, -1)) ? match.length - 1 : 0),
    },
  ],
} satisfies Record<string, PatternSpec[]>;
