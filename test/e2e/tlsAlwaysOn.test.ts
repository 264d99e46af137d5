// NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment of the real CLI process changes nothing: an
// untrusted server and a server whose certificate names another host are refused during the
// handshake (exit 4), the lab receives no request at all (least of all the password), the
// process warns once that the variable is ignored, and `doctor` reports it.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { bundleCli, runBundle } from './cliBundle.js';
import { useAgentLab } from './agentLab.js';

const OVERRIDE = { NODE_TLS_REJECT_UNAUTHORIZED: '0' };

/** Forwards TCP from 127.0.0.2:port to the lab: the same server reached under a name its certificate does not carry. */
async function forwarder(target: URL): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port), target.hostname);
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

describe('TLS verification is always on', () => {
  const env = useAgentLab();
  let bundle: string;
  let forward: Awaited<ReturnType<typeof forwarder>> | undefined;
  beforeAll(async () => {
    bundle = await bundleCli();
  }, 120_000);
  afterAll(async () => {
    for (const socket of forward?.sockets ?? []) socket.destroy();
    await new Promise((resolve) => (forward ? forward.server.close(resolve) : resolve(undefined)));
  });

  interface ConfigDoc {
    trust?: unknown;
    policyServers: { url: string; auth: string }[];
  }
  function rewrite(config: string, change: (doc: ConfigDoc) => void): void {
    const doc = parse(readFileSync(config, 'utf8')) as ConfigDoc;
    change(doc);
    writeFileSync(config, stringify(doc));
  }

  it('an untrusted server: enroll exits 4, nothing reaches the lab, one warning', async () => {
    const config = env.writeConfig('untrusted', [{ id: 'web', template: 'TestInstant' }]);
    rewrite(config, (doc) => {
      delete doc.trust;
    });
    const before = env.lab.requestLog().length;
    const result = await runBundle(bundle, ['--config', config, 'enroll'], { ...env.vars, ...OVERRIDE }, 60_000);
    expect(result.code, result.stderr).toBe(4);
    expect(env.lab.requestLog().length - before).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('TLS_VERIFY_OVERRIDE_IGNORED'));
    expect(warnings).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain(env.password);
  }, 90_000);

  it('a server whose certificate names another host: enroll exits 4, nothing reaches the lab', async () => {
    const config = env.writeConfig('wrong-name', [{ id: 'web', template: 'TestInstant' }]);
    const cep = new URL(env.lab.endpoints.find((e) => e.kind === 'cep' && e.auth === 'username')!.url);
    forward = await forwarder(cep);
    rewrite(config, (doc) => {
      doc.policyServers = doc.policyServers
        .filter((server) => server.auth === 'username')
        .map((server) => ({ ...server, url: `https://127.0.0.2:${forward!.port}${cep.pathname}` }));
    });
    const before = env.lab.requestLog().length;
    const result = await runBundle(bundle, ['--config', config, '--json', 'enroll'], { ...env.vars, ...OVERRIDE }, 60_000);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout + result.stderr).toMatch(/TLS_HOSTNAME_MISMATCH|host ?name/i);
    expect(env.lab.requestLog().length - before).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(env.password);
  }, 90_000);

  it('doctor reports the ignored variable', async () => {
    const config = env.writeConfig('doctor', [{ id: 'web', template: 'TestInstant' }]);
    const result = await runBundle(bundle, ['--config', config, '--json', 'doctor'], { ...env.vars, ...OVERRIDE }, 60_000);
    const report = JSON.parse(result.stdout) as { general: { code: string; status: string }[] };
    expect(report.general).toContainEqual(expect.objectContaining({ code: 'TLS_VERIFY_OVERRIDE_IGNORED', status: 'warn' }));
  }, 90_000);
});
