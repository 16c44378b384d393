import type { MetricName, Thresholds } from '../experiment/schema.ts';
import type { Metrics } from '../reconcile/types.ts';

export interface ThresholdCheck {
  metric: MetricName;
  min?: number;
  max?: number;
  /** null: the metric does not apply to the profile (n/a), which fails the threshold */
  actual: number | null;
  pass: boolean;
}

/** Checks a profile's `expect` thresholds against its metrics; both bounds inclusive. */
export function checkThresholds(expect: Thresholds, metrics: Metrics): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  for (const [name, t] of Object.entries(expect) as Array<[MetricName, { min?: number; max?: number }]>) {
    const actual = metrics[name];
    const pass = actual !== null && (t.min === undefined || actual >= t.min) && (t.max === undefined || actual <= t.max);
    const check: ThresholdCheck = { metric: name, actual, pass };
    if (t.min !== undefined) check.min = t.min;
    if (t.max !== undefined) check.max = t.max;
    checks.push(check);
  }
  return checks;
}

export function describeThreshold(c: ThresholdCheck): string {
  if (c.min !== undefined && c.max !== undefined) return c.min === c.max ? `= ${c.min}` : `${c.min}..${c.max}`;
  if (c.max !== undefined) return `<= ${c.max}`;
  return `>= ${c.min}`;
}
