// Reports of whole runs on a real local cluster: --repeat gives k of n per metric that
// matches the repetitions' own results, every reporter writes its file (JUnit valid
// against the schema), each profile has its Watch series, and a matrix over two clients
// gives one table with both columns.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProfileResult } from '../../harness/report/types.ts';
import type { SeriesPoint } from '../../harness/watch/series.ts';
import { readRun, REPO, runCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

function logTail(dir: string): string {
  const file = path.join(dir, 'run.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').slice(-30).join('\n') : '(no run.log)';
}

const SHORT = `name: it-short
seed: 3
workload:
  duration: 5s
  rate: 300
  consumers: 1
faults:
  - { at: 1s, action: network.reset, target: leader, partition: 0, link: client, restartAfter: 1500ms }
profiles:
  - name: acks-0
    producer: { acks: 0 }
`;

describe.skipIf(!prereq.ok)('reports of real runs', () => {
  it('--repeat 3: k of 3 per metric matches the three runs, every reporter writes its file, each run has its Watch series', async () => {
    const dir = tempDir('it-repeat');
    const file = path.join(dir, 'short.yaml');
    fs.writeFileSync(file, SHORT);
    const reports = path.join(dir, 'reports');
    const r = await runCli(['run', file, '--cluster', 'local', '--repeat', '3', '--reports', reports, '--reporter', 'console', 'markdown', 'junit']);
    const run = readRun(reports);
    expect(run.repeat, r.stderr).toBe(3);
    expect(run.profiles.map((p) => [p.profile, p.repetition])).toEqual([
      ['acks-0', 1],
      ['acks-0', 2],
      ['acks-0', 3],
    ]);
    // each repetition has its own directory and result.json; k of n is theirs
    const own = run.profiles.map((p) => JSON.parse(fs.readFileSync(path.join(p.dir, 'result.json'), 'utf8')) as ProfileResult);
    expect(own.map((p) => p.dir)).toEqual(run.profiles.map((p) => p.dir));
    // a repetition that did not finish says why, with the end of its log
    for (const p of own) expect(p.status, `repetition ${p.repetition}: ${p.error ?? p.inconclusive?.join('; ')}\n${logTail(p.dir)}`).toBe('ok');
    const summary = run.repetitions![0]!;
    expect(summary.runs).toBe(3);
    expect(summary.passed).toBe(own.filter((p) => p.passed).length);
    for (const metric of ['attempted', 'acked', 'lost', 'unknown', 'notProcessed', 'processedTwice'] as const) {
      const values = own.map((p) => p.metrics![metric] as number).sort((a, b) => a - b);
      expect(summary.metrics[metric], metric).toEqual({ k: values.filter((v) => v > 0).length, n: 3, min: values[0], median: values[1], max: values[2] });
    }
    const md = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    expect(md).toContain('## Repetitions (3 runs of each profile, each on a fresh cluster)');
    expect(md).toContain('## Profile `acks-0#3`');
    // JUnit: one testcase per repetition, valid against the schema
    const junit = fs.readFileSync(path.join(run.runDir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(3);
    expect(junit).toContain('name="acks-0#2"');
    execFileSync('xmllint', ['--noout', '--schema', path.join(REPO, 'test', 'fixtures', 'junit.xsd'), path.join(run.runDir, 'junit.xml')]);
    // the Watch series: a point per second, the cluster asked, the producer's seconds counted
    for (const p of own) {
      const points = fs.readFileSync(path.join(p.dir, 'series.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SeriesPoint);
      expect(points.length).toBeGreaterThanOrEqual(5);
      expect(points.filter((x) => x.partitions !== null).length).toBeGreaterThan(points.length / 2);
      expect(points.reduce((n, x) => n + x.sent, 0)).toBeLessThanOrEqual(p.metrics!.attempted);
      expect(points.reduce((n, x) => n + x.sent, 0)).toBeGreaterThan(p.metrics!.attempted / 2);
      expect(points.some((x) => x.lag !== null)).toBe(true);
    }
  }, 900_000);

  it('a matrix over two clients: one table, both columns', async () => {
    const dir = tempDir('it-matrix');
    const file = path.join(dir, 'short.yaml');
    fs.writeFileSync(file, SHORT.replace('acks: 0', 'acks: all'));
    const reports = path.join(dir, 'reports');
    const r = await runCli(['matrix', file, '--cluster', 'local', '--client', 'kafkajs', 'java', '--reports', reports, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const mdFile = fs.readdirSync(reports).find((f) => f.endsWith('-matrix.md'))!;
    const md = fs.readFileSync(path.join(reports, mdFile), 'utf8');
    const lines = md.split('\n').filter((l) => l.startsWith('| '));
    expect(lines[0]).toBe('| experiment | profile | kafkajs, local | java, local |');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\| it-short \| acks-0 \| PASS: lost 0, .* \| PASS: lost 0, .* \|$/);
    expect(fs.existsSync(path.join(reports, mdFile.replace(/\.md$/, '.html')))).toBe(true);
    // the two runs ran on their clients
    const runs = fs.readdirSync(reports).filter((f) => fs.existsSync(path.join(reports, f, 'result.json')));
    const clients = runs.map((f) => (JSON.parse(fs.readFileSync(path.join(reports, f, 'result.json'), 'utf8')) as { profiles: ProfileResult[] }).profiles[0]!.client?.name).sort();
    expect(clients).toEqual(['java', 'kafkajs']);
  }, 900_000);
});
