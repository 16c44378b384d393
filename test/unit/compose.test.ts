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

  it('advertises every listener at a Toxiproxy proxy, but the observer\'s, which it publishes', () => {
    const text = renderComposeFile();
    // broker 2: a replication listener per source, each behind its own proxy; it reaches each voter through its own links
    expect(text).toContain('KAFKA_ADVERTISED_LISTENERS: "CLIENT://127.0.0.1:19092,REPLICATION_FROM_1://toxiproxy:21201,REPLICATION_FROM_2://toxiproxy:21202,REPLICATION_FROM_3://toxiproxy:21203,CONTROLLER_FROM_1://toxiproxy:22201,CONTROLLER_FROM_2://toxiproxy:22202,CONTROLLER_FROM_3://toxiproxy:22203,WATCH://127.0.0.1:19192"');
    // the WATCH listener is published on the host's loopback where it is advertised
    expect(text).toContain('  kafka-2:\n    image: ${KAFKA_CHAOS_KAFKA_IMAGE:-apache/kafka:');
    expect(text).toMatch(/ {2}kafka-2:\n.*\n.*\n {4}ports:\n {6}- "127\.0\.0\.1:19192:9300"\n/);
    expect(text).toContain('KAFKA_CONTROLLER_QUORUM_VOTERS: "1@toxiproxy:22102,2@toxiproxy:22202,3@toxiproxy:22302"');
    expect(text).toContain('KAFKA_INTER_BROKER_LISTENER_NAME: "REPLICATION_FROM_2"');
    const proxies = JSON.parse(renderComposeToxiproxyConfig()) as Array<{ name: string; listen: string; upstream: string }>;
    // broker 1 fetching from broker 3 goes through broker 3's listener for source 1
    expect(proxies.find((p) => p.name === 'b3-replication-from-1')).toEqual({ name: 'b3-replication-from-1', listen: '0.0.0.0:21301', upstream: 'kafka-3:9101', enabled: true });
    expect(proxies.find((p) => p.name === 'b3-controller-from-1')).toEqual({ name: 'b3-controller-from-1', listen: '0.0.0.0:22301', upstream: 'kafka-3:9201', enabled: true });
    // per broker: a client link, and a replication and a controller link from each broker
    expect(proxies).toHaveLength(3 * (1 + 3 + 3));
  });

  it('names properties the way the official image reads its environment', () => {
    expect(envName('log.dirs')).toBe('KAFKA_LOG_DIRS');
    expect(envName('transaction.state.log.min.isr')).toBe('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR');
    expect(envName('some_prop.with-dash')).toBe('KAFKA_SOME__PROP_WITH___DASH');
  });
});
