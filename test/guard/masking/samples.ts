// Secret and personal-data samples for the masking tests. Tokens are assembled at run time, so no
// secret-shaped literal sits in the repository (and trips push protection).
import fc from 'fast-check';
import { luhnValid } from '../../../gateway/guard/masking/pii.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = ALNUM + '_-';
const B64 = ALNUM + '+/';
const DIGITS = '0123456789';
const HEXDIGITS = '0123456789abcdef';

/** A deterministic pseudo-random string (mulberry32), for fixed unit-test samples. */
export function pseudo(alphabet: string, length: number, seed = 1): string {
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out += alphabet[((t ^ (t >>> 14)) >>> 0) % alphabet.length];
  }
  return out;
}

export function withLuhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

export function ibanWithCheck(country: string, bban: string): string {
  const numeric = [...(bban + country + '00')].map((c) => parseInt(c, 36)).join('');
  let remainder = 0;
  for (const digit of numeric) remainder = (remainder * 10 + Number(digit)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

export const groupsOf4 = (text: string) => text.match(/.{1,4}/g)!.join(' ');

const privateKeyBody = (seed: number) => 'MII' + pseudo(B64, 253, seed);
const pemLines = (body: string) => body.match(/.{1,64}/g)!.join('\n');

/** Fixed samples, one per detector and secret kind: [kind, text around it, the value that must vanish]. */
export const fixed = {
  email: 'jane.doe+news@mail.example.co.uk',
  phoneIntl: '+44 20 7946 0958',
  phoneNanp: '(555) 123-4567',
  card: withLuhnDigit('411111111111111'),
  iban: ibanWithCheck('DE', '370400440532013000'),
  ssn: '123-45-6789',
  ipv4: '192.168.10.254',
  ipv6: '2001:db8:85a3::8a2e:370:7334',
  openai: `sk-proj-${pseudo(B64URL, 74, 2)}T3BlbkFJ${pseudo(B64URL, 74, 3)}`,
  openaiLegacy: `sk-${pseudo(ALNUM, 20, 4)}T3BlbkFJ${pseudo(ALNUM, 20, 5)}`,
  anthropic: `sk-ant-api03-${pseudo(B64URL, 93, 6)}AA`,
  awsKeyId: `AKIA${pseudo(UPPER_NUM, 16, 7)}`,
  awsSecret: pseudo(ALNUM + '/+', 40, 8),
  github: `ghp_${pseudo(ALNUM, 36, 9)}`,
  githubPat: `github_pat_${pseudo(ALNUM + '_', 82, 10)}`,
  slack: `xoxb-${pseudo(DIGITS, 11, 11)}-${pseudo(DIGITS, 12, 12)}-${pseudo(ALNUM, 24, 13)}`,
  stripe: ['sk', 'live', pseudo(ALNUM, 24, 14)].join('_'),
  privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${pemLines(privateKeyBody(15))}\n-----END RSA PRIVATE KEY-----`,
  jwt: `eyJhbGciOiJIUzI1NiJ9.eyJ${pseudo(B64URL, 40, 16)}.${pseudo(B64URL, 43, 17)}`,
  bearer: pseudo(ALNUM, 28, 18) + '7',
  gitlab: `glpat-${pseudo(B64URL, 20, 19)}`,
  npm: `npm_${pseudo(ALNUM, 36, 20)}`,
  huggingface: `hf_${pseudo('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 34, 21)}`,
  groq: `gsk_${pseudo(ALNUM, 52, 22)}`,
  databricks: `dapi${pseudo(HEXDIGITS, 32, 23)}`,
  password: pseudo(ALNUM, 12, 24),
};

// ---- fast-check arbitraries: values embedded in random text ----

export interface Embedded {
  kind: string;
  /** Context that stays visible (e.g. "Bearer "), then the value that must be masked. */
  before: string;
  secret: string;
  after: string;
}

const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const digits = (n: number) => chars(DIGITS, n, n);
const plainValue = (kind: string, value: fc.Arbitrary<string>) => value.map((secret): Embedded => ({ kind, before: '', secret, after: '' }));

export const embeddedArb: fc.Arbitrary<Embedded> = fc.oneof(
  plainValue('email', fc.tuple(chars('abcdefghij0123456789', 1, 8), chars('abcdefghij.', 0, 3), chars('abcdefghij', 1, 8), chars('abcdefghij', 2, 5)).map(([a, b, d, t]) => `${a}${b.replace(/\.+$/, '')}x@${d}.${t}`)),
  plainValue('phone', fc.tuple(fc.integer({ min: 1, max: 99 }), digits(3), digits(3), digits(4)).map(([cc, a, b, c]) => `+${cc} ${a} ${b} ${c}`)),
  plainValue('phone', fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => `(${a}) ${b}-${c}`)),
  plainValue('card', fc.tuple(digits(14), fc.boolean()).map(([body, grouped]) => { const n = withLuhnDigit('4' + body); return grouped ? groupsOf4(n) : n; })),
  plainValue('iban', fc.tuple(digits(18), fc.boolean()).map(([bban, grouped]) => { const n = ibanWithCheck('DE', bban); return grouped ? groupsOf4(n) : n; })),
  plainValue('ssn', fc.tuple(fc.integer({ min: 1, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 })).map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`)),
  plainValue('ip', fc.tuple(fc.integer({ min: 1, max: 255 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'))),
  plainValue('ip', fc.array(chars(HEXDIGITS, 1, 4), { minLength: 3, maxLength: 6 }).map((groups) => `2001:${groups[0]}::${groups.slice(1).join(':')}`)),
  plainValue('openai', chars(ALNUM, 40, 60).map((t) => `sk-proj-${t}`)),
  plainValue('anthropic', chars(B64URL, 93, 93).map((t) => `sk-ant-api03-${t}AA`)),
  plainValue('aws', chars(UPPER_NUM, 16, 16).map((t) => `AKIA${t}`)),
  chars(ALNUM + '/+', 40, 40).map((secret): Embedded => ({ kind: 'aws', before: 'aws_secret_access_key = ', secret, after: '' })),
  plainValue('github', chars(ALNUM, 36, 36).map((t) => `ghp_${t}`)),
  plainValue('slack', fc.tuple(digits(10), chars(ALNUM, 12, 24)).map(([a, b]) => `xoxb-${a}-${b}`)),
  plainValue('stripe', chars(ALNUM, 24, 32).map((t) => ['rk', 'live', t].join('_'))),
  plainValue('private_key', chars(B64, 120, 300).map((body) => `-----BEGIN PRIVATE KEY-----\n${pemLines('MII' + body)}\n-----END PRIVATE KEY-----`)),
  plainValue('jwt', fc.tuple(chars(B64URL, 10, 30), chars(B64URL, 10, 60), chars(B64URL, 20, 43)).map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`)),
  fc.tuple(chars(ALNUM, 20, 40), digits(1)).map(([t, d]): Embedded => ({ kind: 'bearer', before: 'Authorization: Bearer ', secret: t + d, after: '' })),
  chars(ALNUM, 6, 16).map((secret): Embedded => ({ kind: 'password', before: 'postgres://admin:', secret, after: '@db.internal:5432/app' })),
  plainValue('ticket', digits(4).map((n) => `TKT-${n}`)),
);

/** Ordinary words, some of them near-misses: versions, dates, short numbers, lone prefixes. */
const WORDS = [
  'the', 'answer', 'is', 'here', 'and', 'then', 'Note:', 'I', 'OK', 'a', 'version', '1.2.3.4.5', 'v2',
  '2024-01-15', '42', 'e.g.', 'sk-', 'Bearer', 'key', 'token', '-----', 'DE', 'ghp', 'eyJ', 'std::vector', 'TKT', '(see', 'below)',
];
const SEPARATORS = [' ', '\n', '. ', ', ', ': ', ' (', ') '];

export const plainArb = fc.array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 6 }).map((words) => words.join(' '));
export const separatorArb = fc.constantFrom(...SEPARATORS);

/** A text of plain runs and embedded values, each value between separators. */
export const documentArb = fc
  .array(fc.tuple(plainArb, separatorArb, embeddedArb, separatorArb), { minLength: 1, maxLength: 5 })
  .chain((parts) => plainArb.map((tail) => ({ parts, tail })))
  .map(({ parts, tail }) => {
    let text = '';
    let plain = '';
    const secrets: { kind: string; value: string; start: number; end: number }[] = [];
    for (const [words, open, value, close] of parts) {
      const head = words + open + value.before;
      text += head;
      plain += head + '\u0000';
      secrets.push({ kind: value.kind, value: value.secret, start: text.length, end: text.length + value.secret.length });
      text += value.secret;
      text += value.after + close;
      plain += value.after + close;
    }
    text += tail;
    plain += tail;
    return { text, plain, secrets };
  });

/** Split points for a text: random cuts, or every character. */
export function chunkArb(length: number): fc.Arbitrary<number[]> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant([...Array(length).keys()].slice(1)) },
    { weight: 3, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: Math.min(40, length) }).map((cuts) => cuts.sort((a, b) => a - b)) },
  );
}

export function splitAt(text: string, cuts: number[]): string[] {
  const chunks: string[] = [];
  let last = 0;
  for (const cut of cuts) {
    if (cut <= last || cut >= text.length) continue;
    chunks.push(text.slice(last, cut));
    last = cut;
  }
  chunks.push(text.slice(last));
  return chunks;
}
