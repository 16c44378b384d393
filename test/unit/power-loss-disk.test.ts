// The disk side of broker.power-loss: each partition log is cut back to its checkpointed
// recovery point, on real files in a temporary log dir made of v2 batch headers.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logEnd, readCheckpoint, truncateToRecoveryPoints } from '../../harness/faults/power-loss-disk.ts';

// --- a test-only writer of v2 record batches -------------------------------------------

const HEADER = 61;
const RECORD_BYTES = 7; // the records themselves are opaque to the walker

/** A v2 batch of `count` records from `baseOffset`: a plausible header and filler records. */
function batch(baseOffset: number, count: number): Buffer {
  const buf = Buffer.alloc(HEADER + count * RECORD_BYTES, 0xab);
  buf.writeBigInt64BE(BigInt(baseOffset), 0); // baseOffset
  buf.writeInt32BE(buf.length - 12, 8); // batchLength: everything after itself
  buf.writeInt32BE(3, 12); // partitionLeaderEpoch
  buf.writeInt8(2, 16); // magic
  buf.writeUInt32BE(0xdeadbeef, 17); // crc (not checked by the walker)
  buf.writeInt16BE(0, 21); // attributes
  buf.writeInt32BE(count - 1, 23); // lastOffsetDelta
  buf.writeBigInt64BE(1_700_000_000_000n, 27); // baseTimestamp
  buf.writeBigInt64BE(1_700_000_000_000n, 35); // maxTimestamp
  buf.writeBigInt64BE(-1n, 43); // producerId
  buf.writeInt16BE(-1, 51); // producerEpoch
  buf.writeInt32BE(-1, 53); // baseSequence
  buf.writeInt32BE(count, 57); // records count
  return buf;
}

/** batches given as [baseOffset, count] */
function batches(...specs: [number, number][]): Buffer {
  return Buffer.concat(specs.map(([base, count]) => batch(base, count)));
}

const name20 = (offset: number) => String(offset).padStart(20, '0');
const INDEXES = ['.index', '.timeindex', '.txnindex'];

let logDir: string;
beforeEach(() => {
  logDir = mkdtempSync(join(tmpdir(), 'kafka-chaos-power-loss-'));
});
afterEach(() => {
  rmSync(logDir, { recursive: true, force: true });
});

/** A partition directory with the given segments (base offset -> contents) and their index files. */
function partition(name: string, segments: Record<number, Buffer>, snapshots: number[] = []): string {
  const dir = join(logDir, name);
  mkdirSync(dir);
  for (const [base, contents] of Object.entries(segments)) {
    writeFileSync(join(dir, `${name20(Number(base))}.log`), contents);
    for (const suffix of INDEXES) writeFileSync(join(dir, `${name20(Number(base))}${suffix}`), Buffer.alloc(16, 1));
  }
  for (const s of snapshots) writeFileSync(join(dir, `${name20(s)}.snapshot`), 'producer state');
  writeFileSync(join(dir, 'leader-epoch-checkpoint'), '0\n1\n0 0\n');
  writeFileSync(join(dir, 'partition.metadata'), 'version: 0\ntopic_id: x\n');
  return dir;
}

function checkpoint(entries: [string, number, number][]): void {
  const lines = ['0', String(entries.length), ...entries.map(([t, p, o]) => `${t} ${p} ${o}`)];
  writeFileSync(join(logDir, 'recovery-point-offset-checkpoint'), lines.join('\n') + '\n');
}

const files = (dir: string) => readdirSync(dir).sort();
const seg = (dir: string, base: number, suffix = '.log') => join(dir, `${name20(base)}${suffix}`);

/** every file of a directory tree, with its contents */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out[path] = readFileSync(path).toString('hex');
    }
  }
  return out;
}

// --- the checkpoint file ---------------------------------------------------------------

describe('readCheckpoint', () => {
  function write(text: string): string {
    const file = join(logDir, 'recovery-point-offset-checkpoint');
    writeFileSync(file, text);
    return file;
  }

  it('reads topic partition offset lines keyed by the partition directory name', () => {
    const file = write('0\n4\norders 0 120\nmy.topic.v2 3 7\nsome-topic_x 11 0\n__consumer_offsets 49 123456789012\n');
    expect(readCheckpoint(file)).toEqual(
      new Map([
        ['orders-0', 120],
        ['my.topic.v2-3', 7],
        ['some-topic_x-11', 0],
        ['__consumer_offsets-49', 123456789012],
      ]),
    );
  });

  it('reads an empty file, or a file with no entries, as no recovery points', () => {
    expect(readCheckpoint(write('')).size).toBe(0);
    expect(readCheckpoint(write('0\n0\n')).size).toBe(0);
  });

  it('rejects a version other than 0, naming the file and line 1', () => {
    const file = write('1\n1\nt 0 5\n');
    expect(() => readCheckpoint(file)).toThrow(`${file}:1:`);
    expect(() => readCheckpoint(write('x\n1\nt 0 5\n'))).toThrow(`${file}:1:`);
  });

  it('rejects a bad count, naming the file and the line', () => {
    const file = write('0\nthree\nt 0 5\n');
    expect(() => readCheckpoint(file)).toThrow(`${file}:2:`);
    // fewer entries than counted: the line where the next one should be
    expect(() => readCheckpoint(write('0\n3\nt 0 5\nt 1 6\n'))).toThrow(`${file}:5: expected 3 entries`);
    // more entries than counted: the first extra line
    expect(() => readCheckpoint(write('0\n1\nt 0 5\nt 1 6\n'))).toThrow(`${file}:4:`);
  });

  it('rejects a malformed entry line, naming the file and its line', () => {
    const file = write('0\n3\nt 0 5\nt 1\nt 2 7\n');
    expect(() => readCheckpoint(file)).toThrow(`${file}:4:`);
    expect(() => readCheckpoint(write('0\n2\nt 0 5\nt 1 five\n'))).toThrow(`${file}:4:`);
    expect(() => readCheckpoint(write('0\n2\nt 0 5\nt x 5\n'))).toThrow(`${file}:4:`);
    expect(() => readCheckpoint(write('0\n2\nt 0 5\nt  1 5\n'))).toThrow(`${file}:4:`);
    expect(() => readCheckpoint(write('0\n2\nt 0 5\nt 0 6\n'))).toThrow(`${file}:4: duplicate`);
  });
});

// --- truncation ------------------------------------------------------------------------

describe('truncateToRecoveryPoints', () => {
  // two segments: [0..9][10..14][15..19] and [20..29][30..34][35..39]
  const seg0 = () => batches([0, 10], [10, 5], [15, 5]);
  const seg20 = () => batches([20, 10], [30, 5], [35, 5]);

  it('cuts the active segment in the middle: exact bytes kept, exact new end, its indexes removed', () => {
    const dir = partition('orders-0', { 0: seg0(), 20: seg20() });
    checkpoint([['orders', 0, 30]]);
    const report = truncateToRecoveryPoints(logDir);

    expect(readFileSync(seg(dir, 20))).toEqual(batch(20, 10));
    expect(readFileSync(seg(dir, 0))).toEqual(seg0());
    for (const suffix of INDEXES) {
      expect(existsSync(seg(dir, 20, suffix))).toBe(false);
      expect(existsSync(seg(dir, 0, suffix))).toBe(true); // untouched segment keeps its indexes
    }
    expect(report).toEqual({
      logDir,
      partitions: [
        { partition: 'orders-0', recoveryPoint: 30, logEndBefore: 40, logEndAfter: 30, bytesRemoved: batches([30, 5], [35, 5]).length, segmentsDeleted: 0 },
      ],
    });
    expect(logEnd(dir)).toBe(30);
    // files that are not segments are left alone
    expect(existsSync(join(dir, 'leader-epoch-checkpoint'))).toBe(true);
    expect(existsSync(join(dir, 'partition.metadata'))).toBe(true);
  });

  it('a recovery point at a segment boundary deletes the later segments whole', () => {
    const dir = partition('orders-0', { 0: seg0(), 20: seg20(), 40: batches([40, 3]) });
    checkpoint([['orders', 0, 20]]);
    const [p] = truncateToRecoveryPoints(logDir).partitions;

    expect(files(dir)).toEqual([...['.index', '.log', '.timeindex', '.txnindex'].map((s) => `${name20(0)}${s}`), 'leader-epoch-checkpoint', 'partition.metadata']);
    expect(readFileSync(seg(dir, 0))).toEqual(seg0());
    expect(p).toEqual({ partition: 'orders-0', recoveryPoint: 20, logEndBefore: 43, logEndAfter: 20, bytesRemoved: seg20().length + batch(40, 3).length, segmentsDeleted: 2 });
  });

  it('a recovery point of 0 empties the log but keeps one (empty) segment file', () => {
    const dir = partition('orders-0', { 0: seg0(), 20: seg20() });
    checkpoint([['orders', 0, 0]]);
    const [p] = truncateToRecoveryPoints(logDir).partitions;

    expect(files(dir).filter((f) => f.endsWith('.log'))).toEqual([`${name20(0)}.log`]);
    expect(statSync(seg(dir, 0)).size).toBe(0);
    for (const suffix of INDEXES) expect(existsSync(seg(dir, 0, suffix))).toBe(false);
    expect(p).toMatchObject({ logEndBefore: 40, logEndAfter: 0, bytesRemoved: seg0().length + seg20().length, segmentsDeleted: 1 });
    expect(logEnd(dir)).toBe(0);
  });

  it('a partition missing from the checkpoint counts as recovery point 0', () => {
    const dir = partition('new-topic-2', { 0: seg0(), 20: seg20() });
    checkpoint([['other', 0, 100]]);
    const [p] = truncateToRecoveryPoints(logDir).partitions;

    expect(files(dir).filter((f) => f.endsWith('.log'))).toEqual([`${name20(0)}.log`]);
    expect(statSync(seg(dir, 0)).size).toBe(0);
    expect(p).toEqual({ partition: 'new-topic-2', recoveryPoint: 0, logEndBefore: 40, logEndAfter: 0, bytesRemoved: seg0().length + seg20().length, segmentsDeleted: 1 });
  });

  it('a recovery point at or past the log end changes nothing', () => {
    partition('orders-0', { 0: seg0(), 20: seg20() }, [20, 40]);
    partition('orders-1', { 0: seg0() });
    checkpoint([
      ['orders', 0, 40],
      ['orders', 1, 1000],
    ]);
    const before = snapshotTree(logDir);
    const report = truncateToRecoveryPoints(logDir);

    expect(snapshotTree(logDir)).toEqual(before);
    expect(report.partitions).toEqual([
      { partition: 'orders-0', recoveryPoint: 40, logEndBefore: 40, logEndAfter: 40, bytesRemoved: 0, segmentsDeleted: 0 },
      { partition: 'orders-1', recoveryPoint: 1000, logEndBefore: 20, logEndAfter: 20, bytesRemoved: 0, segmentsDeleted: 0 },
    ]);
  });

  it('keeps a batch that straddles the recovery point whole, and reports the real end', () => {
    const dir = partition('orders-0', { 0: seg0(), 20: seg20() });
    checkpoint([['orders', 0, 25]]); // inside [20..29]
    const [p] = truncateToRecoveryPoints(logDir).partitions;

    expect(readFileSync(seg(dir, 20))).toEqual(batch(20, 10));
    expect(p).toMatchObject({ recoveryPoint: 25, logEndBefore: 40, logEndAfter: 30 });
    expect(logEnd(dir)).toBe(30);
  });

  it('a torn trailing batch is not there: logEnd ignores it and the truncation removes it', () => {
    const whole = batches([0, 10], [10, 5]);
    const torn = batch(15, 5).subarray(0, 40); // the header says more bytes than were written
    const dir = partition('orders-0', { 0: Buffer.concat([whole, torn]) });
    checkpoint([['orders', 0, 1000]]);

    expect(logEnd(dir)).toBe(15);
    const [p] = truncateToRecoveryPoints(logDir).partitions;
    expect(readFileSync(seg(dir, 0))).toEqual(whole);
    for (const suffix of INDEXES) expect(existsSync(seg(dir, 0, suffix))).toBe(false);
    expect(p).toEqual({ partition: 'orders-0', recoveryPoint: 1000, logEndBefore: 15, logEndAfter: 15, bytesRemoved: 40, segmentsDeleted: 0 });
  });

  it('a torn batch shorter than the 12-byte length prefix is not there either', () => {
    const whole = batches([0, 10]);
    const dir = partition('orders-0', { 0: Buffer.concat([whole, batch(10, 1).subarray(0, 9)]) });
    checkpoint([['orders', 0, 5]]);
    const [p] = truncateToRecoveryPoints(logDir).partitions;
    // the recovery point is inside [0..9]: that batch is kept, the torn bytes go
    expect(readFileSync(seg(dir, 0))).toEqual(whole);
    expect(p).toMatchObject({ logEndBefore: 10, logEndAfter: 10, bytesRemoved: 9 });
  });

  it('a zero-filled tail counts as not there; other garbage is an error and changes nothing', () => {
    const whole = batches([0, 10]);
    const dir = partition('orders-0', { 0: Buffer.concat([whole, Buffer.alloc(500)]) });
    expect(logEnd(dir)).toBe(10);

    const bad = batch(10, 2);
    bad.writeInt8(1, 16); // magic 1
    const corrupt = partition('orders-1', { 0: Buffer.concat([whole, bad]) });
    expect(() => logEnd(corrupt)).toThrow(`${seg(corrupt, 0)}: corrupt record batch at byte ${whole.length}: magic 1`);

    checkpoint([
      ['orders', 0, 0],
      ['orders', 1, 0],
    ]);
    const before = snapshotTree(logDir);
    expect(() => truncateToRecoveryPoints(logDir)).toThrow('corrupt record batch');
    expect(snapshotTree(logDir)).toEqual(before); // orders-0 was not truncated either
  });

  it('leaves the KRaft metadata log and -delete/-future/-stray directories alone', () => {
    const meta = partition('__cluster_metadata-0', { 0: seg0() });
    partition('orders-0.5f1d2c3b4a5e4f6a8b9c0d1e2f3a4b5c-delete', { 0: seg0() });
    partition('orders-1.5f1d2c3b4a5e4f6a8b9c0d1e2f3a4b5c-future', { 0: seg0() });
    partition('orders-2.5f1d2c3b4a5e4f6a8b9c0d1e2f3a4b5c-stray', { 0: seg0() });
    const offsets = partition('__consumer_offsets-3', { 0: seg0() });
    checkpoint([]); // nothing checkpointed: every partition would be emptied
    const before = snapshotTree(logDir);
    const report = truncateToRecoveryPoints(logDir);

    expect(report.partitions.map((p) => p.partition)).toEqual(['__consumer_offsets-3']);
    expect(statSync(seg(offsets, 0)).size).toBe(0);
    const after = snapshotTree(logDir);
    for (const [path, contents] of Object.entries(before)) {
      if (!path.startsWith(offsets)) expect(after[path], path).toBe(contents);
    }
    expect(readFileSync(seg(meta, 0))).toEqual(seg0());
  });

  it('deletes producer snapshots past the new end and keeps the others', () => {
    const dir = partition('orders-0', { 0: seg0(), 20: seg20() }, [10, 20, 30, 35, 40]);
    checkpoint([['orders', 0, 32]]); // inside [30..34]: the new end is 35
    const [p] = truncateToRecoveryPoints(logDir).partitions;

    expect(p).toMatchObject({ logEndAfter: 35 });
    expect(files(dir).filter((f) => f.endsWith('.snapshot'))).toEqual([10, 20, 30, 35].map((o) => `${name20(o)}.snapshot`));
  });

  it('truncates several partitions of one log dir, each to its own recovery point', () => {
    const dotted = partition('my.topic.v2-0', { 0: seg0(), 20: seg20() });
    const dashed = partition('my-topic-11', { 0: seg0() });
    const offsets = partition('__consumer_offsets-3', { 0: seg0(), 20: seg20() });
    const untouched = partition('my-topic-2', { 0: seg0() });
    checkpoint([
      ['my.topic.v2', 0, 10],
      ['my-topic', 11, 15],
      ['__consumer_offsets', 3, 35],
      ['my-topic', 2, 20],
    ]);
    const report = truncateToRecoveryPoints(logDir);

    expect(report.partitions).toEqual([
      { partition: '__consumer_offsets-3', recoveryPoint: 35, logEndBefore: 40, logEndAfter: 35, bytesRemoved: batch(35, 5).length, segmentsDeleted: 0 },
      { partition: 'my-topic-2', recoveryPoint: 20, logEndBefore: 20, logEndAfter: 20, bytesRemoved: 0, segmentsDeleted: 0 },
      { partition: 'my-topic-11', recoveryPoint: 15, logEndBefore: 20, logEndAfter: 15, bytesRemoved: batch(15, 5).length, segmentsDeleted: 0 },
      { partition: 'my.topic.v2-0', recoveryPoint: 10, logEndBefore: 40, logEndAfter: 10, bytesRemoved: batches([10, 5], [15, 5]).length + seg20().length, segmentsDeleted: 1 },
    ]);
    expect([logEnd(dotted), logEnd(dashed), logEnd(offsets), logEnd(untouched)]).toEqual([10, 15, 35, 20]);
  });

  it('refuses a log dir without a recovery-point checkpoint', () => {
    partition('orders-0', { 0: seg0() });
    expect(() => truncateToRecoveryPoints(logDir)).toThrow('recovery-point-offset-checkpoint does not exist');
    expect(statSync(join(logDir, 'orders-0', `${name20(0)}.log`)).size).toBe(seg0().length);
  });
});

describe('logEnd', () => {
  it('is the next offset after the last complete batch across segments, in base-offset order', () => {
    // compacted: offsets have gaps, and a batch may hold fewer records than its offset span
    const dir = partition('orders-0', {
      100: batches([100, 1], [104, 3]),
      0: batches([0, 10], [12, 2]),
      200: batches([200, 50], [250, 1]),
    });
    expect(logEnd(dir)).toBe(251);
  });

  it('ignores an empty active segment, and is 0 for an empty or segment-less log', () => {
    expect(logEnd(partition('a-0', { 0: batches([0, 5]), 5: Buffer.alloc(0) }))).toBe(5);
    expect(logEnd(partition('a-1', { 0: Buffer.alloc(0) }))).toBe(0);
    expect(logEnd(partition('a-2', {}))).toBe(0);
  });

  it('rejects offsets that go backwards across segments', () => {
    const dir = partition('orders-0', { 0: batches([0, 30]), 20: batches([20, 5]) });
    expect(() => logEnd(dir)).toThrow('below the end of the previous batch 30');
  });
});
