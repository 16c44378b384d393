import { describe, expect, it } from 'vitest';
import { changedEnds, QuietEnds } from '../../harness/run/log-ends.ts';

const ends = (...highs: number[]) => highs.map((high, partition) => ({ partition, low: 0, high }));

describe('the log ends watched until quiet', () => {
  it('is quiet only after the ends stayed the same for the whole window, counted from their last change', () => {
    const q = new QuietEnds(1000);
    expect(q.quiet(0)).toBe(false);
    expect(q.observe(ends(5, 5), 0)).toBe(false);
    expect(q.observe(ends(5, 5), 999)).toBe(false);
    // a high watermark that moves starts the window again
    expect(q.observe(ends(5, 6), 1000)).toBe(false);
    expect(q.unchangedFor(1500)).toBe(500);
    expect(q.observe(ends(5, 6), 1999)).toBe(false);
    expect(q.observe(ends(5, 6), 2000)).toBe(true);
    expect(q.ends).toEqual(ends(5, 6));
    // a log start that moves counts too
    expect(q.observe([{ partition: 0, low: 1, high: 5 }, { partition: 1, low: 0, high: 6 }], 2100)).toBe(false);
  });

  it('keeps its own copy of the ends it saw', () => {
    const q = new QuietEnds(0);
    const seen = ends(3);
    q.observe(seen, 0);
    seen[0]!.high = 9;
    expect(q.ends).toEqual(ends(3));
  });

  it('names what changed, partition by partition', () => {
    expect(changedEnds(ends(3, 4, 5), ends(3, 4, 5))).toEqual([]);
    expect(changedEnds(ends(346, 500, 397), ends(346, 500, 499))).toEqual(['p2 end 397 -> 499']);
    expect(changedEnds([{ partition: 0, low: 0, high: 9 }], [{ partition: 0, low: 4, high: 12 }])).toEqual(['p0 start 0 -> 4, end 9 -> 12']);
    expect(changedEnds(ends(1), ends(1, 0))).toEqual(['p1 new']);
    expect(changedEnds(ends(1, 0), ends(1))).toEqual(['p1 gone']);
  });
});
