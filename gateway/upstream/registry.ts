// Which upstream serves which protocol family, and with which key (never from a flag; from the env or the desktop's key store).
import type { AirlockConfig, ProtocolFamily } from '../config/schema.js';
import { AirlockError } from '../errors.js';
import type { UpstreamTarget } from './client.js';

export const DEMO_URL = 'airlock-demo:';

export interface UpstreamSources {
  config: AirlockConfig;
  upstreamUrl?: string;
  demo?: boolean;
  upstreamKeys?: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

export class UpstreamRegistry {
  private readonly byFamily = new Map<ProtocolFamily, UpstreamTarget>();

  /** What an operator should hear about at start: a family nothing serves, an upstream without its key. */
  readonly warnings: string[] = [];

  constructor(sources: UpstreamSources) {
    const { config, env } = sources;
    if (sources.upstreamUrl !== undefined && !isHttpUrl(sources.upstreamUrl)) {
      // Not repeated back: a key pasted in the wrong place must not end up on the screen or in a log.
      throw new Error('--upstream is not an http:// or https:// URL (its key goes in AIRLOCK_UPSTREAM_KEY, never on the command line)');
    }
    for (const u of config.upstreams) {
      if (this.byFamily.has(u.protocol)) continue;
      this.byFamily.set(u.protocol, {
        name: u.name,
        url: u.url,
        family: u.protocol,
        key: sources.upstreamKeys?.[u.name] ?? (u.keyEnv ? env[u.keyEnv] : env.AIRLOCK_UPSTREAM_KEY),
      });
    }
    for (const family of ['openai', 'anthropic'] as const) {
      if (this.byFamily.has(family)) continue;
      if (sources.upstreamUrl) {
        this.byFamily.set(family, { name: 'upstream', url: sources.upstreamUrl, family, key: sources.upstreamKeys?.upstream ?? env.AIRLOCK_UPSTREAM_KEY });
      } else if (sources.demo) {
        this.byFamily.set(family, { name: 'demo', url: DEMO_URL, family, key: undefined });
      }
    }
    for (const family of ['openai', 'anthropic'] as const) {
      const target = this.byFamily.get(family);
      if (!target) this.warnings.push(`no ${family} upstream is configured: approved ${family} requests will fail (start with --upstream URL, an upstreams: entry in the config, or --demo)`);
      else if (target.url !== DEMO_URL && !target.key) {
        const from = config.upstreams.find((u) => u.name === target.name)?.keyEnv ?? 'AIRLOCK_UPSTREAM_KEY';
        this.warnings.push(`the ${family} upstream "${target.name}" has no key (${from} is not set, and none was stored for it): it is called without one`);
      }
    }
  }

  resolve(family: ProtocolFamily): UpstreamTarget {
    const target = this.byFamily.get(family);
    if (!target) {
      throw new AirlockError('upstream_unreachable', {
        message: `No ${family} upstream is configured (use --upstream URL, an upstreams: entry in the config, or --demo).`,
      });
    }
    return target;
  }

  describe(): { family: ProtocolFamily; name: string; url: string; hasKey: boolean }[] {
    return [...this.byFamily.values()].map((t) => ({ family: t.family, name: t.name, url: withoutCredentials(t.url), hasKey: Boolean(t.key) }));
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A URL as it may be logged: a user and password in it are left out. */
function withoutCredentials(value: string): string {
  try {
    const url = new URL(value);
    if (!url.username && !url.password) return value;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return value;
  }
}
