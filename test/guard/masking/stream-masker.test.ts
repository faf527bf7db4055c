import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, detectorNames, type Masker } from '../../../gateway/guard/masking/index.js';
import { chunkArb, documentArb, fixed, groupsOf4, pseudo, splitAt } from './samples.js';

const masker = createMasker({ custom: [{ name: 'ticket', pattern: 'TKT-[0-9]+' }] });

function streamed(m: Masker, chunks: string[]) {
  const stream = m.stream();
  const outputs: string[] = [];
  const held: number[] = [];
  for (const chunk of chunks) {
    outputs.push(stream.push(chunk));
    held.push(stream.held);
  }
  outputs.push(stream.flush());
  return { outputs, held, findings: stream.findings };
}

const grams = (text: string, n = 4) => Array.from({ length: Math.max(0, text.length - n + 1) }, (_, i) => text.slice(i, i + n));

describe('StreamMasker', () => {
  it('gives the whole-text result for any chunking, never leaks a piece of a secret, never holds more than maxHoldBack', () => {
    const placeholders = '[EMAIL][PHONE][CARD][IBAN][SSN][IP][TICKET]' + '[SECRET:openai][SECRET:anthropic][SECRET:aws][SECRET:github][SECRET:slack][SECRET:stripe][SECRET:private_key][SECRET:jwt][SECRET:bearer][SECRET:password]';
    fc.assert(
      fc.property(
        documentArb.chain((doc) => chunkArb(doc.text.length).map((cuts) => ({ doc, cuts }))),
        ({ doc, cuts }) => {
          const whole = masker.mask(doc.text);
          // Every embedded value is masked in the whole text.
          for (const secret of doc.secrets) {
            expect(whole.findings.some((f) => f.start <= secret.start && f.end >= secret.end), `${secret.kind} ${secret.value} in ${JSON.stringify(doc.text)}`).toBe(true);
          }
          const { outputs, held, findings } = streamed(masker, splitAt(doc.text, cuts));
          expect(outputs.join('')).toBe(whole.text);
          expect(findings).toEqual(whole.findings);
          expect(Math.max(0, ...held)).toBeLessThanOrEqual(masker.maxHoldBack);
          // No output chunk, nor the whole output, shows 4 characters of a secret that the plain text lacks.
          const allowed = doc.plain + placeholders;
          for (const secret of doc.secrets) {
            const leaks = grams(secret.value).filter((gram) => !allowed.includes(gram));
            for (const output of [...outputs, outputs.join('')]) {
              expect(leaks.filter((gram) => output.includes(gram)), `${secret.kind} leaked in ${JSON.stringify(output)}`).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the whole-text result for adversarial text: fragments of secrets, separators, digits, astral characters', () => {
    const pieces = [
      ...'0123456789abcdefABZ .-:@+()/_=\n\t,é😀',
      '10.0.0.1', '.5', '123-45-', '6789', '(555) 123-', '4567', 'fe80::', '2001:db8:',
      'sk-', 'sk-ant-', 'sk-proj-', 'ghp_', 'xoxb-', 'AKIA', 'eyJ', 'Bearer ', 'TKT-', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----',
      'aws_secret_access_key = ', 'postgres://u:', '@ex.com', 'DE89', '4111', '555', '::', '192.168.', 'MII', 'T3BlbkFJ', 'AA',
    ];
    const textArb = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ unit: fc.constantFrom(...'A1b2C3-_'), minLength: 1, maxLength: 20 })), { minLength: 10, maxLength: 60 }).map((parts) => parts.join(''));
    // Each detector alone too: together, one detector's prefixes can hide another's mistakes.
    const maskers = [masker, ...detectorNames.map((name) => createMasker({ detectors: [name] }))];
    fc.assert(
      fc.property(
        fc.constantFrom(...maskers),
        textArb.chain((text) => chunkArb(Math.max(1, text.length)).map((cuts) => ({ text, cuts }))),
        (m, { text, cuts }) => {
          const { outputs, held, findings } = streamed(m, splitAt(text, cuts));
          const whole = m.mask(text);
          expect(outputs.join('')).toBe(whole.text);
          expect(findings).toEqual(whole.findings);
          expect(Math.max(0, ...held)).toBeLessThanOrEqual(m.maxHoldBack);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decides the same at every split of texts whose outcome hangs on the characters after a value', () => {
    const texts = [
      '10.0.0.1.5', 'v 10.0.0.1. next', '(555) 123-4567.8', '555-123-4567-1', '123-45-6789-0', '2001:db8::1:', 'fe80::1.x',
      `${fixed.card}5`, `${groupsOf4(fixed.iban)} AB`, `${fixed.github}x`, 'postgres://u:pw@h', 'Bearer abcdefghij0123456789=x',
      `aws_secret_access_key=${fixed.awsSecret}/`, 'mail a@b.com.au.', 'TKT-12a',
    ];
    const maskers = [masker, ...detectorNames.map((name) => createMasker({ detectors: [name], custom: [{ name: 'ticket', pattern: 'TKT-[0-9]+' }] }))];
    for (const m of maskers) {
      for (const text of texts) {
        const whole = m.mask(text).text;
        expect(streamed(m, [...text]).outputs.join('')).toBe(whole);
        for (let cut = 1; cut < text.length; cut++) expect(streamed(m, splitAt(text, [cut])).outputs.join(''), `${text} cut at ${cut}`).toBe(whole);
      }
    }
  });

  it('never emits a prefix of a secret split anywhere (sk-pr… then placeholder)', () => {
    const text = `key ${fixed.openai} end`;
    const secretStart = text.indexOf('sk-');
    for (let cut = 1; cut < text.length; cut++) {
      for (const cut2 of [cut + 1, cut + 7, text.length]) {
        const { outputs } = streamed(masker, splitAt(text, [cut, cut2]));
        expect(outputs.join('')).toBe('key [SECRET:openai] end');
        for (const output of outputs) expect(output.includes('sk-')).toBe(false);
      }
      if (cut > secretStart) break;
    }
    const oneByOne = streamed(masker, [...text]);
    // Each word is held until the character after it shows it is not the start of a match.
    expect(oneByOne.outputs.filter(Boolean)).toEqual(['key ', '[SECRET:openai] ', 'end']);
  });

  it('emits ordinary text at once, holding at most the word still open', () => {
    const stream = masker.stream();
    expect(stream.push('Hello there, ')).toBe('Hello there, ');
    expect(stream.held).toBe(0);
    expect(stream.push('gener')).toBe('');
    expect(stream.held).toBe(5);
    expect(stream.push('al ')).toBe('general ');
    expect(stream.push('Kenobi.')).toBe('');
    expect(stream.flush()).toBe('Kenobi.');
  });

  it('holds back about one word of ordinary prose streamed as tokens', () => {
    const prose =
      'The gateway sits between programs and the upstream APIs. A reviewer approves each request, and answers stream back ' +
      'through the masking stage, which replaces secrets and personal data with typed placeholders. In 2024 most answers were ' +
      'plain English: explanations, code samples, lists of steps (with numbers like 1, 2 and 3), and links such as https://example.com/docs. ';
    const tokens = prose.repeat(20).match(/\s*\S+/g)!;
    const { held, outputs } = streamed(masker, tokens);
    const average = held.reduce((a, b) => a + b, 0) / held.length;
    expect(outputs.join('')).toBe(tokens.join(''));
    expect(average).toBeLessThan(8);
    expect(Math.max(...held)).toBeLessThanOrEqual(30); // the longest non-space run (the URL)
  });

  it('holds a private key only while its BEGIN line is open, bounded', () => {
    const stream = masker.stream();
    let out = stream.push('before\n-----BEGIN PRIVATE KEY-----\n');
    expect(out).toBe('before\n');
    const body = 'MII' + pseudo('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 20000, 3);
    for (let i = 0; i < body.length; i += 64) {
      out += stream.push(body.slice(i, i + 64) + '\n');
      expect(stream.held).toBeLessThanOrEqual(masker.maxHoldBack);
    }
    out += stream.flush();
    expect(out.startsWith('before\n[SECRET:private_key]')).toBe(true);
    expect(masker.maxHoldBack).toBeLessThan(8500);
  });

  it('reports findings at offsets in the whole streamed text', () => {
    const stream = masker.stream();
    stream.push('id TKT-');
    stream.push('42 mail a@example.org');
    stream.flush();
    expect(stream.findings).toEqual([
      { detector: 'ticket', kind: 'ticket', placeholder: '[TICKET]', start: 3, end: 9 },
      { detector: 'email', kind: 'email', placeholder: '[EMAIL]', start: 15, end: 28 },
    ]);
  });

  it('ends with flush', () => {
    const stream = masker.stream();
    stream.push('abc');
    expect(stream.flush()).toBe('abc');
    expect(stream.flush()).toBe('');
    expect(() => stream.push('more')).toThrow(/after flush/);
  });

  it('passes everything through at once with no detectors', () => {
    const none = createMasker({ detectors: [] });
    const stream = none.stream();
    expect(none.maxHoldBack).toBe(0);
    expect(stream.push(`mail ${fixed.email}`)).toBe(`mail ${fixed.email}`);
    expect(stream.held).toBe(0);
  });
});
