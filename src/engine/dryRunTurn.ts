// A certificate's turn under `pulse --dry-run`: the step the planner chooses from the stored state
// and the policy just fetched, reported and not taken. No lock, no recovery, no write.
import type { CertificateConfig, Config } from '../config/types.js';
import { AutoenrollError, errorToJson } from '../errors.js';
import type { CertificateStore } from '../store/storeTypes.js';
import type { CertificateResult, PassOptions } from './agentTypes.js';
import { stepLabel } from './agentTypes.js';
import { plan } from './planner.js';
import type { CertificateAction, ScheduleSettings } from './plannerTypes.js';
import { certificatePlanInput, hasEnrollmentCredentials, hasKerberosServers } from './plannerInput.js';
import type { PolicyStepResult } from './policyStep.js';
import { stepFreshness } from './policyStep.js';
import { readSnapshot } from './turnRecovery.js';

export interface DryRunTurn {
  config: Config;
  hostId: string;
  nowMs: number;
  schedule: Partial<ScheduleSettings>;
  certificate: CertificateConfig;
  store: CertificateStore;
  options: PassOptions;
  policy: PolicyStepResult;
  result: CertificateResult;
}

export async function dryRunTurn(turn: DryRunTurn): Promise<CertificateResult> {
  const { result, options } = turn;
  try {
    const snapshot = await readSnapshot(turn.certificate, turn.store);
    const input = certificatePlanInput(snapshot, turn.policy.views, hasEnrollmentCredentials(turn.config), hasKerberosServers(turn.config));
    const operation = options.operation === 'scheduled' ? undefined : options.operation;
    const planned = plan({ hostId: turn.hostId, policy: stepFreshness(turn.policy, operation !== undefined), certificates: [input] }, turn.nowMs, {
      ...(operation ? { operation } : {}),
      schedule: turn.schedule,
      ...(options.force ? { force: true } : {}),
    }).actions[0] as CertificateAction;
    result.planned = stepLabel(planned);
    result.warnings.push(...planned.warnings);
    result.message = `dry run: would ${result.planned}`;
  } catch (caught) {
    result.outcome = 'failed';
    result.error = errorToJson(caught);
    result.exitCode = caught instanceof AutoenrollError ? caught.exitCode : 1;
  }
  return result;
}
