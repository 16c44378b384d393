// The seeded fault schedule: the explicit faults of the experiment plus, with
// `faults.random`, faults drawn from a mix at an interval with jitter (a generator in
// Jepsen's sense). Drawn once per experiment from its seed, then applied to every
// profile, so profiles are compared under the same faults, and a seed replays a run.
import type { FaultSpec, MixEntry } from './catalogue.ts';
import { faultType } from './catalogue.ts';
import { describeTarget, type Scheduled } from './fault.ts';
import { pick, seededRandom } from './rng.ts';

export interface RandomFaults {
  /** mean time between generated faults */
  every: number;
  /** each interval is every +- up to jitter */
  jitter: number;
  /** the first fault comes at `from` + an interval */
  from: number;
  /** no fault is generated at or after this (default: the end of the workload) */
  until?: number;
  /** heal each generated fault this long after it fired, unless its mix entry says otherwise */
  heal?: number;
  mix: MixEntry[];
}

export interface FaultPlan {
  /** how the file wrote them: a plain list (`faults: [...]`) or `{list, random}` */
  form: 'list' | 'sections';
  list: FaultSpec[];
  random?: RandomFaults;
}

export interface ScheduledFault extends Scheduled {
  action: string;
  /** how the target reads in the timeline */
  target: string;
  /** the fault as written (or generated), with its defaults */
  spec: FaultSpec;
  /** true for a fault drawn from `faults.random` */
  generated: boolean;
}

export interface ScheduleSizes {
  seed: number;
  brokers: number;
  producers: number;
  consumers: number;
  transformers?: number;
  /** workload duration in ms */
  durationMs: number;
}

/** Faults at these times, in order; random targets drawn from the seed. */
export function buildSchedule(plan: FaultPlan, opts: ScheduleSizes): ScheduledFault[] {
  const specs: Array<{ spec: FaultSpec; generated: boolean }> = plan.list.map((spec) => ({ spec, generated: false }));
  if (plan.random) specs.push(...generate(plan.random, opts).map((spec) => ({ spec, generated: true })));
  // target draws come from their own stream, so a random section does not change them for the explicit faults
  const draws = seededRandom(opts.seed);
  return specs
    .map(({ spec, generated }, index): ScheduledFault => {
      const f: ScheduledFault = { index, atMs: spec.at, action: spec.action, target: describeTarget(spec), spec, generated };
      if (spec.restartAfter !== undefined) f.restartAfterMs = spec.restartAfter;
      if (spec.target === 'random') {
        const t = faultType(spec.action).targets;
        f.drawn = t === 'brokers' ? 1 + pick(draws, opts.brokers) : pick(draws, t === 'consumer' ? opts.consumers : t === 'transformer' ? (opts.transformers ?? 0) : opts.producers);
        f.target = `random (${t === 'brokers' ? `broker ${f.drawn}` : `${t} ${f.drawn}`})`;
      }
      return f;
    })
    .sort((a, b) => a.atMs - b.atMs || a.index - b.index)
    .map((f, i) => ({ ...f, index: i }));
}

/** The generated faults: weighted picks from the mix at jittered intervals, from the seed. */
export function generate(r: RandomFaults, opts: ScheduleSizes): FaultSpec[] {
  const rng = seededRandom(opts.seed ^ 0x5eed);
  const until = Math.min(r.until ?? opts.durationMs, opts.durationMs);
  const total = r.mix.reduce((n, m) => n + m.weight, 0);
  const out: FaultSpec[] = [];
  let t = r.from;
  for (;;) {
    t += Math.max(100, Math.round(r.every + (rng() * 2 - 1) * r.jitter));
    if (t >= until) break;
    let x = rng() * total;
    const entry = r.mix.find((m) => (x -= m.weight) < 0) ?? r.mix[r.mix.length - 1]!;
    const { weight: _weight, ...fault } = entry;
    const spec: FaultSpec = { ...fault, at: t };
    if (spec.restartAfter === undefined && r.heal !== undefined) spec.restartAfter = r.heal;
    out.push(spec);
  }
  return out;
}
