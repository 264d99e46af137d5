// The lab's GetPoliciesResponse is its templates mapped into the protocol model and written by the
// protocol builder: the agent's parser reads back exactly that model, with the Windows details the
// lab keeps (empty friendly name, nil elements, OID reference order).
import { describe, expect, it } from 'vitest';
import { labPolicyModel, renderGetPoliciesResponse } from '../../src/lab/policyResponse.js';
import type { PolicyCa, PolicyInput } from '../../src/lab/policyResponse.js';
import { defaultTemplates, resolveTemplate } from '../../src/lab/templates.js';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';

const templates = defaultTemplates().map(resolveTemplate);
const cas: PolicyCa[] = [
  {
    certDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
    templates: templates.map((t) => t.name),
    uris: [
      { clientAuthentication: 4, url: 'https://ces.lab.test/u', priority: 1, renewalOnly: false },
      { clientAuthentication: 8, url: 'https://ces.lab.test/c', priority: 2, renewalOnly: true },
    ],
  },
  { certDer: new Uint8Array([0x30, 0x00]), templates: [templates[0]!.name], uris: [] },
];

const readBack = (input: PolicyInput) => parseGetPoliciesResponse(renderGetPoliciesResponse(input));

describe('lab GetPoliciesResponse', () => {
  it('reads back through the agent parser as the model it was written from', () => {
    const input: PolicyInput = { policyId: '{lab}', templates: [{ ...templates[0]!, supersedes: ['Old', 'Older'] }, ...templates.slice(1)], cas, relatesTo: 'urn:uuid:1' };
    expect(readBack(input)).toEqual({ ...labPolicyModel(input), policyFriendlyName: null });
  });

  it('numbers OIDs in first-use order (EKUs, template, extensions) and points each template at its CAs', () => {
    const model = labPolicyModel({ policyId: '{lab}', templates: templates.slice(0, 1), cas });
    const t = model.templates[0]!;
    expect(model.oids.map((o) => o.group)).toEqual([...templates[0]!.extendedKeyUsages.map(() => 7), 9, 6, 6, 6]);
    expect(t.oidReference).toBe(model.oids.find((o) => o.group === 9)!.referenceId);
    expect(t.caReferences).toEqual([0, 1]);
    expect(t.extensions.map((e) => [e.oidReference, e.critical])).toEqual([
      [model.oids.length - 2, false],
      [model.oids.length - 1, false],
      [model.oids.length, true],
    ]);
  });

  it('keeps the Windows empty friendly name and nils an unchanged policy', () => {
    const xml = renderGetPoliciesResponse({ policyId: '{lab}', templates, cas, notChanged: true });
    expect(xml).toContain('<policyFriendlyName></policyFriendlyName><nextUpdateHours>8</nextUpdateHours><policiesNotChanged>true</policiesNotChanged><policies xsi:nil="true"/>');
    expect(xml).toContain('<cAs xsi:nil="true"/><oIDs xsi:nil="true"/>');
    expect(readBack({ policyId: '{lab}', templates, cas, notChanged: true })).toMatchObject({ policiesNotChanged: true, templates: [], cas: [], oids: [] });
  });
});
