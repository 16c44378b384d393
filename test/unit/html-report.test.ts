// The html reporter: report.html of a synthetic run (two profiles, Watch series, a
// broker.kill fault, lost messages with examples and a producer ledger), opened from
// file:// in headless Chromium: no console message, no page error, no request but the
// page itself, every chart drawn with data and the fault windows on it, the examples
// looked up in the ledger, the profiles compared. Leaves report.html and report.png in
// the run directory ($HTML_REPORT_DIR, default <tmp>/kafka-chaos-html-report).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConsumer, resolveProducer } from '../../harness/clients/settings.ts';
import type { TimelineEntry } from '../../harness/faults/nemesis.ts';
import { type Metrics, zeroMetrics } from '../../harness/reconcile/types.ts';
import { DEFAULT_REPORTERS, REPORTERS, runReporters } from '../../harness/report/reporter.ts';
import type { ProfileResult, RunResult } from '../../harness/report/types.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const ON_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const WHY_SKIPPED = `${CHROMIUM} is not installed (Debian/Ubuntu: apt-get install chromium), so report.html cannot be opened in a browser`;

const START = 1_700_000_000_000;
const SECONDS = 24;
const PARTITIONS = 3;

const metrics = (over: Partial<Metrics> = {}): Metrics => ({ ...zeroMetrics(), attempted: 60, acked: 60, present: 60, processed: 60, logRecords: 60, ...over });

function fault(index: number, action: string, resolved: string, appliedAtMs: number, healedAtMs: number | null): TimelineEntry {
  return {
    index,
    action,
    target: 'leader of partition 0',
    resolved,
    scheduledAtMs: appliedAtMs - 50,
    appliedAt: new Date(START + appliedAtMs).toISOString(),
    appliedAtMs,
    heal: 'start',
    healedAt: healedAtMs === null ? null : new Date(START + healedAtMs).toISOString(),
    healedAtMs,
  };
}

function profile(runDir: string, name: string, over: Partial<ProfileResult>): ProfileResult {
  return {
    profile: name,
    status: 'ok',
    dir: path.join(runDir, 'profiles', name),
    topic: 'chaos',
    client: { name: 'kafkajs', version: 'kafkajs 2.2.4' },
    producer: resolveProducer({}),
    consumer: resolveConsumer({ strategy: 'process-then-commit' }),
    topicConfig: { 'min.insync.replicas': '2' },
    brokerConfig: {},
    versions: { backend: 'local', kafka: '4.3.1', java: '17.0.15' },
    metrics: metrics(),
    violations: [],
    thresholds: [{ metric: 'lost', max: 0, actual: 0, pass: true }],
    passed: true,
    timeline: [],
    tornLedgerTails: [],
    durations: { workload: SECONDS * 1000, total: 40_000 },
    workloadStartedAt: START,
    ...over,
  };
}

// the lost messages: p0:15 (partition 0) is acked at 6.0 s, while broker 2 is down
const LOST = ['p0:15', 'p0:18', 'p0:21'];
const seqAckMs = (seq: number) => seq * 400;

function run(runDir: string): RunResult {
  const kill = fault(0, 'broker.kill', 'broker 2', 5000, 10_000);
  const partition = fault(1, 'network.partition', 'broker 3', 18_000, null);
  const latency = (acks: number, p50: number | null, p99: number | null) => ({ acks, p50Ms: p50, p99Ms: p99 });
  return {
    tool: 'kafka-chaos',
    runId: '20260101T000000Z-html-report',
    experiment: 'html-report',
    file: '/experiments/html-report.yaml',
    seed: 42,
    backend: 'local',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    runDir,
    schedule: [],
    exitCode: 1,
    profiles: [
      profile(runDir, 'acks-1', {
        description: 'acks=1: a killed leader takes acked writes with it',
        producer: resolveProducer({ acks: 1 }),
        passed: false,
        metrics: metrics({ acked: 60, lost: 3, present: 57, logRecords: 57, unavailableMs: 4200 }),
        examples: { lost: LOST },
        thresholds: [{ metric: 'lost', max: 0, actual: 3, pass: false }],
        timeline: [kill, partition],
        availability: {
          windows: [{ partition: 0, fromMs: 5100, toMs: 9300, durationMs: 4200 }],
          unavailableCount: 1,
          unavailableTotalMs: 4200,
          longestUnavailableMs: 4200,
          refusedWrites: 0,
          refusedByCode: {},
          latency: latency(60, 11, 4100),
          faults: [
            { index: 0, action: 'broker.kill', resolved: 'broker 2', before: latency(12, 10, 30), during: latency(4, 900, 4100), after: latency(12, 12, 40), recoveryMs: 300 },
            { index: 1, action: 'network.partition', resolved: 'broker 3', before: latency(12, 10, 20), during: latency(10, 15, 60), after: latency(0, null, null), recoveryMs: null },
          ],
        },
        partitions: [0, 1, 2].map((p) => ({ partition: p, logStartOffset: 0, highWatermark: 20, records: 19 })),
      }),
      profile(runDir, 'acks-all', {
        description: 'acks=all, idempotent',
        timeline: [fault(0, 'broker.kill', 'broker 1', 5200, 10_100)],
      }),
    ],
  };
}

/** One Watch sample per second; broker 2 (the leader of p0) is down from 5 s to 10 s. */
function writeSeries(dir: string, opts: { consumers: boolean; shift: number; ackedWhileDown: number }): void {
  const lines: string[] = [];
  for (let s = 0; s < SECONDS; s++) {
    const down = s >= 5 && s < 10;
    const partitions =
      s === 12
        ? null // the cluster could not be asked that second
        : Object.fromEntries(
            Array.from({ length: PARTITIONS }, (_, p) => {
              const isr = down ? 2 : 3;
              return [String(p), { leader: p === 0 && down ? 3 : (p % 3) + 1, isr, replicas: 3, urp: isr < 3 }];
            }),
          );
    lines.push(
      JSON.stringify({
        t: s * 1000 + opts.shift,
        partitions,
        lag: opts.consumers ? (down ? 400 + s * 10 : 20) : null,
        sent: 500,
        acked: down ? opts.ackedWhileDown : 498,
        errors: down ? 6 : 0,
        retries: down ? 30 : 1,
        ackP50: down ? 800 : 12,
        ackP99: down ? 4100 - opts.ackedWhileDown : 80,
        processed: opts.consumers ? 480 : null,
        commits: opts.consumers ? (down ? 0 : 9) : null,
        commitFailures: opts.consumers ? (down ? 3 : 0) : null,
        rebalances: opts.consumers ? (s === 12 ? 2 : 0) : null,
        revocations: opts.consumers ? (s === 11 ? 2 : 0) : null,
      }),
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'series.jsonl'), `${lines.join('\n')}\n`);
}

/** producer-p0.jsonl: 60 messages, one every 400 ms, round-robin over the partitions; and the final read without the lost ones. */
function writeLedgers(dir: string): void {
  const ledger: string[] = [JSON.stringify({ e: 'start', agent: 'p0', os: 1, t: START - 100 })];
  const log: string[] = [];
  const next = [0, 0, 0];
  for (let seq = 0; seq < 60; seq++) {
    const p = seq % PARTITIONS;
    const o = next[p]!++;
    ledger.push(JSON.stringify({ e: 'attempt', pid: 'p0', seq, p, t: START + seqAckMs(seq) - 5 }));
    ledger.push(JSON.stringify({ e: 'ack', pid: 'p0', seq, p, o, t: START + seqAckMs(seq) }));
    if (!LOST.includes(`p0:${seq}`)) log.push(JSON.stringify({ p, o, id: `p0:${seq}` }));
  }
  fs.mkdirSync(path.join(dir, 'ledgers'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'ledgers', 'producer-p0.jsonl'), `${ledger.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'final-read.jsonl'), `${log.join('\n')}\n`);
}

interface Opened {
  page: Page;
  messages: string[];
  requests: string[];
  url: string;
}

const REPORT_DIR = process.env.HTML_REPORT_DIR ?? path.join(os.tmpdir(), 'kafka-chaos-html-report');
let browser: Browser | undefined;
const pages: Page[] = [];

/** Opens a report in a new page; waits until every chart has been drawn. */
async function open(file: string): Promise<Opened> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  pages.push(page);
  const messages: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => messages.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => messages.push(`request failed: ${r.url()}`));
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-charts-drawn]', { state: 'attached', timeout: 20_000 });
  return { page, messages, requests, url };
}

interface ChartFacts {
  key: string;
  points: number;
  width: number;
  windows: Array<{ label: string; action: string; from: number; to: number; open: boolean; x0: number; x1: number; profile?: string }>;
}

/** The cells of each body row of the table(s) `selector` matches, as text. */
const rowsOf = (page: Page, selector: string): Promise<string[][]> =>
  page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>, (c) => (c.textContent ?? '').trim())),
  );

const chartFacts = (page: Page): Promise<ChartFacts[]> =>
  page.$$eval('[data-chart]', (els) =>
    els.map((el) => ({
      key: el.getAttribute('data-chart') ?? '',
      points: Number(el.getAttribute('data-points') ?? '0'),
      width: el.querySelector('canvas')?.getBoundingClientRect().width ?? 0,
      windows: JSON.parse(el.getAttribute('data-fault-windows') ?? '[]'),
    })),
  );

describe('the html reporter in headless Chromium', () => {
  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      if (ON_CI) throw new Error(`${WHY_SKIPPED}; with CI set this test must run`);
      console.warn(`skipped: ${WHY_SKIPPED}`);
      return;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
  });
  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => {});
    await browser?.close();
  });

  it('is registered and on by default', () => {
    expect(REPORTERS.html?.name).toBe('html');
    expect(DEFAULT_REPORTERS).toContain('html');
  });

  it('writes one self-contained report.html with charts, fault windows, examples and the comparison', async (ctx) => {
    if (!browser) return ctx.skip(WHY_SKIPPED);
    const runDir = REPORT_DIR;
    fs.rmSync(runDir, { recursive: true, force: true });
    const r = run(runDir);
    writeSeries(r.profiles[0]!.dir, { consumers: true, shift: 3, ackedWhileDown: 120 });
    writeSeries(r.profiles[1]!.dir, { consumers: false, shift: 41, ackedWhileDown: 350 });
    writeLedgers(r.profiles[0]!.dir);
    fs.writeFileSync(path.join(runDir, 'result.json'), JSON.stringify(r, null, 2));

    const out = await runReporters([REPORTERS.html!.create({})], r);
    expect(out.errors.map((e) => e.message)).toEqual([]);
    const file = path.join(runDir, 'report.html');
    expect(out.written).toEqual([file]);
    const html = fs.readFileSync(file, 'utf8');
    // inlined, not linked
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/i);

    const { page, messages, requests, url } = await open(file);
    expect(messages).toEqual([]);
    expect(requests).toEqual([url]);

    // the header and the outcome table
    const header = await page.textContent('header');
    for (const s of ['html-report', '20260101T000000Z-html-report', '42', 'local', 'kafkajs 2.2.4', '4.3.1']) expect(header).toContain(s);
    expect(await page.textContent('header .exit-code')).toBe('1');
    const outcomes = await rowsOf(page, 'table.outcomes');
    expect(outcomes.map((r) => [r[0], r[r.length - 1]])).toEqual([
      ['acks-1', 'FAIL'],
      ['acks-all', 'PASS'],
    ]);
    const thresholds = await page.$$eval('#profile-0 table.thresholds tbody tr', (rows) => rows.map((r) => r.textContent));
    expect(thresholds).toEqual(['lost <= 03missed']);

    // every chart drawn with data, the faults shaded and labelled on each
    const charts = await chartFacts(page);
    const keys = charts.map((c) => c.key);
    for (const s of ['isr', 'urp', 'leader', 'lag', 'producer', 'latency', 'consumer', 'commits', 'rebalances']) expect(keys).toContain(`acks-1:${s}`);
    for (const s of ['isr', 'urp', 'leader', 'producer', 'latency']) expect(keys).toContain(`acks-all:${s}`);
    // acks-all has no consumers: no lag or consumer chart
    expect(keys).not.toContain('acks-all:lag');
    expect(keys).not.toContain('acks-all:consumer');
    expect(keys).not.toContain('acks-all:commits');
    expect(keys).not.toContain('acks-all:rebalances');
    for (const s of ['acked', 'errors', 'ackP99', 'urp']) expect(keys).toContain(`compare:${s}`);
    for (const c of charts) {
      expect(c.points, c.key).toBeGreaterThan(0);
      expect(c.width, c.key).toBeGreaterThan(300);
      expect(c.windows.length, c.key).toBeGreaterThan(0);
      for (const w of c.windows) expect(w.x1 - w.x0, `${c.key} ${w.label}`).toBeGreaterThan(0);
    }
    const isr = charts.find((c) => c.key === 'acks-1:isr')!;
    expect(isr.points).toBe(SECONDS - 1); // one second without partitions
    expect(charts.find((c) => c.key === 'acks-1:producer')!.points).toBe(SECONDS);
    expect(isr.windows.map((w) => [w.label, w.action, w.from, w.open])).toEqual([
      ['#0 broker.kill (broker 2)', 'broker.kill', 5, false],
      ['#1 network.partition (broker 3)', 'network.partition', 18, true],
    ]);
    expect(isr.windows[0]!.to).toBe(10);
    // still open at the end: extends to the end of the series
    expect(isr.windows[1]!.to).toBeCloseTo(SECONDS - 1 + 0.003, 6);
    expect(isr.windows[0]!.x1 - isr.windows[0]!.x0).toBeGreaterThan(50);
    const compared = charts.find((c) => c.key === 'compare:acked')!;
    expect(compared.windows.map((w) => w.label)).toEqual(['acks-1: #0 broker.kill (broker 2)', 'acks-1: #1 network.partition (broker 3)', 'acks-all: #0 broker.kill (broker 1)']);
    expect(await page.textContent('[data-chart="acks-1:isr"] + figcaption')).toContain('#0 broker.kill (broker 2)');

    // availability
    const windows = await rowsOf(page, '#profile-0 table.availability-windows');
    expect(windows).toEqual([['p0', '5.1 s', '9.3 s', '4.2 s', '#0 broker.kill (broker 2)']]);
    const aroundFaults = await page.textContent('#profile-0 table.availability-faults');
    expect(aroundFaults).toContain('p50 900 ms, p99 4100 ms (4 acks)');
    expect(aroundFaults).toContain('0.3 s after the heal');

    // the examples of lost, looked up in the ledger and the final read
    const examples = await rowsOf(page, '#profile-0 table.examples');
    expect(examples.map((r) => r[0])).toEqual(LOST);
    const [id, partition, offset, ackedAt, active, inLog] = examples[0]!;
    expect([id, partition, offset, ackedAt, active, inLog]).toEqual(['p0:15', '0', '5', '6.000 s', '#0 broker.kill (broker 2)', 'absent']);
    expect(examples[2]!.slice(1, 5)).toEqual(['0', '7', '8.400 s', '#0 broker.kill (broker 2)']);
    expect(await page.$$('#profile-1 table.examples')).toHaveLength(0);

    // the comparison view: the outcome table side by side
    const comparison = await page.$$eval('#compare table.comparison thead th', (ths) => ths.map((t) => t.textContent));
    expect(comparison).toEqual(['', 'acks-1', 'acks-all']);
    expect(await page.textContent('#compare table.comparison')).toContain('lost');

    await page.screenshot({ path: path.join(runDir, 'report.png'), fullPage: true });
    expect(fs.statSync(path.join(runDir, 'report.png')).size).toBeGreaterThan(10_000);
    expect(messages).toEqual([]);
  });

  it('gives each repetition of a profile its own section and its own charts (name#n)', async (ctx) => {
    if (!browser) return ctx.skip(WHY_SKIPPED);
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-html-repeat-'));
    try {
      const base = run(runDir).profiles[1]!;
      const rep = (n: number): ProfileResult => ({ ...base, repetition: n, dir: path.join(runDir, 'profiles', base.profile, `run-${n}`) });
      const r: RunResult = { ...run(runDir), repeat: 2, profiles: [rep(1), rep(2)] };
      // run 1 acked 100 a second while the broker was down, run 2 acked 350
      writeSeries(r.profiles[0]!.dir, { consumers: false, shift: 0, ackedWhileDown: 100 });
      writeSeries(r.profiles[1]!.dir, { consumers: false, shift: 0, ackedWhileDown: 350 });
      const out = await runReporters([REPORTERS.html!.create({})], r);
      expect(out.errors.map((e) => e.message)).toEqual([]);
      const { page, messages } = await open(path.join(runDir, 'report.html'));
      expect(messages).toEqual([]);
      expect(await page.$$eval('section.profile h2 code', (els) => els.map((e) => e.textContent))).toEqual(['acks-all#1', 'acks-all#2']);
      const keys = (await chartFacts(page)).map((c) => c.key);
      expect(keys).toContain('acks-all#1:producer');
      expect(keys).toContain('acks-all#2:producer');
      expect(new Set(keys).size).toBe(keys.length);
      // each section's producer chart carries its own run's acks (second 7 is inside the kill)
      const specs = (await page.$eval('#report-data', (e) => JSON.parse(e.textContent ?? '{}'))) as { charts: Record<string, { series: Array<{ label: string; values: Array<number | null> }> }> };
      const acksAt7 = (key: string) => specs.charts[key]!.series.find((x) => x.label === 'acked')!.values[7];
      expect([acksAt7('acks-all#1:producer'), acksAt7('acks-all#2:producer')]).toEqual([100, 350]);
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('says the series is missing and draws no chart for a profile without series.jsonl', async (ctx) => {
    if (!browser) return ctx.skip(WHY_SKIPPED);
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-html-missing-'));
    try {
      const full = run(runDir);
      // the first profile without anything in its directory, the second with a series
      const r: RunResult = { ...full, profiles: [{ ...full.profiles[0]!, examples: { lost: LOST } }, full.profiles[1]!] };
      writeSeries(r.profiles[1]!.dir, { consumers: false, shift: 0, ackedWhileDown: 350 });
      const out = await runReporters([REPORTERS.html!.create({})], r);
      expect(out.errors.map((e) => e.message)).toEqual([]);
      const { page, messages, requests, url } = await open(path.join(runDir, 'report.html'));
      expect(messages).toEqual([]);
      expect(requests).toEqual([url]);
      expect(await page.textContent('#profile-0 .series-missing')).toContain('The Watch series is missing');
      const charts = await chartFacts(page);
      expect(charts.filter((c) => c.key.startsWith('acks-1:'))).toEqual([]);
      expect(charts.filter((c) => c.key.startsWith('acks-all:')).length).toBeGreaterThan(0);
      for (const c of charts) expect(c.points, c.key).toBeGreaterThan(0);
      // no comparison charts with one series, the table still
      expect(charts.filter((c) => c.key.startsWith('compare:'))).toEqual([]);
      expect(await page.$$('#compare table.comparison')).toHaveLength(1);
      // no ledgers: the example ids only
      expect(await page.textContent('#profile-0 .example-ids')).toBe(LOST.join(', '));
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });
});
