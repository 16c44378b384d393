/**
 * seq -> message index for one producer id: a dense table for integer seqs in
 * [0, limit) (what agents write: 0, 1, 2, ...), a Map for any other seq. It keys like a
 * Map<number, number> (SameValueZero: -0 is 0).
 */
export class SeqIndex {
  /** message index + 1 per seq, 0 for none */
  private dense: Int32Array;
  private sparse: Map<number, number> | undefined;

  /** `limit` bounds the dense table; `size` is its first size (it grows as seqs need). */
  constructor(
    private readonly limit: number,
    size = 0,
  ) {
    this.dense = new Int32Array(Math.max(0, Math.min(limit, size)));
  }

  /** The message index of `seq`, -1 when it has none. */
  get(seq: number): number {
    if (seq >= 0 && seq < this.dense.length && (seq | 0) === seq) return this.dense[seq]! - 1;
    if (this.sparse === undefined || (seq >= 0 && seq < this.limit && Number.isInteger(seq))) return -1;
    return this.sparse.get(seq) ?? -1;
  }

  /** Gives `seq` (which has no index yet) the index `idx`. */
  set(seq: number, idx: number): void {
    if (seq >= 0 && seq < this.limit && Number.isInteger(seq)) {
      if (seq >= this.dense.length) {
        const grown = new Int32Array(Math.min(this.limit, Math.max(seq + 1, 2 * this.dense.length, 1024)));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[seq] = idx + 1;
    } else {
      (this.sparse ??= new Map()).set(seq, idx);
    }
  }
}
