import { useCallback, useRef, useState } from 'react';
import { ApiError, api } from '../api.js';
import { type LiveConnection, useGuildRoom, useLiveLoad, useSocketEvent } from '../socket.js';
import type { GuildDetail, GuildSettings } from '../types.js';

/**
 * One server's configuration: loaded on mount and after every reconnection, updated in place by
 * its live events. An answer older than what is shown (an event won the race) is dropped.
 */
export function useGuild(guildId: string, live: LiveConnection, onError: (err: unknown) => void) {
  const [guild, setGuild] = useState<GuildDetail | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const guildRef = useRef(guild);
  guildRef.current = guild;
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;

  /** Loads the server; `force` shows the answer even when a newer version is shown. */
  const load = useCallback(
    async (force = false) => {
      try {
        const next = await api.guild(guildId);
        setGuild((prev) => (force || !prev || next.version >= prev.version ? next : prev));
        setLoadError(null);
        return true;
      } catch (err) {
        const fatal = err instanceof ApiError && (err.status === 403 || err.status === 404);
        if (fatal || (!guildRef.current && err instanceof ApiError)) setLoadError(err as ApiError);
        else onErrorRef.current(err);
        return false;
      }
    },
    [guildId],
  );

  /** Shows what a write answered, unless something newer is shown already. */
  const apply = useCallback(
    (version: number, change: Partial<GuildDetail> | ((prev: GuildDetail) => Partial<GuildDetail>)) => {
      setGuild((prev) => {
        if (!prev || version <= prev.version) return prev;
        return { ...prev, ...(typeof change === 'function' ? change(prev) : change), version };
      });
    },
    [],
  );

  useLiveLoad(live, load);
  useGuildRoom(live, guildId);
  useGuildEvents(guildId, live, setGuild, load);

  return { guild, loadError, load, apply, current: () => guildRef.current };
}

/** The live events of one server that change its configuration. */
function useGuildEvents(
  guildId: string,
  live: LiveConnection,
  setGuild: (update: (prev: GuildDetail | null) => GuildDetail | null) => void,
  load: (force?: boolean) => Promise<boolean>,
) {
  useSocketEvent(live.socket, 'config:updated', (e) => {
    if (e.guildId !== guildId) return;
    // An unversioned event (e.g. a hand-made `redis-cli PUBLISH`) is not known to match the
    // database: treat it as "something changed" and load the truth instead of applying it.
    const version = e.version;
    if (version === undefined) {
      void load(true);
      return;
    }
    setGuild((prev) =>
      !prev || version <= prev.version
        ? prev
        : { ...prev, settings: { ...prev.settings, ...e.settings } as GuildSettings, version },
    );
  });
  useSocketEvent(live.socket, 'module:toggled', (e) => {
    if (e.guildId !== guildId) return;
    setGuild((prev) => {
      if (!prev || (e.version !== undefined && e.version <= prev.version)) return prev;
      const config = e.config ?? prev.modules[e.module]?.config ?? {};
      return {
        ...prev,
        modules: { ...prev.modules, [e.module]: { enabled: e.enabled, config } },
        version: e.version ?? prev.version,
      };
    });
  });
  useSocketEvent(live.socket, 'guild:reload', (e) => {
    if (e.guildId === guildId) void load();
  });
}

/** What {@link useGuild} returns. */
export type GuildResource = ReturnType<typeof useGuild>;
