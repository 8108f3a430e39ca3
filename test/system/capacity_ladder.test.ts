/**
 * The ladder logic of `npm run bench:capacity` (bench/src/capacity/steps.ts `runLadders`), with a
 * stand-in step function: which rates are offered, in which order, how a failure is confirmed and
 * how the gap between the last passing rung and the failed one is narrowed.
 */
import { describe, expect, it } from 'vitest';
import { runLadders, type StepResult, type Workload } from '../../bench/src/capacity/steps.js';

const O = { warmupS: 0, stepS: 0, drainMs: 0 };

/** A workload that passes every step up to `limit`/s; `flaky` rates fail once, then pass. */
function workload(label: string, limit: number, flaky: number[] = []) {
  return { label, limit, flaky: new Set(flaky) } as unknown as Workload & {
    limit: number;
    flaky: Set<number>;
  };
}

/** The stand-in step: judged by the workload's limit; records every call. */
function stepper(calls: string[]) {
  return async (w: Workload, rate: number): Promise<StepResult> => {
    const f = w as Workload & { limit: number; flaky: Set<number> };
    calls.push(`${w.label}@${rate}`);
    const flaky = f.flaky.delete(rate);
    return { rate, pass: rate <= f.limit && !flaky, attempt: 0 } as StepResult;
  };
}

describe('runLadders', () => {
  it('steps up interleaved, confirms a failure once, then bisects between the last pass and the failure', async () => {
    const calls: string[] = [];
    const [a, b] = await runLadders(
      [workload('a', 470), workload('b', 1200)],
      [100, 200, 400, 560, 800, 1100, 1600],
      { ...O, refine: 2 },
      stepper(calls),
    );
    expect(calls).toEqual([
      'a@100',
      'b@100',
      'a@200',
      'b@200',
      'a@400',
      'b@400',
      'a@560',
      'a@560',
      'b@560',
      'b@800',
      'b@1100',
      'b@1600',
      'b@1600',
      'a@473',
      'a@473',
      'b@1327',
      'b@1327',
      'a@435',
      'b@1208',
      'b@1208',
    ]);
    expect(a?.capacity).toBe(435);
    expect(b?.capacity).toBe(1100);
    expect(a?.steps.map((s) => s.attempt)).toEqual([1, 1, 1, 1, 2, 1, 2, 1]);
  });

  it('a failure that passes on its retry is a pass, and the ladder goes on', async () => {
    const calls: string[] = [];
    const [a] = await runLadders(
      [workload('a', 300, [200])],
      [100, 200, 400],
      { ...O, refine: 0 },
      stepper(calls),
    );
    expect(calls).toEqual(['a@100', 'a@200', 'a@200', 'a@400', 'a@400']);
    expect(a?.capacity).toBe(200);
  });

  it('no refinement without a passing rate, or when nothing failed', async () => {
    const calls: string[] = [];
    const [none, all] = await runLadders(
      [workload('none', 50), workload('all', 10_000)],
      [100, 200],
      { ...O, refine: 3 },
      stepper(calls),
    );
    expect(calls).toEqual(['none@100', 'none@100', 'all@100', 'all@200']);
    expect([none?.capacity, all?.capacity]).toEqual([0, 200]);
  });
});
