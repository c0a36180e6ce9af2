// The ICU MessageFormat subset the catalogues use: `{name}` and `{n, plural, =0 {…} one {…} other {…}}` with `#`
// for the number, nested freely. Plural categories come from Intl.PluralRules, so French 0 and 1 are both "one".
// Messages are compiled once per locale and kept; formatting is then a walk over a few parts.

export type Params = Record<string, string | number>;

type Part = string | { arg: string } | { plural: string; cases: Map<string, Part[]> } | { hash: true };

export class MessageSyntaxError extends Error {}

function parse(src: string): Part[] {
  let i = 0;
  const parts = (inPlural: boolean): Part[] => {
    const out: Part[] = [];
    let text = '';
    const flush = () => {
      if (text) out.push(text);
      text = '';
    };
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === '}') break;
      if (ch === '#' && inPlural) {
        flush();
        out.push({ hash: true });
        i++;
      } else if (ch === '{') {
        flush();
        i++;
        out.push(placeholder());
      } else {
        text += ch;
        i++;
      }
    }
    flush();
    return out;
  };
  const word = (): string => {
    const m = /^\s*([=\w]+)\s*/.exec(src.slice(i));
    if (!m) throw new MessageSyntaxError(`expected a name at ${i} in ${JSON.stringify(src)}`);
    i += m[0].length;
    return m[1]!;
  };
  const expect = (ch: string) => {
    while (src[i] === ' ') i++;
    if (src[i] !== ch) throw new MessageSyntaxError(`expected '${ch}' at ${i} in ${JSON.stringify(src)}`);
    i++;
  };
  const placeholder = (): Part => {
    const name = word();
    if (src[i] === '}') {
      i++;
      return { arg: name };
    }
    expect(',');
    const kind = word();
    if (kind !== 'plural') throw new MessageSyntaxError(`only plural is supported, not ${kind}, in ${JSON.stringify(src)}`);
    expect(',');
    const cases = new Map<string, Part[]>();
    for (;;) {
      while (src[i] === ' ') i++;
      if (src[i] === '}') {
        i++;
        break;
      }
      const sel = word();
      expect('{');
      cases.set(sel, parts(true));
      expect('}');
    }
    if (!cases.has('other')) throw new MessageSyntaxError(`a plural needs an 'other' case in ${JSON.stringify(src)}`);
    return { plural: name, cases };
  };
  const out = parts(false);
  if (i < src.length) throw new MessageSyntaxError(`unbalanced '}' at ${i} in ${JSON.stringify(src)}`);
  return out;
}

/** Every argument name a message uses (plural selectors included): the catalogue test compares them across languages. */
export function argumentNames(src: string): string[] {
  const names = new Set<string>();
  const walk = (ps: Part[]) => {
    for (const p of ps) {
      if (typeof p === 'string' || 'hash' in p) continue;
      if ('arg' in p) names.add(p.arg);
      else {
        names.add(p.plural);
        for (const c of p.cases.values()) walk(c);
      }
    }
  };
  walk(parse(src));
  return [...names].sort();
}

export class MessageFormat {
  private readonly parts: Part[];
  private readonly rules: Intl.PluralRules;
  private readonly numbers: Intl.NumberFormat;

  constructor(
    src: string,
    readonly locale: string,
  ) {
    this.parts = parse(src);
    this.rules = new Intl.PluralRules(locale);
    this.numbers = new Intl.NumberFormat(locale);
  }

  format(params: Params = {}): string {
    // Most messages are plain text: no walk at all.
    if (this.parts.length === 1 && typeof this.parts[0] === 'string') return this.parts[0];
    return this.walk(this.parts, params, undefined);
  }

  private value(v: string | number | undefined, name: string): string {
    if (v === undefined) throw new Error(`message argument ${name} missing`);
    if (typeof v === 'string') return v;
    // Small whole numbers look the same in every shipped locale (no grouping below 1000); Intl is slow for them.
    return Number.isInteger(v) && v >= 0 && v < 1000 ? String(v) : this.numbers.format(v);
  }

  private readonly small: (Intl.LDMLPluralRule | undefined)[] = [];
  /** Intl.PluralRules.select, remembered for the small whole numbers pages show. */
  private category(v: number): Intl.LDMLPluralRule {
    if (!Number.isInteger(v) || v < 0 || v >= 1000) return this.rules.select(v);
    return (this.small[v] ??= this.rules.select(v));
  }

  private walk(ps: Part[], params: Params, n: number | undefined): string {
    let s = '';
    for (const p of ps) {
      if (typeof p === 'string') s += p;
      else if ('hash' in p) s += this.value(n, '#');
      else if ('arg' in p) s += this.value(params[p.arg], p.arg);
      else {
        const v = Number(params[p.plural]);
        if (!Number.isFinite(v)) throw new Error(`plural argument ${p.plural} is not a number`);
        const c = p.cases.get(`=${v}`) ?? p.cases.get(this.category(v)) ?? p.cases.get('other')!;
        s += this.walk(c, params, v);
      }
    }
    return s;
  }
}
