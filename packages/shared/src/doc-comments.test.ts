import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Exported values (schemas, constants, functions, classes) whose line before is not the end of a doc comment. */
function undocumented(file: string): string[] {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const missing: string[] = [];
  lines.forEach((line, i) => {
    const name = /^export (?:const|function|class) (\w+)/.exec(line)?.[1];
    if (name === undefined) return;
    const before = lines.slice(0, i).findLast((l) => l.trim() !== '') ?? '';
    if (!before.trimEnd().endsWith('*/')) missing.push(name);
  });
  return missing;
}

// The contract is read by the collector, the hub and the UI: every export says what it is for.
describe('the shared contract', () => {
  it.each([
    'api.ts',
    'domain.ts',
    'protocol.ts',
    'errors.ts',
    'collector-tokens.ts',
    'event-semantics.ts',
    'firewall.ts',
    'format.ts',
    'trace.ts',
    'dialogue.ts',
    'investigate.ts',
  ])('%s documents every export', (file) => {
    expect(undocumented(file)).toEqual([]);
  });
});
