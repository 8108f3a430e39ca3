import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import type { ChannelRef } from '../types.js';

/** A server's text channels (names for the log-channel picker), or why they are unavailable. */
export function useChannels(guildId: string) {
  const [channels, setChannels] = useState<ChannelRef[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api.channels(guildId).then(
      (result) => {
        if (cancelled) return;
        setChannels(result.text);
        setError(null);
      },
      (err: unknown) => {
        if (!cancelled) setError(errorMessage(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [guildId]);

  return { channels, error };
}
