// io-floor.ts's consumer, plain node: reads the native reader's lines and the vsftpd log as the collector does
// (a pipe in 'data' chunks, the log every 250 ms with readSync), splits them into lines, and, with "parse", splits
// each reader line at its tabs and matches each log line with one regular expression; nothing else.
// argv: READER NETNS PASSIVE_RANGE LOG_FILE read|parse. SIGUSR2 prints the line counts; SIGTERM stops.
import { spawn } from 'node:child_process';
import { fstatSync, openSync, readSync } from 'node:fs';

const [reader, netns, range, logFile, mode] = process.argv.slice(2);
const parse = mode === 'parse';
const LOG =
  /^\w+ \w+ +\d+ [\d:]+ \d+ \[pid (\d+)\] (?:\[([^\]]*)\] )?(FTP command|FTP response): Client "([^"]*)", (.*)$/;
let lines = 0;
let logLines = 0;
let rest = '';
const child = spawn(
  'nsenter',
  [`--net=/run/netns/${netns}`, reader, 'events', '--ports', '21', '--passive', range],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const parts = (rest + chunk).split('\n');
  rest = parts.pop() ?? '';
  lines += parts.length;
  if (parse) for (const p of parts) p.split('\t');
});
const fd = openSync(logFile, 'r');
let pos = fstatSync(fd).size;
const buf = Buffer.alloc(4 << 20);
setInterval(() => {
  const n = readSync(fd, buf, 0, buf.length, pos);
  if (n === 0) return;
  pos += n;
  const text = buf.toString('utf8', 0, n).split('\n');
  logLines += text.length - 1;
  if (parse) for (const l of text) LOG.exec(l);
}, 250);
process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ lines, logLines })}\n`));
process.on('SIGTERM', () => {
  child.kill();
  process.exit(0);
});
