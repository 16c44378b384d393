// The Toxiproxy client (toxiproxy-node-client underneath) against a real toxiproxy-server:
// proxies created in one request, cut and restored, toxics added and removed, reset, and a
// request that gets no answer fails by its deadline instead of hanging.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToxiproxyClient } from '../../harness/proxy/client.ts';
import { ToxiproxyServer } from '../../harness/proxy/server.ts';
import { provisionToxiproxy } from '../../harness/provision/toxiproxy.ts';
import { DEFAULT_TOXIPROXY_VERSION } from '../../harness/provision/versions.ts';
import { readEnvironment } from '../../harness/util/env.ts';
import { freePorts } from '../../harness/util/ports.ts';
import { tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

describe.skipIf(!prereq.ok)('Toxiproxy client', () => {
  let server: ToxiproxyServer;
  let echo: net.Server;
  let echoPort: number;

  beforeAll(async () => {
    const bin = await provisionToxiproxy({ version: DEFAULT_TOXIPROXY_VERSION, cacheDir: readEnvironment().cacheDir });
    const [port] = await freePorts(1);
    server = await ToxiproxyServer.start({ bin: bin.bin, port: port!, runId: 'it-toxiproxy', logDir: tempDir('toxiproxy') });
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
    echo?.close();
  });

  /** sends a line through a proxy port; resolves with what came back, or rejects */
  const roundTrip = (port: number, timeoutMs = 1500) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('ping\n'));
      s.setTimeout(timeoutMs, () => s.destroy(new Error('timeout')));
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed without an answer')));
    });

  it('creates, cuts, restores, poisons and resets proxies', async () => {
    const c = server.client;
    expect((await c.version()).length).toBeGreaterThan(0);
    const [pa, pb] = await freePorts(2);
    await c.createProxies([
      { name: 'a', listen: `127.0.0.1:${pa}`, upstream: `127.0.0.1:${echoPort}` },
      { name: 'b', listen: `127.0.0.1:${pb}`, upstream: `127.0.0.1:${echoPort}` },
    ]);
    expect(await roundTrip(pa!)).toBe('ping\n');
    await c.setEnabled('a', false);
    let state = await c.proxies();
    expect(state.a?.enabled).toBe(false);
    expect(state.b?.enabled).toBe(true);
    await expect(roundTrip(pa!)).rejects.toThrow();
    expect(await roundTrip(pb!)).toBe('ping\n');
    await c.setEnabled('a', true);
    expect(await roundTrip(pa!)).toBe('ping\n');
    // a timeout toxic (blackhole) on b: nothing comes back until it is removed
    await c.addToxic('b', { name: 'hole', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
    await expect(roundTrip(pb!, 800)).rejects.toThrow('timeout');
    await c.removeToxic('b', 'hole');
    expect(await roundTrip(pb!)).toBe('ping\n');
    // reset: every proxy enabled, every toxic gone
    await c.setEnabled('b', false);
    await c.addToxic('a', { name: 'hole', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
    await c.reset();
    state = await c.proxies();
    expect(Object.values(state).every((p) => p.enabled)).toBe(true);
    expect(await roundTrip(pa!)).toBe('ping\n');
    expect(await roundTrip(pb!)).toBe('ping\n');
    // errors name the request
    await expect(c.setEnabled('nope', false)).rejects.toThrow(/Toxiproxy GET \/proxies\/nope failed/);
  });

  it('a request that gets no answer fails by its deadline', async () => {
    // a "Toxiproxy" that accepts the connection and never answers
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const c = new ToxiproxyClient(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, 500);
      await expect(c.reset()).rejects.toThrow('Toxiproxy POST /reset: no answer within 0.5s');
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});
