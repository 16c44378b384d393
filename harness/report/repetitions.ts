// Repetitions: the same profile run N times, each on a fresh cluster. Per metric the
// report says in how many runs the effect appeared (k of n) and its min, median and max,
// so a single lucky run no longer decides a nightly verdict.
import { METRICS, type MetricName } from '../reconcile/metrics.ts';
import type { ProfileResult } from './types.ts';

export interface MetricSpread {
  /** runs in which the metric was above zero */
  k: number;
  /** runs with a number for it (n/a and runs without numbers are left out) */
  n: number;
  min: number | null;
  median: number | null;
  max: number | null;
}

export interface RepetitionSummary {
  profile: string;
  /** repetitions run */
  runs: number;
  /** repetitions that passed (settled, checks held, every threshold met) */
  passed: number;
  /** repetitions whose numbers are not a result (harness error, did not settle, interrupted): left out of the spreads */
  excluded: number;
  metrics: Partial<Record<MetricName, MetricSpread>>;
}

function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Summarises the repetitions of each profile (results in run order; `profile` is the profile's name). */
export function summariseRepetitions(results: readonly ProfileResult[]): RepetitionSummary[] {
  const byProfile = new Map<string, ProfileResult[]>();
  for (const r of results) {
    const list = byProfile.get(r.profile) ?? [];
    list.push(r);
    byProfile.set(r.profile, list);
  }
  return [...byProfile].map(([profile, runs]) => {
    const metrics: Partial<Record<MetricName, MetricSpread>> = {};
    // only runs whose numbers are a result count in the spreads
    const counted = runs.filter((r) => r.status === 'ok');
    for (const m of METRICS) {
      const values = counted.map((r) => r.metrics?.[m.name]).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
      if (values.length === 0) continue;
      metrics[m.name] = { k: values.filter((v) => v > 0).length, n: values.length, min: values[0]!, median: median(values), max: values.at(-1)! };
    }
    return { profile, runs: runs.length, passed: runs.filter((r) => r.passed).length, excluded: runs.length - counted.length, metrics };
  });
}
