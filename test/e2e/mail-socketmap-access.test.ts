// The socketmap's socket as Postfix meets it when its directory lacks the setgid bit of
// packaging/tmpfiles.d/peergroup-postfix.conf, the mistake the accounts service warns about: the socket has the
// service's group, Postfix's proxymap cannot open it, and mail gets 451 at RCPT. A temporary failure the sender
// retries, never a 550 and never accepted. (With the directory as shipped, the other mail e2e tests run through it.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { startMailStack, DOMAIN, type MailStack } from './mail-setup.ts';

describe('socketmap socket Postfix cannot open (directory not setgid)', () => {
  let m: MailStack;
  before(async () => {
    m = await startMailStack({ postfix: true, socketmapSetgid: false });
    const ctx = m.svc!.context;
    const bob = await ctx.store.createUser('bob', 'canal lantern harbor plum');
    await ctx.mail!.setPassword(bob.userId, 'canal lantern harbor plum');
  });
  after(async () => {
    await m?.close();
  });

  test("the socket has the service's own group; Postfix answers 451 at RCPT for a real mailbox, not 550, and logs the refused connection", async () => {
    const socket = m.svc!.sockets!['mail-socketmap']!;
    assert.equal(statSync(socket).gid, process.getgid!(), "without the setgid bit the socket takes the service's group");
    const before = (await m.pf!.log()).length;
    await assert.rejects(
      m.pf!.submit(`someone@elsewhere.test`, [`bob@${DOMAIN}`], 'Subject: x\r\n\r\nx\r\n'),
      (e: { responseCode?: number; response?: string }) => {
        assert.equal(e.responseCode, 451, e.response);
        return true;
      },
    );
    assert.match(
      await m.pf!.waitForLog(/socketmap\.sock.*Permission denied|Permission denied.*socketmap\.sock/, 15_000, before),
      /Permission denied/,
    );
  });
});
