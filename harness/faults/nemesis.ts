// The nemesis: applies the scheduled faults at their times during the workload, heals
// them (after restartAfter, or in the heal phase), and records each with real timestamps.
// What a fault does is its catalogue entry's business; the nemesis only keeps time.
import { sleep } from '../util/time.ts';
import { faultType } from './catalogue.ts';
import type { Applied, FaultWorld } from './fault.ts';
import type { ScheduledFault } from './schedule.ts';

export type { FaultWorld } from './fault.ts';

export interface TimelineEntry {
  index: number;
  action: string;
  target: string;
  /** what the target resolved to when the fault fired, e.g. "broker 2" or "consumer consumer-c0" */
  resolved: string;
  scheduledAtMs: number;
  appliedAt: string | null;
  appliedAtMs: number | null;
  heal: string;
  healedAt: string | null;
  healedAtMs: number | null;
  /** drawn from `faults.random` */
  generated?: boolean;
  /** fault-specific facts (what a power loss truncated, a tool's output) */
  details?: Record<string, unknown>;
  /** why a fault could not be applied or healed (the run reports it; it is never silent) */
  error?: string;
}

interface Active {
  entry: TimelineEntry;
  applied: Applied;
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

  private async fire(f: ScheduledFault): Promise<void> {
    const entry: TimelineEntry = {
      index: f.index,
      action: f.action,
      target: f.target,
      resolved: '',
      scheduledAtMs: f.atMs,
      appliedAt: null,
      appliedAtMs: null,
      heal: '',
      healedAt: null,
      healedAtMs: null,
      ...(f.generated ? { generated: true } : {}),
    };
    this.timeline.push(entry);
    try {
      const { index, atMs, restartAfterMs, drawn } = f;
      const started = this.world.elapsed();
      const startedAt = new Date().toISOString();
      const applied = await faultType(f.action).apply({ ...f.spec, index, atMs, ...(restartAfterMs !== undefined ? { restartAfterMs } : {}), ...(drawn !== undefined ? { drawn } : {}) }, this.world);
      const at = this.world.elapsed();
      entry.resolved = applied.resolved;
      entry.heal = applied.heal;
      if (applied.details) entry.details = applied.details;
      entry.appliedAt = new Date().toISOString();
      entry.appliedAtMs = at;
      this.world.log(`fault #${f.index} ${f.action} ${entry.resolved} at ${(at / 1000).toFixed(1)}s`);
      if (applied.instant) {
        // over when apply returned: "during" is the time it took, and there is nothing to heal
        entry.appliedAt = startedAt;
        entry.appliedAtMs = started;
        entry.healedAt = new Date().toISOString();
        entry.healedAtMs = at;
        return;
      }
      const active: Active = { entry, applied, healing: undefined };
      this.active.push(active);
      if (restartAfterMs !== undefined) {
        sleep(restartAfterMs, this.healTimers.signal).then(
          () => (this.stopped ? undefined : this.healOne(active)),
          () => undefined,
        );
      }
    } catch (err) {
      entry.error = `not applied: ${(err as Error).message}`;
      this.world.log(`fault #${f.index} ${f.action} could not be applied: ${(err as Error).message}`);
    }
  }

  private healOne(a: Active): Promise<void> {
    a.healing ??= this.doHeal(a);
    return a.healing;
  }

  private async doHeal(a: Active): Promise<void> {
    try {
      await a.applied.undo();
      a.entry.healedAt = new Date().toISOString();
      a.entry.healedAtMs = this.world.elapsed();
      this.world.log(`fault #${a.entry.index} healed (${a.entry.heal} ${a.entry.resolved}) at ${(a.entry.healedAtMs / 1000).toFixed(1)}s`);
    } catch (err) {
      a.entry.error = `heal failed: ${(err as Error).message}`;
      this.world.log(`fault #${a.entry.index} heal failed: ${(err as Error).message}`);
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
      if (a.applied.restartsProducer && a.healing === undefined) {
        a.entry.heal = 'none (the workload is over)';
        continue;
      }
      await this.healOne(a);
    }
  }
}
