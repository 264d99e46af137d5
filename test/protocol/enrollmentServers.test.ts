import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatEnrollmentServers, parseEnrollmentServers } from '../../src/protocol/enrollmentServers.js';

describe('msPKI-Enrollment-Servers', () => {
  it('decodes the username/password value of the KBR deployment guide ("140https://…CES0" with its line breaks)', () => {
    expect(parseEnrollmentServers('1\n4\n0\nhttps://cepces.contoso.com:49999/ENTCA_CES_UsernamePassword/service.svc/CES\n0')).toEqual({
      priority: 1,
      authentication: 4,
      authenticationName: 'username',
      renewalOnly: false,
      uri: 'https://cepces.contoso.com:49999/ENTCA_CES_UsernamePassword/service.svc/CES',
      keyBasedRenewal: false,
    });
  });

  it('decodes the certificate value ("181https://…CES1"): renewal only, key-based renewal', () => {
    expect(parseEnrollmentServers('1\n8\n1\nhttps://cepces.contoso.com:49999/ENTCA_CES_Certificate/service.svc/CES\n1')).toEqual({
      priority: 1,
      authentication: 8,
      authenticationName: 'certificate',
      renewalOnly: true,
      uri: 'https://cepces.contoso.com:49999/ENTCA_CES_Certificate/service.svc/CES',
      keyBasedRenewal: true,
    });
  });

  it('tolerates CRLF and a trailing line break, and reads multi-digit priorities', () => {
    expect(parseEnrollmentServers('100\r\n2\r\n0\r\nhttps://h/CA_CES_Kerberos/service.svc/CES\r\n0\r\n')).toMatchObject({ priority: 100, authentication: 2, authenticationName: 'kerberos' });
  });

  it('round-trips through the stored form', () => {
    const server = { priority: 7, authentication: 8, renewalOnly: true, uri: 'https://h:1/x', keyBasedRenewal: true };
    expect(parseEnrollmentServers(formatEnrollmentServers(server))).toEqual({ ...server, authenticationName: 'certificate' });
  });

  it('refuses garbage with a typed error', () => {
    for (const bad of [
      '140https://cepces.contoso.com:49999/ENTCA_CES_UsernamePassword/service.svc/CES0',
      '',
      'x\n4\n0\nhttps://h/CES\n0',
      '1\n3\n0\nhttps://h/CES\n0',
      '1\n4\n2\nhttps://h/CES\n0',
      '1\n4\n0\nnot a url\n0',
      '1\n4\n0\nhttp://h/CES\n0',
      '1\n4\n0\nhttps://h/CES\nyes',
      '1\n4\n0\nhttps://h/CES\n0\nextra',
    ]) {
      expect(() => parseEnrollmentServers(bad), JSON.stringify(bad)).toThrow(InputError);
    }
  });
});
