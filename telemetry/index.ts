/**
 * Public API of telemetry: the `TelemetrySink` seam, the point schema (measurements, tags, fields),
 * the `telemetry` config block and the InfluxDB 1.x sink.
 */
export type { TelemetryFieldValue, TelemetryPoint, TelemetrySink, TelemetryStats } from './sink.js';
export { MEASUREMENTS, derFields, derTags, point, serviceScorePoint, type DerIdentity } from './points.js';
export {
  influxConfigSchema,
  influxTarget,
  parseInfluxConfig,
  telemetryConfigSchema,
  TelemetryConfigError,
  withInfluxUrl,
  type InfluxConfig,
  type InfluxConfigInput,
  type TelemetryConfig,
} from './config.js';
export { InfluxSink, type InfluxSinkDependencies, type InfluxStatus } from './influx-sink.js';
