// A small client for Toxiproxy's HTTP API (proxies and toxics).

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

export interface Toxic {
  name: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

/**
 * A fetch with a timeout whose timer keeps the process alive: AbortSignal.timeout's timer
 * does not, so a request waiting on a half-open connection could let Node exit mid-run.
 */
async function fetchWithin(url: string, init: RequestInit, ms: number): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer from ${url} within ${ms / 1000}s`)), ms);
  try {
    const res = await fetch(url, { ...init, signal: abort.signal });
    await res.clone().arrayBuffer();
    return res;
  } finally {
    clearTimeout(timer);
  }
}

export class ToxiproxyClient {
  constructor(readonly apiUrl: string) {}

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetchWithin(`${this.apiUrl}${route}`, init, 10_000);
    const text = await res.text();
    if (!res.ok) throw new Error(`Toxiproxy ${method} ${route} failed: HTTP ${res.status} ${text.trim()}`);
    return text.length > 0 ? JSON.parse(text) : undefined;
  }

  async version(): Promise<string> {
    const res = await fetchWithin(`${this.apiUrl}/version`, {}, 2000);
    if (!res.ok) throw new Error(`Toxiproxy /version: HTTP ${res.status}`);
    const text = (await res.text()).trim();
    try {
      const parsed = JSON.parse(text) as { version?: string };
      return parsed.version ?? text;
    } catch {
      return text;
    }
  }

  createProxy(spec: ProxySpec): Promise<unknown> {
    return this.call('POST', '/proxies', { enabled: true, ...spec });
  }

  setEnabled(name: string, enabled: boolean): Promise<unknown> {
    return this.call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled });
  }

  addToxic(proxy: string, toxic: Toxic): Promise<unknown> {
    return this.call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { toxicity: 1, ...toxic });
  }

  removeToxic(proxy: string, toxic: string): Promise<unknown> {
    return this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  }

  /** Re-enables every proxy and removes every toxic. */
  reset(): Promise<unknown> {
    return this.call('POST', '/reset');
  }

  async proxies(): Promise<Record<string, { enabled: boolean; toxics: Toxic[] }>> {
    return (await this.call('GET', '/proxies')) as Record<string, { enabled: boolean; toxics: Toxic[] }>;
  }
}
