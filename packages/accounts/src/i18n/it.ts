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
  'signup.usernameHint': 'Lettere minuscole, cifre, punto, trattino e trattino basso; è anche il tuo indirizzo di posta.',
  'signup.password2': 'Ripeti la password',
  'signup.submit': 'Crea l’account',
  'signup.passwordsDiffer': 'Le due password sono diverse.',
  'signup.usernameTaken': 'Questo nome utente è già preso; scegline un altro.',
  'signup.inviteInvalid': 'Questo codice d’invito non è valido: forse è scritto male, già usato, ritirato o scaduto.',
  'signup.usernameInvalid':
    'Un nome utente ha da 1 a 64 lettere minuscole, cifre, punti, trattini o trattini bassi, e inizia e finisce con una lettera o una cifra.',
  'signup.passwordRefused': 'Questa password non è accettata; scegline una più lunga.',

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
  'trust.waitLabel': 'Attesa in secondi prima che un codice di reimpostazione possa essere consegnato',
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
  'help.generic': 'Grazie. Se quell’account esiste e tu sei una delle sue persone di fiducia, la tua conferma è stata registrata.',
  'help.recorded': 'La tua conferma è registrata: {confirmations} su {k} necessarie.',
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

  'password.title': 'Cambia password',
  'password.intro': 'Le tue persone di fiducia restano come sono. Tutte le tue altre sessioni vengono chiuse.',
  'password.current': 'Password attuale',
  'password.differ': 'Le due nuove password sono diverse.',
  'password.wrong': 'La tua password attuale non è corretta.',

  'activity.title': 'Attività dell’account',
  'activity.intro':
    'Richieste di reimpostazione, annullamenti, reimpostazioni completate e accessi al tuo account. Solo tu vedi questo elenco.',
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
};
