// Step 7: what the agent's own `status` says now, the certificate's history, and a clean stop.
import type { StatusRow } from '../../engine/statusView.js';
import { ExitCode } from '../../errors.js';
import { agentCommand, check, isoSeconds, need } from './story.js';
import type { DemoStep } from './story.js';

export const summaryStep: DemoStep = {
  name: 'summary',
  title: 'Summary and clean shutdown',
  async run(state) {
    const { narrator } = state;
    const lab = need(state.lab, 'the lab');
    const status = await agentCommand<StatusRow[]>(state, 'status', {}, ExitCode.OK);
    const row = status.document?.[0];
    check(row !== undefined, '"autoenroll status" printed no row');
    const last = state.generations.at(-1);
    check(row.generation === state.generations.length && row.thumbprint === last?.thumbprint, `status shows generation ${row.generation} ${row.thumbprint}, expected the last renewal`);
    const requests = lab.requestLog();
    await lab.close();
    state.lab = undefined;

    narrator.fact('status', `${row.id}: ${row.state}, generation ${row.generation}, valid until ${row.notAfter ? isoSeconds(row.notAfter) : '-'}`);
    narrator.fact(
      'generations',
      state.generations.map((g, index) => `${index + 1}. serial ${g.serial}  thumbprint ${g.thumbprint}  until ${isoSeconds(g.notAfter)}`),
    );
    narrator.fact('lab requests', `${requests.length} (all in ${lab.dir}/requests.log)`);
    narrator.fact('lab', 'stopped');
    return {
      summary: `${state.generations.length} certificates for one identity: enrolled with a password once, then renewed by key`,
      facts: {
        status: row as unknown as Record<string, unknown>,
        generations: state.generations.map((g, index) => ({ generation: index + 1, serial: g.serial, thumbprint: g.thumbprint, notAfter: g.notAfter })),
        labRequests: requests.length,
        labStopped: true,
      },
    };
  },
};
