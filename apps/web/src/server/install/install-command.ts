/** What goes into the one command that installs a collector on an FTP host. */
export interface InstallCommandParts {
  hubUrl: string;
  /** Pin of the hub's certificate key; used only with an https:// hub address. */
  fingerprint: string | null;
  host: string;
  token: string;
}

/** A word for sh: as is when it has only safe characters, else in single quotes. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=+@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `curl … https://HUB/install.sh | sudo sh -s -- --hub … --fingerprint … --name … --token …`. curl checks the
 * hub's key pin itself (`--insecure` only drops the CA check the self-signed certificate cannot pass; a different
 * key fails with curl error 90), and the script pins the same key for the package download and the collector.
 */
export function installCommand(p: InstallCommandParts): string {
  const hub = p.hubUrl.replace(/\/+$/, '');
  const pin = p.fingerprint !== null && hub.startsWith('https://') ? p.fingerprint : null;
  const curl = pin ? `curl -fsSL --insecure --pinnedpubkey ${shellWord(pin)}` : 'curl -fsSL';
  const args = ['--hub', hub, ...(pin ? ['--fingerprint', pin] : []), '--name', p.host, '--token', p.token];
  return `${curl} ${shellWord(`${hub}/install.sh`)} | sudo sh -s -- ${args.map(shellWord).join(' ')}`;
}
