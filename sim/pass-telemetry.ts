/**
 * The VPP pass's telemetry: per interval, each DER's reading, the setpoint its plan gave it, the
 * fleet's power and the price, all stamped at the interval's start on the virtual clock. Only
 * reads what the pass computed: with or without it the pass gives the same results.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DeviceTelemetry } from '../actors/device-adapter.js';
import { InfluxSink } from '../telemetry/influx-sink.js';
import { withInfluxUrl } from '../telemetry/config.js';
import { derFields, derTags, MEASUREMENTS, point } from '../telemetry/points.js';
import type { TelemetryPoint, TelemetrySink } from '../telemetry/sink.js';
import type { Fleet, FleetMember } from './fleet.js';
import type { Scenario } from './scenario.js';

/** Tags of a simulated DER's points: the one place that says which owner and feeder a fleet member has. */
export function memberTags(member: FleetMember): Record<string, string> {
  return derTags({ derId: member.device.id, ownerId: member.ownerId, feederId: member.feederId, kind: member.device.capabilities().kind });
}

/** Collects one interval's points of the VPP pass and hands them to a sink. */
export class PassTelemetry {
  private readonly tags: Record<string, string>[];
  private points: TelemetryPoint[] = [];

  constructor(
    private readonly sink: TelemetrySink,
    fleet: Fleet,
  ) {
    this.tags = fleet.members.map(memberTags);
  }

  /** The setpoints the interval's plan gave (undefined: no plan reached that DER), with the certified plan's hash. */
  plan(intervalStartMs: number, setpointsKW: readonly (number | undefined)[], planHash: string | undefined): void {
    setpointsKW.forEach((setpointKW, k) => {
      if (setpointKW !== undefined) this.points.push(point(MEASUREMENTS.plan, this.tags[k], intervalStartMs, { setpointKW, planHash }));
    });
  }

  /** DER `k` over the interval: its mean power (from its meter), kW, and its reading at the interval's end. */
  der(k: number, intervalStartMs: number, meanPowerKW: number, reading: DeviceTelemetry): void {
    this.points.push(point(MEASUREMENTS.der, this.tags[k], intervalStartMs, derFields(reading, meanPowerKW)));
  }

  /**
   * Closes an interval with its fleet figures (named as in timeseries.csv) and its signals; then
   * everything collected goes to the sink. Yields one event-loop turn so the sink's requests go out
   * while the pass runs (a pass in virtual time otherwise never lets I/O through).
   */
  async interval(intervalStartMs: number, fleet: Readonly<Record<string, number>>, signals: Readonly<Record<string, number>>): Promise<void> {
    this.points.push(point(MEASUREMENTS.fleet, {}, intervalStartMs, fleet), point(MEASUREMENTS.signal, {}, intervalStartMs, signals));
    this.sink.write(this.points);
    this.points = [];
    await nextTurn();
  }
}

/** The run's sink: the scenario's `telemetry.influx`, its URL replaced by `--influx` when given; undefined without either. */
export function openSimTelemetry(scenario: Scenario, influxUrl: string | undefined): InfluxSink | undefined {
  const configured = scenario.telemetry?.influx;
  const config = influxUrl !== undefined ? withInfluxUrl(configured, influxUrl, '--influx') : configured;
  return config && new InfluxSink(config);
}

/** The summary's `telemetry` entry. */
export function telemetrySummary(sink: InfluxSink): Record<string, unknown> {
  const { bufferedPoints: _, ...counters } = sink.stats();
  return { sink: 'influx', database: sink.database, ...counters };
}
