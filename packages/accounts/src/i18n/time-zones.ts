// Which time zones a reader may choose: the IANA names Intl knows.

// Every request with a tz cookie asks: building an Intl.DateTimeFormat to find out costs more than rendering a small
// page, so the answers are kept (the names are checked for shape first; bounded all the same).
const zoneValidity = new Map<string, boolean>();

export function isTimeZone(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(v)) return false;
  let ok = zoneValidity.get(v);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      ok = true;
    } catch {
      ok = false;
    }
    if (zoneValidity.size > 2000) zoneValidity.clear();
    zoneValidity.set(v, ok);
  }
  return ok;
}

let zones: string[] | undefined;
/** The IANA zones Intl knows, for the time-zone picker. */
export function timeZones(): string[] {
  zones ??= Intl.supportedValuesOf('timeZone');
  return zones;
}
