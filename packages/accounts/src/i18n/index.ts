export { en, type MessageKey, type Messages } from './en.ts';
export { MessageFormat, MessageSyntaxError, argumentNames, type Params } from './message-format.ts';
export { CATALOGUES, DEFAULT_LANG, I18n, LANGS, isLang, isTimeZone, negotiateLang, timeZones, type Lang } from './locale.ts';
export { UserLocaleStore, type UserLocale, type AccountsUserLocaleTable } from './user-locale-store.ts';
export { translateProblem } from './password-problems.ts';
