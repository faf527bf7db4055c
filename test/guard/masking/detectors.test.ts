import { describe, expect, it } from 'vitest';
import { createMasker } from '../../../gateway/guard/masking/index.js';
import { ibanValid, ipv6Valid, luhnValid } from '../../../gateway/guard/masking/pii.js';
import { fixed, groupsOf4, pseudo, withLuhnDigit } from './samples.js';

const masker = createMasker();
const mask = (text: string) => masker.mask(text).text;

describe('email', () => {
  it('masks addresses, keeping the sentence around them', () => {
    expect(mask(`Write to ${fixed.email}.`)).toBe('Write to [EMAIL].');
    expect(mask('mailto:ops@example.com')).toBe('mailto:[EMAIL]');
  });
  it('leaves near-misses', () => {
    for (const text of ['user@localhost', '@handle', 'a@b.c', 'name@ example.com']) expect(mask(text)).toBe(text);
  });
});

describe('phone', () => {
  it('masks international and North American numbers', () => {
    expect(mask(`call ${fixed.phoneIntl} now`)).toBe('call [PHONE] now');
    expect(mask('+15551234567')).toBe('[PHONE]');
    expect(mask('+1 (555) 123-4567')).toBe('[PHONE]');
    expect(mask(`or ${fixed.phoneNanp}, or 555.123.4567, or 555-123-4567`)).toBe('or [PHONE], or [PHONE], or [PHONE]');
  });
  it('leaves dates, times, versions, ids and short numbers', () => {
    for (const text of ['2024-01-15', '15/01/2024', '12.05.2024', '12:30:45', '1.2.3.4.5', 'order 5551234567', '555-1234', '+12 34', 'ts 1700000000000']) {
      expect(mask(text)).toBe(text);
    }
  });
});

describe('card', () => {
  const card = fixed.card;
  it('masks Luhn-valid numbers, compact or grouped', () => {
    expect(mask(`card ${card} ok`)).toBe('card [CARD] ok');
    expect(mask(`card ${groupsOf4(card)} ok`)).toBe('card [CARD] ok');
    expect(mask(card.replace(/(\d{4})(?=\d)/g, '$1-'))).toBe('[CARD]');
    expect(mask('Amex 3782 822463 10005')).toBe('Amex [CARD]');
  });
  it('keeps a number that follows the card', () => {
    expect(mask(`${groupsOf4(card)} 2024 and more`)).toBe('[CARD] 2024 and more');
  });
  it('leaves a 16-digit number that fails Luhn', () => {
    const invalid = card.slice(0, 15) + ((Number(card[15]) + 1) % 10);
    expect(luhnValid(invalid)).toBe(false);
    expect(mask(`card ${invalid}`)).toBe(`card ${invalid}`);
    expect(mask(groupsOf4(invalid))).toBe(groupsOf4(invalid));
  });
  it('leaves Luhn-valid numbers no card network issues (timestamps, ids starting with 1, 7–9, 0)', () => {
    const id = withLuhnDigit('170000000000');
    expect(mask(id)).toBe(id);
  });
});

describe('iban', () => {
  it('masks IBANs with a valid mod-97 check, compact or grouped', () => {
    expect(ibanValid(fixed.iban)).toBe(true);
    expect(mask(`IBAN ${fixed.iban}.`)).toBe('IBAN [IBAN].');
    expect(mask(`IBAN ${groupsOf4(fixed.iban)} OK`)).toBe('IBAN [IBAN] OK');
    expect(mask('GB82 WEST 1234 5698 7654 32')).toBe('[IBAN]');
  });
  it('leaves an IBAN with a wrong check', () => {
    const bad = fixed.iban.slice(0, 2) + '00' + fixed.iban.slice(4);
    expect(mask(bad)).toBe(bad);
    expect(mask(groupsOf4(bad))).toBe(groupsOf4(bad));
  });
});

describe('ssn', () => {
  it('masks dashed US social security numbers', () => {
    expect(mask(`SSN: ${fixed.ssn}`)).toBe('SSN: [SSN]');
  });
  it('leaves numbers never issued, undashed ones and longer runs', () => {
    for (const text of ['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000', '123456789', '123-45-67890', '2024-01-15']) {
      expect(mask(text)).toBe(text);
    }
  });
});

describe('ip', () => {
  it('masks IPv4 and IPv6 addresses', () => {
    expect(mask(`host ${fixed.ipv4}.`)).toBe('host [IP].');
    expect(mask('net 10.0.0.0/8')).toBe('net [IP]/8');
    expect(mask(`v6 ${fixed.ipv6} and ::1 and fe80::1%eth0`)).toBe('v6 [IP] and [IP] and [IP]%eth0');
    expect(mask('2001:0db8:0000:0000:0000:ff00:0042:8329')).toBe('[IP]');
  });
  // Decision: a dotted run longer than four parts, or one glued to a word (v1.2.3.4), is a version number.
  it('leaves version numbers, out-of-range octets, times, MACs and C++ scopes', () => {
    for (const text of ['1.2.3.4.5', 'v1.2.3.4', '256.1.1.1', '12:30:45', '00:1A:2B:3C:4D:5E', 'std::vector', 'Abc::Def', 'a::b', '::']) {
      expect(mask(text)).toBe(text);
    }
  });
  it('checks IPv6 structure', () => {
    expect(ipv6Valid('1:2:3:4:5:6:7:8')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
    expect(ipv6Valid('1::2::3')).toBe(false);
    expect(ipv6Valid('12345::1')).toBe(false);
  });
});

describe('secrets', () => {
  const cases: [string, string, string][] = [
    ['openai', fixed.openai, '[SECRET:openai]'],
    ['openai (legacy)', fixed.openaiLegacy, '[SECRET:openai]'],
    ['openai (no marker)', `sk-proj-${pseudo('abcdefghijklmnopqrstuvwxyz0123456789', 40, 30)}`, '[SECRET:openai]'],
    ['anthropic', fixed.anthropic, '[SECRET:anthropic]'],
    ['anthropic (admin)', `sk-ant-admin01-${pseudo('abcdefghijklmnopqrstuvwxyz0123456789', 40, 31)}`, '[SECRET:anthropic]'],
    ['aws key id', fixed.awsKeyId, '[SECRET:aws]'],
    ['github', fixed.github, '[SECRET:github]'],
    ['github fine-grained', fixed.githubPat, '[SECRET:github]'],
    ['slack', fixed.slack, '[SECRET:slack]'],
    ['stripe', fixed.stripe, '[SECRET:stripe]'],
    ['private key', fixed.privateKey, '[SECRET:private_key]'],
    ['jwt', fixed.jwt, '[SECRET:jwt]'],
    ['gitlab', fixed.gitlab, '[SECRET:gitlab]'],
    ['npm', fixed.npm, '[SECRET:npm]'],
    ['huggingface', fixed.huggingface, '[SECRET:huggingface]'],
    ['groq', fixed.groq, '[SECRET:groq]'],
    ['databricks', fixed.databricks, '[SECRET:databricks]'],
  ];
  it.each(cases)('masks %s', (_, secret, placeholder) => {
    expect(mask(`key: ${secret}\nnext line`)).toBe(`key: ${placeholder}\nnext line`);
    expect(masker.mask(secret).findings).toEqual([expect.objectContaining({ detector: 'secrets', start: 0, end: secret.length, placeholder })]);
  });

  it('masks only the value of key=value and header secrets', () => {
    expect(mask(`aws_secret_access_key = ${fixed.awsSecret}`)).toBe('aws_secret_access_key = [SECRET:aws]');
    expect(mask(`"SecretAccessKey": "${fixed.awsSecret}"`)).toBe('"SecretAccessKey": "[SECRET:aws]"');
    expect(mask(`Authorization: Bearer ${fixed.bearer}`)).toBe('Authorization: Bearer [SECRET:bearer]');
    expect(mask(`postgres://app:${fixed.password}@db:5432/x`)).toBe('postgres://app:[SECRET:password]@db:5432/x');
    expect(mask(`https://bot:${fixed.password}@example.com/`)).toBe('https://bot:[SECRET:password]@example.com/');
  });

  it('masks a private key block cut off before its END line, up to where the key text stops', () => {
    const truncated = fixed.privateKey.split('\n').slice(0, 3).join('\n');
    expect(mask(`${truncated}\n(answer truncated)`)).toBe('[SECRET:private_key](answer truncated)');
  });

  it('leaves prose that only looks like a secret', () => {
    for (const text of [
      'Bearer authentication uses a Bearer token',
      'Use Bearer YOUR_API_KEY_GOES_HERE',
      'task-management-system-design and sk-learn-compatible-estimators',
      'sk-proj-abc',
      'xoxb is a prefix',
      'eyJ alone',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      'ghp_tooShort',
    ]) {
      expect(mask(text)).toBe(text);
    }
  });
});

describe('findings', () => {
  it('report detector, kind, placeholder and offsets in the original text', () => {
    const text = `mail ${fixed.email}, key ${fixed.github}`;
    const { findings } = masker.mask(text);
    expect(findings).toEqual([
      { detector: 'email', kind: 'email', placeholder: '[EMAIL]', start: 5, end: 5 + fixed.email.length },
      { detector: 'secrets', kind: 'github', placeholder: '[SECRET:github]', start: text.indexOf('ghp_'), end: text.length },
    ]);
  });
  it('returns the same string when nothing is found', () => {
    const text = 'nothing to see here';
    expect(masker.mask(text)).toEqual({ text, findings: [] });
  });
});
