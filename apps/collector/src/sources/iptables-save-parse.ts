import type { Backend, Verdict } from '@ftpscope/shared';
import { memoize } from '../model/memoize.ts';
import { int, lines, ParseAccumulator, type ParseResult } from './parse-result.ts';
import type { RuleRecord } from './rule-record.ts';

/** Splits an iptables-save rule into words, honouring "double quotes" with \" and \\ escapes as iptables-save writes them. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '\\' && i + 1 < text.length) cur += text[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Maps an iptables target to a verdict. */
export function verdictOf(target: string | null): Verdict {
  if (target === 'ACCEPT') return 'accept';
  if (target === 'DROP') return 'drop';
  if (target === 'REJECT') return 'reject';
  return 'other';
}

function option(words: string[], name: string): string | null {
  const i = words.indexOf(name);
  return i >= 0 && i + 1 < words.length ? (words[i + 1] as string) : null;
}

function ports(words: string[]): number[] {
  const spec = option(words, '--dport') ?? option(words, '--dports') ?? option(words, '--destination-port');
  if (spec === null) return [];
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const [a, b] = part.split(':');
    const lo = int(a);
    const hi = b === undefined ? lo : int(b);
    if (lo === null || hi === null) continue;
    for (let p = lo; p <= hi && out.length < 64; p++) out.push(p);
  }
  return out;
}

/** What a rule's text says (everything of a RuleRecord but its place and counters). */
export type RuleMeaning = Pick<RuleRecord, 'verdict' | 'comment' | 'nflogGroup' | 'nflogPrefix' | 'helper'>;

/** Reads the target, comment, NFLOG group/prefix and helper of one rule (`-A CHAIN ...`). */
export function ruleMeaning(ruleText: string): RuleMeaning {
  const words = tokenize(ruleText);
  const target = option(words, '-j') ?? option(words, '-g');
  const helperName = target === 'CT' ? option(words, '--helper') : null;
  return {
    verdict: verdictOf(target),
    comment: option(words, '--comment'),
    nflogGroup: target === 'NFLOG' ? int(option(words, '--nflog-group') ?? '0') : null,
    nflogPrefix: target === 'NFLOG' ? option(words, '--nflog-prefix') : null,
    helper: helperName === null ? null : { name: helperName, ports: ports(words) },
  };
}

/** ruleMeaning of rule texts seen before (a steady poll tokenises nothing). */
const cachedMeaning = memoize(ruleMeaning, 50_000);

/**
 * Parses `iptables-save -c` / `ip6tables-save -c` output (either backend) into rules and chain policies.
 * Counters of a chain policy are its packets/bytes; user chains ("-" policy) get no policy rule.
 */
export function parseIptablesSave(
  text: string,
  backend: Backend,
  family: 'ipv4' | 'ipv6',
): ParseResult<RuleRecord> {
  const acc = new ParseAccumulator<RuleRecord>();
  let table: string | null = null;
  const positions = new Map<string, number>();
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (line === 'COMMIT') {
      table = null;
      continue;
    }
    if (table === null) {
      acc.reject(raw);
      continue;
    }
    const chainDecl = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/.exec(line);
    if (chainDecl) {
      const [, chain, policy, p, b] = chainDecl as unknown as [string, string, string, string, string];
      if (policy !== '-') {
        acc.add({
          backend,
          family,
          table,
          chain,
          position: 0,
          text: `:${chain} ${policy}`,
          verdict: verdictOf(policy),
          isPolicy: true,
          comment: null,
          packets: Number(p),
          bytes: Number(b),
          nflogGroup: null,
          nflogPrefix: null,
          helper: null,
        });
      }
      continue;
    }
    const rule = /^(?:\[(\d+):(\d+)\] )?(-A (\S+)(?: .*)?)$/.exec(line);
    if (!rule) {
      acc.reject(raw);
      continue;
    }
    const [, p, b, ruleText, chain] = rule as unknown as [
      string,
      string | undefined,
      string | undefined,
      string,
      string,
    ];
    const meaning = cachedMeaning(ruleText);
    const key = `${table}\u0000${chain}`;
    const position = (positions.get(key) ?? 0) + 1;
    positions.set(key, position);
    acc.add({
      backend,
      family,
      table,
      chain,
      position,
      text: ruleText,
      verdict: meaning.verdict,
      isPolicy: false,
      comment: meaning.comment,
      packets: p === undefined ? null : Number(p),
      bytes: b === undefined ? null : Number(b),
      nflogGroup: meaning.nflogGroup,
      nflogPrefix: meaning.nflogPrefix,
      helper: meaning.helper,
    });
  }
  return acc.result();
}

/** Table names present in an iptables-save output (used to tell iptables-nft's tables apart in `nft -j`). */
export function tablesIn(text: string): string[] {
  return lines(text)
    .filter((l) => l.startsWith('*'))
    .map((l) => l.slice(1).trim());
}
