import { Info, type Zone } from 'luxon';
import { CsvMappingError } from './errors.js';

const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new WeakMap<Zone, { days: Map<number, number>; quarters: Map<number, number> }>();

/** A luxon zone for an IANA name ('Europe/Berlin') or a fixed offset ('UTC+10', 'UTC-7'); throws naming `where`. */
export function resolveZone(name: string, where: string): Zone {
  const zone = Info.normalizeZone(name);
  if (!zone.isValid) {
    throw new CsvMappingError(`${where}: unknown time zone ${JSON.stringify(name)} (expected an IANA name like "Europe/Berlin" or a fixed offset like "UTC+10")`);
  }
  return zone;
}

function cachedOffset(zone: Zone, cache: Map<number, number>, key: number, ms: number): number {
  let offset = cache.get(key);
  if (offset === undefined) cache.set(key, (offset = zone.offset(ms)));
  return offset;
}

/**
 * Zone offset in minutes at UTC epoch `ms` (local = UTC + offset), memoised because Intl look-ups are slow (~5 us): when a UTC day
 * starts and ends on the same offset it holds all day (changes are months apart); otherwise it is
 * looked up per quarter hour, as offset changes fall on quarter-hour boundaries in the tz database.
 */
export function offsetAt(zone: Zone, ms: number): number {
  if (zone.isUniversal) return zone.offset(ms);
  let cache = offsetCache.get(zone);
  if (!cache) offsetCache.set(zone, (cache = { days: new Map(), quarters: new Map() }));
  const day = Math.floor(ms / DAY_MS);
  const atStart = cachedOffset(zone, cache.days, day, day * DAY_MS);
  if (atStart === cachedOffset(zone, cache.days, day + 1, (day + 1) * DAY_MS)) return atStart;
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  return cachedOffset(zone, cache.quarters, quarter, quarter * QUARTER_HOUR_MS);
}

/**
 * UTC epoch ms of a local wall-clock time, given as `naiveMs` (the wall time read as if it were UTC).
 * Returns undefined for a wall time that does not exist (skipped by a spring-forward change). For a
 * wall time that occurs twice (fall-back) it returns the first occurrence later than `afterMs`, or
 * the earlier occurrence when neither is, so in-order data with both occurrences keeps both.
 */
export function wallToUtc(naiveMs: number, zone: Zone, afterMs = -Infinity): number | undefined {
  const offsets = new Set([offsetAt(zone, naiveMs - DAY_MS), offsetAt(zone, naiveMs), offsetAt(zone, naiveMs + DAY_MS)]);
  const candidates: number[] = [];
  for (const offsetMin of offsets) {
    const t = naiveMs - offsetMin * 60_000;
    if (offsetAt(zone, t) === offsetMin) candidates.push(t);
  }
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => a - b);
  return candidates.find((t) => t > afterMs) ?? candidates[0];
}
