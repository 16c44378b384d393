import fs from 'node:fs';
import path from 'node:path';
import { PrerequisiteError } from '../util/errors.ts';
import { runCommand, which } from './exec.ts';
import { withLock } from './lock.ts';

export interface ToxiproxyBinary {
  bin: string;
  version: string;
  source: 'PATH' | 'go-build-cache';
}

/** toxiproxy-server from PATH, or built once from its Go module into the cache. */
export async function provisionToxiproxy(opts: { version: string; cacheDir: string; log?: (line: string) => void }): Promise<ToxiproxyBinary> {
  const onPath = await which('toxiproxy-server');
  if (onPath) {
    const r = await runCommand(onPath, ['-version']);
    const v = /(\d+\.\d+\.\d+)/.exec(r.stdout + r.stderr)?.[1] ?? 'unknown';
    return { bin: onPath, version: v, source: 'PATH' };
  }
  const dir = path.join(opts.cacheDir, 'toxiproxy', opts.version);
  const bin = path.join(dir, 'toxiproxy-server');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await withLock(`${dir}.lock`, async () => {
      if (fs.existsSync(bin)) return;
      const go = await which('go');
      if (!go) {
        throw new PrerequisiteError(
          'Toxiproxy is needed: put toxiproxy-server on PATH, or install Go so it can be built once from its module ' +
            '(github.com/Shopify/toxiproxy/v2).',
        );
      }
      opts.log?.(`building Toxiproxy ${opts.version} from its Go module into ${dir} (once)`);
      const tmp = `${dir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      const r = await runCommand(go, ['install', `github.com/Shopify/toxiproxy/v2/cmd/server@v${opts.version}`], {
        env: { ...process.env, GOBIN: tmp },
        timeoutMs: 20 * 60_000,
      });
      if (r.code !== 0) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw new PrerequisiteError(`building Toxiproxy ${opts.version} with go install failed:\n${r.stderr.slice(-2000)}`);
      }
      fs.renameSync(path.join(tmp, 'server'), path.join(tmp, 'toxiproxy-server'));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    });
  }
  return { bin, version: opts.version, source: 'go-build-cache' };
}
