// An issued answer becomes the certificate's new generation, in an order that survives a crash at
// any point: verify (our key, chain to the trust anchors or the policy's CA certificates, CMC
// hash) → commit the generation (key + cert + chain, then the `current` pointer) → install the
// output files → state.json → clear pending/submitting → archive the previous generation → deploy
// hook. Every step after the commit is repeated or repaired by recovery if the process dies; the
// deploy hook too: `deployPending` is in state.json before the output files are written and is
// cleared once the hook succeeded (deployStep.ts).
import type { CertificateConfig, OutputConfig } from '../config/types.js';
import type { AutoenrollError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { describeCertificate } from '../pki/certInfo.js';
import { assembleIssued } from '../pki/issued.js';
import { loadPrivateKey } from '../pki/keys.js';
import { certificatePem, certificatesPem, readCertificates } from '../pki/pem.js';
import { crashPoint } from '../store/crashPoint.js';
import type { CertificateState, Generation, GenerationMeta } from '../store/stateModel.js';
import type { CertificateStore } from '../store/storeTypes.js';
import type { AgentHooks, SecretResolver } from './agentTypes.js';
import { afterDeploy, deployConfigured, newDeployPending, runPendingDeploy, withDeployPending } from './deployStep.js';
import type { CurrentCertificate } from './plannerInput.js';
import { checkIssuedCertificate, requestedNames } from './issuedChecks.js';
import { afterIssued } from './stateUpdates.js';

const DEFAULT_CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/** GenerationMeta plus the digest of the request it answers, so recovery can tell a finished submission. */
export type EngineGenerationMeta = GenerationMeta & { requestDigest?: string };

export interface IssuedAnswer {
  certificateDer: Uint8Array;
  pkcs7Der?: Uint8Array;
  requestId: string | null;
  url: string;
}

export interface InstallContext {
  nowMs: () => number;
  logger: Logger;
  resolveSecret: SecretResolver;
  hooks?: AgentHooks;
  /** PEM texts of the configured trust anchors (trust.caFile). */
  trustAnchorsPem: string[];
  /** CA certificates (DER) the policy lists. */
  caCertificatesDer: Uint8Array[];
  policyId?: string;
  /** How far an issued notBefore may lie ahead of the local clock (config clockSkewTolerance). */
  clockSkewToleranceMs?: number;
}

export interface InstallInput {
  config: CertificateConfig;
  store: CertificateStore;
  state: CertificateState | null;
  answer: IssuedAnswer;
  keyPem: string;
  publicKeySpkiDer: Uint8Array;
  requestDigest: string;
  /** The request the answer is for (what the issued certificate must name is read from it). */
  requestDer: Uint8Array;
  /** The template's msPKI-Certificate-Name-Flag, when the policy still lists it. */
  subjectNameFlags?: number;
  templateName: string;
  templateOid?: string;
  keyReused: boolean;
  previous: Generation | null;
}

export interface Installed {
  generation: Generation;
  /** The committed generation with its certificate as verified here (for the plan after the pass). */
  current: CurrentCertificate;
  outputs: string[];
  hookError: AutoenrollError | null;
}

export async function installIssued(ctx: InstallContext, input: InstallInput): Promise<Installed> {
  const { store, config, answer } = input;
  const material = assembleIssued({
    leafDer: answer.certificateDer,
    ...(answer.pkcs7Der ? { pkcs7Der: answer.pkcs7Der } : {}),
    caCertificatesDer: ctx.caCertificatesDer,
    expectedPublicKeySpkiDer: input.publicKeySpkiDer,
    trustAnchorsPem: ctx.trustAnchorsPem,
  });
  const d = describeCertificate(material.leafDer);
  const checked = checkIssuedCertificate({
    certificateId: config.id,
    description: d,
    requestId: answer.requestId,
    nowMs: ctx.nowMs(),
    toleranceMs: ctx.clockSkewToleranceMs ?? DEFAULT_CLOCK_SKEW_TOLERANCE_MS,
    requested: requestedNames(input.requestDer, input.subjectNameFlags),
  });
  if (checked.clockSkewMs !== undefined) {
    ctx.logger.warn('certificate.clock_skew', { id: config.id, code: 'CLOCK_SKEW', notBefore: d.notBefore.toISOString(), aheadMs: checked.clockSkewMs });
  }
  crashPoint('engine:issued-verified');

  const meta: EngineGenerationMeta = {
    thumbprintSha1: d.thumbprintSha1,
    serialHex: d.serialHex,
    notBefore: d.notBefore.toISOString(),
    notAfter: d.notAfter.toISOString(),
    subject: d.subject,
    issuer: d.issuer,
    templateName: input.templateName,
    endpoint: answer.url,
    createdAt: new Date(ctx.nowMs()).toISOString(),
    keyReused: input.keyReused,
    requestDigest: input.requestDigest,
  };
  const templateOid = d.template?.oid ?? input.templateOid;
  if (templateOid) meta.templateOid = templateOid;
  if (answer.requestId) meta.requestId = answer.requestId;

  const generation = await store.commitGeneration({
    keyPem: input.keyPem,
    certPem: certificatePem(material.leafDer),
    chainPem: certificatesPem(material.chainDer),
    meta,
  });
  crashPoint('engine:generation-committed');
  ctx.logger.info('certificate.committed', { id: config.id, generation: generation.number, thumbprint: d.thumbprintSha1, notAfter: meta.notAfter });

  // Before the consumers' files change: from here on the deploy hook is owed until it succeeds.
  const deploy = deployConfigured(ctx, config) ? newDeployPending(generation.number, input.previous?.meta.thumbprintSha1 ?? null, ctx.nowMs()) : null;
  let state = input.state;
  if (deploy) {
    state = withDeployPending(config.id, state, deploy);
    await store.writeState(state);
    crashPoint('engine:deploy-pending-written');
  }

  const outputs = await installGenerationOutputs(ctx, config, store, generation);
  crashPoint('engine:outputs-installed');

  const issued = afterIssued(config.id, state, ctx.nowMs(), answer.url, ctx.policyId);
  // A deploy owed for an older generation (its hook since removed, or superseded) is not owed any more.
  if (!deploy && issued.deployPending) issued.deployPending = null;
  await store.writeState(issued);
  crashPoint('engine:state-written');
  await store.clearPending();
  crashPoint('engine:pending-cleared');
  await archivePrevious(store, generation.number);
  crashPoint('engine:previous-archived');

  let hookError: AutoenrollError | null = null;
  if (deploy) {
    hookError = await runPendingDeploy(ctx, config, generation, outputs, deploy);
    await store.writeState(afterDeploy(config.id, issued, deploy, hookError, ctx.nowMs()));
  }
  return { generation, current: { generation, certDer: material.leafDer, description: d }, outputs, hookError };
}

/** Writes the configured output files from a committed generation (PFX built when configured). */
export async function installGenerationOutputs(
  ctx: Pick<InstallContext, 'resolveSecret'>,
  config: CertificateConfig,
  store: CertificateStore,
  generation: Generation,
): Promise<string[]> {
  const outputs: OutputConfig | undefined = config.output;
  if (!outputs) return [];
  let pfx: { bytes: Uint8Array } | undefined;
  if (outputs.pfx) {
    const { buildPfx } = await import('../pki/pkcs12.js');
    const password = await ctx.resolveSecret(outputs.pfx.password, `PFX password of certificate "${config.id}"`);
    const [leaf] = readCertificates(generation.certPem, 'generation certificate');
    const chain = generation.chainPem.trim() === '' ? [] : readCertificates(generation.chainPem, 'generation chain');
    pfx = {
      bytes: await buildPfx({ privateKey: loadPrivateKey(generation.keyPem), certificateDer: leaf as Uint8Array, chainDer: chain, password, friendlyName: config.id }),
    };
  }
  const installed = await store.installOutputs(generation, outputs, pfx);
  return installed.paths;
}

/** Moves every live generation other than the current one to the archive (kept for rollback). */
export async function archivePrevious(store: CertificateStore, currentNumber: number): Promise<void> {
  await store.archiveAllBut(currentNumber);
}
