import type { Verdict } from '@ftpscope/shared';
import { OBSERVE_FAMILY, OBSERVE_TABLE } from './observe-table.ts';
import { ParseAccumulator, type ParseResult } from './parse-result.ts';
import type { RuleRecord } from './rule-record.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** nft family name as reported in RuleDef.family (ip/ip6 become ipv4/ipv6, the same words iptables rules use). */
export function familyName(f: string): string {
  return f === 'ip' ? 'ipv4' : f === 'ip6' ? 'ipv6' : f;
}

function value(v: Json | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return /^[\w.:/-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `{ ${v.map(value).join(', ')} }`;
  if (isObj(v.prefix)) return `${value(v.prefix.addr)}/${value(v.prefix.len)}`;
  if (Array.isArray(v.set)) return `{ ${v.set.map(value).join(', ')} }`;
  if (Array.isArray(v.range)) return `${value(v.range[0])}-${value(v.range[1])}`;
  if (isObj(v.payload)) return `${value(v.payload.protocol)} ${value(v.payload.field)}`;
  if (isObj(v.meta)) return `meta ${value(v.meta.key)}`;
  if (isObj(v.ct)) return `ct ${value(v.ct.key)}`;
  return JSON.stringify(v);
}

/** Renders one nft JSON expression as nft-like text; counters are left out so the text is stable. */
function renderExpr(e: Obj): string | null {
  const [k, v] = Object.entries(e)[0] ?? ['', null];
  if (k === 'counter') return typeof v === 'string' ? `counter name ${value(v)}` : null;
  if (k === 'match' && isObj(v)) {
    const op = v.op === '==' || v.op === 'in' ? '' : `${value(v.op)} `;
    return `${value(v.left)} ${op}${value(v.right)}`;
  }
  if (k === 'accept' || k === 'drop' || k === 'return' || k === 'continue') return k;
  if (k === 'reject') return 'reject';
  if ((k === 'jump' || k === 'goto') && isObj(v)) return `${k} ${value(v.target)}`;
  if (k === 'log' && isObj(v)) {
    const parts = ['log'];
    if (v.prefix !== undefined) parts.push(`prefix ${JSON.stringify(v.prefix)}`);
    if (v.group !== undefined) parts.push(`group ${value(v.group)}`);
    return parts.join(' ');
  }
  if (k === 'ct helper') return `ct helper set ${JSON.stringify(v)}`;
  if (k === 'xt' && isObj(v)) return `xt ${value(v.type)} ${value(v.name)}`;
  return `${k} ${JSON.stringify(v)}`;
}

function verdictOf(exprs: Obj[]): Verdict {
  for (const e of exprs) {
    if ('accept' in e) return 'accept';
    if ('drop' in e) return 'drop';
    if ('reject' in e) return 'reject';
  }
  return 'other';
}

function dports(exprs: Obj[]): number[] {
  for (const e of exprs) {
    const m = e.match;
    if (!isObj(m) || !isObj(m.left) || !isObj(m.left.payload) || m.left.payload.field !== 'dport') continue;
    const r = m.right;
    if (typeof r === 'number') return [r];
    if (isObj(r) && Array.isArray(r.set)) return r.set.filter((x): x is number => typeof x === 'number');
  }
  return [];
}

/**
 * Parses `nft -j list ruleset` into rules of native nftables tables. Tables in `skip` ("ip:filter", ...)
 * and tables whose rules use xt expressions are iptables-nft's and read through iptables-save instead;
 * ftpscope's own observation table is not the host's firewall and is left out.
 * Base-chain policies become rules of their own; nftables keeps no counter for them (packets null).
 */
export function parseNftJson(text: string, skip: ReadonlySet<string> = new Set()): ParseResult<RuleRecord> {
  const acc = new ParseAccumulator<RuleRecord>();
  let items: Json[];
  try {
    const doc = JSON.parse(text) as Json;
    if (!isObj(doc) || !Array.isArray(doc.nftables)) {
      acc.reject(text);
      return acc.result();
    }
    items = doc.nftables;
  } catch {
    if (text.trim() !== '') acc.reject(text);
    return acc.result();
  }
  const objs = items.filter(isObj);
  const xtTables = new Set<string>();
  const helperTypes = new Map<string, string>();
  for (const o of objs) {
    const r = o.rule;
    if (isObj(r) && Array.isArray(r.expr) && r.expr.some((e) => isObj(e) && 'xt' in e)) {
      xtTables.add(`${r.family}:${r.table}`);
    }
    const h = o['ct helper'];
    if (isObj(h)) helperTypes.set(`${h.family}:${h.table}:${h.name}`, String(h.type));
  }
  const skipped = (family: Json | undefined, table: Json | undefined) =>
    skip.has(`${family}:${table}`) ||
    xtTables.has(`${family}:${table}`) ||
    (family === OBSERVE_FAMILY && table === OBSERVE_TABLE);
  const positions = new Map<string, number>();
  for (const o of objs) {
    const [kind, body] = Object.entries(o)[0] ?? ['', null];
    if (!isObj(body)) continue;
    if (skipped(body.family, body.table)) continue;
    const family = familyName(String(body.family));
    if (kind === 'chain' && typeof body.policy === 'string' && body.hook !== undefined) {
      acc.add({
        backend: 'nftables',
        family,
        table: String(body.table),
        chain: String(body.name),
        position: 0,
        text: `policy ${body.policy}`,
        verdict: body.policy === 'drop' ? 'drop' : body.policy === 'accept' ? 'accept' : 'other',
        isPolicy: true,
        comment: null,
        packets: null,
        bytes: null,
        nflogGroup: null,
        nflogPrefix: null,
        helper: null,
      });
    } else if (kind === 'rule') {
      if (!Array.isArray(body.expr)) {
        acc.reject(JSON.stringify(body));
        continue;
      }
      const exprs = body.expr.filter(isObj);
      const key = `${body.family}:${body.table}:${body.chain}`;
      const position = (positions.get(key) ?? 0) + 1;
      positions.set(key, position);
      const counter = exprs.map((e) => e.counter).find(isObj);
      const log = exprs.map((e) => e.log).find(isObj);
      const helperObj = exprs.map((e) => e['ct helper']).find((v) => typeof v === 'string');
      const helperType =
        typeof helperObj === 'string'
          ? (helperTypes.get(`${body.family}:${body.table}:${helperObj}`) ?? helperObj)
          : null;
      acc.add({
        backend: 'nftables',
        family,
        table: String(body.table),
        chain: String(body.chain),
        position,
        text: exprs
          .map(renderExpr)
          .filter((t): t is string => t !== null)
          .join(' '),
        verdict: verdictOf(exprs),
        isPolicy: false,
        comment: typeof body.comment === 'string' ? body.comment : null,
        packets: counter && typeof counter.packets === 'number' ? counter.packets : null,
        bytes: counter && typeof counter.bytes === 'number' ? counter.bytes : null,
        nflogGroup: log && typeof log.group === 'number' ? log.group : null,
        nflogPrefix: log && typeof log.prefix === 'string' ? log.prefix : null,
        helper: helperType === null ? null : { name: helperType, ports: dports(exprs) },
        ...(typeof body.handle === 'number' ? { handle: body.handle } : {}),
      });
    } else if (
      ![
        'metainfo',
        'table',
        'chain',
        'counter',
        'ct helper',
        'set',
        'map',
        'quota',
        'limit',
        'flowtable',
        'element',
        'ct timeout',
        'ct expectation',
        'secmark',
        'synproxy',
      ].includes(kind)
    ) {
      acc.reject(JSON.stringify(o).slice(0, 300));
    }
  }
  return acc.result();
}
