// The partitions each group member held at a moment, replayed from the rebalance events of
// its ledger: `assigned` adds (eager protocols assign the whole new set after revoking
// everything, cooperative ones only what is added), `revoked` and `lost` remove.
import { expect } from 'vitest';
import type { LedgerEvent, RebalanceEvent } from '../../harness/ledger/events.ts';

export function heldAt(events: readonly LedgerEvent[], t: number): number[] {
  const held = new Set<number>();
  for (const e of events) {
    if (e.e !== 'rebalance' || e.t > t) continue;
    const r = e as RebalanceEvent;
    for (const p of r.p) {
      if (r.kind === 'assigned') held.add(p);
      else held.delete(p);
    }
  }
  return [...held].sort((a, b) => a - b);
}

/** The members' holdings at `t`, by their rebalance events: disjoint, and together every partition. */
export function expectWholeAssignment(members: ReadonlyArray<readonly LedgerEvent[]>, t: number, partitions: number): void {
  const held = members.map((m) => heldAt(m, t));
  for (const h of held) expect(h.length, JSON.stringify(held)).toBeGreaterThan(0);
  expect(held.flat().sort((a, b) => a - b), JSON.stringify(held)).toEqual(Array.from({ length: partitions }, (_, i) => i));
}
