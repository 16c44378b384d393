import fs from 'node:fs';
import readline from 'node:readline';
import type { LedgerEvent } from './events.ts';

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
