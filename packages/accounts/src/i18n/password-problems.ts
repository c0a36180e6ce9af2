// password-strength.ts reports its problems as English sentences; this turns each into the reader's language.
// A sentence not listed here stays English rather than disappearing (the catalogue test checks every known one).
import type { MessageKey } from './en.ts';
import type { I18n } from './locale.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../password-strength.ts';

const FIXED: Record<string, MessageKey> = {
  'Do not put your username in your password.': 'strength.username',
  'This is one of the most common passwords; attackers try it first.': 'strength.common',
  'It is built around a very common password; add more unrelated words.': 'strength.commonCore',
  'A single repeated character is guessed instantly.': 'strength.repeated',
  'Keyboard and alphabet runs (abcdef, 123456, qwerty) are guessed instantly.': 'strength.run',
  'Too few different characters.': 'strength.fewChars',
};

export function translateProblem(i18n: I18n, english: string): string {
  const key = FIXED[english];
  if (key) return i18n.t(key);
  if (english.startsWith('Use at least ')) return i18n.t('strength.tooShort', { min: MIN_PASSWORD_LENGTH });
  if (english.startsWith('Use at most ')) return i18n.t('strength.tooLong', { max: MAX_PASSWORD_LENGTH });
  return english;
}
