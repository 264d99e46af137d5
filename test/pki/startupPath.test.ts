// certInfo, pem and keys are loaded by `autoenroll status` (120 ms whole-process budget): they must
// not pull asn1js/pkijs (~19 + ~16 ms to import) or any other package in.
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';

describe('modules on the status start-up path', () => {
  it.each(['certInfo', 'pem', 'keys'])('src/pki/%s.ts imports no package', async (name) => {
    const result = await build({
      entryPoints: [`src/pki/${name}.ts`],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    const packages = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules'));
    expect(packages).toEqual([]);
  });
});
