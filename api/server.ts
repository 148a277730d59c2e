/**
 * The operator API of a node: a fastify app (built apart from `listen()`, so tests can
 * `inject()`), with every route schema-checked and documented (OpenAPI at /docs/json, the UI at
 * /docs), bearer-token access, per-client rate limits, a body limit, and errors that are always
 * JSON naming the code (and the field, for a bad request); client faults never become 5xx.
 */
import fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ChainInputError } from '../chain/index.js';
import type { EventFeed } from '../nodes/event-feed.js';
import { bearerToken, TokenTable, type Access } from './auth.js';
import { apiConfigSchema, type ApiConfig } from './config.js';
import { NodeMetrics } from './metrics.js';
import { registerChainRoutes } from './routes/chain.js';
import { registerNodeRoutes } from './routes/node.js';
import { registerPageRoutes } from './routes/pages.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerStreamRoute, type StreamHub } from './routes/stream.js';
import { RunError, RunStore } from './runs.js';
import type { ApiSource } from './source.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default `read`). */
    access?: Access;
    /** The token may come as `?token=` (the WebSocket stream: browsers cannot set its headers). */
    tokenInQuery?: boolean;
  }
}

/** Where the OpenAPI UI is served; the document itself at `/docs/json`. */
const DOCS_PREFIX = '/docs';

/** The app with TypeBox typing its handlers. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What an API server serves. */
export interface ApiServerOptions {
  config: ApiConfig;
  /** The node; without one only the dashboard page and simulation runs are served. */
  source?: ApiSource;
  /** The node's events, for the WebSocket stream and the metrics. */
  feed?: EventFeed;
  runs?: RunStore;
}

/** A route as fastify registered it; `hidden` ones (the docs UI's own assets) are left out of the OpenAPI document. */
export interface ApiRoute {
  method: string;
  url: string;
  hidden: boolean;
}

/** A built app with the parts its owner closes. */
export interface ApiServer {
  app: ApiApp;
  /** Every route registered, from fastify's `onRoute` hook. */
  routes: readonly ApiRoute[];
  metrics: NodeMetrics;
  runs: RunStore;
  stream: StreamHub;
  /** Base URL once listening. */
  url?: string;
  close(): Promise<void>;
}

/** An error a route throws on purpose, with its status and code. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Where ajv found the fault, as `body.seed` / `params.height` / `querystring.limit`. */
function fieldOf(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const params = first.params as { missingProperty?: string; additionalProperty?: string };
  const path = first.instancePath.split('/').filter(Boolean);
  const extra = params.missingProperty ?? params.additionalProperty;
  return [error.validationContext ?? 'request', ...path, ...(extra ? [extra] : [])].join('.');
}

/** Builds the app (not listening). */
export async function buildApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const config = options.config;
  const tokens = new TokenTable(config);
  const runs = options.runs ?? new RunStore(config.runs ?? {});
  const metrics = new NodeMetrics(options.feed, options.source);
  const app = fastify({
    bodyLimit: config.bodyLimitBytes,
    // Coercion only turns path and query strings into the numbers their schemas ask for; extra body fields are refused, not dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    routerOptions: { maxParamLength: 256 },
    // A node that stops must not wait on a client that keeps its connection open.
    forceCloseConnections: true,
    logger: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const routes: ApiRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true });
  });

  const tokenOf = (request: { headers: { authorization?: string }; query: unknown; routeOptions: { config: { tokenInQuery?: boolean } } }) => {
    const header = bearerToken(request.headers.authorization);
    if (header !== undefined || !request.routeOptions.config.tokenInQuery) return header;
    const query = request.query as { token?: unknown } | undefined;
    return typeof query?.token === 'string' ? query.token : undefined;
  };

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) return reply.code(400).send({ error: 'VPP_ERR_API_BAD_REQUEST', message: error.message, field: fieldOf(error) });
    if (error instanceof ApiError || error instanceof RunError) return reply.code(error.statusCode).send({ error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) });
    // The ledger refused an operation the client asked for (a certificate not held, already retired).
    if (error instanceof ChainInputError) return reply.code(409).send({ error: error.code, message: error.message });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.code ?? 'VPP_ERR_API_BAD_REQUEST', message: error.message });
    return reply.code(500).send({ error: 'VPP_ERR_API_INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'VPP_ERR_API_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  // First: its onRequest hook marks upgrade requests, so that one refused by a later hook (no token, rate limit) gets its socket closed.
  await app.register(websocket, { options: { maxPayload: 4096 } });
  await app.register(rateLimit, {
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request) => {
      const client = tokens.identify(bearerToken(request.headers.authorization));
      return client ? `token:${client.name}` : `ip:${request.ip}`;
    },
    // Thrown to the error handler, which answers with the code.
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`rate limit of ${context.max} requests per ${context.after} exceeded`), { statusCode: 429, code: 'VPP_ERR_API_RATE_LIMITED' }),
  });
  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    // Unknown routes answer 404 to anyone; the OpenAPI document and its UI hold no node data.
    if (url === undefined) return;
    const access = url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`) ? 'public' : (request.routeOptions.config.access ?? 'read');
    const refusal = tokens.refusal(access, tokenOf(request));
    if (refusal) return reply.code(refusal.status).send({ error: refusal.code, message: refusal.message });
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'VPP node operator API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { deepLinking: false } });

  const stream = registerStreamRoute(app, { feed: options.feed, source: options.source, metrics });
  registerPageRoutes(app, metrics);
  registerRunRoutes(app, runs);
  if (options.source) {
    registerNodeRoutes(app, options.source);
    registerChainRoutes(app, options.source);
  }
  await app.ready();
  return {
    app,
    routes,
    metrics,
    runs,
    stream,
    async close() {
      stream.close();
      metrics.close();
      await app.close();
      await runs.close();
    },
  };
}

/** Builds the app from a raw `api:` block and listens; the URL is in `url`. */
export async function startApiServer(options: Omit<ApiServerOptions, 'config'> & { config: ApiConfig | Record<string, unknown> }): Promise<ApiServer & { url: string }> {
  const config = apiConfigSchema.parse(options.config);
  const server = await buildApiServer({ ...options, config });
  await server.app.listen({ port: config.port, host: config.host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { ...server, url: `http://${host}:${port}` };
}
