// The Watch series of a profile (series.jsonl: one sample per second of the run, from the
// workload start to the end of the drain), read back for the html report and turned into
// columns that a chart draws directly.
import fs from 'node:fs';
import path from 'node:path';

/** One partition as the cluster described it in one second. */
export interface WatchPartition {
  /** the leader's broker id; null (or -1) when the partition has no leader */
  leader: number | null;
  /** ISR size */
  isr: number;
  /** replication factor */
  replicas: number;
  urp: boolean;
}

/** One second of the run (see the Watch). Counts are of events in that second. */
export interface WatchSample {
  /** ms from the workload start */
  t: number;
  /** null when the cluster could not be asked that second */
  partitions: Record<string, WatchPartition> | null;
  lag: number | null;
  sent: number | null;
  acked: number | null;
  errors: number | null;
  retries: number | null;
  ackP50: number | null;
  ackP99: number | null;
  processed: number | null;
  commits: number | null;
  /** failed commits (consumers) and aborted transactions (transformers) */
  commitFailures: number | null;
  /** members assigned partitions in a rebalance */
  rebalances: number | null;
  /** members that gave up partitions (revoked or lost) */
  revocations: number | null;
}

export type SeriesRead =
  | { status: 'ok'; file: string; samples: WatchSample[]; badLines: number }
  | { status: 'missing' | 'empty'; file: string; badLines: number };

export const SERIES_FILE = 'series.jsonl';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function partition(v: unknown): WatchPartition | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  // an ISR may come as its size or as the list of its brokers
  const isr = Array.isArray(o.isr) ? o.isr.length : num(o.isr);
  const replicas = Array.isArray(o.replicas) ? o.replicas.length : num(o.replicas);
  const leader = num(o.leader);
  if (isr === null) return null;
  return {
    leader: leader === null || leader < 0 ? null : leader,
    isr,
    replicas: replicas ?? isr,
    urp: typeof o.urp === 'boolean' ? o.urp : replicas !== null && isr < replicas,
  };
}

/** One line of series.jsonl, or null when it is not a sample (a torn last line, say). */
export function parseSample(line: string): WatchSample | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const t = num(o.t);
  if (t === null) return null;
  let partitions: Record<string, WatchPartition> | null = null;
  if (o.partitions && typeof o.partitions === 'object') {
    partitions = {};
    for (const [k, pv] of Object.entries(o.partitions as Record<string, unknown>)) {
      const p = partition(pv);
      if (p) partitions[k] = p;
    }
  }
  return {
    t,
    partitions,
    lag: num(o.lag),
    sent: num(o.sent),
    acked: num(o.acked),
    errors: num(o.errors),
    retries: num(o.retries),
    ackP50: num(o.ackP50),
    ackP99: num(o.ackP99),
    processed: num(o.processed),
    commits: num(o.commits),
    commitFailures: num(o.commitFailures),
    rebalances: num(o.rebalances),
    revocations: num(o.revocations),
  };
}

/** A profile directory's series.jsonl, in time order; lines that are not samples are counted and skipped. */
export function readSeries(profileDir: string): SeriesRead {
  const file = path.join(profileDir, SERIES_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { status: 'missing', file, badLines: 0 };
  }
  const samples: WatchSample[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const s = parseSample(line);
    if (s) samples.push(s);
    else badLines++;
  }
  if (samples.length === 0) return { status: 'empty', file, badLines };
  samples.sort((a, b) => a.t - b.t);
  // one sample per time: a chart's x values must be strictly increasing
  const unique = samples.filter((s, i) => i === 0 || s.t !== samples[i - 1]!.t);
  return { status: 'ok', file, samples: unique, badLines };
}

/** The partitions that appear in any sample, in numeric order. */
export function seriesPartitions(samples: readonly WatchSample[]): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const k of Object.keys(s.partitions ?? {})) seen.add(k);
  return [...seen].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}
