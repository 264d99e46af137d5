// The lab CA's request database: one JSON file per request in <dir>/requests/<id>.json, so that
// `autoenroll lab approve|deny ID` in another process can act on a running lab by rewriting one
// file atomically. RequestIDs are decimal strings, increasing, like a Windows CA's.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from './atomicFile.js';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'issued' | 'failed';

/** What the CA needs to issue later (after approval), all base64 DER. */
export interface IssuanceData {
  subjectDer: string;
  spkiDer: string;
  subjectAltNameDer?: string;
}

export interface StoredRequest {
  requestId: string;
  caName: string;
  template: string;
  /** Name and URL of the CES it was submitted to (the pending reference). */
  endpoint: string;
  cesUrl: string;
  /** Username or client-certificate thumbprint. */
  requester: string;
  submittedAt: string;
  status: RequestStatus;
  renewal: boolean;
  issuance?: IssuanceData;
  /** Base64 DER, once issued. */
  certDer?: string;
  /** For failed requests: the HRESULT (unsigned). */
  hresult?: number;
  decidedAt?: string;
}

export function requestsDir(dir: string): string {
  return join(dir, 'requests');
}

function requestPath(dir: string, requestId: string): string {
  if (!/^[0-9]{1,18}$/.test(requestId)) throw new UsageError(`"${requestId}" is not a request ID (a decimal number)`, 'LAB_BAD_REQUEST_ID');
  return join(requestsDir(dir), `${requestId}.json`);
}

export async function readRequest(dir: string, requestId: string): Promise<StoredRequest | undefined> {
  const path = requestPath(dir, requestId);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StoredRequest;
  } catch (error) {
    throw new InputError(`lab request file ${path} is unreadable`, 'LAB_REQUEST_CORRUPT', { cause: error });
  }
}

export async function writeRequest(dir: string, request: StoredRequest): Promise<void> {
  await writeFileAtomic(requestPath(dir, request.requestId), `${JSON.stringify(request, null, 2)}\n`, 0o600);
}

/** Allocates increasing RequestIDs; continues after the highest ID already in the folder. */
export class RequestIdAllocator {
  private constructor(private next: number) {}

  static async open(dir: string): Promise<RequestIdAllocator> {
    await mkdir(requestsDir(dir), { recursive: true, mode: 0o700 });
    const ids = (await readdir(requestsDir(dir)))
      .map((name) => /^([0-9]+)\.json$/.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number);
    return new RequestIdAllocator(Math.max(0, ...ids) + 1);
  }

  allocate(): string {
    return String(this.next++);
  }
}

/** CA manager decision on a pending request (what `lab approve` / `lab deny` do). */
export async function decideRequest(dir: string, requestId: string, decision: 'approved' | 'denied', now = new Date()): Promise<StoredRequest> {
  const request = await readRequest(dir, requestId);
  if (!request) throw new UsageError(`the lab in ${dir} has no request ${requestId}`, 'LAB_UNKNOWN_REQUEST');
  if (request.status !== 'pending') {
    throw new UsageError(`request ${requestId} is ${request.status}, not pending: only pending requests can be ${decision}`, 'LAB_NOT_PENDING');
  }
  const decided: StoredRequest = { ...request, status: decision, decidedAt: now.toISOString() };
  await writeRequest(dir, decided);
  return decided;
}
