// The docker backend: every broker and Toxiproxy in its own container on a network made
// for the cluster, everything labelled with the run id. testcontainers creates, waits for
// and removes the network and the containers; what it cannot do (kill with a signal,
// pause, cut a container off the network, exec a tool) goes through dockerode. Broker
// configuration comes from the same generator as the local backend; broker data lives on
// host bind mounts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { ToxiproxyClient } from '../proxy/client.ts';
import { ToxiproxyClient as Client } from '../proxy/client.ts';
import { Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { errorMessage, HarnessError, PrerequisiteError } from '../util/errors.ts';
import { freePorts } from '../util/ports.ts';
import { waitFor } from '../util/time.ts';
import { waitForBrokers } from './admin.ts';
import { ContainerBrokers, demux, runToolIn } from './containers.ts';
import { configureReaper, LoopbackContainer, startNetwork } from './testcontainers.ts';
import { type BrokerState, type Capability, type Cluster, type ClusterBackend, type ClusterSpec } from './backend.ts';
import { BROKER_LOG4J2, brokerAddresses, brokerProperties, newClusterId, proxyPlan, renderProperties, type BrokerAddresses, type HostPort } from './broker-config.ts';

/** Label on every container and network a run creates: `kafka-chaos clean` finds them by it. */
export const RUN_LABEL = 'kafka-chaos.run';

export interface DockerImages {
  kafka: string;
  toxiproxy: string;
}

/** inside a broker container: the client listener */
const CLIENT_PORT = 9092;
/** inside a broker container: the replication listener for source broker `from` */
const replicationPort = (from: number) => 9100 + from;
/** inside a broker container: the controller listener for source broker `from` */
const controllerPort = (from: number) => 9200 + from;
/** inside a broker container: the harness' observer's listener (WATCH), published on the host's loopback */
const WATCH_PORT = 9300;
/** in the Toxiproxy container: the proxies of the links into broker `to` from broker `from` */
const replicationProxyPort = (to: number, from: number) => 21000 + to * 100 + from;
const controllerProxyPort = (to: number, from: number) => 22000 + to * 100 + from;
const TOXI_API = 8474;

/** A broker's addresses in a container: always with its WATCH listener. */
export type ContainerAddresses = BrokerAddresses & { watch: NonNullable<BrokerAddresses['watch']> };

/**
 * A broker's addresses in the container layout the docker and compose backends share:
 * fixed listener ports in the broker's container, its proxies in the Toxiproxy container
 * (`toxiproxyHost`), its client proxy where the host's agents reach it, and its WATCH
 * listener published on the host at `watch` (no proxy: no fault touches it).
 */
export function containerAddresses(ids: readonly number[], id: number, toxiproxyHost: string, clientProxy: HostPort, watch: HostPort): ContainerAddresses {
  const addr = brokerAddresses(ids, {
    bind: (w) => ({ host: '0.0.0.0', port: w === 'client' ? CLIENT_PORT : 'controllerFrom' in w ? controllerPort(w.controllerFrom) : replicationPort(w.replicationFrom) }),
    proxy: (w) =>
      w === 'client' ? clientProxy : { host: toxiproxyHost, port: 'replicationFrom' in w ? replicationProxyPort(id, w.replicationFrom) : controllerProxyPort(id, w.controllerFrom) },
  });
  return { ...addr, watch: { bind: { host: '0.0.0.0', port: WATCH_PORT }, advertised: watch } };
}

/** The WATCH listener's port inside a broker container, and where the host reaches it. */
export function watchPublished(addr: ContainerAddresses): { container: number; host: number } {
  return { container: addr.watch.bind.port, host: addr.watch.advertised.port };
}

/** Is there a Docker engine answering? */
export async function dockerAnswers(docker = new Docker(), timeoutMs = 3000): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
    return true;
  } catch {
    return false;
  }
}

const DOCKER_CAPABILITIES: ReadonlySet<Capability> = new Set(['signals', 'toxiproxy', 'broker-data', 'admin-tools', 'network-disconnect']);

export class DockerBackend implements ClusterBackend {
  readonly name = 'docker';
  readonly capabilities = DOCKER_CAPABILITIES;
  private readonly docker = new Docker();

  private readonly images = new Map<string, Promise<DockerImages>>();

  /**
   * @param opts.images the images for one Kafka version (resolved, and built offline if
   * needed, once per version)
   * @param opts.pinned a Kafka image the user named: it serves one version only
   */
  constructor(private readonly opts: { images: (kafkaVersion: string) => Promise<DockerImages>; keepData: boolean; pinned?: string | undefined }) {}

  private imagesFor(kafkaVersion: string): Promise<DockerImages> {
    let p = this.images.get(kafkaVersion);
    if (!p) {
      if (this.opts.pinned && this.images.size > 0) {
        const other = [...this.images.keys()][0];
        return Promise.reject(
          new PrerequisiteError(`the Kafka image ${this.opts.pinned} was named (--kafka-image or KAFKA_CHAOS_KAFKA_IMAGE), and one image runs one version, but Kafka ${other} and ${kafkaVersion} are both asked for`),
        );
      }
      p = this.opts.images(kafkaVersion);
      this.images.set(kafkaVersion, p);
      p.catch(() => this.images.delete(kafkaVersion));
    }
    return p;
  }

  async prepare(opts: { kafkaVersion: string }): Promise<void> {
    if (!(await dockerAnswers(this.docker))) {
      throw new PrerequisiteError('the docker backend needs a Docker engine, and none answers (is dockerd running? is DOCKER_HOST right?)');
    }
    const images = await this.imagesFor(opts.kafkaVersion);
    for (const image of [images.kafka, images.toxiproxy]) {
      try {
        await this.docker.getImage(image).inspect();
      } catch {
        throw new PrerequisiteError(`the Docker image ${image} is not present: pull it, or build the offline images with \`kafka-chaos images build\``);
      }
    }
  }

  async start(spec: ClusterSpec): Promise<Cluster> {
    await this.prepare({ kafkaVersion: spec.kafkaVersion });
    const cluster = new DockerCluster(this.docker, spec, await this.imagesFor(spec.kafkaVersion), this.opts.keepData);
    try {
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster[Symbol.asyncDispose]();
      throw err;
    }
  }
}

interface DockerBroker {
  id: number;
  name: string;
  dir: string;
  addr: ContainerAddresses;
  /** what testcontainers started; faults it cannot do (kill, pause, disconnect) go through `container` */
  started: StartedTestContainer | undefined;
  container: Docker.Container | undefined;
  connected: boolean;
}

class DockerCluster implements Cluster {
  readonly backend = 'docker';
  readonly capabilities = DOCKER_CAPABILITIES;
  readonly versions: Record<string, string>;
  private readonly prefix: string;
  private network: StartedNetwork | undefined;
  private toxi: StartedTestContainer | undefined;
  private client: Client | undefined;
  private readonly brokers = new Map<number, DockerBroker>();
  private disposed = false;
  private readonly labels: Record<string, string>;
  private readonly ops = new ContainerBrokers((id) => this.brokers.get(id)?.container);

  constructor(
    private readonly docker: Docker,
    private readonly spec: ClusterSpec,
    private readonly images: DockerImages,
    private readonly keepData: boolean,
  ) {
    this.prefix = `kc-${crypto.randomBytes(4).toString('hex')}`;
    this.labels = { [RUN_LABEL]: spec.runId };
    this.versions = { backend: 'docker', kafka: spec.kafkaVersion, kafkaImage: images.kafka, toxiproxyImage: images.toxiproxy };
  }

  get toxiproxy(): ToxiproxyClient {
    if (!this.client) throw new HarnessError('Toxiproxy is not started');
    return this.client;
  }

  get brokerIds(): number[] {
    return [...this.brokers.keys()];
  }

  get bootstrapServers(): string[] {
    return [...this.brokers.values()].map((b) => `${b.addr.proxy.client.host}:${b.addr.proxy.client.port}`);
  }

  /** the brokers' WATCH listeners, published on 127.0.0.1 (no proxy) */
  get watchBootstrap(): string[] {
    return [...this.brokers.values()].map((b) => `${b.addr.watch.advertised.host}:${b.addr.watch.advertised.port}`);
  }

  async boot(): Promise<void> {
    const spec = this.spec;
    fs.mkdirSync(spec.dir, { recursive: true });
    const engine = await this.docker.version();
    this.versions.dockerEngine = engine.Version;
    this.versions.testcontainers = await configureReaper(this.docker);
    this.network = await startNetwork(`${this.prefix}-net`);
    const network = this.network;
    const toxiName = `${this.prefix}-toxiproxy`;
    // client proxies are published on 127.0.0.1 under the same port number, so the address
    // a broker advertises to clients is the one the host's agents can reach
    // and each broker's WATCH listener under a port of its own
    const ports = await freePorts(2 * spec.brokers + 1);
    const apiPort = ports[spec.brokers]!;
    const ids = Array.from({ length: spec.brokers }, (_, i) => i + 1);
    for (const id of ids) {
      const name = `${this.prefix}-b${id}`;
      this.brokers.set(id, {
        id,
        name,
        dir: path.join(spec.dir, `broker-${id}`),
        addr: containerAddresses(ids, id, toxiName, { host: '127.0.0.1', port: ports[id - 1]! }, { host: '127.0.0.1', port: ports[spec.brokers + id]! }),
        container: undefined,
        started: undefined,
        connected: true,
      });
    }
    const published = [{ container: TOXI_API, host: apiPort }, ...[...this.brokers.values()].map((b) => ({ container: b.addr.proxy.client.port, host: b.addr.proxy.client.port }))];
    this.toxi = await new LoopbackContainer(this.images.toxiproxy)
      .withName(toxiName)
      .withHostname(toxiName)
      .withNetwork(network)
      .withNetworkAliases(toxiName)
      .withLabels(this.labels)
      .withCommand(['-host=0.0.0.0', `-port=${TOXI_API}`])
      .withLoopbackPorts(...published)
      // its log says when the API listens; the API itself is probed below on 127.0.0.1 (testcontainers'
      // idea of the Docker host may be a bridge address, where nothing is published)
      .withWaitStrategy(Wait.forLogMessage(/Starting Toxiproxy HTTP server/))
      .withStartupTimeout(30_000)
      .start()
      .catch((err: unknown) => {
        throw new HarnessError(`the Toxiproxy container did not start (image ${this.images.toxiproxy}): ${errorMessage(err)}`);
      });
    this.client = new Client(`http://127.0.0.1:${apiPort}`);
    const client = this.client;
    this.versions.toxiproxy = await waitFor({
      timeoutMs: 15_000,
      intervalMs: 200,
      signal: spec.signal,
      check: () => client.version(),
      describeFailure: (e) => `the Toxiproxy container did not answer on 127.0.0.1:${apiPort} within 15s (${errorMessage(e)})`,
    });
    const nodes = new Map([...this.brokers.values()].map((b) => [b.id, b.addr]));
    await client.createProxies(proxyPlan(nodes, { listenHost: '0.0.0.0', upstreamHost: (id) => this.brokers.get(id)!.name }));
    const clusterId = newClusterId();
    const user = typeof process.getuid === 'function' ? `${process.getuid()}:${process.getgid!()}` : undefined;
    const definitions = [...this.brokers.values()].map((b) => {
      fs.mkdirSync(path.join(b.dir, 'data'), { recursive: true });
      const props = brokerProperties({ nodeId: b.id, nodes, logDir: '/kc/data', brokers: spec.brokers, overrides: spec.brokerProperties });
      fs.writeFileSync(path.join(b.dir, 'server.properties'), renderProperties(props));
      fs.writeFileSync(path.join(b.dir, 'log4j2.properties'), BROKER_LOG4J2);
      const c = new LoopbackContainer(this.images.kafka)
        .withName(b.name)
        .withHostname(b.name)
        .withNetwork(network)
        .withNetworkAliases(b.name)
        .withLabels({ ...this.labels, 'kafka-chaos.broker': String(b.id) })
        .withEntrypoint(['/bin/sh', '-c'])
        .withCommand([
          `/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id=${clusterId} --config /kc/server.properties && exec /opt/kafka/bin/kafka-server-start.sh /kc/server.properties`,
        ])
        // LOG_DIR: the official image's scripts write GC logs there; it must be writable by the host user
        .withEnvironment({ KAFKA_LOG4J_OPTS: '-Dlog4j2.configurationFile=/kc/log4j2.properties', KAFKA_HEAP_OPTS: '-Xms256m -Xmx768m', HOME: '/tmp', LOG_DIR: '/kc/logs' })
        .withBindMounts([{ source: b.dir, target: '/kc' }])
        .withLoopbackPorts(watchPublished(b.addr))
        // every broker of the quorum starts at once; the wait is for each one's own start-up
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .withStartupTimeout(180_000);
      return { b, c: user ? c.withUser(user) : c };
    });
    const starts = await Promise.allSettled(
      definitions.map(async ({ b, c }) => {
        b.started = await c.start();
        b.container = this.docker.getContainer(b.started.getId());
        this.ops.set(b.id, 'running');
      }),
    );
    const failed = starts.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      // a container that exited says why in its log
      const b = definitions[failed]!.b;
      const reason = errorMessage((starts[failed] as PromiseRejectedResult).reason);
      const c = b.container ?? (await this.containerNamed(b.name));
      throw new HarnessError(`broker ${b.id} (${b.name}) did not start: ${reason}${c ? `\n${await this.logTail(c)}` : ''}`);
    }
    await waitForBrokers({
      bootstrap: this.bootstrapServers,
      count: spec.brokers,
      timeoutMs: 180_000,
      signal: spec.signal,
      fatal: () => undefined,
      describe: () => 'see the broker logs in the run directory',
    });
  }

  /** A container of this cluster by name, also one testcontainers created but did not hand over (it failed to start). */
  private async containerNamed(name: string): Promise<Docker.Container | undefined> {
    const found = await this.docker.listContainers({ all: true, filters: JSON.stringify({ name: [`^/${name}$`] }) }).catch(() => []);
    return found[0] ? this.docker.getContainer(found[0].Id) : undefined;
  }

  private async logTail(c: Docker.Container, lines = 20): Promise<string> {
    try {
      const buf = (await c.logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
      return demux(buf);
    } catch {
      return '(no log)';
    }
  }

  private broker(id: number): DockerBroker {
    const b = this.brokers.get(id);
    if (!b || !b.container) throw new HarnessError(`no broker ${id} (brokers are ${this.brokerIds.join(', ')})`);
    return b;
  }

  state(id: number): BrokerState {
    this.broker(id);
    return this.ops.state(id);
  }

  kill(id: number): Promise<void> {
    return this.ops.kill(this.broker(id).id);
  }

  stop(id: number): Promise<void> {
    return this.ops.stop(this.broker(id).id);
  }

  async start(id: number): Promise<void> {
    if (this.disposed) throw new HarnessError(`broker ${id} not started: the cluster has been torn down`);
    await this.ops.start(this.broker(id).id);
  }

  pause(id: number): Promise<void> {
    return this.ops.pause(this.broker(id).id);
  }

  resume(id: number): Promise<void> {
    return this.ops.resume(this.broker(id).id);
  }

  /** Cuts the broker's container off the cluster network entirely (every link at once). */
  async disconnect(id: number): Promise<void> {
    const b = this.broker(id);
    if (!b.connected) return;
    await this.docker.getNetwork(this.network!.getId()).disconnect({ Container: b.container!.id, Force: true });
    b.connected = false;
  }

  async reconnect(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.connected) return;
    await this.docker.getNetwork(this.network!.getId()).connect({ Container: b.container!.id, EndpointConfig: { Aliases: [b.name] } });
    b.connected = true;
  }

  async activeController(): Promise<number> {
    const running = [...this.brokers.values()].find((b) => this.ops.state(b.id) === 'running' && b.connected);
    if (!running) throw new HarnessError('no running broker to ask for the active controller');
    const out = await runToolIn(running.container!, `${running.name}:${controllerPort(running.id)}`, 'kafka-metadata-quorum', ['--bootstrap-controller', '{bootstrap}', 'describe', '--status']);
    const m = /LeaderId:\s+(\d+)/.exec(out);
    if (!m?.[1]) throw new HarnessError(`could not find the active controller: ${out.slice(-500)}`);
    return Number(m[1]);
  }

  brokerLog(id: number): string {
    return path.join(this.spec.dir, `broker-${id}.log`);
  }

  dataDir(id: number): string {
    return path.join(this.broker(id).dir, 'data');
  }

  /** In a running broker's container; the tool reaches the brokers over their replication listener, which is advertised inside the network. */
  async runTool(tool: string, args: string[]): Promise<string> {
    const running = [...this.brokers.values()].find((b) => this.ops.state(b.id) === 'running' && b.connected);
    if (!running) throw new HarnessError(`no running broker to run ${tool} in`);
    return runToolIn(running.container!, `${running.name}:${replicationPort(running.id)}`, tool, args);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // keep the logs: containers are removed below
    const brokers = await Promise.all([...this.brokers.values()].map(async (b) => ({ b, c: b.container ?? (await this.containerNamed(b.name)) })));
    for (const { b, c } of brokers) if (c) fs.writeFileSync(this.brokerLog(b.id), await this.fullLog(c));
    const toxi = this.toxi ? this.docker.getContainer(this.toxi.getId()) : await this.containerNamed(`${this.prefix}-toxiproxy`);
    if (toxi) fs.writeFileSync(path.join(this.spec.dir, 'toxiproxy.log'), await this.fullLog(toxi));
    // testcontainers stops and removes what it started; a container it never handed over
    // (its start failed) is removed here by name
    await Promise.all([
      ...brokers.map(({ b, c }) => (b.started ? b.started.stop({ remove: true, removeVolumes: true, timeout: 0 }) : c?.remove({ force: true, v: true }))),
      this.toxi ? this.toxi.stop({ remove: true, removeVolumes: true, timeout: 0 }) : toxi?.remove({ force: true, v: true }),
    ].map((p) => Promise.resolve(p).catch(() => undefined)));
    if (this.network) await this.network.stop().catch(() => undefined);
    if (!this.keepData) for (const b of this.brokers.values()) fs.rmSync(path.join(b.dir, 'data'), { recursive: true, force: true });
  }

  private async fullLog(c: Docker.Container): Promise<string> {
    try {
      const buf = (await c.logs({ stdout: true, stderr: true, timestamps: false })) as unknown as Buffer;
      return demux(buf);
    } catch (err) {
      return `(could not read the container log: ${(err as Error).message})\n`;
    }
  }
}

