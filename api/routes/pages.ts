/** The dashboard page and the Prometheus metrics. */
import { Type } from 'typebox';
import { renderDashboard } from '../dashboard.js';
import type { NodeMetrics } from '../metrics.js';
import { errorResponses } from '../schemas.js';
import type { ApiApp } from '../server.js';

/** Registers the dashboard page and `/metrics`. */
export function registerPageRoutes(app: ApiApp, metrics: NodeMetrics): void {
  const page = renderDashboard();
  app.get(
    '/',
    { config: { access: 'public' }, schema: { tags: ['pages'], summary: 'The live dashboard (reads the API with the token from /#token=…)', produces: ['text/html'], security: [], response: { 200: Type.String() } } },
    async (_request, reply) => {
      reply.type('text/html; charset=utf-8');
      return page;
    },
  );
  app.get(
    '/metrics',
    { schema: { tags: ['pages'], summary: 'Prometheus metrics: round latency, commits, offers, clamps, adapter errors, solve time', produces: ['text/plain'], response: { 200: Type.String(), ...errorResponses } } },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.text();
    },
  );
}
