// Each user's language and time zone, kept so that mail sent to them (a reset notice, often while they are not
// logged in) is in their language and their zone. Set at sign-up from the request and whenever they choose.
import type { Kysely } from 'kysely';
import type { AllTables } from '../db.ts';
import { isLang, type Lang } from './langs.ts';
import { isTimeZone } from './time-zones.ts';

export interface AccountsUserLocaleTable {
  user_id: string;
  lang: string | null;
  time_zone: string | null;
}

export interface UserLocale {
  lang?: Lang | undefined;
  timeZone?: string | undefined;
}

export class UserLocaleStore {
  constructor(private readonly db: Kysely<AllTables>) {}

  /** What is stored and still valid (a catalogue or zone may have gone since). */
  async get(userId: string): Promise<UserLocale> {
    const row = await this.db
      .selectFrom('accounts_user_locale')
      .select(['lang', 'time_zone'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return {
      lang: isLang(row?.lang) ? row.lang : undefined,
      timeZone: isTimeZone(row?.time_zone) ? row.time_zone : undefined,
    };
  }

  /** Updates the fields given; the others keep their value. */
  async set(userId: string, v: UserLocale): Promise<void> {
    const update = { ...(v.lang ? { lang: v.lang } : {}), ...(v.timeZone ? { time_zone: v.timeZone } : {}) };
    if (Object.keys(update).length === 0) return;
    await this.db
      .insertInto('accounts_user_locale')
      .values({ user_id: userId, lang: v.lang ?? null, time_zone: v.timeZone ?? null })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(update))
      .execute();
  }
}
