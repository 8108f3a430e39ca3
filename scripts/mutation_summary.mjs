#!/usr/bin/env node
// Reads the Stryker JSON reports (reports/mutation/<module>/mutation.json) and writes the score
// table, the surviving mutants worth a look and the equivalent ones into docs/testing.md, between
// the `mutation-summary` markers. Usage: node scripts/mutation_summary.mjs [--check]
// (--check: exit 1 when a module that has a report scores under 90 %.)
// A module without a local report keeps what the current docs/testing.md says about it.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EQUIVALENT_MUTANTS } from './mutation_equivalent.mjs';
import { MUTATION_MODULES } from './mutation_modules.mjs';

const root = new URL('..', import.meta.url).pathname;
const DOC = join(root, 'docs', 'testing.md');
const START = '<!-- mutation-summary:start -->';
const END = '<!-- mutation-summary:end -->';
const TARGET = 90;
const MAX_SURVIVORS_LISTED = 15;

const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const short = (s, n = 70) => {
  const t = oneLine(s);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};
const cell = (s) => s.replace(/\|/g, '\\|').replace(/`/g, "'");

function originalOf(source, location) {
  const lines = source.split('\n');
  const { start, end } = location;
  if (start.line === end.line) return lines[start.line - 1]?.slice(start.column - 1, end.column - 1) ?? '';
  const first = lines[start.line - 1]?.slice(start.column - 1) ?? '';
  const middle = lines.slice(start.line, end.line - 1);
  const last = lines[end.line - 1]?.slice(0, end.column - 1) ?? '';
  return [first, ...middle, last].join('\n');
}

/** Where each equivalent entry matched a live mutant: more places than it stands for hides one. */
const matched = new Map();

function isEquivalent(file, mutant, original) {
  const entry = EQUIVALENT_MUTANTS.find(
    (e) =>
      file.endsWith(e.file) &&
      e.mutator === mutant.mutatorName &&
      oneLine(e.original) === oneLine(original) &&
      oneLine(e.replacement) === oneLine(mutant.replacement ?? ''),
  );
  if (entry) {
    if (!matched.has(entry)) matched.set(entry, []);
    matched.get(entry).push(`${file}:${mutant.location.start.line}`);
  }
  return entry;
}

// A glob of scripts/mutation_modules.mjs as a RegExp (`**/` any folders, `*` within one name).
function globRegExp(glob) {
  const body = glob
    .split(/(\*\*\/|\*)/)
    .map((part) =>
      part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${body}$`);
}
const moduleOfPath = (path) =>
  Object.entries(MUTATION_MODULES).find(([, m]) => m.mutate.some((g) => globRegExp(g).test(path)))?.[0];

// The published summary, per module: the reports are local (gitignored), so a module measured on
// another machine keeps its row, survivors and equivalents until it is measured here.
function previousSummary(doc) {
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  const prev = new Map();
  if (from < 0 || to < from) return prev;
  const entry = (name) => {
    if (!prev.has(name)) prev.set(name, { row: undefined, details: [], equivalents: [] });
    return prev.get(name);
  };
  let section = 'table';
  let current;
  for (const line of doc.slice(from, to).split('\n')) {
    if (line.startsWith('#### Surviving')) section = 'survivors';
    else if (line.startsWith('#### Equivalent')) section = 'equivalents';
    const row = /^\| ([\w-]+) \|/.exec(line);
    if (section === 'table' && row && MUTATION_MODULES[row[1]] && !line.includes('not run yet')) {
      entry(row[1]).row = line;
    }
    const head = /^\*\*([\w-]+)\*\*:/.exec(line);
    if (section === 'survivors' && head) current = MUTATION_MODULES[head[1]] ? head[1] : undefined;
    if (section === 'survivors' && current && line.trim() !== '') entry(current).details.push(line);
    const item = /^- `([^`:]+):\d+`/.exec(line);
    const owner = item ? moduleOfPath(item[1]) : undefined;
    if (section === 'equivalents' && owner) entry(owner).equivalents.push(line);
  }
  return prev;
}

function summarize(name) {
  const file = join(root, 'reports', 'mutation', name, 'mutation.json');
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, equivalent: 0, other: 0 };
  const survivors = [];
  const equivalents = [];
  for (const [path, data] of Object.entries(report.files ?? {})) {
    for (const mutant of data.mutants ?? []) {
      const original = originalOf(data.source ?? '', mutant.location);
      const live = mutant.status === 'Survived' || mutant.status === 'NoCoverage';
      const eq = live ? isEquivalent(path, mutant, original) : undefined;
      if (eq) {
        counts.equivalent++;
        equivalents.push({ path, mutant, original, reason: eq.reason });
      } else if (mutant.status in counts) {
        counts[mutant.status]++;
        if (live) survivors.push({ path, mutant, original });
      } else counts.other++;
    }
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  return { name, counts, score, survivors, equivalents, at: statSync(file).mtime };
}

const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Testing\n\n${START}\n${END}\n`;
const previous = previousSummary(doc);
const rows = [];
const details = [];
const eqLines = [];
let below = 0;
for (const [name, module] of Object.entries(MUTATION_MODULES)) {
  const s = summarize(name);
  if (!s) {
    const prev = previous.get(name);
    if (prev?.row) {
      rows.push(prev.row);
      const [head, ...items] = prev.details;
      if (head) details.push(`\n${head}\n\n${items.join('\n')}`);
      eqLines.push(...prev.equivalents);
      if (prev.row.includes('(under 90)')) below++;
    } else rows.push(`| ${name} | ${module.title} | – | – | – | – | – | not run yet |`);
    continue;
  }
  if (s.score < TARGET) below++;
  const c = s.counts;
  rows.push(
    `| ${name} | ${module.title} | ${c.Killed + c.Timeout + c.Survived + c.NoCoverage + c.equivalent} | ` +
      `${c.Killed} + ${c.Timeout} | ${c.Survived} + ${c.NoCoverage} | ${c.equivalent} | ` +
      `**${s.score.toFixed(1)} %**${s.score < TARGET ? ' (under 90)' : ''} | ${s.at.toISOString().slice(0, 16).replace('T', ' ')} |`,
  );
  if (s.survivors.length > 0) {
    details.push(
      `\n**${name}**: ${s.survivors.length} live mutant(s)${s.survivors.length > MAX_SURVIVORS_LISTED ? `, first ${MAX_SURVIVORS_LISTED}` : ''}:\n`,
    );
    for (const { path, mutant, original } of s.survivors.slice(0, MAX_SURVIVORS_LISTED)) {
      details.push(
        `- \`${path}:${mutant.location.start.line}\` ${mutant.mutatorName} (${mutant.status}): ` +
          `\`${cell(short(original, 60))}\` → \`${cell(short(mutant.replacement ?? '', 60))}\``,
      );
    }
  }
  for (const { path, mutant, original, reason } of s.equivalents) {
    eqLines.push(
      `- \`${path}:${mutant.location.start.line}\` ${mutant.mutatorName}: \`${cell(short(original, 50))}\` → ` +
        `\`${cell(short(mutant.replacement ?? '', 50))}\`: ${reason}`,
    );
  }
}

const block = [
  START,
  '<!-- Written by `npm run mutation:summary` from reports/mutation/*/mutation.json; do not edit by hand. -->',
  '',
  '| Module | What | Mutants | Killed + timeout | Survived + no coverage | Equivalent | Score | Measured (UTC) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows,
  '',
  'Score = (killed + timed out) / (all mutants − equivalent ones). Static mutants (code run when a',
  'module loads: schemas, frozen tables, constants) are run with the mutant active before the module',
  'loads. Runs before 2026-12-07 skipped them (`ignoreStatic`), which also left the mutants of code',
  'run both at load time and by tests activated too late to have any effect: those are counted as',
  'survived in the older rows above until the module is measured again.',
  '',
  '#### Surviving mutants worth a look',
  details.length > 0 ? details.join('\n') : '\nNone in the measured modules.',
  '',
  '#### Equivalent mutants (left out of the score)',
  '',
  eqLines.length > 0 ? eqLines.join('\n') : 'None listed.',
  END,
].join('\n');

const from = doc.indexOf(START);
const to = doc.indexOf(END);
const next =
  from >= 0 && to > from
    ? `${doc.slice(0, from)}${block}${doc.slice(to + END.length)}`
    : `${doc.trimEnd()}\n\n${block}\n`;
writeFileSync(DOC, next);
console.log(`docs/testing.md: mutation summary updated (${rows.length} modules)`);
const overmatched = [...matched].filter(([entry, places]) => places.length > entry.places);
for (const [entry, places] of overmatched) {
  console.warn(
    `scripts/mutation_equivalent.mjs: ${entry.mutator} \`${short(entry.original, 50)}\` → \`${entry.replacement}\` ` +
      `stands for ${entry.places} place(s) but matches ${places.length} live mutants (${places.join(', ')}): ` +
      'check each one and set its places, or kill the others',
  );
}
// An entry whose file moved matches nothing any more: its mutants count as live again, unexplained.
const stale = [...new Set(EQUIVALENT_MUTANTS.map((e) => e.file))].filter(
  (file) => !existsSync(join(root, file)),
);
for (const file of stale) {
  console.warn(
    `scripts/mutation_equivalent.mjs: ${file} does not exist (moved or renamed?): its entries match nothing`,
  );
}
if (process.argv.includes('--check') && (below > 0 || overmatched.length > 0 || stale.length > 0)) {
  if (below > 0) console.error(`${below} module(s) under ${TARGET} %`);
  if (overmatched.length > 0)
    console.error(`${overmatched.length} equivalent entr(ies) match more places than listed`);
  if (stale.length > 0) console.error(`${stale.length} file(s) of equivalent entries do not exist`);
  process.exit(1);
}
