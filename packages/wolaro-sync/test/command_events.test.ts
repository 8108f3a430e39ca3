import { waitFor } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import { CommandDeniedError, withCommandEvents } from '../src/discord/index.js';
import { InvalidOptionsError, SyncClient } from '../src/index.js';

const describeRun = (guildId: string, command: string) => ({ guildId, command, executorId: '200' });

describe('withCommandEvents({ publish: false })', () => {
  it('leaves the announcement to onExecuted: nothing is published by the wrapper', async () => {
    const sync = new SyncClient({ transport: 'memory' });
    await sync.connect();
    const seen: string[] = [];
    sync.subscribe('command:executed', (e) => {
      seen.push(e.command);
    });
    const recorded: string[] = [];
    const run = withCommandEvents(
      sync,
      async (command: string) => {
        if (command === 'deny') throw new CommandDeniedError('no');
        return command;
      },
      {
        describe: (command) => describeRun('100', command),
        publish: false,
        onExecuted: (info) => {
          recorded.push(`${info.command}:${info.result}`);
        },
      },
    );
    expect(await run('ping')).toBe('ping');
    await expect(run('deny')).rejects.toBeInstanceOf(CommandDeniedError);
    expect(recorded).toEqual(['ping:success', 'deny:denied']);
    // Sentinel on the same bus after the runs: once it is here, anything they published would be too.
    await sync.publishCommandExecuted('100', 'sentinel', '200', 'success');
    await waitFor(() => seen.includes('sentinel'));
    expect(seen).toEqual(['sentinel']);
    await sync.close();
  });

  it('hands onExecuted the interaction id as runId (a key for recording each run once), and publishes no runId', async () => {
    const sync = new SyncClient({ transport: 'memory' });
    await sync.connect();
    const published: Record<string, unknown>[] = [];
    sync.subscribe('command:executed', (e) => {
      published.push({ ...e });
    });
    const infos: Record<string, unknown>[] = [];
    const interaction = {
      id: '990000000000000001',
      guildId: '100',
      commandName: 'ping',
      user: { id: '200', username: 'ann' },
    };
    const run = withCommandEvents(sync, async (_i: typeof interaction) => 'pong', {
      onExecuted: (info) => {
        infos.push({ ...info });
      },
    });
    expect(await run(interaction)).toBe('pong');
    expect(infos).toEqual([
      {
        guildId: '100',
        command: 'ping',
        executorId: '200',
        executor: 'ann',
        runId: '990000000000000001',
        result: 'success',
      },
    ]);
    await waitFor(() => published.length === 1);
    expect(published[0]).not.toHaveProperty('runId');
    expect(published[0]).toMatchObject({ guildId: '100', command: 'ping', result: 'success' });
    await sync.close();
  });

  it('requires onExecuted with publish: false', () => {
    const sync = new SyncClient({ transport: 'memory' });
    let error: unknown;
    try {
      withCommandEvents(sync, async () => {}, { publish: false });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).issues).toEqual([
      'onExecuted: required with publish: false (it records and announces each run)',
    ]);
  });
});
