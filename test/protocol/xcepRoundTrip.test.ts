import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGetPoliciesResponse } from '../../src/protocol/xcepResponse.js';
import { buildGetPoliciesResponse } from '../../src/protocol/xcepResponseBuilder.js';
import { buildModel, generatePolicyResponse, templateSeed } from './policyGenerator.js';

// Printable, trimmed, non-empty: the parser trims element text, as Windows never pads these values.
const name = fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[^\x21-\x7e\u00a0-\ud7ff]/g, 'x').trim() || 'n');
const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('GetPoliciesResponse round trip', () => {
  it('parses a generated 500-template response back into the same model', () => {
    const model = generatePolicyResponse(500);
    const xml = buildGetPoliciesResponse(model, { relatesTo: 'urn:uuid:x' });
    expect(xml.length).toBeGreaterThan(800_000);
    expect(parseGetPoliciesResponse(xml)).toEqual(model);
  });

  it('property: parse(build(x)) == x for templates with arbitrary names, periods and flag words', () => {
    const seed = fc.record({
      commonName: name,
      validitySeconds: fc.integer({ min: 1, max: 2 ** 40 }),
      renewalSeconds: fc.integer({ min: 1, max: 2 ** 40 }),
      minimalKeyLength: fc.constantFrom(256, 384, 2048, 4096),
      privateKeyFlags: u32,
      subjectNameFlags: u32,
      enrollmentFlags: u32,
      generalFlags: u32,
      major: fc.nat(1000),
      minor: fc.nat(1000),
      superseded: fc.array(name, { maxLength: 3 }),
      providers: fc.array(name, { maxLength: 3 }),
      critical: fc.boolean(),
      enroll: fc.boolean(),
      autoEnroll: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(seed, { minLength: 0, maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (seeds, caDer) => {
        const model = buildModel(seeds, caDer);
        expect(parseGetPoliciesResponse(buildGetPoliciesResponse(model))).toEqual(model);
      }),
      { numRuns: 150 },
    );
  });

  it('a decoded flag word matches its named booleans', () => {
    const model = buildModel([{ ...templateSeed(0), enrollmentFlags: 0x10002, privateKeyFlags: 0x80 | 0x2000 | 0x06050000 }]);
    const t = parseGetPoliciesResponse(buildGetPoliciesResponse(model)).templates[0]!;
    expect(t.flags.enrollment).toMatchObject({ allowKeyBasedRenewal: true, pendAllRequests: true, skipAutoRenewal: false });
    expect(t.flags.privateKey).toMatchObject({ requireSameKeyRenewal: true, attestationRequired: true, clientVersion: 6, serverVersion: 5 });
  });
});
