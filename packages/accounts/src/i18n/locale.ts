// The per-request formatter the pages and mails use: messages from the catalogues, dates and relative times through
// Intl in the reader's locale and time zone. Which language and zone a reader gets is langs.ts and time-zones.ts, which
// need none of the catalogues (an idle accounts daemon loads those two, and the catalogues with its first page).
import { de } from './de.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { fr } from './fr.ts';
import { it } from './it.ts';
import type { Lang } from './langs.ts';
import { MessageFormat, type Params } from './message-format.ts';

export const CATALOGUES = { en, de, fr, it } as const satisfies Record<Lang, Messages>;

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
