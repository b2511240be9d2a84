import type { Family, FixPlan, FixStep } from '@ftpscope/shared';
import type { PortRange } from '../rules/firewall.ts';
import type { HostWindow } from '../types.ts';

/**
 * Writes the fixes of the diagnoses in one firewall manager's own terms: its commands and files, how the
 * change survives a reload and a reboot, and the raw runtime equivalent. One file per manager in this folder,
 * listed in index.ts.
 */
export interface FixWriter {
  /** Make conntrack assign the FTP helper to control connections on these ports. */
  assignHelper(w: HostWindow, families: Family[], ports: number[]): FixPlan;
  /** Accept RELATED (and ESTABLISHED) packets inbound or outbound. */
  acceptRelated(w: HostWindow, families: Family[], dir: 'in' | 'out'): FixPlan;
  /** Open a passive port range for new inbound TCP connections. */
  openRange(w: HostWindow, families: Family[], range: PortRange): FixPlan;
}

/** A command step. */
export const run = (command: string, reload = false): FixStep =>
  reload ? { kind: 'run', command, reload: true } : { kind: 'run', command };
