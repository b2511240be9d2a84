/**
 * A diagnosis has a stable key (`<host>:<kind>[:<subject>]`) that names the problem, and each time
 * the problem opens it gets a new occurrence id `<key>@<firstSeen>`: the lifecycle and dedupe follow
 * the key, the store keeps one row per occurrence so past occurrences stay reviewable.
 */

/** Longest stable key, so that `<key>@<13-digit millis>` fits the Diagnosis id's 128 characters. */
export const MAX_KEY_LENGTH = 128 - 14;

/** The id of the occurrence of `key` that opened at `firstSeen`. */
export function occurrenceId(key: string, firstSeen: number): string {
  return `${key}@${firstSeen}`;
}

/** The stable key of an occurrence id (ids stored before occurrences existed are their own key). */
export function occurrenceKey(id: string): string {
  const at = id.lastIndexOf('@');
  return at > 0 && /^\d+$/.test(id.slice(at + 1)) ? id.slice(0, at) : id;
}
