// The client-side experiments as shipped, through the CLI on a real local cluster:
// transactions under a broker kill and a transformer kill (kafkajs and the Java client),
// commitAsync with retries counting the commits that moved backwards, and the same
// leader kill on the three clients in one table.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../harness/ledger/reader.ts';
import type { SeriesPoint } from '../../harness/watch/series.ts';
import { readRun, REPO, runCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

function series(dir: string): SeriesPoint[] {
  return fs.readFileSync(path.join(dir, 'series.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SeriesPoint);
}

async function runShipped(name: string, extra: string[] = []) {
  const reports = path.join(tempDir(name), 'reports');
  const r = await runCli(['run', path.join(REPO, 'experiments', `${name}.yaml`), '--cluster', 'local', '--reports', reports, ...extra]);
  return { r, run: readRun(reports) };
}

describe.skipIf(!prereq.ok)('client-side experiments on a real cluster', () => {
  it('p8: transactions under a broker kill and a transformer kill give the committed output exactly once, and no aborted read', async () => {
    const { r, run } = await runShipped('p8-transactions');
    expect(run.profiles.map((p) => p.profile)).toEqual(['kafkajs', 'java']);
    for (const p of run.profiles) {
      const where = `${p.dir}: ${p.error ?? ''} ${(p.inconclusive ?? []).join('; ')}\n${r.stdout}${r.stderr}`;
      expect(p.status, where).toBe('ok');
      expect(p.violations, where).toEqual([]);
      expect(p.client?.name).toBe(p.profile);
      // both faults were applied: the broker and the transformer were killed and came back
      expect(p.timeline.map((t) => [t.action, t.appliedAt !== null, t.healedAt !== null])).toEqual([
        ['broker.kill', true, true],
        ['transformer.kill', true, true],
      ]);
      expect(fs.existsSync(path.join(p.dir, 'ledgers', 'transformer-t0.r1.jsonl')), where).toBe(true);
      const m = p.metrics!;
      expect({ outputDuplicates: m.outputDuplicates, outputMissing: m.outputMissing, abortedRead: m.abortedRead, offsetsPastUnprocessed: m.offsetsPastUnprocessed }, where).toEqual({
        outputDuplicates: 0,
        outputMissing: 0,
        abortedRead: 0,
        offsetsPastUnprocessed: 0,
      });
      expect(p.transactions!.committedTxns, where).toBeGreaterThan(0);
      // the series counts the transformers' commits and the rebalance after the kill
      const points = series(p.dir);
      expect(points.reduce((n, x) => n + x.commits!, 0), where).toBeGreaterThan(0);
      expect(points.reduce((n, x) => n + x.rebalances!, 0), where).toBeGreaterThan(0);
      // every input message is in the committed output once: the same ids, counted from the two final reads
      const input = (await readRecords(path.join(p.dir, 'final-read.jsonl'))).map((x) => x.id).filter((x) => x !== null).sort();
      const output = (await readRecords(path.join(p.dir, 'final-read-output.committed.jsonl'))).map((x) => x.id).sort();
      expect(input.length, where).toBeGreaterThan(1000);
      expect(output).toEqual(input);
    }
    expect(r.code).toBe(0);
  }, 600_000);

  it('c3: commitAsync whose callback retries moves committed offsets backwards, and the report counts them; commitSync never does', async () => {
    // a backward move needs a retried commit to land after a newer one: twice each, so that
    // one quiet run does not decide
    const { r, run } = await runShipped('c3-commit-sync-async', ['--repeat', '2']);
    for (const p of run.profiles) expect(p.status, `${p.dir}: ${p.error ?? ''} ${(p.inconclusive ?? []).join('; ')}`).toBe('ok');
    const asyncRetry = run.profiles.filter((p) => p.profile === 'commit-async-retry');
    const sync = run.profiles.filter((p) => p.profile === 'commit-sync');
    expect(asyncRetry.map((p) => p.client?.name)).toEqual(['java', 'java']);
    expect(asyncRetry.reduce((n, p) => n + p.metrics!.commitsBackwards!, 0), r.stdout).toBeGreaterThan(0);
    for (const p of asyncRetry) {
      // the count is the ledgers' own: provably later commits below the offset before them
      expect(p.backwardCommits!.length).toBe(Math.min(20, p.metrics!.commitsBackwards!));
      for (const b of p.backwardCommits!) expect(b.to).toBeLessThan(b.from);
    }
    for (const p of sync) expect(p.metrics!.commitsBackwards).toBe(0);
    // the Watch series shows the group: members leaving and joining rebalance it in every
    // run, and the backward moves came from failed commits, which the series counts
    for (const p of run.profiles) {
      const points = series(p.dir);
      expect(points.reduce((n, x) => n + x.rebalances!, 0), p.dir).toBeGreaterThan(0);
      expect(p.series!.rebalances).toBe(points.reduce((n, x) => n + x.rebalances!, 0));
    }
    // the Watch asks the cluster through a listener of its own: while every client link
    // drops its answers, the cluster's state is still known
    for (const p of run.profiles) {
      const points = series(p.dir);
      const outages = p.timeline.filter((f) => f.action === 'network.timeout' && f.appliedAtMs !== null && f.healedAtMs !== null);
      expect(outages, p.dir).toHaveLength(3);
      for (const f of outages) {
        const inside = points.filter((x) => x.t >= f.appliedAtMs! && x.t + 1000 <= f.healedAtMs!);
        expect(inside.length, `${p.dir} ${f.appliedAtMs}-${f.healedAtMs}`).toBeGreaterThan(0);
        expect(inside.filter((x) => x.partitions !== null).length, `${p.dir} ${f.appliedAtMs}-${f.healedAtMs}`).toBeGreaterThan(0);
      }
    }
    const failed = asyncRetry.map((p) => series(p.dir).reduce((n, x) => n + x.commitFailures!, 0));
    expect(failed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(asyncRetry.map((p) => p.series!.commitFailures!.count)).toEqual(failed);
    expect(run.repetitions!.find((x) => x.profile === 'commit-async-retry')!.metrics.commitsBackwards!.k).toBeGreaterThan(0);
    const summary = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/successful commit\(s\) moved a committed offset backwards/);
  }, 600_000);

  it('clients-leader-kill: one table, a row per client, each on its own client and version', async () => {
    const { r, run } = await runShipped('clients-leader-kill');
    expect(run.profiles.map((p) => p.client?.name)).toEqual(['kafkajs', 'librdkafka', 'java']);
    for (const p of run.profiles) {
      const where = `${p.dir}: ${p.error ?? ''} ${(p.inconclusive ?? []).join('; ')}`;
      expect(p.status, where).toBe('ok');
      expect(p.violations, where).toEqual([]);
      expect(p.metrics!.attempted, where).toBeGreaterThan(5000);
      expect(p.metrics!.lost, where).toBe(0);
    }
    const summary = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    const rows = summary.split('\n').filter((l) => /^\| (kafkajs|librdkafka|java) +\|/.test(l));
    expect(rows, r.stdout).toHaveLength(3);
  }, 600_000);
});
