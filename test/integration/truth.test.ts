// Whole runs through the CLI on a real cluster, for the numbers a report must never get
// wrong: a run that did not settle is INCONCLUSIVE, overload shows as unsent messages and
// a producer behind its rate, client-made loss is attributed, and every shipped profile
// loses nothing when its faults are removed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { ProfileResult } from '../../harness/report/types.ts';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { readRun, REPO, runCli, startCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

function setup(name: string, yaml: string) {
  const dir = tempDir(name);
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  return { dir, file, reports: path.join(dir, 'reports') };
}


describe.skipIf(!prereq.ok)('truth on a real cluster', () => {
  it('an agent that dies on its own after it was ready makes the profile INCONCLUSIVE, exit 2', async () => {
    const s = setup(
      'it-agent-dies',
      `name: it-agent-dies
workload:
  duration: 14s
  rate: 200
  consumers: 1
  drainTimeout: 20s
profiles:
  - name: p
    producer: { acks: all }
    expect: { lost: 0 }
`,
    );
    const cli = startCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
    const m = await cli.waitFor(/report in (\S+)/, 60_000);
    const runId = path.basename(m[1]!);
    await cli.waitFor(/workload \d+\.\d+s\/14\.0s \| sent [1-9]/, 180_000);
    // the consumer agent crashes by itself: no fault of the schedule did it, nobody restarts it
    const consumer = findMarkedProcesses().find((p) => p.runId === runId && p.cmd.includes('consumer-c0.config.json'));
    expect(consumer, 'the consumer agent process').toBeDefined();
    process.kill(consumer!.pid, 'SIGKILL');
    const r = await cli.done;
    const run = readRun(s.reports);
    const p = run.profiles[0]!;
    expect(p.status).toBe('inconclusive');
    expect(p.passed).toBe(false);
    expect(p.inconclusive?.join('\n')).toMatch(/consumer-c0 \(c0\) died on its own .*signal SIGKILL/);
    expect(p.inconclusive?.join('\n')).toMatch(/did not drain: not running: consumer-c0/);
    // the threshold would have passed: an unsettled run is still never a PASS
    expect(p.thresholds.every((t) => t.pass)).toBe(true);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/INCONCLUSIVE/);
    expect(r.stdout).toMatch(/p: INCONCLUSIVE, did not settle: agent consumer-c0/);
    expect(fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8')).toMatch(/Did not settle/);
    expect(findMarkedProcesses().filter((x) => x.runId === runId)).toEqual([]);
  });

  it('overload: a producer that cannot keep its rate is reported behind, with unsent messages rather than unknown ones; consumer metrics are n/a', async () => {
    const s = setup(
      'it-overload',
      `name: it-overload
workload:
  duration: 6s
  rate: 100000
  consumers: 0
profiles:
  - name: flood
    producer: { acks: all }
`,
    );
    const r = await runCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
    const run = readRun(s.reports);
    const p = run.profiles[0]!;
    expect(p.error, r.stdout + r.stderr).toBeUndefined();
    expect(p.status).toBe('ok');
    expect(p.violations).toEqual([]);
    const t = p.throughput!.find((x) => x.pid === 'p0')!;
    expect(t.targetPerSecond).toBe(100000);
    expect(t.achievedPerSecond).toBeLessThan(100000);
    expect(t.behindSinceMs).not.toBeNull();
    expect(t.maxQueued).toBeGreaterThanOrEqual(100000);
    const m = p.metrics!;
    // a flood with no faults: what reached the client was acked; the rest was never sent
    expect(m.unknown).toBe(0);
    expect(m.lost).toBe(0);
    expect(m.unsent).toBe(t.unsent);
    expect(m.unsent).toBeGreaterThan(0);
    expect(m.acked).toBe(m.attempted);
    // no consumers: consumer metrics do not apply
    for (const k of ['notProcessed', 'processedTwice', 'endToEndLost', 'lostAfterConsume', 'processed'] as const) expect(m[k]).toBeNull();
    const summary = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| *n\/a *\|/);
    expect(summary).toMatch(/producer p0: target 100000\/s, achieved \d+\/s; fell behind at/);
    expect(r.code).toBe(0);
  });

  it('idempotent producer with retries: 2 under a leader kill: whatever happens is attributed and the checks hold', async () => {
    const s = setup(
      'it-idempotent-retries',
      `name: it-idempotent-retries
seed: 3
workload:
  duration: 14s
  rate: 1000
  consumers: 0
faults:
  - at: 4s
    action: broker.kill
    target: leader
    partition: 0
    restartAfter: 5s
profiles:
  - name: idempotent-retries-2
    producer: { acks: all, enable.idempotence: true, retries: 2, request.timeout.ms: 3000 }
    topic: { min.insync.replicas: 2 }
`,
    );
    const r = await runCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
    const run = readRun(s.reports);
    const p = run.profiles[0]!;
    expect(p.error, r.stdout + r.stderr).toBeUndefined();
    expect(p.violations).toEqual([]);
    expect(p.status).toBe('ok');
    const m = p.metrics!;
    expect(m.attempted).toBeGreaterThan(5000);
    // client-made loss is a part of loss, never more
    expect(m.ackedAtForeignOffset).toBeLessThanOrEqual(m.lost);
    const summary = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    if (m.ackedAtForeignOffset > 0) expect(summary).toMatch(/the client acknowledged \d+ write\(s\) it never appended/);
    else expect(summary).not.toMatch(/never appended/);
    // retries were counted by the driver, and the report says so
    expect(p.retries).toBeDefined();
    if (p.retries!.batches > 0) expect(summary).toMatch(/the client retried \d+ batch/);
    // every failure after a retry is unknown, never a definite failure
    const ledger = fs.readFileSync(path.join(p.dir, 'ledgers', 'producer-p0.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { e: string; definite?: boolean; attempts?: number });
    for (const e of ledger.filter((x) => x.e === 'error')) if (e.attempts! > 1) expect(e.definite).toBe(false);
    expect(r.code).toBe(0);
  });

  it('every shipped profile, with its faults removed, loses nothing, duplicates nothing and processes everything', async () => {
    const dir = path.join(REPO, 'experiments');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    const results: Array<ProfileResult & { consumers: number }> = [];
    for (const f of files) {
      const doc = YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { name: string; faults?: unknown; workload: { duration: string; consumers?: number } };
      delete doc.faults;
      doc.name = `baseline-${doc.name}`;
      doc.workload.duration = '5s';
      const s = setup(doc.name, YAML.stringify(doc));
      const r = await runCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
      const run = readRun(s.reports);
      expect(run.profiles.length, r.stdout + r.stderr).toBeGreaterThan(0);
      results.push(...run.profiles.map((p) => ({ ...p, consumers: doc.workload.consumers ?? 1 })));
    }
    for (const p of results) {
      const where = `${p.dir}: ${p.error ?? ''} ${(p.inconclusive ?? []).join('; ')}`;
      expect(p.status, where).toBe('ok');
      expect(p.violations, where).toEqual([]);
      const m = p.metrics!;
      expect(m.attempted, where).toBeGreaterThan(500);
      expect({ lost: m.lost, logDuplicates: m.logDuplicates, notProcessed: m.notProcessed, unknown: m.unknown, unsent: m.unsent }, where).toEqual({
        lost: 0,
        logDuplicates: 0,
        // n/a in the experiments without consumers
        notProcessed: p.consumers === 0 ? null : 0,
        unknown: 0,
        // a synchronous producer sends one message per round trip: below its offered rate the rest is never sent
        unsent: p.producer.mode === 'sync' ? m.unsent : 0,
      });
      // with transformers: the committed output holds every input once
      if (m.outputMissing !== null) {
        expect({ outputDuplicates: m.outputDuplicates, outputMissing: m.outputMissing, abortedRead: m.abortedRead, offsetsPastUnprocessed: m.offsetsPastUnprocessed }, where).toEqual({
          outputDuplicates: 0,
          outputMissing: 0,
          abortedRead: 0,
          offsetsPastUnprocessed: 0,
        });
      }
    }
  }, 1_500_000);
});
