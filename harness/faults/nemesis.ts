// The nemesis: applies the scheduled faults at their times during the workload, heals
// them (after restartAfter, or in the heal phase), and records each with real timestamps.
import { proxyNames, type Cluster } from '../cluster/backend.ts';
import { HarnessError } from '../util/errors.ts';
import { sleep } from '../util/time.ts';
import type { ScheduledFault } from './schedule.ts';

/** What the nemesis can act on. The runner provides it; the nemesis knows nothing else. */
export interface FaultWorld {
  cluster: Cluster;
  leaderOf(partition: number): Promise<number>;
  replicasOf(partition: number): Promise<number[]>;
  activeController(): Promise<number>;
  agent(role: 'producer' | 'consumer', index: number): { kill(): Promise<void>; start(): Promise<void>; readonly name: string } | undefined;
  /** milliseconds since the workload started */
  elapsed(): number;
}

export interface TimelineEntry {
  index: number;
  action: string;
  target: string;
  /** what the target resolved to when the fault fired, e.g. "broker 2" or "consumer c0" */
  resolved: string;
  scheduledAtMs: number;
  appliedAt: string | null;
  appliedAtMs: number | null;
  heal: string;
  healedAt: string | null;
  healedAtMs: number | null;
  /** why a fault could not be applied or healed (the run reports it; it is never silent) */
  error?: string;
}

interface Active {
  entry: TimelineEntry;
  /** a killed producer is not restarted once the workload is over */
  restartsProducer: boolean;
  heal: () => Promise<void>;
  healing: Promise<void> | undefined;
}

export class Nemesis {
  readonly timeline: TimelineEntry[] = [];
  private readonly active: Active[] = [];
  private stopped = false;
  private readonly healTimers = new AbortController();

  constructor(
    private readonly schedule: readonly ScheduledFault[],
    private readonly world: FaultWorld,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs the schedule until every fault has fired or `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (const f of this.schedule) {
      const wait = f.atMs - this.world.elapsed();
      if (wait > 0) {
        try {
          await sleep(wait, signal);
        } catch {
          return;
        }
      }
      if (this.stopped || signal.aborted) return;
      await this.fire(f);
    }
  }

  private async resolveBroker(f: ScheduledFault): Promise<number> {
    if (typeof f.target === 'number') return f.target;
    if (f.drawn !== undefined) return f.drawn;
    if (f.target === 'leader') {
      const leader = await this.world.leaderOf(f.partition);
      if (leader < 0) throw new HarnessError(`partition ${f.partition} has no leader right now`);
      return leader;
    }
    if (f.target === 'follower') {
      const [leader, replicas] = await Promise.all([this.world.leaderOf(f.partition), this.world.replicasOf(f.partition)]);
      const follower = replicas.find((r) => r !== leader);
      if (follower === undefined) throw new HarnessError(`partition ${f.partition} has no follower`);
      return follower;
    }
    if (f.target === 'controller') return this.world.activeController();
    throw new HarnessError(`unknown broker target ${String(f.target)}`);
  }

  private async fire(f: ScheduledFault): Promise<void> {
    const entry: TimelineEntry = {
      index: f.index,
      action: f.action,
      target: String(f.target) + (f.target === 'leader' || f.target === 'follower' ? ` of partition ${f.partition}` : ''),
      resolved: '',
      scheduledAtMs: f.atMs,
      appliedAt: null,
      appliedAtMs: null,
      heal: '',
      healedAt: null,
      healedAtMs: null,
    };
    this.timeline.push(entry);
    try {
      let heal: () => Promise<void>;
      if (f.action.startsWith('network.')) {
        const id = await this.resolveBroker(f);
        const links = f.link === 'all' || f.link === undefined ? (['client', 'replication', 'controller'] as const) : [f.link];
        const names = links.map((l) => proxyNames(id)[l]);
        entry.resolved = `broker ${id} ${names.join(', ')}`;
        const toxi = this.world.cluster.toxiproxy;
        const toxicName = `fault-${f.index}`;
        if (f.action === 'network.down') {
          for (const n of names) await toxi.setEnabled(n, false);
          entry.heal = 'enable proxy';
          heal = async () => {
            for (const n of names) await toxi.setEnabled(n, true);
          };
        } else {
          for (const n of names) {
            for (const stream of ['upstream', 'downstream'] as const) {
              if (f.action === 'network.latency') {
                await toxi.addToxic(n, { name: `${toxicName}-${stream}`, type: 'latency', stream, attributes: { latency: f.latencyMs ?? 0, jitter: f.jitterMs ?? 0 } });
              } else {
                await toxi.addToxic(n, { name: `${toxicName}-${stream}`, type: 'reset_peer', stream, attributes: { timeout: 0 } });
              }
            }
          }
          entry.heal = 'remove toxic';
          heal = async () => {
            for (const n of names) for (const stream of ['upstream', 'downstream'] as const) await toxi.removeToxic(n, `${toxicName}-${stream}`);
          };
        }
      } else if (f.action.startsWith('broker.')) {
        const id = await this.resolveBroker(f);
        entry.resolved = `broker ${id}`;
        const c = this.world.cluster;
        if (f.action === 'broker.kill') {
          await c.kill(id);
          entry.heal = 'start';
          heal = () => c.start(id);
        } else if (f.action === 'broker.stop') {
          await c.stop(id);
          entry.heal = 'start';
          heal = () => c.start(id);
        } else if (f.action === 'broker.disconnect') {
          if (!c.disconnect || !c.reconnect) throw new HarnessError(`the ${c.backend} backend cannot disconnect a broker from the network`);
          const reconnect = c.reconnect.bind(c);
          await c.disconnect(id);
          entry.heal = 'reconnect';
          heal = () => reconnect(id);
        } else {
          await c.pause(id);
          entry.heal = 'resume';
          heal = () => c.resume(id);
        }
      } else {
        const role = f.action === 'consumer.kill' ? 'consumer' : 'producer';
        const index = typeof f.target === 'number' ? f.target : (f.drawn ?? 0);
        const agent = this.world.agent(role, index);
        if (!agent) throw new HarnessError(`there is no ${role} ${index}`);
        entry.resolved = `${role} ${agent.name}`;
        await agent.kill();
        entry.heal = 'restart';
        heal = () => agent.start();
      }
      const at = this.world.elapsed();
      entry.appliedAt = new Date().toISOString();
      entry.appliedAtMs = at;
      this.log(`fault #${f.index} ${f.action} ${entry.resolved} at ${(at / 1000).toFixed(1)}s`);
      const active: Active = { entry, heal, healing: undefined, restartsProducer: f.action === 'producer.kill' };
      this.active.push(active);
      if (f.restartAfterMs !== undefined) {
        sleep(f.restartAfterMs, this.healTimers.signal).then(
          () => (this.stopped ? undefined : this.healOne(active)),
          () => undefined,
        );
      }
    } catch (err) {
      entry.error = `not applied: ${(err as Error).message}`;
      this.log(`fault #${f.index} ${f.action} could not be applied: ${(err as Error).message}`);
    }
  }

  private healOne(a: Active): Promise<void> {
    a.healing ??= this.doHeal(a);
    return a.healing;
  }

  private async doHeal(a: Active): Promise<void> {
    try {
      await a.heal();
      a.entry.healedAt = new Date().toISOString();
      a.entry.healedAtMs = this.world.elapsed();
      this.log(`fault #${a.entry.index} healed (${a.entry.heal} ${a.entry.resolved}) at ${(a.entry.healedAtMs / 1000).toFixed(1)}s`);
    } catch (err) {
      a.entry.error = `heal failed: ${(err as Error).message}`;
      this.log(`fault #${a.entry.index} heal failed: ${(err as Error).message}`);
    }
  }

  /**
   * Ends the schedule: no further fault fires and no scheduled heal starts; heals
   * already under way are waited for. Safe to call more than once.
   */
  async endSchedule(): Promise<void> {
    this.stopped = true;
    this.healTimers.abort();
    await Promise.allSettled(this.active.map((a) => a.healing).filter((h) => h !== undefined));
  }

  /** Heals every fault still in effect, except that a killed producer stays down (the workload is over). */
  async healAll(): Promise<void> {
    await this.endSchedule();
    for (const a of this.active) {
      if (a.restartsProducer && a.healing === undefined) {
        a.entry.heal = 'none (the workload is over)';
        continue;
      }
      await this.healOne(a);
    }
  }
}
