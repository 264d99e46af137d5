// The readable form of `autoenroll doctor`: one block per endpoint, one line per check, and the
// cause and fix of the first failure under it; a summary line at the end.
import type { DoctorCheck, DoctorReport, EndpointReport } from '../../engine/doctorTypes.js';

const MARK: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

function heading(endpoint: EndpointReport): string {
  const facts = [
    endpoint.role === 'policy' ? 'policy server' : endpoint.renewalOnly ? 'enrollment, renewal only' : 'enrollment',
    `auth ${endpoint.auth}`,
    endpoint.priority !== null ? `priority ${endpoint.priority}` : undefined,
    endpoint.ca ? `CA ${endpoint.ca}` : undefined,
    endpoint.via ? `via proxy ${endpoint.via}` : undefined,
  ].filter((f): f is string => f !== undefined);
  return `${endpoint.healthy ? '[ OK ]' : '[FAIL]'} ${endpoint.url}\n       ${facts.join(', ')}`;
}

function endpointBlock(endpoint: EndpointReport): string {
  const lines = [heading(endpoint)];
  for (const check of endpoint.checks) lines.push(`       ${check.name.padEnd(10)} ${MARK[check.status]}  ${check.detail}`);
  for (const check of endpoint.checks.filter((c) => c.status === 'warn')) lines.push(`       warning: ${check.cause ?? check.detail}${check.fix ? ` — fix: ${check.fix}` : ''}`);
  if (endpoint.problem) {
    lines.push(`       cause: ${endpoint.problem.cause}`);
    lines.push(`       fix:   ${endpoint.problem.fix}`);
  }
  if (endpoint.learnedFrom && endpoint.learnedFrom.length > 0) lines.push(`       learned from ${endpoint.learnedFrom.join(', ')}`);
  return lines.join('\n');
}

export function renderDoctorReport(report: DoctorReport): string {
  const out: string[] = [`autoenroll doctor: ${report.configFile} at ${report.checkedAt.replace(/\.\d{3}Z$/, 'Z')}`, ''];
  for (const finding of report.general) {
    out.push(`${finding.status === 'fail' ? '[FAIL]' : finding.status === 'warn' ? '[WARN]' : '[note]'} ${finding.message}${finding.fix ? ` — fix: ${finding.fix}` : ''}`);
  }
  if (report.general.length > 0) out.push('');
  const policy = report.endpoints.filter((e) => e.role === 'policy');
  const enrollment = report.endpoints.filter((e) => e.role === 'enrollment');
  if (policy.length > 0) out.push('Policy servers (CEP)', ...policy.map(endpointBlock), '');
  if (enrollment.length > 0) out.push('Enrollment endpoints (CES) from the policy', ...enrollment.map(endpointBlock), '');
  const { endpoints, healthy, failing, warnings } = report.summary;
  const verdict = report.exitCode === 0 ? 'all healthy' : report.exitCode === 3 ? 'some endpoints are unreachable' : 'trust, credential or configuration problems';
  out.push(`${healthy} of ${endpoints} endpoints healthy, ${failing} failing, ${warnings} warnings: ${verdict}`);
  return `${out.join('\n')}\n`;
}
