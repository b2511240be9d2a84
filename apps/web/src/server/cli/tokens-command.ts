import type { CollectorTokenCreated, CollectorTokenView } from '@ftpscope/shared';
import { type Command, Option } from 'commander';

/** What `hub tokens …` asks the running hub for. */
export type TokensCommand =
  | { action: 'list'; json: boolean }
  | { action: 'add'; host: string; hubUrl?: string; json: boolean }
  | { action: 'revoke'; id: string; json: boolean };

/** Called with the parsed subcommand and its --url (undefined: derive it from the hub's flags). */
export type OnTokensCommand = (command: TokensCommand, url: string | undefined) => void;

/** Adds `tokens list|add HOST|revoke ID`: they call the running hub's API (revoking must reach live connections). */
export function addTokensCommand(program: Command, onParsed: OnTokensCommand = () => {}): void {
  const tokens = program
    .command('tokens')
    .description('collector tokens issued by the running hub, through its API (needs --api-token)');
  const url = () =>
    new Option(
      '--url <url>',
      'the running hub (default: http:// on its --plain-listen, or on --listen when that is loopback)',
    ).env('FTPSCOPE_ADMIN_URL');
  const json = () => new Option('--json', 'print JSON');
  tokens
    .command('list')
    .description('every token with its host, last use and state')
    .addOption(url())
    .addOption(json())
    .action((o: { url?: string; json?: boolean }) => onParsed({ action: 'list', json: !!o.json }, o.url));
  tokens
    .command('add')
    .description('issue a token for HOST and print the command that installs its collector')
    .argument('<host>', 'host name the collector reports (its --name)')
    .option('--hub-url <url>', 'hub address for the install command (default: the hub --public-url)')
    .addOption(url())
    .addOption(json())
    .action((host: string, o: { hubUrl?: string; url?: string; json?: boolean }) =>
      onParsed({ action: 'add', host, json: !!o.json, ...(o.hubUrl && { hubUrl: o.hubUrl }) }, o.url),
    );
  tokens
    .command('revoke')
    .description('revoke a token: its collector is disconnected (4401) and cannot reconnect')
    .argument('<id>', 'token id (from list)')
    .addOption(url())
    .addOption(json())
    .action((id: string, o: { url?: string; json?: boolean }) =>
      onParsed({ action: 'revoke', id, json: !!o.json }, o.url),
    );
}

/** Seconds ago, or "never". */
function ago(isoTime: string | null, now: number): string {
  if (isoTime === null) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(isoTime)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : isoTime;
}

function state(t: CollectorTokenView): string {
  if (t.revokedAt !== null) return 'revoked';
  return t.connected ? 'connected' : 'active';
}

/** Runs the subcommand against the hub at `url`; returns the exit code (output through `out`). */
export async function runTokensCommand(
  cmd: TokensCommand,
  url: string,
  apiToken: string,
  out: (text: string) => void,
): Promise<number> {
  const base = url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach the hub at ${base} (${cause}); is it running? (--url)`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message: string }).message;
      } catch {}
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${message}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  if (cmd.action === 'list') {
    const list = (await call('GET', '/api/collector-tokens')) as CollectorTokenView[];
    if (cmd.json) out(`${JSON.stringify(list, null, 2)}\n`);
    else if (list.length === 0) out('no collector tokens yet: hub tokens add HOST\n');
    else {
      const now = Date.now();
      const rows = [['ID', 'HOST', 'STATE', 'LAST USED', 'CREATED']];
      for (const t of list) rows.push([t.id, t.host, state(t), ago(t.lastUsedAt, now), t.createdAt]);
      const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
      out(
        `${rows
          .map((r) =>
            r
              .map((c, i) => c.padEnd(widths[i] ?? 0))
              .join('  ')
              .trimEnd(),
          )
          .join('\n')}\n`,
      );
    }
    return 0;
  }
  if (cmd.action === 'add') {
    const created = (await call('POST', '/api/collector-tokens', {
      host: cmd.host,
      ...(cmd.hubUrl && { hubUrl: cmd.hubUrl }),
    })) as CollectorTokenCreated;
    if (cmd.json) out(`${JSON.stringify(created, null, 2)}\n`);
    else {
      out(
        `token ${created.id} for ${created.host} (shown only now): ${created.token}\n` +
          `run on ${created.host} as root:\n\n  ${created.command}\n\n` +
          (created.install.packages.length === 0
            ? 'note: this hub has no collector package to download yet (pnpm package, or install the ftpscope-hub package)\n'
            : ''),
      );
    }
    return 0;
  }
  const revoked = (await call(
    'DELETE',
    `/api/collector-tokens/${encodeURIComponent(cmd.id)}`,
  )) as CollectorTokenView;
  if (cmd.json) out(`${JSON.stringify(revoked, null, 2)}\n`);
  else out(`revoked ${revoked.id} (host ${revoked.host}); its collector was disconnected\n`);
  return 0;
}
