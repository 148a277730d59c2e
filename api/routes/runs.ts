/** Simulation runs: list and status; operators start one; a finished one's summary, time series and report. */
import { Type } from 'typebox';
import { errorResponses, RunParams, RunStatusSchema, StartRunBody } from '../schemas.js';
import type { ApiApp } from '../server.js';
import type { RunStore } from '../runs.js';

/** Registers the simulation-run routes over `runs`. */
export function registerRunRoutes(app: ApiApp, runs: RunStore): void {
  const tags = ['runs'];
  app.get('/api/runs', { schema: { tags, summary: 'Runs started here, found in the runs folder, or opened read-only', response: { 200: Type.Array(RunStatusSchema), ...errorResponses } } }, () => runs.list());
  app.post(
    '/api/runs',
    { config: { access: 'operator' }, schema: { tags, summary: 'Start `vpp sim` on a scenario of the scenarios folder (operator)', body: StartRunBody, response: { 202: RunStatusSchema, 409: errorResponses[400], ...errorResponses } } },
    async (request, reply) => {
      reply.code(202);
      return runs.start(request.body.scenario, request.body.seed);
    },
  );
  app.get('/api/runs/:id', { schema: { tags, summary: "A run's status", params: RunParams, response: { 200: RunStatusSchema, ...errorResponses } } }, (request) => runs.get(request.params.id));
  app.get(
    '/api/runs/:id/summary',
    { schema: { tags, summary: "A finished run's summary.json", params: RunParams, response: { 200: Type.Record(Type.String(), Type.Unknown()), 409: errorResponses[400], ...errorResponses } } },
    (request) => JSON.parse(runs.read(request.params.id, 'summary').toString('utf8')) as Record<string, unknown>,
  );
  const textFile = (file: 'timeseries' | 'report', mediaType: string, summary: string) =>
    app.get(
      `/api/runs/:id/${file}`,
      { schema: { tags, summary, params: RunParams, produces: [mediaType], response: { 200: Type.String(), 409: errorResponses[400], ...errorResponses } } },
      async (request, reply) => {
        reply.type(`${mediaType}; charset=utf-8`);
        return runs.read(request.params.id, file).toString('utf8');
      },
    );
  textFile('timeseries', 'text/csv', "A finished run's timeseries.csv");
  textFile('report', 'text/html', "A finished run's self-contained report.html");
}
