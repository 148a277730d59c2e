/**
 * Who is calling: a bearer token looked up by its SHA-256 (the node keeps only hashes), mapped to
 * a role. Reads need a read or operator token (or `anonymousRead`); mutating routes an operator's.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiConfig, ApiRole } from './config.js';

/** What a route requires: nothing (the dashboard page, the OpenAPI document), a reader, or an operator. */
export type Access = 'public' | 'read' | 'operator';

/** A known client. */
export interface ApiClient {
  name: string;
  role: ApiRole | 'anonymous';
}

/** SHA-256 of a token, hex: what a config stores. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random token (256 bits) and its hash. */
export function newToken(): { token: string; sha256: string } {
  const token = `vpp_${randomBytes(32).toString('base64url')}`;
  return { token, sha256: hashToken(token) };
}

/** Why a request is refused, with the HTTP status it gets. */
export interface AccessRefusal {
  status: 401 | 403;
  code: 'VPP_ERR_API_UNAUTHENTICATED' | 'VPP_ERR_API_FORBIDDEN';
  message: string;
}

/** The node's token table. */
export class TokenTable {
  private readonly byHash: Map<string, ApiClient>;

  constructor(private readonly config: Pick<ApiConfig, 'tokens' | 'anonymousRead'>) {
    this.byHash = new Map(config.tokens.map((t) => [t.sha256, { name: t.name, role: t.role }]));
  }

  /** The client a token names; undefined for no token or an unknown one. */
  identify(token: string | undefined): ApiClient | undefined {
    return token === undefined ? undefined : this.byHash.get(hashToken(token));
  }

  /** Undefined when `token` may use a route requiring `access`, else why not. */
  refusal(access: Access, token: string | undefined): AccessRefusal | undefined {
    if (access === 'public') return undefined;
    const client = this.identify(token);
    if (client === undefined) {
      if (access === 'read' && this.config.anonymousRead && token === undefined) return undefined;
      return { status: 401, code: 'VPP_ERR_API_UNAUTHENTICATED', message: token === undefined ? 'this route needs a bearer token (Authorization: Bearer <token>)' : 'unknown token' };
    }
    if (access === 'operator' && client.role !== 'operator') return { status: 403, code: 'VPP_ERR_API_FORBIDDEN', message: `token '${client.name}' has role ${client.role}; this route needs an operator token` };
    return undefined;
  }
}

/** The bearer token of an `Authorization` header, if it carries one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
