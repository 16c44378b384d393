// --repeat's k-of-n summary and the matrix table, on synthetic results.
import { describe, expect, it } from 'vitest';
import { renderMatrix, renderMatrixHtml } from '../../harness/report/matrix.ts';
import { renderRepetitions } from '../../harness/report/render.ts';
import { summariseRepetitions } from '../../harness/report/repetitions.ts';
import type { ProfileResult, RunResult } from '../../harness/report/types.ts';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';
import { zeroMetrics } from '../../harness/reconcile/metrics.ts';

function profile(name: string, rep: number | undefined, m: Partial<Record<string, number>>, passed = true): ProfileResult {
  return {
    profile: name,
    ...(rep !== undefined ? { repetition: rep } : {}),
    status: 'ok',
    dir: `/x/${name}`,
    producer: resolveProducer({}),
    consumer: resolveConsumer({ strategy: 'process-then-commit' }),
    topicConfig: {},
    brokerConfig: {},
    versions: {},
    metrics: { ...zeroMetrics({ consumers: true }), ...m },
    violations: [],
    thresholds: [],
    passed,
    timeline: [],
    tornLedgerTails: [],
    durations: {},
  };
}

function run(experiment: string, profiles: ProfileResult[]): RunResult {
  return { tool: 'kafka-chaos', runId: `r-${experiment}`, experiment, file: '/x.yaml', seed: 1, backend: 'local', startedAt: '', finishedAt: '', runDir: '/x', schedule: [], profiles, exitCode: 0 };
}

describe('summariseRepetitions', () => {
  it('per profile and metric: in how many runs it was above zero, and min, median and max', () => {
    const s = summariseRepetitions([profile('a', 1, { lost: 0 }), profile('a', 2, { lost: 12 }, false), profile('a', 3, { lost: 3 }), profile('b', 1, { lost: 0 })]);
    expect(s.map((x) => [x.profile, x.runs, x.passed])).toEqual([
      ['a', 3, 2],
      ['b', 1, 1],
    ]);
    expect(s[0]!.metrics.lost).toEqual({ k: 2, n: 3, min: 0, median: 3, max: 12 });
    expect(s[0]!.metrics.logDuplicates).toEqual({ k: 0, n: 3, min: 0, median: 0, max: 0 });
    // n/a metrics (null) are left out
    expect(s[0]!.metrics.unnoticedFailures).toBeUndefined();
    // a run that did not settle is not a result: left out of the spreads, and said so
    const withInconclusive = summariseRepetitions([profile('a', 1, { lost: 1 }), { ...profile('a', 2, { lost: 99 }, false), status: 'inconclusive' }]);
    expect(withInconclusive[0]!.excluded).toBe(1);
    expect(withInconclusive[0]!.metrics.lost).toEqual({ k: 1, n: 1, min: 1, median: 1, max: 1 });
    const table = renderRepetitions({ ...run('e', []), profiles: [profile('a', 1, {})], repeat: 3, repetitions: s });
    expect(table).toMatch(/\| a +\| 2 of 3 \|.*2\/3: 0, 3, 12/);
  });
});

describe('renderMatrix', () => {
  it('a row per experiment and profile, a column per combination', () => {
    const cols = [
      { combination: { client: 'kafkajs', cluster: 'local' }, runs: [run('p5', [profile('risky', undefined, { logDuplicates: 158 }), profile('safe', undefined, {})])] },
      { combination: { client: 'java', cluster: 'local' }, runs: [run('p5', [profile('risky', undefined, { logDuplicates: 44 }), profile('safe', undefined, {})])] },
    ];
    const md = renderMatrix(cols);
    const lines = md.split('\n');
    expect(lines[0]).toBe('| experiment | profile | kafkajs, local | java, local |');
    expect(lines[2]).toContain('| p5 | risky | PASS: lost 0, dup 158');
    expect(lines[2]).toContain('| PASS: lost 0, dup 44');
    expect(lines).toHaveLength(2 + 2 + 3);
    const html = renderMatrixHtml(cols);
    expect(html).toContain('<th>java, local</th>');
    expect(html.match(/<tr>/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|https?:/);
  });
});
