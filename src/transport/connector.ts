// The socket factory behind every HTTPS connection: TCP (directly or through an HTTP CONNECT
// proxy), then TLS with the endpoint's trust bundle and, for certificate endpoints, our client
// certificate. One deadline covers all of it — enforced by our own timer, because undici's
// connect timeout fires late. Certificate verification is always on; this module only adds
// information (the server certificate, whether we were still connecting) for error messages.
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, SecureVersion, TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { capturePeerCertificate } from './peerCertificate.js';
import type { PeerCertificateSummary } from './peerCertificate.js';
import { openTunnel } from './proxy.js';
import { isPkcs11Uri } from '../pki/pkcs11Uri.js';
import { tokenSecureContext } from './tokenTlsContext.js';

export interface ConnectorSettings {
  ca?: string | Buffer;
  clientCertificate?: { certPem: string; keyPem: string; chainPem?: string };
  maxTlsVersion?: SecureVersion;
  proxy?: URL;
  connectTimeoutMs: number;
}

export interface ConnectFailureInfo {
  timedOut: boolean;
  peerCertificate?: PeerCertificateSummary;
}

/** Errors raised while connecting, with what was learnt on the way (read by the error classifier). */
export const connectFailures = new WeakMap<object, ConnectFailureInfo>();

export interface Connector {
  connect: buildConnector.connector;
  /** Connections opened so far (lets a caller tell a fresh connection from a reused one). */
  readonly opened: number;
  /** The TLS version negotiated by the latest connection ("TLSv1.2", "TLSv1.3"), or undefined. */
  readonly protocol: string | undefined;
}

export function createConnector(settings: ConnectorSettings): Connector {
  const sessions = new Map<string, Buffer>();
  const state: { opened: number; protocol: string | undefined } = { opened: 0, protocol: undefined };
  const tlsOptions: ConnectionOptions = {
    ca: settings.ca,
    // Explicit, so that the environment (tlsVerifyOverride.ts) cannot turn verification off.
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    maxVersion: settings.maxTlsVersion,
    ALPNProtocols: ['http/1.1'],
  };
  if (settings.clientCertificate !== undefined) {
    const { certPem, keyPem, chainPem } = settings.clientCertificate;
    tlsOptions.cert = chainPem ? `${certPem.trimEnd()}\n${chainPem}` : certPem;
    if (isPkcs11Uri(keyPem)) {
      // A token key: the whole context (trust, versions, certificate) comes from the engine-backed one.
      tlsOptions.secureContext = tokenSecureContext({
        certPem: tlsOptions.cert,
        keyUri: keyPem,
        ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
        ...(settings.maxTlsVersion !== undefined ? { maxTlsVersion: settings.maxTlsVersion } : {}),
      });
    } else {
      tlsOptions.key = keyPem;
    }
  }

  const connect: buildConnector.connector = (options, callback) => {
    const port = Number(options.port) || 443;
    const servername = options.servername ?? (isIP(options.hostname.replace(/^\[|\]$/g, '')) ? undefined : options.hostname);
    const sessionKey = `${options.hostname}:${port}`;
    let settled = false;
    let tls: TLSSocket | undefined;
    const pending: { cancelTunnel?: () => void } = {};
    let peerCertificate: PeerCertificateSummary | undefined;

    const finish = (error: Error | null, socket?: TLSSocket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== null) {
        connectFailures.set(error, { timedOut: error === timeoutError, ...(peerCertificate ? { peerCertificate } : {}) });
        tls?.destroy();
        pending.cancelTunnel?.();
        callback(error, null);
        return;
      }
      state.opened++;
      state.protocol = socket?.getProtocol() ?? undefined;
      callback(null, socket as TLSSocket);
    };
    const timeoutError = Object.assign(new Error(`connect timeout after ${settings.connectTimeoutMs} ms`), { code: 'AUTOENROLL_CONNECT_TIMEOUT' });
    const timer = setTimeout(() => finish(timeoutError), settings.connectTimeoutMs);

    const startTls = (tunnel?: Socket): void => {
      tls = tlsConnect({
        ...tlsOptions,
        host: options.hostname.replace(/^\[|\]$/g, ''),
        port,
        servername,
        session: sessions.get(sessionKey),
        ...(tunnel ? { socket: tunnel } : {}),
        rejectUnauthorized: true,
      });
      const socket = tls;
      capturePeerCertificate(socket, (summary) => {
        peerCertificate = summary;
      });
      socket.on('session', (session: Buffer) => sessions.set(sessionKey, session));
      socket.once('secureConnect', () => finish(null, socket));
      socket.on('error', (error) => finish(error));
    };

    if (settings.proxy === undefined) {
      startTls();
      return;
    }
    const tunnel = openTunnel(settings.proxy, options.hostname.replace(/^\[|\]$/g, ''), port);
    pending.cancelTunnel = tunnel.cancel;
    tunnel.socket.then(
      (raw) => (settled ? raw.destroy() : startTls(raw)),
      (error: Error) => finish(error),
    );
  };

  return {
    connect,
    get opened() {
      return state.opened;
    },
    get protocol() {
      return state.protocol;
    },
  };
}
