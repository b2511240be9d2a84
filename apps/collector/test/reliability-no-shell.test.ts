import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Hello, PROTOCOL_VERSION } from '@ftpscope/shared';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';
import { netnsArgv } from '../src/exec.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Every TypeScript/Svelte source file under apps/* /src and packages/* /src. */
function productSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs|svelte)$/.test(name)) out.push(p);
    }
  };
  for (const group of ['apps', 'packages']) {
    for (const pkg of readdirSync(join(ROOT, group))) {
      const src = join(ROOT, group, pkg, 'src');
      if (
        statSync(join(ROOT, group, pkg)).isDirectory() &&
        readdirSync(join(ROOT, group, pkg)).includes('src')
      )
        walk(src);
    }
  }
  return out;
}

/** Ways a command could reach a shell: exec/execSync imports, `shell: true`, `sh -c`, `.exec(` on child_process. */
function shellUses(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](?:node:)?child_process['"]/g)) {
    const names = (m[1] ?? '').split(',').map((n) =>
      n
        .trim()
        .split(/\s+as\s+/)[0]
        ?.trim(),
    );
    for (const n of names)
      if (n === 'exec' || n === 'execSync') found.push(`imports ${n} from child_process`);
  }
  for (const m of text.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s*['"](?:node:)?child_process['"]/g)) {
    if (new RegExp(`\\b${m[1]}\\.exec(Sync)?\\(`).test(text)) found.push(`${m[1]}.exec(...)`);
  }
  if (/require\(\s*['"](?:node:)?child_process['"]\s*\)\s*\.exec(Sync)?\b/.test(text))
    found.push('require(child_process).exec');
  if (/\bshell\s*:\s*(true|['"`])/.test(text)) found.push('shell: true');
  if (/['"](?:\/bin\/|\/usr\/bin\/)?(?:ba|da|z)?sh['"]\s*,\s*\[?\s*['"]-c['"]/.test(text))
    found.push('sh -c');
  return found;
}

describe('no shell', () => {
  it('promise: no product source passes a command through a shell (exec/execSync, shell: true, sh -c)', () => {
    const files = productSources();
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith('apps/collector/src/exec.ts'))).toBe(true);
    const offenders = files.flatMap((f) =>
      shellUses(readFileSync(f, 'utf8')).map((u) => `${relative(ROOT, f)}: ${u}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the scanner itself catches each pattern', () => {
    expect(shellUses("import { exec } from 'node:child_process';")).toHaveLength(1);
    expect(shellUses("import { spawn, execSync as run } from 'child_process';")).toHaveLength(1);
    expect(shellUses("import * as cp from 'node:child_process'; cp.exec('ls')")).toHaveLength(1);
    expect(shellUses("spawn('ls', [], { shell: true })")).toHaveLength(1);
    expect(shellUses("spawn('sh', ['-c', cmd])")).toHaveLength(1);
    expect(shellUses("import { execFile, spawn } from 'node:child_process'; /x/.exec(s)")).toEqual([]);
  });

  const META = [
    ';',
    '|',
    '&',
    '$',
    '`',
    '<',
    '>',
    '(',
    ')',
    ' ',
    '\n',
    "'",
    '"',
    '\\',
    '*',
    '?',
    '/',
    '{',
    '}',
    '!',
    '#',
    '~',
  ];
  /** A plausible name with one shell metacharacter spliced into it. */
  const hostile = fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]{1,10}$/),
      fc.constantFrom(...META),
      fc.stringMatching(/^[a-z0-9]{1,10}$/),
    )
    .map(([a, m, b]) => `${a}${m}${b}`);
  const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
  const tryParse = (argv: string[]) =>
    parseConfig(['--once', ...argv], { defaultName: 'thishost', writeOut: () => {}, writeErr: () => {} });
  const parseError = (argv: string[]): ConfigError | null => {
    try {
      tryParse(argv);
      return null;
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
  };

  it('promise: namespace and host names with shell metacharacters are rejected (collector config and hub schema)', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        for (const flag of ['--netns', '--name']) {
          const err = parseError([flag, name]);
          expect(err, `${flag} ${JSON.stringify(name)}`).not.toBeNull();
          expect(err?.exitCode).toBe(2);
        }
        // A modified collector cannot smuggle the name into the hub either: the hello schema refuses it.
        const hello = {
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          host: name,
          collectorVersion: '0.1.0',
          kernel: 'k',
          backends: [],
          capabilities: [],
          streamId: 'stream-0001',
          lastSeq: 0,
        };
        expect(Value.Check(Hello, hello)).toBe(false);
      }),
      { numRuns: 300 },
    );
    // Whatever the input (any unicode), what the collector accepts as a name or namespace is safe.
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.constantFrom('--netns', '--name'),
        (text, flag) => {
          let config: ReturnType<typeof tryParse>;
          try {
            config = tryParse([flag, text]);
          } catch (err) {
            if (err instanceof ConfigError) return;
            throw err;
          }
          for (const h of config.hosts) {
            expect(h.name).toMatch(SAFE);
            if (h.netns !== null) expect(h.netns).toMatch(SAFE);
          }
        },
      ),
      { numRuns: 500 },
    );
    // Valid names still pass, and a namespace is one argv element for nsenter, never parsed by a shell.
    expect(parseError(['--netns', 'fs-lab1-ftp1', '--name', 'site1'])).toBeNull();
    expect(netnsArgv('fs-lab1-ftp1', 'conntrack', ['-L'])).toEqual([
      'nsenter',
      ['--net=/run/netns/fs-lab1-ftp1', '--', 'conntrack', '-L'],
    ]);
  });
});
