// Steps 1–4: the lab comes up, the agent enrolls with username and password, the CA manager
// approves the pending request, and the agent retrieves and installs the certificate.
import { join } from 'node:path';
import type { PlanDocument } from '../commands/plan.js';
import type { PassResult } from '../../engine/agentTypes.js';
import { startLab } from '../../lab/lab.js';
import { ExitCode } from '../../errors.js';
import {
  CEP_CERTIFICATE,
  CEP_USERNAME,
  CES_CERTIFICATE_BACKUP,
  CES_CERTIFICATE_PRIMARY,
  CES_USERNAME,
  DEMO_CAS,
  DEMO_PASSWORD_VARIABLE,
  DEMO_TEMPLATE,
  writeDemoConfig,
} from './demoSetup.js';
import { checkInstalled } from './installedCheck.js';
import { StepFailed, agentCommand, certificateOf, check, isoSeconds, labEntries, logLine, need } from './story.js';
import type { DemoStep } from './story.js';

export const startLabStep: DemoStep = {
  name: 'lab',
  title: 'Start the built-in AD CS lab and write the agent configuration',
  async run(state) {
    const { narrator, context } = state;
    narrator.say(
      'The lab speaks CEP (MS-XCEP) and CES (MS-WSTEP) over HTTPS like IIS on Windows, with a\n' +
        'throwaway root and issuing CA. Its CA publishes one username CES and two renewal-only\n' +
        'certificate CES instances (priority 1, and priority 2 on another port for failover).',
    );
    const verbose = context.globals.verbose;
    const lab = await startLab({
      dir: join(state.dir, 'lab'),
      port: 0,
      templates: [DEMO_TEMPLATE],
      cas: DEMO_CAS,
      ...(verbose ? { log: (e) => void context.stderr.write(`lab: ${e.endpoint} ${e.operation} ${e.auth} → ${e.outcome}\n`) } : {}),
    });
    state.lab = lab;
    const files = await writeDemoConfig(lab, join(state.dir, 'agent'));
    state.files = files;
    const user = need(lab.users[0], 'the lab user');
    const env: NodeJS.ProcessEnv = { ...context.env, [DEMO_PASSWORD_VARIABLE]: user.password };
    // Real time only: a clock override for tests must not leak into the demo.
    delete env.AUTOENROLL_TEST_CLOCK;
    delete env.AUTOENROLL_CONFIG;
    state.setup = { configPath: files.configPath, env, cwd: files.agentDir };

    const url = (name: string) => lab.endpoint(name).url;
    const template = `${DEMO_TEMPLATE.name}: CA manager approval, key-based renewal, validity ${DEMO_TEMPLATE.validitySeconds} s, renewal period ${DEMO_TEMPLATE.renewalSeconds} s`;
    narrator.fact('lab folder', lab.dir);
    narrator.fact('template', template);
    narrator.fact('policy CEP', [`priority 1   certificate  ${url(CEP_CERTIFICATE)}`, `priority 10  username     ${url(CEP_USERNAME)}`]);
    narrator.fact('enrollment CES', [
      `username                         ${url(CES_USERNAME)}`,
      `certificate priority 1 (renewal) ${url(CES_CERTIFICATE_PRIMARY)}`,
      `certificate priority 2 (renewal) ${url(CES_CERTIFICATE_BACKUP)}`,
    ]);
    narrator.fact('agent config', files.configPath);
    narrator.fact('password', `${user.username}, read from $${DEMO_PASSWORD_VARIABLE} (never on the command line)`);
    narrator.fact('trust.caFile', lab.trustBundlePath);
    return {
      summary: 'lab listening on loopback; agent configuration written',
      facts: {
        labDir: lab.dir,
        policyId: lab.policyId,
        template: DEMO_TEMPLATE.name,
        validitySeconds: DEMO_TEMPLATE.validitySeconds,
        renewalSeconds: DEMO_TEMPLATE.renewalSeconds,
        endpoints: lab.endpoints.map((e) => ({ name: e.name, kind: e.kind, auth: e.auth, priority: e.priority, renewalOnly: e.renewalOnly, url: e.url })),
        config: files.configPath,
        passwordVariable: DEMO_PASSWORD_VARIABLE,
        trustBundle: lab.trustBundlePath,
      },
    };
  },
};

export const enrollStep: DemoStep = {
  name: 'enroll',
  title: 'First enrollment with username and password (autoenroll enroll)',
  async run(state) {
    const { narrator } = state;
    const lab = need(state.lab, 'the lab');
    narrator.say(
      'No certificate yet, so the certificate CEP cannot be used: the agent fetches the policy with a\n' +
        'WS-Security UsernameToken, generates an RSA 2048 key locally and submits a PKCS#10 request\n' +
        'to the username CES. The template requires CA manager approval, so the CA answers "pending".',
    );
    const logStart = lab.requestLog().length;
    const run = await agentCommand<PassResult>(state, 'enroll', {}, ExitCode.PENDING);
    const result = certificateOf(run);
    check(result.outcome === 'pending' && result.requestId !== null, `enroll reported ${result.outcome}, expected a pending request with a RequestID`);
    const submitted = labEntries(lab, logStart, { operation: 'Issue', requestId: result.requestId, outcome: 'pending' })[0];
    check(submitted !== undefined, `the lab's log has no pending Issue for RequestID ${result.requestId}`);
    check(submitted.endpoint === CES_USERNAME && submitted.auth.startsWith('username:'), `request ${result.requestId} went to ${submitted.endpoint} (${submitted.auth}), expected ${CES_USERNAME} with a UsernameToken`);
    state.requestId = result.requestId;
    narrator.fact('command', run.commandLine.replace(/ --json$/, ''));
    narrator.fact('template', DEMO_TEMPLATE.name);
    narrator.fact('endpoint', need(result.endpoint, 'the CES URL'));
    narrator.fact('RequestID', result.requestId);
    narrator.fact('exit code', `${run.exitCode} (pending: waiting for CA manager approval)`);
    narrator.fact('lab log', logLine(submitted));
    return {
      summary: `request ${result.requestId} is pending CA manager approval`,
      facts: { command: run.commandLine, exitCode: run.exitCode, template: DEMO_TEMPLATE.name, requestId: result.requestId, endpoint: result.endpoint, status: result.status, labLog: submitted as unknown as Record<string, unknown> },
    };
  },
};

export const approveStep: DemoStep = {
  name: 'approve',
  title: 'The CA manager approves the request',
  async run(state) {
    const lab = need(state.lab, 'the lab');
    const requestId = need(state.requestId, 'the RequestID');
    state.narrator.say(`What "autoenroll lab approve ${requestId} --dir ${lab.dir}" does from another terminal.`);
    const decided = await lab.approve(requestId);
    check(decided.status === 'approved', `the lab reports request ${requestId} as ${decided.status}, expected approved`);
    state.narrator.fact('RequestID', requestId);
    state.narrator.fact('status', decided.status);
    return { summary: `request ${requestId} approved`, facts: { requestId, status: decided.status } };
  },
};

export const retrieveStep: DemoStep = {
  name: 'retrieve',
  title: 'Retrieve and install the issued certificate (autoenroll retrieve)',
  async run(state) {
    const { narrator } = state;
    const lab = need(state.lab, 'the lab');
    const files = need(state.files, 'the agent files');
    const requestId = need(state.requestId, 'the RequestID');
    narrator.say(
      'The agent asks the CES that accepted the request, and only that one, for RequestID ' + requestId + '\n' +
        '(QueryTokenStatus), verifies the certificate against its key and the CA, and installs it.',
    );
    const logStart = lab.requestLog().length;
    const run = await agentCommand<PassResult>(state, 'retrieve', {}, ExitCode.OK);
    const result = certificateOf(run);
    check(result.outcome === 'issued' && result.generation === 1, `retrieve reported ${result.outcome} (generation ${result.generation}), expected the first certificate issued`);
    const query = labEntries(lab, logStart, { operation: 'QueryTokenStatus', requestId, outcome: 'issued' })[0];
    check(query !== undefined && query.endpoint === CES_USERNAME, `the lab's log has no issued QueryTokenStatus for ${requestId} at ${CES_USERNAME}`);

    const installed = await checkInstalled(files, lab.trustBundlePem, state.now());
    check(installed.problems.length === 0, `the installed certificate does not check out: ${installed.problems.join('; ')}`);
    check(installed.thumbprint === result.thumbprint, `the certificate file (${installed.thumbprint}) is not the one the agent reported (${result.thumbprint})`);
    state.generations.push(installed);

    const plan = await agentCommand<PlanDocument>(state, 'plan', {}, ExitCode.OK);
    const planned = plan.document?.certificates[0];
    const windowStart = planned?.windowStart ? Date.parse(planned.windowStart) : NaN;
    if (!Number.isFinite(windowStart)) throw new StepFailed('"autoenroll plan" did not report when the renewal window opens', 1, plan.stderr);
    state.windowStartMs = windowStart;

    narrator.fact('subject', installed.subject);
    narrator.fact('serial', installed.serial);
    narrator.fact('thumbprint', installed.thumbprint);
    narrator.fact('validity', `${isoSeconds(installed.notBefore)} → ${isoSeconds(installed.notAfter)}`);
    narrator.fact('files', [files.certPath, `${files.keyPath} (mode ${installed.keyFileMode}, matches the certificate)`, files.chainPath]);
    narrator.fact('chain', `${installed.chain.join(' ← ')}: signatures verified`);
    narrator.fact('renewal window', `opens ${isoSeconds(windowStart)} (notAfter − ${DEMO_TEMPLATE.renewalSeconds} s), from "autoenroll plan"`);
    return {
      summary: `certificate ${installed.thumbprint} installed, valid until ${isoSeconds(installed.notAfter)}`,
      facts: {
        command: run.commandLine,
        requestId,
        endpoint: result.endpoint,
        generation: 1,
        subject: installed.subject,
        serial: installed.serial,
        thumbprint: installed.thumbprint,
        notBefore: installed.notBefore,
        notAfter: installed.notAfter,
        chain: installed.chain,
        chainVerified: true,
        keyMatches: installed.keyMatches,
        keyFileMode: installed.keyFileMode,
        files: [files.certPath, files.keyPath, files.chainPath],
        windowStart: new Date(windowStart).toISOString(),
        labLog: query as unknown as Record<string, unknown>,
      },
    };
  },
};
