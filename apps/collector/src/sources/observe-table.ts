import { describeFailure } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';

/** Family and name of ftpscope's own observation table; never reported as part of the host's firewall. */
export const OBSERVE_FAMILY = 'inet';
export const OBSERVE_TABLE = 'ftpscope';

/**
 * How long a client stays "an FTP client" after its last packet to a control port. Longer than any
 * idle control connection we care about; refreshed by every control packet.
 */
const CLIENT_TIMEOUT = '10m';
/**
 * At most this many packets are traced (one limiter for the whole table): each trace costs the kernel, nft and
 * the collector (measured: ~0.07% of a core per traced drop per second), and a SYN flood must not cost the
 * host. A failing transfer retries its SYN 2-3 times, so this still shows ~10 failing data connections a second.
 */
const TRACE_RATE = 'rate 25/second burst 50 packets';

/**
 * The observation table (docs/firewall-managers.md). It gives no verdict (no accept/drop/reject/jump,
 * chains with policy accept) and touches no other table. It learns FTP clients from packets to the control
 * ports (dynamic sets with a timeout) and sets `meta nftrace` on their *new* TCP connections to the passive
 * ports (passive data connections in) and on this host's new connections to them (active ones out; RELATED
 * ones, which the helper already linked, are left alone), so
 * `nft monitor trace` names the rule or policy that ends each one. Priority -175: after conntrack (-200, so
 * `ct state` is known), before mangle (-150), DNAT and every filter chain. The first two lines make loading
 * it idempotent: a stale copy (collector killed with -9) is replaced in the same transaction.
 */
export function observeScript(ftpPorts: number[], passiveRange: [number, number] | null = null): string {
  const ports = [...new Set(ftpPorts)].sort((a, b) => a - b).join(', ');
  // Only where a passive data connection can go: the server's passive range, else the unprivileged ports. The
  // client's other connections (to a web server on the same host, say) are not traced and cost nothing.
  const dataPorts = passiveRange
    ? `tcp dport ${passiveRange[0]}-${passiveRange[1]}`
    : 'tcp dport >= 1024 tcp dport != @ftp_ports';
  const syn = 'tcp flags & (syn | ack) == syn';
  const trace = 'limit name "trace_rate" meta nftrace set 1';
  const prio = 'priority -175; policy accept;';
  return [
    `table ${OBSERVE_FAMILY} ${OBSERVE_TABLE}`,
    `delete table ${OBSERVE_FAMILY} ${OBSERVE_TABLE}`,
    `table ${OBSERVE_FAMILY} ${OBSERVE_TABLE} {`,
    `  set ftp_ports { type inet_service; elements = { ${ports} } }`,
    `  set clients4 { type ipv4_addr; size 65536; flags dynamic, timeout; timeout ${CLIENT_TIMEOUT}; }`,
    `  set clients6 { type ipv6_addr; size 65536; flags dynamic, timeout; timeout ${CLIENT_TIMEOUT}; }`,
    `  limit trace_rate { ${TRACE_RATE} }`,
    '  chain learn_and_trace_in {',
    `    type filter hook prerouting ${prio}`,
    '    tcp dport @ftp_ports update @clients4 { ip saddr }',
    '    tcp dport @ftp_ports update @clients6 { ip6 saddr }',
    `    ${syn} ${dataPorts} ct state new ip saddr @clients4 ${trace}`,
    `    ${syn} ${dataPorts} ct state new ip6 saddr @clients6 ${trace}`,
    '  }',
    '  chain trace_out {',
    `    type filter hook output ${prio}`,
    `    ${syn} tcp sport != @ftp_ports ct state new ip daddr @clients4 ${trace}`,
    `    ${syn} tcp sport != @ftp_ports ct state new ip6 daddr @clients6 ${trace}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Loads (or replaces) the observation table; returns a problem line, or null when it is in place. */
export async function createObserveTable(
  exec: Exec,
  ftpPorts: number[],
  passiveRange: [number, number] | null,
  netns: string | null,
): Promise<string | null> {
  // nft takes a whole script as one argument (newlines included): no temporary file, no shell.
  const r = await exec('nft', [observeScript(ftpPorts, passiveRange)], { timeoutMs: 10_000 });
  if (r.code === 0) return null;
  return `observation table: ${describeFailure('nft', r, netns)}; drops are then only seen through rule counters and NFLOG (turn it off with --observe off)`;
}

/** Whether the observation table exists (a `nft flush ruleset` by a manager removes it). */
export async function observeTableExists(exec: Exec): Promise<boolean> {
  const r = await exec('nft', ['list', 'table', OBSERVE_FAMILY, OBSERVE_TABLE], { timeoutMs: 10_000 });
  return r.code === 0;
}

/** Removes the observation table (clean stop); a missing table is not an error. */
export async function removeObserveTable(exec: Exec): Promise<void> {
  await exec('nft', ['delete', 'table', OBSERVE_FAMILY, OBSERVE_TABLE], { timeoutMs: 10_000 });
}
