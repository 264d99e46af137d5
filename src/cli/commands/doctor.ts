// `autoenroll doctor [--json]`: per-endpoint checks (DNS, TCP, TLS chain/expiry/name, clock skew,
// credentials, GetPolicies / CES round trip) for every configured policy server and every
// enrollment URI the policy publishes. Exit 0 when all are healthy, 3 when some endpoint is
// unreachable, 4 for trust, credential or configuration problems (4 wins over 3).
import { requestedLogFormat, wantsColor } from '../../log/logColor.js';
import { readFile } from 'node:fs/promises';
import { resolveConfigPath } from '../../config/configPath.js';
import { loadConfig } from '../../config/loadConfig.js';
import type { SecretRef } from '../../config/types.js';
import { runDoctor } from '../../engine/doctor.js';
import type { DoctorReport, GeneralFinding } from '../../engine/doctorTypes.js';
import { createLogger } from '../../log/logger.js';
import { resolveSecret } from '../../secrets/resolveSecret.js';
import { openStore } from '../../store/store.js';
import { createHttpsClient } from '../../transport/httpsClient.js';
import { TLS_VERIFY_OVERRIDE_CODE, tlsVerifyOverrideMessage, tlsVerifyOverrideSet } from '../../transport/tlsVerifyOverride.js';
import type { CommandContext } from '../context.js';
import { renderDoctorReport } from '../format/doctorReport.js';

export async function run(_options: unknown, context: CommandContext): Promise<number> {
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  const config = await loadConfig(file, { env: context.env });
  const logger = createLogger({ sink: context.stderr, level: context.globals.quiet ? 'error' : context.globals.verbose ? 'debug' : 'warn', format: requestedLogFormat(context.env), color: wantsColor(context.stderr, context.env) });

  const general: GeneralFinding[] = [];
  if (tlsVerifyOverrideSet(context.env) || tlsVerifyOverrideSet(process.env)) {
    general.push({ status: 'warn', code: TLS_VERIFY_OVERRIDE_CODE, message: tlsVerifyOverrideMessage(), fix: 'remove the variable from the environment of autoenroll (it has no effect)' });
  }
  let caPem: string | undefined;
  if (config.trust.caFile) {
    try {
      caPem = await readFile(config.trust.caFile, 'utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
        general.push({ status: 'fail', code: 'TRUST_FILE_INVALID', message: `trust.caFile ${config.trust.caFile} holds no PEM certificate`, fix: 'point trust.caFile at the PEM bundle of the CA that issued the servers\' TLS certificates', exitCode: 4 });
        caPem = undefined;
      }
    } catch (error) {
      general.push({ status: 'fail', code: 'TRUST_FILE_UNREADABLE', message: `trust.caFile ${config.trust.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, fix: 'correct the path or its permissions; until then the system store is used', exitCode: 4 });
    }
  }

  const http = createHttpsClient({
    ...(caPem !== undefined ? { ca: caPem } : {}),
    ...(config.transport.proxy ? { proxy: config.transport.proxy } : {}),
    ...(config.transport.noProxy ? { noProxy: config.transport.noProxy.join(',') } : {}),
    env: context.env,
    connectTimeoutMs: config.transport.connectTimeoutMs,
    requestTimeoutMs: config.transport.requestTimeoutMs,
  });
  let report: DoctorReport;
  try {
    report = await runDoctor({
      config,
      store: openStore(config.stateDir),
      http,
      resolveSecret: (ref: SecretRef) => resolveSecret(ref, { env: context.env, configDir: config.dir }),
      logger,
      now: Date.now,
      general,
      env: context.env,
      signal: context.signal,
      ...(caPem !== undefined ? { caPem } : {}),
    });
  } finally {
    await http.close({ force: context.signal.aborted });
  }
  context.stdout.write(context.globals.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctorReport(report));
  return report.exitCode;
}
