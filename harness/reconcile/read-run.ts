// Reconciles a run from disk: reads the producer and consumer ledgers and the final read
// (final-read.jsonl) as columns (ledger/columns.ts) and hands them to the checker a step
// at a time (Reconciler). A run of millions of messages is read on two threads (when the
// machine has two cores), each busy all along:
//
//   worker thread:  producer ledgers, 1st halves | final read | consumer ledgers, 1st halves | availability
//   this thread:    producer ledgers, 2nd halves | producer passes | final read | consumer ledgers, 2nd halves | consumers, outcomes
//
// A large file is read in two ranges that start at a line (scan.ts); the parts of a file
// are handed to the checker in file order, so the counts are those of reading it whole.
// Columns the worker made are transferred to this thread, not copied; what availability
// needs of the messages lives on shared memory (Reconciler.facts). Each part is dropped
// as soon as the checker is done with it (the producer columns after the producer passes,
// and so on), which bounds the peak memory. A small run is read on this thread alone.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ConsumerColumns, ProducerColumns, RecordColumns } from '../ledger/columns.ts';
import type { FinalRead, PartitionRead } from '../ledger/events.ts';
import { scanConsumerLedger, scanProducerLedger, scanRecords, splitRanges, type ByteRange, type FileKind, type Scanned } from '../ledger/scan.ts';
import type { Availability, AvailabilityInput, MessageFacts } from './availability.ts';
import { Reconciler } from './reconcile.ts';
import type { History, Reconciliation } from './types.ts';

/** A message to the worker thread. */
export type WorkerJob =
  | { id: number; type: 'scan'; kind: FileKind; file: string; range: ByteRange }
  | { id: number; type: 'availability'; facts: MessageFacts; input: AvailabilityInput };

export type WorkerReply =
  | { id: number; ok: true; result: Scanned<ProducerColumns | ConsumerColumns | RecordColumns> | Availability; what: string; ms: number }
  | { id: number; ok: false; message: string };

export interface RunFiles {
  /** producer ledgers, in the order the checker reads them */
  producers: string[];
  consumers: string[];
  /** final-read.jsonl */
  finalRead: string;
}

/** The ledger files of a run's ledger directory, by name (as the run phase has always ordered them). */
export function ledgerFiles(ledgerDir: string): Pick<RunFiles, 'producers' | 'consumers'> {
  const names = fs.readdirSync(ledgerDir).sort();
  return {
    producers: names.filter((f) => f.startsWith('producer-')).map((f) => path.join(ledgerDir, f)),
    consumers: names.filter((f) => f.startsWith('consumer-')).map((f) => path.join(ledgerDir, f)),
  };
}

export interface RunReconciliation {
  reconciliation: Reconciliation;
  /** ledger files (base names) whose last line was torn and skipped */
  tornTails: string[];
  /** lines that were not in the shape the agents write (read through JSON.parse) */
  slowLines: number;
  /** threads that worked */
  threads: number;
}

export interface RunInfo {
  runId: string;
  /** what the final read saw of each partition (its records are read from RunFiles.finalRead) */
  isolation: FinalRead['isolation'];
  partitions: PartitionRead[];
  /** with it, availability too */
  workload?: History['workload'];
  /** at most this many threads (default: 2 when the machine has 2 cores or more) */
  threads?: number;
  /** a second thread from this many bytes of files in all (default 64 MiB: a thread costs a start-up) */
  twoThreadsFrom?: number;
  /** with two threads, files from this size are read in halves (default 16 MiB) */
  halvesFrom?: number;
  /** told what each step took (for the benchmark) */
  trace?: (step: string, ms: number) => void;
}


/** Reads and reconciles a run (see the top of this file). */
export async function reconcileRun(files: RunFiles, info: RunInfo): Promise<RunReconciliation> {
  const all = [...files.producers, ...files.consumers, files.finalRead];
  const bytes = all.reduce((n, f) => n + fs.statSync(f).size, 0);
  const threads = Math.max(1, Math.min(2, info.threads ?? os.availableParallelism()));
  const worker = threads > 1 && bytes >= (info.twoThreadsFrom ?? 64 << 20) ? new WorkerThread(info.trace) : undefined;
  const tornTails: string[] = [];
  let slowLines = 0;
  const t0 = performance.now();
  let mark = t0;
  const step = (name: string): void => {
    const now = performance.now();
    info.trace?.(name, now - mark);
    mark = now;
  };
  const took = <C>(file: string, s: Scanned<C>, last: boolean): C => {
    slowLines += s.slowLines;
    if (s.tornTail && last) tornTails.push(path.basename(file));
    return s.columns;
  };
  /**
   * A file's parts: the first `share` of it for the worker and the rest here, or the whole
   * file here. The shares balance the two threads: the worker starts later (a thread, its
   * modules) and has availability to compute at the end.
   */
  const halves = (file: string, share: number): { remote: ByteRange | undefined; local: ByteRange } => {
    const ranges = worker ? splitRanges(file, 2, info.halvesFrom ?? 16 << 20, share) : [];
    if (ranges.length !== 2) return { remote: undefined, local: { start: 0, end: fs.statSync(file).size } };
    return { remote: ranges[0], local: ranges[1]! };
  };
  try {
    const r = new Reconciler({ consumers: files.consumers.length > 0, ...(info.workload ? { workload: info.workload } : {}) });

    // the worker's queue: first halves of the producer ledgers, the final read, first halves of the consumer ledgers
    const producerParts = files.producers.map((file) => ({ file, ...halves(file, 0.46) }));
    const remoteProducers = producerParts.map((p) => (p.remote && worker ? worker.scan('producer', p.file, p.remote) : undefined));
    let remoteRecords = worker?.scan('records', files.finalRead, { start: 0, end: fs.statSync(files.finalRead).size });
    const consumerParts = files.consumers.map((file) => ({ file, ...halves(file, 0.4) }));
    const remoteConsumers = consumerParts.map((p) => (p.remote && worker ? worker.scan('consumer', p.file, p.remote) : undefined));

    // producers: this thread reads the second halves, then runs the producer passes
    const readProducers = async (): Promise<ProducerColumns[]> => {
      const local = producerParts.map((p) => took(p.file, scanProducerLedger(p.file, p.local), true));
      step('read producer ledgers (this thread)');
      const producers: ProducerColumns[] = [];
      for (let i = 0; i < producerParts.length; i++) {
        const remote = remoteProducers[i];
        remoteProducers[i] = undefined;
        if (remote) producers.push(took(producerParts[i]!.file, (await remote) as Scanned<ProducerColumns>, false));
        producers.push(local[i]!);
      }
      if (worker) step('wait for the worker');
      return producers;
    };
    const producers = await readProducers();
    r.producers(producers);
    // done with the producer columns: nothing may hold them any more (a suspended async frame keeps its registers)
    producers.length = 0;
    step('producer passes');
    let availability: Promise<Availability> | undefined;
    if (info.workload && worker) {
      const w = info.workload;
      availability = worker.availability(r.facts(), { workloadStart: w.start, workloadEnd: w.end, partitions: w.partitions, faults: w.faults });
    }

    // the final read (the harness writes it whole before it reconciles: no torn last line)
    const readRecords = async (): Promise<RecordColumns> => {
      const remote = remoteRecords;
      remoteRecords = undefined;
      const scanned = remote ? ((await remote) as Scanned<RecordColumns>) : scanRecords(files.finalRead);
      if (scanned.tornTail) throw new Error(`${files.finalRead}: the last line is not a whole record`);
      slowLines += scanned.slowLines;
      step(worker ? 'wait for the worker' : 'read the final read');
      return scanned.columns;
    };
    const records = [await readRecords()];
    r.finalRead({ isolation: info.isolation, partitions: info.partitions, records: records[0]! });
    records.length = 0;
    step('final read');

    // consumers: this thread reads the second halves, then hands the parts over in order
    for (let i = 0; i < consumerParts.length; i++) {
      const part = consumerParts[i]!;
      const readConsumer = async (): Promise<ConsumerColumns[]> => {
        const local = took(part.file, scanConsumerLedger(part.file, part.local), true);
        step('read consumer ledgers (this thread)');
        const remote = remoteConsumers[i];
        remoteConsumers[i] = undefined;
        const parts = remote ? [took(part.file, (await remote) as Scanned<ConsumerColumns>, false), local] : [local];
        if (remote) step('wait for the worker');
        return parts;
      };
      const parts = await readConsumer();
      for (const c of parts) r.consumer(c);
      parts.length = 0;
      step('consumers');
    }
    const a = availability ? await availability : undefined;
    if (availability) step('wait for availability');
    const reconciliation = r.finish(a);
    step(info.workload && !availability ? 'outcomes and availability' : 'outcomes');
    // by name, like the directory listing the ledgers come from
    return { reconciliation, tornTails: tornTails.sort(), slowLines, threads: worker ? 2 : 1 };
  } finally {
    await worker?.close();
  }
}

/** The worker thread (read-worker.ts) and its replies by job id. */
class WorkerThread {
  private readonly worker = new Worker(new URL('./read-worker.mjs', import.meta.url));
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | undefined;

  constructor(trace?: (step: string, ms: number) => void) {
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) {
        trace?.(`worker: ${reply.what}`, reply.ms);
        p.resolve(reply.result);
      } else p.reject(new Error(reply.message));
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the reader thread exited (code ${code})`)));
  }

  scan(kind: FileKind, file: string, range: ByteRange): Promise<Scanned<ProducerColumns | ConsumerColumns | RecordColumns>> {
    return this.call({ id: this.nextId++, type: 'scan', kind, file, range }) as Promise<Scanned<ProducerColumns | ConsumerColumns | RecordColumns>>;
  }

  availability(facts: MessageFacts, input: AvailabilityInput): Promise<Availability> {
    return this.call({ id: this.nextId++, type: 'availability', facts, input }) as Promise<Availability>;
  }

  private call(job: WorkerJob): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const p = new Promise<unknown>((resolve, reject) => this.pending.set(job.id, { resolve, reject }));
    // a failure is taken up where the reply is awaited; no unhandled rejection meanwhile
    p.catch(() => undefined);
    this.worker.postMessage(job);
    return p;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
