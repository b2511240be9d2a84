/** What a parser returns: the records it understood, plus a count and first examples of what it did not. */
export interface ParseResult<T> {
  records: T[];
  unknown: number;
  examples: string[];
}

/** How many unknown lines a parser keeps as examples (enough to diagnose, bounded for memory). */
export const MAX_EXAMPLES = 5;

/** Collects records and unknown lines; parsers use it so they never throw on odd input. */
export class ParseAccumulator<T> {
  readonly records: T[] = [];
  unknown = 0;
  readonly examples: string[] = [];

  add(record: T): void {
    this.records.push(record);
  }

  reject(line: string): void {
    this.unknown++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(line.slice(0, 300));
  }

  result(): ParseResult<T> {
    return { records: this.records, unknown: this.unknown, examples: this.examples };
  }
}

/** Splits tool output into non-empty lines (tools end with a newline; Windows line ends are tolerated). */
export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

/** Parses a decimal integer field; NaN-safe (returns null when the text is not a plain non-negative integer). */
export function int(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
