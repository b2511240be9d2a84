import type { DiagnosisKind, DiagnosisRule } from '../types.ts';
import { activeModeBlocked } from './active-mode-blocked.ts';
import { conntrackTableFull } from './conntrack-table-full.ts';
import { dropsAfterRulesetChange } from './drops-after-ruleset-change.ts';
import { expectationTableFull } from './expectation-table-full.ts';
import { expectationsUnused } from './expectations-unused.ts';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import { helperBlindTls } from './helper-blind-tls.ts';
import { helperIpv4Only } from './helper-ipv4-only.ts';
import { nonstandardControlPort } from './nonstandard-control-port.ts';
import { passiveRangeMismatch } from './passive-range-mismatch.ts';
import { relatedNotAccepted } from './related-not-accepted.ts';
import { wrongAdvertisedAddress } from './wrong-advertised-address.ts';

/** Every diagnosis rule, by the kind it reports. Add a kind: write rules/<kind>.ts and list it here. */
export const RULES: Record<DiagnosisKind, DiagnosisRule> = {
  'ftp-helper-not-assigned': ftpHelperNotAssigned,
  'related-not-accepted': relatedNotAccepted,
  'helper-blind-tls': helperBlindTls,
  'active-mode-blocked': activeModeBlocked,
  'passive-range-mismatch': passiveRangeMismatch,
  'helper-ipv4-only': helperIpv4Only,
  'nonstandard-control-port': nonstandardControlPort,
  'expectations-unused': expectationsUnused,
  'conntrack-table-full': conntrackTableFull,
  'expectation-table-full': expectationTableFull,
  'drops-after-ruleset-change': dropsAfterRulesetChange,
  'wrong-advertised-address': wrongAdvertisedAddress,
};
