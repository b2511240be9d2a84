import { release } from 'node:os';
import type {
  Backend,
  CollectorEvent,
  FtpServerSettings,
  NetfilterHealth,
  RuleCounter,
  RuleDef,
} from '@ftpscope/shared';
import { CAP_NET_ADMIN, hasEffectiveCap } from './capabilities.ts';
import { realSpawnLines, spawnWithNetns, withNetns } from './exec.ts';
import { FirewallWatch } from './firewall-watch.ts';
import { FtpServerSource } from './ftp-servers/server-source.ts';
import type { HostInfo, HostMonitor, HostMonitorOptions } from './host-monitor.types.ts';
import type { CounterDrop } from './model/channel-outcome.ts';
import { DataChannelTracker } from './model/data-channels.ts';
import { DeltaTracker } from './model/deltas.ts';
import { LogAttacher } from './model/log-attach.ts';
import { ownCpuMs, PollBudget } from './model/poll-budget.ts';
import { type IdentifiedRule, identifyRules } from './model/rule-ids.ts';
import { changeStamp, diffRulesets, rulesetChanged, rulesetChangeIdFor } from './model/ruleset-diff.ts';
import { SessionModel } from './model/sessions.ts';
import { parseConntrack } from './sources/conntrack-parse.ts';
import { type ConntrackReader, createConntrackReader } from './sources/conntrack-reader.ts';
import { type CtReaderChoice, locateCtReader } from './sources/ctreader-locate.ts';
import { readHealth } from './sources/health.ts';
import { NflogSource } from './sources/nflog.ts';
import { NftMonitor } from './sources/nft-monitor.ts';
import { MAX_EXAMPLES } from './sources/parse-result.ts';
import { type RulesPoll, RulesSource } from './sources/rules.ts';

/** Health is read on its own clock every HEALTH_EVERY_MS (and emitted at least every HEALTH_MAX_MS even if unchanged). */
const HEALTH_EVERY_MS = 5000;
const HEALTH_MAX_MS = 60_000;
/** How long start() waits for tcpdump to attach to the NFLOG groups before reporting what works. */
const NFLOG_ATTACH_MS = 5000;
/** Finished data connections whose bytes are read per rule poll (one `conntrack -G` each), when accounting is on. */
const BYTES_PER_POLL = 16;

type Stats = { unknown: number; examples: string[] };

/** Creates the monitor of one host (namespace); see HostMonitor for the events it emits. */
export function createHostMonitor(opts: HostMonitorOptions): HostMonitor {
  const exec = withNetns(opts.exec, opts.netns);
  const spawn = spawnWithNetns(opts.spawn ?? realSpawnLines, opts.netns);
  const log = opts.log ?? (() => {});
  let emit: (e: CollectorEvent, urgent?: boolean) => void = () => {};
  const problems: string[] = [];
  const problem = (msg: string) => {
    if (problems.includes(msg)) return;
    problems.push(msg);
    log('warn', `${opts.name}: ${msg}`);
  };
  const stats: Record<string, Stats> = {};
  const countUnknown = (source: string, unknown: number, examples: string[]) => {
    if (unknown === 0) return;
    const s = stats[source] ?? { unknown: 0, examples: [] };
    stats[source] = s;
    if (s.unknown === 0)
      log('warn', `${opts.name}: ${source}: unrecognised output, e.g. ${JSON.stringify(examples[0] ?? '')}`);
    s.unknown += unknown;
    for (const e of examples) if (s.examples.length < MAX_EXAMPLES) s.examples.push(e);
  };

  let settings: FtpServerSettings | null = null;
  const passiveRange = (): [number, number] | null =>
    settings?.pasvMinPort != null && settings.pasvMaxPort != null
      ? [settings.pasvMinPort, settings.pasvMaxPort]
      : null;
  const model = new SessionModel({
    host: opts.name,
    ftpPorts: opts.ftpPorts,
    passiveRange,
    // The tracker sees every change first, so a data connection settles its attempt in the same batch. Only a
    // session's first event is urgent: the rest of the model's stream (most events under FTP load) can ride the
    // next batch.
    emit: (e, st, first) => {
      tracker.observe(e, st);
      emit(e, first === true);
    },
    portOwner: (family, src, dst, dport) => tracker.portOwner(family, src, dst, dport),
  });
  // Deferred: a read of the reader or the log re-emits each session it touched once (see the constructor).
  const tracker: DataChannelTracker = new DataChannelTracker(model, passiveRange, true);
  const attacher = new LogAttacher(model, tracker);

  let rules: IdentifiedRule[] = [];
  let ruleDefs: RuleDef[] = [];
  let rulesAt = 0;
  /** Ruleset changes read so far, and as of the last counter poll. */
  let rulesVersion = 0;
  let polledVersion = 0;
  let counters: RuleCounter[] = [];
  let countersAt = 0;
  /** Conntrack and expectation events since the last poll. */
  let activity = 0;
  let health: NetfilterHealth | null = null;
  let healthSent = '';
  let healthSentAt = 0;
  let backends: Backend[] = [];
  let lastSync: CollectorEvent | null = null;
  const deltas = new DeltaTracker();
  // The namespace's /proc/net: ours, or that of a tool running inside it (nft monitor), for legacy table lookups.
  const procNet = () => {
    if (opts.netns === null) return '/proc/self/net';
    const pid = nftMonitor.pid();
    return pid === null ? null : `/proc/${pid}/net`;
  };
  const rulesSource = new RulesSource(exec, opts.netns, opts.now, procNet);
  const budget = new PollBudget(opts.intervalMs);
  /** Start of the last completed rules read; the earliest change notification no read has covered yet. */
  let lastReadAt = 0;
  let notifiedAt: number | null = null;
  let reading: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let healthTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  let resyncing: Promise<void> | null = null;
  let resyncAgain = false;

  /** Created in start(), once the FTP server's passive range is known (the native reader filters on it). */
  let events: ConntrackReader | null = null;
  const createReader = (choice: CtReaderChoice) =>
    createConntrackReader({
      choice,
      spawn,
      exec,
      netns: opts.netns,
      ftpPorts: opts.ftpPorts,
      passiveRange,
      bufferBytes: opts.eventBufferBytes,
      now: opts.now,
      onConntrack: (rec) => {
        activity++;
        const added = model.sessionsAdded;
        model.applyConntrack(rec, rec.at ?? opts.now());
        // Log lines waiting for their session can only bind once a new session appears.
        if (model.sessionsAdded !== added) attacher.rebind();
      },
      onExpect: (rec) => {
        activity++;
        model.applyExpect(rec, rec.at ?? opts.now());
      },
      onLoss: (gap) => {
        tracker.gap(gap.at);
        emit({ kind: 'gap', gap });
        log('warn', `${opts.name}: ${gap.reason}`);
        void resync();
      },
      onProblem: problem,
    });

  const nflog = new NflogSource({
    spawn,
    groups: opts.nflogGroups,
    ruleFor: (group) => {
      const r = rules.find((x) => x.record.nflogGroup === group);
      return r ? { ruleId: r.def.id, prefix: r.record.nflogPrefix } : null;
    },
    onDrop: (drop) => {
      emit({ kind: 'drop', drop });
      tracker.drop(drop);
    },
    onProblem: problem,
  });

  const nftMonitor = new NftMonitor({
    spawn,
    now: opts.now,
    onProblem: problem,
    onChange: (at) => {
      notifiedAt = notifiedAt === null ? at : Math.min(notifiedAt, at);
      // The change may have created the first table of another nf_tables tool (ip6tables, native nft).
      rulesSource.recheckSoon('nf_tables');
      readRules().catch((e) => log('error', `${opts.name}: ruleset read failed: ${(e as Error).message}`));
    },
  });

  const server = new FtpServerSource({
    exec,
    ports: opts.ftpPorts,
    server: opts.ftpServer ?? (opts.vsftpdConf ? 'vsftpd' : 'auto'),
    conf: opts.ftpConf ?? opts.vsftpdConf,
    log: opts.ftpLog,
    onSettings: (s) => {
      settings = s;
      emit({ kind: 'settings', settings: s });
      void firewall.settingsChanged();
    },
    onRecords: (recs, start) => {
      attacher.apply(recs, start);
    },
    countUnknown,
    problem,
    now: opts.now,
  });
  const firewall = new FirewallWatch({
    name: opts.name,
    netns: opts.netns,
    managerPid: opts.managerPid ?? null,
    observe: opts.observe ?? true,
    ftpPorts: opts.ftpPorts,
    passiveRange,
    exec: opts.exec,
    netExec: exec,
    spawn,
    rules: () => rules,
    // Observed drops settle data-channel attempts like NFLOG's do.
    emit: (e) => {
      emit(e);
      if (e.kind === 'drop') tracker.drop(e.drop);
    },
    problem,
    now: opts.now,
  });

  /** Takes filtered listings once the event reader is subscribed and merges them; emits sync. */
  async function resync(): Promise<void> {
    if (resyncing) {
      resyncAgain = true;
      return resyncing;
    }
    resyncing = (async () => {
      do {
        resyncAgain = false;
        model.beginResync(opts.now());
        if (events && !(await events.subscribed()))
          log('warn', `${opts.name}: the conntrack event reader did not subscribe in time; listing anyway`);
        const now = opts.now();
        const listing = events
          ? await events.list(
              (r) => model.resyncConntrack(r, now),
              (r) => model.resyncExpect(r, now),
            )
          : null;
        for (const p of listing?.problems ?? []) problem(p);
        countUnknown('conntrack-listing', listing?.unknown ?? 0, listing?.examples ?? []);
        const active = model.endResync(opts.now(), listing?.dataListed ?? false);
        attacher.rebind();
        lastSync = { kind: 'sync', at: opts.now(), activeSessionIds: active };
        if (!stopped) emit(lastSync);
      } while (resyncAgain && !stopped);
    })().finally(() => {
      resyncing = null;
    });
    return resyncing;
  }

  /**
   * Reads the rules (and their counters) once; reads never overlap. Emits `ruleset` when the rules changed:
   * stamped with the nf_tables notification that announced it, or, found by a poll alone (iptables-legacy, no
   * notifications), as having happened between the previous read and this one (`notBefore`).
   */
  async function readRules(): Promise<{ poll: RulesPoll; identified: IdentifiedRule[] }> {
    const previous = reading;
    let done = () => {};
    reading = new Promise<void>((r) => {
      done = r;
    });
    await previous;
    try {
      const startedAt = opts.now();
      const poll = await rulesSource.poll();
      const cpuStart = ownCpuMs();
      for (const p of poll.problems) problem(p);
      countUnknown('rules', poll.unknown, poll.examples);
      backends = poll.backends;
      const identified = identifyRules(poll.rules);
      const defs = identified.map((r) => r.def);
      // A burst still being debounced announced what this read may find (a poll can land inside one).
      const notified = notifiedAt ?? nftMonitor.pendingSince();
      // A notification that came before this read began is covered by it; a later one gets its own read.
      if (notifiedAt !== null && notifiedAt <= startedAt) notifiedAt = null;
      if (rulesAt === 0 || rulesetChanged(ruleDefs, defs)) {
        const first = rulesAt === 0;
        // A change found by a poll may also have moved rules to another backend: ask every tool next time.
        if (!first && notified === null) rulesSource.recheckSoon();
        // A manager may have been started, reloaded or flushed the observation table away.
        if (!first) firewall.rulesChanged();
        const at = first ? startedAt : changeStamp(notified, opts.now(), rulesAt);
        const diff = first ? null : diffRulesets(ruleDefs, defs);
        const event: CollectorEvent = {
          kind: 'ruleset',
          at,
          rules: defs,
          diff,
          ...(!first && notified === null && { notBefore: lastReadAt }),
          ...(diff && { changeId: rulesetChangeIdFor(opts.name, at, diff) }),
        };
        ruleDefs = defs;
        rulesAt = at;
        rulesVersion += 1;
        emit(event);
      }
      rules = identified;
      lastReadAt = startedAt;
      poll.costMs += ownCpuMs() - cpuStart;
      return { poll, identified };
    } finally {
      done();
    }
  }

  /**
   * One counter poll: reads the rules, emits the counters that moved (and the policies'); returns its CPU cost
   * (ms) and whether anything changed (a counter moved, the ruleset changed).
   */
  async function pollCounters(): Promise<{ costMs: number; changed: boolean }> {
    const { poll, identified } = await readRules();
    const cpuStart = ownCpuMs();
    const now = opts.now();
    deltas.retain(new Set(identified.map((r) => r.def.id)));
    const all: RuleCounter[] = [];
    const moved: RuleCounter[] = [];
    const drops: CounterDrop[] = [];
    let changed = false;
    for (const r of identified) {
      if (r.record.packets === null || r.record.bytes === null) continue;
      const d = deltas.update(r.def.id, r.record.packets, r.record.bytes);
      const c: RuleCounter = { ruleId: r.def.id, packets: r.record.packets, bytes: r.record.bytes, ...d };
      all.push(c);
      if (d.dPackets > 0 || d.dBytes > 0) changed = true;
      if (d.dPackets > 0 || d.dBytes > 0 || r.def.isPolicy) moved.push(c);
      if (d.dPackets > 0 && (r.def.verdict === 'drop' || r.def.verdict === 'reject'))
        drops.push(counterDrop(r, d.dPackets, now, countersAt || now - budget.intervalMs));
    }
    tracker.counters(now, drops);
    counters = all;
    countersAt = now;
    firewall.flushDrops();
    emit({ kind: 'counters', at: now, intervalMs: budget.intervalMs, counters: moved });
    // A change read since the last poll (by it, or on a notification in between) is activity: no quiet backoff.
    const rulesChanged = rulesVersion !== polledVersion;
    polledVersion = rulesVersion;
    return { costMs: poll.costMs + ownCpuMs() - cpuStart, changed: changed || rulesChanged };
  }

  /** With accounting on, asks the kernel for the byte counts of finished data connections (a few per poll). */
  async function readBytes(): Promise<void> {
    for (const q of tracker.bytesWanted(BYTES_PER_POLL)) {
      // conntrack -G takes no --family: the addresses say which.
      const args = ['-G', '-p', 'tcp', '-s', q.src, '-d', q.dst, '--sport', String(q.sport)];
      const res = await exec('conntrack', [...args, '--dport', String(q.dport), '-o', 'id'], {
        timeoutMs: 2000,
      });
      const rec = res.code === 0 ? parseConntrack(res.stdout).records[0] : undefined;
      if (rec?.bytes != null) tracker.setBytes(q.dataConnectionId, rec.bytes);
    }
  }

  async function pollHealth(): Promise<void> {
    const now = opts.now();
    const h = await readHealth(exec, opts.netns, now);
    for (const p of h.problems) problem(p);
    const { problems: _, ...reading } = h;
    const expectCount = model.openExpectations();
    health = {
      ...reading,
      expectCount,
      helperRules: rules
        .filter((r) => r.record.helper?.name === 'ftp')
        .map((r) => ({ ruleId: r.def.id, family: r.def.family, ports: r.record.helper?.ports ?? [] })),
    };
    const sig = JSON.stringify({ ...health, at: 0 });
    if (sig !== healthSent || now - healthSentAt >= HEALTH_MAX_MS) {
      healthSent = sig;
      healthSentAt = now;
      emit({ kind: 'health', health });
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      const poll = await pollCounters();
      // Quiet = nothing changed and no FTP event since the last poll (expiry in model.tick stays timely).
      budget.record(poll.costMs, poll.changed || activity > 0);
      activity = 0;
      model.tick(opts.now());
      tracker.tick(opts.now());
      if (health?.acct) await readBytes();
    } catch (e) {
      log('error', `${opts.name}: poll failed: ${(e as Error).message}`);
    }
    if (!stopped) timer = setTimeout(() => void tick(), budget.intervalMs);
  }

  /**
   * Health runs on its own clock, not in the rule poll: the poll backs off when it looks expensive (huge
   * rulesets, or an event storm billed to it), and a full conntrack table is exactly when health must not wait.
   */
  async function healthLoop(): Promise<void> {
    if (stopped) return;
    try {
      await pollHealth();
    } catch (e) {
      log('error', `${opts.name}: health poll failed: ${(e as Error).message}`);
    }
    if (!stopped) healthTimer = setTimeout(() => void healthLoop(), HEALTH_EVERY_MS);
  }

  return {
    async start(e) {
      emit = e;
      stopped = false;
      if (typeof process.getuid === 'function' && process.getuid() !== 0 && !hasEffectiveCap(CAP_NET_ADMIN))
        problem(
          'not running as root: conntrack, iptables-save, nft and tcpdump need root or CAP_NET_ADMIN (CAP_NET_RAW for NFLOG)',
        );
      await server.start();
      nftMonitor.start();
      const choice = opts.ctreader ?? (await locateCtReader(null));
      if (choice.path === null)
        log('warn', `${opts.name}: reading conntrack with the conntrack tool: ${choice.reason}`);
      events = createReader(choice);
      events.start();
      await resync();
      await tick();
      await healthLoop();
      nflog.start();
      const nflogListening = opts.nflogGroups.length > 0 && (await nflog.whenListening(NFLOG_ATTACH_MS));
      await firewall.start();
      const caps: string[] = [];
      const failed = (word: string) => problems.some((p) => p.startsWith(word));
      if (!failed('conntrack')) caps.push('conntrack-events', 'expectations', 'health', events.capability);
      if (backends.length > 0 || !failed('iptables') || !failed('nft')) caps.push('rules');
      if (nftMonitor.running) caps.push('ruleset-notifications');
      if (nflogListening) caps.push('nflog');
      if (settings) caps.push('ftp-settings');
      if (server.following) caps.push('ftp-log');
      if (firewall.current()?.observe === 'on') caps.push('observe');
      return { kernel: release(), backends, capabilities: caps, problems: [...problems] } satisfies HostInfo;
    },

    snapshot() {
      const out: CollectorEvent[] = [];
      if (settings) out.push({ kind: 'settings', settings });
      const fw = firewall.current();
      if (fw) out.push({ kind: 'firewall', firewall: fw });
      if (rulesAt) out.push({ kind: 'ruleset', at: rulesAt, rules: ruleDefs, diff: null });
      // Totals only: the deltas went out once with their poll (the hub ignores a sample time it has).
      const totals = counters.map((c) => ({ ...c, dPackets: 0, dBytes: 0 }));
      if (countersAt)
        out.push({ kind: 'counters', at: countersAt, intervalMs: budget.intervalMs, counters: totals });
      if (health) out.push({ kind: 'health', health });
      out.push(...model.snapshot());
      out.push({ kind: 'sync', at: opts.now(), activeSessionIds: model.activeSessionIds() });
      return out;
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (healthTimer) clearTimeout(healthTimer);
      events?.stop();
      nflog.stop();
      nftMonitor.stop();
      await server.stop();
      await firewall.stop();
      await resyncing;
    },

    parserStats() {
      const out: Record<string, Stats> = { ...stats };
      if (events?.stats.unknown) out['conntrack-events'] = events.stats;
      if (nflog.stats.unknown) out.nflog = nflog.stats;
      if (firewall.stats.unknown) out['nft-trace'] = firewall.stats;
      return out;
    },
  };
}

/** A drop/reject rule's packets of one poll, with the direction and family of its chain. */
function counterDrop(r: IdentifiedRule, packets: number, at: number, from: number): CounterDrop {
  const chain = r.def.chain.toLowerCase();
  const filter = r.def.backend === 'nftables' || r.def.table === 'filter';
  const direction = !filter
    ? 'other'
    : chain.includes('output') || chain.includes('postrouting')
      ? 'out'
      : chain.includes('forward')
        ? 'other'
        : 'in';
  const fam = r.def.family;
  const family = fam === 'ipv4' || fam === 'ip' ? 'ipv4' : fam === 'ipv6' || fam === 'ip6' ? 'ipv6' : null;
  return {
    at,
    from,
    ruleId: r.def.id,
    packets,
    direction,
    family,
    verdict: r.def.verdict === 'reject' ? 'reject' : 'drop',
  };
}
