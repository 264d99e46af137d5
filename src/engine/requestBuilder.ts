// The request for one certificate: the key (chosen from the template and the config) and the
// PKCS#10 (new enrollment) or the renewal CMS signed by the old key (protocol.md §4, §5.2).
import type { KeyObject } from 'node:crypto';
import type { CertificateConfig } from '../config/types.js';
import { buildCsr } from '../pki/csr.js';
import type { CsrOptions, SanRequest } from '../pki/csr.js';
import { generateKeyPair, keySpecForTemplate, keySpecOf, keySpecSatisfies, privateKeyToPem } from '../pki/keys.js';
import type { KeyPreference, KeyRequestLabel, KeySpec } from '../pki/keys.js';
import { publicOf, resolveSigningKey, spkiOf, type SigningKey } from '../pki/signingKey.js';
import { generateConfiguredTokenKey } from './tokenAccess.js';
import { buildRenewalRequest } from '../pki/renewalRequest.js';
import type { RenewalRequestOptions } from '../pki/renewalRequest.js';
import { decodeSubjectNameFlags } from '../protocol/templateFlags.js';
import { crashPoint } from '../store/crashPoint.js';
import type { CachedTemplate } from './cachedPolicy.js';

export interface BuiltRequest {
  der: Uint8Array;
  keyPem: string;
  /** SPKI DER of the key the issued certificate must certify. */
  publicKeySpkiDer: Uint8Array;
  keyReused: boolean;
}

/** The configured key (an absent size or curve is chosen from the template by keySpecForTemplate). */
export function configuredKeyPreference(config: CertificateConfig): KeyPreference | undefined {
  const key = config.key;
  if (!key) return undefined;
  if (key.algorithm === 'RSA') return key.size !== undefined ? { algorithm: 'RSA', bits: key.size } : { algorithm: 'RSA' };
  return key.curve !== undefined ? { algorithm: 'EC', curve: key.curve } : { algorithm: 'EC' };
}

/** How a configured certificate's key request is named in errors: certificates[].key of its id. */
export function configKeyLabel(config: CertificateConfig, template: CachedTemplate): KeyRequestLabel {
  return {
    owner: `certificate "${config.id}"`,
    template: template.commonName,
    option: `certificates[].key of "${config.id}"`,
    suggest: (spec) => (spec.algorithm === 'RSA' ? `{ algorithm: RSA, size: ${spec.bits} }` : `{ algorithm: EC, curve: ${spec.curve} }`),
  };
}

function templateRequirements(template: CachedTemplate): { minimalKeyLength: number; algorithmOid?: string } {
  const out: { minimalKeyLength: number; algorithmOid?: string } = { minimalKeyLength: template.minimalKeyLength ?? 0 };
  if (template.keyAlgorithmOid) out.algorithmOid = template.keyAlgorithmOid;
  return out;
}

function templateId(template: CachedTemplate): CsrOptions['template'] {
  return template.oid ? { oid: template.oid, majorVersion: template.majorRevision ?? 0, minorVersion: template.minorRevision ?? 0 } : undefined;
}

function sanOf(config: CertificateConfig): SanRequest | undefined {
  const san: SanRequest = {};
  if (config.dns.length > 0) san.dns = config.dns;
  if (config.ip.length > 0) san.ip = config.ip;
  if (config.upn.length > 0) san.upn = config.upn;
  if (config.email.length > 0) san.email = config.email;
  return Object.keys(san).length > 0 ? san : undefined;
}

/** A new key: in the configured token (the reference is its PKCS#11 URI), else in memory (PEM). */
async function newKey(config: CertificateConfig, spec: KeySpec): Promise<{ key: SigningKey; publicKey: KeyObject; keyPem: string }> {
  if (config.pkcs11 !== undefined) {
    const created = await generateConfiguredTokenKey(config, spec);
    return { key: { kind: 'pkcs11', uri: created.uri, publicKey: created.publicKey }, publicKey: created.publicKey, keyPem: created.uri };
  }
  const pair = await generateKeyPair(spec);
  return { key: pair.privateKey, publicKey: pair.publicKey, keyPem: privateKeyToPem(pair.privateKey) };
}

/** A new key and a PKCS#10 for an initial enrollment (or a re-enrollment) with the template. */
export async function buildEnrollmentRequest(
  config: CertificateConfig,
  template: CachedTemplate,
  keyLabel: KeyRequestLabel = configKeyLabel(config, template),
): Promise<BuiltRequest & { warnings: string[] }> {
  const warnings: string[] = [];
  const spec = keySpecForTemplate(templateRequirements(template), configuredKeyPreference(config), keyLabel);
  const pair = await newKey(config, spec);
  crashPoint('engine:key-generated');

  const nameFlags = decodeSubjectNameFlags(template.subjectNameFlags);
  // The CA builds the name from the directory unless the template lets the enrollee supply it.
  let subject: string | null = config.subject ?? null;
  if (subject === null && nameFlags.enrolleeSuppliesSubject && config.dns[0] !== undefined) subject = `CN=${config.dns[0]}`;
  if (subject !== null && !nameFlags.enrolleeSuppliesSubject) {
    warnings.push(`template "${template.commonName}" builds the subject from the directory; the configured subject is sent but the CA may ignore it`);
  }
  const options: CsrOptions = { privateKey: pair.key, publicKey: pair.publicKey, subject, templateName: template.commonName };
  const id = templateId(template);
  if (id) options.template = id;
  const san = sanOf(config);
  if (san) {
    if (nameFlags.enrolleeSuppliesSubjectAltName || nameFlags.enrolleeSuppliesSubject) options.san = san;
    else warnings.push(`template "${template.commonName}" does not accept subject alternative names from the request; the configured ones are left out`);
  }
  const der = await buildCsr(options);
  crashPoint('engine:request-built');
  return { der, keyPem: pair.keyPem, publicKeySpkiDer: spkiOf(pair.key), keyReused: false, warnings };
}

/**
 * A key-based renewal request: PKCS#10 carrying the old certificate, wrapped in CMS signed by the
 * old key; subject copied byte for byte from the old certificate. A new key unless `reuseKey`.
 */
export async function buildKeyRenewalRequest(
  config: CertificateConfig,
  template: CachedTemplate,
  old: { certDer: Uint8Array; keyPem: string },
  reuseKey: boolean,
): Promise<BuiltRequest> {
  const oldKey = resolveSigningKey(old.keyPem);
  let renewedKey: SigningKey = oldKey;
  let renewedKeyPem = old.keyPem;
  if (!reuseKey) {
    // A configured key must satisfy the template (loud otherwise); the old key's kind is only a
    // preference, dropped for what the template requires when the template has moved on.
    const requirements = templateRequirements(template);
    const configured = configuredKeyPreference(config);
    const previous = keySpecOf(publicOf(oldKey));
    const spec = configured !== undefined
      ? keySpecForTemplate(requirements, configured, configKeyLabel(config, template))
      : keySpecForTemplate(requirements, previous !== undefined && keySpecSatisfies(previous, requirements) ? previous : undefined);
    const created = await newKey(config, spec);
    renewedKey = created.key;
    renewedKeyPem = created.keyPem;
    crashPoint('engine:key-generated');
  }
  const options: RenewalRequestOptions = {
    oldCertificateDer: old.certDer,
    oldPrivateKey: oldKey,
    templateName: template.commonName,
    copyOldSan: decodeSubjectNameFlags(template.subjectNameFlags).oldCertSuppliesSubjectAndAltName || sanOf(config) === undefined,
  };
  if (!reuseKey) {
    options.newPrivateKey = renewedKey;
    options.newPublicKey = publicOf(renewedKey);
  }
  const id = templateId(template);
  if (id) options.template = id;
  const san = sanOf(config);
  if (san && !options.copyOldSan) options.san = san;
  const der = await buildRenewalRequest(options);
  crashPoint('engine:request-built');
  return { der, keyPem: renewedKeyPem, publicKeySpkiDer: spkiOf(renewedKey), keyReused: reuseKey };
}

/** The SPKI of a stored key (a PEM key or a token key's URI; for a resubmission or a retrieval). */
export function publicKeySpkiOfPem(keyPem: string): Uint8Array {
  return spkiOf(resolveSigningKey(keyPem));
}
