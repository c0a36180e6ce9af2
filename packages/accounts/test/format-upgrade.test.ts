// trust.allowFormatUpgrade reaches the trust store, and the store's format-upgraded event is logged, on SQLite and
// on a real PostgreSQL. The "format-1 database" is a format-2 one with its marker and user tags removed, which is
// exactly what the store sees after a writer reverts it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@peergroup/service';
import { accountsConfigSchema, openAccountsContext } from '../src/index.ts';
import { databaseUrlFor, DIALECTS, FAST_PWHASH, stopPostgres } from '@peergroup/test-support/accounts';

for (const dialect of DIALECTS) {
  describe(`trust.allowFormatUpgrade (${dialect})`, () => {
    after(async () => {
      if (dialect === 'postgres') await stopPostgres();
    });

    test('false refuses a format-1 database; true (the default) upgrades it and logs format-upgraded once', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'peergroup-format-'));
      const databaseUrl = await databaseUrlFor(dialect);
      const lines: string[] = [];
      const logger = createLogger('accounts-test', 'info', { stream: { write: (l: string) => void lines.push(l) } as never });
      const config = (trust: Record<string, unknown> = {}) =>
        accountsConfigSchema.parse({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), trust: { pwhash: FAST_PWHASH, ...trust } });
      try {
        assert.equal(config().trust.allowFormatUpgrade, true);
        const first = await openAccountsContext(config(), { logger });
        await first.store.createUser('old-timer', 'old timer cobalt frost');
        await first.db.deleteFrom('trust_meta').execute();
        await first.db.updateTable('trust_user').set({ user_tag: null }).execute();
        await first.close();

        const refusing = await openAccountsContext(config({ allowFormatUpgrade: false }), { logger });
        await assert.rejects(refusing.store.getUserByName('old-timer'), /allowFormatUpgrade is false/);
        await refusing.close();
        assert.ok(!lines.some((l) => l.includes('format 2')));

        for (let i = 0; i < 2; i++) {
          const upgrading = await openAccountsContext(config(), { logger });
          assert.equal((await upgrading.store.login('old-timer', 'old timer cobalt frost')).username, 'old-timer');
          await upgrading.close();
        }
        const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => /upgraded to format 2/.test(String(l.msg)));
        assert.equal(logged.length, 1, 'once per database');
        assert.equal(logged[0]!.users, 1);
        assert.equal(logged[0]!.untagged, 0);
        assert.match(String(logged[0]!.msg), /allowFormatUpgrade: false/);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
