// junit: junit.xml, the common JUnit XML format CI servers show as test results: the run is
// a <testsuite> named after the experiment, each profile (each repetition, later) a <testcase>.
import fs from 'node:fs';
import path from 'node:path';
import { create } from 'xmlbuilder2';
import { METRICS, type MetricName } from '../../reconcile/metrics.ts';
import { describeThreshold, type ThresholdCheck } from '../../run/thresholds.ts';
import { describeElr, findings, formatCount, verdict } from '../render.ts';
import type { ReporterEntry } from '../reporter.ts';
import type { ProfileResult, RunResult } from '../types.ts';

type Element = ReturnType<typeof create>;

/** The testcase name: the profile, with `#<n>` when the result is one repetition of it. */
export function testcaseName(p: ProfileResult): string {
  const rep = (p as ProfileResult & { repetition?: unknown }).repetition;
  return typeof rep === 'number' ? `${p.profile}#${rep}` : p.profile;
}

/** `lost 12 > max 0`: a missed threshold, as the failure's message. */
export function thresholdMessage(t: ThresholdCheck): string {
  if (t.actual === null) return `${t.metric} n/a (does not apply to the profile), expected ${describeThreshold(t)}`;
  if (t.max !== undefined && t.actual > t.max) return `${t.metric} ${t.actual} > max ${t.max}`;
  if (t.min !== undefined && t.actual < t.min) return `${t.metric} ${t.actual} < min ${t.min}`;
  return `${t.metric} ${t.actual}, expected ${describeThreshold(t)}`;
}

/** Every count of the profile, one per line (`lost: 12`; n/a where a metric does not apply). */
export function countLines(p: ProfileResult): string[] {
  if (!p.metrics) return ['counts: none (the profile ended before its history was reconciled)'];
  const metrics: Partial<Record<MetricName, number | null>> = p.metrics;
  // a result written before a metric existed does not have it
  return METRICS.filter((m) => metrics[m.name] !== undefined).map((m) => `${m.name}: ${formatCount(p, m.name as MetricName)}`);
}

/** The profile's summary, as the testcase's <system-out>. */
export function profileLines(p: ProfileResult): string[] {
  const out = [`profile ${testcaseName(p)}: ${verdict(p)}`];
  if (p.description) out.push(p.description);
  if (p.client) out.push(`client: ${p.client.name} (${p.client.version})`);
  out.push(`Kafka ${p.versions.kafka ?? '?'}; ${describeElr(p)}`);
  if (p.topic) out.push(`topic: ${p.topic}`);
  out.push('', ...countLines(p));
  if (p.thresholds.length > 0) {
    out.push('');
    for (const t of p.thresholds) out.push(`expect ${t.metric} ${describeThreshold(t)}: ${t.actual ?? 'n/a'} (${t.pass ? 'met' : 'missed'})`);
  }
  const found = findings(p).map((l) => l.replaceAll('**', ''));
  if (found.length > 0) out.push('', ...found);
  out.push('', `directory: ${p.dir}`);
  return out;
}

// colours from a child's output mean nothing in XML; characters XML cannot hold become U+FFFD
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
const clean = (s: string) => s.replace(ANSI, '');

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function isoTime(s: string): string | undefined {
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped';

/** How the testcase counts in the suite's totals: by the profile's verdict, one count per testcase. */
function outcome(p: ProfileResult): Outcome {
  switch (verdict(p)) {
    case 'PASS':
      return 'passed';
    case 'FAIL':
      return 'failure';
    case 'INTERRUPTED':
      return 'skipped';
    default:
      return 'error'; // ERROR, INCONCLUSIVE: not a result
  }
}

function testcase(suite: Element, run: RunResult, p: ProfileResult): void {
  const tc = suite.ele('testcase', {
    name: clean(testcaseName(p)),
    classname: clean(run.experiment),
    file: clean(run.file),
    time: seconds(p.durations.total ?? 0),
  });
  if (p.status === 'interrupted') {
    // an interrupted profile has no result to fail or pass
    tc.ele('skipped', { message: clean(`interrupted${p.error ? `: ${p.error}` : ''}`) });
  } else {
    if (p.status === 'error') tc.ele('error', { type: 'harness', message: clean(p.error ?? 'harness error') }).txt(clean(p.error ?? 'harness error'));
    if (p.status === 'inconclusive') {
      const reasons = p.inconclusive ?? [];
      tc.ele('error', { type: 'inconclusive', message: clean(`did not settle${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`) }).txt(
        clean(['The run did not settle: its numbers are not a result.', ...reasons].join('\n')),
      );
    }
    for (const v of p.violations) tc.ele('error', { type: 'identity', message: clean(`identity violated (${v.identity}): ${v.detail}`) }).txt(clean(v.detail));
    const counts = countLines(p).join('\n');
    for (const t of p.thresholds.filter((x) => !x.pass)) {
      tc.ele('failure', { type: 'threshold', message: thresholdMessage(t) }).txt(`expected ${t.metric} ${describeThreshold(t)}, got ${t.actual ?? 'n/a'}\n\n${counts}`);
    }
  }
  tc.ele('system-out').txt(clean(profileLines(p).join('\n')));
}

/** The run as JUnit XML: <testsuites> holding one <testsuite> for the run. */
export function renderJunit(run: RunResult): string {
  const totals = { tests: run.profiles.length, failures: 0, errors: 0, skipped: 0 };
  for (const p of run.profiles) {
    const o = outcome(p);
    if (o === 'failure') totals.failures++;
    else if (o === 'error') totals.errors++;
    else if (o === 'skipped') totals.skipped++;
  }
  const started = Date.parse(run.startedAt);
  const finished = Date.parse(run.finishedAt);
  const ms = Number.isNaN(started) || Number.isNaN(finished) ? run.profiles.reduce((s, p) => s + (p.durations.total ?? 0), 0) : finished - started;
  const timestamp = isoTime(run.startedAt);
  const counts = { tests: String(totals.tests), failures: String(totals.failures), errors: String(totals.errors), skipped: String(totals.skipped), time: seconds(ms) };

  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const root = doc.ele('testsuites', { name: clean(`${run.tool}: ${run.experiment}`), ...counts, ...(timestamp ? { timestamp } : {}) });
  const suite = root.ele('testsuite', { name: clean(run.experiment), ...counts, ...(timestamp ? { timestamp } : {}), id: clean(run.runId) });
  const props = suite.ele('properties');
  const property = (name: string, value: string | number) => props.ele('property', { name, value: clean(String(value)) });
  property('tool', run.tool);
  property('runId', run.runId);
  property('experimentFile', run.file);
  property('seed', run.seed);
  property('backend', run.backend);
  property('startedAt', run.startedAt);
  property('finishedAt', run.finishedAt);
  property('runDir', run.runDir);
  property('exitCode', run.exitCode);
  for (const p of run.profiles) testcase(suite, run, p);
  return `${doc.end({ prettyPrint: true })}\n`;
}

export const junitReporter: ReporterEntry = {
  name: 'junit',
  description: 'writes junit.xml: a testcase per profile, a failure per missed threshold, an error per broken identity, inconclusive or harness error',
  create: () => ({
    name: 'junit',
    description: junitReporter.description,
    runFinished(run) {
      const file = path.join(run.runDir, 'junit.xml');
      fs.mkdirSync(run.runDir, { recursive: true });
      fs.writeFileSync(file, renderJunit(run));
      return [file];
    },
  }),
};
