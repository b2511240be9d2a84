import { mgmtLinkName, netnsPrefix } from './addressing.ts';
import { run, runOk } from './exec.ts';
import type { LabState } from './state.ts';

/**
 * The lab network: a bridge `br0` in its own namespace (so the root namespace's bridge and firewall
 * config are never touched), one veth per endpoint into it (`eth0` inside, `p-<who>` on the bridge),
 * and per server a management veth to the root namespace (`mgmt0` inside, `fs-<lab>-m<i>` outside).
 */

const ipBatch = (lines: string[], netns?: string) =>
  runOk(netns ? ['ip', '-n', netns, '-batch', '-'] : ['ip', '-batch', '-'], {
    input: `${lines.join('\n')}\n`,
  });

/** Namespace that needs no duplicate address detection, so IPv6 addresses work at once. */
async function prepareNamespace(netns: string, ipv6: boolean): Promise<void> {
  await runOk(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
  if (ipv6) {
    await runOk(
      ['sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'],
      {
        netns,
      },
    );
  }
}

/** Creates namespaces, bridge, veths and addresses for the lab described by state. */
export async function createTopology(state: LabState): Promise<void> {
  const net = state.bridgeNetns;
  const router = state.router ?? null;
  // Behind NAT the router sits on the bridge with every host's public address; the hosts hang off the router.
  const onBridge = router
    ? [{ who: 'router', netns: router.netns, ip: null, ip6: null }]
    : state.hosts.map((h) => ({ who: h.name, netns: h.netns, ip: h.ip as string | null, ip6: h.ip6 }));
  const endpoints = [
    { who: 'client', netns: state.client.netns, ip: state.client.ip as string | null, ip6: state.client.ip6 },
    ...onBridge,
  ];
  const extra = router ? state.hosts.map((h) => h.netns) : [];
  await ipBatch([
    `netns add ${net}`,
    ...[...endpoints.map((e) => e.netns), ...extra].map((ns) => `netns add ${ns}`),
  ]);
  await Promise.all(
    [net, ...endpoints.map((e) => e.netns), ...extra].map((ns) => prepareNamespace(ns, state.ipv6)),
  );
  await ipBatch(['link add br0 type bridge', 'link set br0 up'], net);
  for (const e of endpoints) {
    await runOk([
      'ip',
      '-n',
      e.netns,
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      `p-${e.who}`,
      'netns',
      net,
    ]);
  }
  await ipBatch(
    endpoints.flatMap((e) => [`link set p-${e.who} master br0`, `link set p-${e.who} up`]),
    net,
  );
  await Promise.all(
    endpoints.map((e) =>
      ipBatch(
        [
          ...(e.ip ? [`addr add ${e.ip}/24 dev eth0`] : []),
          ...(e.ip6 ? [`addr add ${e.ip6}/64 dev eth0 nodad`] : []),
          'link set eth0 up',
        ],
        e.netns,
      ),
    ),
  );
  if (router) await createNatLinks(state, router.netns);
  const rootLines: string[] = [];
  state.hosts.forEach((h, idx) => {
    const link = mgmtLinkName(state.name, idx + 1);
    rootLines.push(
      `link add ${link} type veth peer name mgmt0 netns ${h.netns}`,
      `addr add ${h.mgmtGatewayIp}/30 dev ${link}`,
      `link set ${link} up`,
    );
  });
  if (rootLines.length > 0) await ipBatch(rootLines);
  await Promise.all(
    state.hosts.map((h) => ipBatch([`addr add ${h.mgmtIp}/30 dev mgmt0`, 'link set mgmt0 up'], h.netns)),
  );
}

/**
 * Behind NAT: the router gets every host's public address on the bridge and one /30 link per host
 * (`h<i>` on the router, `eth0` in the host, the host's default route through it), forwards, and maps each
 * public address 1:1 to its host's inside address (DNAT in, SNAT out). With `helper` it also assigns the
 * FTP helper to port 21, so nf_nat_ftp rewrites the PASV replies; without, like a cloud NAT gateway, it does not.
 */
async function createNatLinks(state: LabState, router: string): Promise<void> {
  const rules = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
  ];
  const routerLines: string[] = [];
  for (const [k, h] of state.hosts.entries()) {
    const inside = h.insideIp as string;
    const gateway = `${inside.split('.').slice(0, 3).join('.')}.${Number(inside.split('.')[3]) - 1}`;
    await runOk([
      'ip',
      '-n',
      h.netns,
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      `h${k + 1}`,
      'netns',
      router,
    ]);
    await ipBatch(
      [`addr add ${inside}/30 dev eth0`, 'link set eth0 up', `route add default via ${gateway}`],
      h.netns,
    );
    routerLines.push(
      `addr add ${h.ip}/24 dev eth0`,
      `addr add ${gateway}/30 dev h${k + 1}`,
      `link set h${k + 1} up`,
    );
    rules.push(`-A PREROUTING -d ${h.ip}/32 -j DNAT --to-destination ${inside}`);
    rules.push(`-A POSTROUTING -s ${inside}/32 -j SNAT --to-source ${h.ip}`);
  }
  rules.push('COMMIT');
  if (state.router?.helper)
    rules.push(
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
      'COMMIT',
    );
  await ipBatch(routerLines, router);
  await runOk(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { netns: router });
  await runOk(['iptables-restore'], { netns: router, input: `${rules.join('\n')}\n` });
}

/** Namespaces on the machine that belong to a lab (by name prefix). */
export async function labNamespaces(lab: string): Promise<string[]> {
  const res = await runOk(['ip', 'netns', 'list']);
  return res.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((ns) => ns.startsWith(netnsPrefix(lab)));
}

/** Names of labs that still have namespaces on the machine, registered or not (e.g. after a crash). */
export async function labsWithNamespaces(): Promise<string[]> {
  const res = await runOk(['ip', 'netns', 'list']);
  const names = res.stdout.split('\n').map((l) => /^fs-([a-z0-9]{1,8})-/.exec(l)?.[1]);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/** Root-namespace links that belong to a lab (its management veths). */
export async function labRootLinks(lab: string): Promise<string[]> {
  const res = await runOk(['ip', '-o', 'link', 'show']);
  const prefix = mgmtLinkName(lab, 0).slice(0, -1);
  return res.stdout
    .split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
}

/** Pids of every process running in a namespace. */
export async function namespacePids(netns: string): Promise<number[]> {
  const res = await run(['ip', 'netns', 'pids', netns]);
  return res.stdout
    .split('\n')
    .map(Number)
    .filter((p) => p > 0);
}

const killAll = (pids: number[], signal: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
};

/** Kills every process in the lab's namespaces, then removes links and namespaces; works on a half-built lab. */
export async function destroyTopology(lab: string): Promise<void> {
  const namespaces = await labNamespaces(lab);
  const pidsOf = async () => (await Promise.all(namespaces.map(namespacePids))).flat();
  let pids = await pidsOf();
  killAll(pids, 'SIGTERM');
  for (let i = 0; i < 20 && pids.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    pids = await pidsOf();
  }
  killAll(pids, 'SIGKILL');
  const links = await labRootLinks(lab);
  for (const link of links) await run(['ip', 'link', 'del', link]);
  for (const ns of namespaces) await run(['ip', 'netns', 'del', ns]);
}
