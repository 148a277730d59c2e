/**
 * Commitments from a fixed rule (`services.commitments: rule`, the default): one
 * `CommitmentSource`, the seam the real-time path gets its `FleetCommitment` from, so the
 * co-optimising planner's output (services/planned.ts) replaces this function and nothing else.
 *
 * The rule, per period, from the fleet's state at the period's start:
 * - regulation and frequency (symmetric): a battery's basepoint steers it toward the middle of
 *   its SoC bounds over the period, at most `socCorrectionFrac` of its rating (PJM scores the
 *   response around the basepoint, so this manages SoC at no cost to the score); an EV whose car
 *   stays the whole period and still wants at least half its charging power for the period
 *   charges at half power as its basepoint, so it can both raise and lower its draw. PV does not
 *   take part. A DER's capacity is min(up, down) headroom held over the SoC horizon.
 * - reserve (upward only): the basepoint is what the DER draws or pushes when the event starts (PJM
 *   measures a reserve response from the pre-event level); capacity is its upward headroom held
 *   for the whole event, an EV's down to the charging it needs to get its energy by departure.
 * - on a feeder, capacities shrink in proportion until they fit the feeder's limits around the
 *   basepoints (and the safe defaults of its DERs outside the service).
 * - the fleet commitment is split in proportion to capacity, never above a DER's capacity.
 */
import type { FleetCommitment, ServiceCommitment } from './commitment.js';
import type { RealTimeDispatcher } from './dispatcher.js';
import { MS_PER_HOUR } from '../actors/devices/simulated-device.js';

/** Which service a commitment is for. */
export type CommittedService = 'regulation' | 'frequency' | 'reserve';

/** A period's commitments together with what the fleet could have carried. */
export interface PeriodCommitment {
  fleet: FleetCommitment;
  /** What the fleet could carry over the period, kW. */
  capacityKW: number;
  /** What was committed (the asked commitment, or less when the fleet cannot carry it), kW. */
  committedKW: number;
}

/** Where the real-time path gets each period's commitments from. */
export type CommitmentSource = (service: CommittedService, startMs: number, endMs: number, askedKW: number, headroomMs: number) => PeriodCommitment;

/** Settings of the rule. */
export interface RuleSettings {
  /** Largest basepoint a battery takes toward mid-SoC, fraction of its rating (0: idle basepoint). */
  socCorrectionFrac: number;
}

/** The rule above, over the dispatcher's fleet in its present state. */
export function ruleCommitments(dispatcher: RealTimeDispatcher, settings: RuleSettings = { socCorrectionFrac: 0 }): CommitmentSource {
  return (service, startMs, endMs, askedKW, headroomMs) => {
    const periodH = (endMs - startMs) / MS_PER_HOUR;
    const holdMs = service === 'reserve' ? endMs - startMs : headroomMs;
    const drafts: { k: number; basepointKW: number; capacityKW: number }[] = [];
    dispatcher.members.forEach((member, k) => {
      const caps = dispatcher.caps[k];
      const telemetry = member.device.telemetryNow();
      const session = telemetry.evSession;
      if (caps.kind === 'pv') return;
      if (caps.kind === 'ev-charger' && (!session || session.departureMs < endMs)) return;
      const [lo, hi] = dispatcher.holdRangeKW(k, holdMs, true, telemetry);
      if (service === 'reserve') {
        const basepointKW = Math.min(hi, Math.max(lo, telemetry.setpointKW));
        if (hi > basepointKW) drafts.push({ k, basepointKW, capacityKW: hi - basepointKW });
        return;
      }
      if (caps.kind === 'battery') {
        const st = caps.storage!;
        const excessKWh = (telemetry.energyKWh ?? 0) - ((st.minSocFrac + st.maxSocFrac) / 2) * st.capacityKWh;
        const towardMidKW = excessKWh > 0 ? (excessKWh * st.dischargeEfficiency) / periodH : excessKWh / st.chargeEfficiency / periodH;
        const limitKW = settings.socCorrectionFrac * (excessKWh > 0 ? caps.maxExportKW : caps.maxImportKW);
        const basepointKW = Math.min(hi, Math.max(lo, Math.min(limitKW, Math.max(-limitKW, towardMidKW))));
        const capacityKW = Math.min(hi - basepointKW, basepointKW - lo);
        if (capacityKW > 0) drafts.push({ k, basepointKW, capacityKW });
        return;
      }
      const halfKW = Math.min(caps.maxImportKW, session!.maxChargeKW) / 2;
      const wantedGridKWh = (session!.requestedKWh - session!.deliveredKWh) / session!.chargeEfficiency;
      if (wantedGridKWh >= halfKW * periodH && -lo >= 2 * halfKW - 1e-9) drafts.push({ k, basepointKW: -halfKW, capacityKW: halfKW });
    });
    // A feeder carries no more than its limits leave around its DERs' basepoints (and the fixed draw of those outside).
    const symmetric = service !== 'reserve';
    const draftOf = new Map(drafts.map((d) => [d.k, d]));
    for (const group of dispatcher.groups) {
      let heldKW = 0;
      let groupKW = 0;
      for (const k of group.members) {
        const d = draftOf.get(k);
        heldKW += d ? d.basepointKW : dispatcher.holdRangeKW(k, holdMs, false)[0];
        groupKW += d?.capacityKW ?? 0;
      }
      const roomKW = Math.max(0, Math.min(group.exportLimitKW - heldKW, symmetric ? group.importLimitKW + heldKW : Infinity));
      if (groupKW > roomKW) for (const k of group.members) if (draftOf.has(k)) draftOf.get(k)!.capacityKW *= roomKW / groupKW;
    }
    const capacityKW = drafts.reduce((sum, d) => sum + d.capacityKW, 0);
    const share = capacityKW > 0 ? Math.min(1, askedKW / capacityKW) : 0;
    const ders: ServiceCommitment[] = drafts.map((d) => {
      const kW = d.capacityKW * share;
      return {
        derId: dispatcher.members[d.k].device.id,
        startMs,
        endMs,
        basepointKW: d.basepointKW,
        regulationUpKW: service === 'regulation' ? kW : 0,
        regulationDownKW: service === 'regulation' ? kW : 0,
        reserveKW: service === 'reserve' ? kW : 0,
        frequencyKW: service === 'frequency' ? kW : 0,
      };
    });
    return { fleet: { startMs, endMs, ders }, capacityKW, committedKW: capacityKW * share };
  };
}

/** Per dispatcher member: its basepoint in `fleet`, kW, or NaN when it carries no commitment. */
export function basepointsOf(dispatcher: RealTimeDispatcher, fleet: FleetCommitment): Float64Array {
  const byId = new Map(fleet.ders.map((c) => [c.derId, c.basepointKW]));
  return Float64Array.from(dispatcher.members, (m) => byId.get(m.device.id) ?? NaN);
}
