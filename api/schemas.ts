/**
 * Request and response schemas of the operator API (TypeBox: JSON Schema that also types the
 * handlers); the OpenAPI document at /docs is generated from them.
 */
import { Type } from 'typebox';
import { SCENARIO_NAME_PATTERN } from './runs.js';

const Ms = (description: string) => Type.Number({ description: `${description}, UTC epoch ms` });
const KW = (description: string) => Type.Number({ description: `${description}, kW (positive = into the grid)` });
const Free = Type.Record(Type.String(), Type.Unknown());

/** Every 4xx/5xx answer. */
export const ErrorBody = Type.Object({
  error: Type.String({ description: 'stable code, VPP_ERR_API_*' }),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'the request field at fault, e.g. body.seed' })),
});

export const NodeStatusSchema = Type.Object({
  role: Type.Union([Type.Literal('coordinator'), Type.Literal('peer')]),
  id: Type.String({ description: 'public key, hex' }),
  networkId: Type.String(),
  nowMs: Ms('scenario time now'),
  window: Type.Object({ startMs: Ms('window start'), endMs: Ms('window end') }),
  intervalMs: Type.Number(),
  currency: Type.String(),
  validators: Type.Integer(),
  ders: Type.Integer(),
  height: Type.Integer({ description: 'newest decided (coordinator) or certified (peer) height, -1 before the first' }),
  chainHeight: Type.Optional(Type.Integer()),
});

export const DerStatusSchema = Type.Object({
  derId: Type.String(),
  kind: Type.String(),
  ownerId: Type.String(),
  state: Type.String({ description: 'actor state (offline, available, committed, dispatching, fault) or offered' }),
  socFrac: Type.Optional(Type.Number()),
  energyKWh: Type.Optional(Type.Number()),
  powerKW: Type.Optional(KW('power at the grid connection')),
  setpointKW: Type.Optional(KW('setpoint in force or planned')),
  online: Type.Optional(Type.Boolean()),
});

export const OfferStatusSchema = Type.Object({
  derId: Type.String(),
  kind: Type.String(),
  ownerId: Type.String(),
  startMs: Ms('first interval start'),
  intervalMs: Type.Number(),
  horizonIntervals: Type.Integer(),
  minPowerKW: KW('lowest power in the first interval'),
  maxPowerKW: KW('highest power in the first interval'),
  energyKWh: Type.Optional(Type.Number()),
});

export const PlanStatusSchema = Type.Object({
  height: Type.Integer(),
  intervalStartMs: Ms('interval start'),
  round: Type.Integer(),
  planHash: Type.String(),
  periods: Type.Array(Type.Object({ startMs: Type.Number(), durationMs: Type.Number() })),
  pricePerMWh: Type.Array(Type.Number()),
  fleetPowerKW: Type.Array(Type.Number()),
  setpointsKW: Type.Record(Type.String(), Type.Number(), { description: 'first-period setpoint per DER, kW' }),
  objectiveValue: Type.Number(),
});

export const ConsensusStatusSchema = Type.Object({
  role: Type.Union([Type.Literal('coordinator'), Type.Literal('peer')]),
  height: Type.Integer(),
  round: Type.Optional(Type.Integer()),
  commits: Type.Integer(),
  roundChanges: Type.Optional(Type.Integer()),
  validators: Type.Integer(),
  quorum: Type.Integer(),
  stats: Free,
});

const TotalsSchema = Type.Object({
  settlements: Type.Integer(),
  serviceSettlements: Type.Integer(),
  servicePaidMinor: Type.Integer({ description: 'market paid for grid services, part of marketPaidMinor' }),
  marketPaidMinor: Type.Integer({ description: 'minor units (cents)' }),
  paidToOwnersMinor: Type.Integer(),
  feeMinor: Type.Integer(),
  penaltyMinor: Type.Integer(),
  certificatesIssued: Type.Integer(),
  co2AvoidedKg: Type.Number(),
});

export const HeightParams = Type.Object({ height: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }) }, { additionalProperties: false });

export const ChainHeadSchema = Type.Object({
  height: Type.Integer(),
  hash: Type.String(),
  timeMs: Type.Number(),
  lastIntervalStartMs: Type.Union([Type.Number(), Type.Null()]),
  networkId: Type.String(),
  currency: Type.String(),
  totals: TotalsSchema,
});

export const BlockListQuery = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'newest height to list, exclusive (default: head + 1)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const BlockSummarySchema = Type.Object({
  height: Type.Integer(),
  kind: Type.String(),
  timeMs: Type.Number(),
  intervalStartMs: Type.Optional(Type.Number()),
  settlements: Type.Optional(Type.Integer()),
  certificates: Type.Optional(Type.Integer()),
  ops: Type.Optional(Type.Integer()),
  services: Type.Optional(Type.Integer()),
});

export const BlockSchema = Type.Object({ height: Type.Integer(), block: Type.Unknown({ description: 'the block, byte strings as hex' }) });

export const BalanceSheetSchema = Type.Object({
  height: Type.Integer(),
  currency: Type.String(),
  balances: Type.Array(Type.Object({ account: Type.String(), minor: Type.Integer(), amount: Type.String() })),
  certificates: Type.Array(Type.Object({ holder: Type.String(), held: Type.Integer(), retired: Type.Integer() })),
  totals: TotalsSchema,
});

const Account = Type.String({ minLength: 1, maxLength: 128 });

export const CertificateSchema = Type.Object({
  id: Type.String(),
  derId: Type.String(),
  ownerId: Type.String(),
  holder: Type.String(),
  retired: Type.Boolean(),
  intervalStartMs: Type.Number(),
  energyKWh: Type.Number(),
  co2AvoidedKg: Type.Optional(Type.Number()),
});

export const CertificateListQuery = Type.Object(
  {
    holder: Type.Optional(Account),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

export const CertificateParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const TransferBody = Type.Object({ from: Account, to: Account }, { additionalProperties: false });
export const RetireBody = Type.Object({ holder: Account }, { additionalProperties: false });
export const AppendedSchema = Type.Object({ height: Type.Integer(), hash: Type.String() });

export const RunStatusSchema = Type.Object({
  id: Type.String(),
  state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  scenario: Type.Optional(Type.String()),
  seed: Type.Optional(Type.Integer()),
  startedAtMs: Type.Optional(Type.Number()),
  finishedAtMs: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
  readOnly: Type.Boolean(),
});

export const RunParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' }) }, { additionalProperties: false });
export const StartRunBody = Type.Object(
  {
    scenario: Type.String({ pattern: SCENARIO_NAME_PATTERN, description: "file name of a scenario in the node's api.runs.scenarios folder" }),
    seed: Type.Optional(Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647 })),
  },
  { additionalProperties: false },
);

export const StreamQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 256, description: 'bearer token (browsers cannot set headers on a WebSocket)' })) }, { additionalProperties: false });

/** Error answers every route may give. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
};
