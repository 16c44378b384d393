// A small ledger for users' own tests: the application records what it sent, what the
// client acknowledged and what it processed, under ids of its own; the final read of the
// topic is then compared with it, the way the harness compares its agents' ledgers.

/** What an application recorded about its own messages, by id. */
export class Ledger {
  private readonly sentIds = new Set<string>();
  private readonly ackedIds = new Set<string>();
  private readonly failedIds = new Set<string>();
  private readonly processedCount = new Map<string, number>();

  /** the message was handed to the client */
  sent(id: string): void {
    this.sentIds.add(id);
  }

  /** the client acknowledged the write (also records it as sent) */
  acked(id: string): void {
    this.sentIds.add(id);
    this.ackedIds.add(id);
    this.failedIds.delete(id);
  }

  /** the client reported the write as failed (also records it as sent); a later ack wins */
  failed(id: string): void {
    this.sentIds.add(id);
    if (!this.ackedIds.has(id)) this.failedIds.add(id);
  }

  /** the application finished processing the message (each call counts once) */
  processed(id: string): void {
    this.processedCount.set(id, (this.processedCount.get(id) ?? 0) + 1);
  }

  get counts(): { sent: number; acked: number; failed: number; processed: number } {
    return { sent: this.sentIds.size, acked: this.ackedIds.size, failed: this.failedIds.size, processed: this.processedCount.size };
  }

  /** Compares the ledger with the ids found in the log (one entry per record, in any order). */
  reconcile(inLog: readonly string[]): Reconciliation {
    const logCount = new Map<string, number>();
    for (const id of inLog) logCount.set(id, (logCount.get(id) ?? 0) + 1);
    const sorted = (xs: Iterable<string>) => [...xs].sort(compareIds);
    const lost = sorted([...this.ackedIds].filter((id) => !logCount.has(id)));
    const logDuplicates = sorted([...logCount].filter(([, n]) => n > 1).map(([id]) => id));
    const unexpected = sorted([...logCount.keys()].filter((id) => !this.sentIds.has(id)));
    const failedButLanded = sorted([...this.failedIds].filter((id) => logCount.has(id)));
    const landedUnacked = sorted([...logCount.keys()].filter((id) => this.sentIds.has(id) && !this.ackedIds.has(id) && !this.failedIds.has(id)));
    // processing is judged against what is in the log: a message that never landed cannot be processed
    const notProcessed = sorted([...logCount.keys()].filter((id) => this.sentIds.has(id) && !this.processedCount.has(id)));
    const processedTwice = sorted([...this.processedCount].filter(([, n]) => n > 1).map(([id]) => id));
    const processedUnknown = sorted([...this.processedCount.keys()].filter((id) => !logCount.has(id)));
    return {
      sent: this.sentIds.size,
      acked: this.ackedIds.size,
      failed: this.failedIds.size,
      inLog: logCount.size,
      logRecords: inLog.length,
      lost,
      logDuplicates,
      unexpected,
      failedButLanded,
      landedUnacked,
      notProcessed,
      processedTwice,
      processedUnknown,
    };
  }
}

/** The outcome of comparing a ledger with the log; every list holds message ids, sorted. */
export interface Reconciliation {
  sent: number;
  acked: number;
  failed: number;
  /** distinct ids in the log */
  inLog: number;
  /** records read from the log */
  logRecords: number;
  /** acknowledged, and not in the log */
  lost: string[];
  /** in the log more than once */
  logDuplicates: string[];
  /** in the log, never recorded as sent */
  unexpected: string[];
  /** reported as failed, and in the log anyway */
  failedButLanded: string[];
  /** in the log with neither an ack nor a failure recorded */
  landedUnacked: string[];
  /** sent, in the log, never processed */
  notProcessed: string[];
  /** processed more than once */
  processedTwice: string[];
  /** processed, but not in the log */
  processedUnknown: string[];
}

/** Natural order, so `order-9` comes before `order-10`. */
function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
