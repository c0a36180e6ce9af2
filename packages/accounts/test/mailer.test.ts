import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@peergroup/service';
import { createMailer } from '../src/mailer.ts';

/** A mailer in outbox mode writing to a fresh directory that is removed after the test. */
async function outboxMailer(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'pg-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const outbox = join(dir, 'outbox');
  const m = await createMailer(
    { mode: 'outbox', from: 'accounts@example.org', outboxDir: outbox, smtp: { host: 'x', port: 1, secure: false, requireTls: true } },
    silentLogger(),
  );
  return { m, outbox };
}

test('outbox mode writes complete RFC 5322 messages as .eml files, nothing half-written', async (t) => {
  const { m, outbox } = await outboxMailer(t);
  await m.send({ to: 'alice@example.org', subject: 'A reset was requested — ünïcode', text: 'Hello\nline two\n' });
  await m.send({ to: 'bob@example.org', subject: 'second', text: 'x', lang: 'de' });
  m.close();
  const files = readdirSync(outbox);
  assert.equal(files.length, 2);
  assert.ok(files.every((f) => f.endsWith('.eml') && !f.startsWith('.')));
  const text = files.map((f) => readFileSync(join(outbox, f), 'utf8')).join('\n');
  assert.match(text, /^To: alice@example\.org\r$/m);
  assert.match(text, /^From: accounts@example\.org\r$/m);
  assert.match(text, /^Subject: =\?UTF-8\?/m, 'non-ASCII subjects are encoded');
  assert.match(text, /^Message-ID: </m);
  assert.match(text, /Hello\r\nline two/);
  // Every mail is a notification: no vacation responder may answer it (RFC 3834), and it says its language.
  assert.equal(text.match(/^Auto-Submitted: auto-generated\r$/gm)?.length, 2);
  assert.match(text, /^Content-Language: de\r$/m);
});

test('smtp mode submits over SMTP with AUTH to the configured server (smtp-server on loopback)', async (t) => {
  const { SMTPServer } = await import('smtp-server');
  const { writeFileSync } = await import('node:fs');
  const received: { from: string; to: string[]; user: string | undefined; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'accounts' && auth.password === 's3cret-pass') cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          data: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'pg-smtp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 's3cret-pass\n', { mode: 0o600 });
  const smtp = { host: '127.0.0.1', port, secure: false, requireTls: false, user: 'accounts', passwordFile: pwFile };
  const m = await createMailer({ mode: 'smtp', from: 'accounts@example.org', outboxDir: dir, smtp }, silentLogger());
  await m.send({ to: 'alice@example.org', subject: 'A password reset was requested', text: 'body text' });
  m.close();
  assert.equal(received.length, 1);
  assert.equal(received[0]!.user, 'accounts');
  assert.equal(received[0]!.from, 'accounts@example.org');
  assert.deepEqual(received[0]!.to, ['alice@example.org']);
  assert.match(received[0]!.data, /^Subject: A password reset was requested\r$/m);
  assert.match(received[0]!.data, /^Auto-Submitted: auto-generated\r$/m);

  // requireTls (the default) refuses a server that offers no STARTTLS instead of sending in cleartext; the message waits.
  const strictDir = join(dir, 'strict');
  const strict = await createMailer(
    { mode: 'smtp', from: 'accounts@example.org', outboxDir: strictDir, smtp: { ...smtp, requireTls: true } },
    silentLogger(),
  );
  assert.equal(await strict.send({ to: 'alice@example.org', subject: 'x', text: 'y' }), 'queued');
  assert.equal(await strict.flushSpool(), 1, 'still waiting: no downgrade on retry either');
  strict.close();
  assert.equal(received.length, 1, 'nothing was sent in cleartext');
  assert.equal(readdirSync(join(strictDir, 'spool')).filter((f) => f.endsWith('.json')).length, 1);
});

test('smtp mode: a temporary refusal (451) spools the message and a retry delivers it', async (t) => {
  const { SMTPServer } = await import('smtp-server');
  let refuse = true;
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse) {
          const err = Object.assign(new Error('try again later'), { responseCode: 451 });
          cb(err);
          return;
        }
        received.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'pg-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const m = await createMailer(
    { mode: 'smtp', from: 'accounts@example.org', outboxDir: dir, smtp: { host: '127.0.0.1', port, secure: false, requireTls: false } },
    silentLogger(),
  );
  t.after(() => m.close());
  assert.equal(await m.send({ to: 'carol@example.org', subject: 'It becomes effective at noon', text: 'body' }), 'queued');
  assert.equal(received.length, 0);
  assert.equal(await m.flushSpool(), 1, 'still refused');
  refuse = false;
  assert.equal(await m.flushSpool(), 0);
  assert.equal(received.length, 1);
  assert.match(received[0]!, /^Subject: It becomes effective at noon\r$/m);
  assert.deepEqual(
    readdirSync(join(dir, 'spool')).filter((f) => !f.startsWith('.')),
    [],
    'the spool is empty again',
  );
});

test('smtp mode: an unreadable password file fails at start-up, not with the first mail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-outbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'no-such-password');
  const smtp = { host: '127.0.0.1', port: 1, secure: false, requireTls: false, user: 'accounts', passwordFile: missing };
  await assert.rejects(
    createMailer({ mode: 'smtp', from: 'accounts@example.org', outboxDir: join(dir, 'outbox'), smtp }, silentLogger()),
    (err: Error) => err.message.includes(missing),
  );
});

test('outbox mode: messages sent at once, before the mail library has loaded, are all written', async (t) => {
  const { m, outbox } = await outboxMailer(t);
  const results = await Promise.all(['a', 'b', 'c'].map((to) => m.send({ to: `${to}@example.org`, subject: 's', text: 't' })));
  m.close();
  assert.deepEqual(results, ['written', 'written', 'written']);
  const to = readdirSync(outbox)
    .map((f) => readFileSync(join(outbox, f), 'utf8').match(/^To: (\S+)\r$/m)?.[1])
    .sort();
  assert.deepEqual(to, ['a@example.org', 'b@example.org', 'c@example.org']);
});
