// What the `autoenroll run` tests share: a service lab started before the tests of the enclosing
// describe, the service they start (killed after them if a test left it running), and the built
// CLI run as a process.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { CLI, startService, startServiceLab } from '../daemon/helpers/serviceLab.js';
import type { ServiceLab, ServiceProcess } from '../daemon/helpers/serviceLab.js';

export interface RunFixture {
  readonly lab: ServiceLab;
  /** Starts `autoenroll run --config <config>` with the lab's environment. */
  startService(config: string): ServiceProcess;
}

/** Registers beforeAll/afterAll: the lab is started before the tests, the service killed and the lab closed after. */
export function useRunFixture(): RunFixture {
  let lab: ServiceLab | undefined;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    lab = await startServiceLab();
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await lab?.close();
  });
  const current = (): ServiceLab => {
    if (!lab) throw new Error('the service lab is started in beforeAll');
    return lab;
  };
  return {
    get lab() {
      return current();
    },
    startService(config) {
      service = startService(config, current().env);
      return service;
    },
  };
}

/** Runs the built CLI as a process; resolves with its exit code and output (never rejects). */
export function runBuiltCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }));
  });
}
