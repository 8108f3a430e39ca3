import { describe, expect, it } from 'vitest';
import { DEMO, useWorld } from './helpers.js';

describe('Discord enrichment', () => {
  const w = useWorld('panel_discord');

  it('returns channel names from Discord grouped like the note reads them, then serves them from the cache', async () => {
    const before = w.api.discord.requests;
    const first = await w.request('GET', `/api/discord/guilds/${DEMO.guildId}/channels`, {
      token: w.adminToken,
    });
    expect(first.status).toBe(200);
    expect(first.body.text.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['général', 'logs', 'welcome']),
    );
    expect(first.body.text.find((c: { id: string }) => c.id === DEMO.channels.logs)).toEqual({
      id: DEMO.channels.logs,
      name: 'logs',
    });
    expect(first.body.categories).toEqual([{ id: DEMO.channels.category, name: 'Salons textuels' }]);
    expect(Array.isArray(first.body.voice)).toBe(true);
    expect(w.api.discord.requests).toBe(before + 1);

    // A renamed channel stays cached: the second call does not reach Discord.
    w.emulator.control.updateChannel(DEMO.channels.logs, { name: 'renamed-logs' });
    const second = await w.request('GET', `/api/discord/guilds/${DEMO.guildId}/channels`, {
      token: w.adminToken,
    });
    expect(second.body).toEqual(first.body);
    expect(w.api.discord.requests).toBe(before + 1);

    const metrics = await (await fetch(`${w.api.url}/metrics`)).text();
    expect(metrics).toMatch(/wolaro_discord_channels_cache_total\{result="hit"\} 1/);
    expect(metrics).toMatch(/wolaro_discord_channels_cache_total\{result="miss"\} 1/);
    expect(metrics).toMatch(
      /wolaro_discord_requests_total\{route="GET \/guilds\/:id\/channels",status="200"\} 1/,
    );
  });
});
