// The state every lab endpoint handler shares: the PKI, templates per CA, the request database and
// the log. Built once by startLab.
import type { LabEndpoint } from './labEndpoints.js';
import type { LabPki } from './labPki.js';
import type { RequestLog } from './requestLog.js';
import type { RequestIdAllocator } from './requestStore.js';
import type { ResolvedTemplate } from './templates.js';

export interface LabUser {
  username: string;
  password: string;
}

export interface LabCore {
  dir: string;
  pki: LabPki;
  templates: ResolvedTemplate[];
  /** Templates each CA issues, by CA name. */
  caTemplates: Map<string, ResolvedTemplate[]>;
  ids: RequestIdAllocator;
  policyId: string;
  /** Last policy change (lab start); GetPolicies with a later lastUpdate gets policiesNotChanged. */
  policyChangedAt: Date;
  users: LabUser[];
  endpoints: LabEndpoint[];
  log: RequestLog;
}
