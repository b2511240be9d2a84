import {
  commandVerb,
  type DataChannelAttempt,
  type DataChannelAttemptView,
  type DialogueLine,
  type SessionStory,
  TRANSFER_VERBS,
} from '@ftpscope/shared';
import { toChangeView } from '../views/rules.ts';
import { toAttemptView } from '../views/sessions.ts';
import type { NamedRule, RulesetChangeRecord } from './history.ts';
import { RuleNames } from './rule-label.ts';

const ASKS = new Set(['PASV', 'EPSV', 'PORT', 'EPRT']);

/**
 * The transfer command (LIST, RETR …) that used each data channel the dialogue asked for: each PASV/EPSV/
 * PORT/EPRT is paired with the next transfer command. The dialogue keeps only its latest lines and the session
 * its latest attempts, so both are aligned from the end, and a pair is kept only when the ask commands agree.
 */
export function transferCommands(
  attempts: readonly Pick<DataChannelAttemptView, 'id' | 'command'>[],
  dialogue: readonly DialogueLine[],
): Map<string, string> {
  const asks: { command: string; verb: string | null }[] = [];
  for (const l of dialogue) {
    if (l.dir !== 'command') continue;
    const verb = commandVerb(l.text);
    if (ASKS.has(verb)) asks.push({ command: verb, verb: null });
    else if (TRANSFER_VERBS.has(verb)) {
      const open = asks.at(-1);
      if (open && open.verb === null) open.verb = verb;
    }
  }
  const logged = attempts.filter((a) => a.command !== null);
  const out = new Map<string, string>();
  for (let i = 1; i <= Math.min(asks.length, logged.length); i++) {
    const ask = asks[asks.length - i] as (typeof asks)[number];
    const a = logged[logged.length - i] as (typeof logged)[number];
    if (ask.command !== a.command) break;
    if (ask.verb !== null) out.set(a.id, ask.verb);
  }
  return out;
}

/** What the hub read about one session, as the story builder needs it. */
export interface StoryInput {
  host: string;
  attempts: readonly DataChannelAttempt[];
  dialogue: { lines: DialogueLine[]; omitted: number } | null;
  rules: readonly NamedRule[];
  /** The last ruleset change at or before the session started. */
  before: RulesetChangeRecord | null;
  /** Changes while it was open. */
  during: readonly RulesetChangeRecord[];
}

/**
 * The Session view's story: the dialogue (PASS already masked), each data channel with the rule that took
 * it named and the command that used it, and the ruleset in force (with the changes made while it was open).
 */
export function sessionStory(i: StoryInput): SessionStory {
  const names = new RuleNames(i.rules);
  const lines = i.dialogue?.lines ?? [];
  const verbs = transferCommands(i.attempts, lines);
  return {
    dialogue: lines.map((l) => ({ ...l, at: new Date(l.at).toISOString() })),
    dialogueOmitted: i.dialogue?.omitted ?? 0,
    channels: i.attempts.map((a) => ({
      ...toAttemptView(a),
      ruleLabel: a.ruleId === null ? null : names.label(i.host, a.ruleId, true),
      transferCommand: verbs.get(a.id) ?? null,
    })),
    rulesetBefore: i.before ? toChangeView(i.before) : null,
    changesDuring: i.during.map(toChangeView),
  };
}
