import * as z from 'zod';

/**
 * Config keys that were renamed: the older name keeps working, so a file written for an earlier release still
 * loads. The older key is validated as the new one is (same syntax, same range) but under its own name, so a
 * problem names the key the operator wrote; its value then moves to the new key. Giving both is refused, naming
 * both: a silent winner would hide a setting that does nothing.
 */
type Shape = z.core.$ZodShape;
type OlderOf<S extends Shape> = Record<string, keyof S & string>;

/** Older name → new name of each object made by withOlderNames, so a flag can replace either spelling. */
const olderNamesByObject = new WeakMap<z.ZodType, Record<string, string>>();

export function withOlderNames<S extends Shape, O extends OlderOf<S>>(object: z.ZodObject<S, z.core.$strict>, older: O) {
  const extra: Record<string, z.ZodType> = {};
  for (const [old, now] of Object.entries(older)) {
    const current = object.shape[now] as z.ZodType | undefined;
    if (!current) throw new Error(`withOlderNames: ${old} names ${now}, which the schema does not have`);
    // The new key's default must not fill the older one, or every file would seem to give both.
    const bare = current instanceof z.ZodDefault || current instanceof z.ZodPrefault ? (current.unwrap() as z.ZodType) : current;
    extra[old] = bare.optional();
  }
  const extended = object.extend(extra);
  const schema = z
    .preprocess((input, ctx) => {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
      const given = input as Record<string, unknown>;
      for (const [old, now] of Object.entries(older)) {
        if (given[old] !== undefined && given[now] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [old],
            input: given[old],
            message: `${now} and its older name ${old} are both set; keep only ${now}`,
          });
        }
      }
      return input;
    }, extended)
    .transform((value) => {
      const out = value as Record<string, unknown>;
      for (const [old, now] of Object.entries(older)) {
        if (out[old] !== undefined) out[now] = out[old];
        delete out[old];
      }
      return out as z.output<z.ZodObject<S, z.core.$strict>>;
    }) as unknown as z.ZodType<
    z.output<z.ZodObject<S, z.core.$strict>>,
    z.input<z.ZodObject<S, z.core.$strict>> & { [K in keyof O]?: z.input<S[O[K]]> }
  >;
  olderNamesByObject.set(extended, older);
  return schema;
}

/** Peels the wrappers a config tree puts around an object (default, prefault, optional, refinements). */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable)
      s = s.unwrap() as z.ZodType;
    // A preprocess step leads to the schema it feeds; a transform or refinement follows the schema it reads.
    else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else return s;
  }
}

/**
 * The older names of the dotted key `path` in `schema` (full dotted paths), e.g. `limits.idleTimeout` →
 * [`limits.idleTimeoutMs`]: a command-line flag that sets the key also replaces a value the file gave under an
 * older name.
 */
export function olderNamesOf(schema: z.ZodType, path: string): string[] {
  const parts = path.split('.');
  let node = unwrap(schema);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!(node instanceof z.ZodObject)) return [];
    const object = node;
    if (i === parts.length - 1) {
      const prefix = parts
        .slice(0, i)
        .map((p) => `${p}.`)
        .join('');
      return Object.entries(olderNamesByObject.get(object) ?? {})
        .filter(([, now]) => now === part)
        .map(([old]) => prefix + old);
    }
    const child = object.shape[part] as z.ZodType | undefined;
    if (!child) return [];
    node = unwrap(child);
  }
  return [];
}
