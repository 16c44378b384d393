// The Watch series of one profile, one point per second from the workload start to the
// end of the drain: the cluster samples (sampler.ts) beside what the agents did in that
// second, counted from their ledgers (attempts, acks, errors, retries, ack latency,
// processed records, commits, failed commits, rebalances). Written as series.jsonl in
// the profile directory.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { PartitionSample, ClusterSample } from './sampler.ts';

export interface SeriesPoint {
  /** ms from the workload start (the second this point covers starts here) */
  t: number;
  partitions: Record<number, PartitionSample> | null;
  lag: number | null;
  sent: number;
  acked: number;
  errors: number;
  retries: number;
  ackP50: number | null;
  ackP99: number | null;
  processed: number | null;
  /**
   * group members' commits that succeeded: partitions committed by consumers, and
   * transactions committed by transformers (their input offsets ride the transaction)
   */
  commits: number | null;
  /**
   * commits that failed: a consumer commit the client reported as failed (the Java
   * client's own auto-commit does not tell the application), and transactions that
   * transformers aborted
   */
  commitFailures: number | null;
  /** members that got their partitions assigned in a rebalance */
  rebalances: number | null;
  /** members that gave up partitions (revoked, or lost when out of the group) */
  revocations: number | null;
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Bucket {
  sent: number;
  acked: number;
  errors: number;
  retries: number;
  latencies: number[];
  processed: number;
  commits: number;
  commitFailures: number;
  rebalances: number;
  revocations: number;
}

/**
 * Builds the series from the samples and the ledger files of a profile; `start` and `end`
 * are wall-clock ms (the workload start, and when the consumers stopped).
 */
export async function buildSeries(opts: {
  ledgerDir: string;
  samples: readonly ClusterSample[];
  start: number;
  end: number;
  consumers: boolean;
  /** transformers ran (their commits, aborts and rebalances are counted with the consumers') */
  transformers?: boolean;
  lag?: boolean;
}): Promise<SeriesPoint[]> {
  const seconds = Math.max(1, Math.ceil((opts.end - opts.start) / 1000));
  const buckets: Bucket[] = Array.from({ length: seconds }, () => ({ sent: 0, acked: 0, errors: 0, retries: 0, latencies: [], processed: 0, commits: 0, commitFailures: 0, rebalances: 0, revocations: 0 }));
  const at = (t: number): Bucket | undefined => {
    const i = Math.floor((t - opts.start) / 1000);
    return i >= 0 && i < seconds ? buckets[i] : undefined;
  };
  const files = fs.existsSync(opts.ledgerDir) ? fs.readdirSync(opts.ledgerDir).sort() : [];
  for (const f of files) {
    const producer = f.startsWith('producer-');
    const consumer = f.startsWith('consumer-') || f.startsWith('transformer-');
    if (!producer && !consumer) continue;
    // attempt time per seq of this producer incarnation, for the ack latency
    const sentAt = new Map<number, number>();
    const rl = readline.createInterface({ input: fs.createReadStream(path.join(opts.ledgerDir, f), 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) {
      if (line.length === 0) continue;
      let ev: { e: string; t: number; seq?: number; kind?: string; state?: string };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        continue; // a torn last line
      }
      const b = at(ev.t);
      switch (ev.e) {
        case 'attempt':
          sentAt.set(ev.seq!, ev.t);
          if (b) b.sent++;
          break;
        case 'ack': {
          if (!b) break;
          b.acked++;
          const s = sentAt.get(ev.seq!);
          if (s !== undefined) b.latencies.push(ev.t - s);
          break;
        }
        case 'error':
          if (b) b.errors++;
          break;
        case 'retry':
          if (b) b.retries++;
          break;
        case 'processed':
          if (b) b.processed++;
          break;
        case 'committed':
          if (b) b.commits++;
          break;
        case 'txn':
          if (b && ev.state === 'commit') b.commits++;
          else if (b && ev.state === 'abort') b.commitFailures++;
          break;
        case 'commit-failed':
          if (b) b.commitFailures++;
          break;
        case 'rebalance':
          if (b && ev.kind === 'assigned') b.rebalances++;
          else if (b) b.revocations++;
          break;
      }
    }
  }
  // the sample nearest the middle of each second
  const samples = [...opts.samples].sort((a, b) => a.at - b.at);
  let j = 0;
  const members = opts.consumers || opts.transformers === true;
  return buckets.map((b, i): SeriesPoint => {
    const mid = opts.start + i * 1000 + 500;
    while (j + 1 < samples.length && Math.abs(samples[j + 1]!.at - mid) <= Math.abs(samples[j]!.at - mid)) j++;
    const s = samples[j] && Math.abs(samples[j]!.at - mid) <= 1000 ? samples[j] : undefined;
    const lat = b.latencies.sort((x, y) => x - y);
    return {
      t: i * 1000,
      partitions: s?.partitions ?? null,
      lag: (opts.lag ?? opts.consumers) ? (s?.lag ?? null) : null,
      sent: b.sent,
      acked: b.acked,
      errors: b.errors,
      retries: b.retries,
      ackP50: percentile(lat, 0.5),
      ackP99: percentile(lat, 0.99),
      processed: opts.consumers ? b.processed : null,
      commits: members ? b.commits : null,
      commitFailures: members ? b.commitFailures : null,
      rebalances: members ? b.rebalances : null,
      revocations: members ? b.revocations : null,
    };
  });
}

export function writeSeries(file: string, points: readonly SeriesPoint[]): void {
  fs.writeFileSync(file, points.map((p) => JSON.stringify(p)).join('\n') + (points.length > 0 ? '\n' : ''));
}

/** The group's failed commits (when, in whole seconds from the workload start) and rebalances over a series; nothing when it has no group members. */
export function seriesGroupSummary(points: readonly SeriesPoint[]): { commitFailures?: { count: number; firstS: number | null; lastS: number | null }; rebalances?: number } {
  if (!points.some((p) => p.commitFailures !== null)) return {};
  const failing = points.filter((p) => (p.commitFailures ?? 0) > 0);
  return {
    commitFailures: {
      count: failing.reduce((n, p) => n + p.commitFailures!, 0),
      firstS: failing.length > 0 ? failing[0]!.t / 1000 : null,
      lastS: failing.length > 0 ? failing[failing.length - 1]!.t / 1000 : null,
    },
    rebalances: points.reduce((n, p) => n + (p.rebalances ?? 0), 0),
  };
}
