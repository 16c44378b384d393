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
}

export function buildSchedule(faults: readonly FaultSpec[], opts: { seed: number; brokers: number; producers: number; consumers: number }): ScheduledFault[] {
  const rng = seededRandom(opts.seed);
  return faults
    .map((f, index) => {
      let drawn: number | undefined;
      if (f.target === 'random') {
        if (f.action.startsWith('broker.')) drawn = 1 + pick(rng, opts.brokers);
        else drawn = pick(rng, f.action === 'consumer.kill' ? opts.consumers : opts.producers);
      }
      return { index, atMs: f.at, action: f.action, target: f.target, partition: f.partition, restartAfterMs: f.restartAfter, drawn };
    })
    .sort((a, b) => a.atMs - b.atMs || a.index - b.index);
}
