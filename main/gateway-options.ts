// The gateway's start options from the desktop's settings and secrets: address, data dir, upstreams with
// their keys, the optional policy file. With no upstream at all the built-in demo model answers.
import type { Logger } from 'pino';
import { loadConfigFile, validateConfig } from '../gateway/config/load.js';
import type { KeyProtector } from '../gateway/store/keyring.js';
import type { GatewayOptions } from '../gateway/server.js';
import type { Settings } from './settings.js';

export async function gatewayOptions(input: {
  settings: Settings;
  dataDir: string;
  keyProtector: KeyProtector;
  upstreamKeys: Record<string, string>;
  consoleDir: string;
  logger?: Logger;
}): Promise<GatewayOptions> {
  const { settings } = input;
  const base = settings.configPath ? await loadConfigFile(settings.configPath) : validateConfig({});
  const own = new Set(settings.upstreams.map((u) => u.name));
  const upstreams = [...base.upstreams.filter((u) => !own.has(u.name)), ...settings.upstreams];
  return {
    dataDir: input.dataDir,
    port: settings.port,
    host: settings.host,
    config: { ...base, upstreams },
    demo: upstreams.length === 0,
    keyProtector: input.keyProtector,
    upstreamKeys: input.upstreamKeys,
    consoleDir: input.consoleDir,
    logger: input.logger,
  };
}
