/** Read routes of a node: status, fleet and DER status, offers, plans, consensus. */
import { Type } from 'typebox';
import { ConsensusStatusSchema, DerStatusSchema, errorResponses, HeightParams, NodeStatusSchema, OfferStatusSchema, PlanStatusSchema } from '../schemas.js';
import { ApiError, type ApiApp } from '../server.js';
import type { ApiSource } from '../source.js';

/** Registers the node's read routes on `app`. */
export function registerNodeRoutes(app: ApiApp, source: ApiSource): void {
  const tags = ['node'];
  app.get('/api/status', { schema: { tags, summary: 'The node at a glance', response: { 200: NodeStatusSchema, ...errorResponses } } }, () => source.status());
  app.get('/api/fleet', { schema: { tags, summary: 'DERs with state, state of charge, power and setpoint', response: { 200: Type.Array(DerStatusSchema), ...errorResponses } } }, () => source.fleet());
  app.get(
    '/api/fleet/:derId',
    { schema: { tags, summary: 'One DER', params: Type.Object({ derId: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }), response: { 200: DerStatusSchema, ...errorResponses } } },
    (request) => {
      const der = source.fleet().find((d) => d.derId === request.params.derId);
      if (!der) throw new ApiError(404, 'VPP_ERR_API_NO_DER', `no DER '${request.params.derId}' on this node`, 'params.derId');
      return der;
    },
  );
  app.get('/api/offers', { schema: { tags, summary: 'Offers held for the next interval (coordinator), first interval of each', response: { 200: Type.Array(OfferStatusSchema), ...errorResponses } } }, () => source.offers());
  app.get('/api/plans', { schema: { tags, summary: 'Retained decided or certified plans, newest first', response: { 200: Type.Array(PlanStatusSchema), ...errorResponses } } }, () => source.plans());
  app.get('/api/plans/current', { schema: { tags, summary: 'The newest plan', response: { 200: PlanStatusSchema, ...errorResponses } } }, () => {
    const plan = source.plans()[0];
    if (!plan) throw new ApiError(404, 'VPP_ERR_API_NO_PLAN', 'no plan decided yet');
    return plan;
  });
  app.get('/api/plans/:height', { schema: { tags, summary: 'The plan of a retained height', params: HeightParams, response: { 200: PlanStatusSchema, ...errorResponses } } }, (request) => {
    const plan = source.plan(request.params.height);
    if (!plan) throw new ApiError(404, 'VPP_ERR_API_NO_PLAN', `no retained plan at height ${request.params.height}`, 'params.height');
    return plan;
  });
  app.get('/api/consensus', { schema: { tags, summary: 'Height, round, commits, round changes, counters', response: { 200: ConsensusStatusSchema, ...errorResponses } } }, () => source.consensus());
}
