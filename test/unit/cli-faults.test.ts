// The fault catalogue on the command line: a fault the backend cannot do is refused before
// anything starts, and `kafka-chaos list` prints the catalogue and the shipped experiments.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../harness/experiment/load.ts';
import { FAULT_TYPES } from '../../harness/faults/catalogue.ts';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { REPO, runCli, tempDir } from '../support/cli.ts';

// The compose backend is chosen without asking Docker anything; only its prepare() asks
// (and then looks for the compose cluster). Pointing DOCKER_HOST at a socket that does not
// exist keeps these tests off any real engine: were the capability check to come after
// prepare(), the run would end with "needs a Docker engine" instead of the refusal.
const NO_DOCKER = 'unix:///nonexistent/kafka-chaos-test/docker.sock';
const DOCKER_MISSING = 'kafka-chaos: --cluster compose needs a Docker engine, and none answers\n';

const BASE = `name: capability
workload:
  duration: 10s
faults:
  - at: 2s
    action: broker.kill
  - at: 3s
    action: broker.power-loss
    target: 2
profiles:
  - name: a
`;

async function runCompose(yaml: string, extra: string[] = []) {
  const dir = tempDir('cap');
  const file = path.join(dir, 'exp.yaml');
  fs.writeFileSync(file, yaml);
  const reports = path.join(dir, 'reports');
  const cache = path.join(dir, 'cache');
  const r = await runCli(['run', file, '--cluster', 'compose', '--reports', reports, ...extra], {
    env: { KAFKA_CHAOS_CACHE: cache, DOCKER_HOST: NO_DOCKER },
  });
  const started = findMarkedProcesses().filter((p) => p.cmd.includes(dir));
  return { ...r, file, reports, cache, started };
}

describe('kafka-chaos run: faults the backend cannot do', () => {
  it('broker.power-loss on compose: exit 2 naming the fault, the capability and the backend, nothing started', async () => {
    const r = await runCompose(BASE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `kafka-chaos: ${r.file}:8:5: faults[1].action: broker.power-loss needs broker-data (read and change a stopped broker's log directory, for power loss), which the compose backend does not have\n`,
    );
    // refused before the backend looked for Docker or a compose cluster
    expect(r.stderr).not.toContain('Docker engine');
    expect(r.stderr).not.toContain('compose cluster');
    expect(fs.existsSync(r.reports)).toBe(false);
    expect(fs.existsSync(r.cache)).toBe(false);
    expect(r.started).toEqual([]);
  });

  it('the same file with faults compose can do goes on to look for Docker (so the refusal above came first)', async () => {
    const r = await runCompose(BASE.replace('broker.power-loss', 'broker.pause'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(DOCKER_MISSING);
    expect(fs.existsSync(r.reports)).toBe(false);
  });

  it('in the {list, random} form: a random mix entry is refused at faults.random.mix[i]', async () => {
    const r = await runCompose(`name: capability
workload:
  duration: 10s
faults:
  list:
    - at: 2s
      action: broker.kill
  random:
    every: 1s
    mix:
      - action: network.latency
        latency: 100ms
      - action: cluster.elect-leaders
profiles:
  - name: a
`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `kafka-chaos: ${r.file}:13:9: faults.random.mix[1].action: cluster.elect-leaders needs admin-tools (run Kafka's own admin tools against the cluster, for leader election), which the compose backend does not have\n`,
    );
    expect(fs.existsSync(r.reports)).toBe(false);
  });

  it('in the {list, random} form: a list entry is refused at faults.list[i]', async () => {
    const r = await runCompose(`name: capability
workload: {duration: 10s}
faults:
  list:
    - {at: 2s, action: broker.kill}
    - {at: 3s, action: broker.disconnect, target: [1, 2]}
profiles: [{name: a}]
`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `kafka-chaos: ${r.file}:6:16: faults.list[1].action: broker.disconnect needs network-disconnect (cut a broker off the network entirely), which the compose backend does not have\n`,
    );
  });

  it('--seed must be a whole number; checked before the backend', async () => {
    const r = await runCompose(BASE.replace('broker.power-loss', 'broker.pause'), ['--seed', '-3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kafka-chaos: --seed: expected a whole number from 0 to 4294967295, got "-3"\n');
  });
});

describe('kafka-chaos list', () => {
  it('prints every fault action with its summary and needs, every shipped experiment and every client', async () => {
    const r = await runCli(['list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [experiments, rest] = r.stdout.split('\nFault types (action: what it does [needs]):\n');
    const [catalogue, clients] = rest!.split('\nClients (profile key `client`):\n');
    expect(clients!.split('\n').filter((l) => l !== '').map((l) => l.trim().split(/\s+/)[0])).toEqual(['kafkajs', 'librdkafka', 'java']);
    expect(experiments!.startsWith('Experiments:\n')).toBe(true);

    const dir = path.join(REPO, 'experiments');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(expect.arrayContaining(['leader-kill-acks.yaml', 'consumer-crash-commit.yaml']));
    const expLines = experiments!.split('\n').slice(1).filter((l) => l !== '');
    expect(expLines).toEqual(
      files.map((f) => {
        const exp = loadExperiment(path.join(dir, f));
        return `  ${exp.name.padEnd(32)} ${exp.description ?? ''}`;
      }),
    );
    expect(expLines.some((l) => l.startsWith('  leader-kill-acks ') && l.includes('Kill the leader of partition 0 mid-run'))).toBe(true);
    expect(expLines.every((l) => !l.includes('(invalid:'))).toBe(true);

    const faultLines = catalogue!.split('\n').filter((l) => l !== '');
    expect(faultLines).toHaveLength(FAULT_TYPES.length);
    expect(faultLines).toEqual(FAULT_TYPES.map((t) => `  ${t.action.padEnd(30)} ${t.summary}${t.needs.length ? ` [${t.needs.join(', ')}]` : ''}`));
    // written out, so the test does not only restate the code
    expect(faultLines).toContain(
      '  broker.power-loss              brokers lose power: killed, and every partition log truncated to its fsynced recovery point; the heal starts them [signals, broker-data, toxiproxy]',
    );
    expect(faultLines).toContain('  network.bandwidth              links limited to a rate in KB/s [toxiproxy]');
    expect(faultLines).toContain(
      '  producer.kill                  SIGKILL of a producer agent with sends in flight; the heal starts a new one (a new producer id)',
    );
    for (const t of FAULT_TYPES) expect(t.summary.length).toBeGreaterThan(10);
  });

  it('--dir: lists the experiments there, an invalid one with its first error (in file order)', async () => {
    const dir = tempDir('list');
    fs.writeFileSync(path.join(dir, 'b-ok.yaml'), 'name: ok-one\ndescription: fine\nworkload: {duration: 10s}\nprofiles: [{name: a}]\n');
    fs.writeFileSync(path.join(dir, 'a-bad.yaml'), 'name: Bad\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an experiment\n');
    const r = await runCli(['list', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n\nFault types')[0]).toBe(
      `Experiments:\n  ${'a-bad.yaml'.padEnd(32)} (invalid: ${path.join(dir, 'a-bad.yaml')}:1:1: workload: required key is missing)\n  ${'ok-one'.padEnd(32)} fine`,
    );
  });
});
