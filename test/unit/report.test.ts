// Thresholds decide the verdict; the table and summary show what the result holds.
import { describe, expect, it } from 'vitest';
import { type Metrics, zeroMetrics } from '../../harness/reconcile/types.ts';
import { findings, formatCount, renderSummary, renderTable, tableColumns, verdict } from '../../harness/report/render.ts';
import type { ProfileResult, RunResult } from '../../harness/report/types.ts';
import { checkThresholds, describeThreshold } from '../../harness/run/thresholds.ts';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';

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

  it('fails a threshold on a metric that is n/a (null), whatever its bounds', () => {
    const none = { ...zeroMetrics({ consumers: false }), attempted: 10, acked: 10, present: 10, logRecords: 10 };
    expect(none.notProcessed).toBeNull();
    // null would compare as 0 (null <= 0 and null >= 0 are both true in JavaScript): it must not
    const checks = checkThresholds({ notProcessed: { max: 0 }, endToEndLost: { min: 0 }, processed: { min: 0, max: 10 }, lost: { max: 0 } }, none);
    expect(checks).toEqual([
      { metric: 'notProcessed', max: 0, actual: null, pass: false },
      { metric: 'endToEndLost', min: 0, actual: null, pass: false },
      { metric: 'processed', min: 0, max: 10, actual: null, pass: false },
      { metric: 'lost', max: 0, actual: 0, pass: true },
    ]);
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

/** The cells of one markdown table row, trimmed. */
function cells(line: string): string[] {
  return line.split('|').slice(1, -1).map((c) => c.trim());
}

function runOf(profiles: ProfileResult[]): RunResult {
  return {
    tool: 'kafka-chaos',
    runId: 'r2',
    experiment: 'exp',
    file: '/e.yaml',
    seed: 1,
    backend: 'local',
    startedAt: 'a',
    finishedAt: 'b',
    runDir: '/r',
    schedule: [],
    exitCode: 0,
    profiles,
  };
}

describe('report rendering: n/a, inconclusive, rarer columns, findings', () => {
  it('renders n/a for the consumer metrics of a profile without consumers', () => {
    const noConsumers = profile('noconsumers', { metrics: { ...zeroMetrics({ consumers: false }), attempted: 50, acked: 48, unknown: 2, present: 49, logRecords: 49, landedUnacked: 1 } });
    const run = runOf([profile('withconsumers'), noConsumers]);
    const [header, , withRow, noRow] = renderTable(run).split('\n').map(cells);
    const col = (title: string) => header!.indexOf(title);
    for (const title of ['lost after consume', 'not processed', 'processed twice+', 'end-to-end lost']) {
      expect(col(title)).toBeGreaterThan(0);
      expect(noRow![col(title)]).toBe('n/a');
      expect(withRow![col(title)]).toBe('0');
    }
    expect(noRow![col('attempted')]).toBe('50');
    expect(noRow![col('landed unacked')]).toBe('1');
    expect(noRow![col('lost')]).toBe('0');
    expect(noRow!.filter((c) => c === 'n/a')).toHaveLength(4);
    expect(formatCount(noConsumers, 'processed')).toBe('n/a');
    expect(formatCount(noConsumers, 'present')).toBe('49');
    expect(formatCount(profile('nometrics', { metrics: undefined }), 'lost')).toBe('-');
  });

  it('shows n/a for the actual of a threshold on a metric that does not apply', () => {
    const p = profile('na', {
      metrics: zeroMetrics({ consumers: false }),
      passed: false,
      thresholds: [{ metric: 'notProcessed', max: 0, actual: null, pass: false }],
    });
    expect(renderSummary(runOf([p]))).toContain('| notProcessed <= 0 | n/a | **missed** |');
  });

  it('an inconclusive profile is INCONCLUSIVE, with its reasons in the summary', () => {
    const reasons = ['consumers did not drain within 60s', 'producer p1 died during the workload'];
    const p = profile('unsettled', { status: 'inconclusive', inconclusive: reasons, passed: false });
    expect(verdict(p)).toBe('INCONCLUSIVE');
    // a violated identity still makes it an ERROR
    expect(verdict({ ...p, violations: [{ identity: 'x', detail: 'y' }] })).toBe('ERROR');
    const run = runOf([profile('good'), p]);
    const rows = renderTable(run).split('\n').map(cells);
    expect(rows[3]![0]).toBe('unsettled');
    expect(rows[3]!.at(-1)).toBe('INCONCLUSIVE');
    const md = renderSummary(run);
    expect(md).toContain('## Profile `unsettled`: INCONCLUSIVE');
    for (const r of reasons) expect(md).toContain(`**Did not settle** (the numbers below are not a result): ${r}`);
    expect(md.match(/Did not settle/g)).toHaveLength(2);
  });

  it("a 'nonzero' column appears only when some profile has it", () => {
    const plain = runOf([profile('a'), profile('b')]);
    expect(tableColumns(plain.profiles).map((c) => c.name)).not.toContain('unsent');
    expect(renderTable(plain).split('\n')[0]).not.toContain('unsent');
    // 'never' columns are never in the table
    expect(tableColumns(plain.profiles).map((c) => c.name)).not.toContain('present');

    const withUnsent = runOf([profile('a'), profile('b', { metrics: metrics({ unsent: 3 }) })]);
    expect(tableColumns(withUnsent.profiles).map((c) => c.name)).toContain('unsent');
    expect(tableColumns(withUnsent.profiles).map((c) => c.name)).not.toContain('belowLogStart');
    const [header, , a, b] = renderTable(withUnsent).split('\n').map(cells);
    const col = header!.indexOf('unsent');
    expect(col).toBeGreaterThan(0);
    expect(a![col]).toBe('0');
    expect(b![col]).toBe('3');
    // a profile without metrics (a harness error) does not bring the column
    expect(tableColumns([profile('a'), profile('err', { status: 'error', metrics: undefined })]).map((c) => c.name)).not.toContain('unsent');
  });

  it('findings name writes acknowledged at a foreign offset, only when there are some', () => {
    expect(findings(profile('clean'))).toEqual([]);
    const p = profile('foreign', {
      metrics: metrics({ lost: 3, ackedAtForeignOffset: 2, acked: 100, present: 97 }),
      examples: { lost: ['p0:5', 'p0:9', 'p0:12'], ackedAtForeignOffset: ['p0:5', 'p0:9'] },
    });
    const lines = findings(p);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('the client acknowledged 2 write(s) it never appended');
    expect(lines[0]).toContain('e.g. p0:5, p0:9');
    expect(renderSummary(runOf([p]))).toContain(`- ${lines[0]}`);
  });

  it('findings name acknowledgements without an offset unless acks=0, where every ack has none', () => {
    const p = profile('no-offset', { metrics: metrics({ lost: 5, acked: 100, present: 95 }), acksWithoutOffset: { acked: 7, lost: 5 } });
    expect(findings(p)).toEqual([
      '**the client acknowledged 7 write(s) without an offset**: it resolved the send with no result for the message\'s partition; 5 of them are not in the log (counted in lost: the application was told they were written)',
    ]);
    expect(findings({ ...p, producer: { ...p.producer, acks: 0 } })).toEqual([]);
    expect(findings({ ...p, acksWithoutOffset: { acked: 0, lost: 0 } })).toEqual([]);
  });

  it('findings put reordering next to the retries, at times relative to the workload start', () => {
    const start = 1_700_000_000_000;
    const retries = { batches: 1, messages: 4, resends: 2, firstAt: start + 1500, lastAt: start + 2500, overtakenRetried: 2 };
    const p = profile('reordered', { metrics: metrics({ reordered: 2, reorderedPairs: 3 }), retries, workloadStartedAt: start });
    expect(findings(p)).toEqual([
      '2 message(s) landed out of send order (3 inverted pairs); the client retried 1 batch(es) (4 messages, 2 resends) between 1.5s and 2.5s, and 2 of their messages landed after a later send',
    ]);
  });
});
