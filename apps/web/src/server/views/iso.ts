/** Epoch milliseconds to the ISO-8601 UTC string the REST API uses. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Same as iso() but keeps null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
