import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BOT_TOKEN } from '../src/index.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let child: ChildProcess | null = null;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
});

function waitForOutput(proc: ChildProcess, pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`CLI output did not match ${pattern}: ${output}`)), ms);
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

describe('wolaro-discord-emulator CLI', () => {
  it('prints the URL and the bot token, serves requests and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--seed', 'demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    const [, url] = await waitForOutput(
      proc,
      /Discord emulator: (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*Bot token:\s+(\S+)/,
    );
    const res = await fetch(`${url}/api/v10/gateway/bot`, {
      headers: { authorization: `Bot ${DEFAULT_BOT_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ url: `${url?.replace('http', 'ws')}/gateway`, shards: 1 });
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('recommends the shards of --shards in GET /gateway/bot', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--shards', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [, url] = await waitForOutput(child, /Discord emulator: (http:\/\/127\.0\.0\.1:\d+)\n/);
    const res = await fetch(`${url}/api/v10/gateway/bot`, {
      headers: { authorization: `Bot ${DEFAULT_BOT_TOKEN}` },
    });
    expect(await res.json()).toMatchObject({ shards: 3 });
  });

  it.each([
    ['--seed', 'nope'],
    ['--shards', '0'],
  ])('refuses invalid arguments (%s %s) with a non-zero exit code', async (flag, value) => {
    child = spawn(process.execPath, ['--import', 'tsx', cli, flag, value], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
  });
});
