// The live progress display: one rewritten line on a terminal, plain periodic lines
// otherwise (CI logs), plus ordinary log lines for events.

export interface ProgressState {
  profile: string;
  phase: string;
  elapsedMs: number;
  durationMs: number;
  sent: number;
  acked: number;
  errors: number;
  consumed: number;
  processed: number;
  faultsApplied: number;
  faultsTotal: number;
}

export interface Progress {
  log(line: string): void;
  update(state: ProgressState): void;
  done(): void;
}

export function formatProgress(s: ProgressState): string {
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  return (
    `[${s.profile}] ${s.phase} ${secs(s.elapsedMs)}s/${secs(s.durationMs)}s` +
    ` | sent ${s.sent} acked ${s.acked} errors ${s.errors}` +
    ` | consumed ${s.consumed} processed ${s.processed}` +
    ` | faults ${s.faultsApplied}/${s.faultsTotal}`
  );
}

export class TerminalProgress implements Progress {
  private current = '';
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  log(line: string): void {
    this.clear();
    this.out.write(line + '\n');
    if (this.current) this.out.write(this.current);
  }

  update(state: ProgressState): void {
    const line = formatProgress(state);
    const width = this.out.columns && this.out.columns > 20 ? this.out.columns - 1 : 160;
    this.current = line.length > width ? line.slice(0, width) : line;
    this.out.write(`\r\x1b[2K${this.current}`);
  }

  private clear(): void {
    if (this.current) this.out.write('\r\x1b[2K');
  }

  done(): void {
    this.clear();
    this.current = '';
  }
}

/** Without a terminal: a plain line at most every `everyMs`, and every log line. */
export class PlainProgress implements Progress {
  private last = 0;
  constructor(
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    private readonly everyMs = 5000,
  ) {}

  log(line: string): void {
    this.write(line);
  }

  update(state: ProgressState): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    this.write(formatProgress(state));
  }

  done(): void {}
}
