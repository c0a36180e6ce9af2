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
  'nav.sessions': 'Sitzungen',
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
  'notice.others-logged-out': 'Deine anderen Sitzungen sind abgemeldet.',

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
  'signup.usernameHint':
    'Buchstaben a–z, Ziffern, Punkt, Bindestrich und Unterstrich, höchstens 64, am Anfang und am Ende ein Buchstabe oder eine Ziffer. Das ist der erste Teil deiner Mailadresse: Buchstaben mit Akzent oder Umlaut (ë, é, ü) gehen nicht, weil viele Mailserver solche Adressen ablehnen.',
  'signup.password2': 'Passwort wiederholen',
  'signup.submit': 'Konto erstellen',
  'signup.passwordsDiffer': 'Die beiden Passwörter sind verschieden.',
  'signup.usernameTaken': 'Dieser Benutzername ist vergeben; bitte wähle einen anderen.',
  'signup.inviteInvalid': 'Dieser Einladungscode gilt nicht: Er ist vielleicht vertippt, schon benutzt, zurückgezogen oder abgelaufen.',
  'signup.usernameInvalid':
    'Dieser Benutzername geht nicht. Verwende nur Buchstaben a–z ohne Akzente und Umlaute, Ziffern, Punkte, Bindestriche und Unterstriche (1 bis 64 Zeichen, am Anfang und am Ende ein Buchstabe oder eine Ziffer): Er wird deine Mailadresse, und viele Mailserver lehnen Adressen mit Akzenten oder Umlauten ab.',
  'signup.passwordRefused': 'Dieses Passwort wird nicht angenommen; bitte wähle ein längeres.',
  'signup.usernameNormalised':
    'Dein Benutzername wird „{username}“: Mailadressen werden kleingeschrieben. Wenn das stimmt, gib dein Passwort noch einmal zweimal ein und schick das Formular ab.',
  'signup.codeHint':
    'Der Code von der Person, die dich eingeladen hat, zum Beispiel 7K2M-QX4P-9D3R-H6WN-B8TA. Gross- oder Kleinschreibung spielt keine Rolle.',
  'form.errorSummary': '{n, plural, one {Im Formular ist ein Fehler} other {Im Formular sind # Fehler}}',
  'layout.skip': 'Zum Inhalt springen',
  'nav.signedInAs': 'Angemeldet als {address}',
  'error.tooLargeTitle': 'Zu viel Text',
  'error.tooLarge':
    'Was du geschickt hast, ist grösser, als der Server annimmt (16 KiB). Nichts wurde gespeichert. Geh zurück, kürze deine Eingabe und schick sie noch einmal.',
  'error.backToForm': 'Zurück zum Formular',
  'invites.link': 'Registrierungslink',
  'invites.linkHint': 'Du kannst statt des Codes diesen Link schicken: Er öffnet die Registrierung mit dem Code schon eingetragen.',
  'invites.gone':
    'Ein neuer Einladungscode wird nur einmal angezeigt, und dieser wurde schon angezeigt. Er gilt weiterhin; ist er verloren, zieh ihn unten zurück und erstelle einen neuen.',
  'invites.noteLabel': 'Notiz für dich (freiwillig)',
  'invites.noteHint':
    'Zum Beispiel „für Sam“. Nur du kannst sie lesen: Sie wird für deinen Schlüssel verschlüsselt gespeichert und der eingeladenen Person nie gezeigt.',
  'invites.note': 'Notiz',
  'invites.used': 'Benutzte Einladungen',
  'invites.usedIntro': 'Einladungen, mit denen sich jemand registriert hat. Wer sie benutzt hat, wird nicht angezeigt, auch dir nicht.',
  'invites.usedAt': 'Benutzt',
  'invites.usedUnreadable':
    '{n, plural, one {Eine benutzte Einladung von vor deinem letzten Zurücksetzen kann nicht angezeigt werden: Sie war für deinen alten Schlüssel verschlüsselt.} other {# benutzte Einladungen von vor deinem letzten Zurücksetzen können nicht angezeigt werden: Sie waren für deinen alten Schlüssel verschlüsselt.}}',

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
  'trust.waitLabel': 'Wartezeit, bevor ein Code zum Zurücksetzen ausgegeben werden kann',
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
  'help.generic': 'Danke. Wenn es {username} gibt und du eine der Vertrauenspersonen bist, ist deine Bestätigung gespeichert.',
  'help.recorded': 'Deine Bestätigung für {username} ist gespeichert: {confirmations} von {k} nötigen.',
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
  'forgot.introMail':
    'Die Vertrauensperson, die das Zurücksetzen begonnen hat, hat auch einen Mail-Code für dich. Gib ihn ebenfalls ein: Nur damit kann deine gespeicherte Mail wieder gelesen werden.',
  'forgot.mailCode': 'Mail-Code (falls du einen bekommen hast)',
  'forgot.mailCodeHint': 'Ohne den Mail-Code wird dein Passwort trotzdem zurückgesetzt, aber die bisher gespeicherte Mail bleibt unlesbar.',
  'forgot.haveRecoveryCode': 'Hast du stattdessen einen Wiederherstellungscode?',
  'forgot.recoverLink': 'Wiederherstellungscode verwenden',
  'help.resetCodeHeading': 'Code zum Zurücksetzen',
  'help.mailCodeTitle': 'Mail-Code für {username} – schreib ihn jetzt auf',
  'help.mailCodeKeep':
    'Du hast das Zurücksetzen begonnen, darum bekommst nur du diesen Code, und nur dieses eine Mal. Bewahre ihn gut auf und gib ihn {username} persönlich zusammen mit dem Code zum Zurücksetzen: Ohne ihn kommt {username} wieder ins Konto, aber die bisher gespeicherte Mail bleibt unlesbar.',
  'help.mailCodeReminder':
    'Gib {username} auch den Mail-Code. Er wurde einmal der Vertrauensperson gezeigt, die das Zurücksetzen begonnen hat (vielleicht dir). Ohne ihn klappt das Zurücksetzen trotzdem, aber die bisher gespeicherte Mail bleibt unlesbar.',
  'help.vetoed':
    '{username} hat dieses Zurücksetzen in der Übersicht abgebrochen, deine Bestätigung wurde darum nicht gespeichert. Sprich mit {username}, bevor du es nochmals versuchst.',
  'help.vetoedUntil': 'Ein neues Zurücksetzen kann ab {time} ({relative}) begonnen werden.',
  'trust.kHint':
    '{count, plural, =0 {Du vertraust noch niemandem, darum bleibt das 1, bis du jemanden hinzufügst.} one {Du vertraust einer Person, darum kann das nur 1 sein.} other {Du vertraust # Personen, darum kann das 1 bis # sein.}}',
  'trust.kTooHigh':
    '{count, plural, =0 {Du vertraust noch niemandem, darum kann nur 1 gespeichert werden.} one {Du vertraust nur einer Person, also können nicht {k} zustimmen: höchstens 1.} other {Du vertraust nur # Personen, also können nicht {k} zustimmen: höchstens #.}} Füge zuerst Vertrauenspersonen hinzu.',
  'trust.waitDays': 'Tage',
  'trust.waitHours': 'Stunden',
  'dashboard.tooFewNobody':
    'So behebst du es: Lade jemanden ein, dem du vertraust („Einladungen“), und füge die Person auf der Seite „Vertrauenspersonen“ hinzu, sobald sie ein Konto hat – und erstelle in der Zwischenzeit einen Wiederherstellungscode.',
  'dashboard.tooFewSome':
    'So behebst du es: Füge auf der Seite „Vertrauenspersonen“ weitere Personen hinzu oder verringere die Zahl derer, die zustimmen müssen – oder erstelle einen Wiederherstellungscode.',
  'recovery.heading': 'Falls du dein Passwort vergisst',
  'recovery.headingMail': 'Falls du dein Passwort vergisst: dein Konto und deine gespeicherte Mail',
  'recovery.protected': 'Du kommst wieder in dein Konto über:',
  'recovery.protectedMail': 'Du kommst wieder in dein Konto, und deine gespeicherte Mail bleibt lesbar, über:',
  'recovery.pathTrustees': '{k} von {n, plural, one {# Vertrauensperson} other {# Vertrauenspersonen}}',
  'recovery.pathCode': 'deinen Wiederherstellungscode',
  'recovery.none': 'Nichts schützt dein Konto: Wenn du dein Passwort vergisst, kann dir niemand zurück ins Konto helfen.',
  'recovery.noneMail':
    'Nichts schützt dein Konto und deine gespeicherte Mail: Wenn du dein Passwort vergisst, kann dir niemand zurück ins Konto helfen, und die bis dahin gespeicherte Mail kann nie mehr gelesen werden.',
  'recovery.whatToDo':
    'Was du tun kannst: Erstelle einen Wiederherstellungscode und bewahre ihn auf Papier sicher auf, und füge Vertrauenspersonen hinzu (mindestens so viele, wie zustimmen müssen).',
  'recovery.createLink': 'Wiederherstellungscode erstellen',
  'recovery.replaceLink': 'Neuen Wiederherstellungscode erstellen (der alte wird ungültig)',
  'recovery.staleCode':
    'Dein Wiederherstellungscode stammt von vor deinem Zurücksetzen am {time}, das deinen Mail-Schlüssel nicht wiederherstellen konnte. Mit ihm kommst du weiterhin in dein Konto, und er öffnet die vor jenem Zurücksetzen gespeicherte Mail, aber nicht die seither gespeicherte: Wenn du ihn benutzt, wird diese Mail unlesbar. Ein neuer Wiederherstellungscode schützt deine aktuelle Mail (und macht die alte Mail endgültig unlesbar).',
  'recovery.noneMailStale':
    'Nichts schützt deine aktuelle Mail: Wenn du dein Passwort vergisst, kann die seit deinem letzten Zurücksetzen gespeicherte Mail nicht mehr gelesen werden.',
  'afterReset.title': 'Dein Passwort wurde am {time} zurückgesetzt',
  'afterReset.viaTrustees':
    'Deine Vertrauenspersonen haben es bestätigt, und eine von ihnen hat dir einen Code gegeben. Dein Konto hat einen neuen Schlüssel bekommen, darum wurden deine bisherigen Vertrauenspersonen entfernt und die Zahl derer, die zustimmen müssen, auf 1 gesetzt.',
  'afterReset.viaCode':
    'Du hast deinen Wiederherstellungscode verwendet; er ist jetzt verbraucht. Dein Konto hat einen neuen Schlüssel bekommen, darum wurde deine Liste der Vertrauenspersonen geleert und die Zahl derer, die zustimmen müssen, auf 1 gesetzt. Erstelle einen neuen Wiederherstellungscode.',
  'afterReset.mailRestored': 'Deine alte Mail wurde wiederhergestellt: Sie ist mit deinem neuen Passwort lesbar.',
  'afterReset.mailLost':
    'Deine alte Mail konnte nicht wiederhergestellt werden (kein oder ein falscher Mail-Code, oder zu wenige Bestätigungen mit einem Anteil): Die vor dem Zurücksetzen gespeicherte Mail bleibt unlesbar. Neue Mail kommt wie gewohnt an.',
  'afterReset.mailOlder':
    'Dein Wiederherstellungscode stammt von vor einem früheren Zurücksetzen, das deinen Mail-Schlüssel nicht wiederherstellen konnte. Er hat deshalb den Schlüssel von damals zurückgebracht: Die vor jenem Zurücksetzen gespeicherte Mail ist wieder lesbar, die seither gespeicherte aber nicht mehr. Neue Mail kommt wie gewohnt an.',
  'afterReset.trust':
    'Füge die Menschen, denen du vertraust, wieder hinzu – die Vertrauensperson, die dir den Code gegeben hat, ist ein guter Anfang – und lege dann fest, wie viele zustimmen müssen.',
  'forgot.reAddCodeGiver':
    'Dein Konto hat einen neuen Schlüssel. Deine bisherigen Vertrauenspersonen wurden entfernt, weil sie an den alten Schlüssel gebunden waren – außer der Person, die dir den Code gegeben hat: Sie ist wieder deine erste Vertrauensperson. Melde dich an und füge die anderen auf der Seite „Vertrauenspersonen“ wieder hinzu.',
  'afterReset.reAdded':
    '{username} hat dir den Code gegeben und ist wieder deine erste Vertrauensperson. Füge die anderen hinzu, denen du vertraust, und lege dann fest, wie viele zustimmen müssen.',
  'afterReset.trustLink': 'Vertrauenspersonen hinzufügen',
  'afterReset.read': 'Gelesen',
  'recoveryCode.title': 'Wiederherstellungscode',
  'recoveryCode.intro':
    'Mit einem Wiederherstellungscode kannst du ohne deine Vertrauenspersonen ein neues Passwort setzen, zum Beispiel solange du noch niemandem vertraust. Drucke ihn aus oder schreib ihn auf und bewahre ihn sicher auf, nicht beim Computer. Er funktioniert einmal; ein neuer Code ersetzt den alten.',
  'recoveryCode.introMail':
    'Mit einem Wiederherstellungscode kannst du ohne deine Vertrauenspersonen ein neues Passwort setzen, und deine gespeicherte Mail bleibt lesbar. Drucke ihn aus oder schreib ihn auf und bewahre ihn sicher auf, nicht beim Computer. Er funktioniert einmal; ein neuer Code ersetzt den alten.',
  'recoveryCode.exists': 'Du hast einen Wiederherstellungscode. Ein neuer macht den alten nutzlos.',
  'recoveryCode.create': 'Wiederherstellungscode erstellen',
  'recoveryCode.replace': 'Meinen Wiederherstellungscode ersetzen',
  'recoveryCode.resent':
    'Dieses Formular wurde schon gesendet: Der damals gezeigte Code ist weiterhin der gültige. Für einen neuen gib dein Passwort nochmals ein.',
  'recoveryCode.newTitle': 'Dein neuer Wiederherstellungscode',
  'recoveryCode.sheetTitle': 'Wiederherstellungscode für {site}',
  'recoveryCode.sheetUser': 'Benutzername: {username}',
  'recoveryCode.sheetUse':
    'Wenn du dein Passwort vergisst, öffne „Passwort vergessen“, wähle „Wiederherstellungscode verwenden“ und gib diesen Code mit einem neuen Passwort ein. Er funktioniert einmal.',
  'recoveryCode.once':
    'Dieser Code wird nur dieses eine Mal gezeigt und nirgends lesbar gespeichert. Drucke diese Seite (Strg+P) oder schreib den Code jetzt auf. Ein früherer Wiederherstellungscode funktioniert nicht mehr.',
  'recoveryCode.back': 'Zurück zu deinem Konto',
  'recover.title': 'Wiederherstellungscode verwenden',
  'recover.intro':
    'Gib deinen Benutzernamen, den ausgedruckten Wiederherstellungscode und ein neues Passwort ein. Der Code funktioniert einmal; füge danach deine Vertrauenspersonen wieder hinzu.',
  'recover.code': 'Wiederherstellungscode',
  'recover.codeInvalid': 'Dieser Wiederherstellungscode gilt nicht für diesen Benutzernamen, oder er wurde schon verwendet.',
  'event.recovery_code_created': 'Wiederherstellungscode erstellt',
  'event.recovery_code_used': 'Passwort mit deinem Wiederherstellungscode zurückgesetzt',
  'event.reset_mail_restored': 'Alte Mail beim Zurücksetzen wiederhergestellt',
  'event.reset_mail_lost': 'Alte Mail konnte beim Zurücksetzen nicht wiederhergestellt werden',
  'event.reset_explained': 'Du hast die Erklärung zu deinem Zurücksetzen gelesen',

  'password.title': 'Passwort ändern',
  'password.intro': 'Deine Vertrauenspersonen bleiben, wie sie sind. Alle deine anderen Sitzungen werden abgemeldet.',
  'password.current': 'Aktuelles Passwort',
  'password.differ': 'Die beiden neuen Passwörter sind verschieden.',
  'password.wrong': 'Dein aktuelles Passwort ist nicht richtig.',

  'activity.title': 'Kontoaktivität',
  'activity.intro':
    'Anmeldungen und fehlgeschlagene Anmeldungen, Änderungen an deinen Vertrauenspersonen, Regeln zum Zurücksetzen, Passwort und Sitzungen, deine Einladungen und das Zurücksetzen deines Passworts. Nur du siehst diese Liste; Einträge zu Vertrauenspersonen und Einladungen sind mit deinem Schlüssel verschlüsselt gespeichert.',
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
  'activity.unreadable':
    '{n, plural, one {Ein Eintrag von vor dem letzten Zurücksetzen deines Passworts ist mit deinem alten Schlüssel verschlüsselt und kann nicht angezeigt werden.} other {# Einträge von vor dem letzten Zurücksetzen deines Passworts sind mit deinem alten Schlüssel verschlüsselt und können nicht angezeigt werden.}}',
  'activity.sessionsLink': 'Wo du gerade angemeldet bist: deine Sitzungen.',
  'event.k_changed': 'Anzahl der Vertrauenspersonen, die zustimmen müssen, geändert',
  'event.wait_changed': 'Wartezeit geändert',
  'event.sessions_logged_out': 'Andere Sitzungen abgemeldet',
  'event.app_password_created': 'App-Passwort für deine Mail erstellt',
  'event.web_only_off': 'Mailprogramme dürfen sich mit deinem Hauptpasswort anmelden',
  'event.web_only_on': 'Hauptpasswort gilt nur noch auf dieser Website',
  'event.trustee_added': 'Vertrauensperson hinzugefügt',
  'event.trustee_removed': 'Vertrauensperson entfernt',
  'event.invite_created': 'Einladungscode erstellt',
  'event.detail.fromTo': 'von {from} auf {to}',
  'event.detail.confirmations': '{confirmations} von {k}',
  'event.detail.effective': 'ab {time}',
  'event.detail.failures': '{n, plural, one {# Versuch} other {# Versuche}}',
  'event.detail.sessions': '{n, plural, one {# Sitzung} other {# Sitzungen}}',
  'sessions.title': 'Deine Sitzungen',
  'sessions.intro':
    'Jeder Browser, in dem du bei diesem Konto angemeldet bist. Gespeichert wird davon nur die Art von Browser und System, verschlüsselt mit deinem Schlüssel: keine Adresse, keine Versionsnummern.',
  'sessions.created': 'Angemeldet',
  'sessions.lastSeen': 'Zuletzt benutzt',
  'sessions.client': 'Browser',
  'sessions.current': 'dieser Browser',
  'sessions.clientOn': '{browser} auf {os}',
  'sessions.unknown': 'unbekannt',
  'sessions.notYet': 'noch nicht',
  'sessions.logoutOthers': 'Alle anderen Sitzungen abmelden',
  'sessions.onlyThis': 'Dieser Browser ist deine einzige Sitzung.',
  'sessions.othersHint': 'Wenn du eine Sitzung nicht erkennst, melde sie ab und ändere dein Passwort.',

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
  'mail.resetVetoed.subject': 'Ein Zurücksetzen des Passworts wurde abgebrochen',
  'mail.resetVetoed.body':
    'Ein laufendes Zurücksetzen des Passworts für dein Konto wurde um {time} in einer deiner Sitzungen abgebrochen. Alle Bestätigungen wurden verworfen.\n\nWenn du das nicht warst, ist jemand anderes in deinem Konto angemeldet: melde dich an, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.passwordChanged.subject': 'Dein Passwort wurde geändert',
  'mail.passwordChanged.body':
    'Das Passwort deines Kontos wurde um {time} geändert. Alle anderen Sitzungen wurden abgemeldet.\n\nWenn du das nicht warst, bitte deine Vertrauenspersonen, dein Passwort zurückzusetzen, und wende dich an den Betrieb.\n',
  'mail.kLowered.subject': 'Zum Zurücksetzen deines Passworts braucht es jetzt weniger Vertrauenspersonen',
  'mail.kLowered.body':
    'Um {time} wurde die Anzahl der Vertrauenspersonen, die dem Zurücksetzen deines Passworts zustimmen müssen, von {from} auf {to} gesenkt.\n\nWenn du das nicht warst, ist jemand anderes in deinem Konto angemeldet: melde dich an, stell den Wert auf der Seite „Vertrauenspersonen“ zurück, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.waitShortened.subject': 'Die Wartezeit vor dem Zurücksetzen des Passworts wurde verkürzt',
  'mail.waitShortened.body':
    'Um {time} wurde die Wartezeit, bevor ein Code zum Zurücksetzen ausgegeben werden kann, von {from} auf {to} verkürzt.\n\nWenn du das nicht warst, ist jemand anderes in deinem Konto angemeldet: melde dich an, stell den Wert auf der Seite „Vertrauenspersonen“ zurück, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.trusteeAdded.subject': 'Jemand wurde zu deinen Vertrauenspersonen hinzugefügt',
  'mail.trusteeAdded.body':
    'Um {time} wurde deinem Konto eine Vertrauensperson hinzugefügt. Diese Mail sagt nicht, wer, denn Mail ist unterwegs nicht verschlüsselt; deine Aktivitätsliste zeigt den Namen.\n\nWenn du das nicht warst, ist jemand anderes in deinem Konto angemeldet: melde dich an, entferne diese Person auf der Seite „Vertrauenspersonen“, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.appPasswordCreated.subject': 'Ein neues App-Passwort für deine Mail',
  'mail.appPasswordCreated.body':
    'Um {time} wurde ein App-Passwort für dein Mailkonto erstellt. Ein Gerät damit kann deine Mail lesen, auch wenn alle Sitzungen abgemeldet sind.\n\nWenn du das nicht warst, melde dich an, widerrufe es auf der Seite „App-Passwörter“, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.recoveryCodeCreated.subject': 'Für dein Konto wurde ein Wiederherstellungscode erstellt',
  'mail.recoveryCodeCreated.body':
    'Um {time} wurde für dein Konto ein neuer Wiederherstellungscode erstellt; ein früherer gilt nicht mehr. Wer ihn hat, kann ohne deine Vertrauenspersonen ein neues Passwort setzen.\n\nWenn du das nicht warst, kennt jemand anderes dein Passwort und ist in deinem Konto angemeldet: melde dich an, erstelle einen neuen Wiederherstellungscode (das macht seinen ungültig), ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.webOnlyOff.subject': 'Mailprogramme können sich jetzt mit deinem Hauptpasswort anmelden',
  'mail.webOnlyOff.body':
    'Um {time} wurde dein Konto so eingestellt, dass sich Mailprogramme (IMAP und SMTP) mit deinem Hauptpasswort anmelden können, nicht nur mit App-Passwörtern. Wer dein Passwort kennt, kann deine Mail jetzt mit jedem Mailprogramm lesen und versenden.\n\nWenn du das nicht warst, melde dich an, schalte es auf der Seite „Mail“ wieder aus, ändere dein Passwort und melde deine anderen Sitzungen ab.\n',
  'mail.footer.link': 'Dein Konto: {url}',
  'mail.footer.auto': 'Diese Nachricht wurde automatisch von {site} verschickt. Bitte antworte nicht darauf.',
  // Mail pages (mail/pages.tsx, routes/mail.tsx).
  'mailPages.title': 'Mail-Einstellungen',
  'mailPages.addressIs': 'Deine Adresse ist',
  'mailPages.address': 'Deine Adresse:',
  'mailPages.quota': 'Speicherplatz des Postfachs:',
  'mailPages.unlimited': 'unbegrenzt',
  'mailPages.settingsLink': 'Mail-Einstellungen',
  'mailPages.deletionPending': 'Dein Konto wird am {time} gelöscht.',
  'mailPages.cancelDeletion': 'Löschung abbrechen',
  'mailPages.youHave': 'Du hast',
  'mailPages.and': 'und',
  'mailPages.aliasCount': '{n, plural, one {# Alias} other {# Aliasse}}',
  'mailPages.appPasswordCount': '{n, plural, one {# App-Passwort} other {# App-Passwörter}}',
  'mailPages.clientHeading': 'Einstellungen für Mailprogramme',
  'mailPages.credentials': 'Benutzername: deine Adresse, {address}. Passwort: dein Kontopasswort oder ein App-Passwort.',
  'mailPages.service': 'Dienst',
  'mailPages.server': 'Server',
  'mailPages.port': 'Port',
  'mailPages.security': 'Sicherheit',
  'mailPages.imap': 'IMAP (eingehend)',
  'mailPages.pop3': 'POP3 (eingehend)',
  'mailPages.submission': 'SMTP-Versand (ausgehend)',
  'mailPages.managesieve': 'ManageSieve (Filter)',
  'mailPages.securityNone': 'keine (nur über den Onion-Dienst)',
  'mailPages.onion': 'Über Tor verwendest du {host} als Server mit denselben Ports; der Onion-Dienst verschlüsselt die Verbindung bereits.',
  'mailPages.webOnlyHeading': 'Wo dein Hauptpasswort gilt',
  'mailPages.webOnlyOn': 'Dein Hauptpasswort gilt nur auf dieser Website. Mailprogramme melden sich mit einem App-Passwort an.',
  'mailPages.webOnlyOff': 'Dein Hauptpasswort gilt hier und in Mailprogrammen.',
  'mailPages.webOnlyDisable': 'Mailprogramme dürfen mein Hauptpasswort verwenden',
  'mailPages.webOnlyEnable': 'Mein Hauptpasswort nur im Web verwenden',
  'mailPages.webOnlyHint':
    'Mit einem Passwort nur fürs Web hat ein gestohlenes Telefon oder ein unsicheres Mailprogramm nur ein App-Passwort, das du hier widerrufst – nie das Passwort, das dein Konto und deine Vertrauenspersonen entsperrt.',
  'mailPages.leavingHeading': 'Gehen',
  'mailPages.deleteLink': 'Mein Konto löschen',
  'appPasswords.title': 'App-Passwörter',
  'appPasswords.newHeading': 'App-Passwort für {name}',
  'appPasswords.once':
    'Es wird nur dieses eine Mal angezeigt. Gib es im Mailprogramm dieses Geräts als Passwort ein, mit deiner Adresse als Benutzername.',
  'appPasswords.intro': 'Ein Passwort pro Gerät. Geht ein Gerät verloren, widerrufe sein Passwort: die anderen funktionieren weiter.',
  'appPasswords.none': 'Du hast keine App-Passwörter.',
  'appPasswords.device': 'Gerät',
  'appPasswords.created': 'Erstellt',
  'appPasswords.lastUsed': 'Zuletzt benutzt',
  'appPasswords.never': 'nie',
  'appPasswords.revoke': 'Widerrufen',
  'appPasswords.revokeLabel': '{name} widerrufen',
  'appPasswords.deviceName': 'Name des Geräts',
  'appPasswords.create': 'App-Passwort erstellen',
  'appPasswords.max':
    '{max, plural, one {Du hast so viele App-Passwörter wie erlaubt (#). Widerrufe es, um ein neues zu erstellen.} other {Du hast so viele App-Passwörter wie erlaubt (#). Widerrufe eines, um ein neues zu erstellen.}}',
  'aliases.title': 'Aliasse',
  'aliases.domain': 'Domain',
  'aliases.created': 'Mail an {address} kommt jetzt in deinem Postfach an, und du kannst von dieser Adresse aus senden.',
  'aliases.intro':
    '{days, plural, one {Weitere Adressen, die in dein Postfach zustellen. Ein gelöschter Alias weist Mail ab, und niemand sonst kann ihn # Tag lang übernehmen.} other {Weitere Adressen, die in dein Postfach zustellen. Ein gelöschter Alias weist Mail ab, und niemand sonst kann ihn # Tage lang übernehmen.}}',
  'aliases.none': 'Du hast keine Aliasse.',
  'aliases.address': 'Adresse',
  'aliases.note': 'Notiz',
  'aliases.delete': 'Löschen',
  'aliases.deleteLabel': '{address} löschen',
  'aliases.chooseHeading': 'Einen Alias wählen',
  'aliases.local': 'Name vor dem @',
  'aliases.left': '{n, plural, one {Du kannst noch einen wählen.} other {Du kannst noch # wählen.}}',
  'aliases.add': 'Alias hinzufügen',
  'aliases.customMax': 'Du hast so viele Aliasse gewählt wie erlaubt. Lösche einen, um einen anderen zu wählen.',
  'aliases.randomHeading': 'Zufälliger Alias',
  'aliases.noteLabel': 'Notiz (zum Beispiel, wo du ihn verwendet hast)',
  'aliases.makeRandom': 'Zufälligen Alias erstellen',
  'aliases.randomMax': 'Du hast so viele zufällige Aliasse wie erlaubt.',
  'deleteAccount.title': 'Mein Konto löschen',
  'deleteAccount.pending':
    'Dein Konto wird am {time} gelöscht. Bis dahin funktioniert alles weiter, und du kannst es dir anders überlegen.',
  'deleteAccount.keep': 'Mein Konto behalten',
  'deleteAccount.explain':
    'Die Wartezeit beträgt {wait}; danach wird dein Konto gelöscht: du kannst dich nicht mehr anmelden, weder hier noch in einem Mailprogramm; Mail an deine Adresse und deine Aliasse wird abgewiesen; deine App-Passwörter werden gelöscht; deine gespeicherte Mail entfernt der Betrieb. Dein Benutzername und deine Aliasse bleiben gesperrt, damit niemand sonst Mail erhält, die für dich bestimmt ist.',
  'deleteAccount.cancelHint': 'Während der Wartezeit kannst du die Löschung auf deiner Übersicht abbrechen.',
  'deleteAccount.password': 'Dein Passwort',
  'deleteAccount.submit': 'Mein Konto nach der Wartezeit löschen',
  'deleteAccount.wrongPassword': 'Dein Passwort ist nicht korrekt.',
  'mailRefusal.deviceName': 'Gib dem Gerät einen Namen mit 1 bis 64 Zeichen.',
  'mailRefusal.appPasswordsMax':
    '{n, plural, one {Du hast # App-Passwort, so viele wie erlaubt. Widerrufe es zuerst.} other {Du hast # App-Passwörter, so viele wie erlaubt. Widerrufe zuerst eines.}}',
  'mailRefusal.aliasInvalid':
    'Ein Alias besteht aus 1–64 Kleinbuchstaben, Ziffern, Punkten, Bindestrichen oder Unterstrichen und beginnt und endet mit einem Buchstaben oder einer Ziffer.',
  'mailRefusal.aliasReserved': '„{local}“ ist reserviert und kann kein Alias sein.',
  'mailRefusal.aliasDomain': 'Diese Domain gehört nicht zu uns.',
  'mailRefusal.aliasTaken': 'Diese Adresse ist vergeben.',
  'mailRefusal.aliasesMax':
    '{n, plural, one {Du hast # gewählten Alias, so viele wie erlaubt. Lösche ihn zuerst.} other {Du hast # gewählte Aliasse, so viele wie erlaubt. Lösche zuerst einen.}}',
  'mailRefusal.randomAliasesMax':
    '{n, plural, one {Du hast # zufälligen Alias, so viele wie erlaubt. Lösche ihn zuerst.} other {Du hast # zufällige Aliasse, so viele wie erlaubt. Lösche zuerst einen.}}',
};
