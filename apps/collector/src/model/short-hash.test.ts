import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shortHash } from './short-hash.ts';

describe('shortHash', () => {
  it('keeps the ids of earlier versions (sha256 over the NUL-joined parts), so a hub sees the same ids', () => {
    const parts = ['h1', '1175762455', 'ipv4|198.18.250.2|198.18.250.1|37014|21'];
    const old = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
    expect(shortHash('s', ...parts)).toBe(`s-${old}`);
    expect(shortHash('e', 'a', 1)).not.toBe(shortHash('e', 'a', 2));
  });
});
