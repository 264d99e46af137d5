// `autoenroll hook test --id ID`: runs the certificate's deploy hook for its current generation,
// with exactly the environment a renewal would give it (the engine's runDeployHook and the hook
// runner), without contacting a server or changing anything. Exit 0 when every command
// succeeded, 6 when one failed (as after a real installation), 4 when there is nothing to run.
import { createHookRunner, deployEnvironment } from '../../daemon/hooks.js';
import { runDeployHook } from '../../engine/deployStep.js';
import { ExitCode, UsageError } from '../../errors.js';
import { openStore } from '../../store/index.js';
import { commandLogger, loadCommandConfig } from '../agentRuntime.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

export interface HookTestOptions {
  id?: string;
}

export async function run(options: HookTestOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  const config = await loadCommandConfig(context);
  const logger = commandLogger(context, config.logging.format);
  if (options.id === undefined) throw new UsageError('hook test needs --id ID (the certificate whose deploy hook to run)', 'USAGE');
  const certificate = config.certificates.find((c) => c.id === options.id);
  if (!certificate) {
    throw new UsageError(`no certificate with id "${options.id}" in ${config.file} (known: ${config.certificates.map((c) => c.id).join(', ') || 'none'})`, 'UNKNOWN_CERTIFICATE_ID');
  }
  if (certificate.hooks.deploy.length === 0) throw new UsageError(`certificate "${certificate.id}" has no deploy hook (hooks.deploy) to test`, 'NO_DEPLOY_HOOK');
  const store = openStore(config.stateDir).certificate(certificate.id);
  const current = await store.current();
  if (!current) throw new UsageError(`certificate "${certificate.id}" has no certificate installed yet; run "autoenroll enroll --id ${certificate.id}" first`, 'NO_CERTIFICATE');
  const generations = await store.listGenerations();
  const previous = generations.filter((g) => g.number < current.number).at(-1) ?? null;
  const oldThumbprint = previous?.meta.thumbprintSha1 ?? null;

  const error = await runDeployHook({ hooks: createHookRunner({ logger, env: context.env }), logger }, certificate, current, [], oldThumbprint);
  const vars = deployEnvironment({
    id: certificate.id,
    generation: current.number,
    certPath: certificate.output?.cert ?? null,
    keyPath: certificate.output?.key ?? null,
    chainPath: certificate.output?.chain ?? null,
    fullchainPath: certificate.output?.fullchain ?? null,
    pfxPath: certificate.output?.pfx?.path ?? null,
    oldThumbprint,
    newThumbprint: current.meta.thumbprintSha1,
    notAfter: current.meta.notAfter,
    hooks: certificate.hooks,
  });
  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify({ id: certificate.id, generation: current.number, commands: certificate.hooks.deploy, environment: vars, ok: error === null, error: error ? error.toJSON() : null }, null, 2)}\n`);
  } else if (error) {
    context.stdout.write(`${certificate.id}: deploy hook failed: ${error.message}\n`);
  } else {
    context.stdout.write(`${certificate.id}: deploy hook succeeded for generation ${current.number} (thumbprint ${current.meta.thumbprintSha1}); nothing was renewed\n`);
  }
  return error ? ExitCode.HOOK_FAILED : ExitCode.OK;
}
