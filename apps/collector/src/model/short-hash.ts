import { createHash } from 'node:crypto';

/** A short, stable, URL-safe id: prefix + first 16 hex digits of sha256 over the parts. */
export function shortHash(prefix: string, ...parts: (string | number)[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)}`;
}
