/**
 * The documentation stands on its own: no references to documents outside the repository, no
 * broken relative links. The checker itself is tested on small samples first, so a check that
 * finds nothing is known to be able to find something.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, markdownFiles, outsideReferences, report, sourceFiles } from './docs_check.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the docs check finds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wolaro-docs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('references to documents the reader does not have, and not RFC sections', () => {
    const file = join(dir, 'refs.md');
    writeFileSync(
      file,
      [
        'As DESIGN §2 says.',
        "The note's check.",
        'See the design note.',
        'From the original note.',
        'Read DESIGN.md.',
        'Secrets of at least 32 bytes (RFC 7518 §3.2).',
        'Release notes are in CHANGELOG.md.',
      ].join('\n'),
    );
    expect(outsideReferences(dir, [file]).map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('relative links to files and folders that do not exist', () => {
    mkdirSync(join(dir, 'guides'), { recursive: true });
    writeFileSync(join(dir, 'guides', 'a.md'), '# A\n');
    const file = join(dir, 'links.md');
    writeFileSync(
      file,
      [
        '[ok](guides/a.md) [ok folder](guides/) [ok anchor](guides/a.md#a) [ok](#local) [web](https://example.com/x)',
        '[missing](guides/b.md) ![missing picture](img/x.png)',
        '`[in code](nowhere.md)`',
        '```md',
        '[in a fence](nowhere.md)',
        '```',
        '[ref]: ./missing-folder/',
      ].join('\n'),
    );
    expect(brokenLinks(dir, [file]).map((p) => `${p.line} ${p.text}`)).toEqual([
      '2 guides/b.md',
      '2 img/x.png',
      '7 ./missing-folder/',
    ]);
  });
});

describe('the repository docs', () => {
  it('cite no document outside the repository (markdown and published sources)', () => {
    const files = [...markdownFiles(ROOT), ...sourceFiles(ROOT)];
    expect(files.length).toBeGreaterThan(50);
    const problems = outsideReferences(ROOT, files);
    expect(problems, `Say what the thing does instead:\n${report(problems)}`).toEqual([]);
  });

  it('have no broken relative links in markdown files', () => {
    const files = markdownFiles(ROOT);
    expect(files.map((f) => f.slice(ROOT.length))).toContain('README.md');
    const problems = brokenLinks(ROOT, files);
    expect(problems, report(problems)).toEqual([]);
  });
});
