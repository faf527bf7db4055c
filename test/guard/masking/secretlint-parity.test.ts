// The secret patterns are copied from secretlint's recommended preset (see secrets.ts). This runs the
// preset itself through @secretlint/core on realistic samples: whatever it reports, the masker must remove.
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { describe, expect, it } from 'vitest';
import { createMasker } from '../../../gateway/guard/masking/index.js';
import { fixed, pseudo } from './samples.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const B64URL = ALNUM + '_-';

/** A 1Password service account token: base64 of a JSON object ending in }, i.e. in fQ==. */
function onePasswordToken(): string {
  for (let n = 80; ; n++) {
    const json = JSON.stringify({ email: 'bot@example.invalid', secretKey: pseudo(ALNUM, n, 56) });
    if (json.length % 3 === 1) return `ops_${Buffer.from(json).toString('base64')}`;
  }
}

// [secretlint rule, a line holding the secret, the part that must disappear, the file secretlint is told it reads]
const samples: [rule: string, line: string, secret: string, filePath?: string][] = [
  ['openai', `OPENAI_API_KEY=${fixed.openai}`, fixed.openai],
  ['openai', `key ${fixed.openaiLegacy}`, fixed.openaiLegacy],
  ['anthropic', `ANTHROPIC_API_KEY=${fixed.anthropic}`, fixed.anthropic],
  ['aws', `aws_secret_access_key = ${fixed.awsSecret}`, fixed.awsSecret],
  ['aws', `id ${fixed.awsKeyId}`, fixed.awsKeyId],
  ['github', `token ${fixed.github}`, fixed.github],
  ['github', `token ${fixed.githubPat}`, fixed.githubPat],
  ['gitlab', `token ${fixed.gitlab}`, fixed.gitlab],
  ['slack', `token ${fixed.slack}`, fixed.slack],
  ...(() => {
    const hook = `https://hooks.slack.com/services/T${pseudo(ALNUM, 10, 40)}/B${pseudo(ALNUM, 10, 41)}/${pseudo(ALNUM, 24, 42)}`;
    return [['slack', `webhook ${hook}`, hook] as [string, string, string]];
  })(),
  ['privatekey', fixed.privateKey, fixed.privateKey],
  ['privatekey', JSON.stringify({ private_key: fixed.privateKey.replace('RSA ', '') }), fixed.privateKey.split('\n')[1]],
  ['npm', `token ${fixed.npm}`, fixed.npm],
  ['npm', `//registry.npmjs.org/:_authToken=${pseudo(ALNUM, 36, 43)}`, pseudo(ALNUM, 36, 43), '/.npmrc'],
  ['basicauth', `https://bot:${fixed.password}@example.com/path`, fixed.password],
  ['database-connection-string', `postgres://app:${fixed.password}@db:5432/app`, fixed.password],
  ['database-connection-string', `mongodb+srv://app:${fixed.password}@cluster0.example.net/db`, fixed.password],
  ['database-connection-string', `mysql://root:${fixed.password}@localhost:3306/db`, fixed.password],
  ['huggingface', `hf ${fixed.huggingface}`, fixed.huggingface],
  ['groq', `groq ${fixed.groq}`, fixed.groq],
  ['databricks', `dbx ${fixed.databricks}`, fixed.databricks],
  ['sendgrid', `sg SG.${pseudo(ALNUM, 22, 44)}.${pseudo(ALNUM, 43, 45)}`, `SG.${pseudo(ALNUM, 22, 44)}.${pseudo(ALNUM, 43, 45)}`],
  ['shopify', `shop shpat_${pseudo(HEX, 32, 46)}`, `shpat_${pseudo(HEX, 32, 46)}`],
  ['linear', `lin lin_api_${pseudo(ALNUM, 40, 47)}`, `lin_api_${pseudo(ALNUM, 40, 47)}`],
  ['notion', `ntn ntn_${pseudo('0123456789', 11, 48)}${pseudo(ALNUM, 35, 49)}`, `ntn_${pseudo('0123456789', 11, 48)}${pseudo(ALNUM, 35, 49)}`],
  ['hashicorp-vault', `vault hvs.${pseudo(B64URL, 95, 50)}`, `hvs.${pseudo(B64URL, 95, 50)}`],
  ['vercel', `vercel vcp_${pseudo(ALNUM, 24, 51)}`, `vcp_${pseudo(ALNUM, 24, 51)}`],
  ['docker', `docker dckr_pat_${pseudo(B64URL, 27, 52)}`, `dckr_pat_${pseudo(B64URL, 27, 52)}`],
  ['figma', `figma figd_${pseudo(B64URL, 40, 53)}`, `figd_${pseudo(B64URL, 40, 53)}`],
  ['grafana', `grafana glsa_${pseudo(ALNUM, 32, 54)}_${pseudo(HEX, 8, 55)}`, `glsa_${pseudo(ALNUM, 32, 54)}_${pseudo(HEX, 8, 55)}`],
  ['1password', `op ${onePasswordToken()}`, onePasswordToken()],
];

async function secretlintRules(content: string, filePath = '/answer.txt'): Promise<string[]> {
  const result = await lintSource({
    source: { content, filePath, ext: filePath.slice(filePath.lastIndexOf('.')), contentType: 'text' },
    options: {
      config: {
        // The AWS access key id scan is opt-in in secretlint; the masker always does it.
        rules: [{ id: recommended.meta.id, rule: recommended, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }],
      },
    },
  });
  return result.messages.map((message) => message.ruleId.replace('@secretlint/secretlint-rule-', ''));
}

describe('parity with secretlint', () => {
  const masker = createMasker({ detectors: ['secrets'] });

  it.each(samples)('%s: secretlint reports it and the masker removes it', async (rule, line, secret, filePath) => {
    expect(await secretlintRules(line, filePath)).toContain(rule);
    const { text } = masker.mask(line);
    expect(text).not.toContain(secret);
    expect(text).toContain('[SECRET:');
  });
});
