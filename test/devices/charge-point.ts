import { RPCClient } from 'ocpp-rpc';
import { SimulatedEvCharger, type EvSessionSpec } from '../../actors/index.js';
import { OCPP16 } from '../../actors/devices/ocpp-charger.js';

/** A charging profile as the charge point stored it, limit in kW drawn. */
interface StoredProfile {
  id: number;
  purpose: string;
  transactionId?: number;
  limitKW: number;
}

/**
 * An OCPP 1.6J charge point (one connector, id 1) started by a test, driving simulated EV physics:
 * it boots, reports status, authorises, starts and stops transactions and sends MeterValues
 * (power and the energy register) from the physics; it obeys SetChargingProfile /
 * ClearChargingProfile (TxProfile above TxDefaultProfile, A or W). A profile above the rating is
 * counted in `outOfLimitWrites` and rejected.
 */
export class TestChargePoint {
  readonly physics: SimulatedEvCharger;
  readonly ratingKW: number;
  outOfLimitWrites = 0;
  /** Every limit the charge point accepted, kW. */
  readonly acceptedKW: number[] = [];
  private readonly profiles = new Map<number, StoredProfile>();
  private client: RPCClient | undefined;
  private transactionId: number | undefined;
  private messageSeq = 0;

  constructor(
    readonly identity: string,
    readonly port: number,
    options: { ratingKW: number; sessions: EvSessionSpec[]; startMs: number; voltageV: number },
  ) {
    this.ratingKW = options.ratingKW;
    this.voltageV = options.voltageV;
    this.physics = new SimulatedEvCharger({ id: identity, maxChargeKW: options.ratingKW, chargeEfficiency: 1, sessions: options.sessions, startMs: options.startMs });
    this.physics.applySetpointNow(-options.ratingKW);
  }

  private readonly voltageV: number;

  /** Limit the charger applies now, kW: the transaction's profile, else the default one, else its rating. */
  get effectiveLimitKW(): number {
    const all = [...this.profiles.values()];
    const tx = all.find((p) => p.purpose === 'TxProfile' && p.transactionId === this.transactionId);
    const def = all.find((p) => p.purpose === 'TxDefaultProfile');
    return Math.min(this.ratingKW, (tx ?? def)?.limitKW ?? this.ratingKW);
  }

  get defaultProfileKW(): number | undefined {
    return [...this.profiles.values()].find((p) => p.purpose === 'TxDefaultProfile')?.limitKW;
  }

  get importedWh(): number {
    return Math.round(-this.physics.telemetryNow().meterNetKWh * 1000);
  }

  async connect(): Promise<void> {
    const client = new RPCClient({
      endpoint: `ws://127.0.0.1:${this.port}`,
      identity: this.identity,
      protocols: [OCPP16],
      strictMode: true,
      reconnect: false,
    } as ConstructorParameters<typeof RPCClient>[0]);
    client.handle('SetChargingProfile', ({ params }) => Promise.resolve({ status: this.setProfile(params as Record<string, unknown>) }));
    client.handle('ClearChargingProfile', ({ params }) => Promise.resolve({ status: this.clearProfile(params as Record<string, unknown>) }));
    await client.connect();
    this.client = client;
  }

  async disconnect(): Promise<void> {
    await this.client?.close({ force: true });
    this.client = undefined;
  }

  call(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.client!.call(method, params) as Promise<Record<string, unknown>>;
  }

  /** Send a frame as is (malformed-input tests). */
  sendRaw(frame: string): void {
    this.client!.sendRaw(frame);
  }

  nextMessageId(): string {
    this.messageSeq += 1;
    return `raw-${this.messageSeq}`;
  }

  async boot(): Promise<void> {
    await this.call('BootNotification', { chargePointVendor: 'VPP', chargePointModel: 'TestCP' });
    await this.status('Available');
  }

  async status(status: string): Promise<void> {
    await this.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status });
  }

  /** Plug in at the physics time: Preparing, Authorize, StartTransaction, Charging. */
  async plugIn(idTag: string, timeMs: number): Promise<number> {
    this.physics.advanceTo(timeMs);
    await this.status('Preparing');
    await this.call('Authorize', { idTag });
    const reply = await this.call('StartTransaction', { connectorId: 1, idTag, meterStart: this.importedWh, timestamp: new Date(timeMs).toISOString() });
    this.transactionId = reply.transactionId as number;
    this.applyLimit();
    await this.status('Charging');
    return this.transactionId;
  }

  /** Run the physics to `timeMs` and report power and energy. */
  async meter(timeMs: number): Promise<void> {
    this.physics.advanceTo(timeMs);
    const t = this.physics.telemetryNow();
    await this.call('MeterValues', {
      connectorId: 1,
      transactionId: this.transactionId,
      meterValue: [
        {
          timestamp: new Date(timeMs).toISOString(),
          sampledValue: [
            { value: (-t.powerKW * 1000).toFixed(1), measurand: 'Power.Active.Import', unit: 'W' },
            { value: String(this.importedWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
          ],
        },
      ],
    });
  }

  async unplug(timeMs: number): Promise<void> {
    this.physics.advanceTo(timeMs);
    await this.call('StopTransaction', { transactionId: this.transactionId, meterStop: this.importedWh, timestamp: new Date(timeMs).toISOString() });
    for (const [id, p] of this.profiles) if (p.purpose === 'TxProfile') this.profiles.delete(id);
    this.transactionId = undefined;
    await this.status('Available');
  }

  private setProfile(params: Record<string, unknown>): string {
    const profile = params.csChargingProfiles as Record<string, unknown>;
    const schedule = profile.chargingSchedule as { chargingRateUnit: string; chargingSchedulePeriod: { limit: number; numberPhases?: number }[] };
    const period = schedule.chargingSchedulePeriod[0];
    const limitKW = schedule.chargingRateUnit === 'A' ? (period.limit * this.voltageV * (period.numberPhases ?? 1)) / 1000 : period.limit / 1000;
    if (limitKW > this.ratingKW + 1e-9 || limitKW < 0) {
      this.outOfLimitWrites += 1;
      return 'Rejected';
    }
    const purpose = String(profile.chargingProfilePurpose);
    const transactionId = profile.transactionId as number | undefined;
    if (purpose === 'TxProfile' && (this.transactionId === undefined || transactionId !== this.transactionId)) return 'Rejected';
    this.profiles.set(profile.chargingProfileId as number, { id: profile.chargingProfileId as number, purpose, transactionId, limitKW });
    this.acceptedKW.push(limitKW);
    this.applyLimit();
    return 'Accepted';
  }

  private clearProfile(params: Record<string, unknown>): string {
    let removed = 0;
    for (const [id, p] of this.profiles) {
      if ((params.id === undefined || params.id === id) && (params.chargingProfilePurpose === undefined || params.chargingProfilePurpose === p.purpose)) {
        this.profiles.delete(id);
        removed += 1;
      }
    }
    this.applyLimit();
    return removed > 0 ? 'Accepted' : 'Unknown';
  }

  private applyLimit(): void {
    this.physics.applySetpointNow(-this.effectiveLimitKW);
  }
}
