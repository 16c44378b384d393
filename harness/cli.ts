// The command line: `kafka-chaos run <experiment.yaml>`, `kafka-chaos clean`, ...
// Exit codes: 0 every threshold met, 1 a threshold missed, 2 bad input or a harness
// error, 130 interrupted.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { ClusterBackend } from './cluster/backend.ts';
import { clientDriver, CLIENTS } from './clients/catalogue.ts';
import { CLIENT_NAMES, type ClientName } from './clients/protocol.ts';
import { checkCapabilities } from './experiment/capabilities.ts';
import { FAULT_TYPES } from './faults/catalogue.ts';
import { writeComposeFiles } from './cluster/compose.ts';
import { selectBackend } from './cluster/select.ts';
import { buildLocalImages } from './provision/images.ts';
import { ExperimentError, loadExperiment } from './experiment/load.ts';
import { effectiveKafkaVersion, kafkaVersionsOf, type Experiment } from './experiment/schema.ts';
import { DEFAULT_KAFKA_VERSION, DEFAULT_TOXIPROXY_VERSION } from './provision/versions.ts';
import { cleanLeftovers, registerRun } from './run/registry.ts';
import { PlainProgress, TerminalProgress, type Progress } from './run/progress.ts';
import { ProfileRefusal, resolveProfiles, runExperiment, writeReport } from './run/runner.ts';
import { renderCatalogue } from './report/render.ts';
import { DEFAULT_REPORTERS, REPORTERS, resolveReporters } from './report/reporter.ts';
import { rerenderRun } from './report/rerender.ts';
import { combinationLabel, renderMatrix, renderMatrixHtml, type MatrixColumn, type MatrixCombination } from './report/matrix.ts';
import type { RunResult } from './report/types.ts';
import { readEnvironment, type Environment } from './util/env.ts';
import { errorMessage, PrerequisiteError, UsageError } from './util/errors.ts';
import { findMarkedProcesses } from './util/proc.ts';
import { utcStamp } from './util/time.ts';

const EXIT_BAD_INPUT = 2;
const EXPERIMENTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'experiments');

function fail(message: string, code = EXIT_BAD_INPUT): never {
  process.stderr.write(`kafka-chaos: ${message}\n`);
  process.exit(code);
}

/** Loads and fully validates an experiment (schema, then what the client driver can honour). */
function loadValidated(file: string, only: string[] | undefined, client?: string): Experiment {
  let exp = loadExperiment(file);
  if (client !== undefined) {
    if (!(CLIENT_NAMES as readonly string[]).includes(client)) throw new UsageError(`--client: expected one of ${CLIENT_NAMES.join(', ')}, got ${JSON.stringify(client)}`);
    exp = { ...exp, profiles: exp.profiles.map((p) => ({ ...p, client: client as ClientName })) };
  }
  try {
    resolveProfiles(exp);
  } catch (err) {
    if (err instanceof ProfileRefusal) {
      const keyPath = ['profiles', err.profileIndex, ...err.path];
      const message = client !== undefined ? `${err.message} (--client ${client} cannot run profile ${exp.profiles[err.profileIndex]?.name})` : err.message;
      throw new ExperimentError([{ ...locate(exp, keyPath), file, key: `profiles[${err.profileIndex}].${err.path.join('.')}`, message }]);
    }
    throw err;
  }
  if (only) {
    const names = exp.profiles.map((p) => p.name);
    const unknown = only.filter((n) => !names.includes(n));
    if (unknown.length > 0) throw new UsageError(`no profile named ${unknown.join(', ')} in ${file} (profiles: ${names.join(', ')})`);
  }
  return exp;
}

/** Line and column of a key in the experiment source (best effort: the key's first occurrence after its parents). */
function locate(exp: Experiment, keyPath: Array<string | number>): { line: number; column: number } {
  const lines = exp.source.split('\n');
  const last = keyPath[keyPath.length - 1];
  if (typeof last !== 'string') return { line: 0, column: 0 };
  const profileName = typeof keyPath[1] === 'number' ? exp.profiles[keyPath[1]]?.name : undefined;
  let from = 0;
  if (profileName) {
    const at = lines.findIndex((l) => new RegExp(`name:\\s*['"]?${profileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*$`).test(l));
    if (at >= 0) from = at;
  }
  for (let i = from; i < lines.length; i++) {
    const col = lines[i]!.indexOf(`${last}:`);
    const quoted = lines[i]!.indexOf(`'${last}':`) >= 0 ? lines[i]!.indexOf(`'${last}':`) : lines[i]!.indexOf(`"${last}":`);
    const c = col >= 0 ? col : quoted;
    if (c >= 0) return { line: i + 1, column: c + 1 };
  }
  return { line: 0, column: 0 };
}

function makeProgress(env: Environment, quiet: boolean): Progress {
  if (quiet) return new PlainProgress(() => undefined);
  return env.tty && process.stderr.isTTY ? new TerminalProgress(process.stderr) : new PlainProgress();
}

interface RunFlags {
  cluster: string;
  seed?: string;
  profile?: string[];
  reports: string;
  quiet?: boolean;
  keepData?: boolean;
  kafkaImage?: string;
  toxiproxyImage?: string;
  composeProject?: string;
  client?: string;
  reporter?: string[];
  repeat?: string;
  kafkaVersion?: string;
}

/** Loads and validates every file first: a bad one stops everything before anything starts. */
function loadAll(files: string[], opts: RunFlags): Experiment[] {
  const exps: Experiment[] = [];
  for (const file of files) {
    try {
      let exp = loadValidated(file, opts.profile, opts.client);
      if (opts.kafkaVersion !== undefined) {
        if (!/^\d+\.\d+\.\d+$/.test(opts.kafkaVersion)) throw new UsageError(`--kafka-version: expected a version like 4.1.0, got ${JSON.stringify(opts.kafkaVersion)}`);
        // every profile on this version, whatever the file pins
        exp = { ...exp, cluster: { ...exp.cluster, kafkaVersion: opts.kafkaVersion }, profiles: exp.profiles.map(({ kafkaVersion: _v, ...p }) => p) };
      }
      if (opts.seed !== undefined) {
        if (!/^\d+$/.test(opts.seed) || Number(opts.seed) > 4294967295) throw new UsageError(`--seed: expected a whole number from 0 to 4294967295, got ${JSON.stringify(opts.seed)}`);
        exp = { ...exp, seed: Number(opts.seed) };
      }
      exps.push(exp);
    } catch (err) {
      if (err instanceof ExperimentError || err instanceof UsageError) fail(err.message);
      throw err;
    }
  }
  return exps;
}

/** Runs experiment files one after the other on one backend; the exit code is the worst of them. */
async function runCommand(files: string[], opts: RunFlags): Promise<{ code: number; results: RunResult[] }> {
  const env = readEnvironment();
  const exps = loadAll(files, opts);
  const reporters = opts.reporter ?? [...DEFAULT_REPORTERS];
  const repeat = Number(opts.repeat ?? '1');
  if (!/^\d+$/.test(opts.repeat ?? '1') || repeat < 1 || repeat > 100) fail(`--repeat: expected a whole number from 1 to 100, got ${JSON.stringify(opts.repeat)}`);
  try {
    resolveReporters(reporters);
  } catch (err) {
    if (err instanceof UsageError) fail(err.message);
    throw err;
  }
  const say = (l: string) => process.stderr.write(`${l}\n`);
  const versions = [...new Set(exps.flatMap((e) => kafkaVersionsOf(e)))];
  let backend: ClusterBackend;
  try {
    backend = await selectBackend({
      choice: opts.cluster,
      env,
      kafkaVersion: versions[0]!,
      keepData: opts.keepData ?? false,
      kafkaImage: opts.kafkaImage,
      toxiproxyImage: opts.toxiproxyImage,
      composeProject: opts.composeProject,
      log: say,
    });
    for (const exp of exps) checkCapabilities(exp, backend);
    for (const kafkaVersion of versions) await backend.prepare({ kafkaVersion, log: say });
    // every client a profile asks for is there (the Java agent compiled, the native module
    // loaded) before any cluster starts: a missing one stops everything with how to get it
    const clients = new Set(exps.flatMap((e) => e.profiles.map((p) => `${p.client}\u0000${effectiveKafkaVersion(e, p)}`)));
    for (const key of clients) {
      const [client, kafkaVersion] = key.split('\u0000') as [ClientName, string];
      await clientDriver(client).prepare({ kafkaVersion, javaHome: env.javaHome, log: say });
    }
  } catch (err) {
    if (err instanceof PrerequisiteError || err instanceof UsageError) fail(err.message);
    throw err;
  }
  const progress = makeProgress(env, opts.quiet ?? false);
  const controller = new AbortController();
  const runIds: string[] = [];
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      progress.log(`\n${sig}: stopping the run and tearing everything down (again to force)`);
      controller.abort(new Error(sig));
    } else {
      for (const p of findMarkedProcesses().filter((x) => runIds.includes(x.runId))) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // A run must never end because Node found nothing left to wait for (a client waiting
  // without a handle that keeps the process alive): that would exit 0 with no result.
  // Should it happen, it is a harness error, said as such.
  const drained = () => {
    process.stderr.write('kafka-chaos: internal error: the run stopped waiting for anything before it finished; no result was written\n');
    process.exit(EXIT_BAD_INPUT);
  };
  process.once('beforeExit', drained);
  let code = 0;
  const results: RunResult[] = [];
  try {
    for (const exp of exps) {
      if (controller.signal.aborted) break;
      let runId = `${utcStamp()}-${exp.name}`;
      for (let n = 2; fs.existsSync(path.resolve(opts.reports, runId)); n++) runId = `${utcStamp()}-${exp.name}-${n}`;
      runIds.push(runId);
      const runDir = path.resolve(opts.reports, runId);
      const unregister = registerRun(env.cacheDir, { runId, harnessPid: process.pid, runDir, startedAt: new Date().toISOString() });
      progress.log(`kafka-chaos: running ${exp.name} (${exp.profiles.length} profile(s), seed ${exp.seed}); report in ${runDir}`);
      try {
        const result = await runExperiment({ experiment: exp, backend, runId, runDir, signal: controller.signal, progress, repeat, ...(opts.profile ? { only: opts.profile } : {}) });
        const failures = await writeReport(result, reporters, { write: (s) => process.stdout.write(s) });
        for (const f of failures) process.stderr.write(`kafka-chaos: ${f}\n`);
        results.push(result);
        code = worse(code, result.exitCode);
      } catch (err) {
        if (err instanceof PrerequisiteError) fail(err.message);
        throw err;
      } finally {
        unregister();
      }
    }
  } finally {
    process.removeListener('beforeExit', drained);
    // the next command of a matrix or catalogue installs its own
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
  }
  return { code: controller.signal.aborted ? 130 : code, results };
}

/** The exit code that says more: interrupted, then error or inconclusive, then a missed threshold. */
function worse(a: number, b: number): number {
  const rank = (c: number) => (c === 130 ? 3 : c === 2 ? 2 : c === 1 ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

async function main(argv: string[]): Promise<number> {
  // a closed terminal or pipe must not crash the harness before it has torn the run down
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const program = new Command();
  program
    .name('kafka-chaos')
    .description('Chaos experiments on a real Kafka cluster: faults in the middle of a run, then an exact count of lost and duplicated messages.')
    .exitOverride()
    .showHelpAfterError();
  let code = 0;
  program
    .command('run')
    .description('run experiment files (one after the other) and write a report for each')
    .argument('<experiment...>', 'experiment YAML files')
    .option('--cluster <backend>', 'cluster backend: auto (docker when an engine answers and the images are present or buildable, else local), local, docker or compose', 'auto')
    .option('--kafka-image <image>', 'docker backend: the Kafka broker image (default apache/kafka:<version>, or the offline build)')
    .option('--toxiproxy-image <image>', 'docker backend: the Toxiproxy image (default ghcr.io/shopify/toxiproxy:<version>, or the offline build)')
    .option('--compose-project <name>', 'compose backend: which compose project to attach to')
    .option('--profile <name...>', 'run only these profiles')
    .option('--reporter <name...>', `how the run is reported (${Object.keys(REPORTERS).join(', ')}; default ${DEFAULT_REPORTERS.join(', ')}); result.json is always written`)
    .option('--repeat <n>', 'run each profile n times, each on a fresh cluster; the report gives per metric k of n runs and min/median/max, and a profile passes only if every run did', '1')
    .option('--client <name>', `run every profile on this client (${CLIENT_NAMES.join(', ')}); a profile the client cannot express is refused before anything starts`)
    .option('--seed <n>', 'override the seed of the file (fault schedule and random targets): vary it nightly, replay a failure with it')
    .option('--reports <dir>', 'where run directories are written', 'reports')
    .option('--keep-data', 'keep broker data directories in the report (large)')
    .option('-q, --quiet', 'no progress output')
    .action(async (files: string[], opts: RunFlags) => {
      code = (await runCommand(files, opts)).code;
    });
  program
    .command('matrix')
    .description('run experiments over every combination of clients, Kafka versions and backends, and write one comparison table (reports/<time>-matrix.md)')
    .argument('<experiment...>', 'experiment YAML files')
    .option('--client <name...>', `clients (${CLIENT_NAMES.join(', ')}); default: as each profile says`)
    .option('--kafka-version <version...>', 'Kafka versions; default: as each experiment says')
    .option('--cluster <backend...>', 'backends (auto, local, docker, compose)', ['auto'])
    .option('--seed <n>', 'override every experiment\'s seed')
    .option('--repeat <n>', 'run each profile n times in every combination', '1')
    .option('--reports <dir>', 'where run directories are written', 'reports')
    .option('-q, --quiet', 'no progress output')
    .action(async (files: string[], opts: { client?: string[]; kafkaVersion?: string[]; cluster: string[]; seed?: string; repeat: string; reports: string; quiet?: boolean }) => {
      const combos: MatrixCombination[] = [];
      for (const cluster of opts.cluster) for (const kafkaVersion of opts.kafkaVersion ?? [undefined]) for (const client of opts.client ?? [undefined]) combos.push({ cluster, ...(client ? { client } : {}), ...(kafkaVersion ? { kafkaVersion } : {}) });
      // every combination is checked before anything starts: a refusal names its combination
      for (const c of combos) loadAll(files, { cluster: c.cluster!, reports: opts.reports, ...(c.client ? { client: c.client } : {}), ...(c.kafkaVersion ? { kafkaVersion: c.kafkaVersion } : {}) });
      const columns: MatrixColumn[] = [];
      for (const c of combos) {
        process.stderr.write(`kafka-chaos matrix: ${combinationLabel(c)}\n`);
        const r = await runCommand(files, {
          cluster: c.cluster!,
          reports: opts.reports,
          repeat: opts.repeat,
          ...(opts.quiet ? { quiet: true } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(c.client ? { client: c.client } : {}),
          ...(c.kafkaVersion ? { kafkaVersion: c.kafkaVersion } : {}),
        });
        columns.push({ combination: c, runs: r.results });
        code = worse(code, r.code);
        if (r.code === 130) break;
      }
      const file = path.resolve(opts.reports, `${utcStamp()}-matrix.md`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const table = renderMatrix(columns);
      fs.writeFileSync(file, `# kafka-chaos matrix\n\n${table}`);
      fs.writeFileSync(file.replace(/\.md$/, '.html'), renderMatrixHtml(columns));
      process.stdout.write(`\n${table}\nmatrix: ${file} (and .html)\n`);
    });
  program
    .command('catalogue')
    .description('run every shipped experiment and write one table of all of them (reports/<time>-catalogue.md)')
    .option('--cluster <backend>', 'cluster backend: auto, local, docker or compose', 'auto')
    .option('--reports <dir>', 'where run directories are written', 'reports')
    .option('--seed <n>', 'override every experiment\'s seed')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts: RunFlags) => {
      const files = fs.readdirSync(EXPERIMENTS_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(EXPERIMENTS_DIR, f));
      const r = await runCommand(files, opts);
      const file = path.resolve(opts.reports, `${utcStamp()}-catalogue.md`);
      fs.writeFileSync(file, renderCatalogue(r.results));
      process.stdout.write(`\n${renderCatalogue(r.results)}\ncatalogue: ${file}\n`);
      code = r.code;
    });
  program
    .command('list')
    .description('the shipped experiments, the fault types and the clients, one line each')
    .option('--dir <dir>', 'where the experiments are', EXPERIMENTS_DIR)
    .action((opts: { dir: string }) => {
      process.stdout.write('Experiments:\n');
      const files = fs.existsSync(opts.dir) ? fs.readdirSync(opts.dir).filter((f) => f.endsWith('.yaml')).sort() : [];
      for (const f of files) {
        try {
          const exp = loadExperiment(path.join(opts.dir, f));
          process.stdout.write(`  ${exp.name.padEnd(32)} ${exp.description ?? ''}\n`);
        } catch (err) {
          process.stdout.write(`  ${f.padEnd(32)} (invalid: ${errorMessage(err).split('\n')[0]})\n`);
        }
      }
      process.stdout.write('\nFault types (action: what it does [needs]):\n');
      for (const t of FAULT_TYPES) process.stdout.write(`  ${t.action.padEnd(30)} ${t.summary}${t.needs.length ? ` [${t.needs.join(', ')}]` : ''}\n`);
      process.stdout.write('\nClients (profile key `client`):\n');
      for (const c of Object.values(CLIENTS)) process.stdout.write(`  ${c.name.padEnd(30)} ${c.description}\n`);
    });
  program
    .command('validate')
    .description('check an experiment file without running it')
    .argument('<experiment...>', 'experiment YAML files')
    .action((files: string[]) => {
      for (const f of files) {
        try {
          const exp = loadValidated(f, undefined);
          process.stdout.write(`${f}: ok (${exp.profiles.length} profile(s), ${exp.faults.list.length} fault(s)${exp.faults.random ? ' and a random mix' : ''})\n`);
        } catch (err) {
          if (err instanceof ExperimentError) {
            process.stderr.write(`${err.message}\n`);
            code = EXIT_BAD_INPUT;
          } else throw err;
        }
      }
    });
  const images = program.command('images').description('Docker images for the docker and compose backends');
  images
    .command('build')
    .description('build the Kafka and Toxiproxy images offline (JRE base from the machine\'s apt sources with mmdebstrap, Kafka jars from the cache, Toxiproxy from its Go module)')
    .option('--kafka-version <version>', 'Kafka version', DEFAULT_KAFKA_VERSION)
    .option('--force', 'rebuild images that exist')
    .action(async (opts: { kafkaVersion: string; force?: boolean }) => {
      const env = readEnvironment();
      try {
        const r = await buildLocalImages({
          kafkaVersion: opts.kafkaVersion,
          toxiproxyVersion: DEFAULT_TOXIPROXY_VERSION,
          cacheDir: env.cacheDir,
          ...(env.kafkaHome ? { kafkaHome: env.kafkaHome } : {}),
          log: (l) => process.stderr.write(`${l}\n`),
          ...(opts.force ? { force: true } : {}),
        });
        process.stdout.write(`images: ${r.kafka}, ${r.toxiproxy}${r.built.length ? ` (built ${r.built.join(', ')})` : ' (already present)'}\n`);
        process.stdout.write(`use them with: --kafka-image ${r.kafka} --toxiproxy-image ${r.toxiproxy} (or KAFKA_CHAOS_KAFKA_IMAGE / KAFKA_CHAOS_TOXIPROXY_IMAGE)\n`);
      } catch (err) {
        if (err instanceof PrerequisiteError) fail(err.message);
        throw err;
      }
    });
  program
    .command('compose')
    .description('write docker-compose.yml (and its Toxiproxy config) from the broker-config generator')
    .argument('<action>', 'generate')
    .option('--dir <dir>', 'repository root', process.cwd())
    .action((action: string, opts: { dir: string }) => {
      if (action !== 'generate') fail(`compose ${action}: expected generate`);
      for (const f of writeComposeFiles(opts.dir)) process.stdout.write(`wrote ${f}\n`);
    });
  program
    .command('report')
    .description('render the reports of a finished run again from its result.json (every reporter, or those named)')
    .argument('<run-dir>', 'a run directory under reports/')
    .option('--reporter <name...>', `which reporters (${Object.keys(REPORTERS).join(', ')}; default console, markdown)`)
    .action(async (dir: string, opts: { reporter?: string[] }) => {
      try {
        const r = await rerenderRun(dir, opts.reporter ?? ['console', 'markdown'], { write: (s) => process.stdout.write(s) });
        for (const e of r.errors) process.stderr.write(`kafka-chaos: ${e.message}\n`);
        code = r.errors.length > 0 ? EXIT_BAD_INPUT : r.run.exitCode;
      } catch (err) {
        if (err instanceof UsageError) fail(err.message);
        throw err;
      }
    });
  program
    .command('clean')
    .description('stop every broker, proxy and agent left behind by a crashed run')
    .option('--all', 'also stop the processes of runs whose harness is still alive')
    .option('--run <runId>', 'only this run')
    .action(async (opts: { all?: boolean; run?: string }) => {
      const env = readEnvironment();
      const r = await cleanLeftovers(env.cacheDir, { ...(opts.all ? { all: true } : {}), ...(opts.run ? { runId: opts.run } : {}) });
      for (const k of r.killed) process.stdout.write(`stopped pid ${k.pid} of run ${k.runId}: ${k.cmd.slice(0, 120)}\n`);
      for (const d of r.removedDocker) process.stdout.write(`removed ${d.kind} ${d.name} of run ${d.runId}\n`);
      for (const s of r.skippedLiveRuns) process.stdout.write(`left run ${s} alone: its harness is still running (use --all to stop it too)\n`);
      process.stdout.write(`clean: stopped ${r.killed.length} process(es), removed ${r.removedDocker.length} Docker object(s), forgot ${r.removedRecords.length} run record(s)\n`);
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    throw err;
  }
  return code;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kafka-chaos: error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
    process.exit(EXIT_BAD_INPUT);
  },
);
