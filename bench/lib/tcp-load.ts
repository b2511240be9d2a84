/**
 * Real non-FTP TCP traffic for the mixed-host bench, run inside lab namespaces:
 *   tcp-load.ts server ADDR PORT               accepts connections and closes them at once (a tiny port-80 service)
 *   tcp-load.ts client ADDR PORT RATE SECONDS  opens RATE connections/s for SECONDS, prints {"made":N,"failed":M}
 * Each connection is a full TCP handshake and close, so the kernel tracks it like any short request.
 */
import { connect, createServer } from 'node:net';

const [mode, addr = '', portArg = '80', rateArg = '1000', secondsArg = '10'] = process.argv.slice(2);
const port = Number(portArg);

if (mode === 'server') {
  createServer((s) => {
    s.on('error', () => {});
    s.end();
  })
    .on('error', (e) => {
      process.stderr.write(`tcp-load server: ${e.message}\n`);
      process.exit(1);
    })
    .listen(port, addr, () => process.stdout.write('listening\n'));
} else if (mode === 'client') {
  const rate = Number(rateArg);
  const seconds = Number(secondsArg);
  let made = 0;
  let failed = 0;
  let open = 0;
  const one = () => {
    open++;
    const s = connect({ host: addr, port });
    const done = (ok: boolean) => {
      if (ok) made++;
      else failed++;
      open--;
    };
    s.once('connect', () => {
      s.end();
    });
    s.once('close', (hadError) => done(!hadError));
    s.once('error', () => {});
    s.setTimeout(2000, () => s.destroy());
  };
  // Every 10 ms, the connections due by now (paced, so the rate is even across the second).
  const t0 = performance.now();
  let started = 0;
  const timer = setInterval(() => {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= seconds) {
      clearInterval(timer);
      const wait = setInterval(() => {
        if (open > 0) return;
        clearInterval(wait);
        process.stdout.write(`${JSON.stringify({ made, failed })}\n`);
      }, 50);
      return;
    }
    const due = Math.floor(elapsed * rate);
    // Bounded concurrency: a stalled server must not make the client open thousands of sockets.
    for (; started < due && open < 512; started++) one();
  }, 10);
} else {
  process.stderr.write('usage: tcp-load.ts server ADDR PORT | client ADDR PORT RATE SECONDS\n');
  process.exit(2);
}
