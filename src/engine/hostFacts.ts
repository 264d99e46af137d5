// The values of the autoenroll placeholders {fqdn} and {hostname}, read from this host. Free of
// dependencies, like hostIdentity.ts, because `status` and `plan` need it too.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { HostFacts } from './autoenrollment.js';

/** The domain of /etc/resolv.conf (`domain`, else the first `search` entry); undefined when none. */
export function resolvConfDomain(text: string): string | undefined {
  let search: string | undefined;
  for (const line of text.split('\n')) {
    const [keyword, value] = line.trim().split(/\s+/);
    if (keyword === 'domain' && value) return value.replace(/\.$/, '');
    if (keyword === 'search' && value && search === undefined) search = value.replace(/\.$/, '');
  }
  return search;
}

/**
 * {fqdn}: the pinned name (autoenroll.fqdn) when given; else the host name when it has a dot;
 * else the host name plus the resolv.conf domain; else the bare host name. {hostname}: the first
 * label of {fqdn}.
 */
export function hostFacts(pinned?: string, name: string = osHostname(), resolvConf = '/etc/resolv.conf'): HostFacts {
  let fqdn = pinned ?? name;
  if (pinned === undefined && !name.includes('.')) {
    let domain: string | undefined;
    try {
      domain = resolvConfDomain(readFileSync(resolvConf, 'utf8'));
    } catch {
      domain = undefined;
    }
    if (domain !== undefined && domain !== '') fqdn = `${name}.${domain}`;
  }
  fqdn = fqdn.toLowerCase();
  return { fqdn, hostname: fqdn.split('.')[0] as string };
}
