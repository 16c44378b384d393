// Commits that moved backwards: a successful commit of a partition's offset below where
// the group's committed offset provably stood. A commitAsync retried after a later
// commit succeeded does this; the records between the two offsets are then read again by
// the next owner of the partition.
//
// Only orders the ledgers prove are counted. One consumer's commits succeed in the order
// their callbacks report them (one connection to the coordinator). Between two consumers,
// a commit is known to come after another only when it was sent (`s`) after the other's
// success was reported (`t`); commits in flight at the same time are not compared.
// A move is counted once: after it, the partition's history starts again from the lower
// offset, so the next owner committing its way back up is not counted again.
import type { CommittedEvent } from '../ledger/events.ts';

export interface BackwardCommit {
  partition: number;
  /** the higher offset committed before */
  from: number;
  /** the lower offset committed after it */
  to: number;
  consumer: string;
  t: number;
}

interface PartitionHistory {
  /** highest offset committed since the last counted move, per consumer */
  byConsumer: Map<string, number>;
  /** successes since the last counted move in time order, with the running maximum of offsets up to each */
  times: number[];
  maxUpTo: number[];
}

const fresh = (): PartitionHistory => ({ byConsumer: new Map(), times: [], maxUpTo: [] });

/** Counts backward moves over the commits of every consumer of one group. */
export function backwardCommits(commits: readonly CommittedEvent[]): BackwardCommit[] {
  const sorted = commits.map((c, i) => ({ c, i })).sort((a, b) => a.c.t - b.c.t || a.i - b.i);
  const parts = new Map<number, PartitionHistory>();
  const out: BackwardCommit[] = [];
  for (const { c } of sorted) {
    let h = parts.get(c.p);
    if (!h) {
      h = fresh();
      parts.set(c.p, h);
    }
    // the highest offset this commit certainly came after
    let before = h.byConsumer.get(c.cid) ?? -1;
    if (c.s !== undefined) {
      // successes reported before this commit was sent: binary search in time order
      let lo = 0;
      let hi = h.times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (h.times[mid]! < c.s) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) before = Math.max(before, h.maxUpTo[lo - 1]!);
    }
    if (c.o < before) {
      out.push({ partition: c.p, from: before, to: c.o, consumer: c.cid, t: c.t });
      h = fresh();
      parts.set(c.p, h);
    }
    h.byConsumer.set(c.cid, Math.max(h.byConsumer.get(c.cid) ?? -1, c.o));
    h.times.push(c.t);
    h.maxUpTo.push(Math.max(h.maxUpTo.at(-1) ?? -1, c.o));
  }
  return out;
}
