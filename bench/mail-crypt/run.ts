// Mailbox encryption's cost with the real Dovecot, encrypted against plain in the same run, on one Dovecot and one
// peergroup (docs/mail-crypt.md):
//   - login: Dovecot auth-client protocol → auth (cache off) → Lua passdb → peergroup: a plain account's mail
//     verifier against an encrypted account's wrap (Argon2id at the same mail cost, AEAD, d·G check, PEM), the
//     mail cost as configured by default (2 × 6 MiB); plain and encrypted rows alternate in slices;
//   - LMTP delivery of the same messages to a plain and an encrypted mailbox, and the "Private key not available"
//     lines Dovecot logged meanwhile (the snippet's mail_always_cache_fields keeps them at 0);
//   - IMAP FETCH of whole messages and of cached header fields (python3 imaplib, one session per pass) from a plain
//     and an encrypted mailbox holding those messages; passes alternate;
//   - a floor under an encrypted FETCH: part of Dovecot's per-file key unwrapping (dcrypt format 2: ECDH P-256 and
//     PBKDF2-HMAC-SHA256 with the 2048 rounds every writer puts in the header; istream-decrypt.c then adds a
//     2048-step SHA-256 chain) redone with Node's OpenSSL, so the table shows how much of the cost is that fixed
//     work (docs/mail-crypt.md §7a).
//   node --conditions=source --import tsx bench/mail-crypt/run.ts [--seconds 4] [--messages 200] [--size 20000]
import { createECDH, pbkdf2Sync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mkdtemp, mkdir, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAccountsFrom } from '@peergroup/accounts';
import { silentLogger } from '@peergroup/service';
import { startDovecot, dovecotPaths, mailUser, writePassdbSecret } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { AuthClient } from '../support/dovecot-auth.ts';
import { percentile as pct } from '../support/stats.ts';
import { printTable } from '../support/table.ts';
import { run } from '@peergroup/test-support/proc';
import { yamlFromSnippet } from '@peergroup/test-support/snippets';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    messages: { type: 'string', default: '200' },
    size: { type: 'string', default: '20000' },
  },
});
const SECONDS = Number(args.seconds);
const MESSAGES = Number(args.messages);
const SIZE = Number(args.size);
const USERS = 20;
const CONNS = 4;

const DOMAIN = 'example.org';
const work = await mkdtemp(join(tmpdir(), 'pg-bench-mail-crypt-'));
await chmod(work, 0o755);
const dovecotDir = join(work, 'dovecot');
await mkdir(dovecotDir);
const passdbPort = await freePort();
const secretFile = join(work, 'passdb.secret');
await writePassdbSecret(secretFile);
const { uid, gid } = mailUser();
const paths = dovecotPaths(dovecotDir);
const { accounts } = yamlFromSnippet('mailboxes.yaml', {
  '/run/peergroup/dovecot-dict.sock': join(work, 'dict.sock'),
  '/run/dovecot/auth-master': paths.authMaster,
  '/var/vmail/%d/%n': paths.home,
  'uid: 5000': `uid: ${uid}`,
  'gid: 5000': `gid: ${gid}`,
  // No Postfix here: the socketmap socket only has to be somewhere this process may create it.
  '/run/peergroup-postfix/socketmap.sock': join(work, 'socketmap.sock'),
  '127.0.0.1:23011': `127.0.0.1:${passdbPort}`,
  '/etc/dovecot/peergroup-passdb.secret': secretFile,
});
const svc = await startAccountsFrom(
  {
    listen: '127.0.0.1:0',
    dataDir: join(work, 'data'),
    trust: { pwhash: { opslimit: 1, memlimit: 8192 }, minWait: 0, defaultWait: 0 },
    // The default mail verifier cost, which the encrypted account's wrap uses too.
    mailboxes: { ...(accounts!.mailboxes as object), encryption: 'new', verifier: { opslimit: 2, memlimit: 6 * 1024 * 1024 } } as never,
  },
  { logger: silentLogger() },
);
const dv = await startDovecot({
  dir: dovecotDir,
  dictSocket: join(work, 'dict.sock'),
  passdb: { port: passdbPort, secretFile },
  domain: DOMAIN,
  snippets: ['dovecot-mail-crypt.conf'],
  // No auth cache: every login reaches peergroup.
  settings: { auth_cache_size: '0' },
});
const stack = { dv };
try {
  const ctx = svc.context;
  const mail = ctx.mail!;
  const pw = (name: string) => `${name} bench lantern harbor`;
  for (let i = 0; i < USERS; i++) {
    for (const kind of ['plain', 'enc']) {
      const name = `${kind}${i}`;
      const u = await ctx.store.createUser(name, pw(name));
      if (kind === 'plain') await mail.setWebOnly(u.userId, false); // a mailbox from before encryption: stays plain
      const outcome = await mail.setPassword(u.userId, pw(name));
      if (outcome !== (kind === 'plain' ? 'none' : 'created')) throw new Error(`${name}: ${outcome}`);
    }
  }

  // ---- logins, alternating slices of plain and encrypted
  const clients = await Promise.all(Array.from({ length: CONNS }, () => AuthClient.connect(join(stack.dv.dir, 'run', 'auth-client'))));
  const lat: Record<string, number[]> = { plain: [], enc: [] };
  const time: Record<string, number> = { plain: 0, enc: 0 };
  let failures = 0;
  const slice = 0.5;
  for (let s = 0; s < (SECONDS / slice) * 2; s++) {
    const kind = s % 2 ? 'enc' : 'plain';
    const until = performance.now() + slice * 1000;
    const t0 = performance.now();
    let k = 0;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < until) {
          const n = k++;
          const name = `${kind}${n % USERS}`;
          const t = performance.now();
          if (!(await c.auth(`${name}@${DOMAIN}`, pw(name), `10.0.${n % 250}.${(n >> 8) % 250 || 1}`))) failures++;
          lat[kind]!.push(performance.now() - t);
        }
      }),
    );
    time[kind]! += (performance.now() - t0) / 1000;
  }
  for (const c of clients) c.close();

  // ---- IMAP FETCH: the same messages in a plain and an encrypted mailbox
  const filler = 'All work and no play makes a mailbox dull. '.repeat(Math.ceil(SIZE / 44)).slice(0, SIZE);
  const deliver = `
import smtplib, sys
port, to, n, body = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = smtplib.LMTP('127.0.0.1', port)
for i in range(n):
    s.sendmail('bench@outside.test', [to], 'From: bench@outside.test\\r\\nTo: %s\\r\\nSubject: bench %d\\r\\n\\r\\n%s\\r\\n' % (to, i, body))
s.quit()
`;
  const logBefore = (await readFile(join(stack.dv.dir, 'dovecot.log'), 'utf8')).length;
  const deliverSecs: Record<string, number> = {};
  // Alternating batches, so a slow moment of the shared machine does not land on one kind only.
  const BATCHES = 4;
  for (let b = 0; b < BATCHES * 2; b++) {
    const to = b % 2 ? 'enc0' : 'plain0';
    const n = Math.floor(MESSAGES / BATCHES) + (b < 2 ? MESSAGES % BATCHES : 0);
    const t = performance.now();
    const r = await run('python3', ['-c', deliver, String(stack.dv.lmtpPort), `${to}@${DOMAIN}`, String(n), filler], {
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`LMTP: ${r.stderr}`);
    deliverSecs[to] = (deliverSecs[to] ?? 0) + (performance.now() - t) / 1000;
  }
  const keyErrors =
    (await readFile(join(stack.dv.dir, 'dovecot.log'), 'utf8')).slice(logBefore).split('Private key not available').length - 1;
  const fetchAll = `
import imaplib, sys, time
user, pw, port, item, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
m = imaplib.IMAP4('127.0.0.1', port)
m.login(user, pw)
m.select('INBOX', readonly=True)
t = time.perf_counter()
for _ in range(reps):
    typ, data = m.fetch('1:*', item)
secs = time.perf_counter() - t
size = sum(len(x[1]) for x in data if isinstance(x, tuple))
count = sum(1 for x in data if isinstance(x, tuple)) * reps
size *= reps
m.logout()
print(secs, size, count)
`;
  type Stat = { secs: number; bytes: number; count: number };
  const fetchStats: Record<string, Stat[]> = { plain: [], enc: [], 'plain-hdr': [], 'enc-hdr': [] };
  // Header fields come from the cache in microseconds: repeated in the session, so a pass lasts long enough to time.
  const ITEMS: [string, string, number][] = [
    ['', '(BODY.PEEK[])', 1],
    ['-hdr', '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)])', 20],
  ];
  for (const [suffix, item, reps] of ITEMS) {
    for (let pass = 0; pass < 6; pass++) {
      const kind = pass % 2 ? 'enc' : 'plain';
      const r = await run(
        'python3',
        ['-c', fetchAll, `${kind}0@${DOMAIN}`, pw(`${kind}0`), String(stack.dv.imapPort), item, String(reps)],
        {
          timeoutMs: 600_000,
        },
      );
      if (r.code !== 0) throw new Error(`IMAP: ${r.stderr}`);
      const [secs, bytes, count] = r.stdout.trim().split(/\s+/).map(Number);
      if (count !== MESSAGES * reps) throw new Error(`${kind}${suffix}: fetched ${count} of ${MESSAGES * reps}`);
      if (pass > 1) fetchStats[kind + suffix]!.push({ secs: secs!, bytes: bytes!, count: count! }); // the first pass of each warms the page cache
    }
  }

  // Dovecot's per-file key unwrapping, in the same run on the same machine with Node's OpenSSL (as libcrypto.so.3):
  // the ECDH and the PBKDF2. Its 2048-step SHA-256 chain is left out: done step by step from JavaScript the call
  // overhead would swamp it (in Dovecot it is C, about a quarter of the imap process's time, docs/mail-crypt.md §7a).
  const recipient = createECDH('prime256v1');
  recipient.generateKeys();
  const floorMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    const n = 40;
    for (let i = 0; i < n; i++) {
      const peer = createECDH('prime256v1').generateKeys();
      pbkdf2Sync(recipient.computeSecret(peer), peer, 2048, 48, 'sha256');
    }
    floorMs.push((performance.now() - t) / n);
  }

  const rate = (k: string) => lat[k]!.length / time[k]!;
  const fetchRate = (k: string) => {
    const s = fetchStats[k]!;
    return {
      msgs: s.reduce((a, x) => a + x.count, 0) / s.reduce((a, x) => a + x.secs, 0),
      mb: s.reduce((a, x) => a + x.bytes, 0) / 1e6 / s.reduce((a, x) => a + x.secs, 0),
    };
  };
  const rows = [
    [
      'Dovecot login, uncached, plain account (mail verifier)',
      rate('plain').toFixed(0),
      pct(lat.plain!, 50).toFixed(2),
      pct(lat.plain!, 99).toFixed(2),
      '1.00',
    ],
    [
      'Dovecot login, uncached, encrypted account (wrap + key)',
      rate('enc').toFixed(0),
      pct(lat.enc!, 50).toFixed(2),
      pct(lat.enc!, 99).toFixed(2),
      (rate('enc') / rate('plain')).toFixed(2),
    ],
  ];
  const fp = fetchRate('plain');
  const fe = fetchRate('enc');
  const hp = fetchRate('plain-hdr');
  const he = fetchRate('enc-hdr');
  const floor = 1000 / pct(floorMs, 50);
  const dp = MESSAGES / deliverSecs.plain0!;
  const de = MESSAGES / deliverSecs.enc0!;
  const rows2 = [
    ['LMTP delivery, plain mailbox', dp.toFixed(0), '', '1.00', ''],
    ['LMTP delivery, encrypted mailbox', de.toFixed(0), '', (de / dp).toFixed(2), ''],
    ['IMAP FETCH BODY[], plain mailbox', fp.msgs.toFixed(0), fp.mb.toFixed(1), '1.00', ''],
    [
      'IMAP FETCH BODY[], encrypted mailbox',
      fe.msgs.toFixed(0),
      fe.mb.toFixed(1),
      (fe.msgs / fp.msgs).toFixed(2),
      (fe.msgs / floor).toFixed(2),
    ],
    ['IMAP FETCH cached header fields, plain mailbox', hp.msgs.toFixed(0), hp.mb.toFixed(1), '1.00', ''],
    ['IMAP FETCH cached header fields, encrypted mailbox', he.msgs.toFixed(0), he.mb.toFixed(1), (he.msgs / hp.msgs).toFixed(2), ''],
    ['floor: ECDH P-256 + PBKDF2-SHA256 2048 rounds per message, Node', floor.toFixed(0), '', '', '1.00'],
  ];
  printTable(
    `mail-crypt bench: logins ${CONNS} connections, ${SECONDS} s per kind in alternating ${slice} s slices, ${USERS} accounts each, mail cost 2 × 6 MiB, auth cache off; ${failures} failed logins`,
    ['path', 'per second', 'p50 ms', 'p99 ms', '× plain'],
    rows,
  );
  printTable(
    `${MESSAGES} messages of ${SIZE} bytes: LMTP in 4 alternating sessions per kind; IMAP FETCH 1:* in one session per pass (header fields 20 times), 2 passes each after a warm-up pass; ${keyErrors} "Private key not available" lines logged by the deliveries`,
    ['path', 'messages/s', 'MB/s', '× plain', '× floor'],
    rows2,
  );
  if (failures) process.exitCode = 1;
} finally {
  await svc.close();
  await dv.stop();
  await rm(work, { recursive: true, force: true });
}
