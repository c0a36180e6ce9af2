// What the web service answers when its pages could not be loaded at all (lazy-listener.ts): the catalogues load
// with the pages, so this one sentence is kept here in every shipped language, chosen by the browser's
// Accept-Language as the pages would be.
import { type Lang, negotiateLang } from './langs.ts';

const UNAVAILABLE: Record<Lang, string> = {
  en: 'The account pages are not available right now. Please try again later. If this goes on, tell the people who run this service.',
  de: 'Die Kontoseiten sind gerade nicht erreichbar. Bitte versuche es später noch einmal. Wenn das anhält, sag den Leuten Bescheid, die diesen Dienst betreiben.',
  fr: 'Les pages du compte ne sont pas disponibles pour le moment. Veuillez réessayer plus tard. Si cela dure, prévenez les personnes qui gèrent ce service.',
  it: 'Le pagine dell’account non sono disponibili in questo momento. Riprova più tardi. Se continua, avvisa le persone che gestiscono questo servizio.',
};

/** The sentence and its language for a request's Accept-Language header. */
export function unavailableText(acceptLanguage: string | undefined): { lang: Lang; text: string } {
  const lang = negotiateLang(acceptLanguage);
  return { lang, text: UNAVAILABLE[lang] };
}
