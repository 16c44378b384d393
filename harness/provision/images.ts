// Offline builds of Docker images equivalent to the official apache/kafka and Shopify
// Toxiproxy images, for the docker backend where no registry is reachable. Built from
// what this machine already has: its apt sources (mmdebstrap, for a JRE base), the
// Kafka jars from provisionKafka, and the Toxiproxy Go module.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BROKER_LOG4J2 } from '../cluster/broker-config.ts';
import { PrerequisiteError } from '../util/errors.ts';
import { runCommand, which, type CommandResult } from './exec.ts';
import { provisionKafka } from './kafka.ts';
import { KAFKA_TOOLS } from './kafka-tools.ts';
import { withLock } from './lock.ts';

export const DEFAULT_KAFKA_IMAGE = (kafkaVersion: string) => `apache/kafka:${kafkaVersion}`;
export const DEFAULT_TOXIPROXY_IMAGE = (v: string) => `ghcr.io/shopify/toxiproxy:${v}`;
export const LOCAL_KAFKA_IMAGE = (kafkaVersion: string) => `kafka-chaos/kafka:${kafkaVersion}`;
export const LOCAL_TOXIPROXY_IMAGE = (v: string) => `kafka-chaos/toxiproxy:${v}`;
/** The JRE base of the local Kafka image: Debian bookworm with OpenJDK 17, from this machine's apt sources. */
export const LOCAL_JRE_IMAGE = 'kafka-chaos/jre:bookworm-17';
/** Every image (and intermediate layer) built here carries this label, so it can be found and removed. */
export const IMAGE_LABEL = 'kafka-chaos.image=true';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MINUTE = 60_000;

export interface BuildOptions {
  kafkaVersion: string;
  toxiproxyVersion: string;
  cacheDir: string;
  kafkaHome?: string;
  log: (line: string) => void;
  force?: boolean;
}

/**
 * The revision of the offline Kafka image's contents (its launcher scripts): an image of an
 * older revision is rebuilt, so a harness that needs a new tool never runs an image without it.
 */
export const KAFKA_IMAGE_REV = '3';
const KAFKA_IMAGE_REV_LABEL = 'kafka-chaos.image-rev';

/** Does the engine hold this offline Kafka image, built by this revision of the harness? */
export async function localKafkaImageCurrent(ref: string): Promise<boolean> {
  const r = await runCommand('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${KAFKA_IMAGE_REV_LABEL}" }}`, ref], { timeoutMs: MINUTE });
  return r.code === 0 && r.stdout.trim() === KAFKA_IMAGE_REV;
}

/** Does the local Docker engine hold this image? (false too when docker is missing or not running) */
export async function imageExists(ref: string): Promise<boolean> {
  return (await imageId(ref)) !== undefined;
}

/** Are the tools present that a build from nothing needs? `missing` names what is not. */
export async function canBuildLocalImages(): Promise<{ ok: boolean; missing: string[] }> {
  const missing: string[] = [];
  if (!(await which('docker'))) missing.push('docker');
  else if ((await runCommand('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: MINUTE })).code !== 0)
    missing.push('a running Docker engine');
  if (!(await which('mmdebstrap'))) missing.push('mmdebstrap');
  if (!(await which('go'))) missing.push('go');
  return { ok: missing.length === 0, missing };
}

/**
 * Builds kafka-chaos/jre (once), kafka-chaos/kafka:<kafkaVersion> and
 * kafka-chaos/toxiproxy:<toxiproxyVersion>, one after the other, skipping images that
 * already exist unless `force`. The JRE base is a cache: built only when missing, even
 * with `force` (remove it with `docker rmi` to rebuild it). Returns the two image names
 * and the refs it built.
 */
export async function buildLocalImages(opts: BuildOptions): Promise<{ kafka: string; toxiproxy: string; built: string[] }> {
  const kafka = LOCAL_KAFKA_IMAGE(opts.kafkaVersion);
  const toxiproxy = LOCAL_TOXIPROXY_IMAGE(opts.toxiproxyVersion);
  const built: string[] = [];
  await requireDocker();
  const needed = async (ref: string) => opts.force === true || !(await (ref === kafka ? localKafkaImageCurrent(ref) : imageExists(ref)));
  if (!(await needed(kafka)) && !(await needed(toxiproxy))) return { kafka, toxiproxy, built };

  fs.mkdirSync(opts.cacheDir, { recursive: true });
  await withLock(
    path.join(opts.cacheDir, 'images.lock'),
    async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-chaos-images-'));
      try {
        if (await needed(kafka)) {
          if (!(await imageExists(LOCAL_JRE_IMAGE))) {
            await timed(opts.log, LOCAL_JRE_IMAGE, () => buildJreBase(path.join(tmp, 'jre'), opts.log));
            built.push(LOCAL_JRE_IMAGE);
          }
          await timed(opts.log, kafka, () => buildKafkaImage(kafka, path.join(tmp, 'kafka'), opts));
          built.push(kafka);
        }
        if (await needed(toxiproxy)) {
          await timed(opts.log, toxiproxy, () => buildToxiproxyImage(toxiproxy, path.join(tmp, 'toxiproxy'), opts));
          built.push(toxiproxy);
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    60 * MINUTE,
  );
  return { kafka, toxiproxy, built };
}

/** Builds `ref`, logs how long it took, and removes the image it replaced (when nothing uses it). */
async function timed(log: (line: string) => void, ref: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  const previous = await imageId(ref);
  log(`building image ${ref}`);
  await fn();
  log(`built image ${ref} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (previous && previous !== (await imageId(ref))) await runCommand('docker', ['image', 'rm', previous], { timeoutMs: MINUTE });
}

async function imageId(ref: string): Promise<string | undefined> {
  const r = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { timeoutMs: MINUTE });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function requireDocker(): Promise<void> {
  if (!(await which('docker'))) {
    throw new PrerequisiteError('Building the local images needs Docker, and the docker CLI is not on PATH: install Docker Engine and make sure `docker version` answers.');
  }
  const r = await runCommand('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: MINUTE });
  if (r.code !== 0) {
    throw new PrerequisiteError(`Building the local images needs a running Docker engine, and docker cannot reach one:\n${tail(r)}`);
  }
}

function tail(r: CommandResult, chars = 2000): string {
  return (r.stderr.trim() || r.stdout.trim()).slice(-chars);
}

async function mustRun(what: string, command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  const r = await runCommand(command, args, opts);
  if (r.code !== 0) throw new PrerequisiteError(`${what} failed (exit ${r.code ?? 'killed'}):\n${tail(r)}`);
}

// ---------------------------------------------------------------------------------------------
// 1. JRE base: a Debian bookworm root filesystem with OpenJDK 17, imported as an image.

async function buildJreBase(dir: string, log: (line: string) => void): Promise<void> {
  const mmdebstrap = await which('mmdebstrap');
  if (!mmdebstrap) {
    throw new PrerequisiteError(
      `Building the JRE base image (${LOCAL_JRE_IMAGE}) needs mmdebstrap, which is not on PATH: install the mmdebstrap package ` +
        '(it builds a Debian root filesystem from this machine\'s apt sources).',
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const rootfs = path.join(dir, 'rootfs.tar');
  try {
    log('creating a Debian bookworm root filesystem with OpenJDK 17 (mmdebstrap, from this machine\'s apt sources)');
    await mustRun(
      'mmdebstrap (Debian bookworm with openjdk-17-jre-headless)',
      mmdebstrap,
      ['--quiet', '--variant=apt', '--include=openjdk-17-jre-headless,bash,coreutils,procps', 'bookworm', rootfs],
      { timeoutMs: 30 * MINUTE },
    );
    await mustRun(
      `docker import of ${LOCAL_JRE_IMAGE}`,
      'docker',
      ['import', '--change', `ENV PATH=${SYSTEM_PATH}`, '--change', `LABEL ${IMAGE_LABEL}`, rootfs, LOCAL_JRE_IMAGE],
      { timeoutMs: 10 * MINUTE },
    );
  } finally {
    fs.rmSync(rootfs, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Kafka: the jars on the JRE base, with our own scripts at the official image's entry points.

const KAFKA_DIR = '/opt/kafka';

/** A launcher script: `java <opts> -cp '/opt/kafka/libs/*' <mainClass> "$@"`, with defaults for unset *_OPTS. */
function javaLauncher(purpose: string, mainClass: string, defaults: { heap: string; perf: string; log4j: string }): string {
  return [
    '#!/bin/sh',
    `# ${purpose} (kafka-chaos image; same name and arguments as Apache Kafka's script).`,
    '# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS and KAFKA_OPTS are passed to java.',
    'set -f  # the *_OPTS are split into words, never expanded as file names',
    `: "\${KAFKA_HEAP_OPTS:=${defaults.heap}}"`,
    `: "\${KAFKA_JVM_PERFORMANCE_OPTS:=${defaults.perf}}"`,
    `: "\${KAFKA_LOG4J_OPTS:=${defaults.log4j}}"`,
    `exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_LOG4J_OPTS \${KAFKA_OPTS:-} -cp '${KAFKA_DIR}/libs/*' ${mainClass} "$@"`,
    '',
  ].join('\n');
}

const BROKER_DEFAULTS = {
  heap: '-Xms256m -Xmx768m',
  perf: '-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true',
  log4j: `-Dlog4j2.configurationFile=${KAFKA_DIR}/config/log4j2.properties`,
};
const TOOL_DEFAULTS = {
  heap: '-Xms32m -Xmx256m',
  perf: '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true',
  log4j: `-Dlog4j2.configurationFile=${KAFKA_DIR}/config/tools-log4j2.properties`,
};

/** Tools print their results on stdout; their own logging (warnings and up) goes to stderr. */
const TOOLS_LOG4J2 = [
  'status = warn',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stderr.ref = STDERR',
  'appender.stderr.type = Console',
  'appender.stderr.name = STDERR',
  'appender.stderr.target = SYSTEM_ERR',
  'appender.stderr.layout.type = PatternLayout',
  'appender.stderr.layout.pattern = [%d{ISO8601}{UTC}Z] %p %m (%c)%n',
  '',
].join('\n');

/** /etc/kafka/docker/run: the official image's env-var convention, as a small POSIX sh script of our own. */
const DOCKER_RUN = `#!/bin/sh
# Entry point of the kafka-chaos Kafka image, with the official apache/kafka image's
# convention: every environment variable KAFKA_<NAME> becomes a line of
# ${KAFKA_DIR}/config/server.properties, the storage is formatted for $CLUSTER_ID
# (once), and Kafka starts on that file.
#   property = NAME lower-cased, then ___ -> '-', __ -> '_', _ -> '.'
#   e.g. KAFKA_NODE_ID=1 -> node.id=1
#        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP -> listener.security.protocol.map
# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS and KAFKA_OPTS are JVM
# options, not properties.
set -eu
config=${KAFKA_DIR}/config/server.properties

if [ -z "\${CLUSTER_ID:-}" ]; then
  echo "run: CLUSTER_ID must be set (22 characters of base64url, as kafka-storage.sh random-uuid prints)" >&2
  exit 1
fi

: > "$config"
for name in $(env | sed -n 's/^\\(KAFKA_[A-Za-z0-9_]*\\)=.*/\\1/p' | sort -u); do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS) continue ;;
  esac
  property=$(printf '%s' "\${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
  value=$(printenv "$name" | sed 's/\\\\/\\\\\\\\/g')
  printf '%s=%s\\n' "$property" "$value" >> "$config"
done

${KAFKA_DIR}/bin/kafka-storage.sh format --ignore-formatted --cluster-id="$CLUSTER_ID" --config "$config"
exec ${KAFKA_DIR}/bin/kafka-server-start.sh "$config"
`;

function kafkaDockerfile(kafkaVersion: string): string {
  return [
    `FROM ${LOCAL_JRE_IMAGE}`,
    `LABEL ${IMAGE_LABEL} kafka-chaos.kafka-version=${kafkaVersion} ${KAFKA_IMAGE_REV_LABEL}=${KAFKA_IMAGE_REV}`,
    '# appuser (uid 1000), as in the official image',
    "RUN echo 'appuser:x:1000:1000:Kafka:/home/appuser:/bin/sh' >> /etc/passwd \\",
    " && echo 'appuser:x:1000:' >> /etc/group \\",
    ' && mkdir -p /home/appuser /var/lib/kafka/data /etc/kafka/secrets /mnt/shared/config \\',
    ' && chown 1000:1000 /home/appuser /var/lib/kafka/data /etc/kafka/secrets /mnt/shared/config',
    `COPY libs/ ${KAFKA_DIR}/libs/`,
    `COPY bin/ ${KAFKA_DIR}/bin/`,
    `COPY --chown=1000:1000 config/ ${KAFKA_DIR}/config/`,
    'COPY docker/ /etc/kafka/docker/',
    `WORKDIR ${KAFKA_DIR}`,
    'USER appuser',
    'EXPOSE 9092',
    'CMD ["/etc/kafka/docker/run"]',
    '',
  ].join('\n');
}

async function buildKafkaImage(ref: string, ctx: string, opts: BuildOptions): Promise<void> {
  const dist = await provisionKafka({ version: opts.kafkaVersion, cacheDir: opts.cacheDir, kafkaHome: opts.kafkaHome, log: opts.log });
  if (dist.version !== opts.kafkaVersion) {
    throw new PrerequisiteError(
      `KAFKA_HOME=${dist.location} holds Kafka ${dist.version}, but the image ${ref} is for Kafka ${opts.kafkaVersion}: ` +
        'ask for that version, or unset KAFKA_HOME to fetch the jars with Maven.',
    );
  }
  const libs = path.join(dist.location, 'libs');
  const jars = fs.readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (jars.length === 0) throw new PrerequisiteError(`${libs} holds no jars: cannot build ${ref}.`);

  fs.mkdirSync(ctx, { recursive: true });
  for (const sub of ['libs', 'bin', 'config', 'docker']) fs.mkdirSync(path.join(ctx, sub));
  for (const jar of jars) fs.copyFileSync(path.join(libs, jar), path.join(ctx, 'libs', jar));
  const script = (file: string, text: string) => fs.writeFileSync(path.join(ctx, file), text, { mode: 0o755 });
  script('bin/kafka-server-start.sh', javaLauncher('Starts a Kafka node: kafka-server-start.sh <server.properties>', 'kafka.Kafka', BROKER_DEFAULTS));
  script('bin/kafka-storage.sh', javaLauncher('Formats or inspects a log directory: kafka-storage.sh format ...', 'kafka.tools.StorageTool', TOOL_DEFAULTS));
  for (const [name, tool] of Object.entries(KAFKA_TOOLS)) script(`bin/${name}.sh`, javaLauncher(tool.usage, tool.main, TOOL_DEFAULTS));
  script('docker/run', DOCKER_RUN);
  fs.writeFileSync(path.join(ctx, 'config', 'log4j2.properties'), BROKER_LOG4J2);
  fs.writeFileSync(path.join(ctx, 'config', 'tools-log4j2.properties'), TOOLS_LOG4J2);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), kafkaDockerfile(opts.kafkaVersion));

  opts.log(`docker build of ${ref} (${jars.length} jars from ${libs})`);
  await mustRun(`docker build of ${ref}`, 'docker', ['build', '--rm', '--force-rm', '--label', IMAGE_LABEL, '-t', ref, ctx], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    timeoutMs: 20 * MINUTE,
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Toxiproxy: static binaries from the Go module, in an image from scratch.

async function buildToxiproxyImage(ref: string, dir: string, opts: BuildOptions): Promise<void> {
  const go = await which('go');
  if (!go) {
    throw new PrerequisiteError(
      `Building the Toxiproxy image (${ref}) needs Go, to compile a static toxiproxy from its module (github.com/Shopify/toxiproxy/v2), ` +
        'and go is not on PATH: install Go (for example the golang package).',
    );
  }
  const v = opts.toxiproxyVersion;
  const gobin = path.join(dir, 'gobin');
  const root = path.join(dir, 'root');
  fs.mkdirSync(gobin, { recursive: true });
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);

  opts.log(`compiling static Toxiproxy ${v} binaries with go install`);
  await mustRun(
    `go install of Toxiproxy ${v} (static)`,
    go,
    [
      'install',
      '-trimpath',
      `-ldflags=-s -w -X github.com/Shopify/toxiproxy/v2.Version=${v}`,
      `github.com/Shopify/toxiproxy/v2/cmd/server@v${v}`,
      `github.com/Shopify/toxiproxy/v2/cmd/cli@v${v}`,
    ],
    { env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOBIN: gobin }, timeoutMs: 20 * MINUTE },
  );
  fs.renameSync(path.join(gobin, 'server'), path.join(root, 'toxiproxy'));
  fs.renameSync(path.join(gobin, 'cli'), path.join(root, 'toxiproxy-cli'));

  const tar = path.join(dir, 'rootfs.tar');
  await mustRun(
    'tar of the Toxiproxy root filesystem',
    'tar',
    ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tar, 'toxiproxy', 'toxiproxy-cli', 'tmp'],
    { timeoutMs: 5 * MINUTE },
  );
  await mustRun(
    `docker import of ${ref}`,
    'docker',
    [
      'import',
      '--change', 'ENTRYPOINT ["/toxiproxy"]',
      '--change', 'CMD ["-host=0.0.0.0"]',
      '--change', 'EXPOSE 8474',
      '--change', 'ENV LOG_LEVEL=info',
      '--change', `LABEL ${IMAGE_LABEL} kafka-chaos.toxiproxy-version=${v}`,
      tar,
      ref,
    ],
    { timeoutMs: 10 * MINUTE },
  );
  fs.rmSync(tar, { force: true });
}
