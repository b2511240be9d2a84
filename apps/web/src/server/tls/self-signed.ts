import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The hub's own certificate, made once and kept in its TLS directory. */
export interface SelfSigned {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  /** True when this start created it (the hub then says so, with its pin). */
  created: boolean;
}

/** Subject alternative names of the self-signed certificate: this machine's name and loopback. */
function altNames(): string {
  const names = new Set([hostname(), hostname().split('.')[0] ?? '', 'localhost'].filter((n) => n !== ''));
  return [...[...names].map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
}

/**
 * Returns the certificate in `dir` (cert.pem, key.pem), creating a self-signed P-256 one valid for 10 years on the
 * first start. Collectors pin its key (the install command carries the pin), so no CA is involved; browsers
 * show a warning until it is replaced by a real one (--tls-cert/--tls-key). Needs the `openssl` command.
 */
export function ensureSelfSigned(dir: string): SelfSigned {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  let created = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmpCert = `${certFile}.new`;
    const tmpKey = `${keyFile}.new`;
    try {
      // biome-ignore format: one openssl option and its value per pair reads best on few lines
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
        '-subj', `/CN=ftpscope hub ${hostname()}`, '-addext', `subjectAltName=${altNames()}`,
        '-keyout', tmpKey, '-out', tmpCert,
      ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    } catch (err) {
      rmSync(tmpCert, { force: true });
      rmSync(tmpKey, { force: true });
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      const why =
        e.code === 'ENOENT'
          ? 'the openssl command is missing (apt-get install openssl)'
          : String(e.stderr ?? e.message).trim();
      throw new Error(
        `cannot create a self-signed certificate in ${dir}: ${why}; or give --tls-cert and --tls-key`,
      );
    }
    chmodSync(tmpKey, 0o600);
    // Key first: a crash between the renames leaves no certificate without its key.
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
    created = true;
  }
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, created };
}
