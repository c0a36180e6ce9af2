/**
 * Server-side password feedback, deliberately simple and honest: it cannot measure real entropy, so it only rejects
 * what is certainly weak (short, a well-known password, a keyboard/alphabet run, one repeated character, or the
 * username inside it) and otherwise grades by length, the one property that reliably matters against offline guessing.
 */

export type Strength = 'weak' | 'fair' | 'good';

export interface StrengthReport {
  ok: boolean;
  strength: Strength;
  problems: string[];
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;
const GOOD_LENGTH = 16;

// The head of every leaked-password list; passwords that are these plus digits/punctuation are rejected too.
const COMMON = [
  'password',
  'passwort',
  'motdepasse',
  'contraseña',
  'qwerty',
  'azerty',
  'qwertz',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'administrator',
  'login',
  'monkey',
  'dragon',
  'football',
  'baseball',
  'master',
  'sunshine',
  'princess',
  'shadow',
  'superman',
  'trustno1',
  'abc123',
  'secret',
  'changeme',
  'default',
  'starwars',
  'whatever',
  'freedom',
  'hello',
  'charlie',
  'donald',
  'michael',
  'jennifer',
  'computer',
  'internet',
  'peergroup',
  'onion',
  'tor',
];

const RUNS = ['abcdefghijklmnopqrstuvwxyz', '01234567890123456789', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'qwertzuiop', 'azertyuiop'];

function stripDecoration(p: string): string {
  return p.toLowerCase().replace(/^[^a-zà-ÿ]+|[^a-zà-ÿ]+$/g, '');
}

function isRun(p: string): boolean {
  const lower = p.toLowerCase();
  if (lower.length < 4) return false;
  for (const run of RUNS) {
    const rev = [...run].reverse().join('');
    if (run.includes(lower) || rev.includes(lower)) return true;
  }
  return false;
}

export function checkPasswordStrength(password: string, username = ''): StrengthReport {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push(`Use at least ${MIN_PASSWORD_LENGTH} characters (a few unrelated words work well).`);
  if (length > MAX_PASSWORD_LENGTH) problems.push(`Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  const lower = password.toLowerCase();
  const name = username.trim().toLowerCase();
  if (name.length >= 3 && lower.includes(name)) problems.push('Do not put your username in your password.');
  const core = stripDecoration(password);
  if (COMMON.includes(core) || COMMON.includes(lower)) problems.push('This is one of the most common passwords; attackers try it first.');
  else if (COMMON.some((w) => w.length >= 5 && lower.includes(w)) && length < GOOD_LENGTH) {
    problems.push('It is built around a very common password; add more unrelated words.');
  }
  if (/^(.)\1*$/u.test(password) && length > 0) problems.push('A single repeated character is guessed instantly.');
  else if (isRun(password) || isRun(core)) problems.push('Keyboard and alphabet runs (abcdef, 123456, qwerty) are guessed instantly.');
  else if (new Set(lower).size <= 3 && length > 0) problems.push('Too few different characters.');
  if (problems.length) return { ok: false, strength: 'weak', problems };
  return { ok: true, strength: length >= GOOD_LENGTH ? 'good' : 'fair', problems };
}
