import { describe, expect, it } from 'vitest';
import { hashToken } from '../config.ts';
import { allows, bearerToken, CollectorAuth, parseTokensFile } from './collector-auth.ts';

describe('collector tokens', () => {
  const file = `# ops tokens\n${hashToken('tok-a-123456')} alpha beta\n\n${hashToken('tok-any-1234')} *  # fleet\n`;

  it('maps token hashes to the hosts they may report', () => {
    const auth = new CollectorAuth(parseTokensFile(file));
    const a = auth.check('tok-a-123456');
    expect(a && allows(a, 'alpha')).toBe(true);
    expect(a && allows(a, 'gamma')).toBe(false);
    const any = auth.check('tok-any-1234');
    expect(any && allows(any, 'gamma')).toBe(true);
    expect(auth.check('tok-a-12345')).toBeNull();
    expect(auth.check(undefined)).toBeNull();
    expect(auth.check('')).toBeNull();
  });

  it('names the line of a malformed tokens file', () => {
    expect(() => parseTokensFile('not-a-hash alpha\n', 'tokens.txt')).toThrow(
      /tokens.txt:1: expected a SHA-256/,
    );
    expect(() => parseTokensFile(`\n${hashToken('x')}\n`, 'tokens.txt')).toThrow(
      /tokens.txt:2: list the host names/,
    );
    expect(() => parseTokensFile('# nothing\n', 'tokens.txt')).toThrow(/no tokens/);
  });

  it('a single token allows any host', () => {
    const g = CollectorAuth.single('shared-token-1');
    expect(g.check('shared-token-1')?.hosts).toBe('*');
    expect(g.check('shared-token-2')).toBeNull();
  });

  it('reads Bearer tokens only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
