// The whole trust suite on SQLite (better-sqlite3, one file per suite).
import { after, before } from 'node:test';
import { sqliteFactory, type DbFactory } from './harness.ts';
import { defineBehaviourSuite } from './suite-behaviour.ts';
import { definePrivacySuite } from './suite-privacy.ts';
import { defineModelSuite } from './suite-model.ts';
import { defineAuditSuite } from './suite-audit.ts';
import { defineMailKeySuite } from './suite-mail-key.ts';

let factory: DbFactory;
before(() => {
  factory = sqliteFactory();
});
after(async () => {
  await factory.shutdown();
});

defineBehaviourSuite(() => factory);
definePrivacySuite(() => factory);
defineAuditSuite(() => factory);
defineMailKeySuite(() => factory);
defineModelSuite(() => factory, Number(process.env.TRUST_MODEL_RUNS ?? 150));
