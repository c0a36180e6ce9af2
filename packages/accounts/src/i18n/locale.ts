// Which language a request gets, and the per-request formatter the pages use: messages from the catalogues, dates
// and relative times through Intl in the reader's locale and time zone.
import { de } from './de.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { fr } from './fr.ts';
import { it } from './it.ts';
import { MessageFormat, type Params } from './message-format.ts';

export const CATALOGUES = { en, de, fr, it } as const satisfies Record<string, Messages>;
export type Lang = keyof typeof CATALOGUES;
export const LANGS = Object.keys(CATALOGUES) as Lang[];
export const DEFAULT_LANG: Lang = 'en';

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && Object.hasOwn(CATALOGUES, v);
}

/**
 * The best shipped language for an Accept-Language header: highest q first (ties keep header order), an exact match
 * or its primary subtag (de-CH → de), q=0 meaning "not this one"; the default when nothing matches.
 */
export function negotiateLang(header: string | undefined | null): Lang {
  if (!header) return DEFAULT_LANG;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      let q = 1;
      for (const p of params) {
        const m = /^\s*q\s*=\s*(\S*)\s*$/i.exec(p);
        if (m) q = Number(m[1]);
      }
      // A q that is not a number is a broken range: skipped rather than read as q=1.
      return { tag: tag.trim().toLowerCase(), q: Number.isFinite(q) && q <= 1 ? q : 0, index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranges) {
    const primary = r.tag.split('-')[0]!;
    if (isLang(primary)) return primary;
  }
  return DEFAULT_LANG;
}

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

const compiled: { [L in Lang]: Partial<Record<MessageKey, MessageFormat>> } = { en: {}, de: {}, fr: {}, it: {} };
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const relativeFormats = new Map<Lang, Intl.RelativeTimeFormat>();
const unitFormats = new Map<string, Intl.NumberFormat>();
const decimalFormats = new Map<Lang, Intl.NumberFormat>();
const unitTexts = new Map<string, string>();

function message(lang: Lang, key: MessageKey): MessageFormat {
  return (compiled[lang][key] ??= new MessageFormat(CATALOGUES[lang][key], lang));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** One request's language and time zone. Cheap to make: every Intl object behind it is cached per locale/zone. */
export class I18n {
  constructor(
    readonly lang: Lang,
    readonly timeZone: string,
    private readonly now: () => number = Date.now,
  ) {}

  t(key: MessageKey, params?: Params): string {
    return message(this.lang, key).format(params);
  }

  /** Date and time to the minute, in the reader's locale and zone (the zone they chose, else the configured one). */
  time(d: Date): string {
    const id = `${this.lang}\0${this.timeZone}`;
    let f = dateFormats.get(id);
    if (!f) {
      f = new Intl.DateTimeFormat(this.lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: this.timeZone });
      dateFormats.set(id, f);
    }
    return f.format(d);
  }

  /** A number with at most one decimal, in the reader's notation ("1.5", "1,5"). */
  decimal(n: number): string {
    let f = decimalFormats.get(this.lang);
    if (!f) {
      f = new Intl.NumberFormat(this.lang, { maximumFractionDigits: 1 });
      decimalFormats.set(this.lang, f);
    }
    return f.format(n);
  }

  /** "in 3 days", "vor 2 Stunden": the largest whole unit, rounded. */
  relative(d: Date): string {
    let f = relativeFormats.get(this.lang);
    if (!f) {
      f = new Intl.RelativeTimeFormat(this.lang, { numeric: 'auto' });
      relativeFormats.set(this.lang, f);
    }
    const s = (d.getTime() - this.now()) / 1000;
    for (const [unit, size] of UNITS) {
      if (Math.abs(s) >= size || unit === 'second') return f.format(Math.round(s / size), unit);
    }
    return f.format(0, 'second');
  }

  /** A duration as a number and a unit word ("3 days", "3 Tage"), the largest unit it is a whole number of. */
  duration(seconds: number): string {
    const [unit, n] =
      seconds >= 86400 && seconds % 86400 === 0
        ? (['day', seconds / 86400] as const)
        : seconds >= 3600 && seconds % 3600 === 0
          ? (['hour', seconds / 3600] as const)
          : seconds >= 60 && seconds % 60 === 0
            ? (['minute', seconds / 60] as const)
            : (['second', seconds] as const);
    return this.unit(unit, n);
  }

  /** A wait, rounded up to whole minutes past a minute ("1 minute", "2 Minuten", "45 secondes"). */
  wait(seconds: number): string {
    return seconds < 60 ? this.unit('second', seconds) : this.unit('minute', Math.ceil(seconds / 60));
  }

  private unit(unit: 'day' | 'hour' | 'minute' | 'second', n: number): string {
    const id = `${this.lang}\0${unit}`;
    const memo = `${id}\0${n}`;
    const hit = unitTexts.get(memo);
    if (hit !== undefined) return hit;
    let f = unitFormats.get(id);
    if (!f) {
      f = new Intl.NumberFormat(this.lang, { style: 'unit', unit, unitDisplay: 'long' });
      unitFormats.set(id, f);
    }
    const text = f.format(n);
    // Pages show a handful of distinct durations (settings, the operator's minimum); bounded all the same.
    if (unitTexts.size > 2000) unitTexts.clear();
    unitTexts.set(memo, text);
    return text;
  }
}
