// The final read: a fresh consumer reads every partition from its log start offset to
// its high watermark, after every producer has stopped and every fault is healed.
import { ClusterAdmin } from '../cluster/admin.ts';
import { messageIdParser } from '../ledger/message-id.ts';
import { readPartitionsWithKafkajs, type RawRecord } from '../clients/kafkajs-reader.ts';
import type { FinalRead, LogRecord, PartitionRead } from '../ledger/events.ts';
import { HarnessError } from '../util/errors.ts';
import { changedEnds } from './log-ends.ts';

/** The log's ends moved while it was being read: something was still writing (or deleting). */
export class LogChangedError extends HarnessError {
  override name = 'LogChangedError';
}

/** A connection that broke under the read (a broker that just came back, a proxy reset): the read may start over. */
function isConnectionError(err: unknown): boolean {
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? ''}`;
  return /Closed connection|ECONNRESET|ECONNREFUSED|KafkaJSConnection|socket hang up/i.test(text);
}

/**
 * The final read (see readOnce), started over up to twice when a connection breaks under
 * it or the log's ends moved while it read (a high watermark still catching up): reading
 * is idempotent, and the checks before and after stay as strict. The caller compares the
 * ends of the read with those its drain saw.
 */
export async function finalRead(opts: Parameters<typeof readOnce>[0]): Promise<FinalRead> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(isConnectionError(err) || err instanceof LogChangedError) || opts.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function readOnce(opts: {
  bootstrap: readonly string[];
  topic: string;
  runId: string;
  isolation: 'read_uncommitted' | 'read_committed';
  timeoutMs: number;
  signal?: AbortSignal;
  /** the message id a record carries, null for a record that is not the run's; default: the harness' own payload */
  idOf?: (m: RawRecord) => string | null;
  /** keep each record's key (`k`): the transformers' output records name their transaction there */
  keys?: boolean;
  /**
   * every offset in [low, high) holds a data record (default true). Not so in a topic
   * written in transactions: commit and abort markers take offsets too.
   */
  gapless?: boolean;
}): Promise<FinalRead> {
  const ownIds = messageIdParser(opts.runId);
  const idOf = opts.idOf ?? ((m: RawRecord) => ownIds(m.value));
  await using admin = new ClusterAdmin(opts.bootstrap);
  const before = await admin.offsets(opts.topic);
  const target = new Map(before.map((p) => [p.partition, p]));
  // keyed by offset: a rejoin of the reading group starts reading from the log start again
  const byPartition = new Map<number, Map<number, LogRecord>>(before.map((p) => [p.partition, new Map()]));
  await readPartitionsWithKafkajs({
    bootstrap: opts.bootstrap,
    topic: opts.topic,
    isolation: opts.isolation,
    until: new Map(before.filter((p) => p.high > p.low).map((p) => [p.partition, p.high])),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    cleanup: (groupId) => admin.deleteGroup(groupId),
    onRecord: (m) => {
      const p = m.partition;
      const o = m.offset;
      if (o >= (target.get(p)?.high ?? 0)) return; // beyond what this read set out to cover
      const id = idOf(m);
      const rec: LogRecord = { p, o, id };
      if (opts.keys && m.key) rec.k = m.key.toString('utf8');
      if (id === null) rec.raw = m.value ? m.value.toString('utf8').slice(0, 200) : '(null)';
      byPartition.get(p)?.set(o, rec);
    },
  });
  const changed = changedEnds(before, await admin.offsets(opts.topic));
  if (changed.length > 0) throw new LogChangedError(`the log changed during the final read (${changed.join('; ')}): something is still writing or deleting`);
  const partitions: PartitionRead[] = before.map((p) => ({ partition: p.partition, logStartOffset: p.low, highWatermark: p.high, records: byPartition.get(p.partition)?.size ?? 0 }));
  // without transactions or compaction every offset in [low, high) holds a record: a gap
  // would mean the read missed something, and every count after it would be wrong
  if (opts.isolation === 'read_uncommitted' && opts.gapless !== false) {
    for (const p of partitions) {
      const expected = p.highWatermark - p.logStartOffset;
      if (p.records !== expected) {
        throw new HarnessError(`the final read of partition ${p.partition} returned ${p.records} records for offsets [${p.logStartOffset}, ${p.highWatermark}) (${expected} expected)`);
      }
    }
  }
  const records: LogRecord[] = [];
  for (const part of before) {
    const sorted = [...(byPartition.get(part.partition)?.values() ?? [])].sort((a, b) => a.o - b.o);
    for (const r of sorted) records.push(r);
  }
  return { isolation: opts.isolation, partitions, records };
}
