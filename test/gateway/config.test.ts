// The config file: validated with line numbers, and what it sets (upstreams with their key variables, policies in order) at work.
import OpenAI from 'openai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, validateConfig } from '../../gateway/config/load.js';
import { defaultConfig } from '../../gateway/config/schema.js';
import { UpstreamRegistry } from '../../gateway/upstream/registry.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { anthropicHeaders, openaiHeaders, queued, send, user } from './callers.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-config-'));
function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const EXAMPLE = `upstreams:
  - name: openai
    url: https://api.openai.com
    protocol: openai
    keyEnv: OPENAI_API_KEY
policies:
  - name: trusted-ci
    match: { caller: ci-bot }
    action: approve
  - name: default
    action: review
    timeout: 10m
    onTimeout: reject
`;

describe('reading the file', () => {
  it("accepts the issue's example, with durations in words", async () => {
    const config = await loadConfigFile(configFile('example.yaml', EXAMPLE));
    expect(config.upstreams).toEqual([{ name: 'openai', url: 'https://api.openai.com', protocol: 'openai', keyEnv: 'OPENAI_API_KEY' }]);
    expect(config.policies.map((p) => [p.name, p.action])).toEqual([
      ['trusted-ci', 'approve'],
      ['default', 'review'],
    ]);
    expect(config.policies[1].timeout).toBe(600_000);
    expect(config.server.bodyLimit).toBe(10 * 1024 * 1024);
  });

  it.each([
    ['an unknown key', EXAMPLE.replace('    onTimeout: reject', '    onTimeout: reject\n    retries: 3'), /^\S+bad\.yaml:14: policies\.1\.retries: unknown key "retries"$/],
    ['a misspelt key in a match', EXAMPLE.replace('match: { caller: ci-bot }', 'match: { callr: ci-bot }'), /bad\.yaml:8: policies\.0\.match\.callr: unknown key "callr"/],
    ['a wrong type', EXAMPLE.replace('timeout: 10m', 'timeout: forever'), /bad\.yaml:12: policies\.1\.timeout: "forever" is not a duration/],
    ['a bad enum value', EXAMPLE.replace('protocol: openai', 'protocol: gemini'), /bad\.yaml:4: upstreams\.0\.protocol: /],
    ['broken YAML', EXAMPLE.replace('    action: approve', '  action: [approve'), /bad\.yaml:9: All mapping items must start at the same column/],
    ['a prompt pattern that is not a regular expression', EXAMPLE.replace('match: { caller: ci-bot }', "match: { prompt: '([a-' }"), /bad\.yaml:8: policies\.0\.match\.prompt: "\(\[a-" is not a valid regular expression \(.+\)$/],
  ])('names the line of %s', async (_what, text, message) => {
    const error = await loadConfigFile(configFile('bad.yaml', text)).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('an unreadable file is one clear error', async () => {
    const error = await loadConfigFile(join(dir, 'missing.yaml')).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/cannot read config .*missing\.yaml: ENOENT/);
  });
});

describe('at work', () => {
  let upstream: Upstream;
  let gw: TestGateway;
  let ciKey: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    const file = configFile(
      'at-work.yaml',
      `upstreams:
  - { name: team-openai, url: ${upstream.url}, protocol: openai, keyEnv: TEAM_OPENAI_KEY }
  - { name: team-anthropic, url: ${upstream.url}/, protocol: anthropic, keyEnv: TEAM_ANTHROPIC_KEY }
policies:
  - name: trusted-ci
    match: { caller: ci-bot }
    action: approve
  - name: no-embeddings
    match: { protocol: openai-embeddings }
    action: reject
    reason: embeddings go through the batch pipeline
  - name: small-models
    match: { model: 'gpt-*-mini' }
    action: approve
  - name: default
    action: review
    timeout: 10m
`,
    );
    gw = await startTestGateway({ config: await loadConfigFile(file), env: { TEAM_OPENAI_KEY: 'sk-team-openai', TEAM_ANTHROPIC_KEY: 'sk-team-anthropic' } });
    ciKey = await gw.gateway.issueCallerKey('ci-bot');
  });
  afterAll(async () => {
    await gw.stop();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  it('each upstream gets the key from its keyEnv', async () => {
    await send(`${gw.url}/v1/chat/completions`, { headers: openaiHeaders(ciKey), body: JSON.stringify({ model: 'gpt-4o', messages: user('hi') }) });
    await send(`${gw.url}/v1/messages`, { headers: anthropicHeaders(ciKey), body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('hi') }) });
    expect(upstream.requests.map((r) => r.headers.authorization ?? r.headers['x-api-key'])).toEqual(['Bearer sk-team-openai', 'sk-team-anthropic']);
  });

  it('the first matching rule wins: the trusted caller passes, even for what a later rule rejects', async () => {
    const ci = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ciKey, maxRetries: 0 });
    expect((await ci.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 4 })).data).toHaveLength(1);
    const other = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.callerKey, maxRetries: 0 });
    const refused = await other.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused.message).toContain('embeddings go through the batch pipeline');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a model glob approves without review; everything else waits for a reviewer', async () => {
    const other = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.callerKey, maxRetries: 0 });
    expect((await other.chat.completions.create({ model: 'gpt-4o-mini', messages: user('small') })).choices[0].message.content).toBe('Echo: small');
    const held = other.chat.completions.create({ model: 'gpt-4o', messages: user('big') });
    const [request] = await queued(gw);
    expect(request).toMatchObject({ model: 'gpt-4o', policy: 'default', status: 'pending' });
    expect(Date.parse(request.timeoutAt!) - Date.parse(request.createdAt)).toBeGreaterThan(590_000);
    await gw.api.approve(request.id);
    expect((await held).choices[0].message.content).toBe('Echo: big');
  });
});

describe('upstreams at start', () => {
  it('an --upstream that is not an http(s) URL stops the start before the data dir is touched', async () => {
    const dataDir = join(dir, 'never-made');
    const error = await startTestGateway({ dataDir, upstreamUrl: 'notaurl' }).catch((e) => e);
    expect(error.message).toBe('--upstream is not an http:// or https:// URL (its key goes in AIRLOCK_UPSTREAM_KEY, never on the command line)');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says which family nothing serves, and which upstream has no key', () => {
    const bare = new UpstreamRegistry({ config: defaultConfig(), env: {} });
    expect(bare.warnings).toEqual([expect.stringMatching(/^no openai upstream is configured/), expect.stringMatching(/^no anthropic upstream is configured/)]);
    const keyless = new UpstreamRegistry({ config: validateConfig({ upstreams: [{ name: 'openai', url: 'https://api.openai.com', protocol: 'openai', keyEnv: 'OPENAI_API_KEY' }] }), demo: true, env: {} });
    expect(keyless.warnings).toEqual(['the openai upstream "openai" has no key (OPENAI_API_KEY is not set, and none was stored for it): it is called without one']);
    expect(new UpstreamRegistry({ config: defaultConfig(), demo: true, env: {} }).warnings).toEqual([]);
  });
});

describe('the address it serves on', () => {
  it('warns when it listens beyond this machine over plain HTTP', async () => {
    const logged: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (logged.push(chunk.toString()), cb()) });
    const gw = await startTestGateway({ host: '0.0.0.0', demo: true, logger: pino({ level: 'warn' }, sink) });
    await gw.stop();
    expect(logged.map((l) => JSON.parse(l).msg)).toContain(
      'serving on 0.0.0.0 over plain HTTP: caller keys, reviewer tokens, prompts and answers cross the network unencrypted; put Airlock behind a TLS proxy, or keep --host 127.0.0.1',
    );
  });
});
