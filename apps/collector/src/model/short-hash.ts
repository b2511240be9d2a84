import { hash } from 'node:crypto';

/**
 * A short, stable, URL-safe id: prefix + first 16 hex digits of sha256 over the parts. One-shot crypto.hash
 * straight to hex (a resync of 100k sessions hashes 100k ids: half the cost of createHash, and of a Buffer
 * made hex). Built with join, so the id is one flat string: the 16-digit slice alone would keep the 64-digit
 * digest alive, a template a concatenation tree, for as long as the id lives (100k sessions: ~10 MB).
 */
export function shortHash(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, hash('sha256', parts.join('\u0000'), 'hex').slice(0, 16)].join('-');
}
