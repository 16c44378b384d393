// Report rendering: summary.md and the console table, both from result data only.
import type { MetricName } from '../reconcile/types.ts';
import { describeThreshold } from '../run/thresholds.ts';
import type { ProfileResult, RunResult } from './types.ts';

export const TABLE_COLUMNS: Array<{ metric: MetricName; title: string }> = [
  { metric: 'attempted', title: 'attempted' },
  { metric: 'acked', title: 'acked' },
  { metric: 'failed', title: 'failed' },
  { metric: 'unknown', title: 'unknown' },
  { metric: 'lost', title: 'lost' },
  { metric: 'lostAfterConsume', title: 'lost after consume' },
  { metric: 'landedUnacked', title: 'landed unacked' },
  { metric: 'logDuplicates', title: 'log duplicates' },
  { metric: 'notProcessed', title: 'not processed' },
  { metric: 'processedTwice', title: 'processed twice+' },
  { metric: 'endToEndLost', title: 'end-to-end lost' },
  { metric: 'reordered', title: 'reordered' },
  { metric: 'unexpected', title: 'unexpected' },
];

export function verdict(p: ProfileResult): string {
  if (p.status === 'interrupted') return 'INTERRUPTED';
  if (p.status === 'error' || p.violations.length > 0) return 'ERROR';
  return p.passed ? 'PASS' : 'FAIL';
}

function cells(p: ProfileResult): string[] {
  return TABLE_COLUMNS.map((c) => (p.metrics ? String(p.metrics[c.metric]) : '-'));
}

export function renderTable(run: RunResult): string {
  const header = ['profile', ...TABLE_COLUMNS.map((c) => c.title), 'result'];
  const rows = run.profiles.map((p) => [p.profile, ...cells(p), verdict(p)]);
  return markdownTable(header, rows);
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  return [line(header), sep, ...rows.map(line)].join('\n');
}

function secs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

export function renderSummary(run: RunResult): string {
  const out: string[] = [];
  out.push(`# kafka-chaos: ${run.experiment}`);
  out.push('');
  out.push(`- run: \`${run.runId}\`, ${run.startedAt} to ${run.finishedAt}`);
  out.push(`- experiment file: \`${run.file}\`, seed ${run.seed}`);
  out.push(`- backend: ${run.backend}`);
  const versions = run.profiles[0]?.versions;
  if (versions) out.push(`- versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(`- exit code: ${run.exitCode}`);
  out.push('');
  out.push('## Outcomes');
  out.push('');
  out.push(renderTable(run));
  out.push('');
  out.push('Every count comes from the agents\' ledgers and a final read of every partition; see the definitions in the README.');
  for (const p of run.profiles) {
    out.push('');
    out.push(`## Profile \`${p.profile}\`: ${verdict(p)}`);
    if (p.description) out.push('', p.description);
    out.push('');
    if (p.error) out.push(`**${p.status === 'interrupted' ? 'Interrupted' : 'Harness error'}:** ${p.error}`, '');
    for (const v of p.violations) out.push(`**Identity violated** (${v.identity}): ${v.detail}`, '');
    const pr = p.producer;
    out.push(
      `- producer: acks=${pr.acks === -1 ? 'all' : pr.acks}, enable.idempotence=${pr.idempotent}, retries=${pr.retries}, ` +
        `max.in.flight.requests.per.connection=${pr.maxInFlightRequests}, linger.ms=${pr.lingerMs}, batch.size=${pr.batchBytes}, delivery.timeout.ms=${pr.deliveryTimeoutMs}`,
    );
    const c = p.consumer;
    out.push(
      `- consumer: strategy=${c.strategy}${c.strategy === 'auto-commit' ? `, auto.commit.interval.ms=${c.autoCommitIntervalMs}` : ''}, ` +
        `session.timeout.ms=${c.sessionTimeoutMs}, isolation.level=${c.readUncommitted ? 'read_uncommitted' : 'read_committed'}`,
    );
    out.push(`- topic config: ${Object.entries(p.topicConfig).map(([k, v]) => `${k}=${v}`).join(', ') || '(defaults)'}`);
    if (Object.keys(p.brokerConfig).length > 0) out.push(`- broker overrides: ${Object.entries(p.brokerConfig).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if (p.thresholds.length > 0) {
      out.push('', '| expectation | actual | |', '|---|---:|---|');
      for (const t of p.thresholds) out.push(`| ${t.metric} ${describeThreshold(t)} | ${t.actual} | ${t.pass ? 'met' : '**missed**'} |`);
    }
    if (p.timeline.length > 0) {
      out.push('', '| # | fault | target | resolved | applied at | healed at | |', '|---|---|---|---|---:|---:|---|');
      for (const t of p.timeline) {
        out.push(`| ${t.index} | ${t.action} | ${t.target} | ${t.resolved || '-'} | ${secs(t.appliedAtMs)} | ${secs(t.healedAtMs)} | ${t.error ?? ''} |`);
      }
    }
    if (p.health) out.push('', `- health after healing: ${p.health.healthy ? 'healthy' : '**not healthy**'} (${p.health.detail}, waited ${secs(p.health.waitedMs)})`);
    if (p.drain) out.push(`- consumer drain: ${p.drain.detail}`);
    if (p.ackOffsetMismatches !== undefined && p.ackOffsetMismatches > 0) {
      out.push(`- acked offsets that now hold another record or lie beyond the log: ${p.ackOffsetMismatches}`);
    }
    if (p.partitions) {
      out.push(`- final read: ${p.partitions.map((x) => `p${x.partition} [${x.logStartOffset}, ${x.highWatermark}) ${x.records} records`).join('; ')}`);
    }
    if (p.tornLedgerTails.length > 0) out.push(`- ledgers with a torn last line (an agent killed mid-write): ${p.tornLedgerTails.join(', ')}`);
    const ex = Object.entries(p.examples ?? {}).filter(([, ids]) => ids && ids.length > 0);
    if (ex.length > 0) {
      out.push('', 'Examples (message ids `producer:seq`):');
      for (const [m, ids] of ex) out.push(`- ${m}: ${ids!.slice(0, 10).join(', ')}${ids!.length > 10 ? ', ...' : ''}`);
    }
    out.push('', `- phase durations: ${Object.entries(p.durations).map(([k, v]) => `${k} ${secs(v)}`).join(', ')}`);
  }
  out.push('');
  return out.join('\n');
}
