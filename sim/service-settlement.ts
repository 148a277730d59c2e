/**
 * The grid services' payments on the VPP pass's settlement chain: after the service pass, each
 * DER's commitment in each period it carried a service, at the scenario's capacity price for the
 * period, times the performance score the pass measured, in one `service-settlement` block.
 */
import { Ledger, type ServicePaymentInput } from '../chain/index.js';
import type { DeliveredPeriod } from '../services/pass.js';
import { settlementSummaryOf, type SettlementSummary } from './consensus-network.js';
import type { PreparedRun } from './run.js';
import type { CapacityMarket } from './scenario.js';

const PRICE_FIELD = { regulation: 'regulationPerMWh', reserve: 'reservePerMWh', frequency: 'frequencyPerMWh' } as const satisfies Record<DeliveredPeriod['service'], keyof CapacityMarket>;

/**
 * What the market owes for `delivered`: a service without a capacity price in `market.capacity`
 * is not paid (regulation is paid as a symmetric band, at `regulationPerMWh` only).
 */
export function servicePaymentsOf(run: PreparedRun, delivered: readonly DeliveredPeriod[]): ServicePaymentInput[] {
  const capacity = run.scenario.market.capacity;
  if (capacity === undefined) return [];
  const seriesOf = new Map<string, readonly number[]>();
  const priceAt = (service: DeliveredPeriod['service'], startMs: number): number | undefined => {
    const spec = capacity[PRICE_FIELD[service]];
    if (spec === undefined || typeof spec === 'number') return spec;
    let values = seriesOf.get(service);
    if (!values) {
      values = run.signals.onGrid(spec, run.grid).values;
      seriesOf.set(service, values);
    }
    const index = Math.floor((startMs - run.grid.startMs) / run.grid.intervalMs);
    return values[Math.min(values.length - 1, Math.max(0, index))];
  };
  return delivered.flatMap((period) => {
    const capacityPricePerMWh = priceAt(period.service, period.startMs);
    if (capacityPricePerMWh === undefined) return [];
    const { service, startMs, endMs, performanceScore } = period;
    return period.ders.map((d) => ({ derId: d.derId, service, startMs, endMs, committedKW: d.committedKW, capacityPricePerMWh, performanceScore }));
  });
}

/**
 * Appends the payments for `delivered` to the chain in `chainDir` (written by the VPP pass) and
 * returns its settlement summary, or `settlement` unchanged when nothing is payable.
 */
export async function settleServicesOnChain(chainDir: string, run: PreparedRun, delivered: readonly DeliveredPeriod[], settlement: SettlementSummary): Promise<SettlementSummary> {
  const payments = servicePaymentsOf(run, delivered);
  if (payments.length === 0) return settlement;
  // Virtual time, as the VPP pass's blocks: the block is made once the last period paid is over.
  const paidAtMs = Math.max(...payments.map((p) => p.endMs));
  const ledger = await Ledger.open(chainDir, { clock: () => paidAtMs });
  try {
    await ledger.appendServiceSettlement(payments);
    return settlementSummaryOf(ledger, settlement.meterReadingsRejected);
  } finally {
    await ledger.close();
  }
}
