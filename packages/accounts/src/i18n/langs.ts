// The languages the service ships and which one a request gets. Apart from the catalogues (locale.ts): the config,
// the cookies and the stored preference are checked against this list without loading any of the texts.

/** In the order the language picker shows them. */
export const LANGS = ['en', 'de', 'fr', 'it'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'en';

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
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
