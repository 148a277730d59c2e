import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { dataFile } from './data-dir.js';
import { SignalDataError } from './errors.js';
import { ReportBuilder } from './report.js';
import type { Loaded } from './series.js';

/** Path of the ACN-Data Caltech sessions file inside the recorded-data folder. */
export const ACN_SESSIONS_FILE = 'ev-acn-caltech-2021/acndata_sessions.json';
/**
 * Station excluded from the sessions: 618 short sessions with high kWh and no doneChargingTime,
 * i.e. a DC fast charger that does not fit the Level-2 garage the other 41 stations describe.
 */
export const ACN_EXCLUDED_STATION = '2-39-81-4550';

/** One recorded EV charging session. Times are UTC epoch ms. */
export interface EvSessionRecord {
  sessionId: string;
  stationId: string;
  /** Plug-in time (connectionTime). */
  arrivalMs: number;
  /** Unplug time (disconnectTime), > arrivalMs. */
  departureMs: number;
  /** When energy delivery finished, if recorded. */
  doneChargingMs?: number;
  /** Energy delivered to the car, kWh. */
  deliveredKWh: number;
  /** Energy the driver asked for in the app (latest request), kWh. */
  requestedKWh?: number;
  /** Departure time the driver gave in the app (latest request). */
  requestedDepartureMs?: number;
  userId?: string;
}

const userInputSchema = z.looseObject({
  kWhRequested: z.number().nullish(),
  requestedDeparture: z.string().nullish(),
  modifiedAt: z.string().nullish(),
});

const sessionSchema = z.looseObject({
  sessionID: z.string(),
  stationID: z.string(),
  connectionTime: z.string(),
  disconnectTime: z.string(),
  doneChargingTime: z.string().nullish(),
  kWhDelivered: z.number().nullish(),
  userID: z.string().nullish(),
  userInputs: z.array(userInputSchema).nullish(),
});

/** RFC-1123 GMT time ('Sat, 01 May 2021 20:42:47 GMT') to UTC epoch ms, undefined when it is not one. */
function httpTimeMs(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const dt = DateTime.fromHTTP(s, { zone: 'UTC' });
  return dt.isValid ? dt.toMillis() : undefined;
}

/**
 * Load the ACN-Data Caltech sessions (May–Sep 2021), sorted by arrival. Drops the implausible DC
 * station (ACN_EXCLUDED_STATION), sessions whose departure is not after arrival or whose energy is
 * not a finite number, and malformed records; the driver request is the latest userInputs entry.
 */
export function loadAcnSessions(dataDir: string): Loaded<EvSessionRecord[]> {
  const file = dataFile(dataDir, ACN_SESSIONS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SignalDataError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  // API downloads wrap the list as { _items: [...] }; web downloads are the bare list.
  const items = Array.isArray(raw) ? raw : (raw as { _items?: unknown })?._items;
  if (!Array.isArray(items)) throw new SignalDataError(`${file}: expected a JSON array of sessions (or an object with _items)`);
  const report = new ReportBuilder(file);
  report.rowsRead = items.length;
  const sessions: EvSessionRecord[] = [];
  items.forEach((item, index) => {
    const where = `record ${index}`;
    const parsed = sessionSchema.safeParse(item);
    if (!parsed.success) {
      report.drop(`malformed session record (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`, where);
      return;
    }
    const s = parsed.data;
    if (s.stationID === ACN_EXCLUDED_STATION) {
      report.drop(`station ${ACN_EXCLUDED_STATION} excluded (implausible DC-fast-charger sessions: high kWh, no doneChargingTime)`, where);
      return;
    }
    const arrivalMs = httpTimeMs(s.connectionTime);
    const departureMs = httpTimeMs(s.disconnectTime);
    if (arrivalMs === undefined || departureMs === undefined) {
      report.drop('unparseable connectionTime or disconnectTime (expected RFC-1123 GMT)', where);
      return;
    }
    if (departureMs <= arrivalMs) {
      report.drop('departure not after arrival', where);
      return;
    }
    if (typeof s.kWhDelivered !== 'number' || !Number.isFinite(s.kWhDelivered)) {
      report.drop('kWhDelivered is not a finite number', where);
      return;
    }
    const inputs = s.userInputs ?? [];
    let latest: z.infer<typeof userInputSchema> | undefined;
    let latestMs = -Infinity;
    for (const u of inputs) {
      // Entries without a usable modifiedAt count as older than any dated one, in list order.
      const t = httpTimeMs(u.modifiedAt) ?? -Infinity;
      if (latest === undefined || t >= latestMs) {
        latest = u;
        latestMs = t;
      }
    }
    const record: EvSessionRecord = { sessionId: s.sessionID, stationId: s.stationID, arrivalMs, departureMs, deliveredKWh: s.kWhDelivered };
    const done = httpTimeMs(s.doneChargingTime);
    if (done !== undefined) record.doneChargingMs = done;
    if (typeof latest?.kWhRequested === 'number' && Number.isFinite(latest.kWhRequested)) record.requestedKWh = latest.kWhRequested;
    const reqDep = httpTimeMs(latest?.requestedDeparture);
    if (reqDep !== undefined) record.requestedDepartureMs = reqDep;
    if (s.userID) record.userId = s.userID;
    sessions.push(record);
  });
  sessions.sort((a, b) => a.arrivalMs - b.arrivalMs);
  report.note('times are RFC-1123 GMT strings (UTC); the site is in America/Los_Angeles');
  return { data: sessions, report: report.build(sessions.length) };
}
