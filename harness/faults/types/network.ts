// Faults of the network, through Toxiproxy: every toxic it has, on a broker's client,
// replication or controller links (or all three), and a link cut outright.
import { z } from 'zod';
import { inboundProxies, type LinkKind } from '../../cluster/backend.ts';
import { linkLayout, partitionCuts } from '../../cluster/links.ts';
import type { Toxic } from '../../proxy/client.ts';
import { brokerTarget, common, defineFault, describeBrokers, duration, LINKS, partition, resolveBrokers, type FaultType, type FaultWorld, type Link } from '../fault.ts';

const STREAMS = ['both', 'upstream', 'downstream'] as const;

const linkParams = {
  ...common,
  target: brokerTarget,
  partition,
  /** which of the brokers' links: client, replication (followers fetch through it), controller, or all */
  link: z.enum(LINKS).default('replication'),
};

const toxicParams = {
  ...linkParams,
  /** upstream: towards the broker; downstream: its answers; both (default) */
  stream: z.enum(STREAMS).default('both'),
  /** the share of connections the toxic acts on, 0..1 (Toxiproxy's toxicity) */
  toxicity: z.number().min(0).max(1).default(1),
};

function linkKinds(link: Link): LinkKind[] {
  return link === 'all' ? ['client', 'replication', 'controller'] : [link];
}

async function proxiesOf(spec: { target: z.output<typeof brokerTarget>; partition: number; drawn?: number; link: Link }, world: FaultWorld) {
  const ids = await resolveBrokers(spec, world);
  const names = ids.flatMap((id) => inboundProxies(id, linkKinds(spec.link), world.cluster.brokerIds));
  return { ids, names };
}

type ToxicSpec = z.output<z.ZodObject<typeof toxicParams>>;

/** A fault that adds one Toxiproxy toxic to every proxy of the target's links, in the chosen direction(s). */
function toxicFault(def: {
  action: string;
  type: Toxic['type'];
  summary: string;
  params: z.ZodRawShape;
  /** the toxic's attributes from the fault's own numeric parameters (already validated by `params`) */
  attributes: (param: (key: string) => number) => Record<string, number>;
}): FaultType {
  return defineFault({
    action: def.action,
    summary: def.summary,
    needs: ['toxiproxy'],
    targets: 'brokers',
    params: { ...toxicParams, ...def.params } as typeof toxicParams,
    async apply(fault, world) {
      const spec = fault as unknown as ToxicSpec & { index: number; drawn?: number };
      const toxi = world.cluster.toxiproxy;
      const { ids, names } = await proxiesOf(spec, world);
      const streams = spec.stream === 'both' ? (['upstream', 'downstream'] as const) : [spec.stream];
      const added: Array<[string, string]> = [];
      const values = fault as unknown as Record<string, unknown>;
      const attributes = def.attributes((key) => {
        const v = values[key];
        if (typeof v !== 'number') throw new Error(`internal: ${def.action} has no numeric ${key}`);
        return v;
      });
      for (const proxy of names) {
        for (const stream of streams) {
          const name = `fault-${spec.index}-${stream}`;
          await toxi.addToxic(proxy, { name, type: def.type, stream, toxicity: spec.toxicity, attributes });
          added.push([proxy, name]);
        }
      }
      return {
        resolved: `${describeBrokers(ids)}: ${names.join(', ')}`,
        heal: `remove ${def.type} toxic`,
        undo: async () => {
          for (const [proxy, name] of added) await toxi.removeToxic(proxy, name);
        },
      };
    },
  });
}

const ms = duration();

export const networkLatency = toxicFault({
  action: 'network.latency',
  type: 'latency',
  summary: 'added delay (and jitter) on links: on replication, followers fetch late but stay in the ISR',
  params: { latency: ms, jitter: ms.default(0) },
  attributes: (n) => ({ latency: n('latency'), jitter: n('jitter') }),
});

export const networkBandwidth = toxicFault({
  action: 'network.bandwidth',
  type: 'bandwidth',
  summary: 'links limited to a rate in KB/s',
  params: { rate: z.int().min(1) },
  attributes: (n) => ({ rate: n('rate') }),
});

export const networkTimeout = toxicFault({
  action: 'network.timeout',
  type: 'timeout',
  summary: 'a blackhole: data stops and connections close after `timeout` (0: held open, silent)',
  params: { timeout: ms.default(0) },
  attributes: (n) => ({ timeout: n('timeout') }),
});

export const networkReset = toxicFault({
  action: 'network.reset',
  type: 'reset_peer',
  summary: 'connections reset (TCP RST), after `timeout` of traffic',
  params: { timeout: ms.default(0) },
  attributes: (n) => ({ timeout: n('timeout') }),
});

export const networkSlicer = toxicFault({
  action: 'network.slicer',
  type: 'slicer',
  summary: 'data sliced into small packets (averageSize bytes, sizeVariation) with a delay between them',
  params: { averageSize: z.int().min(1).default(64), sizeVariation: z.int().min(0).default(32), delay: ms.default(1) },
  attributes: (n) => ({ average_size: n('averageSize'), size_variation: n('sizeVariation'), delay: n('delay') * 1000 }),
});

export const networkLimitData = toxicFault({
  action: 'network.limit-data',
  type: 'limit_data',
  summary: 'connections closed after `bytes` bytes',
  params: { bytes: z.int().min(1) },
  attributes: (n) => ({ bytes: n('bytes') }),
});

export const networkDown = defineFault({
  action: 'network.down',
  summary: 'links cut: the proxies are disabled, so connections are refused and open ones closed',
  needs: ['toxiproxy'],
  targets: 'brokers',
  params: linkParams,
  async apply(spec, world) {
    const toxi = world.cluster.toxiproxy;
    const { ids, names } = await proxiesOf(spec, world);
    for (const n of names) await toxi.setEnabled(n, false);
    return {
      resolved: `${describeBrokers(ids)}: ${names.join(', ')}`,
      heal: 'enable proxy',
      undo: async () => {
        for (const n of names) await toxi.setEnabled(n, true);
      },
    };
  },
});

const GROUPINGS = ['isolate-leader', 'isolate-controller', 'halves', 'ring'] as const;
const brokerGroups = z.union([z.enum(GROUPINGS), z.array(z.array(z.int().min(1)).min(1)).min(2)], {
  error: (iss) =>
    iss.input === undefined ? 'required key is missing' : `expected isolate-leader, isolate-controller, halves, ring or a list of groups of broker ids like [[1], [2, 3]], got ${JSON.stringify(iss.input)}`,
});

/** The groups a grouping names right now, and for a ring the cut links directly. */
async function resolvePartition(spec: { groups: z.output<typeof brokerGroups>; partition: number }, world: FaultWorld): Promise<{ groups: number[][]; cuts?: string[] }> {
  const ids = [...world.cluster.brokerIds].sort((a, b) => a - b);
  const g = spec.groups;
  if (Array.isArray(g)) return { groups: g.map((x) => [...x]) };
  if (g === 'halves') return { groups: [ids.slice(0, Math.floor(ids.length / 2)), ids.slice(Math.floor(ids.length / 2))] };
  if (g === 'ring') {
    // every broker keeps only its two neighbours on the ring of ids
    const n = ids.length;
    const near = (a: number, b: number) => {
      const d = Math.abs(ids.indexOf(a) - ids.indexOf(b));
      return d <= 1 || d === n - 1;
    };
    const cuts = linkLayout(ids)
      .filter((l) => l.from !== 'clients' && !near(l.to, l.from))
      .map((l) => l.name);
    return { groups: ids.map((id) => [id]), cuts };
  }
  const lone = g === 'isolate-controller' ? await world.activeController() : (await resolveBrokers({ target: 'leader', partition: spec.partition }, world))[0]!;
  return { groups: [[lone], ids.filter((id) => id !== lone)] };
}

export const networkPartition = defineFault({
  action: 'network.partition',
  summary: 'brokers split into groups: every replication and controller link across groups cut both ways (optionally the clients too)',
  needs: ['toxiproxy'],
  targets: 'none',
  params: {
    ...common,
    /** explicit groups of broker ids, or isolate-leader (of `partition`), isolate-controller, halves, ring */
    groups: brokerGroups,
    partition,
    /** the index of the group the clients stay with; absent: clients reach every broker */
    clients: z.int().min(0).optional(),
  },
  async apply(spec, world) {
    const toxi = world.cluster.toxiproxy;
    const { groups, cuts: ringCuts } = await resolvePartition(spec, world);
    const cut = ringCuts ?? partitionCuts(groups, world.cluster.brokerIds, spec.clients);
    for (const n of cut) await toxi.setEnabled(n, false);
    return {
      resolved: `${groups.map((x) => `[${x.join(', ')}]`).join(' | ')}${spec.clients !== undefined ? `, clients with group ${spec.clients}` : ''}`,
      heal: 'enable every cut link',
      undo: async () => {
        for (const n of cut) await toxi.setEnabled(n, true);
      },
      details: { cut },
    };
  },
});
