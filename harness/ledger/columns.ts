// The ledgers and the final read as the checker reads them: compact columns (typed
// arrays) instead of one object per event, so that a run of ten million messages fits in
// memory and can be handed between threads without copying.
//
// The columns hold exactly what the checker reads, and nothing is estimated or rounded:
// an event or record whose values do not fit the columns (a seq beyond 2^31 - 1, a
// partition beyond 65535, an offset beyond 2^32 - 2, a time that is not an integer, an
// event kind without columns, ...) is kept whole as an object (an OTHER row), in its
// place in file order, and the checker treats it exactly as it treats a row. So a row is
// an optimisation, never a change of meaning: the unit tests compare the two paths.
//
// What is kept:
// - producer ledgers: every event, in file order; attempt, ack and error events as rows
//   (an error row keeps pid, seq, code, definite and t: the checker reads no other field
//   of an error), the other kinds (retry, unsent, backlog, start, ...) as objects;
// - consumer ledgers: the processed events with an id (the checker reads no other
//   consumer event), as rows of (cid, id, p, o);
// - the final read: every record, as rows of (p, o, id) (`raw` is not read by the checker).
//
// A message id `${pid}:${seq}` whose seq is printed as plain digits (what `messageId`
// prints for 0 <= seq < 1e15) up to 2^31 - 1 is kept as (prefix index, seq); any other id
// string is kept whole (see IdEncoder).

import type { ConsumerEvent, LogRecord, MessageId, PartitionRead, ProducerEvent } from './events.ts';

/** Row kinds. */
export const ATTEMPT = 0;
export const ACK = 1;
export const ERROR = 2;
/** a consumer or final-read row held in the columns */
export const ROW = 0;
/** an event or record kept whole in `others` */
export const OTHER = 3;

/** `x` of an ack row without an offset (acks=0). */
export const NULL_OFFSET = 0xffffffff;
/** `idp` of a null id (a record that is not a message of this run). */
export const NULL_ID = -1;

const MAX_U16 = 0xffff;
const MAX_I32 = 0x7fffffff;
/** offsets below this fit a Uint32 column next to NULL_OFFSET */
const MAX_OFFSET = NULL_OFFSET - 1;

export interface ProducerColumns {
  readonly length: number;
  /** ATTEMPT, ACK, ERROR or OTHER per event, in file order */
  readonly kind: Uint8Array;
  /** index into `pids` */
  readonly pid: Uint16Array;
  readonly pids: string[];
  readonly seq: Int32Array;
  readonly p: Uint16Array;
  /** t - tBase (every row's t is an integer within 2^31 - 1 of tBase) */
  readonly t: Int32Array;
  readonly tBase: number;
  /** ack: the offset, NULL_OFFSET for none; error: code index * 2 + (definite ? 1 : 0) */
  readonly x: Uint32Array;
  readonly codes: string[];
  /** the OTHER events by row */
  readonly others: Map<number, ProducerEvent>;
  /** ATTEMPT rows, and the largest seq of the ATTEMPT rows of each pid (-1: none) */
  readonly attempts: number;
  readonly maxSeq: number[];
}

/** Message ids: `idp` >= 0 with `iseq` is `${prefixes[idp]}:${iseq}`; NULL_ID is null; idp <= -2 is strings[-2 - idp]. */
export interface IdColumns {
  readonly idp: Int32Array;
  readonly iseq: Int32Array;
  readonly prefixes: string[];
  readonly strings: string[];
}

export interface ConsumerColumns extends IdColumns {
  readonly length: number;
  /** ROW or OTHER */
  readonly kind: Uint8Array;
  /** index into `cids` */
  readonly cid: Uint16Array;
  readonly cids: string[];
  readonly p: Uint16Array;
  readonly o: Uint32Array;
  /** processed events with an id that do not fit the rows */
  readonly others: Map<number, ConsumerEvent>;
}

export interface RecordColumns extends IdColumns {
  readonly length: number;
  /** ROW or OTHER */
  readonly kind: Uint8Array;
  readonly p: Uint16Array;
  readonly o: Uint32Array;
  readonly others: Map<number, LogRecord>;
}

export interface FinalReadColumns {
  isolation: 'read_uncommitted' | 'read_committed';
  partitions: PartitionRead[];
  records: RecordColumns;
}

/** Whether messageId prints `seq` as the plain digits that make an id row. */
function isRowSeq(seq: number): boolean {
  return Number.isInteger(seq) && seq >= 0 && seq <= MAX_I32;
}

function isU16(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_U16;
}

function isOffset(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_OFFSET;
}

/** A string table: strings to dense indexes. */
export class Strings {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  private last = -1;
  of(s: string): number {
    if (this.last >= 0 && this.list[this.last] === s) return this.last;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    this.last = i;
    return i;
  }
  get size(): number {
    return this.list.length;
  }
}

type Column = Uint8Array | Uint16Array | Int32Array | Uint32Array;
type ColumnType<T extends Column> = { new (n: number): T };

/**
 * A column of n elements, each on a buffer of its own (a thread hands its columns over
 * by transferring the buffers). A column is allocated for the rows a file may hold;
 * memory never written is never committed.
 */
function column<T extends Column>(type: ColumnType<T>, n: number): T {
  return new type(n);
}

/** Grows a column to hold `n` elements, keeping its contents. */
function grow<T extends Column>(a: T, n: number): T {
  const b = column(a.constructor as unknown as ColumnType<T>, n);
  b.set(a);
  return b;
}

/** Ids to (idp, iseq), for builders. */
class IdEncoder {
  readonly prefixes = new Strings();
  readonly strings: string[] = [];
  /** `idp` for `id` (sets `seq` for a prefix row) */
  seq = 0;
  encode(id: string | null): number {
    if (id === null) return NULL_ID;
    const colon = id.lastIndexOf(':');
    const digits = id.length - colon - 1;
    // the plain digits messageId prints: 1 to 10 of them, no leading zero, at most 2^31 - 1
    if (colon >= 0 && digits >= 1 && digits <= 10 && !(digits > 1 && id.charCodeAt(colon + 1) === 48)) {
      let seq = 0;
      let i = colon + 1;
      for (; i < id.length; i++) {
        const d = id.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        seq = seq * 10 + d;
      }
      if (i === id.length && seq <= MAX_I32) {
        this.seq = seq;
        return this.prefixes.of(id.slice(0, colon));
      }
    }
    this.strings.push(id);
    return -1 - this.strings.length;
  }
}

/** The id in `c` at row k. */
export function idAt(c: IdColumns, k: number): MessageId | null {
  const idp = c.idp[k]!;
  if (idp >= 0) return `${c.prefixes[idp]}:${c.iseq[k]}`;
  if (idp === NULL_ID) return null;
  return c.strings[-2 - idp]!;
}

/**
 * Builds producer columns. `capacity` is a hint (rows beyond it grow the arrays); large
 * arrays that are never written cost address space, not memory.
 */
export class ProducerColumnsBuilder {
  length = 0;
  kind: Uint8Array;
  pid: Uint16Array;
  seq: Int32Array;
  p: Uint16Array;
  t: Int32Array;
  x: Uint32Array;
  tBase = NaN;
  readonly pids = new Strings();
  readonly codes = new Strings();
  readonly others = new Map<number, ProducerEvent>();
  attempts = 0;
  readonly maxSeq: number[] = [];

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.kind = column(Uint8Array, n);
    this.pid = column(Uint16Array, n);
    this.seq = column(Int32Array, n);
    this.p = column(Uint16Array, n);
    this.t = column(Int32Array, n);
    this.x = column(Uint32Array, n);
  }

  private reserve(): number {
    const k = this.length;
    if (k === this.kind.length) this.grow();
    this.length = k + 1;
    return k;
  }

  /** Doubles the room for rows. */
  grow(): void {
    const n = this.kind.length * 2;
    this.kind = grow(this.kind, n);
    this.pid = grow(this.pid, n);
    this.seq = grow(this.seq, n);
    this.p = grow(this.p, n);
    this.t = grow(this.t, n);
    this.x = grow(this.x, n);
  }

  /** Whether `t` fits a row: an integer within 2^31 - 1 of the first row's t (not -0, which a row would give back as 0). */
  fitsTime(t: number): boolean {
    if (Object.is(t, -0)) return false;
    if (this.tBase !== this.tBase) return Number.isSafeInteger(t);
    const d = t - this.tBase;
    return Number.isInteger(d) && d >= -MAX_I32 && d <= MAX_I32 && Number.isSafeInteger(t);
  }

  /** Whether a row can hold these. */
  fits(pidIndex: number, seq: number, p: number, t: number): boolean {
    return pidIndex <= MAX_U16 && isRowSeq(seq) && isU16(p) && this.fitsTime(t);
  }

  /** Counts an attempt row the scanner wrote itself (the columns keep how many there are, and the largest seq per pid). */
  counted(pidIndex: number, seq: number): void {
    this.attempts++;
    if (!(seq <= (this.maxSeq[pidIndex] ?? -1))) this.maxSeq[pidIndex] = seq;
  }

  /** Adds a row; the caller made sure it `fits` (and for an ack that o is null or an offset). */
  row(kind: number, pidIndex: number, seq: number, p: number, t: number, x: number): void {
    if (this.tBase !== this.tBase) this.tBase = t;
    const k = this.reserve();
    this.kind[k] = kind;
    this.pid[k] = pidIndex;
    this.seq[k] = seq;
    this.p[k] = p;
    this.t[k] = t - this.tBase;
    this.x[k] = x;
    if (kind === ATTEMPT) this.counted(pidIndex, seq);
  }

  other(ev: ProducerEvent): void {
    const k = this.reserve();
    this.kind[k] = OTHER;
    this.others.set(k, ev);
  }

  /** Adds an event as a row when it fits one, else whole. */
  add(ev: ProducerEvent): void {
    if (ev !== null && typeof ev === 'object' && (ev.e === 'attempt' || ev.e === 'ack' || ev.e === 'error') && typeof ev.pid === 'string') {
      const pidIndex = this.pids.of(ev.pid);
      if (this.fits(pidIndex, ev.seq, ev.p, ev.t)) {
        if (ev.e === 'attempt') return this.row(ATTEMPT, pidIndex, ev.seq, ev.p, ev.t, 0);
        if (ev.e === 'ack') {
          if (ev.o === null) return this.row(ACK, pidIndex, ev.seq, ev.p, ev.t, NULL_OFFSET);
          if (isOffset(ev.o)) return this.row(ACK, pidIndex, ev.seq, ev.p, ev.t, ev.o);
        } else if (typeof ev.code === 'string' && typeof ev.definite === 'boolean' && this.codes.size <= MAX_I32) {
          return this.row(ERROR, pidIndex, ev.seq, ev.p, ev.t, this.codes.of(ev.code) * 2 + (ev.definite ? 1 : 0));
        }
      }
    }
    this.other(ev);
  }

  build(): ProducerColumns {
    const n = this.length;
    return {
      length: n,
      kind: this.kind.subarray(0, n),
      pid: this.pid.subarray(0, n),
      pids: this.pids.list,
      seq: this.seq.subarray(0, n),
      p: this.p.subarray(0, n),
      t: this.t.subarray(0, n),
      tBase: this.tBase === this.tBase ? this.tBase : 0,
      x: this.x.subarray(0, n),
      codes: this.codes.list,
      others: this.others,
      attempts: this.attempts,
      maxSeq: this.pids.list.map((_, i) => this.maxSeq[i] ?? -1),
    };
  }
}

/** Builds consumer columns: processed events with an id, the rest of a consumer ledger is dropped. */
export class ConsumerColumnsBuilder {
  length = 0;
  kind: Uint8Array;
  cid: Uint16Array;
  idp: Int32Array;
  iseq: Int32Array;
  p: Uint16Array;
  o: Uint32Array;
  readonly cids = new Strings();
  readonly ids = new IdEncoder();
  readonly others = new Map<number, ConsumerEvent>();

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.kind = column(Uint8Array, n);
    this.cid = column(Uint16Array, n);
    this.idp = column(Int32Array, n);
    this.iseq = column(Int32Array, n);
    this.p = column(Uint16Array, n);
    this.o = column(Uint32Array, n);
  }

  private reserve(): number {
    const k = this.length;
    if (k === this.kind.length) {
      const n = k * 2;
      this.kind = grow(this.kind, n);
      this.cid = grow(this.cid, n);
      this.idp = grow(this.idp, n);
      this.iseq = grow(this.iseq, n);
      this.p = grow(this.p, n);
      this.o = grow(this.o, n);
    }
    this.length = k + 1;
    return k;
  }

  /** Whether a row can hold these. */
  fits(cidIndex: number, p: number, o: number): boolean {
    return cidIndex <= MAX_U16 && isU16(p) && isOffset(o);
  }

  /** Adds a processed row; `idp`/`iseq` as IdColumns. */
  row(cidIndex: number, idp: number, iseq: number, p: number, o: number): void {
    const k = this.reserve();
    this.kind[k] = ROW;
    this.cid[k] = cidIndex;
    this.idp[k] = idp;
    this.iseq[k] = iseq;
    this.p[k] = p;
    this.o[k] = o;
  }

  /** Adds a consumer event: a processed event with an id as a row when it fits one, else whole; any other event is dropped. */
  add(ev: ConsumerEvent): void {
    if (ev === null || typeof ev !== 'object' || ev.e !== 'processed' || ev.id === null) return;
    if (typeof ev.id !== 'string') throw new Error(`malformed processed event (id ${JSON.stringify(ev.id)}): ${JSON.stringify(ev).slice(0, 200)}`);
    if (typeof ev.cid === 'string') {
      const cidIndex = this.cids.of(ev.cid);
      if (this.fits(cidIndex, ev.p, ev.o)) {
        const idp = this.ids.encode(ev.id);
        return this.row(cidIndex, idp, idp >= 0 ? this.ids.seq : 0, ev.p, ev.o);
      }
    }
    this.addWhole(ev);
  }

  /** Keeps a processed event with an id whole (an OTHER row). */
  addWhole(ev: ConsumerEvent): void {
    const k = this.reserve();
    this.kind[k] = OTHER;
    this.others.set(k, ev);
  }

  build(): ConsumerColumns {
    const n = this.length;
    return {
      length: n,
      kind: this.kind.subarray(0, n),
      cid: this.cid.subarray(0, n),
      cids: this.cids.list,
      idp: this.idp.subarray(0, n),
      iseq: this.iseq.subarray(0, n),
      prefixes: this.ids.prefixes.list,
      strings: this.ids.strings,
      p: this.p.subarray(0, n),
      o: this.o.subarray(0, n),
      others: this.others,
    };
  }
}

/** Builds the record columns of a final read. */
export class RecordColumnsBuilder {
  length = 0;
  kind: Uint8Array;
  idp: Int32Array;
  iseq: Int32Array;
  p: Uint16Array;
  o: Uint32Array;
  readonly ids = new IdEncoder();
  readonly others = new Map<number, LogRecord>();

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.kind = column(Uint8Array, n);
    this.idp = column(Int32Array, n);
    this.iseq = column(Int32Array, n);
    this.p = column(Uint16Array, n);
    this.o = column(Uint32Array, n);
  }

  private reserve(): number {
    const k = this.length;
    if (k === this.kind.length) {
      const n = k * 2;
      this.kind = grow(this.kind, n);
      this.idp = grow(this.idp, n);
      this.iseq = grow(this.iseq, n);
      this.p = grow(this.p, n);
      this.o = grow(this.o, n);
    }
    this.length = k + 1;
    return k;
  }

  fits(p: number, o: number): boolean {
    return isU16(p) && isOffset(o);
  }

  row(idp: number, iseq: number, p: number, o: number): void {
    const k = this.reserve();
    this.kind[k] = ROW;
    this.idp[k] = idp;
    this.iseq[k] = iseq;
    this.p[k] = p;
    this.o[k] = o;
  }

  add(r: LogRecord): void {
    if (r === null || typeof r !== 'object' || (r.id !== null && typeof r.id !== 'string')) {
      throw new Error(`malformed final-read record: ${JSON.stringify(r)?.slice(0, 200)}`);
    }
    if (this.fits(r.p, r.o)) {
      const idp = this.ids.encode(r.id);
      return this.row(idp, idp >= 0 ? this.ids.seq : 0, r.p, r.o);
    }
    this.addWhole(r);
  }

  /** Keeps a record whole (an OTHER row). */
  addWhole(r: LogRecord): void {
    const k = this.reserve();
    this.kind[k] = OTHER;
    this.others.set(k, r);
  }

  build(): RecordColumns {
    const n = this.length;
    return {
      length: n,
      kind: this.kind.subarray(0, n),
      idp: this.idp.subarray(0, n),
      iseq: this.iseq.subarray(0, n),
      prefixes: this.ids.prefixes.list,
      strings: this.ids.strings,
      p: this.p.subarray(0, n),
      o: this.o.subarray(0, n),
      others: this.others,
    };
  }
}

/** Columns of in-memory ledgers (with `rows: false`, every event is kept whole: the tests compare both). */
export function producerColumns(events: readonly ProducerEvent[], opts: { rows?: boolean } = {}): ProducerColumns {
  const b = new ProducerColumnsBuilder(events.length);
  if (opts.rows === false) for (const ev of events) b.other(ev);
  else for (const ev of events) b.add(ev);
  return b.build();
}

export function consumerColumns(events: readonly ConsumerEvent[], opts: { rows?: boolean } = {}): ConsumerColumns {
  const b = new ConsumerColumnsBuilder(events.length);
  for (const ev of events) {
    if (opts.rows !== false) b.add(ev);
    else if (ev !== null && typeof ev === 'object' && ev.e === 'processed' && ev.id !== null) b.addWhole(ev);
  }
  return b.build();
}

export function recordColumns(records: readonly LogRecord[], opts: { rows?: boolean } = {}): RecordColumns {
  const b = new RecordColumnsBuilder(records.length);
  if (opts.rows === false) for (const r of records) b.addWhole(r);
  else for (const r of records) b.add(r);
  return b.build();
}

/** The record columns of consecutive parts of one final read, as one. */
export function concatRecordColumns(parts: readonly RecordColumns[]): RecordColumns {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((s, c) => s + c.length, 0);
  const kind = column(Uint8Array, n);
  const idp = column(Int32Array, n);
  const iseq = column(Int32Array, n);
  const p = column(Uint16Array, n);
  const o = column(Uint32Array, n);
  const prefixes = new Strings();
  const strings: string[] = [];
  const others = new Map<number, LogRecord>();
  let at = 0;
  for (const c of parts) {
    kind.set(c.kind, at);
    iseq.set(c.iseq, at);
    p.set(c.p, at);
    o.set(c.o, at);
    const prefixMap = c.prefixes.map((s) => prefixes.of(s));
    const stringBase = strings.length;
    strings.push(...c.strings);
    for (let k = 0; k < c.length; k++) {
      const v = c.idp[k]!;
      idp[at + k] = v >= 0 ? prefixMap[v]! : v === NULL_ID ? NULL_ID : v - stringBase;
    }
    for (const [k, r] of c.others) others.set(at + k, r);
    at += c.length;
  }
  return { length: n, kind, idp, iseq, p, o, prefixes: prefixes.list, strings, others };
}
