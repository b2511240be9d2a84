import type { FixPlan, FixStep } from '@ftpscope/shared';
import type { HostWindow } from '../types.ts';
import { acceptRelatedFix, assignHelperFix, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

const cmd = (args: string) => `firewall-cmd ${args}`;

/** The zone that holds the FTP server's interface (the default zone when it is bound to none). */
function zoneOf(w: HostWindow): { name: string; ports: string[]; services: string[] } {
  const fw = w.firewall?.firewalld;
  const z = fw?.ftpZones.find((x) => x.interfaces.length > 0) ?? fw?.ftpZones[0];
  return z ?? { name: fw?.defaultZone ?? 'public', ports: [], services: [] };
}

function persistence(zone: string, extra = ''): string {
  return `\`--permanent\` writes firewalld's configuration (/etc/firewalld/zones/${zone}.xml${extra}); \`firewall-cmd --reload\` loads it into the running firewall, and firewalld loads it at every start, so it survives reloads and reboots. Do not add the raw rules below by hand on a firewalld host: its next reload removes them.`;
}

function plan(w: HostWindow, steps: FixStep[], runtime: string[], extra = ''): FixPlan {
  return {
    manager: 'firewalld',
    steps: [...steps, run(cmd('--reload'), true)],
    persistence: persistence(zoneOf(w).name, extra),
    runtime,
  };
}

/**
 * firewalld: zone-aware `--permanent` commands, one option per command (firewall-cmd refuses to combine
 * some of them), then `--reload`. The `ftp` service carries the FTP helper; a plain `--add-port=21/tcp`
 * does not, so it is replaced. A non-standard control port gets a helper and a service of its own.
 */
export const firewalldWriter: FixWriter = {
  assignHelper(w, families, ports) {
    const z = zoneOf(w);
    const zone = `--zone=${z.name}`;
    const steps: FixStep[] = [];
    let extra = '';
    for (const port of ports) {
      if (z.ports.includes(`${port}/tcp`))
        steps.push(run(cmd(`--permanent ${zone} --remove-port=${port}/tcp`)));
      if (port === 21) {
        steps.push(run(cmd(`--permanent ${zone} --add-service=ftp`)));
        continue;
      }
      const name = `ftp-${port}`;
      steps.push(
        run(cmd(`--permanent --new-helper=${name} --module=nf_conntrack_ftp`)),
        run(cmd(`--permanent --helper=${name} --add-port=${port}/tcp`)),
        run(cmd(`--permanent --new-service=${name}`)),
        run(cmd(`--permanent --service=${name} --add-port=${port}/tcp`)),
        run(cmd(`--permanent --service=${name} --add-helper=${name}`)),
        run(cmd(`--permanent ${zone} --add-service=${name}`)),
      );
      extra = `, services/${name}.xml, helpers/${name}.xml`;
    }
    return plan(w, steps, assignHelperFix(w, families, ports), extra);
  },
  acceptRelated(w, families, dir) {
    const chain = dir === 'in' ? 'INPUT' : 'OUTPUT';
    const steps = families.map((f) =>
      run(
        cmd(
          `--permanent --direct --add-rule ${f} filter ${chain} 0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        ),
      ),
    );
    return plan(w, steps, acceptRelatedFix(w, families, dir), ', direct.xml');
  },
  openRange(w, families, [lo, hi]) {
    const steps = [run(cmd(`--permanent --zone=${zoneOf(w).name} --add-port=${lo}-${hi}/tcp`))];
    return plan(w, steps, openRangeFix(w, families, [lo, hi]));
  },
};
