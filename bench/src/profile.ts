/**
 * Summarizes V8 `.cpuprofile` files (from `BENCH_CPU_PROF=api,bot npm run bench:e2e`, written to
 * BENCH_CPU_PROF_DIR, default $TMPDIR/wolaro-bench-profiles): hottest functions by self time, by inclusive time, and self time by
 * package, so "where does the API spend its CPU per update" has an answer without a GUI.
 *
 *   npm run profile:summary -w bench -- /tmp/wolaro-bench-profiles/panel-api-….cpuprofile [--top 30]
 *   (no file: the newest profile of each app)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '@wolaro/test-harness/report';
import { PROFILE_DIR } from './system.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.startsWith(ROOT) ? relative(ROOT, url) : url;
  return `${short || '(native)'}:${frame.lineNumber + 1}`;
}

function packageOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const rel = url.startsWith(ROOT) ? relative(ROOT, url) : url;
  const parts = rel.split('/');
  return parts.slice(0, 2).join('/');
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples?.length ?? 0;
  const msPerSample = samples > 0 ? totalMs / samples : 0;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const ms = hits * msPerSample;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += ms;
      continue;
    }
    const key = `${name} ${where(n.callFrame)}`;
    self.set(key, (self.get(key) ?? 0) + ms);
    const p = packageOf(n.callFrame);
    pkg.set(p, (pkg.get(p) ?? 0) + ms);
    // inclusive: every distinct frame on the stack gets the time once
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (!node) break;
      const k = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
    }
  }
  const busy = totalMs - idle;
  const table = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, v]) => `  ${v.toFixed(0).padStart(7)} ms  ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`,
      )
      .join('\n');
  return [
    `${relative(process.cwd(), file)}: ${totalMs.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy (${((busy / totalMs) * 100).toFixed(0)} %), ${samples} samples`,
    'self time by package:',
    table(pkg, 15),
    `hottest functions (self):`,
    table(self, top),
    `hottest functions (inclusive):`,
    table(inclusive, top),
  ].join('\n');
}

/** The newest profile in the profile folder whose name starts with `prefix` (`panel-api-`, `bot-`). */
export function newest(prefix: string): string | undefined {
  const dir = PROFILE_DIR;
  try {
    return readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  } catch {
    return undefined;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  const files = args.filter((a, i) => a.endsWith('.cpuprofile') && i !== topIndex + 1);
  const chosen =
    files.length > 0 ? files : [newest('panel-api-'), newest('bot-')].filter((f) => f !== undefined);
  if (chosen.length === 0) console.log('No profiles: run BENCH_CPU_PROF=api,bot npm run bench:e2e first.');
  for (const f of chosen) console.log(`${summarizeProfile(f, top)}\n`);
}
