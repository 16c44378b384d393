// Reads ledgers and the final-read file into columns (see columns.ts), fast.
//
// The files are JSON lines (events.ts). A run of ten million messages is gigabytes of
// them, and JSON.parse of every line into an object is what made the checker slow and
// large, so this reads the files in large chunks and parses the line shapes the agents
// and the harness write (JSON.stringify of the event objects, keys in their order, plain
// integers, strings without escapes) byte by byte, straight into the columns. Any other
// line - another key order, spaces, escapes, a number with a fraction or exponent, an
// event kind it does not know - goes through JSON.parse and is added as an object, so
// every valid line reads exactly as JSON.parse reads it; the fast path only saves time.
//
// Fields the checker never reads are not parsed, only checked for their place: a
// consumer's received line is one that starts as a received event and ends with `}`, and
// a processed event's time only has to follow its offset (both are read whole when the
// line is in any other shape).
//
// Like readLedger: a line that is not a JSON object is malformed; a malformed last line
// of the file (nothing after it but its newline) is a torn tail, reported and skipped (a
// killed agent may leave one); a malformed line anywhere else is an error. Empty lines
// are skipped.
//
// A file can be read in byte ranges that start after a newline (splitRanges), one range
// per thread; the columns of the ranges, in order, are the columns of the file.

import fs from 'node:fs';
import {
  ACK,
  ATTEMPT,
  ConsumerColumnsBuilder,
  ERROR,
  NULL_ID,
  NULL_OFFSET,
  ProducerColumnsBuilder,
  RecordColumnsBuilder,
  Strings,
  type ConsumerColumns,
  type ProducerColumns,
  type RecordColumns,
} from './columns.ts';
import type { ConsumerEvent, LogRecord, ProducerEvent } from './events.ts';

/** A part of a file: bytes [start, end). */
export interface ByteRange {
  start: number;
  end: number;
}

const CHUNK = 8 << 20;
/** bytes past the data a fast path may look at (it reads 4 at a time) */
const SLACK = 64;
const MAX_I32 = 0x7fffffff;
const MAX_U16 = 0xffff;
const MAX_OFFSET = NULL_OFFSET - 1;

/**
 * `n` ranges that each start at a line (fewer when the file is small or has few lines),
 * of about equal size, or, with `firstShare`, the first about that share of the file and
 * the others equal.
 */
export function splitRanges(file: string, n: number, minBytes = 16 << 20, firstShare?: number): ByteRange[] {
  const size = fs.statSync(file).size;
  const parts = Math.max(1, Math.min(n, Math.floor(size / minBytes)));
  if (parts <= 1) return [{ start: 0, end: size }];
  const first = firstShare ?? 1 / parts;
  const fd = fs.openSync(file, 'r');
  try {
    const cuts = [0];
    const probe = Buffer.alloc(1 << 16);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(cuts[cuts.length - 1]!, Math.floor(size * (first + ((1 - first) * (k - 1)) / (parts - 1))));
      // the range starts after the first newline at or after `at`
      for (;;) {
        const got = fs.readSync(fd, probe, 0, probe.length, at);
        if (got === 0) {
          at = size;
          break;
        }
        const nl = probe.subarray(0, got).indexOf(10);
        if (nl >= 0) {
          at += nl + 1;
          break;
        }
        at += got;
      }
      if (at >= size) break;
      if (at > cuts[cuts.length - 1]!) cuts.push(at);
    }
    cuts.push(size);
    const ranges: ByteRange[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) ranges.push({ start: cuts[k]!, end: cuts[k + 1]! });
    return ranges;
  } finally {
    fs.closeSync(fd);
  }
}

/** The 1-based line number of the line that starts at byte `offset`. */
function lineNumberAt(file: string, offset: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let line = 1;
    for (let pos = 0; pos < offset; ) {
      const got = fs.readSync(fd, buf, 0, Math.min(buf.length, offset - pos), pos);
      if (got === 0) break;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) line++;
      pos += got;
    }
    return line;
  } finally {
    fs.closeSync(fd);
  }
}

// ---- the bytes of the line shapes --------------------------------------------------
// A constant of n >= 4 bytes is compared 4 bytes at a time (little-endian words): at
// offsets 0, 4, ... and, when n is not a multiple of 4, at n - 4 (overlapping). The
// words are module constants, so the comparisons compile to immediate compares.

/** The words of `text` at offsets 0, 4, ..., and n - 4 when n % 4 !== 0. */
function words(text: string): number[] {
  const bytes = Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (let k = 0; k + 4 <= bytes.length; k += 4) out.push(bytes.readUInt32LE(k));
  if (bytes.length % 4 !== 0) out.push(bytes.readUInt32LE(bytes.length - 4));
  return out;
}

// {"e":"  (6 bytes: words at 0, 2)
const [E_0, E_2] = words('{"e":"') as [number, number];
// attempt","pid":"  (16: 0, 4, 8, 12)
const [ATT_0, ATT_4, ATT_8, ATT_12] = words('attempt","pid":"') as [number, number, number, number];
// ack","pid":"  (12: 0, 4, 8)
const [ACK_0, ACK_4, ACK_8] = words('ack","pid":"') as [number, number, number];
// error","pid":"  (14: 0, 4, 8, 10)
const [ERR_0, ERR_4, ERR_8, ERR_10] = words('error","pid":"') as [number, number, number, number];
// ,"seq":  (7: 0, 3)
const [SEQ_0, SEQ_3] = words(',"seq":') as [number, number];
// ,"p":  ,"o":  ,"t":  (5: 0, 1)
const [P_0, P_1] = words(',"p":') as [number, number];
const [O_0, O_1] = words(',"o":') as [number, number];
const [T_0, T_1] = words(',"t":') as [number, number];
// null  true  (4: 0)  false (5: 0, 1)
const [NULL_0] = words('null') as [number];
const [TRUE_0] = words('true') as [number];
const [FALSE_0, FALSE_1] = words('false') as [number, number];
// ,"code":"  (9: 0, 4, 5)
const [CODE_0, CODE_4, CODE_5] = words(',"code":"') as [number, number, number];
// ","retriable":  (14: 0, 4, 8, 10)
const [RET_0, RET_4, RET_8, RET_10] = words('","retriable":') as [number, number, number, number];
// ,"definite":  ,"attempts":  (12: 0, 4, 8)
const [DEF_0, DEF_4, DEF_8] = words(',"definite":') as [number, number, number];
const [ATS_0, ATS_4, ATS_8] = words(',"attempts":') as [number, number, number];
// processed","cid":"  committed","cid":"  (18: 0, 4, 8, 12, 14)
const [PRC_0, PRC_4, PRC_8, PRC_12, PRC_14] = words('processed","cid":"') as [number, number, number, number, number];
const [CMT_0, CMT_4, CMT_8, CMT_12, CMT_14] = words('committed","cid":"') as [number, number, number, number, number];
// received","cid":"  (17: 0, 4, 8, 12, 13)
const [RCV_0, RCV_4, RCV_8, RCV_12, RCV_13] = words('received","cid":"') as [number, number, number, number, number];
// ,"id":  (6: 0, 2)
const [ID_0, ID_2] = words(',"id":') as [number, number];
// {"p":  (5: 0, 1)
const [REC_0, REC_1] = words('{"p":') as [number, number];

/**
 * The value of the last number read. A number is handed over in a typed array, not
 * returned or kept in a variable: a time (more than 31 bits) would be boxed each time,
 * an allocation per line.
 */
const parsed = new Float64Array(1);

/**
 * A JSON number at b[i] that is a plain integer of 1 to 15 digits: its value in
 * `parsed[0]`, returns the index after it; -1 otherwise (a fraction or exponent then
 * fails the constant that must follow it).
 */
function num(b: Uint8Array, i: number): number {
  let c = b[i]!;
  if (c === 48) {
    parsed[0] = 0;
    return i + 1;
  }
  if (c < 49 || c > 57) return -1;
  let v = c - 48;
  const limit = i + 15;
  let j = i + 1;
  for (; ; j++) {
    c = b[j]!;
    if (c < 48 || c > 57) break;
    if (j === limit) return -1;
    v = v * 10 + (c - 48);
  }
  parsed[0] = v;
  return j;
}

/** A string of printable ASCII without escapes from b[i] (just after its opening quote): returns the index of its closing quote, -1 otherwise. */
function str(b: Uint8Array, i: number): number {
  for (let j = i; ; j++) {
    const c = b[j]!;
    if (c === 34) return j;
    if (c < 32 || c > 126 || c === 92) return -1;
  }
}

/** `true` or `false` at i: 1 or 0 in `parsed[0]`, returns the index after it; -1 otherwise. */
function bool(dv: DataView, i: number): number {
  if (dv.getUint32(i, true) === TRUE_0) {
    parsed[0] = 1;
    return i + 4;
  }
  if (dv.getUint32(i, true) === FALSE_0 && dv.getUint32(i + 1, true) === FALSE_1) {
    parsed[0] = 0;
    return i + 5;
  }
  return -1;
}

/** Whether b[i] holds `}` and a newline. */
function closes(b: Uint8Array, i: number): boolean {
  return b[i] === 125 && b[i + 1] === 10;
}

/** Strings met as bytes: the last one is recognised without decoding it. */
class ByteStrings {
  private lastBytes = new Uint8Array(64);
  private lastLength = -1;
  private lastIndex = -1;
  constructor(readonly strings: Strings) {}

  of(b: Uint8Array, node: Buffer, from: number, to: number): number {
    const n = to - from;
    if (n === this.lastLength) {
      const last = this.lastBytes;
      let k = 0;
      while (k < n && b[from + k] === last[k]) k++;
      if (k === n) return this.lastIndex;
    }
    const index = this.strings.of(node.toString('latin1', from, to));
    if (n > this.lastBytes.length) this.lastBytes = new Uint8Array(2 * n);
    this.lastBytes.set(b.subarray(from, to));
    this.lastLength = n;
    this.lastIndex = index;
    return index;
  }
}

/** What `id` found: the index of the last colon (-1: none) and whether the digits after it are a row's seq (then in `idSeq`). */
let idColon = -1;
let idRow = false;
let idSeq = 0;

/**
 * An id string from b[i] (just after its opening quote), printable ASCII without escapes:
 * returns the index of its closing quote (-1 otherwise) and tells whether it is
 * `${prefix}:${seq}` with the plain digits messageId prints (1 to 10 of them, no leading
 * zero, at most 2^31 - 1) after the last colon: an id row (columns.ts).
 */
function id(b: Uint8Array, i: number): number {
  let lastNonDigit = -1;
  let colon = -1;
  let acc = 0;
  let digits = 0;
  let j = i;
  for (; ; j++) {
    const c = b[j]!;
    if (c >= 48 && c <= 57) {
      acc = acc * 10 + (c - 48);
      digits++;
      continue;
    }
    if (c === 34) break;
    if (c < 32 || c > 126 || c === 92) return -1;
    lastNonDigit = j;
    acc = 0;
    digits = 0;
    if (c === 58) colon = j;
  }
  idColon = colon;
  idRow = colon >= 0 && lastNonDigit === colon && digits >= 1 && digits <= 10 && !(digits > 1 && b[colon + 1] === 48) && acc <= MAX_I32;
  idSeq = acc;
  return j;
}

/** Ids to `idp` (columns.ts): rows by prefix, other strings whole. */
class IdBytes {
  private readonly prefixes: ByteStrings;
  constructor(
    prefixes: Strings,
    private readonly strings: string[],
  ) {
    this.prefixes = new ByteStrings(prefixes);
  }

  /** The idp of the id `id` just read at b[from, to). */
  of(b: Uint8Array, node: Buffer, from: number, to: number): number {
    if (idRow) return this.prefixes.of(b, node, from, idColon);
    this.strings.push(node.toString('latin1', from, to));
    return -1 - this.strings.length;
  }
}

// ---- the reader --------------------------------------------------------------------

/**
 * The chunked reader. A subclass parses one kind of file: `lines` parses the complete
 * lines of a chunk (its fast path inline, `slowLine` for the rest) and `add` takes an
 * object JSON.parse made of a line.
 */
abstract class Scanner {
  protected buf = new Uint8Array(new ArrayBuffer(CHUNK + SLACK));
  protected node = Buffer.from(this.buf.buffer, 0, this.buf.length);
  protected dv = new DataView(this.buf.buffer);
  /** file offset of buf[0] */
  protected base = 0;
  tornTail = false;
  /** lines that went through JSON.parse */
  slowLines = 0;
  private fileSize = 0;
  private rangeEnd = 0;

  constructor(protected readonly file: string) {}

  /** Parses the complete lines in buf[from, limit) (limit is just after a newline). */
  protected abstract lines(from: number, limit: number): void;
  /** Adds what JSON.parse made of a line (an object). */
  protected abstract add(value: object): void;

  scan(range?: ByteRange): void {
    const fd = fs.openSync(this.file, 'r');
    try {
      this.fileSize = fs.fstatSync(fd).size;
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? this.fileSize, this.fileSize);
      this.rangeEnd = end;
      let pos = start;
      let have = 0;
      this.base = start;
      while (pos < end) {
        if (have === this.buf.length - SLACK) this.enlarge();
        const got = fs.readSync(fd, this.node, have, Math.min(this.buf.length - SLACK - have, end - pos), pos);
        if (got === 0) break;
        pos += got;
        have += got;
        const limit = this.node.lastIndexOf(10, have - 1) + 1;
        if (limit > 0) {
          this.lines(0, limit);
          this.buf.copyWithin(0, limit, have);
          this.base += limit;
          have -= limit;
        }
      }
      // a last line without a newline
      if (have > 0) this.slowLine(0, have, false);
    } finally {
      fs.closeSync(fd);
    }
  }

  private enlarge(): void {
    const bigger = new Uint8Array(new ArrayBuffer(2 * (this.buf.length - SLACK) + SLACK));
    bigger.set(this.buf);
    this.buf = bigger;
    this.node = Buffer.from(bigger.buffer, 0, bigger.length);
    this.dv = new DataView(bigger.buffer);
  }

  /** The line at buf[from, end) (end: its newline, or the end of the data when `newline` is false), through JSON.parse. */
  protected slowLine(from: number, end: number, newline = true): void {
    let e = end;
    if (e > from && this.buf[e - 1] === 13) e--;
    if (e === from) return;
    this.slowLines++;
    const text = this.node.toString('utf8', from, e);
    let parsed: unknown;
    let ok = false;
    try {
      parsed = JSON.parse(text);
      ok = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
    } catch {
      ok = false;
    }
    if (ok) {
      this.add(parsed as object);
      return;
    }
    // torn: nothing follows this line in the file but its newline
    const after = this.base + end + (newline ? 1 : 0);
    if (this.rangeEnd === this.fileSize && after >= this.fileSize) {
      this.tornTail = true;
      return;
    }
    throw new Error(`${this.file}:${lineNumberAt(this.file, this.base + from)}: malformed ledger line: ${text.slice(0, 200)}`);
  }
}

class ProducerScanner extends Scanner {
  readonly out: ProducerColumnsBuilder;
  private readonly pids: ByteStrings;
  private readonly codes: ByteStrings;

  constructor(file: string, capacity: number) {
    super(file);
    this.out = new ProducerColumnsBuilder(capacity);
    this.pids = new ByteStrings(this.out.pids);
    this.codes = new ByteStrings(this.out.codes);
  }

  protected add(parsed: object): void {
    this.out.add(parsed as ProducerEvent);
  }

  protected lines(from: number, limit: number): void {
    let i = from;
    while (i < limit) {
      const next = this.fast(i);
      if (next > 0) i = next;
      else {
        const nl = this.node.indexOf(10, i);
        this.slowLine(i, nl);
        i = nl + 1;
      }
    }
  }

  /** An attempt, ack or error line as the agent writes it, as a row: returns the index after its newline; -1 for any other line. */
  private fast(i: number): number {
    const b = this.buf;
    const dv = this.dv;
    if (dv.getUint32(i, true) !== E_0 || dv.getUint32(i + 2, true) !== E_2) return -1;
    let j = i + 6;
    let kind: number;
    const c = b[j];
    if (c === 97 && b[j + 1] === 116) {
      if (dv.getUint32(j, true) !== ATT_0 || dv.getUint32(j + 4, true) !== ATT_4 || dv.getUint32(j + 8, true) !== ATT_8 || dv.getUint32(j + 12, true) !== ATT_12) return -1;
      kind = ATTEMPT;
      j += 16;
    } else if (c === 97) {
      if (dv.getUint32(j, true) !== ACK_0 || dv.getUint32(j + 4, true) !== ACK_4 || dv.getUint32(j + 8, true) !== ACK_8) return -1;
      kind = ACK;
      j += 12;
    } else if (c === 101) {
      if (dv.getUint32(j, true) !== ERR_0 || dv.getUint32(j + 4, true) !== ERR_4 || dv.getUint32(j + 8, true) !== ERR_8 || dv.getUint32(j + 10, true) !== ERR_10) return -1;
      kind = ERROR;
      j += 14;
    } else return -1;
    const pidFrom = j;
    j = str(b, j);
    if (j < 0) return -1;
    const pidTo = j;
    // the closing quote, then ,"seq":
    if (dv.getUint32(j + 1, true) !== SEQ_0 || dv.getUint32(j + 4, true) !== SEQ_3) return -1;
    j = num(b, j + 8);
    const seq = parsed[0]!;
    if (j < 0 || seq > MAX_I32) return -1;
    if (dv.getUint32(j, true) !== P_0 || dv.getUint32(j + 1, true) !== P_1) return -1;
    j = num(b, j + 5);
    const p = parsed[0]!;
    if (j < 0 || p > MAX_U16) return -1;
    let x = 0;
    let codeFrom = 0;
    let codeTo = 0;
    if (kind === ACK) {
      if (dv.getUint32(j, true) !== O_0 || dv.getUint32(j + 1, true) !== O_1) return -1;
      j += 5;
      if (dv.getUint32(j, true) === NULL_0) {
        x = NULL_OFFSET;
        j += 4;
      } else {
        j = num(b, j);
        x = parsed[0]!;
        if (j < 0 || x > MAX_OFFSET) return -1;
      }
    } else if (kind === ERROR) {
      if (dv.getUint32(j, true) !== CODE_0 || dv.getUint32(j + 4, true) !== CODE_4 || dv.getUint32(j + 5, true) !== CODE_5) return -1;
      codeFrom = j + 9;
      j = str(b, codeFrom);
      if (j < 0) return -1;
      codeTo = j;
      if (dv.getUint32(j, true) !== RET_0 || dv.getUint32(j + 4, true) !== RET_4 || dv.getUint32(j + 8, true) !== RET_8 || dv.getUint32(j + 10, true) !== RET_10) return -1;
      j = bool(dv, j + 14);
      if (j < 0) return -1;
      if (dv.getUint32(j, true) !== DEF_0 || dv.getUint32(j + 4, true) !== DEF_4 || dv.getUint32(j + 8, true) !== DEF_8) return -1;
      j = bool(dv, j + 12);
      if (j < 0) return -1;
      x = parsed[0]!;
      if (dv.getUint32(j, true) !== ATS_0 || dv.getUint32(j + 4, true) !== ATS_4 || dv.getUint32(j + 8, true) !== ATS_8) return -1;
      j = num(b, j + 12);
      if (j < 0) return -1;
    }
    if (dv.getUint32(j, true) !== T_0 || dv.getUint32(j + 1, true) !== T_1) return -1;
    j = num(b, j + 5);
    const t = parsed[0]!;
    if (j < 0 || !closes(b, j)) return -1;
    const out = this.out;
    let tBase = out.tBase;
    if (tBase !== tBase) tBase = out.tBase = t;
    else if (t - tBase > MAX_I32 || tBase - t > MAX_I32) return -1;
    const pid = this.pids.of(b, this.node, pidFrom, pidTo);
    if (pid > MAX_U16) return -1;
    if (kind === ERROR) x += 2 * this.codes.of(b, this.node, codeFrom, codeTo);
    // the row, written here (the hottest loop of the checker)
    const k = out.length;
    if (k === out.kind.length) out.grow();
    out.kind[k] = kind;
    out.pid[k] = pid;
    out.seq[k] = seq;
    out.p[k] = p;
    out.t[k] = t - tBase;
    out.x[k] = x;
    out.length = k + 1;
    if (kind === ATTEMPT) out.counted(pid, seq);
    return j + 2;
  }
}

class ConsumerScanner extends Scanner {
  readonly out: ConsumerColumnsBuilder;
  private readonly cids: ByteStrings;
  private readonly ids: IdBytes;

  constructor(file: string, capacity: number) {
    super(file);
    this.out = new ConsumerColumnsBuilder(capacity);
    this.cids = new ByteStrings(this.out.cids);
    this.ids = new IdBytes(this.out.ids.prefixes, this.out.ids.strings);
  }

  protected add(parsed: object): void {
    this.out.add(parsed as ConsumerEvent);
  }

  protected lines(from: number, limit: number): void {
    let i = from;
    while (i < limit) {
      const next = this.fast(i);
      if (next > 0) i = next;
      else {
        const nl = this.node.indexOf(10, i);
        this.slowLine(i, nl);
        i = nl + 1;
      }
    }
  }

  /**
   * A processed, received or committed line as the agent writes it: a processed event
   * with an id becomes a row, the others are dropped (the checker reads no other consumer
   * event). Returns the index after its newline; -1 for any other line. The fields the
   * checker does not read are not parsed: a received line is one that starts as a
   * received event and ends with `}`, and a processed event's time only has to be there.
   */
  private fast(i: number): number {
    const b = this.buf;
    const dv = this.dv;
    if (dv.getUint32(i, true) !== E_0 || dv.getUint32(i + 2, true) !== E_2) return -1;
    let j = i + 6;
    const c = b[j];
    let keep = false;
    let committed = false;
    if (c === 112) {
      if (dv.getUint32(j, true) !== PRC_0 || dv.getUint32(j + 4, true) !== PRC_4 || dv.getUint32(j + 8, true) !== PRC_8 || dv.getUint32(j + 12, true) !== PRC_12 || dv.getUint32(j + 14, true) !== PRC_14) return -1;
      keep = true;
      j += 18;
    } else if (c === 114) {
      if (dv.getUint32(j, true) !== RCV_0 || dv.getUint32(j + 4, true) !== RCV_4 || dv.getUint32(j + 8, true) !== RCV_8 || dv.getUint32(j + 12, true) !== RCV_12 || dv.getUint32(j + 13, true) !== RCV_13) return -1;
      const nl = this.node.indexOf(10, j);
      return b[nl - 1] === 125 ? nl + 1 : -1;
    } else if (c === 99) {
      if (dv.getUint32(j, true) !== CMT_0 || dv.getUint32(j + 4, true) !== CMT_4 || dv.getUint32(j + 8, true) !== CMT_8 || dv.getUint32(j + 12, true) !== CMT_12 || dv.getUint32(j + 14, true) !== CMT_14) return -1;
      committed = true;
      j += 18;
    } else return -1;
    const cidFrom = j;
    j = str(b, j);
    if (j < 0) return -1;
    const cidTo = j;
    j++;
    let idFrom = -1;
    let idTo = -1;
    if (!committed) {
      if (dv.getUint32(j, true) !== ID_0 || dv.getUint32(j + 2, true) !== ID_2) return -1;
      j += 6;
      if (b[j] === 34) {
        idFrom = j + 1;
        j = keep ? id(b, idFrom) : str(b, idFrom);
        if (j < 0) return -1;
        idTo = j;
        j++;
      } else if (dv.getUint32(j, true) === NULL_0) {
        keep = false;
        j += 4;
      } else return -1;
    }
    if (dv.getUint32(j, true) !== P_0 || dv.getUint32(j + 1, true) !== P_1) return -1;
    j = num(b, j + 5);
    const p = parsed[0]!;
    if (j < 0) return -1;
    if (dv.getUint32(j, true) !== O_0 || dv.getUint32(j + 1, true) !== O_1) return -1;
    j = num(b, j + 5);
    const o = parsed[0]!;
    if (j < 0) return -1;
    if (dv.getUint32(j, true) !== T_0 || dv.getUint32(j + 1, true) !== T_1) return -1;
    if (keep) {
      // the time is not read: the line ends after it
      j = this.node.indexOf(10, j + 5) - 1;
      if (b[j] !== 125) return -1;
    } else {
      j = num(b, j + 5);
      if (j < 0 || !closes(b, j)) return -1;
    }
    if (keep) {
      // a processed event with an id that does not fit a row is kept whole (through JSON.parse)
      if (p > MAX_U16 || o > MAX_OFFSET) return -1;
      const cid = this.cids.of(b, this.node, cidFrom, cidTo);
      if (cid > MAX_U16) return -1;
      const idp = this.ids.of(b, this.node, idFrom, idTo);
      this.out.row(cid, idp, idp >= 0 ? idSeq : 0, p, o);
    }
    return j + 2;
  }
}

class RecordScanner extends Scanner {
  readonly out: RecordColumnsBuilder;
  private readonly ids: IdBytes;

  constructor(file: string, capacity: number) {
    super(file);
    this.out = new RecordColumnsBuilder(capacity);
    this.ids = new IdBytes(this.out.ids.prefixes, this.out.ids.strings);
  }

  protected add(parsed: object): void {
    this.out.add(parsed as LogRecord);
  }

  protected lines(from: number, limit: number): void {
    let i = from;
    while (i < limit) {
      const next = this.fast(i);
      if (next > 0) i = next;
      else {
        const nl = this.node.indexOf(10, i);
        this.slowLine(i, nl);
        i = nl + 1;
      }
    }
  }

  /** `{"p":P,"o":O,"id":"ID"}` or `...,"id":null}` as the harness writes it, as a row: returns the index after its newline; -1 for any other line. */
  private fast(i: number): number {
    const b = this.buf;
    const dv = this.dv;
    if (dv.getUint32(i, true) !== REC_0 || dv.getUint32(i + 1, true) !== REC_1) return -1;
    let j = num(b, i + 5);
    const p = parsed[0]!;
    if (j < 0 || p > MAX_U16) return -1;
    if (dv.getUint32(j, true) !== O_0 || dv.getUint32(j + 1, true) !== O_1) return -1;
    j = num(b, j + 5);
    const o = parsed[0]!;
    if (j < 0 || o > MAX_OFFSET) return -1;
    if (dv.getUint32(j, true) !== ID_0 || dv.getUint32(j + 2, true) !== ID_2) return -1;
    j += 6;
    let idp: number;
    if (b[j] === 34) {
      const from = j + 1;
      j = id(b, from);
      if (j < 0 || !closes(b, j + 1)) return -1;
      idp = this.ids.of(b, this.node, from, j);
      j++;
    } else if (dv.getUint32(j, true) === NULL_0 && closes(b, j + 4)) {
      idp = NULL_ID;
      j += 4;
    } else return -1;
    this.out.row(idp, idp >= 0 ? idSeq : 0, p, o);
    return j + 2;
  }
}

export interface Scanned<C> {
  columns: C;
  /** the range ends the file and its last line was torn (skipped) */
  tornTail: boolean;
  /** lines that were not in the shape the agents write (read through JSON.parse) */
  slowLines: number;
}

/** A capacity hint from the size: rows beyond it grow the columns. */
function capacityFor(file: string, range: ByteRange | undefined, minLineBytes: number): number {
  const bytes = range ? range.end - range.start : fs.statSync(file).size;
  return Math.ceil(bytes / minLineBytes) + 1024;
}

/** Reads a producer ledger (or a range of it) into columns. */
export function scanProducerLedger(file: string, range?: ByteRange): Scanned<ProducerColumns> {
  const s = new ProducerScanner(file, capacityFor(file, range, 48));
  s.scan(range);
  return { columns: s.out.build(), tornTail: s.tornTail, slowLines: s.slowLines };
}

/** Reads a consumer ledger (or a range of it) into columns: its processed events with an id. */
export function scanConsumerLedger(file: string, range?: ByteRange): Scanned<ConsumerColumns> {
  // about half the lines of a consumer ledger are processed events
  const s = new ConsumerScanner(file, capacityFor(file, range, 2 * 60));
  s.scan(range);
  return { columns: s.out.build(), tornTail: s.tornTail, slowLines: s.slowLines };
}

/** Reads final-read records (final-read.jsonl, or a range of it) into columns. */
export function scanRecords(file: string, range?: ByteRange): Scanned<RecordColumns> {
  const s = new RecordScanner(file, capacityFor(file, range, 24));
  s.scan(range);
  return { columns: s.out.build(), tornTail: s.tornTail, slowLines: s.slowLines };
}

export type FileKind = 'producer' | 'consumer' | 'records';

/** Reads a producer ledger, a consumer ledger or final-read records (or a range of one). */
export function scanFile(kind: FileKind, file: string, range?: ByteRange): Scanned<ProducerColumns | ConsumerColumns | RecordColumns> {
  if (kind === 'producer') return scanProducerLedger(file, range);
  if (kind === 'consumer') return scanConsumerLedger(file, range);
  return scanRecords(file, range);
}
