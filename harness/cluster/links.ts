// The network layout every backend builds: one Toxiproxy proxy per link, and a link per
// source. Clients reach broker B through `bB-client`. Broker A reaches broker B's
// replication listener through `bB-replication-from-A` (B advertises one replication
// listener per source broker, and A uses its own as inter.broker.listener.name), and B's
// controller through `bB-controller-from-A` (A's controller.quorum.voters list its own
// proxies, and B advertises one controller listener per source, A's first in A's
// controller.listener.names, so the endpoint a KRaft leader sends A is A's proxy too).
// So a cut between two groups of brokers is a set of proxies, in both directions, and
// the links inside a group stay up.

export type LinkKind = 'client' | 'replication' | 'controller';

export const linkName = {
  client: (to: number) => `b${to}-client`,
  replication: (to: number, from: number) => `b${to}-replication-from-${from}`,
  controller: (to: number, from: number) => `b${to}-controller-from-${from}`,
};

/** A proxy of the layout: traffic of `kind` into broker `to`, from broker `from` (or from the clients). */
export interface LinkSpec {
  name: string;
  kind: LinkKind;
  to: number;
  from: number | 'clients';
}

/** Every link of a cluster of these brokers. */
export function linkLayout(ids: readonly number[]): LinkSpec[] {
  const out: LinkSpec[] = [];
  for (const to of ids) {
    out.push({ name: linkName.client(to), kind: 'client', to, from: 'clients' });
    for (const from of ids) out.push({ name: linkName.replication(to, from), kind: 'replication', to, from });
    for (const from of ids) out.push({ name: linkName.controller(to, from), kind: 'controller', to, from });
  }
  return out;
}

/** The proxies that carry traffic of these kinds into broker `id`, from every source. */
export function inboundProxies(id: number, kinds: readonly LinkKind[], ids: readonly number[]): string[] {
  return linkLayout(ids)
    .filter((l) => l.to === id && kinds.includes(l.kind))
    .map((l) => l.name);
}

/** Every link into and out of these brokers (what a power cut or an isolation takes down). */
export function proxiesTouching(targets: readonly number[], ids: readonly number[]): string[] {
  return linkLayout(ids)
    .filter((l) => targets.includes(l.to) || (typeof l.from === 'number' && targets.includes(l.from)))
    .map((l) => l.name);
}

/**
 * The proxies a partition into `groups` cuts: every replication and controller link
 * between brokers of different groups, both ways; with `clientsWith` the index of the
 * group the clients stay with, also the client links of every other broker.
 */
export function partitionCuts(groups: readonly (readonly number[])[], ids: readonly number[], clientsWith?: number): string[] {
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
  return linkLayout(ids)
    .filter((l) => {
      if (l.from === 'clients') return clientsWith !== undefined && groupOf.get(l.to) !== clientsWith;
      const a = groupOf.get(l.to);
      const b = groupOf.get(l.from);
      return a !== undefined && b !== undefined && a !== b;
    })
    .map((l) => l.name);
}
