// The TLS client credential for certificate-auth policy servers: the first configured
// certificate whose current generation is valid now (key-based renewal deployments authenticate
// to their CEP with the very certificate they manage).
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/storeTypes.js';
import type { ClientCertificate } from '../transport/httpsClient.js';

export async function managedClientCertificate(config: Config, store: Store, nowMs: number, logger: Logger): Promise<ClientCertificate | null> {
  // Only certificate-auth policy servers use it: without one, no certificate's store is read.
  if (!config.policyServers.some((server) => server.auth !== 'username')) return null;
  for (const certificate of config.certificates) {
    try {
      const meta = await store.certificate(certificate.id).currentMeta();
      if (!meta || Date.parse(meta.meta.notAfter) <= nowMs || Date.parse(meta.meta.notBefore) > nowMs) continue;
      const generation = await store.certificate(certificate.id).generation(meta.number);
      if (generation) return { certPem: generation.certPem, keyPem: generation.keyPem, chainPem: generation.chainPem };
    } catch (error) {
      logger.warn('policy.client_certificate_unreadable', { id: certificate.id, message: (error as Error).message });
    }
  }
  return null;
}
