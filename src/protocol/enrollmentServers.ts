// msPKI-Enrollment-Servers values (protocol.md §8): five LF-separated fields
// "<priority>\n<authType>\n<renewalOnly 0|1>\n<URI>\n<keyBasedRenewal 0|1>". Split on line breaks,
// never by position: the priority can have several digits, and tools show the value run together.
import { InputError } from '../errors.js';
import { authenticationName } from './policyModel.js';
import type { AuthenticationName } from './policyModel.js';

export interface EnrollmentServer {
  priority: number;
  /** 1 anonymous, 2 Kerberos, 4 username/password, 8 TLS client certificate. */
  authentication: number;
  authenticationName: AuthenticationName;
  renewalOnly: boolean;
  uri: string;
  keyBasedRenewal: boolean;
}

function flag(field: string, name: string): boolean {
  if (field === '0') return false;
  if (field === '1') return true;
  throw new InputError(`msPKI-Enrollment-Servers ${name} must be 0 or 1, got "${field.slice(0, 20)}"`, 'ENROLLMENT_SERVERS_INVALID');
}

export function parseEnrollmentServers(value: string): EnrollmentServer {
  const fields = value.replace(/^\uFEFF/, '').split(/\r?\n/).map((f) => f.trim());
  while (fields.length > 5 && fields[fields.length - 1] === '') fields.pop();
  if (fields.length !== 5) {
    throw new InputError(
      `msPKI-Enrollment-Servers value must have 5 line-separated fields (priority, auth, renewalOnly, URI, keyBasedRenewal), found ${fields.length}`,
      'ENROLLMENT_SERVERS_INVALID',
    );
  }
  const [priorityText, authText, renewalText, uri, kbrText] = fields as [string, string, string, string, string];
  if (!/^\d{1,9}$/.test(priorityText)) throw new InputError(`msPKI-Enrollment-Servers priority "${priorityText.slice(0, 20)}" is not a number`, 'ENROLLMENT_SERVERS_INVALID');
  if (!/^(1|2|4|8)$/.test(authText)) throw new InputError(`msPKI-Enrollment-Servers authentication "${authText.slice(0, 20)}" is not 1, 2, 4 or 8`, 'ENROLLMENT_SERVERS_INVALID');
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new InputError(`msPKI-Enrollment-Servers URI "${uri.slice(0, 200)}" is not a URL`, 'ENROLLMENT_SERVERS_INVALID');
  }
  if (parsed.protocol !== 'https:') throw new InputError(`msPKI-Enrollment-Servers URI "${uri.slice(0, 200)}" is not https`, 'ENROLLMENT_SERVERS_INVALID');
  const authentication = Number(authText);
  return {
    priority: Number(priorityText),
    authentication,
    authenticationName: authenticationName(authentication),
    renewalOnly: flag(renewalText, 'renewalOnly'),
    uri,
    keyBasedRenewal: flag(kbrText, 'keyBasedRenewal'),
  };
}

/** The stored form of a value (LF-separated), e.g. for the lab's CA object. */
export function formatEnrollmentServers(server: Omit<EnrollmentServer, 'authenticationName'>): string {
  return [server.priority, server.authentication, server.renewalOnly ? 1 : 0, server.uri, server.keyBasedRenewal ? 1 : 0].join('\n');
}
