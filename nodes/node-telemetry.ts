/**
 * What coordinator and peer nodes write to their `telemetry` sink: a coordinator its commits and the
 * plans it committed, a peer its DERs' readings and the setpoints they followed, each interval, in
 * scenario time.
 */
import type { DerAgent } from '../actors/der-agent.js';
import { toHex } from '../protocol/keys.js';
import type { RoundDecision } from '../protocol/round/index.js';
import { InfluxSink } from '../telemetry/influx-sink.js';
import { influxTarget, type TelemetryConfig } from '../telemetry/config.js';
import { derFields, derTags, MEASUREMENTS, point } from '../telemetry/points.js';
import type { TelemetryPoint } from '../telemetry/sink.js';
import type { CertifiedPlan } from './peer.js';

/** The node's sink when its config has `telemetry.influx`; the database going away or coming back is logged. */
export function openNodeTelemetry(config: { telemetry?: TelemetryConfig }, log: (event: Record<string, unknown>) => void): InfluxSink | undefined {
  const influx = config.telemetry?.influx;
  return influx && new InfluxSink(influx, { onStatus: (status) => log({ event: 'telemetry', database: influxTarget(influx).database, ...status }) });
}

/** Tags of a DER's points as its node knows it (a site's devices have no feeder unless the fleet gives one). */
export function agentTags(agent: DerAgent): Record<string, string> {
  return derTags({ derId: agent.id, ownerId: agent.ownerId, feederId: agent.feederId, kind: agent.capabilities().kind });
}

/** A coordinator's commit of one height and the first-period setpoint its plan gives each DER. */
export function commitPoints(nodeId: string, decision: RoundDecision, commitMs: number): TelemetryPoint[] {
  const { plan, intervalStartMs } = decision;
  const planHash = toHex(decision.commit.planHash);
  const node = { node: nodeId };
  return [
    point(MEASUREMENTS.commit, node, intervalStartMs, {
      height: decision.height,
      round: decision.commit.round,
      offers: decision.offerIds.length,
      ders: Object.keys(plan.setpointsKW).length,
      commitMs,
      planHash,
      plannedFleetPowerKW: plan.fleetPowerKW[0],
      objectiveValue: plan.objectiveValue,
    }),
    point(MEASUREMENTS.signal, node, intervalStartMs, { forecastPricePerMWh: plan.pricePerMWh[0] }),
    ...Object.entries(plan.setpointsKW).map(([der, setpointsKW]) => point(MEASUREMENTS.plan, { ...node, der }, intervalStartMs, { setpointKW: setpointsKW[0], planHash })),
  ];
}

/**
 * A peer's DERs at the start of an interval: each one's reading and actor state, and for those
 * that follow the interval's certified plan, the setpoint they were given.
 */
export async function siteIntervalPoints(
  agents: readonly DerAgent[],
  intervalStartMs: number,
  followedKW: (agent: DerAgent) => number | undefined,
  certified: CertifiedPlan | undefined,
): Promise<TelemetryPoint[]> {
  const planHash = certified && toHex(certified.planHash);
  const points: TelemetryPoint[] = [];
  for (const agent of agents) {
    const tags = agentTags(agent);
    points.push(point(MEASUREMENTS.der, tags, intervalStartMs, { ...derFields(await agent.telemetry()), state: agent.state }));
    const setpointKW = followedKW(agent);
    if (setpointKW !== undefined) points.push(point(MEASUREMENTS.plan, tags, intervalStartMs, { setpointKW, planHash }));
  }
  return points;
}
