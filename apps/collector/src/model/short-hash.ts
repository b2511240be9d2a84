import { hash } from 'node:crypto';

/**
 * A short, stable, URL-safe id: prefix + first 16 hex digits of sha256 over the parts. One-shot
 * crypto.hash (same digest as createHash, half the cost: a resync of 10k sessions hashes 10k ids). Built with
 * join, so the id is one flat string: a template or a slice of the full digest would keep a concatenation
 * tree or the 64-digit digest alive for as long as the id lives (100k sessions: ~10 MB).
 */
export function shortHash(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, hash('sha256', parts.join('\u0000'), 'buffer').toString('hex', 0, 8)].join('-');
}
