import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { PreparedClient } from '../clients/driver.ts';
import { parseAgentLine, type AgentConfig, type AgentMessage, type AgentStats, type HarnessMessage } from '../clients/protocol.ts';
import { HarnessError } from '../util/errors.ts';
import { ManagedProcess, tail } from '../util/proc.ts';

/** An agent that went away on its own after it was ready: the run cannot be a result. */
export interface AgentDeath {
  agent: string;
  /** wall clock of the exit */
  at: string;
  detail: string;
}

/**
 * One agent (producer, consumer or transformer, of any client), as seen from the harness:
 * a child process started with its client's command, spoken to in JSON lines over stdio
 * (clients/protocol.ts), that can be stopped gracefully, killed (a real crash) and
 * started again. A restarted producer or transformer gets a new id (`p0`, then `p0.r1`,
 * ...) because its sequence (or transaction) numbers start over.
 */
export class AgentHandle {
  private proc: ManagedProcess | undefined;
  /** set while the harness itself stops or kills the process */
  private exitExpected = false;
  /** exits after `ready` that nobody asked for (a crash of the agent or its client) */
  readonly deaths: AgentDeath[] = [];
  private incarnation = 0;
  private lastStats: AgentStats | undefined;
  /** stats of earlier incarnations, so live counts do not drop after a restart */
  private carried = { a: 0, b: 0, c: 0 };
  /** highest processed offset per partition over every incarnation (consumers) */
  readonly maxProcessed = new Map<number, number>();
  readonly logFile: string;

  constructor(
    readonly name: string,
    private readonly baseConfig: AgentConfig,
    private readonly dir: string,
    private readonly runId: string,
    readonly client: PreparedClient,
  ) {
    this.logFile = path.join(dir, `${name}.log`);
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** stopped or killed by the harness itself (a member that left the group, or one killed and not yet restarted) */
  get stoppedOnPurpose(): boolean {
    return !this.running && this.exitExpected;
  }

  get stats(): AgentStats | undefined {
    return this.lastStats;
  }

  /** counts summed over incarnations, for the progress line */
  totals(): { a: number; b: number; c: number } {
    const s = this.lastStats;
    if (!s) return { ...this.carried };
    if (s.role === 'producer') return { a: this.carried.a + s.attempted, b: this.carried.b + s.acked, c: this.carried.c + s.errors };
    if (s.role === 'transformer') return { a: this.carried.a + s.consumed, b: this.carried.b + s.produced, c: this.carried.c + s.committedTxns };
    return { a: this.carried.a + s.received, b: this.carried.b + s.processed, c: this.carried.c + s.commits };
  }

  /** Starts the process and waits until its client is connected (or it fails). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    if (this.lastStats) {
      const t = this.totals();
      this.carried = t;
      this.lastStats = undefined;
    }
    const n = this.incarnation++;
    const agentId = this.baseConfig.role !== 'consumer' && n > 0 ? `${this.baseConfig.agentId}.r${n}` : this.baseConfig.agentId;
    // one ledger file per incarnation: a torn last line of a killed agent stays at the end of its own file
    const ledgerFile = n > 0 ? this.baseConfig.ledgerFile.replace(/\.jsonl$/, `.r${n}.jsonl`) : this.baseConfig.ledgerFile;
    const config: AgentConfig = { ...this.baseConfig, agentId, ledgerFile };
    const configFile = path.join(this.dir, `${this.name}.config.json`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    fs.appendFileSync(this.logFile, `=== kafka-chaos: starting ${this.name} (${agentId}) at ${new Date().toISOString()} ===\n`);
    const cmd = this.client.command(configFile);
    const proc = new ManagedProcess({
      name: this.name,
      command: cmd.command,
      args: cmd.args,
      ...(cmd.env ? { env: cmd.env } : {}),
      runId: this.runId,
      logFile: this.logFile,
      pipes: true,
    });
    this.proc = proc;
    // a closed pipe (the agent died) is seen through its exit, not as an error here
    proc.child.stdin?.on('error', () => undefined);
    const lines = readline.createInterface({ input: proc.child.stdout! });
    const onMessage = (handler: (msg: AgentMessage) => void) =>
      lines.on('line', (line) => {
        const msg = parseAgentLine(line);
        if (msg) handler(msg);
        else if (line.trim().length > 0) fs.appendFileSync(this.logFile, `${line}\n`);
      });
    this.exitExpected = false;
    let isReady = false;
    let fatal: string | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HarnessError(`${this.name} did not connect within ${timeoutMs / 1000}s; see ${this.logFile}:\n${tail(this.logFile)}`)), timeoutMs);
      onMessage((msg) => {
        if (msg.type === 'stats') {
          this.lastStats = msg;
          if (msg.role !== 'producer') {
            for (const [p, o] of Object.entries(msg.maxProcessed)) this.maxProcessed.set(Number(p), Math.max(this.maxProcessed.get(Number(p)) ?? -1, o));
          }
        }
        else if (msg.type === 'ready') {
          isReady = true;
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'fatal') {
          fatal = msg.message;
          clearTimeout(timer);
          reject(new HarnessError(`${this.name} failed: ${msg.message}`));
        }
      });
      void proc.exited.then((exit) => {
        clearTimeout(timer);
        if (isReady && !this.exitExpected) {
          const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
          this.deaths.push({ agent: `${this.name} (${agentId})`, at: new Date().toISOString(), detail: `${how}${fatal ? `: ${fatal}` : ''}; see ${this.logFile}` });
        }
        reject(new HarnessError(`${this.name} exited before it was ready (${JSON.stringify(exit)}); see ${this.logFile}:\n${tail(this.logFile)}`));
      });
    });
    await ready;
  }

  /** Asks the agent to finish (flush, settle in-flight sends, leave the group) and waits for it. */
  async stop(graceMs: number): Promise<void> {
    const proc = this.proc;
    if (!proc || !proc.running) return;
    this.exitExpected = true;
    const stop: HarnessMessage = { type: 'stop', graceMs };
    try {
      proc.child.stdin?.write(`${JSON.stringify(stop)}\n`);
    } catch {
      // pipe already closed
    }
    const timer = setTimeout(() => proc.signal('SIGKILL'), graceMs + 15_000);
    try {
      await proc.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: the agent crashes with whatever it had in flight. */
  async kill(): Promise<void> {
    this.exitExpected = true;
    await this.proc?.kill();
  }

  async pause(): Promise<void> {
    this.proc?.signal('SIGSTOP');
  }

  async resume(): Promise<void> {
    this.proc?.signal('SIGCONT');
  }
}
