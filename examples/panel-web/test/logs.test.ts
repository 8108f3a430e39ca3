import { describe, expect, it } from 'vitest';
import { fromAudit, fromEvent, LOG_LIMIT, mergeFetched, prependLive } from '../src/logs.js';

const t0 = Date.parse('2025-01-01T12:00:00Z');

describe('command log', () => {
  it('prepends live events once', () => {
    const e = fromEvent({ command: '/ban', executorId: '1', result: 'success', timestamp: t0, eventId: 'x' });
    const once = prependLive([], e);
    expect(prependLive(once, e)).toHaveLength(1);
  });

  it('keeps at most LOG_LIMIT lines', () => {
    let items = [fromEvent({ command: '/a', executorId: '1', result: 'success', timestamp: t0 })];
    for (let i = 1; i <= LOG_LIMIT + 5; i++) {
      items = prependLive(
        items,
        fromEvent({ command: '/a', executorId: '1', result: 'success', timestamp: t0 + i }),
      );
    }
    expect(items).toHaveLength(LOG_LIMIT);
  });

  it('a refetch does not duplicate a live event already in the audit log', () => {
    const live = fromEvent({
      command: '/warn',
      executorId: '7',
      executor: 'bob',
      result: 'denied',
      timestamp: t0 + 50,
    });
    const newer = fromEvent({ command: '/ping', executorId: '8', result: 'success', timestamp: t0 + 5000 });
    const fetched = [
      fromAudit({
        id: '10',
        guildId: '1',
        command: '/warn',
        executorId: '7',
        executor: 'bob',
        result: 'denied',
        createdAt: new Date(t0 + 120).toISOString(),
      }),
    ];
    const merged = mergeFetched(fetched, [newer, live]);
    expect(merged.map((i) => i.command)).toEqual(['/ping', '/warn']);
    expect(merged[1]?.key).toBe('a:10');
  });
});
