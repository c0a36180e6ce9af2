// Errors carry a stable `code` so the accounts service can map them to responses without parsing messages.
// Messages never contain passwords, keys, codes or another user's relations.

export type TrustErrorCode =
  | 'invalid-credentials'
  | 'account-disabled'
  | 'invalid-username'
  | 'username-taken'
  | 'invalid-password'
  | 'not-found'
  | 'invalid-invite'
  | 'invite-quota'
  | 'trustee-exists'
  | 'trustee-self'
  | 'slots-full'
  | 'reset-not-ready'
  | 'invalid-reset-code'
  | 'integrity'
  | 'invalid-settings'
  | 'invalid-session-blob'
  | 'stale-session';

export class TrustError extends Error {
  readonly code: TrustErrorCode;
  constructor(code: TrustErrorCode, message: string) {
    super(message);
    this.name = 'TrustError';
    this.code = code;
  }
}

/** Wrong username OR wrong password: deliberately one error with one message. */
export class InvalidCredentialsError extends TrustError {
  constructor() {
    super('invalid-credentials', 'invalid username or password');
    this.name = 'InvalidCredentialsError';
  }
}

/** Unknown, expired, revoked or already used invite code — indistinguishable on purpose. */
export class InvalidInviteError extends TrustError {
  constructor() {
    super('invalid-invite', 'invalid or expired invite code');
    this.name = 'InvalidInviteError';
  }
}

/** Unknown, expired, already used or superseded reset code, or no armed reset — indistinguishable on purpose. */
export class InvalidResetCodeError extends TrustError {
  constructor() {
    super('invalid-reset-code', 'invalid or expired reset code');
    this.name = 'InvalidResetCodeError';
  }
}

/** Stored data failed a server-secret check: tampering by someone who can write the database. */
export class IntegrityError extends TrustError {
  constructor(message: string) {
    super('integrity', message);
    this.name = 'IntegrityError';
  }
}
