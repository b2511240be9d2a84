import { spkiPin } from '@ftpscope/shared/tls-pin';
import { buildApp, optionsFromConfig } from './app.ts';
import { runTokensCommand } from './cli/tokens-command.ts';
import { ConfigError, hashToken, parseCommand } from './config.ts';
import { listenHub } from './listen.ts';
import { StoreOpenError } from './store/index.ts';

/** `pnpm hub`: parse flags, open the store, listen, close gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const cmd = parseCommand(process.argv.slice(2), process.env);
  if (cmd.kind === 'hash-token') {
    process.stdout.write(`${hashToken(cmd.token)}\n`);
    process.stderr.write('add to the tokens file as: <hash> host1 host2 ... (or <hash> * for any host)\n');
    return;
  }
  if (cmd.kind === 'tokens') {
    try {
      process.exitCode = await runTokensCommand(cmd.command, cmd.url, cmd.apiToken, (t) =>
        process.stdout.write(t),
      );
    } catch (err) {
      process.stderr.write(`ftpscope hub tokens: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
    return;
  }
  const { config } = cmd;
  let options: ReturnType<typeof optionsFromConfig>;
  try {
    options = optionsFromConfig(config);
  } catch (err) {
    // Tokens file or TLS files unreadable or malformed: say which, without a stack.
    throw new ConfigError((err as Error).message);
  }
  const app = await buildApp(options);
  const { url, plainUrl } = await listenHub(app, {
    host: config.host,
    port: config.port,
    tls: options.tls !== undefined,
    ...(config.plainHost !== undefined &&
      config.plainPort !== undefined && { plain: { host: config.plainHost, port: config.plainPort } }),
  });
  app.log.info(
    `ftpscope hub listening on ${url}${plainUrl ? ` and ${plainUrl}` : ''} (UI /, API /api, docs /docs, collectors /ws/collector)`,
  );
  const self = options.tls?.selfSigned;
  if (options.tls) {
    const pin = spkiPin(options.tls.cert);
    app.log.info(
      { certificate: self?.file, fingerprint: pin },
      self
        ? `TLS with a self-signed certificate ${self.created ? 'created now' : 'made at first start'} (${self.file}); its key fingerprint ${pin} is what collectors pin (Add FTP host puts it in the install command)`
        : `TLS with the given certificate; its key fingerprint is ${pin}`,
    );
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('graceful close took over 10 s, exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StoreOpenError) {
    process.stderr.write(`ftpscope hub: ${err.message}\nRun \`pnpm hub --help\` for the flags.\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE')
    process.stderr.write(`ftpscope hub: address already in use (${e.message}); pick another --listen\n`);
  else if (e.code === 'ENOENT' || e.code === 'EACCES') process.stderr.write(`ftpscope hub: ${e.message}\n`);
  else process.stderr.write(`ftpscope hub: ${e.stack ?? String(err)}\n`);
  process.exit(1);
});
