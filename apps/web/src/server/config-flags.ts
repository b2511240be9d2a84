import { DEFAULT_PRIVATE_NETS } from './diagnoses/private-nets.ts';
import { DEFAULT_STORE } from './store/store-spec.ts';

/** One flag of the hub, with its environment variable and default. */
export interface Flag {
  flag: string;
  env: string;
  key: string;
  help: string;
  default?: string;
}

/** Every flag with its environment variable: flags win over the environment. */
export const FLAGS: Flag[] = [
  {
    flag: '--listen <host:port>',
    env: 'FTPSCOPE_LISTEN',
    key: 'listen',
    help: 'address to listen on (use [::1]:PORT for IPv6)',
    default: '127.0.0.1:8080',
  },
  {
    flag: '--store <sqlite:PATH|postgres://URL>',
    env: 'FTPSCOPE_STORE',
    key: 'store',
    help: 'where history lives: a SQLite file (created if missing; one hub) or a PostgreSQL database (several hubs may share it)',
    default: DEFAULT_STORE,
  },
  {
    flag: '--db <file>',
    env: 'FTPSCOPE_DB',
    key: 'db',
    help: 'shorthand for --store sqlite:FILE',
  },
  {
    flag: '--hub-id <name>',
    env: 'FTPSCOPE_HUB_ID',
    key: 'hubId',
    help: "this hub's name among several sharing one PostgreSQL database (in /metrics and the logs) (default HOSTNAME:PORT)",
  },
  {
    flag: '--collector-token <token>',
    env: 'FTPSCOPE_COLLECTOR_TOKEN',
    key: 'collectorToken',
    help: 'one token every collector uses (any host name); prefer the env var, argv is visible in ps. Optional: hosts added in the UI get their own tokens',
  },
  {
    flag: '--tokens <file>',
    env: 'FTPSCOPE_TOKENS',
    key: 'tokensFile',
    help: 'collector tokens file: lines "<sha256-hex> host1 host2 ..." ("*" = any host); see `hub hash-token`',
  },
  {
    flag: '--api-token <token>',
    env: 'FTPSCOPE_API_TOKEN',
    key: 'apiToken',
    help: 'token for the REST API, /ws/live, /metrics and /docs (Bearer header or login cookie)',
  },
  {
    flag: '--tls-cert <file>',
    env: 'FTPSCOPE_TLS_CERT',
    key: 'tlsCert',
    help: 'PEM certificate to serve HTTPS/WSS with (needs --tls-key); without it a self-signed one is made when TLS is on',
  },
  {
    flag: '--tls-key <file>',
    env: 'FTPSCOPE_TLS_KEY',
    key: 'tlsKey',
    help: 'PEM private key for --tls-cert',
  },
  {
    flag: '--tls <mode>',
    env: 'FTPSCOPE_TLS',
    key: 'tls',
    help: 'auto: TLS unless --listen is a loopback address; on: TLS on loopback too (self-signed unless --tls-cert)',
    default: 'auto',
  },
  {
    flag: '--tls-dir <dir>',
    env: 'FTPSCOPE_TLS_DIR',
    key: 'tlsDir',
    help: 'where the self-signed certificate is created at first start and kept (default: tls/ beside --db)',
  },
  {
    flag: '--plain-listen <host:port>',
    env: 'FTPSCOPE_PLAIN_LISTEN',
    key: 'plainListen',
    help: 'also serve plain HTTP here, loopback addresses only (local tools, Prometheus on this machine)',
  },
  {
    flag: '--public-url <url>',
    env: 'FTPSCOPE_PUBLIC_URL',
    key: 'publicUrl',
    help: "the hub's address as FTP hosts and browsers reach it, e.g. https://hub.example:8443 (install commands, Origin check; default: the address each request came to)",
  },
  {
    flag: '--downloads-dir <dir>',
    env: 'FTPSCOPE_DOWNLOADS_DIR',
    key: 'downloadsDir',
    help: "collector packages offered at /downloads/ for the install command (default: the package's own, or dist/ in a checkout)",
  },
  {
    flag: '--retention-days <n>',
    env: 'FTPSCOPE_RETENTION_DAYS',
    key: 'retentionDays',
    help: 'keep sessions, drops, changes, gaps, diagnoses this long',
    default: '90',
  },
  {
    flag: '--raw-retention-days <n>',
    env: 'FTPSCOPE_RAW_RETENTION_DAYS',
    key: 'rawRetentionDays',
    help: 'keep raw rule samples and health samples this long',
    default: '7',
  },
  {
    flag: '--rollup-retention-days <n>',
    env: 'FTPSCOPE_ROLLUP_RETENTION_DAYS',
    key: 'rollupRetentionDays',
    help: 'keep 1-minute rule rollups this long',
    default: '90',
  },
  {
    flag: '--alert-webhook <url>',
    env: 'FTPSCOPE_ALERT_WEBHOOK',
    key: 'alertWebhook',
    help: 'POST a JSON body here when a diagnosis opens or resolves',
  },
  {
    flag: '--ui-dir <dir>',
    env: 'FTPSCOPE_UI_DIR',
    key: 'uiDir',
    help: 'built UI to serve (default apps/web/dist)',
  },
  {
    flag: '--collector-rate <n>',
    env: 'FTPSCOPE_COLLECTOR_RATE',
    key: 'collectorRate',
    help: 'sustained messages/s a collector may send (burst 100x, room for a spool replay) before 4429',
    default: '1000',
  },
  {
    flag: '--private-nets <cidrs>',
    env: 'FTPSCOPE_PRIVATE_NETS',
    key: 'privateNets',
    help: 'networks clients elsewhere cannot reach, comma-separated (wrong advertised address)',
    default: DEFAULT_PRIVATE_NETS.join(','),
  },
  {
    flag: '--log-level <level>',
    env: 'FTPSCOPE_LOG_LEVEL',
    key: 'logLevel',
    help: 'fatal|error|warn|info|debug|trace|silent',
    default: 'info',
  },
];
