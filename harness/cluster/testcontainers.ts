// What the docker backend takes from testcontainers (the lifecycle of its networks and
// containers: labels, bind mounts, fixed ports, wait strategies with timeouts) and the
// little it adds: ports published on 127.0.0.1 only, and the reaper only where its image
// is present (no registry may be reachable; the harness removes what it starts itself, and
// `kafka-chaos clean` sweeps what a killed run left).
import Docker from 'dockerode';
import { GenericContainer, Network, type StartedNetwork } from 'testcontainers';

/** The reaper image testcontainers would start (RYUK_CONTAINER_IMAGE overrides it, as in testcontainers). */
export const REAPER_IMAGE = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';

let reaperDecided: Promise<string> | undefined;

/**
 * Turns testcontainers' reaper off unless its image is present (pulling it would fail
 * offline and stall every start). Decided once per process; says what it decided.
 */
export function configureReaper(docker: Docker): Promise<string> {
  reaperDecided ??= (async () => {
    if (process.env.TESTCONTAINERS_RYUK_DISABLED !== undefined) {
      return `reaper ${process.env.TESTCONTAINERS_RYUK_DISABLED === "true" ? "disabled" : "enabled"} by TESTCONTAINERS_RYUK_DISABLED`;
    }
    const present = await docker
      .getImage(REAPER_IMAGE)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (present) return `reaper ${REAPER_IMAGE}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    return `reaper off (${REAPER_IMAGE} is not present)`;
  })();
  return reaperDecided;
}

/** A bridge network with the given name (testcontainers labels it; `clean` finds leftovers by the name). */
export function startNetwork(name: string): Promise<StartedNetwork> {
  return new Network({ nextUuid: () => name }).start();
}

/** Network names the docker backend gives its networks: `kc-<8 hex>-net`. */
export const NETWORK_NAME = /^kc-[0-9a-f]{8}-net$/;

/** A container whose fixed ports are published on 127.0.0.1 only (testcontainers publishes on every interface). */
export class LoopbackContainer extends GenericContainer {
  withLoopbackPorts(...ports: Array<{ container: number; host: number }>): this {
    this.withExposedPorts(...ports);
    for (const p of ports) this.hostConfig.PortBindings = { ...this.hostConfig.PortBindings, [`${p.container}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(p.host) }] };
    return this;
  }
}
