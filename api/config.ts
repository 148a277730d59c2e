/**
 * The optional `api:` block of a node config: where the operator API listens, who may use it
 * (tokens stored as SHA-256 hashes, never in clear), and the limits every client is held to.
 */
import { z } from 'zod';

/** Largest request body a config may allow, bytes. */
const MAX_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** A client's role: `read` sees everything; `operator` may also change things (start runs, move certificates). */
export const API_ROLES = ['read', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const tokenSchema = z.strictObject({
  /** Shown in metrics and rate-limit keys; never the token itself. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '_', '.' or '-'"),
  role: z.enum(API_ROLES),
  /** SHA-256 of the token, hex (`vpp api-token` prints both). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the 64 lowercase hex characters of a SHA-256'),
});

/** The `api:` block. */
export const apiConfigSchema = z
  .strictObject({
    /** TCP port; 0 picks a free one (the node logs the URL). */
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1).default('127.0.0.1'),
    tokens: z.array(tokenSchema).default([]),
    /** Reads without a token (a dashboard on a trusted network); mutating endpoints still need an operator token. */
    anonymousRead: z.boolean().default(false),
    /** Requests per client (token, else IP address) per window. */
    rateLimit: z.strictObject({ max: z.number().int().positive().default(1_200), windowMs: z.number().int().positive().default(60_000) }).prefault({}),
    /** Largest request body, bytes (larger: 413). */
    bodyLimitBytes: z.number().int().positive().max(MAX_BODY_LIMIT_BYTES).default(65_536),
    /** Simulation runs started through the API: results under `dir`, scenarios only from the folder `scenarios`. */
    runs: z.strictObject({ dir: z.string().min(1), scenarios: z.string().min(1) }).optional(),
  })
  .refine((c) => new Set(c.tokens.map((t) => t.name)).size === c.tokens.length, { message: 'token names must be unique', path: ['tokens'] })
  .refine((c) => new Set(c.tokens.map((t) => t.sha256)).size === c.tokens.length, { message: 'a token hash is listed twice', path: ['tokens'] });
export type ApiConfig = z.infer<typeof apiConfigSchema>;
