// Report rendering: summary.md and the console table, both from result data only.
import { METRICS, type MetricDef, type MetricName } from '../reconcile/metrics.ts';
import { describeThreshold } from '../run/thresholds.ts';
import type { ProfileResult, RunResult } from './types.ts';

/** The outcome table's metric columns for these profiles: the usual ones, plus any rarer one that some profile has. */
export function tableColumns(profiles: readonly ProfileResult[]): MetricDef[] {
  return METRICS.filter(
    (m) =>
      m.column === 'always' ||
      (m.column === 'nonzero' && profiles.some((p) => (p.metrics?.[m.name] ?? 0) > 0)) ||
      // a result written before a metric existed has no value for it: not applicable
      (m.column === 'applicable' && profiles.some((p) => p.metrics?.[m.name] !== undefined && p.metrics[m.name] !== null)),
  );
}

export function verdict(p: ProfileResult): string {
  if (p.status === 'interrupted') return 'INTERRUPTED';
  if (p.status === 'error' || p.violations.length > 0) return 'ERROR';
  if (p.status === 'inconclusive') return 'INCONCLUSIVE';
  return p.passed ? 'PASS' : 'FAIL';
}

/** A count as printed: n/a for a metric that does not apply, - when the profile has no numbers. */
export function formatCount(p: ProfileResult, name: MetricName): string {
  if (!p.metrics) return '-';
  const v = p.metrics[name] as number | null | undefined;
  // undefined: a result written before the metric existed
  return v === null ? 'n/a' : v === undefined ? '-' : String(v);
}

/** The profile's name, with `#k` for one repetition of it (--repeat). */
export function profileLabel(p: Pick<ProfileResult, 'profile' | 'repetition'>): string {
  return p.repetition === undefined ? p.profile : `${p.profile}#${p.repetition}`;
}

export function renderTable(run: RunResult): string {
  const columns = tableColumns(run.profiles);
  const header = ['profile', ...columns.map((c) => c.title), 'result'];
  const rows = run.profiles.map((p) => [profileLabel(p), ...columns.map((c) => formatCount(p, c.name as MetricName)), verdict(p)]);
  return markdownTable(header, rows);
}

/** With --repeat: per profile, in how many runs each effect appeared (k of n) and its spread. */
export function renderRepetitions(run: RunResult): string {
  const reps = run.repetitions ?? [];
  if (reps.length === 0) return '';
  const columns = tableColumns(run.profiles).filter((c) => reps.some((r) => r.metrics[c.name as MetricName] !== undefined));
  const header = ['profile', 'passed', ...columns.map((c) => c.title)];
  const rows = reps.map((r) => [
    r.profile,
    `${r.passed} of ${r.runs}${r.excluded > 0 ? ` (${r.excluded} not a result, left out)` : ''}`,
    ...columns.map((c) => {
      const s = r.metrics[c.name as MetricName];
      return s ? `${s.k}/${s.n}: ${s.min}, ${s.median}, ${s.max}` : 'n/a';
    }),
  ]);
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

/** The group's failed commits and rebalances in the Watch series, as a clause of its line. */
function groupSeries(s: NonNullable<ProfileResult['series']>): string {
  if (!s.commitFailures) return '';
  const f = s.commitFailures;
  const failures = f.count === 0 ? 'no failed commits' : `${f.count} failed commit(s) ${f.firstS === f.lastS ? `at +${f.firstS}s` : `between +${f.firstS}s and +${f.lastS! + 1}s`}`;
  return `; ${failures}, ${s.rebalances ?? 0} assignment(s) of members in rebalances`;
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
  const kafkas = new Set(run.profiles.map((p) => p.versions.kafka));
  if (kafkas.size > 1) out.push(`- Kafka by profile: ${run.profiles.map((p) => `${p.profile} ${p.versions.kafka ?? '?'}`).join(', ')}`);
  const clients = new Set(run.profiles.map((p) => p.client?.version));
  if (clients.size > 1) out.push(`- client by profile: ${run.profiles.map((p) => `${profileLabel(p)} ${p.client?.version ?? '?'}`).join(', ')}`);
  out.push(`- exit code: ${run.exitCode}`);
  out.push('');
  out.push('## Outcomes');
  out.push('');
  out.push(renderTable(run));
  out.push('');
  if (run.repetitions && run.repetitions.length > 0) {
    out.push(`## Repetitions (${run.repeat} runs of each profile, each on a fresh cluster)`, '');
    out.push('Per metric: in how many runs it was above zero (k/n), then its min, median and max over the runs. A profile passes only if every run passed.', '');
    out.push(renderRepetitions(run), '');
  }
  out.push('Every count comes from the agents\' ledgers and a final read of every partition; see the definitions in the README.');
  for (const p of run.profiles) {
    out.push('');
    out.push(`## Profile \`${profileLabel(p)}\`: ${verdict(p)}`);
    if (p.description) out.push('', p.description);
    out.push('');
    if (p.error) out.push(`**${p.status === 'interrupted' ? 'Interrupted' : 'Harness error'}:** ${p.error}`, '');
    for (const r of p.inconclusive ?? []) out.push(`**Did not settle** (the numbers below are not a result): ${r}`, '');
    for (const v of p.violations) out.push(`**Identity violated** (${v.identity}): ${v.detail}`, '');
    if (p.client) out.push(`- client: ${p.client.name} (${p.client.version})`);
    const cc = p.clientConfig;
    const props = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ');
    if (cc?.producer) out.push(`- producer client config: ${props(cc.producer)}`);
    if (cc?.consumer) out.push(`- consumer client config: ${props(cc.consumer)}`);
    const pr = p.producer;
    out.push(
      `- producer: mode=${pr.mode ?? 'async'}, acks=${pr.acks === -1 ? 'all' : pr.acks}, enable.idempotence=${pr.idempotent}, retries=${pr.retries}, ` +
        `max.in.flight.requests.per.connection=${pr.maxInFlightRequests}, linger.ms=${pr.lingerMs}, batch.size=${pr.batchBytes}, delivery.timeout.ms=${pr.deliveryTimeoutMs}`,
    );
    const c = p.consumer;
    if (p.metrics?.processed !== null || p.transactions) out.push(
      `- consumer: strategy=${c.strategy}${c.strategy === 'auto-commit' ? `, auto.commit.interval.ms=${c.autoCommitIntervalMs}` : `, commit=${c.commit ?? 'sync'}${c.commitIntervalMs ? ` every ${c.commitIntervalMs} ms` : ''}`}` +
        `${c.commitOnRevoke ? ', commits on revoke' : ''}${(c.workers ?? 1) > 1 ? `, ${c.workers} workers committing ${c.workerCommit}` : ''}, ` +
        `session.timeout.ms=${c.sessionTimeoutMs}, isolation.level=${c.readUncommitted ? 'read_uncommitted' : 'read_committed'}`,
    );
    out.push(`- Kafka ${p.versions.kafka ?? '?'}; ${describeElr(p)}`);
    out.push(`- topic config: ${Object.entries(p.topicConfig).map(([k, v]) => `${k}=${v}`).join(', ') || '(defaults)'}`);
    if (Object.keys(p.brokerConfig).length > 0) out.push(`- broker overrides: ${Object.entries(p.brokerConfig).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if (p.thresholds.length > 0) {
      out.push('', '| expectation | actual | |', '|---|---:|---|');
      for (const t of p.thresholds) out.push(`| ${t.metric} ${describeThreshold(t)} | ${t.actual ?? 'n/a'} | ${t.pass ? 'met' : '**missed**'} |`);
    }
    if (p.timeline.length > 0) {
      out.push('', '| # | fault | target | resolved | applied at | healed at | |', '|---|---|---|---|---:|---:|---|');
      for (const t of p.timeline) {
        out.push(`| ${t.index} | ${t.action} | ${t.target} | ${t.resolved || '-'} | ${secs(t.appliedAtMs)} | ${secs(t.healedAtMs)} | ${t.error ?? ''} |`);
      }
    }
    if (p.health) out.push('', `- health after healing: ${p.health.healthy ? 'healthy' : '**not healthy**'} (${p.health.detail}, waited ${secs(p.health.waitedMs)})`);
    if (p.drain) out.push(`- consumer drain: ${p.drain.detail}`);
    for (const line of findings(p)) out.push(`- ${line}`);
    if (p.partitions) {
      out.push(`- final read: ${p.partitions.map((x) => `p${x.partition} [${x.logStartOffset}, ${x.highWatermark}) ${x.records} records`).join('; ')}`);
    }
    if (p.series) out.push(`- Watch series: \`${p.series.file}\` in the profile directory, ${p.series.points} second(s)${p.series.unknownSamples > 0 ? `, ${p.series.unknownSamples} of them without an answer from the cluster` : ''}${groupSeries(p.series)}`);
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

/** Whether eligible leader replicas (KIP-966) were on, and how that is known. */
export function describeElr(p: Pick<ProfileResult, 'features'>): string {
  const f = p.features;
  if (!f) return 'eligible leader replicas (KIP-966): not asked (the run ended before the final read)';
  return `eligible leader replicas (KIP-966): ${f.elr === null ? 'unknown' : f.elr ? 'on' : 'off'} (${f.elrBecause})`;
}

/** Sentences that explain the numbers a reader would otherwise have to dig out of the ledgers. */
export function findings(p: ProfileResult): string[] {
  const out: string[] = [];
  const m = p.metrics;
  if (!m) return out;
  const at = (t: number | null) => (t === null || p.workloadStartedAt === undefined ? '?' : `${((t - p.workloadStartedAt) / 1000).toFixed(1)}s`);
  if (m.ackedAtForeignOffset > 0) {
    out.push(
      `**the client acknowledged ${m.ackedAtForeignOffset} write(s) it never appended**: their acked offsets hold earlier records of the same producer ` +
        `(counted in lost; e.g. ${(p.examples?.ackedAtForeignOffset ?? []).slice(0, 5).join(', ')})`,
    );
  }
  const nb = p.acksWithoutOffset;
  if (nb && nb.acked > 0 && p.producer.acks !== 0) {
    out.push(
      `**the client acknowledged ${nb.acked} write(s) without an offset**: it resolved the send with no result for the message's partition` +
        (nb.lost > 0 ? `; ${nb.lost} of them are not in the log (counted in lost: the application was told they were written)` : '; every one of them is in the log'),
    );
  }
  if (m.unnoticedFailures !== null && m.unnoticedFailures > 0) {
    out.push(`**${m.unnoticedFailures} send(s) failed or stayed unknown and the application never looked** (fire-and-forget): ${m.failed} failed, ${m.unknown} unknown`);
  }
  if (m.commitsBackwards !== null && m.commitsBackwards > 0) {
    const b = p.backwardCommits ?? [];
    out.push(
      `**${m.commitsBackwards} successful commit(s) moved a committed offset backwards** (e.g. ${b.slice(0, 3).map((c) => `p${c.partition} ${c.from} -> ${c.to} by ${c.consumer} at ${at(c.t)}`).join('; ')}): ` +
        'the next owner of the partition reads those records again',
    );
  }
  const tx = p.transactions;
  if (tx) {
    out.push(
      `transactions: ${tx.committedTxns} committed, ${tx.abortedTxns} aborted (as the transformers recorded them); ` +
        `${tx.uncommittedOnly} output record(s) only read_uncommitted returns (aborted or never-committed transactions)`,
    );
  }
  if (m.belowLogStart > 0) out.push(`${m.belowLogStart} acked message(s) lie below the final log start offset: removed by the log's retention or DeleteRecords, not lost`);
  if (m.failedButLanded > 0) out.push(`**${m.failedButLanded} definite failure(s) are in the log**: the client or broker said they were not appended (e.g. ${(p.examples?.failedButLanded ?? []).slice(0, 5).join(', ')})`);
  if (m.reordered > 0) {
    const r = p.retries;
    const retried =
      r && r.batches > 0
        ? `; the client retried ${r.batches} batch(es) (${r.messages} messages, ${r.resends} resends) between ${at(r.firstAt)} and ${at(r.lastAt)}, and ${r.overtakenRetried} of their messages landed after a later send`
        : '; the client retried no batch';
    out.push(`${m.reordered} message(s) landed out of send order (${m.reorderedPairs} inverted pairs)${retried}`);
  } else if (p.retries && p.retries.batches > 0) {
    out.push(`the client retried ${p.retries.batches} batch(es) (${p.retries.messages} messages, ${p.retries.resends} resends) between ${at(p.retries.firstAt)} and ${at(p.retries.lastAt)}; nothing landed out of order`);
  }
  const a = p.availability;
  if (a) {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    const lat = (l: { p50Ms: number | null; p99Ms: number | null }) => (l.p50Ms === null ? 'no acks' : `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`);
    if (a.windows.length > 0) {
      const shown = a.windows.slice(0, 8).map((w) => `p${w.partition} ${s(w.fromMs)}-${s(w.toMs)}`).join(', ');
      out.push(`write unavailability: ${a.unavailableCount} window(s) over 1 s, ${s(a.unavailableTotalMs)} in all, the longest ${s(a.longestUnavailableMs)} (${shown}${a.windows.length > 8 ? ', ...' : ''})`);
    } else out.push('write unavailability: none (no partition went more than 1 s without an ack while sends were waiting)');
    if (a.refusedWrites > 0) out.push(`refused writes: ${a.refusedWrites} (${Object.entries(a.refusedByCode).map(([c, n]) => `${c} ${n}`).join(', ')}): the brokers said no, nothing was lost by it`);
    out.push(`ack latency over the run: ${lat(a.latency)}`);
    for (const f of a.faults) {
      out.push(
        `fault #${f.index} ${f.action} (${f.resolved}): ack latency before ${lat(f.before)}; during ${lat(f.during)}; after ${lat(f.after)}; ` +
          (f.recoveryMs === null ? 'no recovery observed' : `writes recovered ${s(f.recoveryMs)} after the heal`),
      );
    }
  }
  for (const t of p.throughput ?? []) {
    // throughput beside the outcomes, always: a synchronous or overloaded producer shows its cost here
    if (t.behindSinceMs === null && t.unsent === 0) {
      out.push(`producer ${t.pid}: target ${t.targetPerSecond}/s, achieved ${t.achievedPerSecond}/s; kept up`);
      continue;
    }
    const behind = t.behindSinceMs === null ? 'kept up' : `fell behind at ${(t.behindSinceMs / 1000).toFixed(1)}s (up to ${t.maxQueued} messages waiting in the agent)`;
    out.push(`producer ${t.pid}: target ${t.targetPerSecond}/s, achieved ${t.achievedPerSecond}/s; ${behind}; ${t.unsent} unsent when producers stopped`);
  }
  return out;
}

/** One table over several runs: a row per experiment and profile (the catalogue). */
export function renderCatalogue(runs: readonly RunResult[]): string {
  const profiles = runs.flatMap((r) => r.profiles);
  const columns = tableColumns(profiles);
  const header = ['experiment', 'profile', ...columns.map((c) => c.title), 'result'];
  const rows = runs.flatMap((r) => r.profiles.map((p) => [r.experiment, p.profile, ...columns.map((c) => formatCount(p, c.name as MetricName)), verdict(p)]));
  const runsLine = runs.map((r) => `\`${r.runId}\``).join(', ');
  return `${markdownTable(header, rows)}\n\nRuns: ${runsLine}\n`;
}
