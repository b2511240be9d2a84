import { createHash, X509Certificate } from 'node:crypto';

/**
 * The key pin of a certificate (PEM or DER; the first of a chain): `sha256//` + base64 of the SHA-256 of its
 * SubjectPublicKeyInfo, the form curl's --pinnedpubkey and the collector's --hub-fingerprint take. A pin of the
 * key, not of the certificate, survives re-issuing the certificate with the same key.
 */
export function spkiPin(cert: Buffer | string): string {
  const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}
