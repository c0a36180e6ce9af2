/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
import type { Child } from 'hono/jsx';
import { CsrfField, Layout } from './layout.tsx';

export interface Common {
  siteName: string;
  user?: { username: string; csrf: string; mail?: boolean } | undefined;
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
}

export function formatTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

function Errors({ errors }: { errors?: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <ul class="errors" role="alert">
      {errors.map((e) => (
        <li>{e}</li>
      ))}
    </ul>
  );
}

const PASSWORD_HINT = 'At least 10 characters. Several unrelated words are easy to remember and hard to guess. Not your username, not a common password, no keyboard runs.';

export function LoginPage(p: Common & { csrf: string; username?: string; error?: string }) {
  return (
    <Layout title="Log in" {...p} notice={p.error ? { kind: 'error', text: p.error } : p.notice}>
      <form method="post" action="/login">
        <CsrfField token={p.csrf} />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" value={p.username ?? ''} autocomplete="username" autocapitalize="none" spellcheck={false} required />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
      <p>
        No account? You need an invite code from someone who already has one: <a href="/signup">sign up</a>. Lost your password?{' '}
        <a href="/forgot">I forgot my password</a>.
      </p>
    </Layout>
  );
}

export function SignupPage(p: Common & { csrf: string; code?: string; username?: string; errors?: string[] }) {
  return (
    <Layout title="Sign up with an invite" {...p}>
      <p>The person who invited you becomes your first trusted user: they can help you reset your password later.</p>
      <Errors errors={p.errors} />
      <form method="post" action="/signup">
        <CsrfField token={p.csrf} />
        <label for="code">Invite code</label>
        <input type="text" id="code" name="code" value={p.code ?? ''} autocomplete="off" autocapitalize="none" spellcheck={false} required />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" value={p.username ?? ''} autocomplete="username" autocapitalize="none" spellcheck={false} required />
        <p class="hint">Lower-case letters, digits, dot, dash and underscore; this is also your mail address.</p>
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="new-password" required />
        <p class="hint">{PASSWORD_HINT}</p>
        <label for="password2">Password again</label>
        <input type="password" id="password2" name="password2" autocomplete="new-password" required />
        <p>
          <button type="submit">Create account</button>
        </p>
      </form>
    </Layout>
  );
}

export interface PendingResetView {
  confirmations: number;
  k: number;
  /** When the reset code becomes available (null while fewer than k trustees have confirmed). */
  effectiveAt: Date | null;
}

export function DashboardPage(
  p: Common & {
    csrf: string;
    pending: PendingResetView | null;
    trustedCount: number;
    k: number;
    waitSeconds: number;
    strength?: 'fair' | undefined;
    /** Mail accounts only: the address and quota line (mail/pages.tsx MailSummary). */
    mail?: Child;
  },
) {
  return (
    <Layout title="Your account" {...p}>
      {p.mail ?? null}
      {p.pending ? (
        <section class="alert" id="pending-reset" role="alert">
          <h2>Someone asked to reset your password</h2>
          <p>
            {p.pending.confirmations} of your trusted users confirmed a password reset for this account ({p.pending.k} needed).{' '}
            {p.pending.effectiveAt
              ? `A reset code can be handed out from ${formatTime(p.pending.effectiveAt)}.`
              : 'No code can be handed out until enough of them confirm.'}
          </p>
          <p>If you did not lose your password, stop it now. This cancels the request and every confirmation.</p>
          <form method="post" action="/reset/veto">
            <CsrfField token={p.csrf} />
            <button type="submit" class="danger">
              This was not me — cancel the reset
            </button>
          </form>
        </section>
      ) : (
        <p class="notice ok">No password reset is pending for your account.</p>
      )}
      {p.strength ? (
        <p class="hint strength-fair" id="password-strength">
          Your password is accepted but fairly short. A longer one (16 characters or more — several unrelated words) is much harder to
          guess; you can change it any time.
        </p>
      ) : null}
      <h2>Trust</h2>
      <p>
        You trust {p.trustedCount} {p.trustedCount === 1 ? 'person' : 'people'}. {p.k} of them must agree to reset your password, then{' '}
        {formatDuration(p.waitSeconds)} pass during which you can cancel. <a href="/trust">Manage trusted users</a>.
      </p>
      {p.k > p.trustedCount ? (
        <p class="notice error">You need more trusted users than you have: nobody could help you reset your password.</p>
      ) : null}
    </Layout>
  );
}

export function TrustPage(
  p: Common & {
    csrf: string;
    trusted: { userId: string; username: string }[];
    slots: number;
    k: number;
    waitSeconds: number;
    minWaitSeconds: number;
    errors?: string[] | undefined;
  },
) {
  const free = p.slots - p.trusted.length;
  return (
    <Layout title="Trusted users" {...p}>
      <p>
        These people can help you reset your password. Only you can see this list: it is stored encrypted to your key.
      </p>
      <Errors errors={p.errors} />
      {p.trusted.length === 0 ? (
        <p id="no-trusted">You do not trust anyone yet.</p>
      ) : (
        <table id="trusted">
          <thead>
            <tr>
              <th>User</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.trusted.map((t) => (
              <tr>
                <td>{t.username}</td>
                <td>
                  <form method="post" action="/trust/remove" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="trustee" value={t.userId} />
                    <button type="submit" class="secondary" aria-label={`Remove ${t.username}`}>
                      Remove
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Add a trusted user</h2>
      {free > 0 ? (
        <form method="post" action="/trust/add">
          <CsrfField token={p.csrf} />
          <label for="add-username">Username</label>
          <input type="text" id="add-username" name="username" autocomplete="off" autocapitalize="none" spellcheck={false} required />
          <p class="hint">{free} of {p.slots} places free.</p>
          <p>
            <button type="submit">Add</button>
          </p>
        </form>
      ) : (
        <p>All {p.slots} places are used; remove someone first.</p>
      )}
      <h2>Reset rules</h2>
      {p.k > p.trusted.length ? (
        <p class="notice error" id="k-warning">
          {p.k} trusted users must agree, but you only trust {p.trusted.length}: nobody could help you reset your password.
        </p>
      ) : null}
      <form method="post" action="/trust/settings">
        <CsrfField token={p.csrf} />
        <label for="k">How many trusted users must agree</label>
        <input type="number" id="k" name="k" min="1" max={String(p.slots)} value={String(p.k)} required />
        <label for="wait">Waiting period in seconds before a reset code can be handed out</label>
        <input type="number" id="wait" name="wait" min={String(p.minWaitSeconds)} value={String(p.waitSeconds)} required />
        <p class="hint">
          Currently {formatDuration(p.waitSeconds)}. The operator's minimum is {formatDuration(p.minWaitSeconds)}. During this time you are told by mail
          and on your dashboard, and you can cancel.
        </p>
        <p>
          <button type="submit">Save</button>
        </p>
      </form>
    </Layout>
  );
}

export function InvitesPage(
  p: Common & {
    csrf: string;
    invites: { id: string; createdAt: Date; expiresAt: Date }[];
    quotaLeft: number;
    newCode?: string | undefined;
  },
) {
  return (
    <Layout title="Invites" {...p}>
      {p.newCode ? (
        <section class="alert" id="new-invite">
          <h2>Your new invite code</h2>
          <p class="code" id="invite-code">
            {p.newCode}
          </p>
          <p>
            It is shown only this once. Give it to the person you invite; whoever uses it gets an account and you become their first
            trusted user.
          </p>
        </section>
      ) : null}
      <p>You can create {p.quotaLeft} more invite {p.quotaLeft === 1 ? 'code' : 'codes'}.</p>
      {p.quotaLeft > 0 ? (
        <form method="post" action="/invites">
          <CsrfField token={p.csrf} />
          <button type="submit">Create an invite code</button>
        </form>
      ) : null}
      <h2>Unused invites</h2>
      {p.invites.length === 0 ? (
        <p id="no-invites">None.</p>
      ) : (
        <table id="invites">
          <thead>
            <tr>
              <th>Created</th>
              <th>Expires</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.invites.map((i) => (
              <tr>
                <td>{formatTime(i.createdAt)}</td>
                <td>{formatTime(i.expiresAt)}</td>
                <td>
                  <form method="post" action="/invites/revoke" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="id" value={i.id} />
                    <button type="submit" class="secondary">
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export type HelpResetResult =
  | { kind: 'generic' }
  | { kind: 'recorded'; confirmations: number; k: number; effectiveAt: Date | null }
  | { kind: 'code'; code: string; expiresAt: Date; username: string };

export function HelpResetPage(p: Common & { csrf: string; result?: HelpResetResult | undefined; error?: string | undefined }) {
  const r = p.result;
  if (r?.kind === 'code') {
    return (
      <Layout title="Reset code" {...p}>
        <section class="alert" id="reset-code-warning">
          <h2>Give this code only to {r.username}, face to face</h2>
          <p>
            Never give it to someone who asks you for it — by mail, chat or phone, even if they say they are {r.username} or say it is
            urgent. Asking trusted friends for a code is exactly how accounts are stolen.
          </p>
        </section>
        <p class="code" id="reset-code">
          {r.code}
        </p>
        <p>It is shown only this once, works once, and expires at {formatTime(r.expiresAt)}.</p>
      </Layout>
    );
  }
  return (
    <Layout title="Help someone reset their password" {...p} notice={p.error ? { kind: 'error', text: p.error } : p.notice}>
      {r?.kind === 'generic' ? (
        <p class="notice ok" id="help-result">
          Thank you. If that account exists and you are one of its trusted users, your confirmation has been recorded.
        </p>
      ) : null}
      {r?.kind === 'recorded' ? (
        <p class="notice ok" id="help-result">
          Your confirmation is recorded: {r.confirmations} of {r.k} needed.{' '}
          {r.effectiveAt
            ? `The code can be handed out from ${formatTime(r.effectiveAt)}. Come back then and submit this form again.`
            : 'Once enough trusted users confirm, a waiting period starts.'}
        </p>
      ) : null}
      <p>
        If someone who trusts you lost their password, you can confirm a reset for them. When enough of their trusted users have
        confirmed and the waiting period has passed, you will see a one-time code here to give them in person.
      </p>
      <form method="post" action="/help-reset">
        <CsrfField token={p.csrf} />
        <label for="target">Their username</label>
        <input type="text" id="target" name="username" autocomplete="off" autocapitalize="none" spellcheck={false} required />
        <label for="own-password">Your own password</label>
        <input type="password" id="own-password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit">Confirm the reset</button>
        </p>
      </form>
    </Layout>
  );
}

export function ForgotPage(p: Common & { csrf: string; username?: string; errors?: string[] | undefined }) {
  return (
    <Layout title="I forgot my password" {...p}>
      <p>
        Ask the people you trust to confirm a reset for you (they log in and use "Help someone reset"). When enough of them have
        confirmed and the waiting period is over, one of them gives you a code in person. Enter it here with a new password.
      </p>
      <Errors errors={p.errors} />
      <form method="post" action="/forgot">
        <CsrfField token={p.csrf} />
        <label for="username">Your username</label>
        <input type="text" id="username" name="username" value={p.username ?? ''} autocomplete="username" autocapitalize="none" spellcheck={false} required />
        <label for="code">Reset code</label>
        <input type="text" id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck={false} required />
        <label for="password">New password</label>
        <input type="password" id="password" name="password" autocomplete="new-password" required />
        <p class="hint">{PASSWORD_HINT}</p>
        <label for="password2">New password again</label>
        <input type="password" id="password2" name="password2" autocomplete="new-password" required />
        <p>
          <button type="submit">Set new password</button>
        </p>
      </form>
    </Layout>
  );
}

export function ForgotDonePage(p: Common & { mailReset?: boolean }) {
  return (
    <Layout title="Your password was reset" {...p}>
      <p class="alert" id="re-add-prompt">
        Your account has a new key. Your previous trusted users were removed, because they were tied to the old key. Log in and add
        them again on the "Trusted users" page — otherwise nobody can help you next time.
      </p>
      {p.mailReset ? (
        <p class="alert" id="app-passwords-revoked">
          Every app password of your mail account was revoked, because whoever reset the password must not keep a device logged
          in. Your mail client needs the new password or a new app password.
        </p>
      ) : null}
      <p>
        <a href="/login">Log in</a>
      </p>
    </Layout>
  );
}

export function PasswordPage(p: Common & { csrf: string; errors?: string[] | undefined }) {
  return (
    <Layout title="Change password" {...p}>
      <p>Your trusted users stay as they are. All your other sessions are logged out.</p>
      <Errors errors={p.errors} />
      <form method="post" action="/password">
        <CsrfField token={p.csrf} />
        <label for="old">Current password</label>
        <input type="password" id="old" name="old" autocomplete="current-password" required />
        <label for="password">New password</label>
        <input type="password" id="password" name="password" autocomplete="new-password" required />
        <p class="hint">{PASSWORD_HINT}</p>
        <label for="password2">New password again</label>
        <input type="password" id="password2" name="password2" autocomplete="new-password" required />
        <p>
          <button type="submit">Change password</button>
        </p>
      </form>
    </Layout>
  );
}

export const EVENT_TEXT: Record<string, string> = {
  login: 'Logged in',
  login_failed: 'Failed sign-in attempts with a wrong password',
  signup: 'Account created',
  password_changed: 'Password changed',
  reset_confirmation: 'A trusted user confirmed a password reset for you',
  reset_pending: 'Enough trusted users confirmed a reset; waiting period started',
  reset_vetoed: 'You cancelled a pending reset',
  reset_completed: 'Password reset completed with a code',
  code_issued: 'A reset code was handed to a trusted user',
};

export function ActivityPage(p: Common & { events: { at: Date; kind: string; detail: string | null }[] }) {
  return (
    <Layout title="Account activity" {...p}>
      <p>Reset requests, cancellations, completions and logins on your account. Only you can see this list.</p>
      {p.events.length === 0 ? (
        <p>Nothing yet.</p>
      ) : (
        <table id="activity">
          <thead>
            <tr>
              <th>Time</th>
              <th>What</th>
            </tr>
          </thead>
          <tbody>
            {p.events.map((e) => (
              <tr>
                <td>{formatTime(e.at)}</td>
                <td>
                  {EVENT_TEXT[e.kind] ?? e.kind}
                  {e.detail ? ` (${e.detail})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function ErrorPage(p: Common & { title: string; message: string }) {
  return (
    <Layout {...p} title={p.title}>
      <p>{p.message}</p>
      <p>
        <a href="/">Start page</a>
      </p>
    </Layout>
  );
}
