import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../wait.js';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** One line a child printed, as it arrived: the raw text, stamped on this process's clock. */
export interface RawLine {
  text: string;
  /** `performance.now()` when the chunk holding the end of this line arrived. */
  at: number;
  stream: 'stdout' | 'stderr';
}

/** One line a child printed, parsed: a pino JSON line (`msg`, `level`, `time`, ...) or raw text. */
export interface LogLine {
  /** Pino's level name, `'raw'` for a line that is not JSON. */
  level: string;
  msg: string;
  /** Pino's `time` (ms since epoch), else when this process read the line. */
  time: number;
  /** The parsed JSON line (`{}` for raw text). */
  fields: Record<string, unknown>;
  stream: 'stdout' | 'stderr';
}

/** Matches the `msg` of a line (substring or RegExp) or the whole line (predicate). */
export type LineMatcher = string | RegExp | ((line: LogLine) => boolean);

/** Options of {@link ChildLogs}. */
export interface ChildLogsOptions {
  /** Tag of {@link ChildLogs.tail} lines (default `app`). */
  name?: string;
  /**
   * Parse and keep every line in {@link ChildLogs.lines} (default true). A benchmark turns it off:
   * then only listeners and the tail see the lines, and nothing is parsed.
   */
  keep?: boolean;
}

/**
 * Everything a child printed, line by line: parsed and kept for tests ({@link ChildLogs.find},
 * {@link ChildLogs.waitFor}), passed to listeners with its arrival time for benchmarks
 * ({@link ChildLogs.onLine}, {@link ChildLogs.waitForLine}), and the last 200 for failure reports.
 *
 * @example
 * ```ts
 * const logs = new ChildLogs({ name: 'bot' });
 * child.stdout?.on('data', (chunk: Buffer) => logs.feed('stdout', chunk));
 * await logs.waitFor('Bot ready', { level: 'info' });
 * ```
 */
export class ChildLogs {
  readonly lines: LogLine[] = [];
  readonly name: string;
  readonly #keep: boolean;
  readonly #listeners = new Set<(line: RawLine) => void>();
  readonly #tail: string[] = [];
  readonly #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  #seen = 0;

  constructor(options: ChildLogsOptions = {}) {
    this.name = options.name ?? 'app';
    this.#keep = options.keep ?? true;
  }

  /** Takes a chunk of a child's output; complete lines go to the store, the listeners and the tail. */
  feed(stream: 'stdout' | 'stderr', chunk: Buffer, at = performance.now()): void {
    const text = this.#partial[stream] + chunk.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.trim() === '') continue;
      this.#take({ text: line, at, stream });
    }
    this.#partial[stream] = text.slice(start);
  }

  /** Adds a line of this process's own (e.g. `--- restarted ---`) to the record. */
  note(text: string): void {
    this.#take({ text, at: performance.now(), stream: 'stdout' });
  }

  #take(line: RawLine): void {
    this.#seen++;
    if (this.#keep) this.lines.push(parseLine(line.text, line.stream));
    this.#tail.push(line.text.length > 400 ? `${line.text.slice(0, 400)}…` : line.text);
    if (this.#tail.length > 200) this.#tail.shift();
    for (const fn of this.#listeners) fn(line);
  }

  /** Calls `fn` for every later line; returns the unsubscribe function. */
  onLine(fn: (line: RawLine) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Lines printed so far (kept or not). */
  get linesSeen(): number {
    return this.#seen;
  }

  /** Kept lines matching `matcher`, optionally only at `level`, optionally only from index `from` on. */
  find(matcher: LineMatcher, options: { level?: string; from?: number } = {}): LogLine[] {
    return this.lines.slice(options.from ?? 0).filter((line) => {
      if (options.level !== undefined && line.level !== options.level) return false;
      if (typeof matcher === 'string') return line.msg.includes(matcher);
      if (matcher instanceof RegExp) return matcher.test(line.msg);
      return matcher(line);
    });
  }

  has(matcher: LineMatcher, options: { level?: string; from?: number } = {}): boolean {
    return this.find(matcher, options).length > 0;
  }

  /** Waits for a matching kept line and returns the first one. */
  async waitFor(
    matcher: LineMatcher,
    options: { level?: string; from?: number; timeoutMs?: number } = {},
  ): Promise<LogLine> {
    return waitFor(() => this.find(matcher, options)[0], {
      timeoutMs: options.timeoutMs ?? 5000,
      intervalMs: 5,
      message: `a log line matching ${String(matcher)}${options.level ? ` at ${options.level}` : ''}`,
    });
  }

  /**
   * Resolves with the first LATER line whose text contains `needle`; rejects after `timeoutMs`, or
   * as soon as `child` exits.
   */
  waitForLine(needle: string, timeoutMs: number, child?: ChildProcess): Promise<RawLine> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        off();
        reject(new Error(`${this.name}: ${why}\n${this.tail(40)}`));
      };
      const timer = setTimeout(
        () => fail(`no line containing "${needle}" within ${timeoutMs} ms`),
        timeoutMs,
      );
      const onExit = () => fail(`exited (${child?.exitCode ?? child?.signalCode}) before "${needle}"`);
      const stop = this.onLine((line) => {
        if (!line.text.includes(needle)) return;
        off();
        resolve(line);
      });
      const off = () => {
        clearTimeout(timer);
        stop();
        child?.off('exit', onExit);
      };
      child?.once('exit', onExit);
    });
  }

  /** The index the next kept line will get: pass it as `from` to look only at what comes next. */
  get mark(): number {
    return this.lines.length;
  }

  /** The last `max` lines, for failure reports. */
  tail(max = 120): string {
    return this.#tail
      .slice(-max)
      .map((l) => `  [${this.name}] ${l}`)
      .join('\n');
  }
}

function parseLine(raw: string, stream: 'stdout' | 'stderr'): LogLine {
  if (raw.startsWith('{')) {
    try {
      const fields = JSON.parse(raw) as Record<string, unknown>;
      const level = typeof fields['level'] === 'number' ? (LEVELS[fields['level']] ?? 'info') : 'info';
      return {
        level,
        msg: typeof fields['msg'] === 'string' ? fields['msg'] : '',
        time: typeof fields['time'] === 'number' ? fields['time'] : Date.now(),
        fields,
        stream,
      };
    } catch {
      // not JSON after all
    }
  }
  return { level: 'raw', msg: raw, time: Date.now(), fields: {}, stream };
}
