// Italiano, con il tu come nei servizi di comunità. it-CH ricade su questo catalogo.
import type { Messages } from './en.ts';

export const it: Messages = {
  'lang.name': 'Italiano',
  'nav.account': 'Account',
  'nav.site': 'Sito',
  'nav.dashboard': 'Panoramica',
  'nav.trust': 'Persone di fiducia',
  'nav.invites': 'Inviti',
  'nav.mail': 'Posta',
  'nav.helpReset': 'Aiuta qualcuno a reimpostare',
  'nav.password': 'Cambia password',
  'nav.activity': 'Attività',
  'nav.sessions': 'Sessioni',
  'nav.logout': 'Esci ({username})',
  'nav.login': 'Accedi',
  'nav.signup': 'Registrati',
  'nav.forgot': 'Ho dimenticato la password',
  'footer.language': 'Lingua',
  'footer.preferences': 'Lingua e fuso orario',

  'notice.welcome': 'Benvenuto! Il tuo account è pronto. La persona che ti ha invitato è la tua prima persona di fiducia.',
  'notice.trustee-added': 'Persona di fiducia aggiunta.',
  'notice.trustee-removed': 'Persona di fiducia rimossa.',
  'notice.settings-saved': 'Regole di reimpostazione salvate.',
  'notice.vetoed': 'La reimpostazione è stata annullata. Cambia la password se pensi che qualcun altro la conosca.',
  'notice.invite-revoked': 'Invito ritirato.',
  'notice.password-changed': 'Password cambiata. Le tue altre sessioni sono state chiuse.',
  'notice.logged-out': 'Sei uscito.',
  'notice.session-ended': 'Accedi, per favore.',
  'notice.preferences-saved': 'La tua lingua e il tuo fuso orario sono salvati.',
  'notice.web-only-on': 'La tua password principale ora funziona solo sul web. I programmi di posta hanno bisogno di una password per app.',
  'notice.web-only-off': 'I programmi di posta possono di nuovo usare la tua password principale.',
  'notice.app-password-revoked': 'Password per app revocata. Il dispositivo che la usa non può più accedere.',
  'notice.alias-deleted': 'Alias eliminato. La posta indirizzata a questo alias ora viene rifiutata.',
  'notice.deletion-cancelled': 'L’eliminazione del tuo account è annullata.',
  'notice.others-logged-out': 'Le tue altre sessioni sono state disconnesse.',

  'limited.title': 'Troppi tentativi',
  'limited.message': 'Troppi tentativi falliti. Aspetta {wait} e riprova.',

  'form.username': 'Nome utente',
  'form.password': 'Password',
  'form.passwordHint':
    'Almeno 10 caratteri. Più parole senza legame tra loro sono facili da ricordare e difficili da indovinare. Non il tuo nome utente, non una password comune, niente sequenze di tasti.',

  'login.title': 'Accedi',
  'login.submit': 'Accedi',
  'login.noAccount': 'Non hai un account? Ti serve un codice d’invito da qualcuno che ne ha già uno:',
  'login.signupLink': 'registrati',
  'login.lost': 'Hai perso la password?',
  'login.forgotLink': 'Ho dimenticato la password',
  'login.invalid': 'Nome utente o password non validi.',
  'login.disabled': 'Questo account è disattivato. Contatta chi gestisce il servizio.',

  'signup.title': 'Registrati con un invito',
  'signup.intro':
    'La persona che ti ha invitato diventa la tua prima persona di fiducia: più avanti potrà aiutarti a reimpostare la password.',
  'signup.code': 'Codice d’invito',
  'signup.usernameHint':
    'Lettere a–z, cifre, punto, trattino e trattino basso, al massimo 64, con una lettera o una cifra all’inizio e alla fine. È la prima parte del tuo indirizzo di posta: le lettere accentate (ë, é, ü) non sono possibili, perché molti server di posta rifiutano gli indirizzi che le contengono.',
  'signup.password2': 'Ripeti la password',
  'signup.submit': 'Crea l’account',
  'signup.passwordsDiffer': 'Le due password sono diverse.',
  'signup.usernameTaken': 'Questo nome utente è già preso; scegline un altro.',
  'signup.inviteInvalid': 'Questo codice d’invito non è valido: forse è scritto male, già usato, ritirato o scaduto.',
  'signup.usernameInvalid':
    'Questo nome utente non è possibile. Usa solo lettere a–z senza accenti, cifre, punti, trattini e trattini bassi (da 1 a 64 caratteri, con una lettera o una cifra all’inizio e alla fine): diventa il tuo indirizzo di posta, e molti server di posta rifiutano gli indirizzi con lettere accentate.',
  'signup.passwordRefused': 'Questa password non è accettata; scegline una più lunga.',
  'signup.usernameNormalised':
    'Il tuo nome utente sarà «{username}»: gli indirizzi di posta si scrivono in minuscolo. Se va bene, inserisci di nuovo la password due volte e invia il modulo.',
  'signup.codeHint': 'Il codice ricevuto da chi ti ha invitato, per esempio 7K2M-QX4P-9D3R-H6WN-B8TA. Maiuscole o minuscole non contano.',
  'form.errorSummary': '{n, plural, one {Il modulo contiene un errore} other {Il modulo contiene # errori}}',
  'layout.skip': 'Vai al contenuto',
  'nav.signedInAs': 'Accesso come {address}',
  'error.tooLargeTitle': 'Troppo testo',
  'error.tooLarge':
    'Quello che hai inviato supera quanto il server accetta (16 KiB). Non è stato salvato nulla. Torna indietro, accorcia quanto hai scritto e invialo di nuovo.',
  'error.backToForm': 'Torna al modulo',
  'invites.link': 'Link di registrazione',
  'invites.linkHint': 'Puoi inviare questo link al posto del codice: apre la pagina di registrazione con il codice già inserito.',
  'invites.gone':
    'Un nuovo codice d’invito viene mostrato una sola volta, e questo è già stato mostrato. Vale ancora; se è andato perso, ritiralo qui sotto e creane un altro.',

  'strength.username': 'Non mettere il tuo nome utente nella password.',
  'strength.common': 'È una delle password più comuni; chi attacca la prova per prima.',
  'strength.commonCore': 'È costruita attorno a una password molto comune; aggiungi altre parole senza legame.',
  'strength.repeated': 'Un solo carattere ripetuto si indovina subito.',
  'strength.run': 'Le sequenze della tastiera e dell’alfabeto (abcdef, 123456, qwerty) si indovinano subito.',
  'strength.fewChars': 'Troppi pochi caratteri diversi.',
  'strength.tooShort':
    '{min, plural, one {Usa almeno # carattere (qualche parola senza legame tra loro va benissimo).} other {Usa almeno # caratteri (qualche parola senza legame tra loro va benissimo).}}',
  'strength.tooLong': '{max, plural, one {Usa al massimo # carattere.} other {Usa al massimo # caratteri.}}',

  'dashboard.title': 'Il tuo account',
  'dashboard.pendingTitle': 'Qualcuno ha chiesto di reimpostare la tua password',
  'dashboard.pendingCount':
    '{confirmations, plural, one {# delle tue persone di fiducia ha confermato una reimpostazione della password per questo account (ne servono {k}).} other {# delle tue persone di fiducia hanno confermato una reimpostazione della password per questo account (ne servono {k}).}}',
  'dashboard.pendingFrom': 'Un codice di reimpostazione può essere consegnato dal {time} ({relative}).',
  'dashboard.pendingNoCode': 'Nessun codice può essere consegnato finché non confermano in abbastanza.',
  'dashboard.pendingStop': 'Se non hai perso la password, fermala ora. Così annulli la richiesta e tutte le conferme.',
  'dashboard.veto': 'Non sono stato io — annulla la reimpostazione',
  'dashboard.noPending': 'Non c’è nessuna reimpostazione della password in corso per il tuo account.',
  'dashboard.fairPassword':
    'La tua password è accettata, ma piuttosto corta. Una più lunga (16 caratteri o più — più parole senza legame tra loro) è molto più difficile da indovinare; puoi cambiarla quando vuoi.',
  'dashboard.trustHeading': 'Fiducia',
  'dashboard.trustSummary':
    '{count, plural, =0 {Non ti fidi ancora di nessuno.} one {Ti fidi di una persona.} other {Ti fidi di # persone.}} {k, plural, one {# di loro deve essere d’accordo per reimpostare la tua password,} other {# di loro devono essere d’accordo per reimpostare la tua password,}} poi hai {wait} per annullare.',
  'dashboard.manageTrust': 'Gestisci le persone di fiducia',
  'dashboard.tooFew': 'Ti servono più persone di fiducia di quante ne hai: nessuno potrebbe aiutarti a reimpostare la password.',

  'trust.title': 'Persone di fiducia',
  'trust.intro':
    'Queste persone possono aiutarti a reimpostare la password. Solo tu vedi questo elenco: è salvato cifrato con la tua chiave.',
  'trust.none': 'Non ti fidi ancora di nessuno.',
  'trust.user': 'Persona',
  'trust.remove': 'Rimuovi',
  'trust.removeLabel': 'Rimuovi {username}',
  'trust.addHeading': 'Aggiungi una persona di fiducia',
  'trust.add': 'Aggiungi',
  'trust.free': '{free, plural, one {# posto libero su {slots}.} other {# posti liberi su {slots}.}}',
  'trust.full': 'Tutti i {slots} posti sono occupati; prima rimuovi qualcuno.',
  'trust.rulesHeading': 'Regole di reimpostazione',
  'trust.kWarning':
    '{k, plural, one {# persona di fiducia deve essere d’accordo,} other {# persone di fiducia devono essere d’accordo,}} {count, plural, =0 {ma non ti fidi di nessuno:} one {ma ti fidi solo di una:} other {ma ti fidi solo di #:}} nessuno potrebbe aiutarti a reimpostare la password.',
  'trust.kLabel': 'Quante persone di fiducia devono essere d’accordo',
  'trust.waitLabel': 'Attesa prima che un codice di reimpostazione possa essere consegnato',
  'trust.waitHint':
    'Attualmente {wait}. Il minimo stabilito da chi gestisce il servizio è {min}. Durante questo tempo vieni avvisato per posta e nella panoramica, e puoi annullare.',
  'trust.save': 'Salva',
  'trust.notFound': 'Non c’è nessuno con questo nome.',
  'trust.exists': 'Ti fidi già di questa persona.',
  'trust.self': 'Non puoi essere la tua persona di fiducia.',
  'trust.slotsFull': 'Tutti i posti sono occupati; prima rimuovi qualcuno.',
  'trust.notTrustee': 'Questa persona non è tra le tue persone di fiducia.',
  'trust.kRange': 'Il numero di persone di fiducia che devono essere d’accordo è tra 1 e {slots}.',
  'trust.waitRange': 'L’attesa è di almeno {min} (il minimo stabilito da chi gestisce il servizio) e al massimo di un anno.',
  'trust.notAllowed': 'Queste impostazioni non sono permesse.',

  'invites.title': 'Inviti',
  'invites.newHeading': 'Il tuo nuovo codice d’invito',
  'invites.newOnce':
    'Viene mostrato solo questa volta. Dallo alla persona che inviti; chi lo usa ottiene un account e tu diventi la sua prima persona di fiducia.',
  'invites.left':
    '{n, plural, =0 {Non puoi creare altri codici d’invito.} one {Puoi creare ancora un codice d’invito.} other {Puoi creare ancora # codici d’invito.}}',
  'invites.create': 'Crea un codice d’invito',
  'invites.unused': 'Inviti non usati',
  'invites.none': 'Nessuno.',
  'invites.created': 'Creato',
  'invites.expires': 'Scade',
  'invites.revoke': 'Ritira',
  'invites.noneLeftTitle': 'Nessun invito rimasto',
  'invites.noneLeft': 'Hai usato tutti i tuoi inviti. Ritira un invito non usato o chiedi a chi gestisce il servizio.',

  'help.codeTitle': 'Codice di reimpostazione',
  'help.codeWarningTitle': 'Dai questo codice solo a {username}, di persona',
  'help.codeWarning':
    'Non darlo mai a chi te lo chiede — per posta, chat o telefono —, anche se dice di essere {username} o che è urgente. Chiedere un codice agli amici di fiducia è proprio il modo in cui si rubano gli account.',
  'help.codeOnce': 'Viene mostrato solo questa volta, funziona una volta sola e scade il {time}.',
  'help.title': 'Aiuta qualcuno a reimpostare la password',
  'help.generic': 'Grazie. Se {username} esiste e tu sei una delle sue persone di fiducia, la tua conferma è stata registrata.',
  'help.recorded': 'La tua conferma per {username} è registrata: {confirmations} su {k} necessarie.',
  'help.recordedFrom': 'Il codice può essere consegnato dal {time} ({relative}). Torna allora e invia di nuovo questo modulo.',
  'help.recordedWait': 'Quando abbastanza persone di fiducia avranno confermato, inizierà un’attesa.',
  'help.intro':
    'Se qualcuno che si fida di te ha perso la password, puoi confermare una reimpostazione per questa persona. Quando abbastanza sue persone di fiducia avranno confermato e l’attesa sarà finita, qui vedrai un codice monouso da consegnarle di persona.',
  'help.target': 'Il suo nome utente',
  'help.ownPassword': 'La tua password',
  'help.submit': 'Conferma la reimpostazione',
  'help.wrongPassword': 'La tua password non è corretta.',

  'forgot.title': 'Ho dimenticato la password',
  'forgot.intro':
    'Chiedi alle persone di cui ti fidi di confermare una reimpostazione per te (accedono e usano «Aiuta qualcuno a reimpostare»). Quando abbastanza di loro hanno confermato e l’attesa è finita, una di loro ti consegna un codice di persona. Inseriscilo qui con una nuova password.',
  'forgot.username': 'Il tuo nome utente',
  'forgot.code': 'Codice di reimpostazione',
  'forgot.newPassword': 'Nuova password',
  'forgot.newPassword2': 'Ripeti la nuova password',
  'forgot.submit': 'Imposta la nuova password',
  'forgot.codeInvalid': 'Questo codice non è valido per questo nome utente, oppure è scaduto o già usato.',
  'forgot.doneTitle': 'La tua password è stata reimpostata',
  'forgot.reAdd':
    'Il tuo account ha una nuova chiave. Le tue persone di fiducia precedenti sono state rimosse, perché erano legate alla vecchia chiave. Accedi e aggiungile di nuovo nella pagina «Persone di fiducia» — altrimenti la prossima volta nessuno potrà aiutarti.',
  'forgot.appPasswordsRevoked':
    'Tutte le password per app del tuo account di posta sono state revocate, perché chi ha reimpostato la password non deve tenere nessun dispositivo connesso. Il tuo programma di posta ha bisogno della nuova password o di una nuova password per app.',
  'forgot.login': 'Accedi',
  'forgot.introMail':
    'La persona di fiducia che ha avviato la reimpostazione ha anche un codice mail per te. Inseriscilo pure: solo con esso la tua posta salvata torna leggibile.',
  'forgot.mailCode': 'Codice mail (se ne hai ricevuto uno)',
  'forgot.mailCodeHint': 'Senza il codice mail la password viene comunque reimpostata, ma la posta salvata finora resta illeggibile.',
  'forgot.haveRecoveryCode': 'Hai invece un codice di recupero?',
  'forgot.recoverLink': 'Usa il tuo codice di recupero',
  'help.resetCodeHeading': 'Codice di reimpostazione',
  'help.mailCodeTitle': 'Codice mail per {username}: scrivilo ora',
  'help.mailCodeKeep':
    'Hai avviato tu questa reimpostazione, quindi solo tu ricevi questo codice, e solo questa volta. Conservalo con cura e consegnalo di persona a {username} insieme al codice di reimpostazione: senza di esso {username} rientra nell’account, ma la posta salvata finora resta illeggibile.',
  'help.mailCodeReminder':
    'Consegna a {username} anche il codice mail. È stato mostrato una sola volta alla persona di fiducia che ha avviato questa reimpostazione (forse a te). Senza di esso la reimpostazione funziona, ma la posta salvata finora resta illeggibile.',
  'help.vetoed':
    '{username} ha annullato questa reimpostazione dal proprio pannello, quindi la tua conferma non è stata registrata. Parlane con {username} prima di riprovare.',
  'help.vetoedUntil': 'Una nuova reimpostazione si potrà avviare dal {time} ({relative}).',
  'trust.kHint':
    '{count, plural, =0 {Non ti fidi ancora di nessuno, quindi resta 1 finché non aggiungi qualcuno.} one {Ti fidi di una persona, quindi può essere solo 1.} other {Ti fidi di # persone, quindi può andare da 1 a #.}}',
  'trust.kTooHigh':
    '{count, plural, =0 {Non ti fidi ancora di nessuno, quindi si può salvare solo 1.} one {Ti fidi solo di una persona, quindi non possono essere d’accordo in {k}: al massimo 1.} other {Ti fidi solo di # persone, quindi non possono essere d’accordo in {k}: al massimo #.}} Aggiungi prima delle persone di fiducia.',
  'trust.waitDays': 'Giorni',
  'trust.waitHours': 'Ore',
  'dashboard.tooFewNobody':
    'Per rimediare: invita una persona di cui ti fidi («Inviti»), aggiungila nella pagina «Persone di fiducia» appena ha un account — e nel frattempo crea un codice di recupero.',
  'dashboard.tooFewSome':
    'Per rimediare: aggiungi altre persone di fiducia, o riduci il numero di quelle che devono essere d’accordo, nella pagina «Persone di fiducia» — oppure crea un codice di recupero.',
  'recovery.heading': 'Se dimentichi la password',
  'recovery.headingMail': 'Se dimentichi la password: il tuo account e la tua posta salvata',
  'recovery.protected': 'Puoi rientrare nel tuo account tramite:',
  'recovery.protectedMail': 'Puoi rientrare nel tuo account, con la posta salvata ancora leggibile, tramite:',
  'recovery.pathTrustees': '{k} su {n, plural, one {# persona di fiducia} other {# persone di fiducia}}',
  'recovery.pathCode': 'il tuo codice di recupero',
  'recovery.none': 'Niente protegge il tuo account: se dimentichi la password, nessuno può aiutarti a rientrare.',
  'recovery.noneMail':
    'Niente protegge il tuo account né la tua posta salvata: se dimentichi la password, nessuno può aiutarti a rientrare, e la posta salvata fino ad allora non potrà più essere letta.',
  'recovery.whatToDo':
    'Cosa fare: crea un codice di recupero e conservalo su carta in un luogo sicuro, e aggiungi persone di fiducia (almeno quante devono essere d’accordo).',
  'recovery.createLink': 'Crea un codice di recupero',
  'recovery.replaceLink': 'Crea un nuovo codice di recupero (quello vecchio smette di funzionare)',
  'afterReset.title': 'La tua password è stata reimpostata il {time}',
  'afterReset.viaTrustees':
    'Le tue persone di fiducia l’hanno confermato e una di loro ti ha dato un codice. Il tuo account ha ricevuto una nuova chiave, quindi l’elenco delle persone di fiducia è stato svuotato e il numero di quelle che devono essere d’accordo riportato a 1.',
  'afterReset.viaCode':
    'Hai usato il tuo codice di recupero, che ora è esaurito. Il tuo account ha ricevuto una nuova chiave, quindi l’elenco delle persone di fiducia è stato svuotato e il numero di quelle che devono essere d’accordo riportato a 1. Crea un nuovo codice di recupero.',
  'afterReset.mailRestored': 'La tua vecchia posta è stata ripristinata: è leggibile con la nuova password.',
  'afterReset.mailLost':
    'La tua vecchia posta non è stata ripristinata (nessun codice mail, uno sbagliato, o troppe poche conferme con una quota): la posta salvata prima della reimpostazione resta illeggibile. La nuova posta arriva come sempre.',
  'afterReset.trust':
    'Aggiungi di nuovo le persone di cui ti fidi — chi ti ha dato il codice è un buon inizio — poi scegli quante devono essere d’accordo.',
  'afterReset.trustLink': 'Aggiungi persone di fiducia',
  'afterReset.read': 'Ho letto',
  'recoveryCode.title': 'Codice di recupero',
  'recoveryCode.intro':
    'Un codice di recupero ti permette di impostare una nuova password senza le tue persone di fiducia, per esempio finché non ti fidi ancora di nessuno. Stampalo o scrivilo e conservalo in un luogo sicuro, lontano dal computer. Funziona una volta; un nuovo codice sostituisce il vecchio.',
  'recoveryCode.introMail':
    'Un codice di recupero ti permette di impostare una nuova password senza le tue persone di fiducia, con la posta salvata ancora leggibile. Stampalo o scrivilo e conservalo in un luogo sicuro, lontano dal computer. Funziona una volta; un nuovo codice sostituisce il vecchio.',
  'recoveryCode.exists': 'Hai un codice di recupero. Crearne uno nuovo rende inutile quello vecchio.',
  'recoveryCode.create': 'Crea un codice di recupero',
  'recoveryCode.replace': 'Sostituisci il mio codice di recupero',
  'recoveryCode.resent':
    'Questo modulo è già stato inviato: il codice mostrato allora resta quello valido. Per crearne un altro, inserisci di nuovo la password.',
  'recoveryCode.newTitle': 'Il tuo nuovo codice di recupero',
  'recoveryCode.sheetTitle': 'Codice di recupero per {site}',
  'recoveryCode.sheetUser': 'Nome utente: {username}',
  'recoveryCode.sheetUse':
    'Se dimentichi la password, apri «Ho dimenticato la password», scegli «Usa il tuo codice di recupero» e inserisci questo codice con una nuova password. Funziona una volta.',
  'recoveryCode.once':
    'Questo codice è mostrato solo questa volta e non è salvato da nessuna parte in forma leggibile. Stampa questa pagina (Ctrl+P) o scrivi il codice ora. Un codice di recupero precedente non funziona più.',
  'recoveryCode.back': 'Torna al tuo account',
  'recover.title': 'Usa un codice di recupero',
  'recover.intro':
    'Inserisci il tuo nome utente, il codice di recupero stampato e una nuova password. Il codice funziona una volta; poi aggiungi di nuovo le tue persone di fiducia.',
  'recover.code': 'Codice di recupero',
  'recover.codeInvalid': 'Questo codice di recupero non vale per questo nome utente, oppure è già stato usato.',
  'event.recovery_code_created': 'Codice di recupero creato',
  'event.recovery_code_used': 'Password reimpostata con il tuo codice di recupero',
  'event.reset_mail_restored': 'Vecchia posta ripristinata con la reimpostazione',
  'event.reset_mail_lost': 'La vecchia posta non è stata ripristinata con la reimpostazione',
  'event.reset_explained': 'Hai letto la spiegazione della tua reimpostazione',

  'password.title': 'Cambia password',
  'password.intro': 'Le tue persone di fiducia restano come sono. Tutte le tue altre sessioni vengono chiuse.',
  'password.current': 'Password attuale',
  'password.differ': 'Le due nuove password sono diverse.',
  'password.wrong': 'La tua password attuale non è corretta.',

  'activity.title': 'Attività dell’account',
  'activity.intro':
    'Accessi e tentativi falliti, modifiche alle tue persone di fiducia, alle regole di reimpostazione, alla password e alle sessioni, i tuoi inviti e le reimpostazioni della password. Solo tu vedi questo elenco; le voci sulle persone di fiducia e sugli inviti sono salvate cifrate con la tua chiave.',
  'activity.none': 'Ancora niente.',
  'activity.time': 'Ora',
  'activity.what': 'Cosa',
  'event.login': 'Accesso',
  'event.login_failed': 'Tentativi di accesso falliti con una password sbagliata',
  'event.signup': 'Account creato',
  'event.password_changed': 'Password cambiata',
  'event.reset_confirmation': 'Una persona di fiducia ha confermato una reimpostazione della tua password',
  'event.reset_pending': 'Abbastanza persone di fiducia hanno confermato una reimpostazione; l’attesa è iniziata',
  'event.reset_vetoed': 'Hai annullato una reimpostazione in corso',
  'event.reset_completed': 'Password reimpostata con un codice',
  'event.code_issued': 'Un codice di reimpostazione è stato consegnato a una persona di fiducia',
  'activity.unreadable':
    '{n, plural, one {Una voce precedente all’ultima reimpostazione della password è cifrata con la tua vecchia chiave e non può essere mostrata.} other {# voci precedenti all’ultima reimpostazione della password sono cifrate con la tua vecchia chiave e non possono essere mostrate.}}',
  'activity.sessionsLink': 'Dove sei connesso adesso: le tue sessioni.',
  'event.k_changed': 'Numero di persone di fiducia che devono essere d’accordo modificato',
  'event.wait_changed': 'Periodo di attesa modificato',
  'event.sessions_logged_out': 'Altre sessioni disconnesse',
  'event.app_password_created': 'Password per app creata per la tua posta',
  'event.trustee_added': 'Persona di fiducia aggiunta',
  'event.trustee_removed': 'Persona di fiducia rimossa',
  'event.invite_created': 'Codice d’invito creato',
  'event.detail.fromTo': 'da {from} a {to}',
  'event.detail.confirmations': '{confirmations} su {k}',
  'event.detail.effective': 'dal {time}',
  'event.detail.failures': '{n, plural, one {# tentativo} other {# tentativi}}',
  'event.detail.sessions': '{n, plural, one {# sessione} other {# sessioni}}',
  'sessions.title': 'Le tue sessioni',
  'sessions.intro':
    'Ogni browser in cui sei connesso a questo account. Di ciascuno si conserva solo il tipo di browser e di sistema, cifrato con la tua chiave: nessun indirizzo, nessun numero di versione.',
  'sessions.created': 'Accesso',
  'sessions.lastSeen': 'Ultimo uso',
  'sessions.client': 'Browser',
  'sessions.current': 'questo browser',
  'sessions.clientOn': '{browser} su {os}',
  'sessions.unknown': 'sconosciuto',
  'sessions.notYet': 'non ancora',
  'sessions.logoutOthers': 'Disconnetti tutte le altre sessioni',
  'sessions.onlyThis': 'Questo browser è la tua unica sessione.',
  'sessions.othersHint': 'Se non riconosci una sessione, disconnettila e cambia la password.',

  'error.startPage': 'Pagina iniziale',
  'error.notFoundTitle': 'Pagina non trovata',
  'error.notFound': 'A questo indirizzo non c’è nessuna pagina.',
  'error.badRequestTitle': 'Modulo scaduto',
  'error.badRequest':
    'La pagina da cui hai inviato il modulo non è più valida (per esempio perché nel frattempo sei entrato o uscito). Torna indietro, ricarica la pagina e riprova.',
  'error.serverTitle': 'Qualcosa è andato storto',
  'error.server': 'Qualcosa è andato storto da parte nostra. Riprova tra un momento.',

  'prefs.title': 'Lingua e fuso orario',
  'prefs.intro': 'Le pagine e i messaggi che questo servizio ti manda usano questa lingua; gli orari sono mostrati in questo fuso orario.',
  'prefs.language': 'Lingua',
  'prefs.timeZone': 'Fuso orario',
  'prefs.save': 'Salva',

  'mail.resetRequested.subject': 'È stata chiesta una reimpostazione della password del tuo account',
  'mail.resetRequested.body':
    'Una delle tue persone di fiducia ha confermato una reimpostazione della password del tuo account il {time}.\n{k, plural, one {Serve una conferma prima che inizi un’attesa.} other {Servono # conferme prima che inizi un’attesa.}}\n\nSe non hai perso la password, accedi e annulla la reimpostazione nella tua panoramica.\n',
  'mail.resetArmed.subject': 'Una reimpostazione della tua password diventa effettiva il {time}',
  'mail.resetArmed.body':
    'Abbastanza tue persone di fiducia hanno confermato una reimpostazione della password del tuo account.\nDal {time} una di loro può consegnare un codice che imposta una nuova password.\n\nSe non sei stato tu, accedi prima di allora e premi «Non sono stato io — annulla la reimpostazione» nella tua panoramica.\n',
  'mail.resetCompleted.subject': 'La tua password è stata reimpostata',
  'mail.resetCompleted.body':
    'La tua password è stata reimpostata il {time} con il codice di una persona di fiducia. Tutte le sessioni sono state chiuse.\nLe tue persone di fiducia precedenti sono state rimosse; accedi e aggiungile di nuovo.\n\n',
  'mail.resetCompleted.appPasswords':
    'Tutte le password per app del tuo account di posta sono state revocate: creane di nuove per i tuoi dispositivi.\n\n',
  'mail.resetCompleted.contact': 'Se non sei stato tu, contatta subito chi gestisce il servizio.\n',
  'mail.resetVetoed.subject': 'Una reimpostazione della password è stata annullata',
  'mail.resetVetoed.body':
    'Una reimpostazione della password del tuo account è stata annullata il {time} da una delle tue sessioni. Tutte le conferme sono state scartate.\n\nSe non sei stato tu, qualcun altro è connesso al tuo account: accedi, cambia la password e disconnetti le altre sessioni.\n',
  'mail.passwordChanged.subject': 'La tua password è stata cambiata',
  'mail.passwordChanged.body':
    'La password del tuo account è stata cambiata il {time}. Tutte le altre sessioni sono state disconnesse.\n\nSe non sei stato tu, chiedi alle tue persone di fiducia di reimpostare la password e contatta chi gestisce il servizio.\n',
  'mail.kLowered.subject': 'Ora servono meno persone di fiducia per reimpostare la tua password',
  'mail.kLowered.body':
    'Il {time} il numero di persone di fiducia che devono essere d’accordo per reimpostare la tua password è sceso da {from} a {to}.\n\nSe non sei stato tu, qualcun altro è connesso al tuo account: accedi, ripristina il valore nella pagina «Persone di fiducia», cambia la password e disconnetti le altre sessioni.\n',
  'mail.waitShortened.subject': 'Il periodo di attesa prima di una reimpostazione è stato accorciato',
  'mail.waitShortened.body':
    'Il {time} il periodo di attesa prima che un codice di reimpostazione possa essere consegnato è passato da {from} a {to}.\n\nSe non sei stato tu, qualcun altro è connesso al tuo account: accedi, ripristina il valore nella pagina «Persone di fiducia», cambia la password e disconnetti le altre sessioni.\n',
  'mail.trusteeAdded.subject': 'Qualcuno è stato aggiunto alle tue persone di fiducia',
  'mail.trusteeAdded.body':
    'Il {time} è stata aggiunta una persona di fiducia al tuo account. Questa mail non dice chi, perché la posta non è cifrata durante il tragitto; la tua lista delle attività mostra il nome.\n\nSe non sei stato tu, qualcun altro è connesso al tuo account: accedi, rimuovi quella persona nella pagina «Persone di fiducia», cambia la password e disconnetti le altre sessioni.\n',
  'mail.appPasswordCreated.subject': 'Una nuova password per app per la tua posta',
  'mail.appPasswordCreated.body':
    'Il {time} è stata creata una password per app per il tuo account di posta. Un dispositivo che la usa può leggere la tua posta anche dopo che tutte le sessioni sono state disconnesse.\n\nSe non sei stato tu, accedi, revocala nella pagina «Password per app», cambia la password e disconnetti le altre sessioni.\n',
  'mail.footer.link': 'Il tuo account: {url}',
  'mail.footer.auto': 'Questo messaggio è stato inviato automaticamente da {site}. Per favore non rispondere.',
};
