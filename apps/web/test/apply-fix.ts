/**
 * Applies a diagnosis's fix plan to a managed lab host exactly as an operator would: each command run as
 * written (in the manager's namespaces), each file edit made where the step says. Nothing is hand-written:
 * what runs is what the diagnosis shows.
 */

import type { Lab } from '@ftpscope/lab';
import type { FixPlan, FixStep } from '@ftpscope/shared';

type Edit = Extract<FixStep, { kind: 'edit' }>;

/** The file text after one edit step. */
export function applyEdit(text: string, step: Edit): string {
  const body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const lines = `${step.lines.join('\n')}\n`;
  switch (step.placement) {
    case 'append':
      return body + lines;
    case 'prepend':
      return lines + body;
    case 'set': {
      const re = new RegExp(`^\\s*${step.key}=.*$`, 'm');
      return re.test(body) ? body.replace(re, step.lines.join('\n')) : body + lines;
    }
    case 'before-commit': {
      const all = body.split('\n');
      const start = all.findIndex((l) => l.trim() === `*${step.table}`);
      const commit = all.findIndex((l, i) => i > start && l.trim() === 'COMMIT');
      if (start < 0 || commit < 0) throw new Error(`no *${step.table} section with a COMMIT in ${step.path}`);
      all.splice(commit, 0, ...step.lines);
      return all.join('\n');
    }
  }
}

/**
 * Runs the plan's steps on `host`. A `systemctl restart/reload` step cannot run without systemd in a lab
 * namespace: it is carried out as the service does it (lab.rebootManager loads the saved files).
 */
export async function applyFixPlan(lab: Lab, host: string, plan: FixPlan): Promise<string[]> {
  const log: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'edit') {
      const before = await lab.readManagerFile(host, step.path);
      await lab.writeManagerFile(host, step.path, applyEdit(before, step));
      log.push(`edited ${step.path} (${step.placement})`);
      continue;
    }
    if (step.reload && /^systemctl (restart|reload) /.test(step.command)) {
      await lab.rebootManager(host);
      log.push(`${step.command} (as the service does it)`);
      continue;
    }
    const r = await lab.managerExec(host, ['sh', '-c', step.command]);
    if (r.code !== 0)
      throw new Error(`fix step \`${step.command}\` failed (${r.code}): ${r.stderr || r.stdout}`);
    log.push(step.command);
  }
  return log;
}
