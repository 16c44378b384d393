// Choosing the cluster backend and, for Docker, the images it runs.
import Docker from 'dockerode';
import {
  buildLocalImages,
  canBuildLocalImages,
  DEFAULT_KAFKA_IMAGE,
  DEFAULT_TOXIPROXY_IMAGE,
  imageExists,
  localKafkaImageCurrent,
  LOCAL_KAFKA_IMAGE,
  LOCAL_TOXIPROXY_IMAGE,
} from '../provision/images.ts';
import { DEFAULT_TOXIPROXY_VERSION } from '../provision/versions.ts';
import type { Environment } from '../util/env.ts';
import { PrerequisiteError, UsageError } from '../util/errors.ts';
import type { ClusterBackend } from './backend.ts';
import { ComposeBackend } from './compose.ts';
import { DockerBackend, dockerAnswers, type DockerImages } from './docker.ts';
import { LocalBackend } from './local.ts';

export const BACKEND_CHOICES = ['auto', 'local', 'docker', 'compose'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface SelectOptions {
  choice: string;
  env: Environment;
  kafkaVersion: string;
  keepData: boolean;
  kafkaImage?: string | undefined;
  toxiproxyImage?: string | undefined;
  composeProject?: string | undefined;
  log: (line: string) => void;
}

async function pull(docker: Docker, ref: string, timeoutMs = 120_000): Promise<boolean> {
  try {
    const stream = await docker.pull(ref);
    await Promise.race([
      new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()))),
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The images the docker backend runs: the ones asked for (flags or environment), else the
 * official images if present or pullable, else the offline builds (`kafka-chaos images
 * build`), built here when they are missing and `allowBuild` is set.
 */
export async function resolveImages(opts: SelectOptions & { allowBuild: boolean }): Promise<DockerImages> {
  const docker = new Docker();
  const want = {
    kafka: opts.kafkaImage ?? opts.env.kafkaImage,
    toxiproxy: opts.toxiproxyImage ?? opts.env.toxiproxyImage,
  };
  const result: Partial<DockerImages> = {};
  let needBuild = false;
  for (const kind of ['kafka', 'toxiproxy'] as const) {
    const explicit = want[kind];
    const official = kind === 'kafka' ? DEFAULT_KAFKA_IMAGE(opts.kafkaVersion) : DEFAULT_TOXIPROXY_IMAGE(DEFAULT_TOXIPROXY_VERSION);
    const local = kind === 'kafka' ? LOCAL_KAFKA_IMAGE(opts.kafkaVersion) : LOCAL_TOXIPROXY_IMAGE(DEFAULT_TOXIPROXY_VERSION);
    if (explicit) {
      if ((await imageExists(explicit)) || (await pull(docker, explicit))) result[kind] = explicit;
      else throw new PrerequisiteError(`the Docker image ${explicit} is neither present nor pullable`);
    } else if (await imageExists(official)) result[kind] = official;
    else if (await (kind === 'kafka' ? localKafkaImageCurrent(local) : imageExists(local))) result[kind] = local;
    else if (await pull(docker, official)) result[kind] = official;
    else {
      result[kind] = local;
      needBuild = true;
    }
  }
  if (needBuild) {
    if (!opts.allowBuild) throw new PrerequisiteError('the Docker images are not present and cannot be pulled: run `kafka-chaos images build`');
    const can = await canBuildLocalImages();
    if (!can.ok) throw new PrerequisiteError(`no registry answers and the offline images cannot be built here: missing ${can.missing.join(', ')}`);
    opts.log('no registry answers: building the offline images once (kafka-chaos images build)');
    await buildLocalImages({ kafkaVersion: opts.kafkaVersion, toxiproxyVersion: DEFAULT_TOXIPROXY_VERSION, cacheDir: opts.env.cacheDir, kafkaHome: opts.env.kafkaHome, log: opts.log });
  }
  return result as DockerImages;
}

/** A docker backend that runs `first` for opts.kafkaVersion and resolves the images of any other version when asked. */
function dockerBackend(opts: SelectOptions, first: DockerImages): DockerBackend {
  return new DockerBackend({
    images: (kafkaVersion) => (kafkaVersion === opts.kafkaVersion ? Promise.resolve(first) : resolveImages({ ...opts, kafkaVersion, allowBuild: true })),
    keepData: opts.keepData,
    pinned: opts.kafkaImage ?? opts.env.kafkaImage,
  });
}

export async function selectBackend(opts: SelectOptions): Promise<ClusterBackend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(opts.choice)) {
    throw new UsageError(`--cluster ${opts.choice}: expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const choice = opts.choice as BackendChoice;
  if (choice === 'local') return new LocalBackend(opts.env, { keepData: opts.keepData });
  if (choice === 'compose') return new ComposeBackend({ project: opts.composeProject });
  if (choice === 'docker') {
    if (!(await dockerAnswers())) throw new PrerequisiteError('--cluster docker needs a Docker engine, and none answers (is dockerd running? is DOCKER_HOST right?)');
    const first = await resolveImages({ ...opts, allowBuild: true });
    return dockerBackend(opts, first);
  }
  // auto: Docker when an engine answers and the images are present or buildable
  if (await dockerAnswers()) {
    try {
      const images = await resolveImages({ ...opts, allowBuild: true });
      opts.log(`cluster backend: docker (images ${images.kafka}, ${images.toxiproxy})`);
      return dockerBackend(opts, images);
    } catch (err) {
      opts.log(`cluster backend: local (a Docker engine answers, but ${(err as Error).message})`);
    }
  } else {
    opts.log('cluster backend: local (no Docker engine answers)');
  }
  return new LocalBackend(opts.env, { keepData: opts.keepData });
}
