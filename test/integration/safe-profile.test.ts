// A real 3-broker cluster: the safe profile under a leader kill and a consumer kill.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { readRun, runCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

const EXPERIMENT = `name: it-safe-profile
seed: 5
cluster:
  brokers: 3
topic:
  partitions: 3
  replicationFactor: 3
workload:
  duration: 12s
  producers: 1
  rate: 300
  consumers: 1
  processingTime: 1ms
  drainTimeout: 90s
faults:
  - at: 4s
    action: broker.kill
    target: leader
    partition: 0
    restartAfter: 4s
  - at: 6s
    action: consumer.kill
    target: 0
    restartAfter: 1s
profiles:
  - name: safe
    producer:
      acks: all
      enable.idempotence: true
    consumer:
      strategy: process-then-commit
    topic:
      min.insync.replicas: 2
    expect:
      lost: 0
      notProcessed: 0
`;


describe.skipIf(!prereq.ok)('safe profile on a real cluster', () => {
  it('loses nothing under a leader kill, processes everything despite a consumer kill, and the identities hold', async () => {
    const dir = tempDir('safe');
    const file = path.join(dir, 'safe.yaml');
    fs.writeFileSync(file, EXPERIMENT);
    const reports = path.join(dir, 'reports');
    const r = await runCli(['run', file, '--cluster', 'local', '--reports', reports]);
    const run = readRun(reports);
    const p = run.profiles[0]!;
    expect(p.error, r.stdout + r.stderr).toBeUndefined();
    expect(p.status).toBe('ok');
    expect(p.violations).toEqual([]);
    const m = p.metrics!;
    // the workload really ran: ~300 msg/s for 12 s
    expect(m.attempted).toBeGreaterThan(1000);
    expect(m.attempted).toBe(m.acked + m.failed + m.unknown);
    expect(m.lost).toBe(0);
    expect(m.notProcessed).toBe(0);
    expect(m.lostAfterConsume).toBe(0);
    expect(m.unexpected).toBe(0);
    expect(m.logDuplicates).toBe(0);
    expect(m.reordered).toBe(0);
    // every acked message is in the log exactly once
    expect(m.present).toBeGreaterThanOrEqual(m.acked);
    expect(m.logRecords).toBe(m.present);
    // both faults took effect, with real timestamps, and were healed
    expect(p.timeline).toHaveLength(2);
    for (const t of p.timeline) {
      expect(t.error).toBeUndefined();
      expect(t.appliedAtMs).toBeGreaterThanOrEqual(t.scheduledAtMs);
      expect(t.healedAtMs).toBeGreaterThan(t.appliedAtMs!);
    }
    expect(p.timeline[0]!.resolved).toMatch(/^broker [123]$/);
    expect(p.timeline[1]!.resolved).toBe('consumer consumer-c0');
    expect(p.health?.healthy).toBe(true);
    expect(p.drain?.drained).toBe(true);
    // the drain waited for the log to settle, and the final read read the log it settled on
    expect(p.drain?.detail).toMatch(/the log's ends unchanged for \d+\.\ds$/);
    expect(p.drain?.ends).toEqual(p.partitions!.map((x) => ({ partition: x.partition, low: x.logStartOffset, high: x.highWatermark })));
    expect(p.drain?.changedAfter).toBeUndefined();
    expect(p.thresholds.every((t) => t.pass)).toBe(true);
    expect(r.code).toBe(0);
    // the report holds what it promises
    const profileDir = p.dir;
    for (const f of ['result.json', 'faults.json', 'final-read.jsonl', 'ledgers/producer-p0.jsonl', 'ledgers/consumer-c0.jsonl', 'cluster/broker-1.log', 'cluster/toxiproxy.log']) {
      expect(fs.existsSync(path.join(profileDir, f)), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8')).toContain('| safe ');
    // nothing left running
    expect(findMarkedProcesses().filter((x) => x.runId === run.runId)).toEqual([]);
  });
});
