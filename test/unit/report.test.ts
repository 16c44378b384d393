// Thresholds decide the verdict; the table and summary show what the result holds.
import { describe, expect, it } from 'vitest';
import { type Metrics, zeroMetrics } from '../../harness/reconcile/types.ts';
import { renderSummary, renderTable, verdict } from '../../harness/report/render.ts';
import type { ProfileResult, RunResult } from '../../harness/report/types.ts';
import { checkThresholds, describeThreshold } from '../../harness/run/thresholds.ts';
import { resolveConsumer, resolveProducer } from '../../harness/agents/kafkajs-driver.ts';

const metrics = (over: Partial<Metrics> = {}): Metrics => ({
  ...zeroMetrics(),
  attempted: 100,
  acked: 100,
  present: 100,
  processed: 100,
  logRecords: 100,
  ...over,
});

function profile(name: string, over: Partial<ProfileResult> = {}): ProfileResult {
  return {
    profile: name,
    status: 'ok',
    dir: `/r/${name}`,
    producer: resolveProducer({}),
    consumer: resolveConsumer({ strategy: 'process-then-commit' }),
    topicConfig: { 'min.insync.replicas': '2' },
    brokerConfig: {},
    versions: { kafka: '4.3.1' },
    metrics: metrics(),
    violations: [],
    thresholds: [],
    passed: true,
    timeline: [],
    tornLedgerTails: [],
    durations: { total: 1000 },
    ...over,
  };
}

describe('checkThresholds', () => {
  it('checks min and max inclusively against the metrics', () => {
    const checks = checkThresholds({ lost: { max: 0 }, logDuplicates: { min: 1 }, acked: { min: 100, max: 100 } }, metrics({ lost: 1 }));
    expect(checks).toEqual([
      { metric: 'lost', max: 0, actual: 1, pass: false },
      { metric: 'logDuplicates', min: 1, actual: 0, pass: false },
      { metric: 'acked', min: 100, max: 100, actual: 100, pass: true },
    ]);
    expect(checks.map(describeThreshold)).toEqual(['<= 0', '>= 1', '= 100']);
  });
});

describe('report rendering', () => {
  const run: RunResult = {
    tool: 'kafka-chaos',
    runId: 'r1',
    experiment: 'exp',
    file: '/e.yaml',
    seed: 1,
    backend: 'local',
    startedAt: 'a',
    finishedAt: 'b',
    runDir: '/r',
    schedule: [],
    exitCode: 2,
    profiles: [
      profile('good'),
      profile('missed', { passed: false, metrics: metrics({ lost: 7, acked: 93 }), thresholds: [{ metric: 'lost', max: 0, actual: 7, pass: false }] }),
      profile('broken', { status: 'error', error: 'broker 2 exited during start-up', passed: false }),
      profile('violated', { passed: false, violations: [{ identity: 'every processed id is known', detail: 'p9:1' }] }),
    ],
  };

  it('gives each profile its verdict', () => {
    expect(run.profiles.map(verdict)).toEqual(['PASS', 'FAIL', 'ERROR', 'ERROR']);
  });

  it('puts the metrics in the table', () => {
    const lines = renderTable(run).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[3]).toMatch(/^\| missed +\| +100 \| +93 \| +0 \| +0 \| +7 \|/);
    expect(lines[3]).toMatch(/FAIL \|$/);
  });

  it('the summary names the harness error, the violated identity and the missed threshold', () => {
    const md = renderSummary(run);
    expect(md).toContain('**Harness error:** broker 2 exited during start-up');
    expect(md).toContain('**Identity violated** (every processed id is known): p9:1');
    expect(md).toContain('| lost <= 0 | 7 | **missed** |');
  });
});
