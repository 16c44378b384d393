// The seeded fault schedule: drawn once per experiment from its seed, then applied to
// every profile, so profiles are compared under the same faults.
import type { FaultSpec } from '../experiment/schema.ts';
import { pick, seededRandom } from './rng.ts';

export interface ScheduledFault {
  index: number;
  atMs: number;
  action: FaultSpec['action'];
  /** as written: a role (leader, follower, controller) resolved live, or a fixed id/index */
  target: string | number;
  partition: number;
  restartAfterMs: number | undefined;
  /** a `random` target drawn from the seed: a broker id or an agent index */
  drawn: number | undefined;
  /** network faults: which link, and the latency toxic's settings */
  link?: 'client' | 'replication' | 'controller' | 'all';
  latencyMs?: number;
  jitterMs?: number;
}

export function targetsBroker(action: string): boolean {
  return action.startsWith('broker.') || action.startsWith('network.');
}

export function buildSchedule(faults: readonly FaultSpec[], opts: { seed: number; brokers: number; producers: number; consumers: number }): ScheduledFault[] {
  const rng = seededRandom(opts.seed);
  return faults
    .map((f, index) => {
      let drawn: number | undefined;
      if (f.target === 'random') {
        if (targetsBroker(f.action)) drawn = 1 + pick(rng, opts.brokers);
        else drawn = pick(rng, f.action === 'consumer.kill' ? opts.consumers : opts.producers);
      }
      const s: ScheduledFault = { index, atMs: f.at, action: f.action, target: f.target, partition: f.partition, restartAfterMs: f.restartAfter, drawn };
      if ('link' in f) {
        s.link = f.link;
        if (f.latency !== undefined) s.latencyMs = f.latency;
        if (f.jitter !== undefined) s.jitterMs = f.jitter;
      }
      return s;
    })
    .sort((a, b) => a.atMs - b.atMs || a.index - b.index);
}
