import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildInfo, buildInfo, gitCommit } from '@ftpscope/shared/build-info';
import { bundleCollector, bundleHub, COLLECTOR_BUNDLE } from './bundle.ts';
import { buildDeb, type Compression, debArch } from './deb.ts';
import { COLLECTOR_DIR, HUB_BUNDLE_DIR, ROOT, WEB_DIR } from './layout.ts';
import { sharedLibDepends } from './shlibs.ts';
import { Stage, stageNode } from './stage.ts';

const FILES = join(import.meta.dirname, '../files');
/** The native conntrack reader scripts/build-native.sh builds (shipped when present). */
export const CTREADER = join(COLLECTOR_DIR, 'native/build/ftpscope-ctreader');
/** Install prefix of each package. */
export const COLLECTOR_PREFIX = '/opt/ftpscope-collector';
export const HUB_PREFIX = '/opt/ftpscope-hub';

/** The files of one built package. */
export interface BuiltPackage {
  deb: string;
  tar: string;
  version: string;
}

const COPYRIGHT = (name: string) =>
  `${name}: ftpscope (see /opt/${name}/share/README.md).\n` +
  `It carries Node.js under /opt/${name}/node (MIT licence: /opt/${name}/node/LICENSE) and the npm packages\n` +
  `bundled into /opt/${name}/lib (their licences are listed in the .LEGAL.txt file beside the bundle, when any).\n`;

function stamp(dir: string, commit: string): BuildInfo {
  return { ...buildInfo(new URL(`file://${join(dir, 'package.json')}`)), commit };
}

/** The parts both packages share: runtime, wrapper, unit, env file, docs, maintainer scripts for tar users. */
function common(
  stage: Stage,
  name: string,
  prefix: string,
  o: { unit: string; env: [string, string]; readme: string },
) {
  stageNode(stage, `${prefix}/node`);
  stage.copy(join(FILES, name.replace('ftpscope-', ''), name), `${prefix}/bin/${name}`, 0o755);
  stage.link(`/usr/bin/${name}`, `${prefix}/bin/${name}`);
  stage.copy(o.unit, `/lib/systemd/system/${name}.service`, 0o644);
  stage.copy(o.env[0], o.env[1], 0o644);
  stage.copy(o.readme, `${prefix}/share/README.md`, 0o644);
  stage.write(`/usr/share/doc/${name}/copyright`, COPYRIGHT(name));
  const scripts = {} as Record<'postinst' | 'prerm' | 'postrm', string>;
  for (const s of ['postinst', 'prerm', 'postrm'] as const) {
    scripts[s] = join(FILES, name.replace('ftpscope-', ''), s);
    stage.copy(scripts[s], `${prefix}/share/maintainer/${s}`, 0o755);
  }
  return scripts;
}

/** ftpscope-collector: the bundle, the native reader when built, Node, the systemd unit and its settings. */
export async function packageCollector(
  out: string,
  compression: Compression,
  commit: string,
): Promise<BuiltPackage> {
  const info = stamp(COLLECTOR_DIR, commit);
  const bundle = await bundleCollector(info);
  const stage = new Stage(mkdtempSync(join(tmpdir(), 'ftpscope-pkg-collector-')));
  try {
    const p = COLLECTOR_PREFIX;
    const scripts = common(stage, 'ftpscope-collector', p, {
      unit: join(COLLECTOR_DIR, 'deploy/ftpscope-collector.service'),
      env: [join(FILES, 'collector/collector.env'), '/etc/ftpscope/collector.env'],
      readme: join(COLLECTOR_DIR, 'README.md'),
    });
    stage.copy(bundle, `${p}/lib/${COLLECTOR_BUNDLE}`, 0o644);
    const natives = [stage.path(`${p}/node/bin/node`)];
    if (existsSync(CTREADER)) {
      // The bundle looks for the reader beside itself.
      stage.copy(CTREADER, `${p}/lib/ftpscope-ctreader`, 0o755);
      natives.push(stage.path(`${p}/lib/ftpscope-ctreader`));
    }
    const built = buildDeb(
      stage,
      {
        name: 'ftpscope-collector',
        version: info.version,
        arch: debArch(),
        depends: ['conntrack', 'iptables', 'nftables', 'tcpdump', ...sharedLibDepends(natives)],
        summary: 'ftpscope collector: what netfilter does to your FTP traffic',
        description: [
          'Reads FTP control sessions, conntrack FTP-helper expectations, data connections, firewall rule',
          'counters and dropped packets on an FTP server and streams them to an ftpscope hub over TLS.',
          'Carries its own Node.js runtime; runs as a systemd service with CAP_NET_ADMIN and CAP_NET_RAW only.',
        ].join('\n'),
        conffiles: ['/etc/ftpscope/collector.env'],
        scripts,
      },
      out,
      compression,
    );
    return { ...built, version: info.version };
  } finally {
    rmSync(stage.root, { recursive: true, force: true });
  }
}

/** ftpscope-hub: the bundle with UI, migrations and SQLite, Node, the unit, and the collector packages to serve. */
export async function packageHub(
  out: string,
  compression: Compression,
  commit: string,
  collector: BuiltPackage,
  uiDir?: string,
): Promise<BuiltPackage> {
  const info = stamp(WEB_DIR, commit);
  await bundleHub(info, HUB_BUNDLE_DIR, uiDir);
  const stage = new Stage(mkdtempSync(join(tmpdir(), 'ftpscope-pkg-hub-')));
  try {
    const p = HUB_PREFIX;
    const scripts = common(stage, 'ftpscope-hub', p, {
      unit: join(WEB_DIR, 'deploy/ftpscope-hub.service'),
      env: [join(FILES, 'hub/hub.env'), '/etc/ftpscope/hub.env'],
      readme: join(WEB_DIR, 'README.md'),
    });
    stage.copy(HUB_BUNDLE_DIR, `${p}/lib`);
    // What Add FTP host's command downloads: GET /downloads/collector/:arch serves these.
    for (const f of [collector.deb, collector.tar])
      stage.copy(f, `${p}/share/downloads/${f.split('/').at(-1)}`, 0o644);
    for (const f of ['grafana-dashboard.json', 'prometheus.yml']) {
      const src = join(ROOT, 'docs/monitoring', f);
      if (existsSync(src)) stage.copy(src, `${p}/share/monitoring/${f}`, 0o644);
    }
    const sqlite = stage.path(`${p}/lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node`);
    const built = buildDeb(
      stage,
      {
        name: 'ftpscope-hub',
        version: info.version,
        arch: debArch(),
        depends: ['openssl', ...sharedLibDepends([stage.path(`${p}/node/bin/node`), sqlite])],
        summary: 'ftpscope hub: FTP and netfilter history, diagnoses and web UI',
        description: [
          'Receives ftpscope collectors over TLS (a self-signed certificate is made at first start and its key',
          'pinned by the collectors it installs), keeps history in SQLite, explains what breaks FTP with the exact',
          'fix, and serves the web UI, the REST API and Prometheus metrics. Offers the collector package for',
          '"Add FTP host". Carries its own Node.js runtime.',
        ].join('\n'),
        conffiles: ['/etc/ftpscope/hub.env'],
        scripts,
      },
      out,
      compression,
    );
    return { ...built, version: info.version };
  } finally {
    rmSync(stage.root, { recursive: true, force: true });
  }
}

/** Both packages into `out` (the UI must be built: `pnpm build` does it, or a `vite build --outDir uiDir`). */
export async function buildPackages(out: string, compression: Compression = 'xz', uiDir?: string) {
  const commit = gitCommit(ROOT);
  const collector = await packageCollector(out, compression, commit);
  const hub = await packageHub(out, compression, commit, collector, uiDir);
  return { collector, hub, commit };
}
