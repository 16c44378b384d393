// The Node agents run from a bundle of their sources with plain node (no TypeScript
// compile at each agent start); the bundle is the agent: it speaks the protocol.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeAgentCommand } from '../../harness/clients/node-agent.ts';

const MAIN = fileURLToPath(new URL('../../harness/agents/main.ts', import.meta.url));

describe('the Node agent command', () => {
  it('runs a bundle of the agent with plain node, and the bundle answers in the protocol', async () => {
    const command = await nodeAgentCommand(MAIN);
    const { command: bin, args } = command('/nonexistent/agent-config.json');
    expect(bin).toBe(process.execPath);
    expect(args).toHaveLength(2);
    expect(args[0]).toMatch(/node_modules\/\.cache\/kafka-chaos\/main-[0-9a-f]{16}\.mjs$/);
    expect(fs.existsSync(args[0]!)).toBe(true);
    // the same bundle for the same sources
    expect((await nodeAgentCommand(MAIN))('x').args[0]).toBe(args[0]);
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    const first = JSON.parse(r.stdout.split('\n')[0]!) as { type: string; message: string };
    expect(first.type).toBe('fatal');
    expect(first.message).toContain('/nonexistent/agent-config.json');
  });
});
