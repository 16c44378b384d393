// The example ids of a profile's non-zero outcomes, looked up in its producer ledgers and
// its final read: where each one was acked (partition, offset, time), where it is in the
// log now, and what the log holds at its acked offset. Bounded: only the example ids are
// kept, and the files are streamed line by line.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { METRICS } from '../../reconcile/metrics.ts';
import type { ProfileResult } from '../types.ts';

/** At most this many example ids per metric are looked up and shown. */
export const EXAMPLES_PER_METRIC = 20;
/** At most this many log positions of one id are kept. */
const POSITIONS_PER_ID = 5;

export interface ExampleFacts {
  id: string;
  /** the partition its first attempt addressed */
  partition: number | null;
  /** first attempt, ms since epoch */
  attemptT: number | null;
  /** earliest ack */
  ack: { p: number; o: number | null; t: number } | null;
  /** first error event */
  error: { code: string; definite: boolean; t: number } | null;
  /** where the final read found it ("p:o"), the first few */
  inLog: string[];
  /** how many times the final read found it */
  copies: number;
  /** the id the final read found at its acked offset (null: none, the offset is empty or outside the read) */
  atAckedOffset: string | null;
}

export interface ExampleLookup {
  /** metric -> example ids, as shown (non-zero metrics only) */
  byMetric: Array<{ metric: string; title: string; means: string; ids: string[]; total: number }>;
  /** facts by id; empty when the profile directory has no ledgers */
  facts: Map<string, ExampleFacts>;
  /** what was read: ledgers and final read present */
  ledgers: boolean;
  finalRead: boolean;
}

const LEDGER_FAST = /"pid":"([^"]*)","seq":(\d+)/;
const FINAL_FAST = /^\{"p":(-?\d+),"o":(\d+),"id":(null|"([^"\\]*)")/;

async function eachLine(file: string, fn: (line: string) => void): Promise<void> {
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.length > 0) fn(line);
}

function parse(line: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null; // a torn last line
  }
}

/** The example ids of the profile's non-zero outcomes, with what its ledgers and final read say of each. */
export async function lookupExamples(p: ProfileResult): Promise<ExampleLookup> {
  const byMetric: ExampleLookup['byMetric'] = [];
  for (const m of METRICS) {
    if (!m.examples) continue;
    const ids = (p.examples as Record<string, string[] | undefined> | undefined)?.[m.name] ?? [];
    const value = p.metrics?.[m.name] ?? null;
    if (ids.length === 0 || value === null || value === 0) continue;
    byMetric.push({ metric: m.name, title: m.title, means: m.means, ids: ids.slice(0, EXAMPLES_PER_METRIC), total: value });
  }
  const facts = new Map<string, ExampleFacts>();
  for (const { ids } of byMetric) {
    for (const id of ids) facts.set(id, { id, partition: null, attemptT: null, ack: null, error: null, inLog: [], copies: 0, atAckedOffset: null });
  }
  const ledgerDir = path.join(p.dir, 'ledgers');
  const producers = fs.existsSync(ledgerDir)
    ? fs.readdirSync(ledgerDir).filter((f) => f.startsWith('producer-') && f.endsWith('.jsonl')).sort()
    : [];
  const finalReadFile = path.join(p.dir, 'final-read.jsonl');
  const finalRead = fs.existsSync(finalReadFile);
  if (facts.size === 0) return { byMetric, facts, ledgers: producers.length > 0, finalRead };

  for (const f of producers) {
    await eachLine(path.join(ledgerDir, f), (line) => {
      const fast = LEDGER_FAST.exec(line);
      if (fast && !facts.has(`${fast[1]}:${fast[2]}`)) return;
      if (!fast && !line.includes('"seq"')) return;
      const ev = parse(line);
      if (!ev || typeof ev.pid !== 'string' || typeof ev.seq !== 'number' || typeof ev.t !== 'number') return;
      const x = facts.get(`${ev.pid}:${ev.seq}`);
      if (!x) return;
      const p = typeof ev.p === 'number' ? ev.p : null;
      if (ev.e === 'attempt') {
        if (x.attemptT === null || ev.t < x.attemptT) x.attemptT = ev.t;
        if (x.partition === null) x.partition = p;
      } else if (ev.e === 'ack' && p !== null) {
        if (!x.ack || ev.t < x.ack.t) x.ack = { p, o: typeof ev.o === 'number' ? ev.o : null, t: ev.t };
      } else if (ev.e === 'error') {
        if (!x.error || ev.t < x.error.t) x.error = { code: String(ev.code ?? '?'), definite: ev.definite === true, t: ev.t };
      }
    });
  }

  if (finalRead) {
    // the acked positions of the examples, to say what the log holds there now
    const ackedAt = new Map<string, ExampleFacts[]>();
    for (const x of facts.values()) {
      if (x.ack?.o === null || x.ack?.o === undefined) continue;
      const k = `${x.ack.p}:${x.ack.o}`;
      ackedAt.set(k, [...(ackedAt.get(k) ?? []), x]);
    }
    await eachLine(finalReadFile, (line) => {
      let p: number, o: number, id: string | null;
      const fast = FINAL_FAST.exec(line);
      if (fast) {
        p = Number(fast[1]);
        o = Number(fast[2]);
        id = fast[3] === 'null' ? null : fast[4]!;
      } else {
        const r = parse(line);
        if (!r || typeof r.p !== 'number' || typeof r.o !== 'number') return;
        p = r.p;
        o = r.o;
        id = typeof r.id === 'string' ? r.id : null;
      }
      const x = id === null ? undefined : facts.get(id);
      if (x) {
        x.copies++;
        if (x.inLog.length < POSITIONS_PER_ID) x.inLog.push(`${p}:${o}`);
      }
      const here = ackedAt.get(`${p}:${o}`);
      if (here) for (const h of here) h.atAckedOffset = id ?? '(not one of ours)';
    });
  }
  return { byMetric, facts, ledgers: producers.length > 0, finalRead };
}
