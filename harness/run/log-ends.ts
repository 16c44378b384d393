// The ends of a topic's partitions, [log start, high watermark), watched until they stop
// moving. After the producers stop, the high watermark can still rise for a while: the
// leader has appended records its followers have not fetched yet (acks=0 or 1), or
// records were still on their way to the leader. A drain against a log that is still
// growing, or a final read of it, would count those records wrongly (not processed,
// lost), so the run waits until the ends are quiet and checks that they stayed so.

/** One partition's [low, high) as the admin client reports it. */
export interface PartitionEnds {
  partition: number;
  low: number;
  high: number;
}

/** Says when the ends have not changed for `quietMs`, over observations in time order. */
export class QuietEnds {
  private key: string | undefined;
  private since = 0;
  private current: PartitionEnds[] = [];

  constructor(readonly quietMs: number) {}

  /** Records the ends seen at `now` (ms); true once they have been the same for `quietMs`. */
  observe(ends: readonly PartitionEnds[], now: number): boolean {
    const key = ends.map((e) => `${e.partition}:${e.low}-${e.high}`).join(',');
    if (key !== this.key) {
      this.key = key;
      this.since = now;
      this.current = ends.map((e) => ({ ...e }));
    }
    return this.quiet(now);
  }

  quiet(now: number): boolean {
    return this.key !== undefined && now - this.since >= this.quietMs;
  }

  /** the ends last seen */
  get ends(): PartitionEnds[] {
    return this.current;
  }

  /** ms the ends have been unchanged at `now` (0 before the first observation) */
  unchangedFor(now: number): number {
    return this.key === undefined ? 0 : now - this.since;
  }
}

/** How `after` differs from `before`, a phrase per partition ("p2 end 346 -> 499"); empty when the same. */
export function changedEnds(before: readonly PartitionEnds[], after: readonly PartitionEnds[]): string[] {
  const out: string[] = [];
  const was = new Map(before.map((e) => [e.partition, e]));
  const now = new Map(after.map((e) => [e.partition, e]));
  for (const p of [...new Set([...was.keys(), ...now.keys()])].sort((a, b) => a - b)) {
    const b = was.get(p);
    const a = now.get(p);
    if (!b || !a) {
      out.push(`p${p} ${b ? 'gone' : 'new'}`);
      continue;
    }
    const parts: string[] = [];
    if (b.low !== a.low) parts.push(`start ${b.low} -> ${a.low}`);
    if (b.high !== a.high) parts.push(`end ${b.high} -> ${a.high}`);
    if (parts.length > 0) out.push(`p${p} ${parts.join(', ')}`);
  }
  return out;
}
