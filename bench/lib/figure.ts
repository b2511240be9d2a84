import { ratio, type Summary, summarize } from './stats.ts';

/** One reported number: our median and range, the same-run baseline's, their ratio, and the target verdict. */
export interface Figure {
  bench: number;
  name: string;
  unit: string;
  value: Summary;
  baseline: (Summary & { name: string }) | null;
  ratio: number | null;
  target: string;
  /** null when the figure has no target of its own (context only). */
  pass: boolean | null;
  note?: string;
}

/** What a bench run gets: quick mode and a progress logger (stderr). */
export interface BenchContext {
  quick: boolean;
  log(msg: string): void;
  /** Unique short token for lab and namespace names of this run. */
  tag: string;
}

/** A benchmark: a number (issue 7's table), a title, and a run producing figures. */
export interface Bench {
  id: number;
  title: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

/** Builds a figure from raw samples; `check` decides the target from our summary and the ratio. */
export function figure(opts: {
  bench: number;
  name: string;
  unit: string;
  samples: number[];
  baseline?: { name: string; samples: number[] };
  target: string;
  check?: (value: Summary, ratio: number | null) => boolean;
  note?: string;
}): Figure {
  const value = summarize(opts.samples);
  const baseline = opts.baseline ? { name: opts.baseline.name, ...summarize(opts.baseline.samples) } : null;
  const r = baseline ? ratio(value, baseline) : null;
  return {
    bench: opts.bench,
    name: opts.name,
    unit: opts.unit,
    value,
    baseline,
    ratio: r,
    target: opts.target,
    pass: opts.check ? opts.check(value, r) : null,
    ...(opts.note !== undefined && { note: opts.note }),
  };
}
