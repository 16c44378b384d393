// The transaction checks of a consume-transform-produce run: the transformers' ledgers,
// the final read of the input topic, the output topic read with read_committed (and
// read_uncommitted beside it), and the offsets the transformers' group committed.
import type { ConsumedEvent, LogRecord, ProducedEvent, TxnEvent } from '../ledger/events.ts';

export interface TransactionInput {
  /** events of every transformer ledger */
  events: ReadonlyArray<ConsumedEvent | ProducedEvent | TxnEvent | { e: string }>;
  /** the input topic's final read */
  input: Iterable<LogRecord>;
  /** the output topic, read_committed (records carry their key `xid:txn`) */
  committed: readonly LogRecord[];
  /** the output topic, read_uncommitted */
  uncommitted: readonly LogRecord[];
  /** the transformers' group: committed input offset per partition at the end */
  groupOffsets: ReadonlyMap<number, number>;
}

export interface TransactionOutcome {
  /** extra copies of an input message in the committed output */
  outputDuplicates: number;
  /** input messages consumed by a transformer, in the input log, not in the committed output */
  outputMissing: number;
  /** committed-output records whose transaction the transformer's ledger says it aborted */
  abortedRead: number;
  /** input records below the group's committed offset that are not in the committed output */
  offsetsPastUnprocessed: number;
  committedTxns: number;
  abortedTxns: number;
  /** output records only read_uncommitted returned (aborted or never-decided transactions) */
  uncommittedOnly: number;
  examples: {
    outputDuplicates: string[];
    outputMissing: string[];
    abortedRead: string[];
    offsetsPastUnprocessed: string[];
  };
}

const MAX_EXAMPLES = 20;

export function checkTransactions(inp: TransactionInput): TransactionOutcome {
  const aborted = new Set<string>();
  let committedTxns = 0;
  let abortedTxns = 0;
  const consumed = new Set<string>();
  for (const ev of inp.events) {
    if (ev.e === 'txn') {
      const t = ev as TxnEvent;
      if (t.state === 'abort') {
        aborted.add(`${t.xid}:${t.txn}`);
        abortedTxns++;
      } else committedTxns++;
    } else if (ev.e === 'consumed') {
      const c = ev as ConsumedEvent;
      if (c.id !== null) consumed.add(c.id);
    }
  }
  const copies = new Map<string, number>();
  const ex = { outputDuplicates: [] as string[], outputMissing: [] as string[], abortedRead: [] as string[], offsetsPastUnprocessed: [] as string[] };
  const note = (list: string[], s: string) => {
    if (list.length < MAX_EXAMPLES) list.push(s);
  };
  let abortedRead = 0;
  for (const r of inp.committed) {
    if (r.id !== null) copies.set(r.id, (copies.get(r.id) ?? 0) + 1);
    if (r.k !== undefined && aborted.has(r.k)) {
      abortedRead++;
      note(ex.abortedRead, `${r.id ?? '?'} at output p${r.p}:${r.o} (transaction ${r.k})`);
    }
  }
  // an output record carries its input's id: an id the input log holds twice (a producer's
  // duplicate) owes two output records, so copies are compared with the input's copies
  const inputRecords = [...inp.input].filter((r) => r.id !== null);
  const inputCopies = new Map<string, number>();
  for (const r of inputRecords) inputCopies.set(r.id!, (inputCopies.get(r.id!) ?? 0) + 1);
  let outputDuplicates = 0;
  for (const [id, n] of copies) {
    const owed = Math.max(1, inputCopies.get(id) ?? 0);
    if (n > owed) {
      outputDuplicates += n - owed;
      note(ex.outputDuplicates, `${id} x${n}${owed > 1 ? ` (${owed} in the input)` : ''}`);
    }
  }
  let outputMissing = 0;
  let offsetsPastUnprocessed = 0;
  // the input records of an id take its output copies in offset order; those left over have no output
  const outputLeft = new Map(copies);
  for (const r of inputRecords.sort((a, b) => a.p - b.p || a.o - b.o)) {
    const left = outputLeft.get(r.id!) ?? 0;
    const inOutput = left > 0;
    if (inOutput) outputLeft.set(r.id!, left - 1);
    if (!inOutput && consumed.has(r.id!)) {
      outputMissing++;
      note(ex.outputMissing, `${r.id} (input p${r.p}:${r.o})`);
    }
    const committedTo = inp.groupOffsets.get(r.p);
    if (!inOutput && committedTo !== undefined && r.o < committedTo) {
      offsetsPastUnprocessed++;
      note(ex.offsetsPastUnprocessed, `${r.id} (input p${r.p}:${r.o}, committed ${committedTo})`);
    }
  }
  const committedKeys = new Set(inp.committed.map((r) => `${r.p}:${r.o}`));
  const uncommittedOnly = inp.uncommitted.filter((r) => !committedKeys.has(`${r.p}:${r.o}`)).length;
  return { outputDuplicates, outputMissing, abortedRead, offsetsPastUnprocessed, committedTxns, abortedTxns, uncommittedOnly, examples: ex };
}
