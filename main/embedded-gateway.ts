// The gateway running inside the app: started once the key is open, restarted when its address or upstreams
// change, stopped once at quit. Its events are relayed on one stable emitter, so the tray and notifications
// keep listening across restarts. No decisions are made here; they are the gateway's.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { KeyProtector } from '../gateway/store/keyring.js';
import type { Gateway, GatewayOptions } from '../gateway/server.js';

export const GATEWAY_EVENTS = ['request.pending', 'request.updated', 'request.decided', 'request.completed'] as const;

export type StartGateway = (options: GatewayOptions) => Promise<Gateway>;

export interface EmbeddedGatewayDeps {
  startGateway: StartGateway;
  /** The options for one start (settings and secrets are read again each time). */
  options(protector: KeyProtector): Promise<GatewayOptions>;
  /** The configured port is taken: true starts on any free port instead, false gives up. */
  onPortBusy?(address: string): Promise<boolean>;
  logger?: Logger;
}

export class EmbeddedGateway {
  readonly events = new EventEmitter();
  private gateway: Gateway | null = null;
  private protector: KeyProtector | null = null;
  private paused = false;
  private stopped: Promise<void> | null = null;
  private readonly relays = GATEWAY_EVENTS.map((name) => [name, (summary: unknown) => this.events.emit(name, summary)] as const);

  constructor(private readonly deps: EmbeddedGatewayDeps) {
    this.events.setMaxListeners(50);
  }

  /** The running gateway's base URL (null while none runs). */
  get url(): string | null {
    return this.gateway?.url ?? null;
  }

  get running(): Gateway {
    if (!this.gateway) throw new Error('the gateway is not running');
    return this.gateway;
  }

  /** Starts under `protector`; rejects with the gateway's KeyUnwrapError when it cannot open the data key. */
  async start(protector: KeyProtector): Promise<Gateway> {
    if (this.stopped) throw new Error('Airlock is quitting');
    if (this.gateway) throw new Error('the gateway already runs');
    const options = await this.deps.options(protector);
    let gateway: Gateway;
    try {
      gateway = await this.deps.startGateway(options);
    } catch (err) {
      const address = `${options.host ?? '127.0.0.1'}:${options.port ?? 8787}`;
      if (!isAddressInUse(err) || options.port === 0 || !(await this.deps.onPortBusy?.(address))) throw err;
      gateway = await this.deps.startGateway({ ...options, port: 0 });
    }
    if (this.stopped) {
      // Quit was asked while it started: it must not outlive the app.
      await gateway.stop();
      throw new Error('Airlock is quitting');
    }
    this.protector = protector;
    this.attach(gateway);
    this.deps.logger?.info({ url: gateway.url }, 'gateway started');
    return gateway;
  }

  /** Stops and starts again with fresh options (pending callers get the gateway's shutdown error). */
  async restart(): Promise<Gateway> {
    if (!this.protector) throw new Error('the gateway never started');
    const current = this.gateway;
    if (current) {
      this.detach(current);
      await current.stop();
    }
    return this.start(this.protector);
  }

  /** The protector later restarts open the data key with (after the fallback passphrase was changed). */
  useProtector(protector: KeyProtector): void {
    this.protector = protector;
  }

  /** Stops for good; every call returns the same promise. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const current = this.gateway;
      if (!current) return;
      this.detach(current);
      await current.stop();
      this.deps.logger?.info('gateway stopped');
    })();
    return this.stopped;
  }

  pendingCount(): number {
    return this.gateway?.pendingCount() ?? 0;
  }

  get intakePaused(): boolean {
    return this.gateway?.intakePaused ?? this.paused;
  }

  /** Kept across restarts: a paused intake stays paused until the reviewer resumes it. */
  setIntakePaused(paused: boolean): void {
    this.paused = paused;
    this.gateway?.setIntakePaused(paused);
  }

  decide(...args: Parameters<Gateway['decide']>): ReturnType<Gateway['decide']> {
    return this.running.decide(...args);
  }

  private attach(gateway: Gateway): void {
    this.gateway = gateway;
    if (gateway.intakePaused !== this.paused) gateway.setIntakePaused(this.paused);
    for (const [name, relay] of this.relays) gateway.events.on(name, relay);
  }

  private detach(gateway: Gateway): void {
    for (const [name, relay] of this.relays) gateway.events.off(name, relay);
    if (this.gateway === gateway) this.gateway = null;
  }
}

function isAddressInUse(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'EADDRINUSE' || (typeof e?.message === 'string' && /EADDRINUSE|already in use/.test(e.message));
}
