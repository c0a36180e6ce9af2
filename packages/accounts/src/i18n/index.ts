export { en, type MessageKey, type Messages } from './en.ts';
export { MessageFormat, MessageSyntaxError, argumentNames, type Params } from './message-format.ts';
export { CATALOGUES, I18n } from './locale.ts';
export { DEFAULT_LANG, LANGS, isLang, negotiateLang, type Lang } from './langs.ts';
export { isTimeZone, timeZones } from './time-zones.ts';
export { UserLocaleStore, type UserLocale, type AccountsUserLocaleTable } from './user-locale-store.ts';
export { translateProblem } from './password-problems.ts';
