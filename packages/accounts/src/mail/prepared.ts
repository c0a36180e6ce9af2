// Queries compiled once and run many times with new values. Kysely otherwise builds and compiles the SQL again on
// every call, a large part of a socketmap lookup's CPU time (bench/mail-auth). A query is built with stand-ins from
// param(name); each run puts the value given under that name in the stand-in's place.
import type { Compilable, Kysely } from 'kysely';
import { TextStatement, type TextRow } from '@peergroup/trust';

const STAND_IN = '\u0000peergroup-param:';

/** The stand-in for the value `name` while building a query for prepare(). */
export function param(name: string): string {
  return STAND_IN + name;
}

export type Prepared<P extends string, R> = (values: Record<P, unknown>) => Promise<R[]>;

/** Compiles `query` now (on `db`'s dialect); the result runs it with `values` in place of the stand-ins. */
export function prepare<P extends string, R>(db: Kysely<any>, query: Compilable<R>, names: readonly P[]): Prepared<P, R> {
  const compiled = query.compile();
  const slots = compiled.parameters.map((v): { name?: P; fixed?: unknown } => {
    if (typeof v !== 'string' || !v.startsWith(STAND_IN)) return { fixed: v };
    const name = v.slice(STAND_IN.length) as P;
    if (!names.includes(name)) throw new Error(`prepare: the query uses ${name}, which is not among its names`);
    return { name };
  });
  return async (values) => {
    const parameters = slots.map((s) => (s.name === undefined ? s.fixed : values[s.name]));
    return (await db.executeQuery<R>({ ...compiled, parameters })).rows;
  };
}

/**
 * prepare() for PostgreSQL's hottest statements: the same compiled SQL run as a TextStatement (@peergroup/trust),
 * every value given as text and every column returned as text, in the select's order. The run takes the values in
 * the order of `names` (no record to look names up in on every run).
 */
export function prepareText(
  db: Kysely<any>,
  query: Compilable<unknown>,
  names: readonly string[],
): (values: readonly (string | null)[]) => Promise<TextRow[]> {
  const compiled = query.compile();
  const statement = new TextStatement(compiled.sql);
  const positions = compiled.parameters.map((v): number => {
    const at = typeof v === 'string' && v.startsWith(STAND_IN) ? names.indexOf(v.slice(STAND_IN.length)) : -1;
    if (at < 0) throw new Error(`prepareText: every value must be one of ${names.join(', ')}`);
    return at;
  });
  return async (values) => (await db.executeQuery(statement.run(positions.map((p) => values[p] ?? null)))).rows as TextRow[];
}
