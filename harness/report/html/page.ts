// report.html: one self-contained page per run (no network: the chart library, the
// script, the style and the data are all inlined). The tables are rendered here; the
// charts are data that client.js draws with uPlot into the [data-chart] elements.
import type { TimelineEntry } from '../../faults/nemesis.ts';
import type { LatencyStats } from '../../reconcile/availability.ts';
import { METRICS, type MetricName } from '../../reconcile/metrics.ts';
import { describeThreshold } from '../../run/thresholds.ts';
import { describeElr, findings, formatCount, profileLabel, tableColumns, verdict } from '../render.ts';
import type { ProfileResult, RunResult } from '../types.ts';
import { inlineSafe, type HtmlAssets } from './assets.ts';
import { comparisonCharts, faultLabel, profileCharts, type ChartSpec } from './charts.ts';
import type { ExampleFacts, ExampleLookup } from './examples.ts';
import { SERIES_FILE, type SeriesRead } from './series.ts';

/** What the page knows of each profile besides its result: its series and its examples. */
export interface ProfileExtras {
  series: SeriesRead;
  examples: ExampleLookup;
}

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The report's sentences use a little markdown: **bold** and `code`. */
function inlineMd(text: string): string {
  return esc(text)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`(.+?)`/g, '<code>$1</code>');
}

const secs = (ms: number | null | undefined, digits = 1) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(digits)} s`);
const lat = (l: LatencyStats | undefined) => (!l || l.p50Ms === null ? 'no acks' : `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms (${l.acks} acks)`);

const VERDICT_CLASS: Record<string, string> = { PASS: 'pass', FAIL: 'fail', ERROR: 'error', INCONCLUSIVE: 'inconclusive', INTERRUPTED: 'interrupted' };
const badge = (v: string) => `<span class="verdict ${VERDICT_CLASS[v] ?? ''}">${esc(v)}</span>`;

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The faults of the timeline that were active at `tRel` (ms from the workload start). */
export function activeFaults(timeline: readonly TimelineEntry[], tRel: number): TimelineEntry[] {
  return timeline.filter((f) => f.appliedAtMs !== null && f.appliedAtMs <= tRel && (f.healedAtMs === null || tRel < f.healedAtMs));
}

interface Page {
  charts: Record<string, ChartSpec>;
}

function chartBlock(page: Page, key: string, spec: ChartSpec): string {
  page.charts[key] = spec;
  const shaded = spec.faults.map((f) => `${esc(f.label)} ${f.from.toFixed(1)}–${f.to.toFixed(1)} s${f.open ? ' (not healed)' : ''}`);
  return (
    `<figure class="chart-box"><div class="chart" data-chart="${esc(key)}" data-fault-windows="${esc(JSON.stringify(spec.faults))}"></div>` +
    `<figcaption>${esc(spec.title)}${shaded.length > 0 ? `; shaded: <span class="fault-label">${shaded.join('; ')}</span>` : ''}</figcaption></figure>`
  );
}

function outcomeTable(profiles: readonly ProfileResult[]): string {
  const columns = tableColumns(profiles);
  const head = ['profile', ...columns.map((c) => `<abbr title="${esc(c.means)}">${esc(c.title)}</abbr>`), 'result'];
  const rows = profiles.map((p) => [
    `<a href="#profile-${profiles.indexOf(p)}">${esc(profileLabel(p))}</a>`,
    ...columns.map((c) => {
      const missed = p.thresholds.some((t) => t.metric === c.name && !t.pass);
      const v = formatCount(p, c.name as MetricName);
      return missed ? `<span class="missed" title="threshold missed">${esc(v)}</span>` : esc(v);
    }),
    badge(verdict(p)),
  ]);
  return table(head, rows, 'outcomes num');
}

function header(run: RunResult, assets: HtmlAssets): string {
  const first = run.profiles[0];
  const facts: Array<[string, string]> = [
    ['run', `<code>${esc(run.runId)}</code>`],
    ['experiment file', `<code>${esc(run.file)}</code>`],
    ['seed', esc(run.seed)],
    ['backend', esc(run.backend)],
    ['started', esc(run.startedAt)],
    ['finished', esc(run.finishedAt)],
    ['exit code', `<span class="exit-code">${esc(run.exitCode)}</span> (${esc(exitMeaning(run.exitCode))})`],
  ];
  if (first?.versions) facts.push(['versions', esc(Object.entries(first.versions).map(([k, v]) => `${k} ${v}`).join(', '))]);
  const rows = run.profiles.map((p, i) => [
    `<a href="#profile-${i}">${esc(profileLabel(p))}</a>`,
    esc(p.client ? `${p.client.name} (${p.client.version})` : (p.versions.client ?? '-')),
    esc(p.versions.kafka ?? '?'),
    esc(p.status),
    badge(verdict(p)),
  ]);
  return (
    `<header><h1>kafka-chaos: ${esc(run.experiment)}</h1>` +
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>` +
    table(['profile', 'client', 'Kafka', 'status', 'verdict'], rows, 'profiles-header') +
    `<p class="muted">Charts drawn with ${esc(assets.chartLibrary.name)} ${esc(assets.chartLibrary.version)} (${esc(assets.chartLibrary.license)}), inlined: this page needs no network.</p></header>`
  );
}

function exitMeaning(code: number): string {
  return code === 0 ? 'every threshold met' : code === 1 ? 'a threshold missed' : code === 2 ? 'harness error or inconclusive' : code === 130 ? 'interrupted' : 'see the profiles';
}

function thresholdsTable(p: ProfileResult): string {
  if (p.thresholds.length === 0) return '<p class="muted">No thresholds.</p>';
  return table(
    ['expectation', 'actual', ''],
    p.thresholds.map((t) => [esc(`${t.metric} ${describeThreshold(t)}`), esc(t.actual ?? 'n/a'), t.pass ? '<span class="met">met</span>' : '<span class="missed">missed</span>']),
    'thresholds',
  );
}

function timelineTable(p: ProfileResult): string {
  if (p.timeline.length === 0) return '<p class="muted">No faults.</p>';
  return table(
    ['#', 'fault', 'target', 'resolved', 'applied at', 'healed at', ''],
    p.timeline.map((t) => [esc(t.index), esc(t.action), esc(t.target), esc(t.resolved || '-'), esc(secs(t.appliedAtMs)), esc(t.healedAtMs === null && t.appliedAtMs !== null ? 'not healed' : secs(t.healedAtMs)), esc(t.error ?? '')]),
    'timeline',
  );
}

function availabilitySection(p: ProfileResult): string {
  const a = p.availability;
  if (!a) return '<h3>Availability</h3><p class="muted">No availability figures (the profile did not reconcile, or its result predates them).</p>';
  const out: string[] = ['<h3>Availability</h3>'];
  const refused = a.refusedWrites > 0 ? `${a.refusedWrites} (${Object.entries(a.refusedByCode).map(([c, n]) => `${c} ${n}`).join(', ')})` : '0';
  out.push(
    table(
      ['unavailable windows', 'unavailable in all', 'longest', 'refused writes', 'ack latency over the run'],
      [[esc(a.unavailableCount), esc(secs(a.unavailableTotalMs)), esc(secs(a.longestUnavailableMs)), esc(refused), esc(lat(a.latency))]],
      'availability-summary',
    ),
  );
  const MAX_WINDOWS = 50;
  if (a.windows.length > 0) {
    out.push(
      '<h4>Unavailable windows per partition</h4>',
      table(
        ['partition', 'from', 'to', 'duration', 'faults active at its start'],
        a.windows.slice(0, MAX_WINDOWS).map((w) => [esc(`p${w.partition}`), esc(secs(w.fromMs)), esc(secs(w.toMs)), esc(secs(w.durationMs)), esc(activeFaults(p.timeline, w.fromMs).map(faultLabel).join(', ') || 'none')]),
        'availability-windows',
      ),
    );
    if (a.windows.length > MAX_WINDOWS) out.push(`<p class="muted">and ${a.windows.length - MAX_WINDOWS} more windows (result.json has them all)</p>`);
  } else out.push('<p>No partition went more than 1 s without an ack while sends were waiting.</p>');
  if (a.faults.length > 0) {
    out.push(
      '<h4>Ack latency around each fault</h4>',
      table(
        ['fault', 'before (5 s)', 'during', 'after (5 s)', 'writes recovered'],
        a.faults.map((f) => [esc(faultLabel({ index: f.index, action: f.action, target: f.resolved, resolved: f.resolved })), esc(lat(f.before)), esc(lat(f.during)), esc(lat(f.after)), esc(f.recoveryMs === null ? 'not observed' : `${secs(f.recoveryMs)} after the heal`)]),
        'availability-faults',
      ),
    );
  }
  return out.join('');
}

function examplesSection(p: ProfileResult, ex: ExampleLookup): string {
  if (ex.byMetric.length === 0) return '';
  const out: string[] = ['<h3>Examples</h3>'];
  const start = p.workloadStartedAt;
  const known = ex.ledgers;
  if (!known) out.push('<p class="muted">The profile directory has no producer ledgers: only the example ids are known.</p>');
  else if (!ex.finalRead) out.push('<p class="muted">The profile directory has no final-read.jsonl: where each example is in the log is not known.</p>');
  for (const m of ex.byMetric) {
    out.push(`<h4 data-examples="${esc(m.metric)}">${esc(m.title)}: ${esc(m.total)}</h4><p class="muted">${esc(m.means)}${m.total > m.ids.length ? `; the first ${m.ids.length} shown` : ''}</p>`);
    if (!known) {
      out.push(`<p class="example-ids">${m.ids.map((id) => `<code>${esc(id)}</code>`).join(', ')}</p>`);
      continue;
    }
    const rows = m.ids.map((id) => exampleRow(p, ex.facts.get(id), id, start, ex.finalRead));
    out.push(table(['id', 'partition', 'acked offset', 'acked at', 'fault active then', 'in the final log', 'at its acked offset now', 'error'], rows, 'examples'));
  }
  return out.join('');
}

function exampleRow(p: ProfileResult, x: ExampleFacts | undefined, id: string, start: number | undefined, finalRead: boolean): string[] {
  const rel = (t: number | null | undefined) => (t === null || t === undefined || start === undefined ? null : t - start);
  if (!x) return [`<code>${esc(id)}</code>`, '-', '-', '-', '-', '-', '-', '-'];
  const ackRel = rel(x.ack?.t);
  const at = ackRel ?? rel(x.attemptT);
  const when = x.ack ? (ackRel === null ? new Date(x.ack.t).toISOString() : secs(ackRel, 3)) : 'not acked';
  const fault = at === null ? (x.ack || x.attemptT !== null ? 'unknown (no workload start)' : 'not in the ledgers') : activeFaults(p.timeline, at).map(faultLabel).join(', ') || 'none';
  return [
    `<code>${esc(id)}</code>`,
    esc(x.ack?.p ?? x.partition ?? '-'),
    esc(x.ack ? (x.ack.o ?? 'none') : '-'),
    `<span title="${esc(x.ack ? new Date(x.ack.t).toISOString() : '')}">${esc(when)}</span>`,
    esc(`${fault}${!x.ack && at !== null ? ' (at its first attempt)' : ''}`),
    esc(!finalRead ? '?' : x.copies === 0 ? 'absent' : `${x.copies}× at ${x.inLog.map((s) => `p${s.replace(':', '@')}`).join(', ')}${x.copies > x.inLog.length ? ', ...' : ''}`),
    esc(!finalRead || !x.ack || x.ack.o === null ? '-' : (x.atAckedOffset ?? 'nothing (offset empty or outside the read)')),
    esc(x.error ? `${x.error.code}${x.error.definite ? ' (definite)' : ''} at ${rel(x.error.t) === null ? new Date(x.error.t).toISOString() : secs(rel(x.error.t), 3)}` : ''),
  ];
}

function profileSection(page: Page, p: ProfileResult, i: number, extras: ProfileExtras): string {
  const out: string[] = [];
  out.push(`<section class="profile" id="profile-${i}" data-profile="${esc(profileLabel(p))}"><h2>Profile <code>${esc(profileLabel(p))}</code> ${badge(verdict(p))}</h2>`);
  if (p.description) out.push(`<p>${esc(p.description)}</p>`);
  if (p.error) out.push(`<p class="problem"><strong>${p.status === 'interrupted' ? 'Interrupted' : 'Harness error'}:</strong> ${esc(p.error)}</p>`);
  for (const r of p.inconclusive ?? []) out.push(`<p class="problem"><strong>Did not settle</strong> (the numbers are not a result): ${esc(r)}</p>`);
  for (const v of p.violations) out.push(`<p class="problem"><strong>Identity violated</strong> (${esc(v.identity)}): ${esc(v.detail)}</p>`);
  const settings: string[] = [];
  if (p.client) settings.push(`client: ${esc(p.client.name)} (${esc(p.client.version)})`);
  settings.push(`Kafka ${esc(p.versions.kafka ?? '?')}; ${esc(describeElr(p))}`);
  settings.push(`topic config: ${esc(Object.entries(p.topicConfig).map(([k, v]) => `${k}=${v}`).join(', ') || '(defaults)')}`);
  if (Object.keys(p.brokerConfig).length > 0) settings.push(`broker overrides: ${esc(Object.entries(p.brokerConfig).map(([k, v]) => `${k}=${v}`).join(', '))}`);
  const props = (m: Record<string, string>) => esc(Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', '));
  if (p.clientConfig?.producer) settings.push(`producer client config: ${props(p.clientConfig.producer)}`);
  if (p.clientConfig?.consumer) settings.push(`consumer client config: ${props(p.clientConfig.consumer)}`);
  out.push(`<ul class="settings">${settings.map((s) => `<li>${s}</li>`).join('')}</ul>`);
  out.push('<h3>Thresholds</h3>', thresholdsTable(p));
  out.push('<h3>Faults</h3>', timelineTable(p));

  out.push('<h3>Watch series</h3>');
  const s = extras.series;
  if (s.status === 'ok') {
    const { charts, omitted } = profileCharts(p, s.samples);
    out.push(`<div class="charts">${charts.map((c) => chartBlock(page, `${profileLabel(p)}:${c.series}`, c.spec)).join('')}</div>`);
    if (omitted.length > 0) out.push(`<p class="muted">Not charted: ${esc(omitted.join('; '))}.</p>`);
    if (s.badLines > 0) out.push(`<p class="muted">${esc(s.badLines)} line(s) of ${SERIES_FILE} were not samples and were skipped.</p>`);
  } else {
    out.push(
      `<p class="series-missing">The Watch series is ${s.status === 'missing' ? 'missing' : 'empty'}: ${esc(s.status === 'missing' ? `${SERIES_FILE} is not in the profile directory` : `${SERIES_FILE} has no samples`)}, so this profile has no charts.</p>`,
    );
  }

  out.push(availabilitySection(p));
  const found = findings(p);
  if (found.length > 0) out.push('<h3>Findings</h3>', `<ul class="findings">${found.map((f) => `<li>${inlineMd(f)}</li>`).join('')}</ul>`);
  out.push(examplesSection(p, extras.examples));
  if (p.partitions) {
    out.push(
      '<h3>Final read</h3>',
      table(['partition', 'log start', 'high watermark', 'records'], p.partitions.map((x) => [esc(`p${x.partition}`), esc(x.logStartOffset), esc(x.highWatermark), esc(x.records)]), 'final-read num'),
    );
  }
  if (p.tornLedgerTails.length > 0) out.push(`<p class="muted">Ledgers with a torn last line (an agent killed mid-write): ${esc(p.tornLedgerTails.join(', '))}</p>`);
  out.push(`<p class="muted">Phase durations: ${esc(Object.entries(p.durations).map(([k, v]) => `${k} ${secs(v)}`).join(', '))}</p>`);
  out.push('</section>');
  return out.join('\n');
}

/** The profiles side by side: a row per metric (and per threshold), a column per profile, and one chart per key series. */
function comparisonSection(page: Page, run: RunResult, extras: readonly ProfileExtras[]): string {
  const ps = run.profiles;
  const out: string[] = ['<section id="compare" class="compare"><h2>Profiles compared</h2>'];
  const columns = tableColumns(ps);
  const rows: string[][] = columns.map((c) => [`<abbr title="${esc(c.means)}">${esc(c.title)}</abbr>`, ...ps.map((p) => esc(formatCount(p, c.name as MetricName)))]);
  rows.push(['client', ...ps.map((p) => esc(p.client?.name ?? '-'))]);
  rows.push(['ack latency p50 / p99', ...ps.map((p) => esc(p.availability ? `${p.availability.latency.p50Ms ?? '-'} / ${p.availability.latency.p99Ms ?? '-'} ms` : '-'))]);
  rows.push(['faults', ...ps.map((p) => esc(p.timeline.map(faultLabel).join(', ') || 'none'))]);
  rows.push(['result', ...ps.map((p) => badge(verdict(p)))]);
  out.push(table(['', ...ps.map((p, i) => `<a href="#profile-${i}">${esc(profileLabel(p))}</a>`)], rows, 'comparison num'));
  const withSeries = ps.flatMap((p, i) => {
    const s = extras[i]!.series;
    return s.status === 'ok' ? [{ p, samples: s.samples }] : [];
  });
  if (withSeries.length >= 2) {
    const key = ps.some((p) => profileLabel(p) === 'compare') ? 'compare-profiles' : 'compare';
    const charts = comparisonCharts(withSeries);
    out.push(`<div class="charts">${charts.map((c) => chartBlock(page, `${key}:${c.series}`, c.spec)).join('')}</div>`);
    if (withSeries.length < ps.length) out.push(`<p class="muted">Profiles without a Watch series are not in the charts: ${esc(ps.filter((p) => !withSeries.some((w) => w.p === p)).map((p) => profileLabel(p)).join(', '))}.</p>`);
  } else out.push('<p class="muted">No comparison charts: fewer than two profiles have a Watch series.</p>');
  out.push('</section>');
  return out.join('\n');
}

function legend(run: RunResult): string {
  const shown = new Set(tableColumns(run.profiles).map((c) => c.name));
  const items = METRICS.filter((m) => shown.has(m.name)).map((m) => `<dt>${esc(m.title)}</dt><dd>${esc(m.means)}</dd>`);
  return `<details class="legend"><summary>What the columns mean</summary><dl>${items.join('')}</dl></details>`;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The whole page. `extras[i]` belongs to `run.profiles[i]`. */
export function renderHtml(run: RunResult, extras: readonly ProfileExtras[], assets: HtmlAssets): string {
  const page: Page = { charts: {} };
  const body: string[] = [];
  body.push(header(run, assets));
  const nav = [['outcomes', 'Outcomes'], ...(run.profiles.length > 1 ? [['compare', 'Compared']] : []), ...run.profiles.map((p, i) => [`profile-${i}`, profileLabel(p)])];
  body.push(`<nav>${nav.map(([id, label]) => `<a href="#${esc(id)}">${esc(label)}</a>`).join(' · ')}</nav>`);
  body.push(`<section id="outcomes"><h2>Outcomes</h2>${outcomeTable(run.profiles)}${legend(run)}<p class="muted">Every count comes from the agents' ledgers and a final read of every partition; n/a: the metric does not apply to the profile.</p></section>`);
  if (run.profiles.length > 1) body.push(comparisonSection(page, run, extras));
  run.profiles.forEach((p, i) => body.push(profileSection(page, p, i, extras[i]!)));
  body.push(`<footer class="muted">Written by the kafka-chaos html reporter from ${esc(run.runDir)}/result.json.</footer>`);
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>kafka-chaos: ${esc(run.experiment)} ${esc(run.runId)}</title>`,
    `<style>${inlineSafe(assets.chartCss)}</style>`,
    `<style>${inlineSafe(assets.css)}</style>`,
    '</head><body><main>',
    body.join('\n'),
    '</main>',
    `<script type="application/json" id="report-data">${scriptJson({ charts: page.charts })}</script>`,
    `<script>${inlineSafe(assets.chartJs)}</script>`,
    `<script>${inlineSafe(assets.clientJs)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
