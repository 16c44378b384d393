// The reporters: the registry, what each one writes, junit.xml against a JUnit schema, and
// reports written again from an old run's result.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { create } from 'xmlbuilder2';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';
import { type Metrics, zeroMetrics } from '../../harness/reconcile/types.ts';
import { renderSummary, renderTable } from '../../harness/report/render.ts';
import { DEFAULT_REPORTERS, REPORTERS, type Reporter, resolveReporters, runProfileReporters, runReporters, UnknownReporterError } from '../../harness/report/reporter.ts';
import { renderJunit } from '../../harness/report/reporters/junit.ts';
import { readRunResult, RunDirError, rerenderRun } from '../../harness/report/rerender.ts';
import type { ProfileResult, RunResult } from '../../harness/report/types.ts';
import { UsageError } from '../../harness/util/errors.ts';

const XSD = path.resolve(import.meta.dirname, '../fixtures/junit.xsd');

const xmllint = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
const HAVE_XMLLINT = !xmllint.error && xmllint.status === 0;
const ON_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** Without xmllint: skips the test, saying why, or on CI fails it. */
function requireXmllint(skip: (note: string) => never): void {
  if (HAVE_XMLLINT) return;
  const why = 'xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils), so junit.xml cannot be checked against test/fixtures/junit.xsd';
  if (ON_CI) throw new Error(`${why}; with CI set this check must run`);
  console.warn(`skipped: ${why}`);
  skip(why);
}

/** Validates a file against test/fixtures/junit.xsd with xmllint. */
function validateJunit(file: string, skip: (note: string) => never): void {
  requireXmllint(skip);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  expect(r.stderr, `xmllint on ${file}`).toContain('validates');
  expect(r.status, r.stderr).toBe(0);
}

const metrics = (over: Partial<Metrics> = {}): Metrics => ({
  ...zeroMetrics(),
  attempted: 1000,
  acked: 1000,
  present: 1000,
  processed: 1000,
  logRecords: 1000,
  ...over,
});

function profile(runDir: string, name: string, over: Partial<ProfileResult> = {}): ProfileResult {
  return {
    profile: name,
    status: 'ok',
    dir: path.join(runDir, 'profiles', name),
    topic: 'chaos',
    client: { name: 'kafkajs', version: '2.2.4' },
    producer: resolveProducer({}),
    consumer: resolveConsumer({ strategy: 'process-then-commit' }),
    topicConfig: { 'min.insync.replicas': '2' },
    brokerConfig: {},
    versions: { kafka: '4.3.1' },
    metrics: metrics(),
    violations: [],
    thresholds: [{ metric: 'lost', max: 0, actual: 0, pass: true }],
    passed: true,
    timeline: [],
    tornLedgerTails: [],
    durations: { total: 61_500 },
    ...over,
  };
}

/** PASS, FAIL (one missed threshold of two), ERROR (an identity violated), INCONCLUSIVE, INTERRUPTED. */
function syntheticRun(runDir: string, over: Partial<RunResult> = {}): RunResult {
  return {
    tool: 'kafka-chaos',
    runId: '20260101T000000Z-leader-kill',
    experiment: 'leader-kill',
    file: '/experiments/leader-kill.yaml',
    seed: 7,
    backend: 'local',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:05:00.000Z',
    runDir,
    schedule: [],
    exitCode: 2,
    profiles: [
      profile(runDir, 'good'),
      profile(runDir, 'missed', {
        passed: false,
        metrics: metrics({ acked: 988, lost: 12, unknown: 12 }),
        thresholds: [
          { metric: 'lost', max: 0, actual: 12, pass: false },
          { metric: 'logDuplicates', max: 0, actual: 0, pass: true },
        ],
      }),
      profile(runDir, 'broken', {
        passed: false,
        violations: [{ identity: 'acked-offset', detail: 'p0:17 acked at offset 40 twice <in> "two" partitions & more' }],
      }),
      profile(runDir, 'unsettled', { status: 'inconclusive', passed: false, inconclusive: ['the consumers did not drain: not running: consumer-c2'] }),
      profile(runDir, 'stopped', { status: 'interrupted', passed: false, error: 'SIGINT', metrics: undefined, thresholds: [] }),
    ],
    ...over,
  };
}

/** A small DOM view of the parsed XML (xmlbuilder2 parses into a standard DOM). */
interface El {
  readonly nodeName: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
}
const parseXml = (xml: string) => create(xml).root().node as unknown as El;
const all = (el: El, tag: string) => Array.from(el.getElementsByTagName(tag));
const testcases = (root: El) => new Map(all(root, 'testcase').map((tc) => [tc.getAttribute('name')!, tc]));

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-reporters-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the reporter registry', () => {
  it('has the defaults console, markdown and json, all of them registered', () => {
    expect(DEFAULT_REPORTERS).toEqual(['console', 'markdown', 'json', 'html']);
    for (const name of DEFAULT_REPORTERS) expect(REPORTERS[name]?.name).toBe(name);
    expect(Object.keys(REPORTERS)).toEqual(expect.arrayContaining(['console', 'markdown', 'json', 'junit', 'github']));
    for (const [name, e] of Object.entries(REPORTERS)) {
      expect(e.name).toBe(name);
      expect(e.description).toMatch(/^\S.*\S$/);
      expect(e.description).not.toContain('\n');
      const r = e.create({ write: () => {}, env: {} });
      expect(r.name).toBe(name);
      expect(r.description).toBe(e.description);
    }
  });

  it('resolves names in order, a comma-separated list too, each name once', () => {
    expect(resolveReporters(DEFAULT_REPORTERS).map((r) => r.name)).toEqual(['console', 'markdown', 'json', 'html']);
    expect(resolveReporters(['junit,console', 'junit', ' github ']).map((r) => r.name)).toEqual(['junit', 'console', 'github']);
    expect(resolveReporters([])).toEqual([]);
  });

  it('refuses an unknown name, listing the known ones', () => {
    let err: unknown;
    try {
      resolveReporters(['console', 'xml']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownReporterError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UnknownReporterError).reporter).toBe('xml');
    expect((err as Error).message).toBe(`unknown reporter "xml"; the reporters are: ${Object.keys(REPORTERS).join(', ')}`);
    expect((err as Error).message).toContain('console, markdown, json, junit, github');
  });

  it('runs every reporter even when one throws, and returns the errors and the files written', async () => {
    const ran: string[] = [];
    const fake = (name: string, fail: boolean): Reporter => ({
      name,
      description: name,
      async runFinished() {
        ran.push(name);
        if (fail) throw new Error(`${name} broke`);
        return [`/out/${name}`];
      },
    });
    const silent: Reporter = { name: 'silent', description: 'has no hooks' };
    const out = await runReporters([fake('a', false), fake('b', true), silent, fake('c', false)], syntheticRun(tmp));
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(out.written).toEqual(['/out/a', '/out/c']);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ reporter: 'b', hook: 'runFinished', message: 'b reporter: b broke' });
  });
});

describe('console', () => {
  it('prints the outcome table, the problems and the report path through its sink', async () => {
    const run = syntheticRun(tmp);
    let printed = '';
    const out = await runReporters(resolveReporters(['console'], { write: (s) => (printed += s) }), run);
    expect(out).toEqual({ written: [], errors: [] });
    expect(printed).toBe(
      `\n${renderTable(run)}\n\n` +
        'missed: threshold missed: lost is 12\n' +
        'broken: IDENTITY VIOLATED (acked-offset): p0:17 acked at offset 40 twice <in> "two" partitions & more\n' +
        'unsettled: INCONCLUSIVE, did not settle: the consumers did not drain: not running: consumer-c2\n' +
        'stopped: interrupted: SIGINT\n' +
        `report: ${path.join(tmp, 'summary.md')}\n`,
    );
    // nothing else is written
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('prints exactly the table and the report line for a run where every profile passed', async () => {
    const run = syntheticRun(tmp, { exitCode: 0 });
    run.profiles = run.profiles.slice(0, 1);
    let printed = '';
    await runReporters(resolveReporters(['console'], { write: (s) => (printed += s) }), run);
    expect(printed).toBe(`\n${renderTable(run)}\n\nreport: ${path.join(tmp, 'summary.md')}\n`);
  });
});

describe('markdown and json', () => {
  it('markdown writes summary.md', async () => {
    const run = syntheticRun(tmp);
    const out = await runReporters(resolveReporters(['markdown']), run);
    expect(out).toEqual({ written: [path.join(tmp, 'summary.md')], errors: [] });
    expect(fs.readFileSync(path.join(tmp, 'summary.md'), 'utf8')).toBe(renderSummary(run));
  });

  it('summary.md says when the group\'s commits failed and how many rebalance assignments there were', () => {
    const series = (commitFailures: { count: number; firstS: number | null; lastS: number | null }) => ({ file: 'series.jsonl', points: 30, unknownSamples: 2, commitFailures, rebalances: 4 });
    const run = syntheticRun(tmp, {
      profiles: [
        profile(tmp, 'a', { series: series({ count: 65, firstS: 6, lastS: 21 }) }),
        profile(tmp, 'b', { series: series({ count: 3, firstS: 7, lastS: 7 }) }),
        profile(tmp, 'c', { series: series({ count: 0, firstS: null, lastS: null }) }),
        profile(tmp, 'd', { series: { file: 'series.jsonl', points: 30, unknownSamples: 0 } }),
      ],
    });
    const lines = renderSummary(run).split('\n').filter((l) => l.startsWith('- Watch series'));
    expect(lines).toEqual([
      '- Watch series: `series.jsonl` in the profile directory, 30 second(s), 2 of them without an answer from the cluster; 65 failed commit(s) between +6s and +22s, 4 assignment(s) of members in rebalances',
      '- Watch series: `series.jsonl` in the profile directory, 30 second(s), 2 of them without an answer from the cluster; 3 failed commit(s) at +7s, 4 assignment(s) of members in rebalances',
      '- Watch series: `series.jsonl` in the profile directory, 30 second(s), 2 of them without an answer from the cluster; no failed commits, 4 assignment(s) of members in rebalances',
      '- Watch series: `series.jsonl` in the profile directory, 30 second(s)',
    ]);
  });

  it('json writes result.json and every profile\'s result.json, and a profile\'s as it finishes', async () => {
    const run = syntheticRun(tmp);
    const [json] = resolveReporters(['json']);
    const early = await runProfileReporters([json!], run.profiles[1]!, run);
    expect(early).toEqual({ written: [path.join(tmp, 'profiles', 'missed', 'result.json')], errors: [] });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'profiles', 'missed', 'result.json'), 'utf8'))).toEqual(run.profiles[1]);

    const out = await runReporters([json!], run);
    expect(out.errors).toEqual([]);
    expect(out.written).toEqual([path.join(tmp, 'result.json'), ...run.profiles.map((p) => path.join(p.dir, 'result.json'))]);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'result.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(run)));
    for (const p of run.profiles) expect(JSON.parse(fs.readFileSync(path.join(p.dir, 'result.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(p)));
  });
});

describe('junit', () => {
  it('writes junit.xml that the JUnit schema accepts', async ({ skip }) => {
    const run = syntheticRun(tmp);
    const out = await runReporters(resolveReporters(['junit']), run);
    expect(out).toEqual({ written: [path.join(tmp, 'junit.xml')], errors: [] });
    validateJunit(path.join(tmp, 'junit.xml'), skip);
  });

  it('the schema refuses what is not JUnit XML (it checks something)', ({ skip }) => {
    const bad = path.join(tmp, 'bad.xml');
    fs.writeFileSync(bad, '<testsuites><testsuite name="x" tests="1"><testcase classname="c"><failure/></testcase></testsuite></testsuites>\n');
    requireXmllint(skip);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, bad], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("The attribute 'name' is required");
  });

  it('is one testsuite for the run with its counts and one testcase per profile', () => {
    const run = syntheticRun(tmp);
    const root = parseXml(renderJunit(run));
    const suites = all(root, 'testsuite');
    expect(suites).toHaveLength(1);
    const suite = suites[0]!;
    expect(suite.getAttribute('name')).toBe('leader-kill');
    expect(suite.getAttribute('tests')).toBe('5');
    // one count per testcase, by its verdict: FAIL a failure, ERROR and INCONCLUSIVE errors, INTERRUPTED skipped
    expect(suite.getAttribute('failures')).toBe('1');
    expect(suite.getAttribute('errors')).toBe('2');
    expect(suite.getAttribute('skipped')).toBe('1');
    expect(suite.getAttribute('time')).toBe('300.000');
    expect(suite.getAttribute('timestamp')).toBe('2026-01-01T00:00:00.000Z');
    const props = Object.fromEntries(all(suite, 'property').map((p) => [p.getAttribute('name'), p.getAttribute('value')]));
    expect(props).toMatchObject({ runId: run.runId, seed: '7', exitCode: '2' });
    const cases = testcases(root);
    expect([...cases.keys()]).toEqual(['good', 'missed', 'broken', 'unsettled', 'stopped']);
    for (const tc of cases.values()) {
      expect(tc.getAttribute('classname')).toBe('leader-kill');
      expect(tc.getAttribute('time')).toBe('61.500');
    }
    const good = cases.get('good')!;
    expect(all(good, 'failure').length + all(good, 'error').length + all(good, 'skipped').length).toBe(0);
    const out = all(good, 'system-out')[0]!.textContent!;
    expect(out).toContain('profile good: PASS');
    expect(out).toContain('client: kafkajs (2.2.4)');
    expect(out).toContain('attempted: 1000');
    expect(out).toContain('lost: 0');
  });

  it('gives a missed threshold exactly one failure, with the counts', () => {
    const missed = testcases(parseXml(renderJunit(syntheticRun(tmp)))).get('missed')!;
    const failures = all(missed, 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.getAttribute('type')).toBe('threshold');
    expect(failures[0]!.getAttribute('message')).toBe('lost 12 > max 0');
    const text = failures[0]!.textContent!;
    expect(text).toContain('expected lost <= 0, got 12');
    for (const line of ['attempted: 1000', 'acked: 988', 'unknown: 12', 'lost: 12', 'logDuplicates: 0', 'notProcessed: 0']) expect(text).toContain(line);
    expect(all(missed, 'error')).toHaveLength(0);
  });

  it('gives an identity violation, an inconclusive run and a harness error an error each, and an interrupted profile skipped', () => {
    const run = syntheticRun(tmp);
    run.profiles.push(profile(tmp, 'crashed', { status: 'error', passed: false, error: 'the Toxiproxy container did not start', metrics: undefined, thresholds: [] }));
    const cases = testcases(parseXml(renderJunit(run)));
    const broken = all(cases.get('broken')!, 'error');
    expect(broken).toHaveLength(1);
    expect(broken[0]!.getAttribute('type')).toBe('identity');
    expect(broken[0]!.getAttribute('message')).toBe('identity violated (acked-offset): p0:17 acked at offset 40 twice <in> "two" partitions & more');
    const unsettled = all(cases.get('unsettled')!, 'error');
    expect(unsettled.map((e) => [e.getAttribute('type'), e.getAttribute('message')])).toEqual([['inconclusive', 'did not settle: the consumers did not drain: not running: consumer-c2']]);
    const crashed = all(cases.get('crashed')!, 'error');
    expect(crashed.map((e) => [e.getAttribute('type'), e.getAttribute('message')])).toEqual([['harness', 'the Toxiproxy container did not start']]);
    const stopped = cases.get('stopped')!;
    expect(all(stopped, 'skipped').map((s) => s.getAttribute('message'))).toEqual(['interrupted: SIGINT']);
    expect(all(stopped, 'error').length + all(stopped, 'failure').length).toBe(0);
  });

  it('names a repetition profile#n and keeps text XML cannot hold out of the file', async ({ skip }) => {
    const run = syntheticRun(tmp);
    run.profiles = [{ ...profile(tmp, 'again', { status: 'error', passed: false, error: '\x1b[31mboom\x1b[0m \x00 done' }), repetition: 2 } as ProfileResult];
    const xml = renderJunit(run);
    const tc = testcases(parseXml(xml)).get('again#2')!;
    expect(all(tc, 'error')[0]!.getAttribute('message')).toBe('boom \uFFFD done');
    await runReporters(resolveReporters(['junit']), run);
    validateJunit(path.join(tmp, 'junit.xml'), skip);
  });
});

describe('github', () => {
  it('appends the Markdown summary to $GITHUB_STEP_SUMMARY', async () => {
    const summary = path.join(tmp, 'step-summary.md');
    fs.writeFileSync(summary, 'earlier step');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary);
    const run = syntheticRun(path.join(tmp, 'run'));
    const out = await runReporters(resolveReporters(['github']), run);
    expect(out).toEqual({ written: [summary], errors: [] });
    expect(fs.readFileSync(summary, 'utf8')).toBe(`earlier step\n${renderSummary(run)}`);
    await runReporters(resolveReporters(['github']), run);
    expect(fs.readFileSync(summary, 'utf8')).toBe(`earlier step\n${renderSummary(run)}${renderSummary(run)}`);
    expect(fs.existsSync(run.runDir)).toBe(false);
  });

  it('does nothing, and says nothing, without $GITHUB_STEP_SUMMARY', async () => {
    let printed = '';
    const run = syntheticRun(tmp);
    const out = await runReporters(resolveReporters(['github'], { env: {}, write: (s) => (printed += s) }), run);
    expect(out).toEqual({ written: [], errors: [] });
    expect(printed).toBe('');
    expect(fs.readdirSync(tmp)).toEqual([]);
    const empty = await runReporters(resolveReporters(['github'], { env: { GITHUB_STEP_SUMMARY: '' } }), run);
    expect(empty.written).toEqual([]);
  });
});

describe('rerenderRun', () => {
  it('writes summary.md and junit.xml again from an old run\'s result.json, where the run is now', async ({ skip }) => {
    // the run was written elsewhere and moved here
    const old = syntheticRun('/somewhere/else/20260101T000000Z-leader-kill');
    fs.writeFileSync(path.join(tmp, 'result.json'), JSON.stringify(old, null, 2));
    const out = await rerenderRun(tmp, ['markdown', 'junit']);
    expect(out.errors).toEqual([]);
    expect(out.written).toEqual([path.join(tmp, 'summary.md'), path.join(tmp, 'junit.xml')]);
    expect(out.run.runDir).toBe(tmp);
    expect(out.run.profiles.map((p) => p.dir)).toEqual(old.profiles.map((p) => path.join(tmp, 'profiles', p.profile)));
    expect(fs.readFileSync(path.join(tmp, 'summary.md'), 'utf8')).toBe(renderSummary(old));
    const junit = fs.readFileSync(path.join(tmp, 'junit.xml'), 'utf8');
    expect(junit).toBe(renderJunit(out.run));
    expect(all(testcases(parseXml(junit)).get('missed')!, 'failure')).toHaveLength(1);
    // result.json is read, not rewritten, unless the json reporter is asked for
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'result.json'), 'utf8')).runDir).toBe(old.runDir);
    validateJunit(path.join(tmp, 'junit.xml'), skip);
  });

  it('says so for a directory without result.json, before writing anything', async () => {
    await expect(rerenderRun(tmp, ['markdown'])).rejects.toThrow(new RunDirError(`not a kafka-chaos run directory: ${tmp} has no result.json`));
    await expect(rerenderRun(tmp, ['markdown'])).rejects.toBeInstanceOf(RunDirError);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('says what is wrong with a result.json that is not a run\'s', () => {
    fs.writeFileSync(path.join(tmp, 'result.json'), '{"tool": "kafka-chaos", "profiles": [');
    expect(() => readRunResult(tmp)).toThrow(/not a kafka-chaos run directory: .*result\.json is not JSON/);
    const run = syntheticRun(tmp) as unknown as { profiles: Array<Record<string, unknown>> };
    delete run.profiles[1]!.violations;
    fs.writeFileSync(path.join(tmp, 'result.json'), JSON.stringify(run));
    expect(() => readRunResult(tmp)).toThrow(/is not a kafka-chaos result: profiles\[1\]\.violations: /);
  });

  it('refuses an unknown reporter before reading anything', async () => {
    await expect(rerenderRun(tmp, ['pdf'])).rejects.toBeInstanceOf(UnknownReporterError);
  });
});
