import path from 'node:path';
import { ManagedProcess, tail } from '../util/proc.ts';
import { waitFor } from '../util/time.ts';
import { ToxiproxyClient } from './client.ts';

/** A toxiproxy-server process on 127.0.0.1, owned by one run. */
export class ToxiproxyServer implements AsyncDisposable {
  readonly client: ToxiproxyClient;
  private constructor(
    readonly process: ManagedProcess,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.client = new ToxiproxyClient(`http://127.0.0.1:${port}`);
  }

  static async start(opts: { bin: string; port: number; runId: string; logDir: string; signal?: AbortSignal }): Promise<ToxiproxyServer> {
    const logFile = path.join(opts.logDir, 'toxiproxy.log');
    const proc = new ManagedProcess({
      name: 'toxiproxy',
      command: opts.bin,
      args: ['-host', '127.0.0.1', '-port', String(opts.port)],
      runId: opts.runId,
      logFile,
    });
    const server = new ToxiproxyServer(proc, opts.port, logFile);
    try {
      await waitFor({
        timeoutMs: 15_000,
        intervalMs: 100,
        signal: opts.signal,
        check: async () => {
          if (!proc.running) throw new Error(`exited (${JSON.stringify(proc.exit)})`);
          return server.client.version();
        },
        describeFailure: (e) =>
          `Toxiproxy did not answer on 127.0.0.1:${opts.port} within 15s (${e instanceof Error ? e.message : String(e)}); log ${logFile}:\n${tail(logFile)}`,
      });
    } catch (err) {
      await proc.kill();
      throw err;
    }
    return server;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.process.stop(3000);
  }
}
