import { describe, expect, it } from 'vitest';
import {
  type GuildConfig,
  GuildConfigCache,
  InvalidPayloadError,
  type LoadedGuildConfig,
  MemoryBus,
  MemoryTransport,
  SyncClient,
} from '../../src/index.js';
import { closeAfterEach } from '../closing.js';

const track = closeAfterEach();

async function cacheWith(
  load: (guildId: string) => Promise<unknown>,
  loadVersions?: (ids: readonly string[]) => Promise<ReadonlyMap<string, unknown>>,
) {
  const sync = new SyncClient({ transport: new MemoryTransport({ bus: new MemoryBus() }) });
  await sync.connect();
  track(sync);
  const configs = new GuildConfigCache({
    sync,
    load: load as (id: string) => Promise<GuildConfig | null>,
    ...(loadVersions ? { loadVersions: loadVersions as () => Promise<ReadonlyMap<string, number>> } : {}),
  });
  await configs.start();
  track(configs);
  return { sync, configs };
}

describe('GuildConfigCache checks what load() returns', () => {
  it('a missing version rejects naming the guild and the field', async () => {
    const { configs } = await cacheWith(async () => ({ settings: {}, modules: {} }));
    const error = await configs.get('123').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as Error).message).toBe(
      "load('123') returned an invalid guild config: version: must be a non-negative safe integer (or a string of digits, as pg returns a bigint), got undefined",
    );
  });

  it('lists every wrong field', async () => {
    const { configs } = await cacheWith(async () => ({
      settings: 'x',
      modules: { mod: { enabled: 'yes' } },
      version: -1,
    }));
    const error = (await configs.get('42').catch((err: unknown) => err)) as InvalidPayloadError;
    expect(error.issues.map((i) => i.split(':')[0])).toEqual(['settings', 'modules.mod.enabled', 'version']);
  });

  it("accepts a pg bigint version ('2') as the number 2, refuses one past 2^53 - 1", async () => {
    const row: LoadedGuildConfig = {
      settings: { prefix: '!' },
      modules: {},
      version: '2',
      name: 'kept',
    } as never;
    const { configs } = await cacheWith(async (id) =>
      id === '1' ? row : { ...row, version: '9007199254740993' },
    );
    const cfg = await configs.get('1');
    expect(cfg?.version).toBe(2);
    expect((cfg as unknown as { name: string }).name).toBe('kept');
    await expect(configs.get('2')).rejects.toThrow(
      /version: must be a non-negative safe integer.*"9007199254740993"/,
    );
  });

  it('checks loadVersions() answers on resync, coercing digit strings', async () => {
    let version: unknown = 1;
    const { configs } = await cacheWith(
      async () => ({ settings: {}, modules: {}, version }),
      async (ids) => new Map(ids.map((id) => [id, version])),
    );
    await configs.get('7');
    version = '3';
    await configs.resync();
    expect(configs.floor('7')).toBe(3);
    version = 'three';
    const errors: Error[] = [];
    configs.on('error', (err) => errors.push(err));
    await configs.resync();
    expect(errors[0]?.message).toMatch(/^loadVersions\(\) returned an invalid version for guild 7: /);
  });
});
