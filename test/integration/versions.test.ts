// One shipped experiment on two Kafka versions: kip966-last-replica-standing runs one
// profile on Kafka 3.9 and one on the default 4.x, under the same schedule. The report
// must record each profile's version and whether eligible leader replicas (KIP-966) were
// on, and the scenario must come out as the experiment says: 3.9 re-elects the leader
// that lost power (acknowledged writes lost), 4.x elects the eligible follower (none).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../harness/provision/versions.ts';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { readRun, REPO, runCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

describe.skipIf(!prereq.ok)('Kafka versions', () => {
  it('kip966-last-replica-standing: Kafka 3.9 without ELR loses acknowledged writes, the default 4.x with ELR loses none', async () => {
    const reports = path.join(tempDir('versions'), 'reports');
    const r = await runCli(['run', path.join(REPO, 'experiments', 'kip966-last-replica-standing.yaml'), '--cluster', 'local', '--reports', reports]);
    const run = readRun(reports);
    const [k39, k4] = run.profiles;
    for (const p of [k39!, k4!]) {
      expect(p.error, r.stdout + r.stderr).toBeUndefined();
      expect(p.status, p.inconclusive?.join('; ')).toBe('ok');
      expect(p.violations).toEqual([]);
      expect(p.timeline[0]?.error).toBeUndefined();
      expect(p.metrics!.attempted).toBe(p.metrics!.acked + p.metrics!.failed + p.metrics!.unknown);
    }
    // both versions started from one run of the storage tool (the other brokers' storage is
    // a copy: its bootstrap metadata is what the probe below reads back) and from the
    // class-data archive of their Kafka's classes
    for (const p of [k39!, k4!]) {
      expect(fs.readFileSync(path.join(p.dir, 'cluster', 'broker-2', 'format.log'), 'utf8')).toMatch(/^formatted from /);
      expect(p.versions.classArchive).toBe('yes');
    }
    // the version each profile asked for is the one that ran, and the cluster said whether ELR was on
    expect(k39!.versions.kafka).toBe('3.9.1');
    expect(k39!.features?.levels?.['metadata.version']).toMatch(/^3\.9/);
    expect(k39!.features?.elr).toBe(false);
    expect(k4!.versions.kafka).toBe(DEFAULT_KAFKA_VERSION);
    expect(k4!.features?.levels?.['eligible.leader.replicas.version']).toBe('1');
    expect(k4!.features?.elr).toBe(true);
    const summary = fs.readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    expect(summary).toContain('- Kafka 3.9.1; eligible leader replicas (KIP-966): off');
    expect(summary).toContain(`- Kafka ${DEFAULT_KAFKA_VERSION}; eligible leader replicas (KIP-966): on`);
    // the scenario: on 3.9 the leader that lost its unflushed tail is elected again
    expect(k39!.metrics!.lost).toBeGreaterThan(0);
    expect(k4!.metrics!.lost).toBe(0);
    expect(k4!.passed).toBe(true);
    expect(findMarkedProcesses().filter((x) => x.runId === run.runId)).toEqual([]);
  });
});
