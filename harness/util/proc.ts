import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { RUN_MARKER } from './env.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  runId: string;
  /** stdout and stderr are appended here (written by the child directly, so they survive the harness) */
  logFile: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * pipe stdin and stdout (for a JSON-lines protocol: see clients/protocol.ts); stderr
   * still goes to the log file
   */
  pipes?: boolean;
}

/**
 * A child process the harness started. Every one carries the run id in its environment
 * so that `kafka-chaos clean` can find leftovers of a crashed harness, and runs in its
 * own process group so that a Ctrl-C in the terminal reaches only the harness, which
 * then tears everything down in order.
 */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  constructor(opts: StartOptions) {
    this.name = opts.name;
    const fd = fs.openSync(opts.logFile, 'a');
    try {
      this.child = spawn(opts.command, opts.args, {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env, [RUN_MARKER]: opts.runId },
        stdio: opts.pipes ? ['pipe', 'pipe', fd] : ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      fs.closeSync(fd);
    }
    if (this.child.pid === undefined) {
      throw new Error(`could not start ${opts.name} (${opts.command}): no pid`);
    }
    this.pid = this.child.pid;
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', () => {
        this.exitInfo ??= { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  signal(sig: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGCONT'); // a paused process cannot handle SIGTERM
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait until it is gone. */
  async kill(): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** The last `n` lines of a log file, for error messages. */
export function tail(file: string, n = 20): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-n - 1).join('\n').trimEnd();
  } catch {
    return '(no log)';
  }
}

/** Processes on this machine started by a kafka-chaos run (found by the run marker in their environment). */
export function findMarkedProcesses(): Array<{ pid: number; runId: string; cmd: string }> {
  const found: Array<{ pid: number; runId: string; cmd: string }> = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const marker = environ.split('\0').find((kv) => kv.startsWith(`${RUN_MARKER}=`));
      if (!marker) continue;
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid, runId: marker.slice(RUN_MARKER.length + 1), cmd });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
