// `autoenroll policy [--file RESPONSE.xml]`: decode a GetPoliciesResponse and show its templates,
// CAs and enrollment URIs (a table, or one JSON document with --json). With --file the response
// is read from disk (bare body or full envelope); without it the policy is fetched live from the
// configured policy servers (fetchLivePolicies), exactly as a pass asks them:
//   - the usable servers (username ones; certificate ones once a managed certificate is valid,
//     presented as the TLS client certificate), lower priority first, shuffled within a
//     priority, failing over on transport trouble and server faults, stopping at bad
//     credentials; servers that failed recently are tried last (stateDir/endpoints.json);
//   - the answer shown is that of the server that answered (its URL is the `source`), in full
//     (no lastUpdate is sent, so the server cannot answer "not changed");
//   - the answer updates the policy cache like a pass does (its server's contribution to the
//     policyID), so `status` and `plan` see it; a cache that cannot be written is a warning.
// Exit 3 when every policy server is unreachable; 4 for configuration, credentials or TLS trust.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config, PolicyServerConfig } from '../../config/types.js';
import { ConfigError, InputError, ProtocolError, UsageError } from '../../errors.js';
import { describeCertificate } from '../../pki/certInfo.js';
import type { PolicyResponse, Template } from '../../protocol/policyModel.js';
import { DEFAULT_XML_LIMITS } from '../../protocol/xml.js';
import { parseGetPoliciesResponse } from '../../protocol/xcepResponse.js';
import type { CommandContext } from '../context.js';
import { guardStdout } from '../stdoutGuard.js';

export interface PolicyOptions {
  file?: string;
  /** A configured policy server's URL, or a priority: ask only that one (or those). */
  server?: string;
}

/** One decoded policy and where it came from (a file path or a CEP URL). */
export interface PolicySourceResult {
  source: string;
  policy: PolicyResponse;
}

export async function run(options: PolicyOptions, context: CommandContext): Promise<number> {
  guardStdout(context.stdout);
  if (options.file !== undefined && options.server !== undefined) throw new UsageError('--file decodes a saved response and --server asks a live one: give one of them', 'CONFLICTING_OPTIONS');
  const results = options.file !== undefined ? [await readPolicyFile(resolve(context.cwd, options.file))] : await fetchLivePolicies(context, options.server);
  if (context.globals.json) {
    const documents = results.map((r) => ({ source: r.source, ...policyToJson(r.policy) }));
    context.stdout.write(`${JSON.stringify(documents.length === 1 ? documents[0] : documents, null, 2)}\n`);
  } else {
    context.stdout.write(results.map((r) => formatPolicy(r.source, r.policy)).join('\n'));
  }
  return 0;
}

/** The live path: GetPolicies from the configured policy servers, as a pass asks them (see the top of this file). */
export async function fetchLivePolicies(context: CommandContext, only?: string): Promise<PolicySourceResult[]> {
  const [{ openAgentRuntime }, fetch, { managedClientCertificate }, { readPolicyCache, clearPolicyAttempts }, memory] = await Promise.all([
    import('../agentRuntime.js'),
    import('../../engine/policyFetch.js'),
    import('../../engine/managedCertificate.js'),
    import('../../engine/policyCache.js'),
    import('../../engine/endpointMemory.js'),
  ]);
  const runtime = await openAgentRuntime(context, { hooks: null });
  try {
    const { config, deps, logger } = runtime;
    const nowMs = deps.now();
    const clientCertificate = await managedClientCertificate(config, runtime.store, nowMs, logger);
    const selected = only === undefined ? config.policyServers : selectPolicyServers(config, only);
    const servers = fetch.usablePolicyServers({ ...config, policyServers: selected }, clientCertificate);
    if (only !== undefined && servers.length === 0) {
      throw new ConfigError(
        `${describeSelection(only)} authenticates with a certificate and no managed certificate is valid yet: ask a username/password policy server, or enroll first`,
        { file: config.file, key: 'policyServers' },
        'NO_POLICY_SERVER',
      );
    }
    if (servers.length === 0) {
      const kerberos = await import('../../engine/kerberosCredential.js');
      if (kerberos.kerberosServers(config).length > 0 && kerberos.kerberosModuleProblem() !== undefined) throw kerberos.kerberosModuleMissing();
      throw new ConfigError(
        config.policyServers.length === 0
          ? 'no policy server is configured: add one under policyServers'
          : 'no policy server can be used: the configured ones authenticate with a certificate and no managed certificate is valid yet; add a username/password policy server, or enroll first',
        { file: config.file, key: 'policyServers' },
        'NO_POLICY_SERVER',
      );
    }
    const breaker = await memory.loadEndpointMemory(config.stateDir, logger);
    const onDisk = JSON.stringify(breaker.toJSON());
    let answer;
    try {
      answer = await fetch.askPolicyServers(
        { config, http: runtime.httpsClient, resolveSecret: deps.resolveSecret, random: deps.random, nowMs, logger, clientCertificate, breaker, signal: context.signal },
        servers,
      );
    } finally {
      await memory.saveEndpointMemory(config.stateDir, breaker, onDisk, logger);
    }
    try {
      await fetch.cachePolicyAnswer(config.stateDir, await readPolicyCache(config.stateDir, logger), answer, nowMs, logger);
      await clearPolicyAttempts(config.stateDir);
    } catch (error) {
      logger.warn('policy.cache_write_failed', { stateDir: config.stateDir, message: (error as Error).message });
    }
    return [{ source: answer.server.url, policy: answer.response }];
  } finally {
    await runtime.close({ force: context.signal.aborted });
  }
}

/** `--server`: the configured policy server with this URL, or every one with this priority. */
export function selectPolicyServers(config: Config, only: string): PolicyServerConfig[] {
  const trimmed = only.trim();
  const chosen = /^\d+$/.test(trimmed) ? config.policyServers.filter((s) => s.priority === Number(trimmed)) : config.policyServers.filter((s) => sameUrl(s.url, trimmed));
  if (chosen.length > 0) return chosen;
  const known = config.policyServers.map((s) => `${s.url} (priority ${s.priority})`).join(', ') || 'none';
  throw new UsageError(`${describeSelection(trimmed)} is not in ${config.file}: --server takes the URL or the priority of a configured policy server (configured: ${known})`, 'UNKNOWN_POLICY_SERVER');
}

function describeSelection(only: string): string {
  return /^\d+$/.test(only.trim()) ? `the policy server of priority ${only.trim()}` : `the policy server ${only}`;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

export async function readPolicyFile(path: string): Promise<PolicySourceResult> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${path} is not a file`, 'FILE_NOT_REGULAR');
    if (info.size > DEFAULT_XML_LIMITS.maxBytes) throw new InputError(`${path} is larger than the ${DEFAULT_XML_LIMITS.maxBytes}-byte limit for a policy response`, 'XML_TOO_LARGE');
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : ((error as Error).message ?? String(error))}`, 'FILE_UNREADABLE');
  }
  try {
    return { source: path, policy: parseGetPoliciesResponse(bytes) };
  } catch (error) {
    // A saved file is local input: the same causes, but exit 4 rather than "endpoint unhealthy".
    if (error instanceof ProtocolError) throw new InputError(`${path}: ${error.message}`, error.code, { cause: error });
    throw error;
  }
}

/** Plain JSON: byte fields `xDer` become base64 strings named `xBase64`. */
export function policyToJson(policy: PolicyResponse): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    if (Array.isArray(value)) return value.map(convert);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) out[v instanceof Uint8Array && key.endsWith('Der') ? `${key.slice(0, -3)}Base64` : key] = convert(v);
      return out;
    }
    return value;
  };
  const json = convert(policy) as Record<string, unknown>;
  json.cas = policy.cas.map((ca, i) => ({ ...(json.cas as Record<string, unknown>[])[i], ...caSummary(ca.certificateDer) }));
  return json;
}

function caSummary(der: Uint8Array): { subject: string | null; notAfter: string | null; thumbprintSha1: string | null } {
  try {
    const d = describeCertificate(der);
    return { subject: d.subject, notAfter: d.notAfter.toISOString(), thumbprintSha1: d.thumbprintSha1 };
  } catch {
    return { subject: null, notAfter: null, thumbprintSha1: null };
  }
}

/** 31536000 → "365d", 3628800 → "42d", 7200 → "2h". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds >= 86400 && seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function subjectSource(t: Template): string {
  const s = t.flags.subjectName;
  const parts: string[] = [];
  if (s.enrolleeSuppliesSubject) parts.push('request');
  else if (s.enrolleeSuppliesSubjectAltName) parts.push('request SAN');
  else parts.push('AD');
  if (s.oldCertSuppliesSubjectAndAltName) parts.push('+old cert');
  return parts.join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => `  ${r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')}`.trimEnd()).join('\n');
}

export function formatPolicy(source: string, policy: PolicyResponse): string {
  const lines: string[] = [];
  lines.push(`Policy ${policy.policyId}${policy.policyFriendlyName ? ` "${policy.policyFriendlyName}"` : ''}  (${source})`);
  const refresh = policy.nextUpdateHours !== null ? `next update in ${policy.nextUpdateHours} h` : 'no next-update hint';
  lines.push(`  ${refresh}${policy.policiesNotChanged === true ? '; policies not changed since lastUpdate' : ''}`);
  lines.push('', `Templates (${policy.templates.length})`);
  if (policy.templates.length > 0) {
    const rows = [['NAME', 'OID', 'SCHEMA', 'VALIDITY', 'RENEWAL', 'KEY', 'KBR', 'PEND', 'SUBJECT', 'ENROLL', 'AUTO', 'CAS']];
    for (const t of policy.templates) {
      const k = t.keyRequirements;
      const algorithm = k.algorithmOid?.defaultName ?? k.algorithmOid?.value ?? 'RSA';
      rows.push([
        t.commonName,
        t.oid?.value ?? (t.oidReference !== null ? `(ref ${t.oidReference})` : '-'),
        t.schemaVersion !== null ? String(t.schemaVersion) : '-',
        formatSeconds(t.validitySeconds),
        formatSeconds(t.renewalSeconds),
        `${algorithm}${k.minimalKeyLength !== null ? ` ${k.minimalKeyLength}` : ''}`,
        yesNo(t.flags.enrollment.allowKeyBasedRenewal),
        yesNo(t.flags.enrollment.pendAllRequests),
        subjectSource(t),
        yesNo(t.permission.enroll),
        yesNo(t.permission.autoEnroll),
        t.caReferences.length ? t.caReferences.join(',') : '-',
      ]);
    }
    lines.push(table(rows));
  }
  lines.push('', `CAs (${policy.cas.length})`);
  for (const ca of policy.cas) {
    const summary = caSummary(ca.certificateDer);
    const expiry = summary.notAfter ? `, expires ${summary.notAfter.slice(0, 10)}` : '';
    lines.push(`  [${ca.referenceId}] ${summary.subject ?? '(unreadable certificate)'}${expiry}, enroll permission: ${yesNo(ca.enrollPermission)}`);
    if (ca.enrollmentUris.length > 0) {
      const rows = [['PRIORITY', 'AUTH', 'USE', 'URI']];
      for (const u of ca.enrollmentUris) {
        rows.push([u.priority !== null ? String(u.priority) : '-', `${u.authentication} (${u.clientAuthentication})`, u.renewalOnly ? 'renewal only' : 'new + renewal', u.uri]);
      }
      lines.push(table(rows).replace(/^ {2}/gm, '      '));
    }
  }
  return `${lines.join('\n')}\n`;
}
