// The producer's attempt and ack lines are built by hand: they must be exactly what
// JSON.stringify writes for the same event objects (the checker's fast parser reads
// that shape, and any other reader reads them as JSON).
import { describe, expect, it } from 'vitest';
import type { AckEvent, AttemptEvent } from '../../harness/ledger/events.ts';
import { ackLine, attemptLine, quotedId } from '../../harness/ledger/lines.ts';
import { seededRandom } from '../../harness/faults/rng.ts';

describe('hand-built ledger lines', () => {
  it('are JSON.stringify of the event objects, byte for byte', () => {
    const rnd = seededRandom(7);
    const int = (max: number) => Math.floor(rnd() * max);
    for (const pid of ['p0', 'p12', 'p"q', 'p\\x', 'ü', 'p\n0']) {
      const q = quotedId(pid);
      for (let i = 0; i < 200; i++) {
        const seq = int(2 ** 31);
        const p = int(1000);
        const t = 1_700_000_000_000 + int(2 ** 40);
        const attempt: AttemptEvent = { e: 'attempt', pid, seq, p, t };
        expect(attemptLine(q, seq, p, t)).toBe(`${JSON.stringify(attempt)}\n`);
        const o = i % 7 === 0 ? null : int(2 ** 45);
        const ack: AckEvent = { e: 'ack', pid, seq, p, o, t };
        expect(ackLine(q, seq, p, o, t)).toBe(`${JSON.stringify(ack)}\n`);
      }
    }
  });
});
