// `autoenroll config validate`: loads and validates the configuration, then checks every secret
// reference and file it names can be resolved here — without printing any secret and without
// touching the network. Exit 0 when all is well, 4 otherwise.
import { stat, readFile } from 'node:fs/promises';
import { resolveConfigPath } from '../../config/configPath.js';
import { formatDuration } from '../../config/duration.js';
import { loadConfig } from '../../config/loadConfig.js';
import type { Config, SecretRef } from '../../config/types.js';
import { ExitCode } from '../../errors.js';
import { checkSecret } from '../../secrets/checkSecret.js';
import type { SecretCheck } from '../../secrets/checkSecret.js';
import type { CommandContext } from '../context.js';
import path from 'node:path';
import { checkHookProgram, checkWritableFolder } from '../../store/writableChecks.js';
import { outputPaths } from '../../store/outputs.js';

interface Check extends SecretCheck {
  /** The config key that references it, e.g. policyServers[1].password. */
  usedBy: string;
}

export async function run(_options: unknown, context: CommandContext): Promise<number> {
  const file = resolveConfigPath(context.globals.config, context.env, { cwd: context.cwd });
  const config = await loadConfig(file, { env: context.env });
  const checks = await checkReferences(config, context.env);
  const ok = checks.every((check) => check.ok);

  if (context.globals.json) {
    context.stdout.write(`${JSON.stringify(summary(config, checks, ok), null, 2)}\n`);
  } else {
    context.stdout.write(render(config, checks, ok));
  }
  if (!ok && !context.globals.json) {
    for (const check of checks.filter((c) => !c.ok)) {
      context.stderr.write(`autoenroll: error [${check.error?.code}]: ${config.file}: ${check.usedBy}: ${check.error?.message}\n`);
    }
  }
  return ok ? ExitCode.OK : ExitCode.CONFIG;
}

async function checkReferences(config: Config, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const refs: { usedBy: string; ref: SecretRef }[] = [];
  config.policyServers.forEach((server) => {
    if (server.password) refs.push({ usedBy: `policyServers[${server.index}].password`, ref: server.password });
  });
  config.certificates.forEach((cert, index) => {
    if (cert.output?.pfx) refs.push({ usedBy: `certificates[${index}].output.pfx.password`, ref: cert.output.pfx.password });
  });
  const checks: Check[] = [];
  for (const { usedBy, ref } of refs) checks.push({ usedBy, ...(await checkSecret(ref, { env, configDir: config.dir })) });
  if (config.trust.caFile) checks.push(await checkCaFile(config.trust.caFile));
  checks.push(...(await checkPaths(config, env)));
  return checks;
}

/** stateDir and every output folder writable (or creatable) by this user; hook programs executable. */
async function checkPaths(config: Config, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const folders: { usedBy: string; dir: string }[] = [{ usedBy: 'stateDir', dir: config.stateDir }];
  const hooks: { usedBy: string; command: string; shell: boolean }[] = [];
  config.certificates.forEach((cert, index) => {
    for (const [kind, file] of cert.output ? outputPaths(cert.output) : []) folders.push({ usedBy: `certificates[${index}].output.${kind}`, dir: path.dirname(file) });
    for (const phase of ['deploy', 'failure'] as const) {
      cert.hooks[phase].forEach((command, i) => hooks.push({ usedBy: `certificates[${index}].hooks.${phase}[${i}]`, command, shell: cert.hooks.shell }));
    }
  });
  const checks: Check[] = [];
  for (const { usedBy, dir } of folders) {
    const problem = await checkWritableFolder(dir, usedBy);
    checks.push({ usedBy, source: `folder:${dir}`, ok: problem === null, ...(problem ? { error: problem } : {}) });
  }
  for (const { usedBy, command, shell } of hooks) {
    const problem = await checkHookProgram(command, shell, usedBy, env);
    checks.push({ usedBy, source: `hook:${shell ? 'shell' : (command.split(/\s+/)[0] ?? '')}`, ok: problem === null, ...(problem ? { error: problem } : {}) });
  }
  return checks;
}

async function checkCaFile(file: string): Promise<Check> {
  const check: Check = { usedBy: 'trust.caFile', source: `file:${file}`, ok: true };
  try {
    const info = await stat(file);
    const text = info.isFile() && info.size < 16 * 1024 * 1024 ? await readFile(file, 'utf8') : '';
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      return { ...check, ok: false, error: { code: 'TRUST_FILE_INVALID', message: `${file} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)` } };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ...check, ok: false, error: { code: 'TRUST_FILE_UNREADABLE', message: `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}` } };
  }
  return check;
}

function summary(config: Config, checks: Check[], ok: boolean) {
  return {
    ok,
    file: config.file,
    stateDir: config.stateDir,
    policyServers: config.policyServers.map((s) => ({ url: s.url, auth: s.auth, priority: s.priority })),
    certificates: config.certificates.map((c) => ({ id: c.id, template: c.template, outputs: Object.keys(c.output ?? {}).filter((k) => k !== 'mode') })),
    schedule: { interval: formatDuration(config.schedule.intervalMs), jitter: formatDuration(config.schedule.jitterMs) },
    ...(config.autoenroll
      ? { autoenroll: { enabled: config.autoenroll.enabled, allow: config.autoenroll.allow, deny: config.autoenroll.deny, subject: config.autoenroll.defaults.subject, dns: config.autoenroll.defaults.dns, outputDir: config.autoenroll.outputDir } }
      : {}),
    checks,
  };
}

function render(config: Config, checks: Check[], ok: boolean): string {
  const lines = [`${config.file}: ${ok ? 'OK' : 'problems found'}`, `  state folder   ${config.stateDir}`];
  for (const s of config.policyServers) lines.push(`  policy server  ${s.url} (auth ${s.auth}, priority ${s.priority})`);
  for (const c of config.certificates) lines.push(`  certificate    ${c.id}: template ${c.template}${c.subject ? `, ${c.subject}` : ''}`);
  const auto = config.autoenroll;
  if (auto) {
    const which = `${auto.allow.length > 0 ? `allow ${auto.allow.join(', ')}` : 'every template granting autoEnroll'}${auto.deny.length > 0 ? `, deny ${auto.deny.join(', ')}` : ''}`;
    lines.push(`  autoenroll     ${auto.enabled ? 'enabled' : 'disabled'}: ${which}; ${auto.defaults.subject}; outputs in ${auto.outputDir}/<template>/`);
  }
  lines.push(`  schedule       every ${formatDuration(config.schedule.intervalMs)} (jitter ${formatDuration(config.schedule.jitterMs)})`);
  for (const check of checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'}           ${check.usedBy} ← ${check.source}`);
  return `${lines.join('\n')}\n`;
}
