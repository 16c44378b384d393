import fs from 'node:fs';
import path from 'node:path';
import { kafkaTool } from '../provision/kafka-tools.ts';
import type { ToxiproxyClient } from '../proxy/client.ts';
import { ToxiproxyServer } from '../proxy/server.ts';
import { findJava, type JavaRuntime } from '../provision/java.ts';
import { provisionKafka, type KafkaDistribution } from '../provision/kafka.ts';
import { provisionToxiproxy, type ToxiproxyBinary } from '../provision/toxiproxy.ts';
import { DEFAULT_TOXIPROXY_VERSION } from '../provision/versions.ts';
import type { Environment } from '../util/env.ts';
import { HarnessError } from '../util/errors.ts';
import { freePorts } from '../util/ports.ts';
import { ManagedProcess, tail } from '../util/proc.ts';
import { runCommand } from '../provision/exec.ts';
import { classArchiveOption, provisionClassArchive } from '../provision/kafka-cds.ts';
import { type BrokerState, type Capability, type Cluster, type ClusterBackend, type ClusterSpec } from './backend.ts';
import { waitForBrokers } from './admin.ts';
import { formatKey, formatStorage } from './format.ts';
import { BROKER_LOG4J2, brokerAddresses, brokerProperties, newClusterId, proxyPlan, renderProperties, type BrokerAddresses } from './broker-config.ts';

const HOST = '127.0.0.1';

interface LocalBroker {
  id: number;
  addr: BrokerAddresses;
  configFile: string;
  dataDir: string;
  logFile: string;
  proc: ManagedProcess | undefined;
  paused: boolean;
}

const LOCAL_CAPABILITIES: ReadonlySet<Capability> = new Set(['signals', 'toxiproxy', 'broker-data', 'admin-tools']);

/** Brokers as JVM processes on 127.0.0.1, each listener behind its own Toxiproxy proxy. */
export class LocalBackend implements ClusterBackend {
  readonly name = 'local';
  readonly capabilities = LOCAL_CAPABILITIES;
  constructor(
    private readonly env: Environment,
    private readonly opts: { keepData: boolean } = { keepData: false },
  ) {}

  private provisioned = new Map<string, Promise<[JavaRuntime, KafkaDistribution, ToxiproxyBinary]>>();

  prepare(opts: { kafkaVersion: string; log: (line: string) => void }): Promise<void> {
    return this.provision(opts.kafkaVersion, opts.log).then(() => undefined);
  }

  private provision(kafkaVersion: string, log: (line: string) => void): Promise<[JavaRuntime, KafkaDistribution, ToxiproxyBinary]> {
    let p = this.provisioned.get(kafkaVersion);
    if (!p) {
      p = Promise.all([
        findJava(this.env.javaHome),
        provisionKafka({ version: kafkaVersion, cacheDir: this.env.cacheDir, kafkaHome: this.env.kafkaHome, log }),
        provisionToxiproxy({ version: DEFAULT_TOXIPROXY_VERSION, cacheDir: this.env.cacheDir, log }),
      ]);
      this.provisioned.set(kafkaVersion, p);
      p.catch(() => this.provisioned.delete(kafkaVersion));
    }
    return p;
  }

  private archives = new Map<string, Promise<string | undefined>>();

  /** The class-data archive of this Kafka and Java (made once; none when turned off or when it cannot be made). */
  private classArchive(java: JavaRuntime, kafka: KafkaDistribution, spec: ClusterSpec): Promise<string | undefined> {
    if (!this.env.classArchive) return Promise.resolve(undefined);
    let p = this.archives.get(kafka.version);
    if (!p) {
      p = provisionClassArchive({ cacheDir: this.env.cacheDir, java, kafka, runId: spec.runId, log: spec.log });
      this.archives.set(kafka.version, p);
    }
    return p;
  }

  async start(spec: ClusterSpec): Promise<Cluster> {
    const [java, kafka, toxi] = await this.provision(spec.kafkaVersion, spec.log);
    fs.mkdirSync(spec.dir, { recursive: true });
    // per broker: client and watch listeners, a replication and a controller listener per source, and a proxy per link
    const ports = await freePorts(spec.brokers * (3 + 4 * spec.brokers) + 1);
    const take = () => {
      const p = ports.shift();
      if (p === undefined) throw new Error('ran out of ports');
      return p;
    };
    const toxiproxy = await ToxiproxyServer.start({ bin: toxi.bin, port: take(), runId: spec.runId, logDir: spec.dir, signal: spec.signal });
    const classArchive = await this.classArchive(java, kafka, spec);
    const cluster = new LocalCluster(spec, java, kafka, toxiproxy, { toxiproxy: toxi.version, toxiproxySource: toxi.source, classArchive: classArchive ? 'yes' : 'no' }, {
      keepData: this.opts.keepData,
      cacheDir: this.env.cacheDir,
      classArchive,
    });
    try {
      const ids = Array.from({ length: spec.brokers }, (_, i) => i + 1);
      const at = () => ({ host: HOST, port: take() });
      for (const id of ids) {
        const watch = at();
        cluster.addBroker(id, { ...brokerAddresses(ids, { bind: at, proxy: at }), watch: { bind: watch, advertised: watch } });
      }
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster[Symbol.asyncDispose]();
      throw err;
    }
  }
}

class LocalCluster implements Cluster {
  readonly backend = 'local';
  readonly capabilities = LOCAL_CAPABILITIES;
  readonly brokers = new Map<number, LocalBroker>();
  readonly versions: Record<string, string>;
  private disposed = false;

  constructor(
    private readonly spec: ClusterSpec,
    private readonly java: JavaRuntime,
    private readonly kafka: KafkaDistribution,
    private readonly proxyServer: ToxiproxyServer,
    extra: Record<string, string>,
    private readonly opts: {
      keepData: boolean;
      /** where formats are cached (none: every broker is formatted by the storage tool) */
      cacheDir: string | undefined;
      /** the class-data archive of this Kafka and Java, when there is one */
      classArchive: string | undefined;
    },
  ) {
    this.versions = {
      backend: 'local',
      kafka: kafka.version,
      kafkaSource: `${kafka.source} (${kafka.location})`,
      java: java.version,
      ...extra,
    };
  }

  get toxiproxy(): ToxiproxyClient {
    return this.proxyServer.client;
  }

  get brokerIds(): number[] {
    return [...this.brokers.keys()];
  }

  get bootstrapServers(): string[] {
    return [...this.brokers.values()].map((b) => `${b.addr.proxy.client.host}:${b.addr.proxy.client.port}`);
  }

  get watchBootstrap(): string[] {
    return [...this.brokers.values()].flatMap((b) => (b.addr.watch ? [`${b.addr.watch.advertised.host}:${b.addr.watch.advertised.port}`] : []));
  }

  addBroker(id: number, addr: BrokerAddresses): void {
    const dir = path.join(this.spec.dir, `broker-${id}`);
    this.brokers.set(id, {
      id,
      addr,
      configFile: path.join(dir, 'server.properties'),
      dataDir: path.join(dir, 'data'),
      logFile: path.join(this.spec.dir, `broker-${id}.log`),
      proc: undefined,
      paused: false,
    });
  }

  async boot(): Promise<void> {
    const nodes = new Map([...this.brokers.values()].map((b) => [b.id, b.addr]));
    await this.toxiproxy.createProxies(proxyPlan(nodes, { listenHost: HOST, upstreamHost: () => HOST }));
    const log4j = path.join(this.spec.dir, 'log4j2.properties');
    fs.writeFileSync(log4j, BROKER_LOG4J2);
    const clusterId = newClusterId();
    for (const b of this.brokers.values()) {
      fs.mkdirSync(path.dirname(b.configFile), { recursive: true });
      const props = brokerProperties({
        nodeId: b.id,
        nodes,
        logDir: b.dataDir,
        brokers: this.brokers.size,
        overrides: this.spec.brokerProperties,
      });
      fs.writeFileSync(b.configFile, renderProperties(props));
    }
    const storage = [...this.brokers.values()].map((b) => ({ id: b.id, configFile: b.configFile, dataDir: b.dataDir }));
    const how = await formatStorage({
      java: this.java.bin,
      jvm: [...this.jvmOptions(), '-cp', this.kafka.classpath, `-Dlog4j2.configurationFile=${log4j}`],
      clusterId,
      nodes: storage,
      cacheDir: this.opts.cacheDir,
      key: formatKey(this.kafka.version, this.kafka.classpath, fs.readFileSync(storage[0]!.configFile, 'utf8')),
    });
    this.spec.log?.(`storage formatted (${how === 'cached' ? 'bootstrap metadata from the cache' : how === 'one' ? 'the storage tool ran once' : 'the storage tool ran for each broker'})`);
    for (const b of this.brokers.values()) this.launch(b);
    await this.waitAllRegistered(120_000);
  }

  private launch(b: LocalBroker): void {
    if (this.disposed) throw new HarnessError(`broker ${b.id} not started: the cluster has been torn down`);
    const log4j = path.join(this.spec.dir, 'log4j2.properties');
    fs.appendFileSync(b.logFile, `\n=== kafka-chaos: starting broker ${b.id} at ${new Date().toISOString()} ===\n`);
    b.proc = new ManagedProcess({
      name: `broker-${b.id}`,
      command: this.java.bin,
      args: [
        '-Xms256m',
        '-Xmx768m',
        '-XX:+UseG1GC',
        ...this.jvmOptions(),
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4j}`,
        `-Dkafka.chaos.broker=${b.id}`,
        '-cp',
        this.kafka.classpath,
        'kafka.Kafka',
        b.configFile,
      ],
      runId: this.spec.runId,
      logFile: b.logFile,
    });
    b.paused = false;
  }

  /** JVM options of every broker and tool JVM: the class-data archive when there is one. */
  private jvmOptions(): string[] {
    return this.opts.classArchive ? [classArchiveOption(this.opts.classArchive)] : [];
  }

  private broker(id: number): LocalBroker {
    const b = this.brokers.get(id);
    if (!b) throw new HarnessError(`no broker ${id} (brokers are ${this.brokerIds.join(', ')})`);
    return b;
  }

  /** Waits until every broker is registered in the cluster metadata. */
  private async waitAllRegistered(timeoutMs: number): Promise<void> {
    await waitForBrokers({
      bootstrap: this.bootstrapServers,
      count: this.brokers.size,
      timeoutMs,
      signal: this.spec.signal,
      fatal: () => {
        const dead = [...this.brokers.values()].find((b) => b.proc && !b.proc.running);
        return dead ? `broker ${dead.id} exited during start-up (${JSON.stringify(dead.proc!.exit)}); last lines of ${dead.logFile}:\n${tail(dead.logFile)}` : undefined;
      },
      describe: () => [...this.brokers.values()].map((b) => `broker ${b.id} (${b.logFile}):\n${tail(b.logFile, 8)}`).join('\n'),
    });
  }

  state(id: number): BrokerState {
    const b = this.broker(id);
    if (!b.proc || !b.proc.running) return 'stopped';
    return b.paused ? 'paused' : 'running';
  }

  async kill(id: number): Promise<void> {
    const b = this.broker(id);
    await b.proc?.kill();
    b.paused = false;
  }

  async stop(id: number): Promise<void> {
    const b = this.broker(id);
    await b.proc?.stop(30_000);
    b.paused = false;
  }

  async start(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.proc?.running) return;
    this.launch(b);
  }

  async pause(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.proc?.signal('SIGSTOP')) b.paused = true;
  }

  async resume(id: number): Promise<void> {
    const b = this.broker(id);
    b.proc?.signal('SIGCONT');
    b.paused = false;
  }

  async runTool(tool: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    const main = kafkaTool(tool)?.main;
    if (!main) throw new HarnessError(`the local backend does not know Kafka's tool ${tool}`);
    const r = await runCommand(
      this.java.bin,
      [...this.jvmOptions(), '-cp', this.kafka.classpath, `-Dlog4j2.configurationFile=${path.join(this.spec.dir, 'log4j2.properties')}`, main, ...args.map((a) => a.replaceAll('{bootstrap}', this.bootstrapServers.join(',')))],
      { timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    if (r.code !== 0) throw new HarnessError(`${tool} failed (exit ${r.code}): ${(r.stdout + r.stderr).slice(-800)}`);
    return r.stdout;
  }

  async activeController(): Promise<number> {
    const out = await this.runTool('kafka-metadata-quorum', ['--bootstrap-server', '{bootstrap}', 'describe', '--status']);
    const m = /LeaderId:\s+(\d+)/.exec(out);
    if (!m?.[1]) throw new HarnessError(`could not find the active controller: ${out.slice(-500)}`);
    return Number(m[1]);
  }

  dataDir(id: number): string {
    return this.broker(id).dataDir;
  }

  brokerLog(id: number): string {
    return this.broker(id).logFile;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // brokers first, all at once: a clean shutdown is not needed, the data is per run
    await Promise.all([...this.brokers.values()].map((b) => b.proc?.kill()));
    await this.proxyServer[Symbol.asyncDispose]();
    // the logs stay in the run directory; the partition data is large and was read in full by the final read
    if (!this.opts.keepData) for (const b of this.brokers.values()) fs.rmSync(b.dataDir, { recursive: true, force: true });
  }
}
