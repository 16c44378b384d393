/**
 * A first-in first-out queue whose front is taken in O(taken): Array.prototype.splice(0, n)
 * and shift() move every element behind the front, so a producer that has fallen behind
 * (hundreds of thousands waiting) spent its CPU shifting its backlog on every batch.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The i-th element from the front (0 is the front), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.length ? this.items[this.head + i] : undefined;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head]!;
    this.drop(1);
    return item;
  }

  /** The first `n` elements (all of them if fewer), left in the queue. */
  front(n: number): T[] {
    return this.items.slice(this.head, this.head + Math.max(0, Math.min(n, this.length)));
  }

  /** Removes and returns the first `n` elements (all of them if fewer). */
  take(n: number = this.length): T[] {
    const out = this.front(n);
    this.drop(out.length);
    return out;
  }

  private drop(k: number): void {
    this.head += k;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // compact once the taken front is at least half of the array: amortised O(1)
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
