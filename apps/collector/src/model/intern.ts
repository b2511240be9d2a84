/** Distinct strings kept; past this the table starts over (a host has far fewer addresses and states). */
const MAX = 8192;
let table = new Map<string, string>();

/**
 * One shared copy of a string that repeats across entries (addresses, TCP states, helper names): each
 * parsed line brings its own copy, and 100k sessions of a few clients would keep 300k of them.
 */
export function intern(s: string): string {
  const known = table.get(s);
  if (known !== undefined) return known;
  if (table.size >= MAX) table = new Map();
  table.set(s, s);
  return s;
}
