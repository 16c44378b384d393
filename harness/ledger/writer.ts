import fs from 'node:fs';
import type { LedgerEvent, LogRecord } from './events.ts';

/**
 * Append-only ledger. Every append is one synchronous write(2) of whole lines, so an
 * event is in the page cache before the agent acts on it, and a SIGKILL keeps
 * everything written before the kill (no user-space buffer to lose).
 */
export class LedgerWriter {
  private readonly fd: number;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a');
  }

  append(event: LedgerEvent): void {
    this.write(JSON.stringify(event) + '\n');
  }

  private write(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
  }

  appendAll(events: readonly LedgerEvent[]): void {
    if (events.length === 0) return;
    let chunk = '';
    for (const e of events) chunk += JSON.stringify(e) + '\n';
    this.write(chunk);
  }

  /** Appends whole lines of events, already as text (see lines.ts), in one write. */
  appendLines(text: string): void {
    if (text.length > 0) this.write(text);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * Writes the records of a final read as JSON lines (final-read.jsonl: one LogRecord per
 * line, in the order given), in chunks: a run of ten million records is too large for
 * one string.
 */
export function writeRecords(file: string, records: Iterable<LogRecord>): void {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk = '';
    for (const r of records) {
      chunk += JSON.stringify(r) + '\n';
      if (chunk.length >= 1 << 20) {
        writeAll(fd, chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) writeAll(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}
