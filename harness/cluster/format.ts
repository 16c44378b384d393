// Formatting the brokers' storage (KRaft): Kafka's storage tool writes two files in a log
// directory, meta.properties (the node's and the directory's identity) and
// bootstrap.checkpoint (the metadata version and feature levels the cluster starts at).
// Running the tool is a JVM start per broker, seconds on a small machine, and the second
// file is the same for every broker of a cluster and every cluster of the same Kafka and
// broker settings. So the tool formats one broker, its bootstrap.checkpoint is kept in the
// cache under a key of the Kafka classpath and the broker settings, and the other brokers
// (and later clusters) get a copy of it with a meta.properties of their own. A format whose
// output is anything else (another Kafka's layout) is never copied: then the tool formats
// every broker.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runCommand } from '../provision/exec.ts';
import { classpathFingerprint } from '../provision/kafka.ts';
import { HarnessError } from '../util/errors.ts';
import { newClusterId } from './broker-config.ts';

export interface FormatNode {
  id: number;
  configFile: string;
  dataDir: string;
}

export interface FormatOptions {
  java: string;
  /** JVM options and classpath before the tool's class */
  jvm: string[];
  clusterId: string;
  nodes: readonly FormatNode[];
  /** where bootstrap.checkpoint files are kept; undefined: format every broker with the tool */
  cacheDir: string | undefined;
  /** what decides the tool's output besides the node: the Kafka classpath and the broker settings that are not the node's own */
  key: string;
}

/** The files a format writes that are copied as they are (meta.properties is written per node). */
const SHARED_FILES = ['bootstrap.checkpoint'];
const META_KEYS = new Set(['node.id', 'directory.id', 'version', 'cluster.id']);
/** broker settings that differ from node to node and do not change what the tool writes but meta.properties */
const NODE_SETTINGS = new Set(['node.id', 'broker.id', 'listeners', 'advertised.listeners', 'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'inter.broker.listener.name', 'listener.security.protocol.map', 'log.dirs', 'log.dir', 'metadata.log.dir']);

/** The cache key of a format: the classpath's jars and a broker's settings without the node's own. */
export function formatKey(kafkaVersion: string, classpath: string, configText: string): string {
  const settings = configText
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .filter((l) => !NODE_SETTINGS.has(l.slice(0, l.indexOf('=')).trim()))
    .sort();
  return crypto.createHash('sha256').update([kafkaVersion, ...classpathFingerprint(classpath), '--', ...settings].join('\n')).digest('hex').slice(0, 20);
}

/** meta.properties as the storage tool writes it (a Java properties file). */
export function metaProperties(nodeId: number, clusterId: string, directoryId: string = newClusterId()): string {
  return `#\n#written by kafka-chaos\nnode.id=${nodeId}\ndirectory.id=${directoryId}\nversion=1\ncluster.id=${clusterId}\n`;
}

/** The keys of a properties file. */
function keysOf(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => l.slice(0, l.indexOf('=')).trim());
}

/** A formatted log directory holds exactly meta.properties with the known keys and the shared files: it can be copied. */
export function copyableFormat(dataDir: string): boolean {
  let files: string[];
  try {
    files = fs.readdirSync(dataDir).sort();
  } catch {
    return false;
  }
  if (files.join(',') !== ['meta.properties', ...SHARED_FILES].sort().join(',')) return false;
  if (!SHARED_FILES.every((f) => fs.statSync(path.join(dataDir, f)).isFile())) return false;
  const keys = keysOf(fs.readFileSync(path.join(dataDir, 'meta.properties'), 'utf8'));
  return keys.length === META_KEYS.size && keys.every((k) => META_KEYS.has(k));
}

function copyFormat(from: string, node: FormatNode, clusterId: string): void {
  fs.mkdirSync(node.dataDir, { recursive: true });
  for (const f of SHARED_FILES) fs.copyFileSync(path.join(from, f), path.join(node.dataDir, f));
  fs.writeFileSync(path.join(node.dataDir, 'meta.properties'), metaProperties(node.id, clusterId));
  fs.writeFileSync(path.join(path.dirname(node.configFile), 'format.log'), `formatted from ${from} (bootstrap.checkpoint of the storage tool, meta.properties of this node)\n`);
}

async function runTool(opts: FormatOptions, node: FormatNode): Promise<void> {
  const r = await runCommand(opts.java, [...opts.jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${opts.clusterId}`, '--config', node.configFile], { timeoutMs: 120_000 });
  fs.writeFileSync(path.join(path.dirname(node.configFile), 'format.log'), r.stdout + r.stderr);
  if (r.code !== 0) throw new HarnessError(`formatting the storage of broker ${node.id} failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-2000)}`);
}

/**
 * Formats every node's log directory. Returns how: `cached` (no tool run), `one` (the tool
 * formatted the first node, the others are copies) or `each` (the tool formatted every node).
 */
export async function formatStorage(opts: FormatOptions): Promise<'cached' | 'one' | 'each'> {
  const [first, ...rest] = opts.nodes;
  if (!first) return 'each';
  const template = opts.cacheDir ? path.join(opts.cacheDir, 'kafka-format', opts.key) : undefined;
  if (template && SHARED_FILES.every((f) => fs.existsSync(path.join(template, f)))) {
    for (const n of opts.nodes) copyFormat(template, n, opts.clusterId);
    return 'cached';
  }
  await runTool(opts, first);
  if (!copyableFormat(first.dataDir)) {
    await Promise.all(rest.map((n) => runTool(opts, n)));
    return 'each';
  }
  for (const n of rest) copyFormat(first.dataDir, n, opts.clusterId);
  if (template) {
    // written whole, then renamed: a cache entry is complete or absent
    const tmp = `${template}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(tmp, { recursive: true });
      for (const f of SHARED_FILES) fs.copyFileSync(path.join(first.dataDir, f), path.join(tmp, f));
      fs.renameSync(tmp, template);
    } catch {
      // another run cached it meanwhile, or the cache is not writable: the next format runs the tool
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return 'one';
}
