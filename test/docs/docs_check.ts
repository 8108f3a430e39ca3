/**
 * The docs check: the repository's documentation stands on its own. Markdown files and the
 * comments of published sources must not send the reader to documents that are not in the
 * repository, and every relative link of a markdown file must point at a file or folder that exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Folders never scanned: installs, builds, local state, mutation-testing sandboxes and reports, and
 * the generated API docs (docs/api).
 */
const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  'coverage',
  '.git',
  '.wolaro',
  '.stryker-tmp',
  'reports',
]);
const GENERATED = join('docs', 'api');

/** Sources whose comments and strings users read (TSDoc, log lines, generated reports). */
const SOURCE_ROOTS = ['packages/*/src', 'examples/*/src', 'bench/src', 'scripts'];

/** References to documents the reader does not have, each with what it means. */
export const OUTSIDE_REFERENCES: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bDESIGN(?:\.md)?\s*§/, what: 'a section of a design document' },
  { pattern: /\b(?:DESIGN|STYLE)\.md\b|wolaro-realtime-sync\.md/, what: 'a document outside the repository' },
  { pattern: /\bdesign note\b/i, what: 'the design note' },
  { pattern: /\b(?:the|original|this) note\b(?!s)/i, what: '"the note"' },
  { pattern: /\bnote['’]s\b/i, what: '"the note\'s"' },
  { pattern: /(?<!RFC\s?\d+\s?)§\s?\d/, what: 'a numbered section (§) of another document' },
];

export interface Problem {
  file: string;
  line: number;
  text: string;
  why: string;
}

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !path.endsWith(GENERATED)) walk(path, keep, out);
    } else if (keep(path)) out.push(path);
  }
  return out;
}

/** Every markdown file of the repository (README.md files, docs/, .changeset/), absolute paths. */
export function markdownFiles(root: string): string[] {
  return walk(root, (file) => file.endsWith('.md'));
}

/** The published and example sources (`packages/*\/src`, `examples/*\/src`, `bench/src`, `scripts`). */
export function sourceFiles(root: string): string[] {
  const dirs = SOURCE_ROOTS.flatMap((pattern) => {
    const [parent, , child] = pattern.split('/');
    if (!pattern.includes('*')) return [join(root, pattern)];
    const base = join(root, parent ?? '');
    if (!existsSync(base)) return [];
    return readdirSync(base, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(base, e.name, child ?? ''));
  });
  return dirs.flatMap((dir) => walk(dir, (file) => /\.(?:ts|tsx|mts|js|mjs|cjs)$/.test(file)));
}

/** Lines that cite a document the reader does not have. */
export function outsideReferences(root: string, files: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        const hit = OUTSIDE_REFERENCES.find(({ pattern }) => pattern.test(text));
        if (hit)
          problems.push({ file: relative(root, file), line: index + 1, text: text.trim(), why: hit.what });
      });
  }
  return problems;
}

/** `[text](target)`, `![alt](target)` and `[label]: target` outside code, with their line numbers. */
export function linkTargets(markdown: string): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((raw, index) => {
    if (/^\s*(?:```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const text = raw.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (match[1]) found.push({ target: match[1], line: index + 1 });
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (definition?.[1]) found.push({ target: definition[1], line: index + 1 });
  });
  return found;
}

/** Relative links of markdown files whose file or folder does not exist (anchors are not checked). */
export function brokenLinks(root: string, files: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  for (const file of files) {
    for (const { target, line } of linkTargets(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // URL, mailto:, anchor
      const path = decodeURIComponent(target.replace(/[#?].*$/, ''));
      const absolute = path.startsWith('/') ? join(root, path) : resolve(dirname(file), path);
      if (!existsSync(absolute)) {
        problems.push({ file: relative(root, file), line, text: target, why: 'no such file or folder' });
      }
    }
  }
  return problems;
}

/** `file:line: why: text`, one problem a line. */
export function report(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.why}: ${p.text}`).join('\n');
}
