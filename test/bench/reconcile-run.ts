// The measured part of the checker's benchmark, in a process of its own so that its peak
// RSS is the checker's: reads a generated run from disk and reconciles it, then prints
// the timings, the peak RSS and what it counted as one line of JSON.
// Usage: node --import tsx test/bench/reconcile-run.ts <run.json> (see reconcile.bench.ts)
import fs from 'node:fs';
import path from 'node:path';
import { ledgerFiles, reconcileRun } from '../../harness/reconcile/read-run.ts';
import type { GeneratedRun } from './generate-run.ts';

const run = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as GeneratedRun;
const threads = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const steps: Array<{ step: string; ms: number; at: number; rssMB: number }> = [];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const run1 = await reconcileRun(
  { ...ledgerFiles(run.ledgerDir), finalRead: path.join(run.dir, 'final-read.jsonl') },
  {
    runId: run.runId,
    isolation: 'read_uncommitted',
    partitions: run.partitions,
    workload: run.workload,
    ...(threads === undefined ? {} : { threads }),
    trace: (step, ms) => steps.push({ step, ms: Math.round(ms), at: Math.round(performance.now() - t0), rssMB: process.memoryUsage().rss >> 20 }),
  },
);
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
const rec = run1.reconciliation;
process.stdout.write(
  JSON.stringify({
    totalMs: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    threads: run1.threads,
    slowLines: run1.slowLines,
    tornTails: run1.tornTails,
    steps,
    metrics: rec.metrics,
    violations: rec.violations,
  }) + '\n',
);
