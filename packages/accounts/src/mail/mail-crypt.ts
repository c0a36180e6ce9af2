// Mailbox encryption (docs/mail-crypt.md): Dovecot's mail_crypt with one global key pair per user. The userdb (no
// password, LMTP's path) hands Dovecot only the public key; the passdb, which has the login's password, unwraps the
// private key and hands it over as userdb_* fields for that session. The private key d_U is derived from the trust
// store's mail key M_U (dovecot-key.ts) and stored only wrapped: under the main password (Argon2id at the mail
// verifier's cost, whose opening also verifies the password, so an encrypted login costs one Argon2id like a plain
// one) and under each app password (a keyed hash of a 118-bit secret).
import sodium from 'sodium-native';
import type { Kysely } from 'kysely';
import type { AllTables } from '../db.ts';
import type { MailboxesConfig } from './config.ts';
import type { MailAccountRow, MailDirectory, UserdbFields } from './directory.ts';
import { keyedHash, labelled, POINT_BYTES, privateKeyField, publicKeyField, publicPoint, SCALAR_BYTES } from './dovecot-key.ts';
import { param, prepare } from './prepared.ts';
import { canonicalAppPassword } from './verifier.ts';

const NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
const MAC = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
/** nonce(24) ‖ ciphertext(32) ‖ mac(16) */
export const WRAP_BYTES = NONCE + SCALAR_BYTES + MAC;
const SALT_BYTES = 16;
const PASSWORD_LABEL = 'peergroup-mail-crypt-password-v1';
const APP_LABEL = 'peergroup-mail-crypt-app-v1';
const APP_KEY_LABEL = 'peergroup-mail-crypt-app-key-v1';

/** The user id as 16 raw bytes (docs/trust-format.md §1). */
const id16 = (userId: string) => Buffer.from(userId, 'hex');

export interface PasswordCost {
  opslimit: number;
  memlimit: number;
}

function seal(key: Uint8Array, message: Uint8Array, ad: Uint8Array): Buffer {
  const nonce = Buffer.alloc(NONCE);
  sodium.randombytes_buf(nonce);
  const ct = Buffer.alloc(message.length + MAC);
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(ct, Buffer.from(message), Buffer.from(ad), null, nonce, Buffer.from(key));
  return Buffer.concat([nonce, ct]);
}

function open(key: Uint8Array, blob: Uint8Array, ad: Uint8Array): Buffer | null {
  if (blob.length !== WRAP_BYTES) return null;
  const b = Buffer.from(blob);
  const out = Buffer.alloc(SCALAR_BYTES);
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      out,
      null,
      b.subarray(NONCE),
      Buffer.from(ad),
      b.subarray(0, NONCE),
      Buffer.from(key),
    );
    return out;
  } catch {
    return null;
  }
}

/** Argon2id over the NFC password (as the trust store's password key), on libuv's thread pool. */
function passwordKey(password: string, salt: Uint8Array, cost: PasswordCost): Promise<Buffer> {
  const out = sodium.sodium_malloc(32) as unknown as Buffer;
  const pw = Buffer.from(password.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    sodium.crypto_pwhash_async(out, pw, Buffer.from(salt), cost.opslimit, cost.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13, (err) => {
      sodium.sodium_memzero(pw);
      if (err) reject(err);
      else resolve(out);
    });
  });
}

const passwordAd = (userId: string, q: Uint8Array) => labelled(PASSWORD_LABEL, id16(userId), q);
const appAd = (userId: string, appId: string, q: Uint8Array) => labelled(APP_LABEL, id16(userId), Buffer.from(appId, 'ascii'), q);
/** BLAKE2b keyed with the canonical app password (24 ASCII bytes, 118 bits): guessing it is hopeless, no Argon2id needed. */
const appKey = (canonical: string, userId: string, appId: string) =>
  keyedHash(Buffer.from(canonical, 'ascii'), labelled(APP_KEY_LABEL, id16(userId), Buffer.from(appId, 'ascii')));

export interface PasswordWrap {
  pw_salt: Buffer;
  pw_opslimit: number;
  pw_memlimit: number;
  pw_box: Buffer;
}

/** The main password's wrap of d_U (docs/mail-crypt.md §3.1). */
export async function wrapForPassword(
  userId: string,
  password: string,
  d: Uint8Array,
  q: Uint8Array,
  cost: PasswordCost,
): Promise<PasswordWrap> {
  const salt = Buffer.alloc(SALT_BYTES);
  sodium.randombytes_buf(salt);
  const k = await passwordKey(password, salt, cost);
  try {
    return { pw_salt: salt, pw_opslimit: cost.opslimit, pw_memlimit: cost.memlimit, pw_box: seal(k, d, passwordAd(userId, q)) };
  } finally {
    sodium.sodium_memzero(k);
  }
}

/** An app password's wrap of d_U (§3.2); `canonical` is the app password as canonicalAppPassword gives it. */
export function wrapForAppPassword(userId: string, appId: string, canonical: string, d: Uint8Array, q: Uint8Array): Buffer {
  const k = appKey(canonical, userId, appId);
  try {
    return seal(k, d, appAd(userId, appId, q));
  } finally {
    k.fill(0);
  }
}

/** The fields a passdb answer carries for an encrypted account (Dovecot moves userdb_* into that session's userdb). */
export function sessionFields(d: Uint8Array, q: Uint8Array): Record<string, string> {
  return {
    userdb_mail_crypt_save_version: '2',
    userdb_mail_crypt_global_public_key: publicKeyField(q),
    userdb_mail_crypt_global_private_key: privateKeyField(d, q),
  };
}

function bytes(v: unknown, len: number): Buffer | null {
  if (!(v instanceof Uint8Array) || v.length !== len) return null;
  return Buffer.from(v);
}

/** Maximum Argon2id cost a stored wrap may ask for (a row edited to a huge cost must not stall the thread pool). */
const COST_CEILING = { opslimit: sodium.crypto_pwhash_OPSLIMIT_SENSITIVE, memlimit: sodium.crypto_pwhash_MEMLIMIT_SENSITIVE };

/** The lookup side: passdb decisions and userdb fields for Dovecot. */
export class MailCrypt {
  private readonly keyRow;
  private readonly appBox;

  constructor(
    db: Kysely<AllTables>,
    readonly config: MailboxesConfig,
    private readonly dir: MailDirectory,
  ) {
    this.keyRow = prepare(db, db.selectFrom('mail_crypt_key').selectAll().where('user_id', '=', param('userId')), ['userId']);
    this.appBox = prepare(db, db.selectFrom('mail_app_password').select('crypt_box').where('id', '=', param('id')), ['id']);
  }

  /**
   * passdb: the fields to answer for a valid login (an empty object for an account without encryption), null for
   * "not valid". For an encrypted account a credential counts only if it opens its wrap of the Dovecot key: a login
   * without the key could not read the mailbox (an app password made before encryption was turned on is refused).
   */
  async passdb(login: string, password: string): Promise<Record<string, string> | null> {
    const acc = await this.dir.accountForLogin(login);
    if (!acc || acc.disabled || acc.deleted) return null;
    const appId = await this.dir.matchAppPassword(acc, password);
    const [row] = await this.keyRow({ userId: acc.userId });
    if (!row) {
      if (appId) return {};
      return (await this.dir.checkMainPassword(acc, password)) ? {} : null;
    }
    const q = bytes(row.public_key, POINT_BYTES);
    if (!q) return null;
    let d: Buffer | null = null;
    if (appId) {
      const [r] = await this.appBox({ id: appId });
      const box = r && bytes(r.crypt_box, WRAP_BYTES);
      if (box) {
        const k = appKey(canonicalAppPassword(password)!, acc.userId, appId);
        d = open(k, box, appAd(acc.userId, appId, q));
        k.fill(0);
      }
    } else {
      d = await this.openPasswordWrap(acc, password, row, q);
    }
    if (!d) return null;
    try {
      // A public key that is not d·G was edited in the database: LMTP would have encrypted to someone else's key.
      if (!publicPoint(d).equals(q)) throw new Error(`mail_crypt_key of ${acc.userId}: the public key does not belong to the wrapped key`);
      return sessionFields(d, q);
    } finally {
      d.fill(0);
    }
  }

  private async openPasswordWrap(
    acc: MailAccountRow,
    password: string,
    row: { pw_salt: unknown; pw_opslimit: unknown; pw_memlimit: unknown; pw_box: unknown },
    q: Buffer,
  ): Promise<Buffer | null> {
    if (acc.webOnly) return null;
    const salt = bytes(row.pw_salt, SALT_BYTES);
    const box = bytes(row.pw_box, WRAP_BYTES);
    const cost = { opslimit: Number(row.pw_opslimit), memlimit: Number(row.pw_memlimit) };
    if (!salt || !box || !(cost.opslimit >= 1 && cost.opslimit <= COST_CEILING.opslimit)) return null;
    if (!(cost.memlimit >= 8192 && cost.memlimit <= COST_CEILING.memlimit)) return null;
    const k = await passwordKey(password, salt, cost);
    try {
      return open(k, box, passwordAd(acc.userId, q));
    } finally {
      sodium.sodium_memzero(k);
    }
  }

  /** userdb (LMTP, doveadm, and every login): the public key and save version of an encrypted account. */
  async userdb(login: string): Promise<(UserdbFields & Record<string, string>) | null> {
    const acc = await this.dir.accountForLogin(login);
    if (!acc || acc.disabled || acc.deleted) return null;
    const fields: UserdbFields & Record<string, string> = { ...this.dir.userdbFor(acc) };
    const [row] = await this.keyRow({ userId: acc.userId });
    const q = row && bytes(row.public_key, POINT_BYTES);
    if (q) {
      fields.mail_crypt_save_version = '2';
      fields.mail_crypt_global_public_key = publicKeyField(q);
    }
    return fields;
  }
}
