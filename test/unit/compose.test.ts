// docker-compose.yml is generated from the broker-config generator: the committed file
// must be exactly what the generator makes, so the drill cluster is wired like the others.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, renderComposeFile, renderComposeToxiproxyConfig } from '../../harness/cluster/compose.ts';
import { REPO } from '../support/cli.ts';

describe('docker-compose.yml', () => {
  it('is what `kafka-chaos compose generate` writes', () => {
    expect(fs.readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8')).toBe(renderComposeFile());
    expect(fs.readFileSync(path.join(REPO, 'harness/cluster/compose-toxiproxy.json'), 'utf8')).toBe(renderComposeToxiproxyConfig());
  });

  it('advertises every listener at a Toxiproxy proxy', () => {
    const text = renderComposeFile();
    expect(text).toContain('KAFKA_ADVERTISED_LISTENERS: "CLIENT://127.0.0.1:19092,REPLICATION://toxiproxy:21002"');
    expect(text).toContain('KAFKA_CONTROLLER_QUORUM_VOTERS: "1@toxiproxy:22001,2@toxiproxy:22002,3@toxiproxy:22003"');
    const proxies = JSON.parse(renderComposeToxiproxyConfig()) as Array<{ name: string; listen: string; upstream: string }>;
    expect(proxies.find((p) => p.name === 'b3-replication')).toEqual({ name: 'b3-replication', listen: '0.0.0.0:21003', upstream: 'kafka-3:9093', enabled: true });
    expect(proxies).toHaveLength(9);
  });

  it('names properties the way the official image reads its environment', () => {
    expect(envName('log.dirs')).toBe('KAFKA_LOG_DIRS');
    expect(envName('transaction.state.log.min.isr')).toBe('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR');
    expect(envName('some_prop.with-dash')).toBe('KAFKA_SOME__PROP_WITH___DASH');
  });
});
