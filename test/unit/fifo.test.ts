import { describe, expect, it } from 'vitest';
import { Fifo } from '../../harness/util/fifo.ts';
import { seededRandom } from '../../harness/faults/rng.ts';

describe('Fifo', () => {
  it('behaves like an array used as a queue (push, shift, slice(0, n), splice(0, n), [i]) over random operations', () => {
    const rnd = seededRandom(7);
    const fifo = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    for (let step = 0; step < 200_000; step++) {
      const r = rnd();
      if (r < 0.55) {
        const n = 1 + Math.floor(rnd() * 50);
        for (let i = 0; i < n; i++) {
          fifo.push(next);
          model.push(next++);
        }
      } else if (r < 0.65) {
        expect(fifo.shift()).toBe(model.shift());
      } else if (r < 0.98) {
        const n = Math.floor(rnd() * 60);
        expect(fifo.take(n)).toEqual(model.splice(0, n));
      } else {
        expect(fifo.take()).toEqual(model.splice(0));
      }
      expect(fifo.length).toBe(model.length);
      const k = Math.floor(rnd() * 60) - 1;
      expect(fifo.front(k)).toEqual(model.slice(0, Math.max(0, k)));
      const i = Math.floor(rnd() * (model.length + 2)) - 1;
      expect(fifo.at(i)).toBe(model[i]);
    }
  });

  it('is empty when everything was taken, and answers undefined past its ends', () => {
    const fifo = new Fifo<string>();
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.take(3)).toEqual([]);
    fifo.push('a');
    fifo.push('b');
    expect(fifo.take(5)).toEqual(['a', 'b']);
    expect(fifo.length).toBe(0);
    expect(fifo.at(0)).toBeUndefined();
  });
});
