// Deutsch. Du-Form, wie in Kollektiven und Gemeinschaftsprojekten üblich; de-CH und de-AT fallen hierauf zurück.
import type { Messages } from './en.ts';

export const de: Messages = {
  'lang.name': 'Deutsch',
  'nav.account': 'Konto',
  'nav.site': 'Website',
  'nav.dashboard': 'Übersicht',
  'nav.trust': 'Vertrauenspersonen',
  'nav.invites': 'Einladungen',
  'nav.mail': 'Mail',
  'nav.helpReset': 'Jemandem beim Zurücksetzen helfen',
  'nav.password': 'Passwort ändern',
  'nav.activity': 'Aktivität',
  'nav.logout': '{username} abmelden',
  'nav.login': 'Anmelden',
  'nav.signup': 'Registrieren',
  'nav.forgot': 'Ich habe mein Passwort vergessen',
  'footer.language': 'Sprache',
  'footer.preferences': 'Sprache und Zeitzone',

  'notice.welcome': 'Willkommen! Dein Konto ist bereit. Die Person, die dich eingeladen hat, ist deine erste Vertrauensperson.',
  'notice.trustee-added': 'Vertrauensperson hinzugefügt.',
  'notice.trustee-removed': 'Vertrauensperson entfernt.',
  'notice.settings-saved': 'Regeln zum Zurücksetzen gespeichert.',
  'notice.vetoed': 'Das Zurücksetzen wurde abgebrochen. Ändere dein Passwort, falls du glaubst, dass jemand anderes es kennt.',
  'notice.invite-revoked': 'Einladung zurückgezogen.',
  'notice.password-changed': 'Passwort geändert. Deine anderen Sitzungen wurden abgemeldet.',
  'notice.logged-out': 'Du bist abgemeldet.',
  'notice.session-ended': 'Bitte melde dich an.',
  'notice.preferences-saved': 'Deine Sprache und Zeitzone sind gespeichert.',
  'notice.web-only-on': 'Dein Hauptpasswort gilt jetzt nur noch im Web. Mailprogramme brauchen ein App-Passwort.',
  'notice.web-only-off': 'Mailprogramme können dein Hauptpasswort wieder verwenden.',
  'notice.app-password-revoked': 'App-Passwort widerrufen. Das Gerät, das es verwendet, kann sich nicht mehr anmelden.',
  'notice.alias-deleted': 'Alias gelöscht. Mails an diese Adresse werden jetzt abgewiesen.',
  'notice.deletion-cancelled': 'Die Löschung deines Kontos ist abgebrochen.',

  'limited.title': 'Zu viele Versuche',
  'limited.message': 'Zu viele fehlgeschlagene Versuche. Bitte warte {wait} und versuche es dann noch einmal.',

  'form.username': 'Benutzername',
  'form.password': 'Passwort',
  'form.passwordHint':
    'Mindestens 10 Zeichen. Mehrere Wörter, die nichts miteinander zu tun haben, sind leicht zu merken und schwer zu erraten. Nicht dein Benutzername, kein gängiges Passwort, keine Tastaturfolgen.',

  'login.title': 'Anmelden',
  'login.submit': 'Anmelden',
  'login.noAccount': 'Noch kein Konto? Du brauchst einen Einladungscode von jemandem, der schon eines hat:',
  'login.signupLink': 'registrieren',
  'login.lost': 'Passwort verloren?',
  'login.forgotLink': 'Ich habe mein Passwort vergessen',
  'login.invalid': 'Benutzername oder Passwort falsch.',
  'login.disabled': 'Dieses Konto ist gesperrt. Bitte wende dich an den Betrieb.',

  'signup.title': 'Mit einer Einladung registrieren',
  'signup.intro':
    'Die Person, die dich eingeladen hat, wird deine erste Vertrauensperson: Sie kann dir später helfen, dein Passwort zurückzusetzen.',
  'signup.code': 'Einladungscode',
  'signup.usernameHint': 'Kleinbuchstaben, Ziffern, Punkt, Bindestrich und Unterstrich; das ist auch deine Mailadresse.',
  'signup.password2': 'Passwort wiederholen',
  'signup.submit': 'Konto erstellen',
  'signup.passwordsDiffer': 'Die beiden Passwörter sind verschieden.',
  'signup.usernameTaken': 'Dieser Benutzername ist vergeben; bitte wähle einen anderen.',
  'signup.inviteInvalid': 'Dieser Einladungscode gilt nicht: Er ist vielleicht vertippt, schon benutzt, zurückgezogen oder abgelaufen.',
  'signup.usernameInvalid':
    'Benutzernamen bestehen aus 1–64 Kleinbuchstaben, Ziffern, Punkten, Bindestrichen oder Unterstrichen und beginnen und enden mit einem Buchstaben oder einer Ziffer.',
  'signup.passwordRefused': 'Dieses Passwort wird nicht angenommen; bitte wähle ein längeres.',

  'strength.username': 'Dein Benutzername gehört nicht ins Passwort.',
  'strength.common': 'Das ist eines der häufigsten Passwörter; Angreifer probieren es zuerst.',
  'strength.commonCore': 'Es baut auf einem sehr häufigen Passwort auf; nimm weitere Wörter dazu, die nichts damit zu tun haben.',
  'strength.repeated': 'Ein einzelnes wiederholtes Zeichen ist sofort erraten.',
  'strength.run': 'Tastatur- und Alphabetfolgen (abcdef, 123456, qwertz) sind sofort erraten.',
  'strength.fewChars': 'Zu wenige verschiedene Zeichen.',
  'strength.tooShort':
    '{min, plural, one {Nimm mindestens # Zeichen (ein paar Wörter, die nichts miteinander zu tun haben, eignen sich gut).} other {Nimm mindestens # Zeichen (ein paar Wörter, die nichts miteinander zu tun haben, eignen sich gut).}}',
  'strength.tooLong': '{max, plural, one {Nimm höchstens # Zeichen.} other {Nimm höchstens # Zeichen.}}',

  'dashboard.title': 'Dein Konto',
  'dashboard.pendingTitle': 'Jemand möchte dein Passwort zurücksetzen',
  'dashboard.pendingCount':
    '{confirmations, plural, one {# deiner Vertrauenspersonen hat das Zurücksetzen des Passworts für dieses Konto bestätigt ({k} nötig).} other {# deiner Vertrauenspersonen haben das Zurücksetzen des Passworts für dieses Konto bestätigt ({k} nötig).}}',
  'dashboard.pendingFrom': 'Ab {time} ({relative}) kann ein Code zum Zurücksetzen ausgegeben werden.',
  'dashboard.pendingNoCode': 'Es kann kein Code ausgegeben werden, bevor genug von ihnen bestätigt haben.',
  'dashboard.pendingStop':
    'Wenn du dein Passwort nicht verloren hast, halte es jetzt auf. Das bricht die Anfrage und alle Bestätigungen ab.',
  'dashboard.veto': 'Das war ich nicht – Zurücksetzen abbrechen',
  'dashboard.noPending': 'Für dein Konto ist kein Zurücksetzen des Passworts offen.',
  'dashboard.fairPassword':
    'Dein Passwort ist angenommen, aber eher kurz. Ein längeres (16 Zeichen oder mehr – mehrere Wörter, die nichts miteinander zu tun haben) ist viel schwerer zu erraten; du kannst es jederzeit ändern.',
  'dashboard.trustHeading': 'Vertrauen',
  'dashboard.trustSummary':
    '{count, plural, =0 {Du vertraust noch niemandem.} one {Du vertraust einer Person.} other {Du vertraust # Personen.}} {k, plural, one {# von ihnen muss zustimmen, damit dein Passwort zurückgesetzt wird;} other {# von ihnen müssen zustimmen, damit dein Passwort zurückgesetzt wird;}} danach hast du {wait} Zeit, um abzubrechen.',
  'dashboard.manageTrust': 'Vertrauenspersonen verwalten',
  'dashboard.tooFew': 'Du brauchst mehr Vertrauenspersonen, als du hast: Niemand könnte dir helfen, dein Passwort zurückzusetzen.',

  'trust.title': 'Vertrauenspersonen',
  'trust.intro':
    'Diese Personen können dir helfen, dein Passwort zurückzusetzen. Nur du siehst diese Liste: Sie ist mit deinem Schlüssel verschlüsselt gespeichert.',
  'trust.none': 'Du vertraust noch niemandem.',
  'trust.user': 'Person',
  'trust.remove': 'Entfernen',
  'trust.removeLabel': '{username} entfernen',
  'trust.addHeading': 'Vertrauensperson hinzufügen',
  'trust.add': 'Hinzufügen',
  'trust.free': '{free, plural, one {# von {slots} Plätzen frei.} other {# von {slots} Plätzen frei.}}',
  'trust.full': 'Alle {slots} Plätze sind belegt; entferne zuerst jemanden.',
  'trust.rulesHeading': 'Regeln zum Zurücksetzen',
  'trust.kWarning':
    '{k, plural, one {# Vertrauensperson muss zustimmen,} other {# Vertrauenspersonen müssen zustimmen,}} {count, plural, =0 {aber du vertraust niemandem:} one {aber du vertraust nur einer:} other {aber du vertraust nur #:}} Niemand könnte dir helfen, dein Passwort zurückzusetzen.',
  'trust.kLabel': 'Wie viele Vertrauenspersonen zustimmen müssen',
  'trust.waitLabel': 'Wartezeit in Sekunden, bevor ein Code zum Zurücksetzen ausgegeben werden kann',
  'trust.waitHint':
    'Zurzeit {wait}. Das Minimum des Betriebs ist {min}. Während dieser Zeit wirst du per Mail und auf deiner Übersicht benachrichtigt und kannst abbrechen.',
  'trust.save': 'Speichern',
  'trust.notFound': 'Es gibt niemanden mit diesem Namen.',
  'trust.exists': 'Dieser Person vertraust du schon.',
  'trust.self': 'Du kannst nicht deine eigene Vertrauensperson sein.',
  'trust.slotsFull': 'Alle Plätze sind belegt; entferne zuerst jemanden.',
  'trust.notTrustee': 'Diese Person gehört nicht zu deinen Vertrauenspersonen.',
  'trust.kRange': 'Die Zahl der Vertrauenspersonen, die zustimmen müssen, liegt zwischen 1 und {slots}.',
  'trust.waitRange': 'Die Wartezeit beträgt mindestens {min} (das Minimum des Betriebs) und höchstens ein Jahr.',
  'trust.notAllowed': 'Diese Einstellungen sind nicht erlaubt.',

  'invites.title': 'Einladungen',
  'invites.newHeading': 'Dein neuer Einladungscode',
  'invites.newOnce':
    'Er wird nur dieses eine Mal angezeigt. Gib ihn der Person, die du einlädst; wer ihn benutzt, bekommt ein Konto, und du wirst ihre erste Vertrauensperson.',
  'invites.left':
    '{n, plural, =0 {Du kannst keine weiteren Einladungscodes erstellen.} one {Du kannst noch einen Einladungscode erstellen.} other {Du kannst noch # Einladungscodes erstellen.}}',
  'invites.create': 'Einladungscode erstellen',
  'invites.unused': 'Unbenutzte Einladungen',
  'invites.none': 'Keine.',
  'invites.created': 'Erstellt',
  'invites.expires': 'Läuft ab',
  'invites.revoke': 'Zurückziehen',
  'invites.noneLeftTitle': 'Keine Einladungen mehr',
  'invites.noneLeft': 'Du hast alle deine Einladungen verbraucht. Ziehe eine unbenutzte zurück oder frag den Betrieb.',

  'help.codeTitle': 'Code zum Zurücksetzen',
  'help.codeWarningTitle': 'Gib diesen Code nur {username}, persönlich',
  'help.codeWarning':
    'Gib ihn niemals jemandem, der dich darum bittet – per Mail, Chat oder Telefon –, auch wenn die Person sagt, sie sei {username}, oder es sei dringend. Genau so werden Konten gestohlen: indem man Vertrauenspersonen um einen Code bittet.',
  'help.codeOnce': 'Er wird nur dieses eine Mal angezeigt, gilt einmal und läuft am {time} ab.',
  'help.title': 'Jemandem helfen, das Passwort zurückzusetzen',
  'help.generic': 'Danke. Wenn es dieses Konto gibt und du eine seiner Vertrauenspersonen bist, ist deine Bestätigung gespeichert.',
  'help.recorded': 'Deine Bestätigung ist gespeichert: {confirmations} von {k} nötigen.',
  'help.recordedFrom':
    'Der Code kann ab {time} ({relative}) ausgegeben werden. Komm dann wieder und schick dieses Formular noch einmal ab.',
  'help.recordedWait': 'Sobald genug Vertrauenspersonen bestätigt haben, beginnt eine Wartezeit.',
  'help.intro':
    'Wenn jemand, der dir vertraut, sein Passwort verloren hat, kannst du das Zurücksetzen für diese Person bestätigen. Wenn genug ihrer Vertrauenspersonen bestätigt haben und die Wartezeit vorbei ist, siehst du hier einen einmaligen Code, den du ihr persönlich gibst.',
  'help.target': 'Ihr Benutzername',
  'help.ownPassword': 'Dein eigenes Passwort',
  'help.submit': 'Zurücksetzen bestätigen',
  'help.wrongPassword': 'Dein eigenes Passwort ist nicht richtig.',

  'forgot.title': 'Ich habe mein Passwort vergessen',
  'forgot.intro':
    'Bitte die Personen, denen du vertraust, das Zurücksetzen für dich zu bestätigen (sie melden sich an und benutzen „Jemandem beim Zurücksetzen helfen“). Wenn genug von ihnen bestätigt haben und die Wartezeit vorbei ist, gibt dir eine von ihnen persönlich einen Code. Gib ihn hier zusammen mit einem neuen Passwort ein.',
  'forgot.username': 'Dein Benutzername',
  'forgot.code': 'Code zum Zurücksetzen',
  'forgot.newPassword': 'Neues Passwort',
  'forgot.newPassword2': 'Neues Passwort wiederholen',
  'forgot.submit': 'Neues Passwort setzen',
  'forgot.codeInvalid': 'Dieser Code gilt nicht für diesen Benutzernamen, oder er ist abgelaufen oder schon benutzt.',
  'forgot.doneTitle': 'Dein Passwort wurde zurückgesetzt',
  'forgot.reAdd':
    'Dein Konto hat einen neuen Schlüssel. Deine bisherigen Vertrauenspersonen wurden entfernt, weil sie an den alten Schlüssel gebunden waren. Melde dich an und füge sie auf der Seite „Vertrauenspersonen“ wieder hinzu – sonst kann dir beim nächsten Mal niemand helfen.',
  'forgot.appPasswordsRevoked':
    'Alle App-Passwörter deines Mailkontos wurden widerrufen, denn wer das Passwort zurückgesetzt hat, darf kein Gerät angemeldet behalten. Dein Mailprogramm braucht das neue Passwort oder ein neues App-Passwort.',
  'forgot.login': 'Anmelden',

  'password.title': 'Passwort ändern',
  'password.intro': 'Deine Vertrauenspersonen bleiben, wie sie sind. Alle deine anderen Sitzungen werden abgemeldet.',
  'password.current': 'Aktuelles Passwort',
  'password.differ': 'Die beiden neuen Passwörter sind verschieden.',
  'password.wrong': 'Dein aktuelles Passwort ist nicht richtig.',

  'activity.title': 'Kontoaktivität',
  'activity.intro':
    'Anfragen zum Zurücksetzen, Abbrüche, abgeschlossene Zurücksetzungen und Anmeldungen bei deinem Konto. Nur du siehst diese Liste.',
  'activity.none': 'Noch nichts.',
  'activity.time': 'Zeit',
  'activity.what': 'Was',
  'event.login': 'Angemeldet',
  'event.login_failed': 'Fehlgeschlagene Anmeldeversuche mit falschem Passwort',
  'event.signup': 'Konto erstellt',
  'event.password_changed': 'Passwort geändert',
  'event.reset_confirmation': 'Eine Vertrauensperson hat das Zurücksetzen deines Passworts bestätigt',
  'event.reset_pending': 'Genug Vertrauenspersonen haben das Zurücksetzen bestätigt; die Wartezeit hat begonnen',
  'event.reset_vetoed': 'Du hast ein offenes Zurücksetzen abgebrochen',
  'event.reset_completed': 'Passwort mit einem Code zurückgesetzt',
  'event.code_issued': 'Eine Vertrauensperson hat einen Code zum Zurücksetzen erhalten',

  'error.startPage': 'Startseite',
  'error.notFoundTitle': 'Nicht gefunden',
  'error.notFound': 'Unter dieser Adresse gibt es keine Seite.',
  'error.badRequestTitle': 'Formular abgelaufen',
  'error.badRequest':
    'Die Seite, von der du das Formular geschickt hast, gilt nicht mehr (zum Beispiel, weil du dich inzwischen an- oder abgemeldet hast). Geh zurück, lade die Seite neu und versuche es noch einmal.',
  'error.serverTitle': 'Etwas ist schiefgegangen',
  'error.server': 'Bei uns ist etwas schiefgegangen. Bitte versuche es gleich noch einmal.',

  'prefs.title': 'Sprache und Zeitzone',
  'prefs.intro':
    'Die Seiten und die Mails, die dieser Dienst dir schickt, verwenden diese Sprache; Zeiten werden in dieser Zeitzone angezeigt.',
  'prefs.language': 'Sprache',
  'prefs.timeZone': 'Zeitzone',
  'prefs.save': 'Speichern',

  'mail.resetRequested.subject': 'Für dein Konto wurde ein Zurücksetzen des Passworts angefragt',
  'mail.resetRequested.body':
    'Eine deiner Vertrauenspersonen hat am {time} das Zurücksetzen des Passworts für dein Konto bestätigt.\n{k, plural, one {Eine Bestätigung ist nötig, bevor eine Wartezeit beginnt.} other {# Bestätigungen sind nötig, bevor eine Wartezeit beginnt.}}\n\nWenn du dein Passwort nicht verloren hast, melde dich an und brich das Zurücksetzen auf deiner Übersicht ab.\n',
  'mail.resetArmed.subject': 'Ein Zurücksetzen deines Passworts wird am {time} wirksam',
  'mail.resetArmed.body':
    'Genug deiner Vertrauenspersonen haben das Zurücksetzen des Passworts für dein Konto bestätigt.\nAb {time} kann eine von ihnen einen Code ausgeben, mit dem ein neues Passwort gesetzt wird.\n\nWenn du das nicht warst, melde dich vorher an und drücke auf deiner Übersicht „Das war ich nicht – Zurücksetzen abbrechen“.\n',
  'mail.resetCompleted.subject': 'Dein Passwort wurde zurückgesetzt',
  'mail.resetCompleted.body':
    'Dein Passwort wurde am {time} mit dem Code einer Vertrauensperson zurückgesetzt. Alle Sitzungen wurden abgemeldet.\nDeine bisherigen Vertrauenspersonen wurden entfernt; bitte melde dich an und füge sie wieder hinzu.\n\n',
  'mail.resetCompleted.appPasswords': 'Alle App-Passwörter deines Mailkontos wurden widerrufen: Erstelle neue für deine Geräte.\n\n',
  'mail.resetCompleted.contact': 'Wenn du das nicht warst, wende dich sofort an den Betrieb.\n',
};
