import type { DeviceCapabilities, DeviceTelemetry } from './device-adapter.js';
import type { FlexibilityOffer } from '../protocol/offer.js';
import { ActorInputError } from './errors.js';

/** Who offers: the DER, its owner and (optionally) its feeder node. */
export interface OfferMeta {
  derId: string;
  ownerId: string;
  feederId?: string;
}

/** The planning window an offer covers. */
export interface OfferWindow {
  /** UTC epoch ms of the first interval's start. */
  startMs: number;
  /** Interval length, ms > 0. */
  intervalMs: number;
  /** Number of intervals, integer >= 1. */
  horizonIntervals: number;
  /** PV only: forecast available power per interval, kW; the current `availableKW` persists when omitted. */
  pvAvailableKW?: number[];
}

/**
 * A DER's flexibility over `window`, from its capabilities and latest telemetry. Bounds per
 * interval (kW, positive = into the grid): battery [-maxImport, maxExport] with its storage
 * state; EV charger [-min(charger, car), 0] only in whole intervals before departure while the
 * car still wants energy, with that energy and `intervalsLeft`; PV [0, forecast available].
 * Wear cost becomes `marginalCostPerMWh`. An offline device offers no flexibility (all bounds 0).
 */
export function deriveOffer(
  caps: DeviceCapabilities,
  telemetry: DeviceTelemetry,
  meta: OfferMeta,
  window: OfferWindow,
): FlexibilityOffer {
  const { startMs, intervalMs, horizonIntervals: n } = window;
  if (!Number.isFinite(startMs)) throw new ActorInputError(`offer ${meta.derId}: window.startMs = ${startMs}, expected finite epoch ms`);
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new ActorInputError(`offer ${meta.derId}: window.intervalMs = ${intervalMs}, expected a finite number > 0`);
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new ActorInputError(`offer ${meta.derId}: window.horizonIntervals = ${n}, expected an integer >= 1`);
  }
  const minPowerKW = new Array<number>(n).fill(0);
  const maxPowerKW = new Array<number>(n).fill(0);
  const offer: FlexibilityOffer = {
    derId: meta.derId,
    kind: caps.kind,
    ownerId: meta.ownerId,
    ...(meta.feederId !== undefined ? { feederId: meta.feederId } : {}),
    startMs,
    intervalMs,
    minPowerKW,
    maxPowerKW,
    marginalCostPerMWh: caps.wearCostPerMWh,
  };

  switch (caps.kind) {
    case 'battery': {
      const st = caps.storage;
      if (!st || telemetry.energyKWh === undefined) {
        throw new ActorInputError(`offer ${meta.derId}: battery needs capabilities.storage and telemetry.energyKWh`);
      }
      minPowerKW.fill(-caps.maxImportKW);
      maxPowerKW.fill(caps.maxExportKW);
      offer.storage = {
        energyKWh: telemetry.energyKWh,
        minEnergyKWh: st.minSocFrac * st.capacityKWh,
        maxEnergyKWh: st.maxSocFrac * st.capacityKWh,
        chargeEfficiency: st.chargeEfficiency,
        dischargeEfficiency: st.dischargeEfficiency,
      };
      break;
    }
    case 'ev-charger': {
      const s = telemetry.evSession;
      if (!s) break;
      // The car may leave inside an interval: that interval still counts, for the part it is present.
      const presentIntervals = Math.max(0, (s.departureMs - startMs) / intervalMs);
      const intervalsLeft = Math.min(n, Math.ceil(presentIntervals));
      const lastIntervalFrac = intervalsLeft === Math.ceil(presentIntervals) && intervalsLeft > 0 ? presentIntervals - (intervalsLeft - 1) : 1;
      const wantedKWh = Math.max(0, s.requestedKWh - s.deliveredKWh);
      if (wantedKWh > 0) minPowerKW.fill(-Math.min(caps.maxImportKW, s.maxChargeKW), 0, intervalsLeft);
      offer.evDemand = { wantedKWh, intervalsLeft, lastIntervalFrac, chargeEfficiency: s.chargeEfficiency };
      break;
    }
    case 'pv': {
      const forecast = window.pvAvailableKW;
      if (forecast !== undefined && forecast.length < n) {
        throw new ActorInputError(
          `offer ${meta.derId}: window.pvAvailableKW has ${forecast.length} values, expected at least horizonIntervals = ${n}`,
        );
      }
      for (let i = 0; i < n; i++) {
        const kW = forecast ? forecast[i] : telemetry.availableKW;
        if (kW === undefined || !Number.isFinite(kW)) {
          throw new ActorInputError(
            `offer ${meta.derId}: ${forecast ? `window.pvAvailableKW[${i}]` : 'telemetry.availableKW'} = ${kW}, expected a finite kW`,
          );
        }
        maxPowerKW[i] = Math.min(caps.maxExportKW, Math.max(0, kW));
      }
      break;
    }
  }
  return telemetry.online ? offer : withoutFlexibility(offer);
}

/** The same offer with every power bound at 0, for a device that cannot follow a plan now. */
export function withoutFlexibility(offer: FlexibilityOffer): FlexibilityOffer {
  // An EV demand the planner could not serve would make its problem infeasible.
  const { evDemand: _unserved, ...rest } = offer;
  return {
    ...rest,
    minPowerKW: offer.minPowerKW.map(() => 0),
    maxPowerKW: offer.maxPowerKW.map(() => 0),
  };
}

/** A PV setpoint within this of its offered maximum means "not curtailed". */
const UNCURTAILED_TOLERANCE_KW = 1e-6;

/**
 * The setpoint a DER follows for `plannedKW`, the first-period power a committed plan gives it. A PV
 * setpoint is an export cap: planned at its offered (forecast) maximum the PV is not to be curtailed,
 * so it gets its rating, or a sunnier period than forecast would be capped at the forecast. On a
 * feeder in `limitedFeeders` the plan's output stays the cap: more sun than forecast must not push
 * the feeder past its export limit.
 */
export function setpointForPlan(offer: FlexibilityOffer | undefined, plannedKW: number, caps: DeviceCapabilities, limitedFeeders?: ReadonlySet<string>): number {
  if (offer?.feederId !== undefined && limitedFeeders?.has(offer.feederId)) return plannedKW;
  return caps.kind === 'pv' && offer !== undefined && plannedKW >= offer.maxPowerKW[0] - UNCURTAILED_TOLERANCE_KW ? caps.maxExportKW : plannedKW;
}
