// The whole trust suite on a real PostgreSQL 15 cluster started for this file (test/support/postgres.ts).
import { after, before } from 'node:test';
import { postgresFactory, type DbFactory } from './harness.ts';
import { defineBehaviourSuite } from './suite-behaviour.ts';
import { definePrivacySuite } from './suite-privacy.ts';
import { defineModelSuite } from './suite-model.ts';
import { defineAuditSuite } from './suite-audit.ts';
import { defineMailKeySuite } from './suite-mail-key.ts';

let factory: DbFactory;
before(async () => {
  factory = await postgresFactory();
});
after(async () => {
  await factory?.shutdown();
});

defineBehaviourSuite(() => factory);
definePrivacySuite(() => factory);
defineAuditSuite(() => factory);
defineMailKeySuite(() => factory);
defineModelSuite(() => factory, Number(process.env.TRUST_MODEL_RUNS ?? 60));
