import fs from 'node:fs';
import readline from 'node:readline';
import type { LedgerEvent, LogRecord } from './events.ts';

/**
 * Reads a ledger. A killed agent may leave a torn last line (a write cut short); that
 * one line is reported and skipped. A malformed line anywhere else is an error.
 */
export async function readLedger<T extends LedgerEvent>(file: string): Promise<{ events: T[]; tornTail: boolean }> {
  const events: T[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: { line: string; n: number } | undefined;
  let n = 0;
  let tornTail = false;
  for await (const line of rl) {
    n++;
    if (pending) throw new Error(`${file}:${pending.n}: malformed ledger line: ${pending.line.slice(0, 200)}`);
    if (line.length === 0) continue;
    try {
      events.push(JSON.parse(line) as T);
    } catch {
      pending = { line, n };
    }
  }
  if (pending) tornTail = true;
  return { events, tornTail };
}

/**
 * The events of these kinds from several ledgers, in file order, reading only the lines
 * that name one of the kinds (cheap on ledgers of millions of other events). A torn last
 * line is skipped like readLedger does.
 */
export async function readEventsOfKind<T extends LedgerEvent>(files: readonly string[], kinds: ReadonlyArray<T['e']>): Promise<T[]> {
  // as the agents write them ("e":"kind"), or with whitespace a JSON writer may put there
  const marks = kinds.map((k) => new RegExp(`"e"\\s*:\\s*"${k}"`));
  const out: T[] = [];
  for (const file of files) {
    const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!marks.some((m) => m.test(line))) continue;
      try {
        const ev = JSON.parse(line) as T;
        if ((kinds as readonly string[]).includes(ev.e)) out.push(ev);
      } catch {
        // a torn last line of a killed agent
      }
    }
  }
  return out;
}

/** Every record of a final-read file (JSON lines of LogRecord). */
export async function readRecords(file: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.length > 0) out.push(JSON.parse(line) as LogRecord);
  return out;
}
