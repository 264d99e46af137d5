// The lab's answers have the structure of real Windows answers: the set of element paths
// ({ns}local/…) of each lab body, read with the same XML parser, equals that of the capture.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../src/lab/lab.js';
import type { Lab } from '../../src/lab/lab.js';
import { parseWstepResponse } from '../../src/protocol/wstepResponse.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { parseXml } from '../../src/protocol/xml.js';
import type { XmlElement } from '../../src/protocol/xml.js';
import { hasSharedFixtures, readSharedFixtureText } from '../helpers/sharedFixtures.js';
import { hasOpenssl } from '../helpers/tools.js';
import { csr, getPoliciesXml, issueXml, post, queryXml, rsaKey, templateExtensionHex } from './rawClient.js';

const GET_POLICIES_RESPONSE = '{http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy}GetPoliciesResponse';

function paths(el: XmlElement, prefix = ''): Set<string> {
  const here = `${prefix}/{${el.ns}}${el.local}`;
  const out = new Set([here]);
  for (const child of el.children) for (const p of paths(child, here)) out.add(p);
  return out;
}

/** Paths below the first element with this name (cepces captures are bare bodies). */
function pathsFrom(xml: string, name: string): string[] {
  const find = (el: XmlElement): XmlElement | undefined => (`{${el.ns}}${el.local}` === name ? el : el.children.map(find).find(Boolean));
  const start = find(parseXml(xml));
  if (!start) throw new Error(`${name} not found`);
  return [...paths(start)].sort();
}

const allPaths = (xml: string): string[] => [...paths(parseXml(xml))].sort();

if (!hasSharedFixtures) console.warn('[skip] wire-shape comparison with real captures: ../shared/fixtures is absent');

describe.skipIf(!hasSharedFixtures || !hasOpenssl)('lab answers have the structure of real Windows answers', () => {
  let lab: Lab;
  let work: string;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lab-shape-'));
    lab = await startLab({ dir: join(work, 'lab'), port: 0 });
    const user = lab.users[0]!;
    const ca = lab.trustBundlePem;
    const cep = lab.endpoint('ADPolicyProvider_CEP_UsernamePassword').url;
    const ces = lab.endpoint('LAB-ISSUING-CA_CES_UsernamePassword').url;
    const ext = (name: string, major = 100) => templateExtensionHex(work, lab.templates.find((t) => t.name === name)!.oid, major, 1);
    const key = rsaKey(work, 'k');
    answers.policy = await post(cep, getPoliciesXml(cep, user), { ca });
    answers.issued = await post(ces, issueXml(ces, csr(work, 'a', key, '/CN=a.lab.test', ext('LabWebServer')), { user }), { ca });
    answers.pending = await post(ces, issueXml(ces, csr(work, 'b', key, '/CN=b.lab.test', ext('LabPending')), { user }), { ca });
    answers.badVersion = await post(ces, issueXml(ces, csr(work, 'c', key, '/CN=c.lab.test', ext('LabWebServer', 200)), { user }), { ca });
    answers.addressFilter = await post(cep, getPoliciesXml('', user), { ca });
    const pending = parseWstepResponse(answers.pending.body);
    if (pending.kind !== 'pending') throw new Error(pending.kind);
    await lab.deny(pending.requestId);
    answers.denied = await post(ces, queryXml(ces, pending.requestId, user), { ca });
  });
  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('issued RSTRC = adcs-rs standard_certificate_server_response.xml (MS-WSTEP example)', () => {
    const real = readSharedFixtureText('adcs-rs', 'wstep-rs', 'standard_certificate_server_response.xml');
    expect(allPaths(answers.issued!.body)).toEqual(allPaths(real));
    expect(parseWstepResponse(answers.issued!.body).kind).toBe(parseWstepResponse(real).kind);
  });

  it('enrollment fault = adcs-rs fault_bad_template_version_server_response.xml, same HRESULT', () => {
    const real = readSharedFixtureText('adcs-rs', 'wstep-rs', 'fault_bad_template_version_server_response.xml');
    expect(allPaths(answers.badVersion!.body)).toEqual(allPaths(real));
    const lab = parseWstepResponse(answers.badVersion!.body, 500);
    const windows = parseWstepResponse(real, 500);
    if (lab.kind !== 'fault' || windows.kind !== 'fault') throw new Error('expected faults');
    expect(lab.fault.detail?.hresult).toBe(windows.fault.detail?.hresult);
    expect(lab.fault.reason).toBe(windows.fault.reason);
  });

  it('AddressFilter mismatch = adcs-rs fault_address_filter_mismatch_server_response.xml, same text', () => {
    const real = readSharedFixtureText('adcs-rs', 'wstep-rs', 'fault_address_filter_mismatch_server_response.xml');
    expect(allPaths(answers.addressFilter!.body)).toEqual(allPaths(real));
    const lab = parseWstepResponse(answers.addressFilter!.body, 500);
    const windows = parseWstepResponse(real, 500);
    if (lab.kind !== 'fault' || windows.kind !== 'fault') throw new Error('expected faults');
    expect(lab.fault.reason).toBe(windows.fault.reason);
  });

  it('GetPoliciesResponse = cepces GET_SUPPORTED_TEMPLATES_XML.xml (a real CEP, re-serialized body)', () => {
    const real = readSharedFixtureText('cepces', 'GET_SUPPORTED_TEMPLATES_XML.xml');
    expect(pathsFrom(answers.policy!.body, GET_POLICIES_RESPONSE)).toEqual(pathsFrom(real, GET_POLICIES_RESPONSE));
    expect(parseGetPoliciesResponse(answers.policy!.body).templates.length).toBeGreaterThan(0);
  });

  it('pending RSTRC and denied fault = the adcs_python emulator captures 05 and 09 (no Windows capture exists)', () => {
    const pending = readSharedFixtureText('adcs_python', 'captures', '05-issue-pending.response.xml');
    const denied = readSharedFixtureText('adcs_python', 'captures', '09-query-denied.response.xml');
    expect(allPaths(answers.pending!.body)).toEqual(allPaths(pending));
    expect(allPaths(answers.denied!.body)).toEqual(allPaths(denied));
    const lab = parseWstepResponse(answers.denied!.body, 500);
    const other = parseWstepResponse(denied, 500);
    if (lab.kind !== 'fault' || other.kind !== 'fault') throw new Error('expected faults');
    expect(lab.fault.detail?.hresult).toBe(other.fault.detail?.hresult);
  });
});
