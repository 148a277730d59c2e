import { RPCServer, type RPCClient } from 'ocpp-rpc';
import type { DeviceCapabilities, DeviceTelemetry, EvSessionState } from '../device-adapter.js';
import { DeviceConfigError, DeviceLinkError, DeviceProtocolError } from '../errors.js';
import { errorMessage, offlineTelemetry, withTimeout, type DeviceClock, type LinkedDeviceAdapter } from './device-link.js';

/** OCPP 1.6J subprotocol name. */
export const OCPP16 = 'ocpp1.6';
/** Charging profile ids this node owns on a charger: its default (fallback) and its per-transaction profile. */
export const DEFAULT_PROFILE_ID = 1;
export const TX_PROFILE_ID = 2;
// StatusNotification states in which the connector cannot charge.
const UNUSABLE_STATUSES = new Set(['Faulted', 'Unavailable']);

/** What a driver (app, booking) says about a visit; OCPP 1.6 itself carries neither departure nor energy wanted. */
export interface EvSessionHint {
  departureMs: number;
  requestedKWh: number;
  /** The car's own limit, kW; the charger's rating when omitted. */
  maxChargeKW?: number;
}

/** Where the central system listens. */
export interface OcppCentralSystemOptions {
  host: string;
  port: number;
  /** Heartbeat interval told to chargers at boot, s. */
  heartbeatIntervalS: number;
  /** A call to a charger without an answer for this long fails, ms. */
  callTimeoutMs: number;
}

/** How to treat one charger (one connector) behind the central system. */
export interface OcppChargerConfig {
  id: string;
  /** The identity the charge point connects with (last path segment of its URL). */
  chargePointId: string;
  connectorId: number;
  /** Limits as the owner states them: kind 'ev-charger', maxImportKW = the charger's allowed rating. */
  capabilities: DeviceCapabilities;
  /** kWh reaching the car per kWh drawn, (0, 1]. */
  chargeEfficiency: number;
  /** Unit of the charging profiles the charger takes: amperes (needs voltage and phases) or watts. */
  rateUnit: 'A' | 'W';
  voltageV: number;
  phases: number;
  /** Rate of the charger's own TxDefaultProfile, kW: what it charges at when this node is gone. */
  defaultChargeKW: number;
  /** Assumed visit when the driver said nothing: stay, ms, and energy wanted, kWh. */
  assumedStayMs: number;
  assumedRequestedKWh: number;
  /** The driver's stated visit for an id tag, if known. */
  sessionHint?: (idTag: string, arrivalMs: number) => EvSessionHint | undefined;
  now?: DeviceClock;
}

interface Transaction {
  transactionId: number;
  idTag: string;
  arrivalMs: number;
  meterStartWh: number;
  hint: EvSessionHint;
}

/** Counters of what a charger sent that the node ignored. */
export interface OcppAnomalies {
  /** Frames that were not OCPP-J or failed the 1.6 schema. */
  malformedFrames: number;
  /** Messages out of order: before BootNotification, or about a transaction that is not running. */
  outOfOrder: number;
  /** Meter values whose value is not a number. */
  badMeterValues: number;
}

/**
 * An OCPP 1.6J central system (WebSocket server) for the site's chargers, with strict schema
 * validation of every frame. A charge point that connects with an identity no adapter claims is
 * refused at the handshake.
 */
export class OcppCentralSystem {
  readonly options: OcppCentralSystemOptions;
  private readonly server: RPCServer;
  private readonly chargers = new Map<string, OcppChargerAdapter>();
  private listening: Promise<unknown> | undefined;

  constructor(options: OcppCentralSystemOptions) {
    this.options = options;
    this.server = new RPCServer({
      protocols: [OCPP16],
      strictMode: true,
      callTimeoutMs: options.callTimeoutMs,
      pingIntervalMs: Math.max(1000, options.heartbeatIntervalS * 1000),
      // A charger that keeps sending garbage is cut off; it may reconnect.
      maxBadMessages: 20,
      respondWithDetailedErrors: true,
    });
    this.server.auth((accept, reject, handshake) => {
      if (this.chargers.has(handshake.identity)) accept({});
      else reject(404, `unknown charge point ${handshake.identity}`);
    });
    this.server.on('client', (client: RPCClient) => {
      this.chargers.get(client.identity ?? '')?.attach(client);
    });
  }

  /** Route the charge point `chargePointId` to `charger`. */
  register(chargePointId: string, charger: OcppChargerAdapter): void {
    if (this.chargers.has(chargePointId)) throw new DeviceConfigError(`charge point ${chargePointId} is claimed by two devices`);
    this.chargers.set(chargePointId, charger);
  }

  /** Start listening (once). */
  async listen(): Promise<void> {
    this.listening ??= this.server.listen(this.options.port, this.options.host);
    await this.listening;
  }

  /** Close every charger connection and the server. */
  async close(): Promise<void> {
    if (this.listening) await this.server.close({ force: true, awaitPending: false });
    this.listening = undefined;
  }
}

/**
 * One charger connector as a device. Telemetry comes from what the charger sends (status,
 * transactions, MeterValues with power and the energy register); a setpoint becomes a TxProfile
 * for the running transaction. At every boot the node clears stale TxProfiles and installs a
 * TxDefaultProfile at `defaultChargeKW`, so a charger that loses this node falls back on its own;
 * `close` clears the TxProfile for the same reason. The charger is offline while it is not
 * connected and booted, or reports its connector Faulted or Unavailable.
 */
export class OcppChargerAdapter implements LinkedDeviceAdapter {
  readonly id: string;
  readonly anomalies: OcppAnomalies = { malformedFrames: 0, outOfOrder: 0, badMeterValues: 0 };
  private readonly config: OcppChargerConfig;
  private readonly central: OcppCentralSystem;
  private readonly now: DeviceClock;
  private client: RPCClient | undefined;
  private booted = false;
  private status = 'Unavailable';
  private tx: Transaction | undefined;
  private nextTransactionId = 1;
  private powerW = 0;
  private energyWh: number | undefined;
  private firstEnergyWh: number | undefined;
  private setpointKW = 0;
  /** Limit last sent for the running transaction, in the profile unit. */
  private sentLimit: number | undefined;
  private last: DeviceTelemetry | undefined;

  constructor(config: OcppChargerConfig, central: OcppCentralSystem) {
    if (config.capabilities.kind !== 'ev-charger') {
      throw new DeviceConfigError(`device ${config.id}: OCPP drives an ev-charger, not ${config.capabilities.kind}`);
    }
    if (config.rateUnit === 'A' && !(config.voltageV > 0 && config.phases >= 1)) {
      throw new DeviceConfigError(`device ${config.id}: rateUnit A needs voltageV > 0 and phases >= 1 (got ${config.voltageV} V, ${config.phases})`);
    }
    this.id = config.id;
    this.config = config;
    this.central = central;
    this.now = config.now ?? Date.now;
    central.register(config.chargePointId, this);
  }

  capabilities(): DeviceCapabilities {
    return { ...this.config.capabilities };
  }

  /** Whether the charge point is connected and has booted. */
  get ready(): boolean {
    return this.client !== undefined && this.booted;
  }

  async open(): Promise<void> {
    await this.central.listen();
  }

  async close(): Promise<void> {
    const client = this.client;
    if (client && this.booted) {
      await this.call('ClearChargingProfile', { id: TX_PROFILE_ID }).catch(() => undefined);
    }
  }

  async readTelemetry(): Promise<DeviceTelemetry> {
    const timeMs = this.now();
    if (!this.ready || UNUSABLE_STATUSES.has(this.status)) {
      this.last = offlineTelemetry(this.config.capabilities, this.last, timeMs);
      delete this.last.evSession;
      return this.last;
    }
    const meterNetKWh = this.energyWh !== undefined && this.firstEnergyWh !== undefined ? -(this.energyWh - this.firstEnergyWh) / 1000 : 0;
    this.last = {
      timeMs,
      online: true,
      powerKW: this.tx ? 0 - this.powerW / 1000 : 0,
      setpointKW: this.setpointKW,
      meterNetKWh: meterNetKWh + 0,
      ...(this.tx ? { evSession: this.session(this.tx) } : {}),
    };
    return this.last;
  }

  async applySetpoint(powerKW: number): Promise<void> {
    const caps = this.config.capabilities;
    if (!Number.isFinite(powerKW) || powerKW > 0 || powerKW < -caps.maxImportKW) {
      throw new DeviceProtocolError(`device ${this.id}: setpoint ${powerKW} kW is outside [${-caps.maxImportKW}, 0] kW`);
    }
    if (!this.ready) throw new DeviceLinkError(`device ${this.id}: charge point ${this.config.chargePointId} is not connected and booted`);
    const tx = this.tx;
    if (!tx) {
      // No transaction, nothing to shape: a charger without a car draws nothing.
      if (powerKW !== 0) throw new DeviceProtocolError(`device ${this.id}: setpoint ${powerKW} kW without a transaction`);
      this.setpointKW = 0;
      return;
    }
    const limit = this.toLimit(-powerKW);
    if (limit === this.sentLimit) return;
    const reply = (await this.call('SetChargingProfile', {
      connectorId: this.config.connectorId,
      csChargingProfiles: this.profile(TX_PROFILE_ID, 1, 'TxProfile', limit, tx.transactionId),
    })) as { status?: string };
    if (reply.status !== 'Accepted') {
      throw new DeviceProtocolError(`device ${this.id}: charge point answered SetChargingProfile with ${reply.status}`);
    }
    this.sentLimit = limit;
    this.setpointKW = -this.fromLimit(limit);
  }

  /** Take over a (re)connected charge point: its handlers live as long as its connection. */
  attach(client: RPCClient): void {
    this.client = client;
    this.booted = false;
    this.sentLimit = undefined;
    client.on('badMessage', () => {
      this.anomalies.malformedFrames += 1;
    });
    client.on('close', () => {
      if (this.client === client) {
        this.client = undefined;
        this.booted = false;
      }
    });
    client.handle('BootNotification', () => {
      this.booted = true;
      setImmediate(() => this.afterBoot());
      return Promise.resolve({ status: 'Accepted', currentTime: this.isoNow(), interval: this.central.options.heartbeatIntervalS });
    });
    client.handle('Heartbeat', () => this.whenBooted(() => ({ currentTime: this.isoNow() })));
    client.handle('StatusNotification', ({ params }) =>
      this.whenBooted(() => {
        if (params?.connectorId === this.config.connectorId) this.status = String(params.status);
        return {};
      }),
    );
    client.handle('Authorize', () => this.whenBooted(() => ({ idTagInfo: { status: 'Accepted' } })));
    client.handle('StartTransaction', ({ params }) => this.whenBooted(() => this.startTransaction(params ?? {})));
    client.handle('StopTransaction', ({ params }) => this.whenBooted(() => this.stopTransaction(params ?? {})));
    client.handle('MeterValues', ({ params }) => this.whenBooted(() => this.meterValues(params ?? {})));
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  /** Answer a message; one that comes before BootNotification is counted (OCPP 1.6 §4.2) and still answered. */
  private whenBooted(answer: () => Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.booted) this.anomalies.outOfOrder += 1;
    return Promise.resolve(answer());
  }

  private async afterBoot(): Promise<void> {
    try {
      await this.call('ClearChargingProfile', { chargingProfilePurpose: 'TxProfile' });
      await this.call('SetChargingProfile', {
        connectorId: 0,
        csChargingProfiles: this.profile(DEFAULT_PROFILE_ID, 0, 'TxDefaultProfile', this.toLimit(this.config.defaultChargeKW)),
      });
    } catch {
      // The charger keeps whatever default it had; the node's own envelope still governs.
    }
  }

  private startTransaction(params: Record<string, unknown>): Record<string, unknown> {
    const transactionId = this.nextTransactionId++;
    if (params.connectorId !== this.config.connectorId) return { transactionId, idTagInfo: { status: 'Invalid' } };
    if (this.tx) this.anomalies.outOfOrder += 1; // a new start without a stop: the old session is over
    const idTag = String(params.idTag);
    const arrivalMs = Date.parse(String(params.timestamp));
    const at = Number.isFinite(arrivalMs) ? arrivalMs : this.now();
    const meterStartWh = Number(params.meterStart);
    const hint = this.config.sessionHint?.(idTag, at) ?? { departureMs: at + this.config.assumedStayMs, requestedKWh: this.config.assumedRequestedKWh };
    this.tx = { transactionId, idTag, arrivalMs: at, meterStartWh, hint };
    this.energyWh = meterStartWh;
    this.firstEnergyWh ??= meterStartWh;
    this.powerW = 0;
    this.sentLimit = undefined;
    return { transactionId, idTagInfo: { status: 'Accepted' } };
  }

  private stopTransaction(params: Record<string, unknown>): Record<string, unknown> {
    if (!this.tx || params.transactionId !== this.tx.transactionId) {
      this.anomalies.outOfOrder += 1;
      return {};
    }
    const meterStopWh = Number(params.meterStop);
    if (meterStopWh >= this.tx.meterStartWh) this.energyWh = meterStopWh;
    else this.anomalies.badMeterValues += 1;
    this.tx = undefined;
    this.powerW = 0;
    this.setpointKW = 0;
    this.sentLimit = undefined;
    return { idTagInfo: { status: 'Accepted' } };
  }

  private meterValues(params: Record<string, unknown>): Record<string, unknown> {
    if (params.connectorId !== this.config.connectorId) return {};
    if (!this.tx || params.transactionId !== this.tx.transactionId) {
      this.anomalies.outOfOrder += 1;
      return {};
    }
    for (const meterValue of (params.meterValue as { sampledValue: Record<string, string | undefined>[] }[]) ?? []) {
      for (const sample of meterValue.sampledValue) {
        const value = Number(sample.value);
        const measurand = sample.measurand ?? 'Energy.Active.Import.Register';
        const kilo = sample.unit === 'kW' || sample.unit === 'kWh' ? 1000 : 1;
        if (!Number.isFinite(value) || value < 0) {
          this.anomalies.badMeterValues += 1;
        } else if (measurand === 'Power.Active.Import') {
          this.powerW = value * kilo;
        } else if (measurand === 'Energy.Active.Import.Register') {
          // A register never runs backwards; one that does is a broken reading.
          if (this.energyWh !== undefined && value * kilo < this.energyWh) this.anomalies.badMeterValues += 1;
          else this.energyWh = value * kilo;
        }
      }
    }
    return {};
  }

  private session(tx: Transaction): EvSessionState {
    const deliveredKWh = (((this.energyWh ?? tx.meterStartWh) - tx.meterStartWh) / 1000) * this.config.chargeEfficiency;
    return {
      sessionId: String(tx.transactionId),
      arrivalMs: tx.arrivalMs,
      departureMs: tx.hint.departureMs,
      requestedKWh: tx.hint.requestedKWh,
      deliveredKWh,
      maxChargeKW: Math.min(tx.hint.maxChargeKW ?? Infinity, this.config.capabilities.maxImportKW),
      chargeEfficiency: this.config.chargeEfficiency,
    };
  }

  /** Limit in the profile unit for `kW` drawn, rounded down to the 0.1 OCPP allows (never above what was asked). */
  private toLimit(kW: number): number {
    const perUnitW = this.config.rateUnit === 'A' ? this.config.voltageV * this.config.phases : 1;
    return Math.floor((kW * 1000 * 10) / perUnitW) / 10;
  }

  private fromLimit(limit: number): number {
    const perUnitW = this.config.rateUnit === 'A' ? this.config.voltageV * this.config.phases : 1;
    return (limit * perUnitW) / 1000;
  }

  private profile(chargingProfileId: number, stackLevel: number, purpose: string, limit: number, transactionId?: number): Record<string, unknown> {
    return {
      chargingProfileId,
      ...(transactionId !== undefined ? { transactionId } : {}),
      stackLevel,
      chargingProfilePurpose: purpose,
      chargingProfileKind: 'Relative',
      chargingSchedule: {
        chargingRateUnit: this.config.rateUnit,
        chargingSchedulePeriod: [{ startPeriod: 0, limit, ...(this.config.rateUnit === 'A' ? { numberPhases: this.config.phases } : {}) }],
      },
    };
  }

  private async call(method: string, params: Record<string, unknown>): Promise<unknown> {
    const client = this.client;
    if (!client) throw new DeviceLinkError(`device ${this.id}: charge point ${this.config.chargePointId} is not connected`);
    try {
      return await withTimeout(client.call(method, params), this.central.options.callTimeoutMs + 100, `device ${this.id} ${method}`);
    } catch (err) {
      throw err instanceof DeviceLinkError ? err : new DeviceLinkError(`device ${this.id}: ${method} failed: ${errorMessage(err)}`);
    }
  }
}
