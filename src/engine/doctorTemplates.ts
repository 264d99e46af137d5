// `doctor`: the configured certificates whose template no answering policy offers — the commonest
// typo — with the nearest names the policies do offer.
import type { Config } from '../config/types.js';
import type { PolicyResponse } from '../protocol/policyModel.js';
import type { GeneralFinding } from './doctorTypes.js';
import { didYouMean } from './nearestNames.js';

export function templateFindings(config: Config, policies: readonly PolicyResponse[]): GeneralFinding[] {
  if (policies.length === 0) return [];
  const offered = policies.flatMap((p) => p.templates);
  const names = [...new Set(offered.map((t) => t.commonName))].sort();
  const findings: GeneralFinding[] = [];
  for (const cert of config.certificates) {
    const wanted = cert.template;
    if (offered.some((t) => t.commonName === wanted || t.oid?.value === wanted)) continue;
    findings.push({
      status: 'fail',
      code: 'TEMPLATE_NOT_IN_POLICY',
      message: `certificate "${cert.id}": template "${wanted}" is not offered by the policy${didYouMean(wanted, names)}; offered: ${names.join(', ') || 'none'}`,
      fix: 'use the template common name (or OID) exactly as `autoenroll policy` lists it; if it is missing there, publish it on a CA and let the policy account read and enroll it',
      exitCode: 4,
    });
  }
  return findings;
}
