// The CLI refuses bad input with the file, line and key, exit code 2, and starts nothing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMarkedProcesses } from '../../harness/util/proc.ts';
import { runCli, tempDir } from '../support/cli.ts';

const VALID = `name: bad-input
workload:
  duration: 10s
profiles:
  - name: only
    producer:
      acks: all
`;

async function runBad(yaml: string) {
  const dir = tempDir('cli');
  const file = path.join(dir, 'exp.yaml');
  fs.writeFileSync(file, yaml);
  const reports = path.join(dir, 'reports');
  const r = await runCli(['run', file, '--reports', reports], { env: { KAFKA_CHAOS_CACHE: path.join(dir, 'cache') } });
  // anything a run starts names its run directory (under `dir`) on its command line;
  // other runs on the machine are not this test's business
  const started = findMarkedProcesses().filter((p) => p.cmd.includes(dir));
  return { ...r, file, reports, started, cache: path.join(dir, 'cache') };
}

describe('kafka-chaos run with a malformed experiment', () => {
  it('an unknown key: exit 2, file:line:column and the key, nothing started', async () => {
    const r = await runBad(VALID.replace('    producer:\n', '    producer:\n      ackz: 1\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}:7:7: profiles[0].producer.ackz: unknown key`);
    expect(fs.existsSync(r.reports)).toBe(false);
    expect(fs.existsSync(r.cache)).toBe(false);
    expect(r.started).toEqual([]);
  });

  it('a wrong type: exit 2 with the line of the value', async () => {
    const r = await runBad(VALID.replace('  duration: 10s\n', '  duration: 10s\n  rate: fast\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:9: workload\\.rate: `));
    expect(fs.existsSync(r.reports)).toBe(false);
  });

  it('a bad duration: exit 2 naming the key and what a duration looks like', async () => {
    const r = await runBad(VALID.replace('duration: 10s', 'duration: 10 sec'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}:3:13: workload.duration: expected a duration like 500ms, 10s or 2m, got "10 sec"`);
    expect(fs.existsSync(r.reports)).toBe(false);
  });

  it('a setting the client driver cannot honour: exit 2 at its line', async () => {
    // transactions run in the transformer role, not in the producer's
    const r = await runBad(VALID.replace('      acks: all\n', '      acks: all\n      transactional.id: tx-1\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}:8:7: profiles[0].producer.transactional.id: `);
    expect(fs.existsSync(r.reports)).toBe(false);
  });

  it('a mode the profile\'s client cannot express: exit 2 at its line, naming the client and the reason', async () => {
    const r = await runBad(VALID.replace('      acks: all\n', '      acks: all\n    consumer:\n      commitOnRevoke: true\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}:9:7: profiles[0].consumer.commitOnRevoke: client kafkajs: commitOnRevoke: kafkajs has no partitions-revoked callback`);
    expect(r.started).toEqual([]);
  });

  it('--client runs every profile on one client, and refuses a profile that client cannot express before anything starts', async () => {
    const dir = tempDir('cli-client');
    const reports = path.join(dir, 'reports');
    const file = path.join(dir, 'exp.yaml');
    fs.writeFileSync(file, VALID.replace('      acks: all\n', '      acks: all\n    consumer:\n      commit: async-retry\n').replace('  - name: only\n', '  - name: only\n    client: java\n'));
    const r = await runCli(['run', file, '--client', 'kafkajs', '--reports', reports]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('profiles[0].consumer.commit: client kafkajs: commit async-retry: kafkajs has no asynchronous commit');
    expect(r.stderr).toContain('--client kafkajs cannot run profile only');
    expect(fs.existsSync(reports)).toBe(false);
    const bad = await runCli(['run', file, '--client', 'rdkafka', '--reports', reports]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--client: expected one of kafkajs, librdkafka, java, got "rdkafka"');
  });

  it('a missing file: exit 2', async () => {
    const dir = tempDir('cli');
    const r = await runCli(['run', path.join(dir, 'nope.yaml'), '--reports', path.join(dir, 'reports')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('experiment file not found');
  });
});
