import { type Static, Type as T } from '@sinclair/typebox';

/**
 * The firewall manager of a host and the fixes written in its terms. The collector detects the manager
 * (ruleset signatures plus the manager's files and commands) and sends it as a `firewall` event; the hub
 * writes each diagnosis's fix for it (apps/web/src/server/diagnoses/fixes/).
 */

/** Which program owns the host's firewall; `none` when rules are loaded by hand or by an unknown tool. */
export const FirewallManagerKind = T.Union([
  T.Literal('firewalld'),
  T.Literal('ufw'),
  T.Literal('iptables-services'),
  T.Literal('netfilter-persistent'),
  T.Literal('nftables-service'),
  T.Literal('none'),
]);
export type FirewallManagerKind = Static<typeof FirewallManagerKind>;

/** One firewalld zone that holds an FTP interface, with what it opens. */
export const FirewalldZone = T.Object({
  name: T.String({ maxLength: 64 }),
  /** Interfaces bound to the zone (empty: it is the default zone and catches every unbound interface). */
  interfaces: T.Array(T.String({ maxLength: 64 }), { maxItems: 256 }),
  services: T.Array(T.String({ maxLength: 64 }), { maxItems: 256 }),
  /** Ports as firewall-cmd prints them, e.g. "21/tcp", "40000-40100/tcp". */
  ports: T.Array(T.String({ maxLength: 32 }), { maxItems: 256 }),
});
export type FirewalldZone = Static<typeof FirewalldZone>;

/** What firewalld says about itself (null fields: it could not be asked). */
export const FirewalldState = T.Object({
  running: T.Union([T.Boolean(), T.Null()]),
  /** FirewallBackend: nftables (table inet firewalld) or iptables (IN_<zone> chains). */
  backend: T.Union([T.Literal('nftables'), T.Literal('iptables'), T.Null()]),
  defaultZone: T.Union([T.String({ maxLength: 64 }), T.Null()]),
  /** The zones the FTP server's interfaces are in (the default zone for unbound interfaces). */
  ftpZones: T.Array(FirewalldZone, { maxItems: 64 }),
});
export type FirewalldState = Static<typeof FirewalldState>;

/** A manager's config file as the collector found it. */
export const ManagerFile = T.Object({
  path: T.String({ maxLength: 1024 }),
  exists: T.Boolean(),
  /** iptables-save format files: the tables they hold (`raw`, `filter`, …); nft files: the tables they declare. */
  tables: T.Array(T.String({ maxLength: 64 }), { maxItems: 64 }),
  /** true when the file already assigns the FTP helper (CT --helper ftp, ct helper "ftp"). */
  assignsHelper: T.Boolean(),
  /** KEY=value settings of shell-style files (iptables-config, /etc/default/ufw), only the ones the fixes use. */
  vars: T.Record(T.String({ maxLength: 64 }), T.String({ maxLength: 1024 })),
});
export type ManagerFile = Static<typeof ManagerFile>;

/** Other programs whose chains live beside the manager's (their rules are not the operator's to edit). */
export const FirewallNeighbour = T.Union([T.Literal('docker'), T.Literal('kube-proxy')]);
export type FirewallNeighbour = Static<typeof FirewallNeighbour>;

/** The firewall manager of a host as the collector detected it. */
export const FirewallInfo = T.Object({
  /** When it was detected (epoch milliseconds; domain.ts imports this file, so Millis is not imported back). */
  at: T.Integer({ minimum: 0, description: 'epoch milliseconds' }),
  manager: FirewallManagerKind,
  /** What the detection rests on, in words ("table inet firewalld", "/etc/iptables/rules.v4"). */
  evidence: T.Array(T.String({ maxLength: 256 }), { maxItems: 32 }),
  neighbours: T.Array(FirewallNeighbour, { maxItems: 4 }),
  firewalld: T.Union([FirewalldState, T.Null()]),
  files: T.Array(ManagerFile, { maxItems: 64 }),
  /** What could not be read (a manager that does not answer, a file without permission), each with what to do. */
  problems: T.Array(T.String({ maxLength: 512 }), { maxItems: 32 }),
  /** ftpscope's own observation table (`table inet ftpscope`): on, off (--observe off), or failed (see problems). */
  observe: T.Union([T.Literal('on'), T.Literal('off'), T.Literal('failed')]),
});
export type FirewallInfo = Static<typeof FirewallInfo>;

/** A command the operator runs; `reload` marks the step that makes the manager load what the others wrote. */
export const FixRunStep = T.Object({
  kind: T.Literal('run'),
  command: T.String({ maxLength: 1024 }),
  reload: T.Optional(T.Boolean()),
});

/**
 * Lines the operator adds to a file. `append`/`prepend`: at the end/start of the file; `before-commit`: inside
 * the `*<table>` section of an iptables-save file, just before its COMMIT; `set`: replace the line that sets
 * `key=` (or append it when there is none).
 */
export const FixEditStep = T.Object({
  kind: T.Literal('edit'),
  path: T.String({ maxLength: 1024 }),
  placement: T.Union([
    T.Literal('append'),
    T.Literal('prepend'),
    T.Literal('before-commit'),
    T.Literal('set'),
  ]),
  table: T.Optional(T.String({ maxLength: 64 })),
  key: T.Optional(T.String({ maxLength: 64 })),
  lines: T.Array(T.String({ maxLength: 1024 }), { maxItems: 64 }),
});

/** One step of a fix: a command or a file edit. */
export const FixStep = T.Union([FixRunStep, FixEditStep]);
export type FixStep = Static<typeof FixStep>;

/** A fix in the terms of the host's firewall manager. */
export const FixPlan = T.Object({
  manager: FirewallManagerKind,
  /** The manager's commands and file edits, in order, ending with its reload. */
  steps: T.Array(FixStep, { maxItems: 32 }),
  /** How the change survives a reload of the manager and a reboot. */
  persistence: T.String({ maxLength: 2048 }),
  /** The same change as raw runtime commands (lost at the next reload or reboot on a managed host). */
  runtime: T.Array(T.String({ maxLength: 1024 }), { maxItems: 32 }),
});
export type FixPlan = Static<typeof FixPlan>;
