// The mail e2e tests' common set-up: peergroup's accounts service configured from docs/snippets/mailboxes.yaml, a
// private Dovecot from the operator snippets, optionally a private Postfix from postfix-virtual-*.cf.
import { mkdtemp, mkdir, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '@peergroup/service';
import { startAccountsFrom, type AccountsConfigInput, type RunningAccounts } from '@peergroup/accounts';
import { startDovecot, dovecotPaths, writePassdbSecret, mailUser, type Dovecot } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { snippet } from '@peergroup/test-support/snippets';
import { keepTestDirs } from '@peergroup/test-support/proc';
import { FAST_PWHASH } from '../../packages/accounts/test/support/harness.ts';

export const DOMAIN = 'example.org';

export interface MailStack {
  work: string;
  dv: Dovecot;
  svc: RunningAccounts | undefined;
  config: AccountsConfigInput;
  /** (Re)starts peergroup's accounts service with `config`. */
  start(): Promise<RunningAccounts>;
  /** Stops peergroup only (Dovecot keeps running). */
  stopPeergroup(): Promise<void>;
  close(): Promise<void>;
}

export async function startMailStack(o: { dovecotSettings?: Record<string, string>; now?: () => Date; mailboxes?: Record<string, unknown> } = {}): Promise<MailStack> {
  const work = await mkdtemp(join(tmpdir(), 'pg-mail-e2e-'));
  await chmod(work, 0o755);
  const dovecotDir = join(work, 'dovecot');
  await mkdir(dovecotDir);
  const smPort = await freePort();
  const passdbPort = await freePort();
  const secretFile = join(work, 'passdb.secret');
  await writePassdbSecret(secretFile);
  const { uid, gid } = mailUser();
  const paths = dovecotPaths(dovecotDir);
  const yaml = parseYaml(
    snippet('mailboxes.yaml')
      .replace('/run/peergroup/dovecot-dict.sock', join(work, 'dict.sock'))
      .replace('/run/dovecot/auth-master', paths.authMaster)
      .replace('/var/vmail/%d/%n', paths.home)
      .replace('uid: 5000', `uid: ${uid}`)
      .replace('gid: 5000', `gid: ${gid}`)
      .replace('127.0.0.1:23010', `127.0.0.1:${smPort}`)
      .replace('127.0.0.1:23011', `127.0.0.1:${passdbPort}`)
      .replace('/etc/dovecot/peergroup-passdb.secret', secretFile),
  ) as { accounts: { mailboxes: Record<string, unknown> } };
  const config: AccountsConfigInput = {
    listen: '127.0.0.1:0',
    dataDir: join(work, 'data'),
    trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
    mailboxes: { ...yaml.accounts.mailboxes, verifier: { opslimit: 1, memlimit: 8192 }, ...o.mailboxes } as never,
  };
  const logger = createLogger('mail-e2e', process.env.PEERGROUP_LOG_LEVEL ?? 'silent');
  const stack: MailStack = {
    work,
    dv: undefined as unknown as Dovecot,
    svc: undefined,
    config,
    async start() {
      stack.svc = await startAccountsFrom(config, { logger, ...(o.now ? { now: o.now } : {}) });
      return stack.svc;
    },
    async stopPeergroup() {
      await stack.svc?.close();
      stack.svc = undefined;
    },
    async close() {
      await stack.svc?.close();
      await stack.dv?.stop();
      if (!keepTestDirs()) await rm(work, { recursive: true, force: true });
    },
  };
  await stack.start();
  stack.dv = await startDovecot({ dir: dovecotDir, dictSocket: join(work, 'dict.sock'), passdb: { port: passdbPort, secretFile }, domain: DOMAIN, settings: { ...(process.env.DV_DEBUG ? { auth_debug: 'yes' } : {}), ...o.dovecotSettings } });
  return stack;
}
