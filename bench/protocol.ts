// Parsing cost of the protocol layer: a generated Windows-shaped GetPoliciesResponse with 500
// templates (pretty-printed like a real CEP answer, ~2 MB), plus the small WSTEP documents.
import { parseGetPoliciesResponse } from '../src/protocol/xcepResponse.js';
import { buildGetPoliciesResponse } from '../src/protocol/xcepResponseBuilder.js';
import { parseXml } from '../src/protocol/xml.js';
import { buildIssueRequest } from '../src/protocol/wstepRequest.js';
import { parseWstepResponse } from '../src/protocol/wstepResponse.js';
import { generatePolicyResponse } from '../test/protocol/policyGenerator.js';
import { median, sample } from './types.js';
import type { BenchResult } from './types.js';

/** One element per line with indentation, roughly the size of a pretty-printed IIS/WCF answer. */
function pretty(xml: string): string {
  return xml.replace(/></g, '>\n        <');
}

/** CPU time per run: on a shared machine it is closer to the unloaded wall time than wall time is. */
function cpuSamples(fn: () => unknown, iterations: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    out.push((used.user + used.system) / 1000);
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const xml = pretty(buildGetPoliciesResponse(generatePolicyResponse(500), { relatesTo: 'urn:uuid:00000000-0000-0000-0000-000000000000' }));
  const bytes = Buffer.from(xml);
  const sizeMb = (bytes.byteLength / 1024 / 1024).toFixed(2);
  if (parseGetPoliciesResponse(bytes).templates.length !== 500) throw new Error('generated response did not parse to 500 templates');

  const policy = median(await sample(() => parseGetPoliciesResponse(bytes), 30, 5));
  const policyCpu = median(cpuSamples(() => parseGetPoliciesResponse(bytes), 30));
  const tree = median(await sample(() => parseXml(bytes), 30, 5));

  const issued = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse><RequestedSecurityToken><BinarySecurityToken xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${Buffer.alloc(1500, 7).toString('base64')}</BinarySecurityToken></RequestedSecurityToken><RequestID xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment">61</RequestID></RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection></s:Body></s:Envelope>`;
  const wstep = median(await sample(() => parseWstepResponse(issued), 200, 20));
  const der = new Uint8Array(1200).fill(5);
  const build = median(await sample(() => buildIssueRequest({ to: 'https://ca/CES', payloadDer: der, payloadType: 'pkcs10', usernameToken: { username: 'u', password: 'p' } }), 200, 20));

  return [
    { name: `parseGetPoliciesResponse, 500 templates (${sizeMb} MB)`, medianMs: policy, budgetMs: 50, note: `CPU median ${policyCpu.toFixed(1)} ms` },
    { name: `  of which parseXml element tree (${sizeMb} MB)`, medianMs: tree },
    { name: 'parseWstepResponse, issued RSTRC', medianMs: wstep },
    { name: 'buildIssueRequest with UsernameToken', medianMs: build },
  ];
}
