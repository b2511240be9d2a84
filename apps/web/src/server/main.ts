import { buildApp, optionsFromConfig } from './app.ts';
import { ConfigError, hashToken, parseCommand } from './config.ts';
import { StoreOpenError } from './store/index.ts';

/** `pnpm hub`: parse flags, open the store, listen, close gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const cmd = parseCommand(process.argv.slice(2), process.env);
  if (cmd.kind === 'hash-token') {
    process.stdout.write(`${hashToken(cmd.token)}\n`);
    process.stderr.write('add to the tokens file as: <hash> host1 host2 ... (or <hash> * for any host)\n');
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
  const scheme = config.tlsCert ? 'https' : 'http';
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  app.log.info(
    `ftpscope hub listening on ${scheme}://${host}:${port} (UI /, API /api, docs /docs, collectors /ws/collector)`,
  );

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
