import type Docker from 'dockerode';
import { HarnessError } from '../util/errors.ts';
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
    await this.get(id).pause();
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
