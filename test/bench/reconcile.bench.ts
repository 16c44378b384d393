// Benchmark of the checker (timings belong here, never in a test): reconcile a run of ten
// million messages read from disk, within 10 s and 2 GB on the 2-core machine.
//
// A synthetic run is written first, the way a run writes it (generate-run.ts: ledgers
// through the agents' LedgerWriter, final-read.jsonl through the harness's writeRecords,
// with retries, errors, losses, duplicates, reordering and redeliveries so that every code
// path runs); that is not timed. Then a child process (reconcile-run.ts) reads the run
// from disk and reconciles it, exactly as the reconcile phase does, and reports its time
// and its peak RSS (the whole process). The counts must equal what the generator planted.
//
// Right before each measured run the files are read once, in the order the checker reads
// them: the figure is the checker's, not the disk's. (This VM's host reclaims its page
// cache within a minute or two of a write; read cold, its disk gives about 0.1 GB/s, and
// the same run would take half a minute whatever the checker does. The warm-up read says
// how long it took.)
//
// Usage: npm run bench [-- --messages N] [--runs N] [--threads N] [--dir DIR (keep/reuse the run)]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRun, type GeneratedRun } from './generate-run.ts';

const LIMIT_MS = 10_000;
const LIMIT_BYTES = 2e9;

/** Reads the files once (into the page cache), in this order; returns the seconds it took. */
function warm(files: string[]): number {
  const t = performance.now();
  const buf = Buffer.allocUnsafe(8 << 20);
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    try {
      while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
  return (performance.now() - t) / 1000;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const messages = Number(arg('messages') ?? 10_000_000);
const runs = Number(arg('runs') ?? 1);
const threads = arg('threads');
const keep = arg('dir');
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-bench-'));
const here = path.dirname(fileURLToPath(import.meta.url));

const cpus = os.cpus();
const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;
console.log(
  `machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

try {
  const manifest = path.join(dir, 'run.json');
  let run: GeneratedRun;
  if (keep && fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as GeneratedRun).messages === messages) {
    run = JSON.parse(fs.readFileSync(manifest, 'utf8')) as GeneratedRun;
    console.log(`using the run in ${dir} (${gb(run.bytes)} of ledgers and final read)`);
  } else {
    const t = performance.now();
    run = generateRun(dir, { messages });
    fs.writeFileSync(manifest, JSON.stringify(run));
    console.log(`generated a run of ${messages.toLocaleString('en-US')} messages in ${dir}: ${gb(run.bytes)} of ledgers and final read (${((performance.now() - t) / 1000).toFixed(0)} s, not timed)`);
  }

  let failed = false;
  const ledgers = fs.readdirSync(run.ledgerDir).sort();
  const files = [
    ...ledgers.filter((f) => f.startsWith('producer-')).map((f) => path.join(run.ledgerDir, f)),
    run.finalReadFile,
    ...ledgers.filter((f) => f.startsWith('consumer-')).map((f) => path.join(run.ledgerDir, f)),
  ];
  for (let i = 0; i < runs; i++) {
    const warmS = warm(files);
    console.log(`read the files once before timing: ${gb(run.bytes)} in ${warmS.toFixed(1)} s (${(run.bytes / 1e9 / warmS).toFixed(1)} GB/s)`);
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'reconcile-run.ts'), manifest, ...(threads ? [threads] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const processS = (performance.now() - started) / 1000;
    if (child.status !== 0) {
      console.error(child.stderr);
      throw new Error(`the measured process failed (exit ${child.status})`);
    }
    const r = JSON.parse(child.stdout) as {
      totalMs: number;
      cpuMs: number;
      maxRssBytes: number;
      threads: number;
      slowLines: number;
      steps: Array<{ step: string; ms: number; at: number; rssMB: number }>;
      metrics: Record<string, number | null>;
      violations: unknown[];
    };
    // the counts must be the planted ones
    const wrong = Object.entries(run.expected).filter(([k, v]) => r.metrics[k] !== v);
    if (wrong.length > 0 || r.violations.length > 0) {
      failed = true;
      console.log(`WRONG COUNTS: ${wrong.map(([k, v]) => `${k} ${r.metrics[k]} (planted ${v})`).join(', ')}${r.violations.length ? `; violations ${JSON.stringify(r.violations)}` : ''}`);
    }
    const within = r.totalMs < LIMIT_MS && r.maxRssBytes < LIMIT_BYTES;
    console.log(
      `reconcile ${messages.toLocaleString('en-US')} messages from disk: ${(r.totalMs / 1000).toFixed(1)} s, peak RSS ${gb(r.maxRssBytes)} (limits ${LIMIT_MS / 1000} s, ${LIMIT_BYTES / 1e9} GB): ${within ? 'ok' : 'OVER THE LIMIT'}`,
    );
    console.log(
      `  ${r.threads} thread(s), ${(r.cpuMs / 1000).toFixed(1)} s of CPU; the measured process took ${processS.toFixed(1)} s with Node's start-up; ${r.slowLines} line(s) through JSON.parse; counts ${wrong.length === 0 ? 'as planted' : 'WRONG'}: ` +
        `attempted ${r.metrics.attempted}, lost ${r.metrics.lost}, unknown ${r.metrics.unknown}, logDuplicates ${r.metrics.logDuplicates}, reordered ${r.metrics.reordered}, processedTwice ${r.metrics.processedTwice}, notProcessed ${r.metrics.notProcessed}`,
    );
    for (const s of r.steps) console.log(`  ${(s.at / 1000).toFixed(2).padStart(6)} s  ${String(s.ms).padStart(5)} ms  ${String(s.rssMB).padStart(5)} MB  ${s.step}`);
  }
  if (failed) process.exitCode = 1;
} finally {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
}
