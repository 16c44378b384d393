// Toxiproxy through toxiproxy-node-client, the ecosystem's client for its HTTP API.
// What the harness adds around it: every request has a deadline whose timer keeps the
// process alive (a request hanging on a half-open connection must fail, and must not let
// Node's event loop drain mid-run), errors say which request failed, and proxies are
// addressed by name (the library wants the proxy object, which is kept per name).
import { Toxiproxy, type ICreateProxyBody, type Proxy } from 'toxiproxy-node-client';

export type ProxySpec = ICreateProxyBody;

export interface Toxic {
  name: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ProxyState {
  enabled: boolean;
  listen: string;
  upstream: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Runs one request with a deadline whose timer keeps the process alive (AbortSignal.timeout's
 * would not), and names the request in its error.
 */
async function within<T>(what: string, ms: number, request: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Toxiproxy ${what}: no answer within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([request(), deadline]);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(msg.startsWith('Toxiproxy ') ? msg : `Toxiproxy ${what} failed: ${msg}`);
  } finally {
    clearTimeout(timer);
  }
}

export class ToxiproxyClient {
  private readonly api: Toxiproxy;
  /** proxies by name, as last created or read: the library addresses a proxy through its object */
  private readonly known = new Map<string, Proxy>();

  constructor(
    readonly apiUrl: string,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.api = new Toxiproxy(apiUrl);
  }

  private call<T>(what: string, request: () => Promise<T>): Promise<T> {
    return within(what, this.timeoutMs, request);
  }

  /** Toxiproxy's version, e.g. 2.12.0 (also the readiness probe: fails fast while it is starting) */
  async version(): Promise<string> {
    const text = (await within('GET /version', 2000, () => this.api.getVersion())).trim();
    try {
      const parsed = JSON.parse(text) as { version?: string };
      return parsed.version ?? text;
    } catch {
      return text;
    }
  }

  /** Creates every proxy in one request (Toxiproxy's populate). */
  async createProxies(specs: ProxySpec[]): Promise<void> {
    const created = await this.call('POST /populate', () => this.api.populate(specs.map((s) => ({ enabled: true, ...s }))));
    for (const [name, proxy] of Object.entries(created)) this.known.set(name, proxy);
  }

  private async proxy(name: string): Promise<Proxy> {
    const p = this.known.get(name) ?? (await this.call(`GET /proxies/${name}`, () => this.api.get(name)));
    this.known.set(name, p);
    return p;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    const p = await this.proxy(name);
    this.known.set(name, await this.call(`POST /proxies/${name} (enabled ${enabled})`, () => p.update({ enabled, listen: p.listen, upstream: p.upstream })));
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    const p = await this.proxy(proxy);
    await this.call(`POST /proxies/${proxy}/toxics (${toxic.name})`, () => p.addToxic({ toxicity: 1, ...toxic }));
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    const p = await this.proxy(proxy);
    await this.call(`DELETE /proxies/${proxy}/toxics/${toxic}`, async () => (await p.getToxic(toxic)).remove());
  }

  /** Re-enables every proxy and removes every toxic. */
  async reset(): Promise<void> {
    await this.call('POST /reset', () => this.api.reset());
  }

  /** Every proxy with its state, as Toxiproxy reports it. */
  async proxies(): Promise<Record<string, ProxyState>> {
    const all = await this.call('GET /proxies', () => this.api.getAll());
    const out: Record<string, ProxyState> = {};
    for (const [name, p] of Object.entries(all)) {
      this.known.set(name, p);
      out[name] = { enabled: p.enabled, listen: p.listen, upstream: p.upstream };
    }
    return out;
  }
}
