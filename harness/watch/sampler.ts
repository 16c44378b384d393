// The Watch series (the articles' monitoring advice): what the cluster looked like every
// second of the run. The sampler asks the cluster, through its own admin client, for the
// test topic's leaders and ISRs and for the consumer group's lag; what the agents did per
// second comes from their ledgers afterwards (series.ts), so that every count is exact.
//
// Sampling must not disturb the run: one question at a time (a sample that is still
// waiting makes the next one skip, recorded as unknown), each bounded by a deadline, on
// a client of its own.
import fs from 'node:fs';
import { ClusterAdmin } from '../cluster/admin.ts';

export interface PartitionSample {
  leader: number;
  isr: number;
  replicas: number;
  /** under-replicated: fewer in-sync replicas than replicas */
  urp: boolean;
}

/** One sample of the cluster: null parts could not be asked that second. */
export interface ClusterSample {
  /** ms since epoch */
  at: number;
  partitions: Record<number, PartitionSample> | null;
  /** consumer group lag summed over the partitions (high watermark - committed); null: not known */
  lag: number | null;
}

export interface WatchOptions {
  bootstrap: readonly string[];
  topic: string;
  /** the consumer group whose lag is sampled (none: no lag) */
  groupId?: string | undefined;
  /** where each sample is appended as a JSON line */
  file: string;
  intervalMs?: number;
  /** a question that takes longer is given up (the sample records it as unknown) */
  timeoutMs?: number;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.catch(() => null), new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]).finally(() => clearTimeout(timer));
}

/** Samples the cluster every interval until stopped; `stop()` resolves once the last sample is written. */
export class WatchSampler {
  private readonly admin: ClusterAdmin;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private readonly fd: number;
  samples = 0;
  skipped = 0;

  constructor(private readonly opts: WatchOptions) {
    this.admin = new ClusterAdmin(opts.bootstrap);
    this.fd = fs.openSync(opts.file, 'a');
  }

  start(): void {
    const interval = this.opts.intervalMs ?? 1000;
    this.timer = setInterval(() => {
      if (this.busy) {
        // the previous question has no answer yet: this second stays unknown rather than piling up requests
        this.skipped++;
        this.write({ at: Date.now(), partitions: null, lag: null });
        return;
      }
      this.busy = this.sample().finally(() => (this.busy = undefined));
    }, interval);
    this.busy = this.sample().finally(() => (this.busy = undefined));
  }

  private closed = false;

  private write(s: ClusterSample): void {
    if (this.closed) return;
    fs.writeSync(this.fd, `${JSON.stringify(s)}\n`);
    this.samples++;
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const timeout = this.opts.timeoutMs ?? 900;
    const requests = [
      this.admin.partitions(this.opts.topic),
      this.opts.groupId ? this.admin.offsets(this.opts.topic) : Promise.resolve(null),
      this.opts.groupId ? this.admin.committed(this.opts.groupId, this.opts.topic) : Promise.resolve(null),
    ] as const;
    const [parts, offsets, committed] = await Promise.all([within(requests[0], timeout), within(requests[1], timeout), within(requests[2], timeout)]);
    let partitions: Record<number, PartitionSample> | null = null;
    if (parts) {
      partitions = {};
      for (const p of parts) partitions[p.partition] = { leader: p.leader, isr: p.isr.length, replicas: p.replicas.length, urp: p.isr.length < p.replicas.length };
    }
    let lag: number | null = null;
    if (offsets && committed) {
      lag = 0;
      for (const o of offsets) lag += Math.max(0, o.high - (committed.get(o.partition) ?? o.low));
    }
    this.write({ at, partitions, lag });
    // the next sample waits until these requests are settled, answered or not: seconds
    // without an answer are recorded as unknown rather than piling up requests
    await Promise.allSettled(requests);
  }

  private stopped: Promise<void> | undefined;

  /** Stops sampling (once; later calls wait for the same stop). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      await this.busy;
      this.closed = true;
      fs.closeSync(this.fd);
      await this.admin[Symbol.asyncDispose]();
    })();
    return this.stopped;
  }
}

/** Reads the samples back (a torn last line is skipped). */
export function readSamples(file: string): ClusterSample[] {
  if (!fs.existsSync(file)) return [];
  const out: ClusterSample[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as ClusterSample);
    } catch {
      // torn
    }
  }
  return out;
}
