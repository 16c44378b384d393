// The disk side of `broker.power-loss`. After a power loss a broker keeps only what it had
// fsynced. Kafka advances a partition's recovery point only once the log is fsynced up to
// it, and checkpoints the recovery points of a log dir to `recovery-point-offset-checkpoint`.
// With the broker SIGKILLed (its page cache, and so its unflushed writes, survive a SIGKILL),
// this module drops from every partition log exactly what lies past its checkpointed
// recovery point, so the broker restarts on what a real power loss would have left.
//
// Synchronous, node:fs only: it runs while the broker is down, between kill and restart.
//
// What it does to one partition directory:
//  - walks the v2 record batches of its segments (`<20-digit base offset>.log`) in base-offset
//    order, reading only batch headers;
//  - cuts at the first batch whose baseOffset >= the recovery point. Batches are written and
//    fsynced whole, so a batch that straddles the recovery point (baseOffset < rp <= lastOffset)
//    is kept whole: the reported logEndAfter is then past the recovery point;
//  - a torn trailing batch (fewer bytes than its header says, or a zero-filled tail) counts as
//    not there and is cut too, along with any segment after it, as Kafka's own recovery does;
//  - deletes whole the segments whose base offset >= the cut offset (keeping at least one
//    segment file, possibly empty), truncates the segment holding the cut to the cut's byte
//    position, and deletes the `.index`, `.timeindex` and `.txnindex` of every segment it
//    touches: Kafka rebuilds missing indexes when it loads a log after an unclean shutdown;
//  - deletes producer-state snapshots (`<offset>.snapshot`) whose offset is past the new end.
// Everything is read and checked for every partition before anything is changed, so a
// malformed checkpoint or a corrupt batch leaves the log dir as it was.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';

export interface PartitionTruncation {
  /** the partition directory name, `<topic>-<partition>` */
  partition: string;
  /** from the checkpoint; 0 when the partition is not in it */
  recoveryPoint: number;
  /** next offset after the last complete batch, before and after (0 when there is none) */
  logEndBefore: number;
  logEndAfter: number;
  /** bytes of `.log` files removed: whole deleted segments plus what was cut from one */
  bytesRemoved: number;
  segmentsDeleted: number;
}

export interface PowerLossReport {
  logDir: string;
  partitions: PartitionTruncation[];
}

const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
const CHECKPOINT_VERSION = 0;
/** the KRaft metadata log lives in a partition-like directory but is never truncated here */
const METADATA_PARTITION = /^__cluster_metadata-\d+$/;
/** legal topic characters; a partition directory is `<topic>-<partition>` */
const TOPIC = /^[a-zA-Z0-9._-]+$/;
const PARTITION_DIR = /^([a-zA-Z0-9._-]+)-(\d+)$/;
const SEGMENT_LOG = /^(\d{20})\.log$/;
const SNAPSHOT = /^(\d{20})\.snapshot$/;
const INDEX_SUFFIXES = ['.index', '.timeindex', '.txnindex'] as const;

// v2 record batch header (big-endian): baseOffset int64 @0, batchLength int32 @8 (the batch
// takes 12 + batchLength bytes), partitionLeaderEpoch int32 @12, magic int8 @16, crc uint32 @17,
// attributes int16 @21, lastOffsetDelta int32 @23, ... 61 bytes of header in all.
const LOG_OVERHEAD = 12;
const BATCH_HEADER = 61;
const MAGIC_AT = 16;
const LAST_OFFSET_DELTA_AT = 23;
const MAGIC_V2 = 2;

/**
 * Parses an offset checkpoint file: line 1 the version (0), line 2 the entry count N, then N
 * lines `topic partition offset`. Keys are the partition directory names `${topic}-${partition}`.
 * Like Kafka's reader, an empty file (Kafka creates the file empty before its first write) or
 * a version line alone reads as no entries.
 */
export function readCheckpoint(file: string): Map<string, number> {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop(); // the newline ending the last line
  const fail = (line: number, why: string): never => {
    throw new HarnessError(`${file}:${line}: ${why}`);
  };
  const entries = new Map<string, number>();
  if (lines.length === 0) return entries;

  const version = lines[0]!;
  if (!/^-?\d+$/.test(version)) fail(1, `malformed version line ${JSON.stringify(version)}`);
  if (Number(version) !== CHECKPOINT_VERSION) fail(1, `unsupported checkpoint version ${version} (expected ${CHECKPOINT_VERSION})`);
  if (lines.length === 1) return entries;

  const countLine = lines[1]!;
  if (!/^\d+$/.test(countLine) || !Number.isSafeInteger(Number(countLine))) fail(2, `malformed entry count ${JSON.stringify(countLine)}`);
  const count = Number(countLine);

  for (let i = 2; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!;
    if (i - 2 >= count) fail(lineNo, `more entries than the count of ${count} on line 2`);
    const fields = line.split(' ');
    if (fields.length !== 3) fail(lineNo, `expected "topic partition offset", got ${JSON.stringify(line)}`);
    const [topic, partition, offset] = fields as [string, string, string];
    if (!TOPIC.test(topic)) fail(lineNo, `invalid topic name ${JSON.stringify(topic)}`);
    if (!/^\d+$/.test(partition) || !Number.isSafeInteger(Number(partition))) fail(lineNo, `invalid partition ${JSON.stringify(partition)}`);
    if (!/^\d+$/.test(offset) || !Number.isSafeInteger(Number(offset))) fail(lineNo, `invalid offset ${JSON.stringify(offset)}`);
    const key = `${topic}-${Number(partition)}`;
    if (entries.has(key)) fail(lineNo, `duplicate entry for ${key}`);
    entries.set(key, Number(offset));
  }
  if (entries.size !== count) fail(lines.length + 1, `expected ${count} entries (line 2), found ${entries.size}`);
  return entries;
}

/**
 * Truncates every partition log in `logDir` to its checkpointed recovery point (see the top
 * of this file). Not the KRaft metadata log, nor `-delete`/`-future`/`-stray` directories.
 */
export function truncateToRecoveryPoints(logDir: string): PowerLossReport {
  const checkpointFile = join(logDir, RECOVERY_POINT_CHECKPOINT);
  if (!existsSync(checkpointFile)) {
    // Kafka creates it when the log dir is first opened; without it this is no broker log dir
    throw new HarnessError(`${checkpointFile} does not exist: is ${logDir} a broker log dir that has been started?`);
  }
  const recoveryPoints = readCheckpoint(checkpointFile);
  // read and check everything first, then change the files
  const plans = partitionDirs(logDir).map((name) => planTruncation(join(logDir, name), name, recoveryPoints.get(name) ?? 0));
  for (const plan of plans) apply(plan);
  return { logDir, partitions: plans.map((p) => p.report) };
}

/** The next offset after the last complete batch of a partition's log; 0 for an empty log. */
export function logEnd(partitionDir: string): number {
  return walkPartition(partitionDir, Number.POSITIVE_INFINITY).logEnd;
}

// ---------------------------------------------------------------------------------------

interface Segment {
  baseOffset: number;
  file: string;
  size: number;
}

/** where the walk stopped short of a segment's end: torn or zero-filled bytes from `position` */
interface Tear {
  segment: number;
  position: number;
}

/** the first batch with baseOffset >= the recovery point */
interface Cut {
  segment: number;
  position: number;
  baseOffset: number;
  /** next offset after the last complete batch before the cut (0 if none) */
  logEndBefore: number;
}

interface Walk {
  segments: Segment[];
  logEnd: number;
  cut: Cut | undefined;
  tear: Tear | undefined;
}

interface Plan {
  dir: string;
  report: PartitionTruncation;
  deleteSegments: Segment[];
  truncate: { segment: Segment; size: number } | undefined;
  deleteSnapshots: string[];
}

function partitionDirs(logDir: string): string[] {
  return readdirSync(logDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && PARTITION_DIR.test(e.name) && !METADATA_PARTITION.test(e.name))
    .map((e) => e.name)
    .sort(comparePartitionDirs);
}

function comparePartitionDirs(a: string, b: string): number {
  const [, ta, pa] = PARTITION_DIR.exec(a)!;
  const [, tb, pb] = PARTITION_DIR.exec(b)!;
  if (ta !== tb) return ta! < tb! ? -1 : 1;
  return Number(pa) - Number(pb);
}

function segmentsOf(dir: string): Segment[] {
  return readdirSync(dir)
    .map((name) => ({ name, m: SEGMENT_LOG.exec(name) }))
    .filter((e) => e.m !== null)
    .map((e) => {
      const file = join(dir, e.name);
      return { baseOffset: Number(e.m![1]), file, size: statSync(file).size };
    })
    .sort((a, b) => a.baseOffset - b.baseOffset);
}

/**
 * Walks the batches of all segments in order. Records the first batch with baseOffset >=
 * `recoveryPoint` and stops at the first torn batch (nothing after it counts).
 */
function walkPartition(dir: string, recoveryPoint: number): Walk {
  const segments = segmentsOf(dir);
  let logEnd = 0;
  let cut: Cut | undefined;
  let tear: Tear | undefined;
  const header = Buffer.alloc(BATCH_HEADER);

  for (let s = 0; s < segments.length && tear === undefined; s++) {
    const segment = segments[s]!;
    const fd = openSync(segment.file, 'r');
    try {
      const size = fstatSync(fd).size;
      segment.size = size;
      let position = 0;
      while (position < size) {
        const remaining = size - position;
        const got = readSync(fd, header, 0, Math.min(BATCH_HEADER, remaining), position);
        const corrupt = (why: string): void => {
          if (restIsZero(fd, position, size)) return; // a zero-filled (preallocated or lost) tail
          throw new HarnessError(`${segment.file}: corrupt record batch at byte ${position}: ${why}`);
        };
        if (got < LOG_OVERHEAD) {
          tear = { segment: s, position };
          break;
        }
        const baseOffset = Number(header.readBigInt64BE(0));
        const batchLength = header.readInt32BE(8);
        if (batchLength < BATCH_HEADER - LOG_OVERHEAD) {
          corrupt(`batch length ${batchLength} is shorter than a v2 batch header`);
          tear = { segment: s, position };
          break;
        }
        if (LOG_OVERHEAD + batchLength > remaining) {
          tear = { segment: s, position }; // torn: the batch was not completely written
          break;
        }
        const magic = header.readInt8(MAGIC_AT);
        const lastOffsetDelta = header.readInt32BE(LAST_OFFSET_DELTA_AT);
        const problem =
          magic !== MAGIC_V2
            ? `magic ${magic}, only v2 batches are supported`
            : lastOffsetDelta < 0
              ? `negative lastOffsetDelta ${lastOffsetDelta}`
              : !Number.isSafeInteger(baseOffset) || baseOffset < segment.baseOffset
                ? `baseOffset ${baseOffset} is below the segment's base offset ${segment.baseOffset}`
                : baseOffset < logEnd
                  ? `baseOffset ${baseOffset} is below the end of the previous batch ${logEnd}`
                  : undefined;
        if (problem !== undefined) {
          corrupt(problem);
          tear = { segment: s, position };
          break;
        }
        if (cut === undefined && baseOffset >= recoveryPoint) cut = { segment: s, position, baseOffset, logEndBefore: logEnd };
        logEnd = baseOffset + lastOffsetDelta + 1;
        position += LOG_OVERHEAD + batchLength;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { segments, logEnd, cut, tear };
}

function restIsZero(fd: number, from: number, size: number): boolean {
  const chunk = Buffer.alloc(64 * 1024);
  for (let position = from; position < size; ) {
    const got = readSync(fd, chunk, 0, Math.min(chunk.length, size - position), position);
    if (got === 0) return false;
    for (let i = 0; i < got; i++) if (chunk[i] !== 0) return false;
    position += got;
  }
  return true;
}

function planTruncation(dir: string, name: string, recoveryPoint: number): Plan {
  const walk = walkPartition(dir, recoveryPoint);
  const { segments } = walk;
  // where to cut: at the first batch at or past the recovery point, else at a tear, else nowhere
  const at = walk.cut ?? walk.tear;
  const logEndAfter = walk.cut !== undefined ? walk.cut.logEndBefore : walk.logEnd;

  const deleteSegments: Segment[] = [];
  let truncate: Plan['truncate'];
  if (at !== undefined) {
    deleteSegments.push(...segments.slice(at.segment + 1));
    const segment = segments[at.segment]!;
    const wholeSegmentPastCut = walk.cut !== undefined && at.position === 0 && segment.baseOffset >= walk.cut.baseOffset;
    if (wholeSegmentPastCut && at.segment > 0) deleteSegments.push(segment);
    else if (segment.size > at.position) truncate = { segment, size: at.position };
  }

  const deleteSnapshots = readdirSync(dir)
    .filter((f) => {
      const m = SNAPSHOT.exec(f);
      return m !== null && Number(m[1]) > logEndAfter;
    })
    .map((f) => join(dir, f));

  const bytesRemoved = deleteSegments.reduce((n, s) => n + s.size, 0) + (truncate ? truncate.segment.size - truncate.size : 0);
  return {
    dir,
    report: { partition: name, recoveryPoint, logEndBefore: walk.logEnd, logEndAfter, bytesRemoved, segmentsDeleted: deleteSegments.length },
    deleteSegments,
    truncate,
    deleteSnapshots,
  };
}

function indexFiles(segment: Segment): string[] {
  const stem = segment.file.slice(0, -'.log'.length);
  return INDEX_SUFFIXES.map((suffix) => stem + suffix);
}

function apply(plan: Plan): void {
  for (const segment of plan.deleteSegments) {
    for (const file of [...indexFiles(segment), segment.file]) rmSync(file, { force: true });
  }
  if (plan.truncate) {
    truncateSync(plan.truncate.segment.file, plan.truncate.size);
    for (const file of indexFiles(plan.truncate.segment)) rmSync(file, { force: true });
  }
  for (const file of plan.deleteSnapshots) rmSync(file, { force: true });
}
