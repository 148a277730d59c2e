/**
 * Public API of the operator API: the server a node (or `vpp dashboard`) starts, the `ApiSource`
 * view a node implements, the `api:` config block, tokens, and the simulation-run store.
 */
export { ApiError, buildApiServer, startApiServer, type ApiApp, type ApiRoute, type ApiServer, type ApiServerOptions } from './server.js';
export type { ApiLedger, ApiSource, ConsensusStatus, DerStatus, NodeCounters, NodeStatus, OfferStatus, PlanStatus } from './source.js';
export { API_ROLES, apiConfigSchema, type ApiConfig, type ApiRole } from './config.js';
export { bearerToken, hashToken, newToken, TokenTable, type Access, type ApiClient } from './auth.js';
export { RunError, RunStore, type RunStatus, type RunStoreOptions } from './runs.js';
export { NodeMetrics } from './metrics.js';
