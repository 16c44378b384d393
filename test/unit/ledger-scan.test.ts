import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  concatRecordColumns,
  consumerColumns,
  idAt,
  OTHER,
  producerColumns,
  recordColumns,
  type ConsumerColumns,
  type ProducerColumns,
  type RecordColumns,
} from '../../harness/ledger/columns.ts';
import type { ConsumerEvent, LedgerEvent, LogRecord, ProducerEvent } from '../../harness/ledger/events.ts';
import { readLedger } from '../../harness/ledger/reader.ts';
import { scanConsumerLedger, scanProducerLedger, scanRecords, splitRanges } from '../../harness/ledger/scan.ts';
import { LedgerWriter, writeRecords } from '../../harness/ledger/writer.ts';
import { ledgerFiles, reconcileRun } from '../../harness/reconcile/read-run.ts';
import { availability } from '../../harness/reconcile/availability.ts';
import { historyColumns, reconcile, reconcileColumns } from '../../harness/reconcile/reconcile.ts';
import type { History } from '../../harness/reconcile/types.ts';

// ---- helpers -----------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-scan-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;

/** A ledger file written the way the agents write it. */
function ledgerFile(events: readonly LedgerEvent[], name = `ledger-${files++}.jsonl`): string {
  const file = path.join(tmp, name);
  const w = new LedgerWriter(file);
  w.appendAll(events);
  w.close();
  return file;
}

/** A file with exactly this text. */
function textFile(text: string): string {
  const file = path.join(tmp, `text-${files++}.jsonl`);
  fs.writeFileSync(file, text);
  return file;
}

/** Every row of producer columns as the event it stands for (the fields the checker reads). */
function producerRows(c: ProducerColumns): unknown[] {
  const out: unknown[] = [];
  for (let k = 0; k < c.length; k++) {
    const kind = c.kind[k];
    if (kind === OTHER) {
      out.push(c.others.get(k));
      continue;
    }
    const row: Record<string, unknown> = { kind, pid: c.pids[c.pid[k]!], seq: c.seq[k], p: c.p[k], t: c.tBase + c.t[k]! };
    if (kind === 1) row.o = c.x[k] === 0xffffffff ? null : c.x[k];
    if (kind === 2) Object.assign(row, { code: c.codes[c.x[k]! >>> 1], definite: (c.x[k]! & 1) === 1 });
    out.push(row);
  }
  return out;
}

function consumerRows(c: ConsumerColumns): unknown[] {
  const out: unknown[] = [];
  for (let k = 0; k < c.length; k++) {
    out.push(c.kind[k] === OTHER ? c.others.get(k) : { cid: c.cids[c.cid[k]!], id: idAt(c, k), p: c.p[k], o: c.o[k] });
  }
  return out;
}

function recordRows(c: RecordColumns): unknown[] {
  const out: unknown[] = [];
  for (let k = 0; k < c.length; k++) out.push(c.kind[k] === OTHER ? c.others.get(k) : { p: c.p[k], o: c.o[k], id: idAt(c, k) });
  return out;
}

const T0 = 1_700_000_000_000;

const producerEvents: ProducerEvent[] = [
  { e: 'start', agent: 'p0', os: 42, t: T0 },
  { e: 'attempt', pid: 'p0', seq: 0, p: 0, t: T0 + 1 },
  { e: 'attempt', pid: 'p0', seq: 1, p: 1, t: T0 + 1 },
  { e: 'ack', pid: 'p0', seq: 0, p: 0, o: 17, t: T0 + 5 },
  { e: 'ack', pid: 'p0', seq: 1, p: 1, o: null, t: T0 + 5 },
  { e: 'retry', pid: 'p0', p: 1, seqs: [1], n: 2, t: T0 + 6 },
  { e: 'error', pid: 'p0', seq: 1, p: 1, code: 'REQUEST_TIMED_OUT', retriable: true, definite: false, attempts: 2, t: T0 + 7 },
  { e: 'error', pid: 'p0', seq: 2, p: 0, code: 'NOT_ENOUGH_REPLICAS', retriable: true, definite: true, attempts: 1, t: T0 + 8 },
  { e: 'backlog', pid: 'p0', state: 'behind', queued: 1000, t: T0 + 9 },
  { e: 'unsent', pid: 'p0', p: 0, seqs: [3, 4], t: T0 + 10 },
  { e: 'attempt', pid: 'p0.r1', seq: 2147483647, p: 65535, t: T0 + 11 },
  { e: 'ack', pid: 'p0.r1', seq: 2147483647, p: 65535, o: 4294967294, t: T0 + 12 },
];

const consumerEvents: ConsumerEvent[] = [
  { e: 'start', agent: 'c0', os: 43, t: T0 },
  { e: 'received', cid: 'c0', id: 'p0:0', p: 0, o: 17, t: T0 + 6 },
  { e: 'received', cid: 'c0', id: null, p: 0, o: 18, t: T0 + 6 },
  { e: 'processed', cid: 'c0', id: 'p0:0', p: 0, o: 17, t: T0 + 7 },
  { e: 'processed', cid: 'c0', id: null, p: 0, o: 18, t: T0 + 7 },
  { e: 'processed', cid: 'c0', id: 'a:b:12', p: 3, o: 0, t: T0 + 8 },
  { e: 'committed', cid: 'c0', p: 0, o: 19, t: T0 + 9 },
];

const records: LogRecord[] = [
  { p: 0, o: 17, id: 'p0:0' },
  { p: 0, o: 18, id: null, raw: 'hello "there"' },
  { p: 1, o: 0, id: 'p0:010' },
  { p: 1, o: 1, id: 'p0:2147483648' },
  { p: 2, o: 0, id: 'nocolon' },
];

// ---- reading what the agents and the harness write --------------------------------------

describe('scan: the files as written', () => {
  it('reads a producer ledger into the rows the events make, the other kinds kept whole', () => {
    const file = ledgerFile(producerEvents);
    const s = scanProducerLedger(file);
    expect(s.tornTail).toBe(false);
    expect(producerRows(s.columns)).toEqual(producerRows(producerColumns(producerEvents)));
    // attempt, ack and error lines take the fast path; start, retry, backlog and unsent go through JSON.parse
    expect(s.slowLines).toBe(4);
    expect(s.columns.attempts).toBe(3);
    expect(s.columns.maxSeq).toEqual([1, 2147483647]);
  });

  it('reads the processed events with an id of a consumer ledger', () => {
    const file = ledgerFile(consumerEvents);
    const s = scanConsumerLedger(file);
    expect(s.tornTail).toBe(false);
    expect(consumerRows(s.columns)).toEqual([
      { cid: 'c0', id: 'p0:0', p: 0, o: 17 },
      { cid: 'c0', id: 'a:b:12', p: 3, o: 0 },
    ]);
    expect(consumerRows(s.columns)).toEqual(consumerRows(consumerColumns(consumerEvents)));
    expect(s.slowLines).toBe(1); // the start event
  });

  it('writes final-read.jsonl as one JSON line per record, and reads it back', () => {
    const file = path.join(tmp, 'final-read.jsonl');
    writeRecords(file, records);
    expect(fs.readFileSync(file, 'utf8')).toBe(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const s = scanRecords(file);
    expect(recordRows(s.columns)).toEqual([
      { p: 0, o: 17, id: 'p0:0' },
      { p: 0, o: 18, id: null },
      { p: 1, o: 0, id: 'p0:010' },
      { p: 1, o: 1, id: 'p0:2147483648' },
      { p: 2, o: 0, id: 'nocolon' },
    ]);
    expect(s.slowLines).toBe(1); // the record with a raw value
    writeRecords(file, []);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(scanRecords(file).columns.length).toBe(0);
  });

  it('writes a final read too large for one string in chunks', () => {
    const file = path.join(tmp, 'many.jsonl');
    const many = Array.from({ length: 50_000 }, (_, o): LogRecord => ({ p: o % 3, o, id: `p0:${o}` }));
    writeRecords(file, many);
    expect(fs.readFileSync(file, 'utf8')).toBe(many.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(scanRecords(file).columns.length).toBe(50_000);
  });
});

// ---- torn and malformed lines (as readLedger) --------------------------------------------

describe('scan: torn and malformed lines', () => {
  const good = producerEvents.slice(0, 4).map((e) => JSON.stringify(e) + '\n').join('');

  it('skips a torn last line and says so, with or without its newline', () => {
    for (const tail of ['{"e":"attempt","pid":"p0","se', '{"e":"attempt","pid":"p0","se\n', '{"e":"ack","pid":"p0","seq":5,"p":0,"o":3,"t":1\n'.slice(0, 30) + '\r\n']) {
      const file = textFile(good + tail);
      const s = scanProducerLedger(file);
      expect(s.tornTail).toBe(true);
      expect(producerRows(s.columns)).toEqual(producerRows(producerColumns(producerEvents.slice(0, 4))));
    }
    // a whole last line without a newline is not torn
    const file = textFile(good + JSON.stringify(producerEvents[4]));
    const s = scanProducerLedger(file);
    expect(s.tornTail).toBe(false);
    expect(s.columns.length).toBe(5);
  });

  it('a malformed line anywhere else is an error naming its line', () => {
    const file = textFile(good + '{"e":"attempt",oops}\n' + good);
    expect(() => scanProducerLedger(file)).toThrow(/:5: malformed ledger line: \{"e":"attempt",oops\}/);
    // like readline: an empty line after it is another line
    expect(() => scanProducerLedger(textFile(good + 'oops\n\n'))).toThrow(/malformed/);
    // a line that is JSON but not an object is not an event
    expect(() => scanConsumerLedger(textFile('42\n' + good))).toThrow(/:1: malformed/);
  });

  it('skips empty lines, as readLedger does', async () => {
    const text = '\n' + good.replace(/\n/g, '\n\n') + '\r\n';
    const file = textFile(text);
    const s = scanProducerLedger(file);
    expect(s.tornTail).toBe(false);
    expect(producerRows(s.columns)).toEqual(producerRows(producerColumns((await readLedger<ProducerEvent>(file)).events)));
  });

  it('reads a torn tail the way readLedger does', async () => {
    const file = textFile(good + '{"e":"ack","pid":"p0","seq":9,');
    const a = scanProducerLedger(file);
    const b = await readLedger<ProducerEvent>(file);
    expect(a.tornTail).toBe(b.tornTail);
    expect(producerRows(a.columns)).toEqual(producerRows(producerColumns(b.events)));
  });
});

// ---- other JSON lines: the slow path reads what JSON.parse reads ----------------------------

describe('scan: any JSON line, not only the shape the agents write', () => {
  // the same events in other spellings: key order, spaces, escapes, numbers the rows do not hold
  const lines = [
    '{"pid":"p0","e":"attempt","seq":5,"p":0,"t":1700000000000}',
    '{ "e" : "attempt", "pid" : "p0", "seq" : 6, "p" : 1, "t" : 1700000000001 }',
    '{"e":"attempt","pid":"p\\u0030","seq":7,"p":0,"t":1.7e12}',
    '{"e":"attempt","pid":"ü","seq":8,"p":0,"t":1700000000002}',
    '{"e":"attempt","pid":"p0","seq":1.5,"p":0,"t":1700000000003}',
    '{"e":"attempt","pid":"p0","seq":-1,"p":0,"t":1700000000004}',
    '{"e":"attempt","pid":"p0","seq":1099511627776,"p":70000,"t":1700000000005}',
    '{"e":"attempt","pid":"p0","seq":9,"p":0,"t":1700000000005.5}',
    '{"e":"attempt","pid":"p0","seq":10,"p":0,"t":9999999999999999}',
    '{"e":"ack","pid":"p0","seq":5,"p":0,"o":4294967295,"t":1700000000006}',
    '{"e":"ack","pid":"p0","seq":6,"p":1,"o":-1,"t":1700000000007}',
    '{"e":"ack","pid":"p0","seq":7,"p":0,"o":null,"t":1700000000008,"extra":true}',
    '{"e":"error","pid":"p0","seq":8,"p":0,"code":"X\\"Y","retriable":false,"definite":true,"attempts":1,"t":1700000000009}',
    '{"e":"ack","pid":"p0","seq":01,"p":0,"o":1,"t":1}',
  ];

  it('reads them as JSON.parse does', () => {
    const good = lines.slice(0, -1);
    const file = textFile(good.join('\n') + '\n');
    const s = scanProducerLedger(file);
    expect(producerRows(s.columns)).toEqual(producerRows(producerColumns(good.map((l) => JSON.parse(l) as ProducerEvent))));
    // none of them is in the agents' own shape: all go through JSON.parse
    expect(s.slowLines).toBe(good.length);
  });

  it('does not take what JSON.parse refuses (a leading zero)', () => {
    expect(() => scanProducerLedger(textFile(lines.at(-1)! + '\n' + lines[0] + '\n'))).toThrow(/malformed/);
  });

  it('reconciles the same whichever way the lines are spelled', () => {
    const events: ProducerEvent[] = lines.slice(0, -1).map((l) => JSON.parse(l) as ProducerEvent);
    const history: History = { runId: 'r', producers: [events], consumers: [], finalRead: { isolation: 'read_uncommitted', partitions: [{ partition: 0, logStartOffset: 0, highWatermark: 1, records: 1 }], records: [{ p: 0, o: 0, id: 'p0:5' }] } };
    const scanned = { ...historyColumns(history), producers: [scanProducerLedger(textFile(lines.slice(0, -1).join('\n') + '\n')).columns] };
    expect(reconcileColumns(scanned)).toEqual(reconcile(history));
  });
});

// ---- ranges -------------------------------------------------------------------------------

describe('scan: a file read in ranges reads as the whole file', () => {
  const events: ProducerEvent[] = [];
  for (let seq = 0; seq < 3000; seq++) {
    events.push({ e: 'attempt', pid: seq % 7 === 0 ? 'p0.r1' : 'p0', seq, p: seq % 5, t: T0 + seq });
    if (seq % 11 === 0) events.push({ e: 'retry', pid: 'p0', p: seq % 5, seqs: [seq, seq - 1], n: 2, t: T0 + seq });
    events.push({ e: 'ack', pid: seq % 7 === 0 ? 'p0.r1' : 'p0', seq, p: seq % 5, o: seq % 13 === 0 ? null : seq, t: T0 + seq + 3 });
  }

  it('splits at line starts, into parts of the given count', () => {
    const file = ledgerFile(events);
    const size = fs.statSync(file).size;
    for (const n of [1, 2, 3, 7]) {
      const ranges = splitRanges(file, n, 1);
      expect(ranges.length).toBe(n);
      expect(ranges[0]!.start).toBe(0);
      expect(ranges.at(-1)!.end).toBe(size);
      const text = fs.readFileSync(file);
      for (let i = 1; i < ranges.length; i++) {
        expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
        expect(text[ranges[i]!.start - 1]).toBe(10);
      }
      const rows = ranges.flatMap((r) => producerRows(scanProducerLedger(file, r).columns));
      expect(rows).toEqual(producerRows(scanProducerLedger(file).columns));
    }
    // a small file is one range
    expect(splitRanges(file, 2)).toEqual([{ start: 0, end: size }]);
  });

  it('record parts concatenate into the columns of the whole', () => {
    const file = path.join(tmp, 'records-ranges.jsonl');
    const rs: LogRecord[] = Array.from({ length: 2000 }, (_, o) => (o % 97 === 0 ? { p: o % 3, o, id: null, raw: 'x' } : { p: o % 3, o, id: o % 89 === 0 ? `q:${o}` : o % 83 === 0 ? 'p0:007' : `p0:${o}` }));
    writeRecords(file, rs);
    const parts = splitRanges(file, 4, 1).map((r) => scanRecords(file, r).columns);
    expect(recordRows(concatRecordColumns(parts))).toEqual(recordRows(scanRecords(file).columns));
    expect(recordRows(concatRecordColumns(parts))).toEqual(recordRows(recordColumns(rs)));
  });

  it('only the range that ends the file can have a torn tail', () => {
    const file = textFile(events.slice(0, 200).map((e) => JSON.stringify(e) + '\n').join('') + '{"e":"ack","pid":"p0"');
    const ranges = splitRanges(file, 2, 1);
    expect(scanProducerLedger(file, ranges[0]).tornTail).toBe(false);
    expect(scanProducerLedger(file, ranges[1]).tornTail).toBe(true);
  });
});

// ---- reconciling from disk -----------------------------------------------------------------

/** A small random history (any order of events, odd values), from a seed. */
function randomHistory(seed: number): History {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const pids = ['p0', 'p1', 'a:b'];
  const seqs = [0, 1, 2, 3, 4, 5, 1.5, -1, 2 ** 31];
  const ps = [0, 1, 2];
  let t = T0;
  const logs = new Map<number, number>();
  const recordsOut: LogRecord[] = [];
  const producers: ProducerEvent[][] = [];
  for (let l = 0; l < 2; l++) {
    const ledger: ProducerEvent[] = [{ e: 'start', agent: `p${l}`, os: 1, t }];
    for (let i = 0; i < 40; i++) {
      const pid = pick(pids);
      const seq = pick(seqs);
      const p = pick(ps);
      t += Math.floor(rnd() * 50);
      const r = rnd();
      if (r < 0.4) ledger.push({ e: 'attempt', pid, seq, p, t });
      else if (r < 0.65) {
        const o = logs.get(p) ?? 0;
        if (rnd() < 0.8) {
          logs.set(p, o + 1);
          recordsOut.push({ p, o, id: `${pid}:${seq}` });
        }
        ledger.push({ e: 'ack', pid, seq, p, o: rnd() < 0.2 ? null : o, t });
      } else if (r < 0.75) ledger.push({ e: 'error', pid, seq, p, code: pick(['REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS']), retriable: true, definite: rnd() < 0.5, attempts: 1, t });
      else if (r < 0.82) ledger.push({ e: 'retry', pid, p, seqs: [seq, pick(seqs)], n: 2, t });
      else if (r < 0.87) ledger.push({ e: 'unsent', pid, p, seqs: [pick(seqs)], t });
      else if (r < 0.9) ledger.push({ e: 'backlog', pid, state: 'behind', queued: 10, t });
      else {
        const o = logs.get(p) ?? 0;
        logs.set(p, o + 1);
        recordsOut.push({ p, o, id: rnd() < 0.5 ? null : pick(['p0:010', 'x:1', 'p1:3']) });
      }
    }
    producers.push(ledger);
  }
  const consumers: ConsumerEvent[][] = [];
  if (rnd() < 0.7) {
    const ledger: ConsumerEvent[] = [{ e: 'start', agent: 'c0', os: 1, t }];
    for (const r of recordsOut) {
      ledger.push({ e: 'received', cid: 'c0', id: r.id, p: r.p, o: r.o, t });
      if (rnd() < 0.9) ledger.push({ e: 'processed', cid: 'c0', id: r.id, p: r.p, o: r.o, t });
      if (rnd() < 0.1) ledger.push({ e: 'processed', cid: 'c1', id: r.id, p: r.p, o: r.o + 1, t });
    }
    consumers.push(ledger);
  }
  const partitions = [...logs].map(([partition, hw]) => ({ partition, logStartOffset: 0, highWatermark: hw, records: hw }));
  return {
    runId: 'r',
    producers,
    consumers,
    finalRead: { isolation: 'read_uncommitted', partitions, records: recordsOut },
    workload: { start: T0, end: t, partitions: 3, faults: [{ index: 0, action: 'x', resolved: 'y', appliedAtMs: 100, healedAtMs: 900 }] },
  };
}

/** The history written as a run writes it: ledgers by the agents' writer, the final read by the harness's. */
function writeRun(h: History): { dir: string; ledgerDir: string } {
  const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
  const ledgerDir = path.join(dir, 'ledgers');
  fs.mkdirSync(ledgerDir);
  h.producers.forEach((l, i) => ledgerFile(l, path.relative(tmp, path.join(ledgerDir, `producer-p${i}.jsonl`))));
  h.consumers.forEach((l, i) => ledgerFile(l, path.relative(tmp, path.join(ledgerDir, `consumer-c${i}.jsonl`))));
  writeRecords(path.join(dir, 'final-read.jsonl'), h.finalRead.records);
  return { dir, ledgerDir };
}

/** What JSON lines make of a history (what the old reader returned). */
const viaJson = (h: History): History => JSON.parse(JSON.stringify(h)) as History;

describe('reconcile: from the columns, from disk', () => {
  it('counts the same with every event kept whole as with rows', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const h = randomHistory(seed);
      expect(reconcileColumns(historyColumns(h, { rows: false }))).toEqual(reconcile(h));
    }
  });

  it('gathers what availability needs in its own passes exactly as availability does', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const h = randomHistory(seed);
      const w = h.workload!;
      expect(reconcile(h).availability).toEqual(availability({ producers: h.producers, workloadStart: w.start, workloadEnd: w.end, partitions: w.partitions, faults: w.faults }));
    }
  });

  it('reconciles a run from disk as reconcile does the history read back', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const h = randomHistory(seed);
      const { dir, ledgerDir } = writeRun(h);
      const r = await reconcileRun(
        { ...ledgerFiles(ledgerDir), finalRead: path.join(dir, 'final-read.jsonl') },
        { runId: h.runId, isolation: h.finalRead.isolation, partitions: h.finalRead.partitions, workload: h.workload!, threads: 1 },
      );
      expect(r.threads).toBe(1);
      expect(r.tornTails).toEqual([]);
      expect(r.reconciliation).toEqual(reconcile(viaJson(h)));
    }
  });

  it('reads halves of the files on a second thread and counts the same', async () => {
    for (let seed = 41; seed <= 43; seed++) {
      const h = randomHistory(seed);
      const { dir, ledgerDir } = writeRun(h);
      const r = await reconcileRun(
        { ...ledgerFiles(ledgerDir), finalRead: path.join(dir, 'final-read.jsonl') },
        { runId: h.runId, isolation: h.finalRead.isolation, partitions: h.finalRead.partitions, workload: h.workload!, threads: 2, twoThreadsFrom: 0, halvesFrom: 1 },
      );
      expect(r.threads).toBe(2);
      expect(r.reconciliation).toEqual(reconcile(viaJson(h)));
    }
  }, 60_000);

  it('a malformed line in the half the worker reads is the same error', async () => {
    const h = randomHistory(44);
    const { dir, ledgerDir } = writeRun(h);
    const file = path.join(ledgerDir, 'producer-p0.jsonl');
    fs.writeFileSync(file, '{"e":"attempt",oops}\n' + fs.readFileSync(file, 'utf8'));
    const files = { ...ledgerFiles(ledgerDir), finalRead: path.join(dir, 'final-read.jsonl') };
    const info = { runId: h.runId, isolation: h.finalRead.isolation, partitions: h.finalRead.partitions, threads: 2, twoThreadsFrom: 0, halvesFrom: 1 };
    await expect(reconcileRun(files, info)).rejects.toThrow(/producer-p0\.jsonl:1: malformed ledger line/);
  }, 60_000);

  it('reports torn ledger tails by name, and refuses a torn final read', async () => {
    const h = randomHistory(7);
    const { dir, ledgerDir } = writeRun(h);
    fs.appendFileSync(path.join(ledgerDir, 'producer-p1.jsonl'), '{"e":"attempt","pid":"p1"');
    const files = { ...ledgerFiles(ledgerDir), finalRead: path.join(dir, 'final-read.jsonl') };
    const info = { runId: h.runId, isolation: h.finalRead.isolation, partitions: h.finalRead.partitions, threads: 1 };
    const r = await reconcileRun(files, info);
    expect(r.tornTails).toEqual(['producer-p1.jsonl']);
    expect(r.reconciliation).toEqual(reconcile({ ...viaJson(h), workload: undefined }) as typeof r.reconciliation);
    fs.appendFileSync(files.finalRead, '{"p":0,"o":');
    await expect(reconcileRun(files, info)).rejects.toThrow(/not a whole record/);
  });
});
