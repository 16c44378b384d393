import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../harness/report/types.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO, 'bin', 'kafka-chaos.js');

export interface CliRun {
  child: ChildProcess;
  output: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** resolves when the combined output matches */
  waitFor: (re: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
}

/** Starts the real CLI (`bin/kafka-chaos.js`) as a child process. */
export function startCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const l of listeners) l();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const output = () => stdout + stderr;
  const waitFor = (re: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(output());
        if (m) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${re} in CLI output:\n${output().slice(-3000)}`));
      }, timeoutMs);
      listeners.add(check);
      void done.then(() => {
        check();
        if (listeners.has(check)) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`CLI exited before ${re} appeared:\n${output().slice(-3000)}`));
        }
      });
      check();
    });
  return { child, output, done, waitFor };
}

export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return startCli(args, opts).done;
}

/** A fresh temporary directory for one test. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kafka-chaos-${prefix}-`));
}

/** The result of the one run a test wrote under `reports`. */
export function readRun(reports: string): RunResult {
  const runs = fs.readdirSync(reports);
  if (runs.length !== 1) throw new Error(`expected one run in ${reports}, found ${runs.length}: ${runs.join(', ')}`);
  return JSON.parse(fs.readFileSync(path.join(reports, runs[0]!, 'result.json'), 'utf8')) as RunResult;
}
