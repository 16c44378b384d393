import type Docker from 'dockerode';
import { HarnessError } from '../util/errors.ts';

/** Runs a command in a running container and returns what it printed (stdout and stderr). */
export async function execIn(container: Docker.Container, cmd: string[]): Promise<{ code: number | null; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Env: ['KAFKA_HEAP_OPTS=-Xmx128m', 'HOME=/tmp'] });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
    stream.on('error', () => resolve());
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? null, output: demux(Buffer.concat(chunks)) };
}

/** Docker's multiplexed log stream (8-byte frame headers) to text; plain text passes through. */
export function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(out).toString('utf8');
}

/**
 * Runs one of Kafka's command-line tools in a running broker container of the cluster.
 * `{bootstrap}` in the arguments becomes `bootstrap`, an address inside the cluster network.
 */
export async function runToolIn(container: Docker.Container, bootstrap: string, tool: string, args: string[]): Promise<string> {
  const r = await execIn(container, [`/opt/kafka/bin/${tool}.sh`, ...args.map((a) => a.replaceAll('{bootstrap}', bootstrap))]);
  if (r.code !== 0) throw new HarnessError(`${tool} failed (exit ${r.code}): ${r.output.slice(-800)}`);
  return r.output;
}
import type { BrokerState } from './backend.ts';

/**
 * Broker operations on containers, shared by the docker and compose backends: a kill is
 * `docker kill` (SIGKILL), a stop is `docker stop`, a pause uses the cgroup freezer.
 */
export class ContainerBrokers {
  private readonly states = new Map<number, BrokerState>();

  constructor(private readonly container: (id: number) => Docker.Container | undefined) {}

  private get(id: number): Docker.Container {
    const c = this.container(id);
    if (!c) throw new HarnessError(`no broker ${id}`);
    return c;
  }

  set(id: number, state: BrokerState): void {
    this.states.set(id, state);
  }

  state(id: number): BrokerState {
    return this.states.get(id) ?? 'stopped';
  }

  async kill(id: number): Promise<void> {
    const c = this.get(id);
    if (this.state(id) === 'paused') await c.unpause();
    await c.kill({ signal: 'SIGKILL' }).catch(ignoreNotRunning);
    await c.wait().catch(() => undefined);
    this.states.set(id, 'stopped');
  }

  async stop(id: number): Promise<void> {
    const c = this.get(id);
    if (this.state(id) === 'paused') await c.unpause();
    await c.stop({ t: 30 }).catch(ignoreNotRunning);
    this.states.set(id, 'stopped');
  }

  async start(id: number): Promise<void> {
    if (this.state(id) !== 'stopped') return;
    await this.get(id).start();
    this.states.set(id, 'running');
  }

  async pause(id: number): Promise<void> {
    if (this.state(id) !== 'running') return;
    // the cgroup freezer gives up when a process does not stop in time (a JVM in the middle
    // of an fsync on a busy machine): "unable to freeze"; it succeeds when asked again
    for (let attempt = 1; ; attempt++) {
      try {
        await this.get(id).pause();
        break;
      } catch (err) {
        if (attempt >= 5 || !/unable to freeze/i.test(String((err as Error).message))) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.states.set(id, 'paused');
  }

  async resume(id: number): Promise<void> {
    if (this.state(id) !== 'paused') return;
    await this.get(id).unpause();
    this.states.set(id, 'running');
  }
}

function ignoreNotRunning(err: unknown): void {
  const code = (err as { statusCode?: number }).statusCode;
  if (code === 409 || code === 304) return; // not running / already stopped
  throw err;
}
