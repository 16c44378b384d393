// The matrix: the same experiments over every combination of clients, Kafka versions and
// backends, in one comparison table. Rows are experiment and profile; columns the
// combinations; a cell gives the verdict and the outcomes that tell them apart.
import type { MetricName } from '../reconcile/metrics.ts';
import { profileLabel, verdict } from './render.ts';
import type { ProfileResult, RunResult } from './types.ts';

export interface MatrixCombination {
  client?: string;
  kafkaVersion?: string;
  cluster?: string;
}

export interface MatrixColumn {
  combination: MatrixCombination;
  runs: RunResult[];
}

/** The outcomes a matrix cell shows, with their short names. */
const CELL_METRICS: Array<[MetricName, string]> = [
  ['lost', 'lost'],
  ['logDuplicates', 'dup'],
  ['unknown', 'unknown'],
  ['notProcessed', 'not processed'],
  ['processedTwice', 'twice'],
  ['commitsBackwards', 'commits back'],
  ['outputDuplicates', 'output dup'],
  ['outputMissing', 'output missing'],
];

export function combinationLabel(c: MatrixCombination): string {
  return [c.client, c.kafkaVersion ? `Kafka ${c.kafkaVersion}` : undefined, c.cluster].filter((x) => x !== undefined).join(', ') || 'as written';
}

function cell(p: ProfileResult | undefined): string {
  if (!p) return 'refused or not run';
  const m = p.metrics;
  const counts = m
    ? CELL_METRICS.filter(([k]) => m[k] !== null && m[k] !== undefined)
        .map(([k, short]) => `${short} ${m[k]}`)
        .join(', ')
    : '';
  return `${verdict(p)}${counts ? `: ${counts}` : ''}`;
}

/** One Markdown table: a row per experiment and profile, a column per combination. */
export function renderMatrix(columns: readonly MatrixColumn[]): string {
  const rows = new Map<string, { experiment: string; profile: string }>();
  for (const col of columns) for (const r of col.runs) for (const p of r.profiles) rows.set(`${r.experiment}\u0000${profileLabel(p)}`, { experiment: r.experiment, profile: profileLabel(p) });
  const header = ['experiment', 'profile', ...columns.map((c) => combinationLabel(c.combination))];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { experiment, profile } of rows.values()) {
    const cells = columns.map((c) => cell(c.runs.find((r) => r.experiment === experiment)?.profiles.find((p) => profileLabel(p) === profile)));
    lines.push(`| ${[experiment, profile, ...cells].map(esc).join(' | ')} |`);
  }
  const runs = columns.map((c) => `${combinationLabel(c.combination)}: ${c.runs.map((r) => `\`${r.runId}\``).join(', ') || 'none'}`);
  return `${lines.join('\n')}\n\nRuns: ${runs.join('; ')}\n`;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The same table as one self-contained HTML page (no scripts, no network). */
export function renderMatrixHtml(columns: readonly MatrixColumn[]): string {
  const md = renderMatrix(columns);
  const [table, runs] = md.split('\n\nRuns: ');
  const rows = table!.split("\n").filter((_l, i) => i !== 1).map((l) => l.slice(2, -2).split(/ (?<!\\)\| /).map((c) => c.replace(/\\\|/g, '|')));
  const [head, ...body] = rows;
  const cls = (c: string) => (c.startsWith('PASS') ? 'pass' : c.startsWith('FAIL') ? 'fail' : c.startsWith('ERROR') || c.startsWith('INCONCLUSIVE') ? 'error' : '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kafka-chaos matrix</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}th{background:#f3f3f3}.pass{background:#e8f6e8}.fail{background:#fdeaea}.error{background:#fff4d6}</style>
</head><body><h1>kafka-chaos matrix</h1>
<table><thead><tr>${head!.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${body.map((r) => `<tr>${r.map((c, i) => `<td class="${i >= 2 ? cls(c) : ''}">${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>
<p>Runs: ${escapeHtml((runs ?? '').trim())}</p>
</body></html>
`;
}
