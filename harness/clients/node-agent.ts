// How a Node agent process is started. The agents are TypeScript; run through tsx, every
// agent start compiles its modules again, about half a second of CPU on a busy small
// machine, and agents start while the brokers are busy too (a run starts its consumers,
// then its producers; faults restart them). So the entry is bundled once per harness
// process with esbuild (the compiler tsx itself uses) into one ES module next to the
// dependencies (node_modules/.cache/kafka-chaos, so that the packages it imports resolve
// as they do for the sources), and the agents run that with plain node. When it cannot be
// bundled, the agent runs through tsx as before.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../util/errors.ts';

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/kafka-chaos/', import.meta.url));

export interface AgentCommand {
  command: string;
  args: string[];
}

const bundles = new Map<string, Promise<string | undefined>>();

async function bundle(entry: string, log?: (line: string) => void): Promise<string | undefined> {
  try {
    const esbuild = await import('esbuild');
    const built = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // the packages stay imports: resolved from node_modules as for the sources (native modules included)
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    const code = built.outputFiles[0]!.contents;
    const hash = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
    const file = path.join(CACHE, `${path.basename(entry, '.ts')}-${hash}.mjs`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(CACHE, { recursive: true });
      // written whole, then renamed: another harness process may read it meanwhile
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, file);
    }
    return file;
  } catch (err) {
    log?.(`agents run through tsx (bundling ${path.basename(entry)} failed: ${errorMessage(err)})`);
    return undefined;
  }
}

/**
 * The command line of an agent whose entry is `entry` (a .ts file): plain node on the
 * bundle, or node with tsx when there is none.
 */
export async function nodeAgentCommand(entry: string, log?: (line: string) => void): Promise<(configFile: string) => AgentCommand> {
  let p = bundles.get(entry);
  if (!p) {
    p = bundle(entry, log);
    bundles.set(entry, p);
  }
  const file = await p;
  return (configFile) => ({ command: process.execPath, args: file ? [file, configFile] : ['--import', 'tsx', entry, configFile] });
}
