import { hash } from 'node:crypto';

/**
 * A short, stable, URL-safe id: prefix + first 16 hex digits of sha256 over the parts. One-shot
 * crypto.hash (same digest as createHash, half the cost: a resync of 10k sessions hashes 10k ids).
 */
export function shortHash(prefix: string, ...parts: (string | number)[]): string {
  return `${prefix}-${hash('sha256', parts.join('\u0000'), 'hex').slice(0, 16)}`;
}
