// test/support/postgres.ts: the private cluster starts, isolates databases, and leaves nothing behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { createDatabase, startPostgres } from '@peergroup/test-support/postgres';

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('startPostgres / createDatabase', () => {
  it('runs a private PostgreSQL 15 on loopback, with separate databases, and cleans up on stop', async () => {
    const p = await startPostgres();
    let dataDir = '';
    try {
      assert.match(p.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      const [v] = (await query(p.url, 'SHOW server_version_num')) as { server_version_num: string }[];
      assert.ok(Number(v!.server_version_num) >= 150000 && Number(v!.server_version_num) < 160000);
      const [d] = (await query(p.url, 'SHOW data_directory')) as { data_directory: string }[];
      dataDir = d!.data_directory;
      assert.ok(existsSync(dataDir));
      const one = await createDatabase(p.url, 'suite_one');
      const two = await createDatabase(p.url, 'suite_two');
      await query(one, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      await assert.rejects(query(two, 'SELECT * FROM t'), /does not exist/);
      await assert.rejects(createDatabase(p.url, 'Bad-Name;'), /invalid database name/);
    } finally {
      await p.stop();
      await p.stop(); // idempotent
    }
    assert.equal(existsSync(dataDir), false);
    await assert.rejects(query(p.url, 'SELECT 1'), /ECONNREFUSED/);
  });
});
