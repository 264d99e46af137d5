// The Windows registration: a Task Scheduler task (XML in UTF-16 LE) and the schtasks/icacls command
// lines. Nothing here runs on Windows: the XML is parsed with our XML parser, validated with libxml2
// against the Task Scheduler schema subset beside this file, and the commands are compared exactly.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { loadConfig } from '../../src/config/index.js';
import { controlSocketPath } from '../../src/daemon/controlPath.js';
import { planService } from '../../src/daemon/serviceInstall.js';
import { DEFAULT_SERVICE_PARAMS } from '../../src/daemon/serviceFiles.js';
import {
  DEFAULT_WINDOWS_TASK_PARAMS,
  encodeWindowsTaskXml,
  quoteWindowsArg,
  renderWindowsTaskXml,
  windowsTaskArguments,
  windowsTaskCommands,
} from '../../src/daemon/windowsTask.js';
import type { WindowsTaskParams } from '../../src/daemon/windowsTask.js';
import { child, childText, parseXml } from '../../src/protocol/xml.js';
import type { XmlElement } from '../../src/protocol/xml.js';

const repo = path.resolve(import.meta.dirname, '../..');
const TASK = 'http://schemas.microsoft.com/windows/2004/02/mit/task';
const schema = { fileName: 'task.xsd', contents: readFileSync(path.join(import.meta.dirname, 'service-task-schema.xsd'), 'utf8') };

const spaced: WindowsTaskParams = {
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  cliPath: 'C:\\Program Files\\autoenroll\\node_modules\\autoenroll\\bin\\autoenroll.js',
  configPath: 'C:\\ProgramData\\auto enroll\\config.yaml',
};
const winEnv = { ProgramData: 'C:\\ProgramData', SystemRoot: 'C:\\Windows' };

async function schemaErrors(bytes: Uint8Array): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'task.xml', contents: bytes }], schema: [schema] });
  return result.errors.map((e) => e.rawMessage);
}

function path_(root: XmlElement, ...names: string[]): XmlElement | undefined {
  let el: XmlElement | undefined = root;
  for (const name of names) el = child(el, TASK, name);
  return el;
}

/** The Microsoft C runtime's command-line splitting (what node.exe does to Arguments), from its documented rules. */
function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; ) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) {
          current += '"';
          i++;
        }
      } else current += '\\'.repeat(n);
      inArg = true;
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
      inArg = true;
      i++;
      continue;
    }
    if ((c === ' ' || c === '\t') && !quoted) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
      i++;
      continue;
    }
    current += c;
    inArg = true;
    i++;
  }
  if (inArg) args.push(current);
  return args;
}

describe('Windows task definition', () => {
  it('the shipped service/autoenroll-task.xml is the render with the default paths, byte for byte', () => {
    const shipped = readFileSync(path.join(repo, 'service/autoenroll-task.xml'));
    expect(shipped.equals(encodeWindowsTaskXml(renderWindowsTaskXml(DEFAULT_WINDOWS_TASK_PARAMS)))).toBe(true);
  });

  it('is UTF-16 LE with a BOM and declares UTF-16', () => {
    const bytes = encodeWindowsTaskXml(renderWindowsTaskXml(spaced));
    expect([...bytes.subarray(0, 4)]).toEqual([0xff, 0xfe, 0x3c, 0x00]);
    expect(new TextDecoder('utf-16le').decode(bytes.subarray(2))).toMatch(/^<\?xml version="1\.0" encoding="UTF-16"\?>/);
  });

  it('starts at boot as SYSTEM, never times out, keeps one instance and restarts', () => {
    const task = parseXml(encodeWindowsTaskXml(renderWindowsTaskXml(spaced)));
    expect([task.ns, task.local, task.attrs.version]).toEqual([TASK, 'Task', '1.3']);
    expect(childText(path_(task, 'RegistrationInfo'), TASK, 'URI')).toBe('\\autoenroll\\agent');

    const triggers = path_(task, 'Triggers')!;
    expect(triggers.children.map((t) => t.local)).toEqual(['BootTrigger', 'TimeTrigger']);
    expect(childText(triggers.children[0], TASK, 'Enabled')).toBe('true');
    const repetition = path_(triggers.children[1]!, 'Repetition')!;
    expect(childText(repetition, TASK, 'Interval')).toBe('PT1H');
    expect(child(repetition, TASK, 'Duration')).toBeUndefined(); // no Duration: repeats without end

    const principal = path_(task, 'Principals', 'Principal')!;
    expect(childText(principal, TASK, 'UserId')).toBe('S-1-5-18');
    expect(childText(principal, TASK, 'RunLevel')).toBe('HighestAvailable');
    expect(child(principal, TASK, 'LogonType')).toBeUndefined();

    const settings = path_(task, 'Settings')!;
    const setting = (name: string): string | undefined => childText(settings, TASK, name);
    expect(setting('MultipleInstancesPolicy')).toBe('IgnoreNew');
    expect(setting('ExecutionTimeLimit')).toBe('PT0S');
    expect(setting('DisallowStartIfOnBatteries')).toBe('false');
    expect(setting('StopIfGoingOnBatteries')).toBe('false');
    expect(setting('StartWhenAvailable')).toBe('true');
    expect(setting('RunOnlyIfIdle')).toBe('false');
    expect(setting('Enabled')).toBe('true');
    expect(childText(path_(settings, 'RestartOnFailure'), TASK, 'Interval')).toBe('PT1M');
    expect(childText(path_(settings, 'RestartOnFailure'), TASK, 'Count')).toBe('255');

    const actions = path_(task, 'Actions')!;
    expect(actions.attrs.Context).toBe(principal.attrs.id);
    const exec = path_(actions, 'Exec')!;
    expect(childText(exec, TASK, 'Command')).toBe('C:\\Program Files\\nodejs\\node.exe');
    expect(childText(exec, TASK, 'Arguments')).toBe(
      '"C:\\Program Files\\autoenroll\\node_modules\\autoenroll\\bin\\autoenroll.js" run --config "C:\\ProgramData\\auto enroll\\config.yaml"',
    );
    expect(childText(exec, TASK, 'WorkingDirectory')).toBe('C:\\ProgramData\\auto enroll');
  });

  it('validates against the Task Scheduler schema, which also catches a broken definition', async () => {
    expect(await schemaErrors(encodeWindowsTaskXml(renderWindowsTaskXml(spaced)))).toEqual([]);
    expect(await schemaErrors(readFileSync(path.join(repo, 'service/autoenroll-task.xml')))).toEqual([]);
    const good = renderWindowsTaskXml(spaced);
    const broken = [
      good.replace('<Count>255</Count>', '<Count>999</Count>'), // xs:unsignedByte
      good.replace('<Interval>PT1M</Interval>', '<Interval>PT30S</Interval>'),
      good.replace('Context="LocalSystem"', 'Context="Someone"'),
      good.replace('<MultipleInstancesPolicy>IgnoreNew<', '<MultipleInstancesPolicy>Ignore<'),
      good.replace('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>', '<ExecutionTimeLimt>PT0S</ExecutionTimeLimt>'),
      good.replace(/<Enabled>true<\/Enabled>\n(\s*)<StartBoundary>(.*)<\/StartBoundary>/, '<StartBoundary>$2</StartBoundary>\n$1<Enabled>true</Enabled>'),
    ];
    for (const xml of broken) {
      expect(xml).not.toBe(good);
      expect(await schemaErrors(encodeWindowsTaskXml(xml))).not.toEqual([]);
    }
  });

  it('escapes XML specials in paths and parses back to the same values', () => {
    const params = { ...spaced, configPath: 'C:\\R&D <lab>\\config.yaml' };
    const xml = renderWindowsTaskXml(params);
    expect(xml).toContain('C:\\R&amp;D &lt;lab&gt;\\config.yaml');
    const exec = path_(parseXml(encodeWindowsTaskXml(xml)), 'Actions', 'Exec')!;
    expect(splitWindowsCommandLine(childText(exec, TASK, 'Arguments')!)).toEqual([params.cliPath, 'run', '--config', params.configPath]);
  });

  it('refuses paths Task Scheduler would change or cannot hold', () => {
    expect(() => renderWindowsTaskXml({ ...spaced, configPath: 'C:\\100%\\config.yaml' })).toThrow(expect.objectContaining({ code: 'SERVICE_TASK_PATH' }));
    expect(() => renderWindowsTaskXml({ ...spaced, nodePath: `C:\\${'n'.repeat(260)}\\node.exe` })).toThrow(/longer than 260/);
  });
});

describe('Windows command lines', () => {
  it('quotes like the C runtime splits: spaces, quotes, trailing backslashes', () => {
    expect(quoteWindowsArg('C:\\Program Files\\x.js')).toBe('"C:\\Program Files\\x.js"');
    expect(quoteWindowsArg('C:\\plain\\x.js')).toBe('C:\\plain\\x.js');
    expect(quoteWindowsArg('C:\\plain\\x.js', true)).toBe('"C:\\plain\\x.js"');
    expect(quoteWindowsArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(quoteWindowsArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWindowsArg('')).toBe('""');
    expect(windowsTaskArguments(spaced)).toBe(
      '"C:\\Program Files\\autoenroll\\node_modules\\autoenroll\\bin\\autoenroll.js" run --config "C:\\ProgramData\\auto enroll\\config.yaml"',
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '\\', '"', '\t', 'é') }), { minLength: 1, maxLength: 4 }), (args) => {
        expect(splitWindowsCommandLine(args.map((a) => quoteWindowsArg(a)).join(' '))).toEqual(args);
      }),
    );
  });

  it('composes schtasks and icacls from %SystemRoot%, with the task name and the file', () => {
    const c = windowsTaskCommands(winEnv);
    const schtasks = 'C:\\Windows\\System32\\schtasks.exe';
    expect(c.create('C:\\ProgramData\\autoenroll\\autoenroll-task.xml')).toEqual([
      schtasks, '/Create', '/TN', '\\autoenroll\\agent', '/XML', 'C:\\ProgramData\\autoenroll\\autoenroll-task.xml', '/F',
    ]);
    expect(c.run).toEqual([schtasks, '/Run', '/TN', '\\autoenroll\\agent']);
    expect(c.end).toEqual([schtasks, '/End', '/TN', '\\autoenroll\\agent']);
    expect(c.delete).toEqual([schtasks, '/Delete', '/TN', '\\autoenroll\\agent', '/F']);
    expect(c.query).toEqual([schtasks, '/Query', '/TN', '\\autoenroll\\agent', '/V', '/FO', 'LIST']);
    expect(c.restrictFolder('C:\\ProgramData\\autoenroll\\state')).toEqual([
      'C:\\Windows\\System32\\icacls.exe', 'C:\\ProgramData\\autoenroll\\state', '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F',
    ]);
    expect(windowsTaskCommands({}).run[0]).toBe(schtasks);
  });
});

describe('service plan on Windows', () => {
  const params = { ...DEFAULT_SERVICE_PARAMS, ...spaced };

  it('install writes the task file, locks the state folder, registers and starts the task', () => {
    const plan = planService('install', 'win32', params, { env: winEnv, stateDir: 'D:\\autoenroll\\state' });
    expect(plan.unitPath).toBe('C:\\ProgramData\\autoenroll\\autoenroll-task.xml');
    const c = windowsTaskCommands(winEnv);
    expect(plan.steps).toEqual([
      { kind: 'write', path: plan.unitPath, content: renderWindowsTaskXml(spaced), mode: 0o644, encoding: 'utf-16le-bom' },
      { kind: 'mkdir', path: 'D:\\autoenroll\\state' },
      { kind: 'run', argv: c.restrictFolder('D:\\autoenroll\\state') },
      { kind: 'run', argv: c.create('C:\\ProgramData\\autoenroll\\autoenroll-task.xml') },
      { kind: 'run', argv: c.run },
    ]);
    expect(plan.nextSteps).toEqual([]);
    expect(plan.notes.join('\n')).toMatch(/does not keep its stderr/);
  });

  it('install --unit-dir only writes the file there and prints the rest; the default state folder comes from %ProgramData%', () => {
    const plan = planService('install', 'win32', params, { env: winEnv, unitDir: '/tmp/stage' });
    expect(plan.unitPath).toBe('/tmp/stage/autoenroll-task.xml');
    expect(plan.steps.map((s) => s.kind)).toEqual(['write']);
    expect(plan.nextSteps[0]).toEqual(['mkdir', 'C:\\ProgramData\\autoenroll\\state']);
    expect(plan.nextSteps.at(-2)).toEqual(windowsTaskCommands(winEnv).create('/tmp/stage/autoenroll-task.xml'));
  });

  it('uninstall ends and deletes the task and removes the file; status queries it', () => {
    const c = windowsTaskCommands(winEnv);
    expect(planService('uninstall', 'win32', params, { env: winEnv }).steps).toEqual([
      { kind: 'run', argv: c.end, optional: true },
      { kind: 'run', argv: c.delete },
      { kind: 'remove', path: 'C:\\ProgramData\\autoenroll\\autoenroll-task.xml' },
    ]);
    expect(planService('status', 'win32', params, { env: winEnv }).steps).toEqual([{ kind: 'run', argv: c.query, optional: true }]);
  });

  it('warns about what changes under SYSTEM: user-profile installs and keyring/env secrets', () => {
    const plan = planService(
      'install',
      'win32',
      { ...params, cliPath: 'C:\\Users\\admin\\AppData\\Roaming\\npm\\node_modules\\autoenroll\\bin\\autoenroll.js' },
      { env: winEnv, secretSources: ['keyring', 'env'] },
    );
    const notes = plan.notes.join('\n');
    expect(notes).toMatch(/the CLI is in a user profile/);
    expect(notes).toMatch(/Credential Manager of SYSTEM/);
    expect(notes).toMatch(/environment of SYSTEM/);
  });
});

describe('control pipe under the task', () => {
  it('SYSTEM (the task) and an administrator name the same pipe for the same config', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ae-pipe-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'policyServers:\n  - url: https://cep.example.com/CEP\n    auth: certificate\ncertificates: []\n');
    // SYSTEM's environment has no user profile; an elevated prompt has the administrator's. Only
    // %ProgramData% feeds the default state folder, and the pipe name ignores case.
    const system = { ProgramData: 'C:\\ProgramData', USERPROFILE: 'C:\\Windows\\system32\\config\\systemprofile', USERNAME: 'SYSTEM' };
    const admin = { PROGRAMDATA: 'C:\\PROGRAMDATA', USERPROFILE: 'C:\\Users\\admin', USERNAME: 'admin' };
    const asSystem = await loadConfig(file, { env: system, platform: 'win32' });
    const asAdmin = await loadConfig(file, { env: admin, platform: 'win32' });
    expect(asSystem.stateDir).toBe('C:\\ProgramData\\autoenroll\\state');
    expect(controlSocketPath(asSystem.stateDir, 'win32')).toBe(controlSocketPath(asAdmin.stateDir, 'win32'));
    expect(controlSocketPath(asSystem.stateDir, 'win32')).toMatch(/^\\\\\.\\pipe\\autoenroll-[0-9a-f]{16}$/);
  });
});
