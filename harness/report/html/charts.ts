// The charts of report.html, as data: each one is drawn in the page by client.js with
// uPlot. x is seconds from the workload start; the fault windows of the timeline are
// shaded on every chart (a fault still open at the end of the series extends to the end).
import type { TimelineEntry } from '../../faults/nemesis.ts';
import { profileLabel } from '../render.ts';
import type { ProfileResult } from '../types.ts';
import { seriesPartitions, type WatchSample } from './series.ts';

export interface FaultWindow {
  /** seconds from the workload start */
  from: number;
  to: number;
  /** action and resolved target, e.g. "#0 broker.kill (broker 3)" */
  label: string;
  action: string;
  /** not healed by the end of the series */
  open: boolean;
  /** the profile it belongs to, and that profile's line colour (comparison charts) */
  profile?: string;
  color?: string;
}

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** drawn as steps (states, not rates) */
  step?: boolean;
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  x: number[];
  series: ChartSeries[];
  faults: FaultWindow[];
  /** counts of things (y ticks at whole numbers) */
  integer?: boolean;
  /** x range: covers the series and every fault window that ends in it */
  xMin: number;
  xMax: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
/** Above this many partitions, the charts do not draw a line per partition. */
export const MAX_PARTITION_LINES = 24;
const color = (i: number) => PALETTE[i % PALETTE.length]!;

/** A fault as labelled on the charts: "#index action (resolved target)". */
export function faultLabel(f: Pick<TimelineEntry, 'index' | 'action' | 'target' | 'resolved'>): string {
  return `#${f.index} ${f.action} (${f.resolved || f.target})`;
}

/** The applied faults of a timeline as windows on a chart that ends at `endS`. */
export function faultWindows(timeline: readonly TimelineEntry[], endS: number, profile?: { name: string; color: string }): FaultWindow[] {
  return timeline
    .filter((f) => f.appliedAtMs !== null && f.appliedAtMs !== undefined)
    .map((f) => {
      const from = f.appliedAtMs! / 1000;
      const open = f.healedAtMs === null || f.healedAtMs === undefined;
      const to = open ? Math.max(from, endS) : f.healedAtMs! / 1000;
      return { from, to, label: profile ? `${profile.name}: ${faultLabel(f)}` : faultLabel(f), action: f.action, open, ...(profile ? { profile: profile.name, color: profile.color } : {}) };
    });
}

/** Points drawn: x values where at least one series has a value. */
export function pointsOf(spec: Pick<ChartSpec, 'x' | 'series'>): number {
  let n = 0;
  for (let i = 0; i < spec.x.length; i++) if (spec.series.some((s) => s.values[i] !== null && s.values[i] !== undefined)) n++;
  return n;
}

function chart(title: string, yLabel: string, x: number[], series: ChartSeries[], faults: FaultWindow[], integer = false): ChartSpec | null {
  const spec: ChartSpec = { title, yLabel, x, series, faults, xMin: Math.min(0, x[0] ?? 0), xMax: x[x.length - 1] ?? 0, ...(integer ? { integer } : {}) };
  for (const f of faults) if (f.to > spec.xMax && !f.open) spec.xMax = f.to;
  if (spec.xMax <= spec.xMin) spec.xMax = spec.xMin + 1;
  return pointsOf(spec) > 0 ? spec : null;
}

export interface ProfileCharts {
  /** series name -> chart (only charts with data) */
  charts: Array<{ series: string; spec: ChartSpec }>;
  /** charts left out, and why */
  omitted: string[];
}

/** The charts of one profile's Watch series. */
export function profileCharts(p: ProfileResult, samples: readonly WatchSample[]): ProfileCharts {
  const x = samples.map((s) => s.t / 1000);
  const endS = x[x.length - 1] ?? 0;
  const faults = faultWindows(p.timeline, endS);
  const parts = seriesPartitions(samples);
  const col = (f: (s: WatchSample) => number | null) => samples.map(f);
  const out: ProfileCharts = { charts: [], omitted: [] };
  const add = (series: string, spec: ChartSpec | null, why: string) => {
    if (spec) out.charts.push({ series, spec });
    else out.omitted.push(why);
  };
  const many = parts.length > MAX_PARTITION_LINES;
  const isrOf = (s: WatchSample) => (s.partitions ? Object.values(s.partitions).map((v) => v.isr) : []);
  add(
    'isr',
    chart(
      many ? `ISR size over the ${parts.length} partitions` : 'ISR size per partition',
      'in-sync replicas',
      x,
      many
        ? [
            { label: 'smallest ISR', values: col((s) => (s.partitions ? Math.min(...isrOf(s)) : null)), color: color(1), step: true },
            { label: 'largest ISR', values: col((s) => (s.partitions ? Math.max(...isrOf(s)) : null)), color: color(0), step: true },
          ]
        : parts.map((k, i) => ({ label: `p${k}`, values: col((s) => s.partitions?.[k]?.isr ?? null), color: color(i), step: true })),
      faults,
      true,
    ),
    'ISR: the cluster could not be asked in any second',
  );
  add(
    'urp',
    chart(
      'Under-replicated partitions',
      'partitions',
      x,
      [
        { label: 'under-replicated', values: col((s) => (s.partitions ? Object.values(s.partitions).filter((v) => v.urp).length : null)), color: color(1), step: true },
        { label: 'without a leader', values: col((s) => (s.partitions ? Object.values(s.partitions).filter((v) => v.leader === null).length : null)), color: color(4), step: true },
      ],
      faults,
      true,
    ),
    'under-replicated partitions: the cluster could not be asked in any second',
  );
  if (many) out.omitted.push(`leaders: more than ${MAX_PARTITION_LINES} partitions (a line per partition would not be readable)`);
  else add(
    'leader',
    chart(
      'Leader broker per partition',
      'broker id',
      x,
      parts.map((k, i) => ({ label: `p${k}`, values: col((s) => s.partitions?.[k]?.leader ?? null), color: color(i), step: true })),
      faults,
      true,
    ),
    'leaders: the cluster could not be asked in any second',
  );
  add('lag', chart('Consumer group lag', 'records', x, [{ label: 'lag', values: col((s) => s.lag), color: color(4) }], faults), 'consumer lag: not known (no consumers, or never asked)');
  add(
    'producer',
    chart(
      'Producer events per second',
      'per second',
      x,
      [
        { label: 'sent', values: col((s) => s.sent), color: color(0) },
        { label: 'acked', values: col((s) => s.acked), color: color(2) },
        { label: 'errors', values: col((s) => s.errors), color: color(1) },
        { label: 'retries', values: col((s) => s.retries), color: color(3) },
      ],
      faults,
    ),
    'producer events: none recorded',
  );
  add(
    'latency',
    chart(
      'Ack latency of the acks in each second',
      'ms',
      x,
      [
        { label: 'p50', values: col((s) => s.ackP50), color: color(0) },
        { label: 'p99', values: col((s) => s.ackP99), color: color(1) },
      ],
      faults,
    ),
    'ack latency: no acks',
  );
  add(
    'consumer',
    chart(
      'Records processed per second',
      'per second',
      x,
      [{ label: 'processed', values: col((s) => s.processed), color: color(2) }],
      faults,
    ),
    'consumer events: the profile has no consumers',
  );
  add(
    'commits',
    chart(
      'Commits and failed commits per second',
      'per second',
      x,
      [
        { label: 'commits', values: col((s) => s.commits), color: color(4) },
        { label: 'failed commits', values: col((s) => s.commitFailures), color: color(1) },
      ],
      faults,
      true,
    ),
    'commits: the profile has no consumers or transformers',
  );
  add(
    'rebalances',
    chart(
      'Rebalances: members that got or gave up partitions, per second',
      'members',
      x,
      [
        { label: 'assigned', values: col((s) => s.rebalances), color: color(0) },
        { label: 'revoked or lost', values: col((s) => s.revocations), color: color(3) },
      ],
      faults,
      true,
    ),
    'rebalances: the profile has no consumers or transformers',
  );
  return out;
}

/** One key series compared across profiles: a line per profile. */
const COMPARED: Array<{ series: string; title: string; yLabel: string; value: (s: WatchSample) => number | null; step?: boolean }> = [
  { series: 'acked', title: 'Acks per second', yLabel: 'per second', value: (s) => s.acked },
  { series: 'errors', title: 'Producer errors per second', yLabel: 'per second', value: (s) => s.errors },
  { series: 'ackP99', title: 'Ack latency p99', yLabel: 'ms', value: (s) => s.ackP99 },
  { series: 'urp', title: 'Under-replicated partitions', yLabel: 'partitions', value: (s) => (s.partitions ? Object.values(s.partitions).filter((v) => v.urp).length : null), step: true },
  { series: 'lag', title: 'Consumer group lag', yLabel: 'records', value: (s) => s.lag },
  { series: 'processed', title: 'Records processed per second', yLabel: 'per second', value: (s) => s.processed },
  { series: 'commitFailures', title: 'Failed commits per second', yLabel: 'per second', value: (s) => s.commitFailures },
];

/**
 * Comparison charts over the profiles that have a series: x is the whole second of each
 * sample (profiles sample at slightly different moments), each profile its own line.
 */
export function comparisonCharts(profiles: ReadonlyArray<{ p: ProfileResult; samples: readonly WatchSample[] }>): Array<{ series: string; spec: ChartSpec }> {
  const seconds = [...new Set(profiles.flatMap(({ samples }) => samples.map((s) => Math.round(s.t / 1000))))].sort((a, b) => a - b);
  const index = new Map(seconds.map((s, i) => [s, i]));
  const endS = seconds[seconds.length - 1] ?? 0;
  const faults = profiles.flatMap(({ p, samples }, i) => faultWindows(p.timeline, Math.max(endS, (samples[samples.length - 1]?.t ?? 0) / 1000), { name: profileLabel(p), color: color(i) }));
  const out: Array<{ series: string; spec: ChartSpec }> = [];
  for (const c of COMPARED) {
    const series = profiles.map(({ p, samples }, i) => {
      const values: Array<number | null> = seconds.map(() => null);
      for (const s of samples) values[index.get(Math.round(s.t / 1000))!] = c.value(s);
      return { label: profileLabel(p), values, color: color(i), ...(c.step ? { step: true } : {}) };
    });
    const spec = chart(c.title, c.yLabel, seconds, series, faults, c.step === true);
    if (spec) out.push({ series: c.series, spec });
  }
  return out;
}
