// Formatting the brokers' storage from one run of Kafka's storage tool: which formats may be
// copied, what decides the cache key, and the meta.properties each node gets. (The tool's
// own output is checked on a real cluster: every integration test starts from it.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyableFormat, formatKey, formatStorage, metaProperties } from '../../harness/cluster/format.ts';
import { tempDir } from '../support/cli.ts';

const CONFIG = (node: number, port: number) =>
  [`process.roles=broker,controller`, `node.id=${node}`, `controller.quorum.voters=1@127.0.0.1:${port}`, `listeners=CLIENT://127.0.0.1:${port + 1}`, `log.dirs=/tmp/x/broker-${node}/data`, 'min.insync.replicas=2', ''].join('\n');

function formatted(dir: string, meta: string, extra: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta.properties'), meta);
  fs.writeFileSync(path.join(dir, 'bootstrap.checkpoint'), 'binary');
  for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

describe('formatting the storage', () => {
  it('the cache key ignores what is the node\'s own and changes with any other setting or the Kafka version', () => {
    const cp = '/nonexistent/a.jar:/nonexistent/b.jar';
    const k1 = formatKey('4.3.1', cp, CONFIG(1, 9000));
    expect(formatKey('4.3.1', cp, CONFIG(2, 9100))).toBe(k1);
    expect(formatKey('4.3.1', cp, CONFIG(1, 9000).replace('min.insync.replicas=2', 'min.insync.replicas=1'))).not.toBe(k1);
    expect(formatKey('4.3.1', cp, `${CONFIG(1, 9000)}unstable.feature.versions.enable=true\n`)).not.toBe(k1);
    expect(formatKey('3.9.1', cp, CONFIG(1, 9000))).not.toBe(k1);
    expect(formatKey('4.3.1', `${cp}:/nonexistent/c.jar`, CONFIG(1, 9000))).not.toBe(k1);
  });

  it('the cache key follows the jars behind a dir/* classpath entry (the way Kafka\'s jars are put on it)', () => {
    const dir = tempDir('format-jars');
    fs.writeFileSync(path.join(dir, 'a.jar'), 'a');
    const cp = `${dir}${path.sep}*`;
    const k1 = formatKey('4.3.1', cp, CONFIG(1, 9000));
    expect(formatKey('4.3.1', cp, CONFIG(1, 9000))).toBe(k1);
    fs.writeFileSync(path.join(dir, 'b.jar'), 'b');
    const k2 = formatKey('4.3.1', cp, CONFIG(1, 9000));
    expect(k2).not.toBe(k1);
    fs.writeFileSync(path.join(dir, 'a.jar'), 'a, another build');
    expect(formatKey('4.3.1', cp, CONFIG(1, 9000))).not.toBe(k2);
  });

  it('copies only a format of exactly meta.properties (the four known keys) and bootstrap.checkpoint', () => {
    const dir = tempDir('format-copyable');
    const meta = metaProperties(1, 'AAAAAAAAAAAAAAAAAAAAAQ');
    expect(copyableFormat(formatted(path.join(dir, 'ok'), meta))).toBe(true);
    expect(copyableFormat(formatted(path.join(dir, 'more-files'), meta, { 'quorum-state': '{}' }))).toBe(false);
    expect(copyableFormat(formatted(path.join(dir, 'more-keys'), `${meta}some.new.key=1\n`))).toBe(false);
    expect(copyableFormat(path.join(dir, 'missing'))).toBe(false);
  });

  it('meta.properties names the node, the cluster and a directory id of its own', () => {
    const a = metaProperties(2, 'CLUSTER');
    const b = metaProperties(2, 'CLUSTER');
    const keys = (t: string) => Object.fromEntries(t.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]));
    expect(keys(a)).toMatchObject({ 'node.id': '2', 'cluster.id': 'CLUSTER', version: '1' });
    expect(keys(a)['directory.id']).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(keys(a)['directory.id']).not.toBe(keys(b)['directory.id']);
  });

  it('a cached format: every node gets the cached bootstrap.checkpoint and its own meta.properties, and no tool runs', async () => {
    const dir = tempDir('format-cached');
    const cache = path.join(dir, 'cache');
    formatted(path.join(cache, 'kafka-format', 'KEY'), metaProperties(1, 'OLD'));
    fs.rmSync(path.join(cache, 'kafka-format', 'KEY', 'meta.properties'));
    const nodes = [1, 2, 3].map((id) => {
      fs.mkdirSync(path.join(dir, `broker-${id}`), { recursive: true });
      return { id, configFile: path.join(dir, `broker-${id}`, 'server.properties'), dataDir: path.join(dir, `broker-${id}`, 'data') };
    });
    // a java that does not exist: running the tool would fail the format
    const how = await formatStorage({ java: path.join(dir, 'no-java'), jvm: [], clusterId: 'NEW', nodes, cacheDir: cache, key: 'KEY' });
    expect(how).toBe('cached');
    const ids = new Set<string>();
    for (const n of nodes) {
      expect(fs.readFileSync(path.join(n.dataDir, 'bootstrap.checkpoint'), 'utf8')).toBe('binary');
      const meta = fs.readFileSync(path.join(n.dataDir, 'meta.properties'), 'utf8');
      expect(meta).toContain(`node.id=${n.id}\n`);
      expect(meta).toContain('cluster.id=NEW\n');
      ids.add(/directory.id=(.*)/.exec(meta)![1]!);
      expect(copyableFormat(n.dataDir)).toBe(true);
    }
    expect(ids.size).toBe(3);
    // another key is not in the cache: the tool must run, and its failure is the format's
    await expect(formatStorage({ java: path.join(dir, 'no-java'), jvm: [], clusterId: 'NEW', nodes, cacheDir: cache, key: 'OTHER' })).rejects.toThrow(/formatting the storage of broker 1 failed/);
  });
});
