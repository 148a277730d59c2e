/**
 * Energy certificates: every `certificateUnitKWh` of PV or storage export backed by a settled, signed
 * meter reading becomes one certificate. A DER's exports are counted in whole Wh and cut into
 * consecutive units; certificate `<derId>#<n>` is the DER's n-th unit, so one unit of energy can
 * only ever have one id and ids never repeat.
 */
import { carbonIntensityAt, type ChainGenesis, type RegisteredDer } from './genesis.js';
import type { SettlementRecord } from './settlement.js';

/** DER kinds whose exports earn certificates (an EV charger only draws). */
const CERTIFIED_KINDS: ReadonlySet<RegisteredDer['kind']> = new Set(['pv', 'battery']);

/** One certificate as issued in a block. */
export interface EnergyCertificate {
  /** `<derId>#<serial>`, serial from 0 per DER. */
  id: string;
  derId: string;
  /** First holder: the DER's owner. */
  ownerId: string;
  /** Interval whose reading completed the unit. */
  intervalStartMs: number;
  energyKWh: number;
  /** energyKWh × grid emission rate of the interval, kgCO2; absent without a carbon series covering it. */
  co2AvoidedKg?: number;
}

/** A change of a certificate's holder, or its retirement (claimed; it can no longer move). */
export type CertificateOp =
  | { op: 'transfer'; certificateId: string; from: string; to: string }
  | { op: 'retire'; certificateId: string; holder: string };

/** Where a DER's certified exports stand. */
export interface CertificateCounter {
  /** Exported Wh not yet in a certificate (< one unit). */
  pendingWh: number;
  /** Serial of the DER's next certificate. */
  nextSerial: number;
}

/** A certificate with its current holder. */
export interface CertificateHolding {
  certificate: EnergyCertificate;
  holder: string;
  retired: boolean;
}

/** Certificate id of a DER's n-th unit. */
export function certificateId(derId: string, serial: number): string {
  return `${derId}#${serial}`;
}

/** Energy per certificate in whole Wh. */
export function certificateUnitWh(genesis: ChainGenesis): number {
  return Math.round(genesis.certificateUnitKWh * 1000);
}

/**
 * The certificates `record` completes for `der`, advancing `counter` in place. Exports count in
 * whole Wh, rounded down, so no certificate ever claims more than was metered.
 */
export function issueCertificates(genesis: ChainGenesis, der: RegisteredDer, record: SettlementRecord, counter: CertificateCounter): EnergyCertificate[] {
  if (!CERTIFIED_KINDS.has(der.kind) || record.exportedKWh <= 0) return [];
  const unitWh = certificateUnitWh(genesis);
  counter.pendingWh += Math.floor(record.exportedKWh * 1000);
  const intensity = carbonIntensityAt(genesis, record.intervalStartMs);
  const issued: EnergyCertificate[] = [];
  while (counter.pendingWh >= unitWh) {
    counter.pendingWh -= unitWh;
    const certificate: EnergyCertificate = {
      id: certificateId(der.derId, counter.nextSerial++),
      derId: der.derId,
      ownerId: der.ownerId,
      intervalStartMs: record.intervalStartMs,
      energyKWh: genesis.certificateUnitKWh,
    };
    if (intensity !== undefined) certificate.co2AvoidedKg = genesis.certificateUnitKWh * intensity;
    issued.push(certificate);
  }
  return issued;
}

/** Why `op` cannot apply to `holding` (undefined when it can). */
export function certificateOpProblem(op: CertificateOp, holding: CertificateHolding | undefined): string | undefined {
  if (!holding) return `certificate '${op.certificateId}' was never issued`;
  if (holding.retired) return `certificate '${op.certificateId}' is retired`;
  const claimedHolder = op.op === 'transfer' ? op.from : op.holder;
  if (holding.holder !== claimedHolder) return `certificate '${op.certificateId}' is held by '${holding.holder}', not '${claimedHolder}'`;
  if (op.op === 'transfer' && op.to === op.from) return `certificate '${op.certificateId}': transfer to its own holder`;
  return undefined;
}
