// Ctrl-C (SIGINT) in the middle of a run, and a crash of the harness (SIGKILL) followed
// by `kafka-chaos clean`: neither leaves a broker, proxy or agent process behind.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { runCli, startCli, tempDir } from '../support/cli.ts';
import { clusterPrerequisites } from '../support/prereq.ts';

const prereq = clusterPrerequisites();

const EXPERIMENT = (name: string) => `name: ${name}
workload:
  duration: 60s
  rate: 200
  consumers: 1
faults:
  - at: 30s
    action: broker.kill
    target: leader
profiles:
  - name: p
    producer: { acks: all }
`;

function setup(name: string) {
  const dir = tempDir(name);
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, EXPERIMENT(name));
  return { dir, file, reports: path.join(dir, 'reports') };
}

/** Waits until the run's agents are up, and returns the run id and its processes. */
async function midRun(cli: ReturnType<typeof startCli>) {
  const m = await cli.waitFor(/report in (\S+)/, 60_000);
  const runId = path.basename(m[1]!);
  await cli.waitFor(/workload \d+\.\d+s\/60\.0s \| sent [1-9]/, 180_000);
  const procs = findMarkedProcesses().filter((p) => p.runId === runId);
  return { runId, procs };
}

async function gone(runId: string, timeoutMs = 20_000): Promise<Array<{ pid: number; cmd: string }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = findMarkedProcesses().filter((p) => p.runId === runId);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!prereq.ok)('cleanup on a real cluster', () => {
  it('Ctrl-C mid-run stops every broker, proxy and agent, and exits 130', async () => {
    const s = setup('it-interrupt');
    const cli = startCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
    const { runId, procs } = await midRun(cli);
    // 3 brokers, Toxiproxy, a producer and a consumer were running
    expect(procs.length).toBeGreaterThanOrEqual(6);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(await gone(runId, 2000)).toEqual([]);
    const result = JSON.parse(fs.readFileSync(path.join(s.reports, runId, 'result.json'), 'utf8')) as { exitCode: number; profiles: Array<{ status: string }> };
    expect(result.exitCode).toBe(130);
    expect(result.profiles[0]?.status).toBe('interrupted');
  });

  it('after the harness is killed (SIGKILL), `kafka-chaos clean` removes what it left', async () => {
    const s = setup('it-crash');
    const cli = startCli(['run', s.file, '--cluster', 'local', '--reports', s.reports]);
    const { runId, procs } = await midRun(cli);
    expect(procs.length).toBeGreaterThanOrEqual(6);
    cli.child.kill('SIGKILL');
    await cli.done;
    // the harness is gone, its children are not
    await new Promise((r) => setTimeout(r, 1000));
    const orphans = findMarkedProcesses().filter((p) => p.runId === runId);
    expect(orphans.length).toBeGreaterThanOrEqual(4);
    const clean = await runCli(['clean']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`of run ${runId}`);
    expect(await gone(runId)).toEqual([]);
  });
});
