import { performance } from 'node:perf_hooks';

/** A running open loop; see {@link openLoop}. */
export interface OpenLoop {
  /** Stops scheduling (what was fired keeps running). */
  stop(): void;
  /** How many were fired. */
  readonly fired: number;
}

/**
 * Calls `fire(i)` `rate` times per second on a fixed schedule whatever the answers do (open loop:
 * a slow or hung system is offered the same load), until stopped. A late timer fires the backlog
 * at once, so the offered rate holds on a busy machine.
 */
export function openLoop(rate: number, fire: (i: number) => void): OpenLoop {
  const interval = 1000 / rate;
  const start = performance.now();
  let next = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    while (start + next * interval <= now) fire(next++);
    timer = setTimeout(tick, Math.max(1, Math.min(20, start + next * interval - now)));
  };
  if (rate > 0) timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    get fired() {
      return next;
    },
  };
}
