// Français, vouvoiement. fr-CH, fr-BE et fr-CA se rabattent sur ce catalogue. Espaces insécables avant : ; ? !
import type { Messages } from './en.ts';

export const fr: Messages = {
  'lang.name': 'Français',
  'nav.account': 'Compte',
  'nav.site': 'Site',
  'nav.dashboard': 'Tableau de bord',
  'nav.trust': 'Personnes de confiance',
  'nav.invites': 'Invitations',
  'nav.mail': 'Mail',
  'nav.helpReset': 'Aider quelqu’un à réinitialiser',
  'nav.password': 'Changer de mot de passe',
  'nav.activity': 'Activité',
  'nav.sessions': 'Sessions',
  'nav.logout': 'Déconnecter {username}',
  'nav.login': 'Se connecter',
  'nav.signup': 'Créer un compte',
  'nav.forgot': 'J’ai oublié mon mot de passe',
  'footer.language': 'Langue',
  'footer.preferences': 'Langue et fuseau horaire',

  'notice.welcome': 'Bienvenue ! Votre compte est prêt. La personne qui vous a invité est votre première personne de confiance.',
  'notice.trustee-added': 'Personne de confiance ajoutée.',
  'notice.trustee-removed': 'Personne de confiance retirée.',
  'notice.settings-saved': 'Règles de réinitialisation enregistrées.',
  'notice.vetoed': 'La réinitialisation est annulée. Changez votre mot de passe si vous pensez que quelqu’un d’autre le connaît.',
  'notice.invite-revoked': 'Invitation retirée.',
  'notice.password-changed': 'Mot de passe changé. Vos autres sessions ont été déconnectées.',
  'notice.logged-out': 'Vous êtes déconnecté.',
  'notice.session-ended': 'Veuillez vous connecter.',
  'notice.preferences-saved': 'Votre langue et votre fuseau horaire sont enregistrés.',
  'notice.web-only-on':
    'Votre mot de passe principal ne fonctionne plus que sur le web. Les logiciels de messagerie ont besoin d’un mot de passe d’application.',
  'notice.web-only-off': 'Les logiciels de messagerie peuvent de nouveau utiliser votre mot de passe principal.',
  'notice.app-password-revoked': 'Mot de passe d’application révoqué. L’appareil qui l’utilise ne peut plus se connecter.',
  'notice.alias-deleted': 'Alias supprimé. Le courrier qui lui est adressé est désormais refusé.',
  'notice.deletion-cancelled': 'La suppression de votre compte est annulée.',
  'notice.others-logged-out': 'Vos autres sessions sont déconnectées.',

  'limited.title': 'Trop de tentatives',
  'limited.message': 'Trop de tentatives échouées. Veuillez attendre {wait} puis réessayer.',

  'form.username': 'Nom d’utilisateur',
  'form.password': 'Mot de passe',
  'form.passwordHint':
    'Au moins 10 caractères. Plusieurs mots sans rapport entre eux sont faciles à retenir et difficiles à deviner. Pas votre nom d’utilisateur, pas un mot de passe courant, pas de suite de touches.',

  'login.title': 'Se connecter',
  'login.submit': 'Se connecter',
  'login.noAccount': 'Pas de compte ? Il vous faut un code d’invitation de quelqu’un qui en a déjà un :',
  'login.signupLink': 'créer un compte',
  'login.lost': 'Mot de passe perdu ?',
  'login.forgotLink': 'J’ai oublié mon mot de passe',
  'login.invalid': 'Nom d’utilisateur ou mot de passe incorrect.',
  'login.disabled': 'Ce compte est désactivé. Veuillez contacter l’équipe qui gère le service.',

  'signup.title': 'Créer un compte avec une invitation',
  'signup.intro':
    'La personne qui vous a invité devient votre première personne de confiance : elle pourra plus tard vous aider à réinitialiser votre mot de passe.',
  'signup.code': 'Code d’invitation',
  'signup.usernameHint':
    'Lettres a–z, chiffres, point, tiret et tiret bas, 64 au plus, avec une lettre ou un chiffre au début et à la fin. C’est la première partie de votre adresse mail : les lettres accentuées (ë, é, ü) ne sont pas possibles, car beaucoup de serveurs de mail refusent les adresses qui en contiennent.',
  'signup.password2': 'Mot de passe, encore une fois',
  'signup.submit': 'Créer le compte',
  'signup.passwordsDiffer': 'Les deux mots de passe sont différents.',
  'signup.usernameTaken': 'Ce nom d’utilisateur est pris ; veuillez en choisir un autre.',
  'signup.inviteInvalid': 'Ce code d’invitation n’est pas valable : il est peut-être mal saisi, déjà utilisé, retiré ou expiré.',
  'signup.usernameInvalid':
    'Ce nom d’utilisateur n’est pas possible. Utilisez seulement des lettres a–z sans accents, des chiffres, des points, des tirets et des tirets bas (de 1 à 64 caractères, avec une lettre ou un chiffre au début et à la fin) : il devient votre adresse mail, et beaucoup de serveurs de mail refusent les adresses avec des lettres accentuées.',
  'signup.passwordRefused': 'Ce mot de passe n’est pas accepté ; veuillez en choisir un plus long.',
  'signup.usernameNormalised':
    'Votre nom d’utilisateur sera « {username} » : les adresses mail s’écrivent en minuscules. Si c’est juste, saisissez encore deux fois votre mot de passe et envoyez le formulaire.',
  'signup.codeHint':
    'Le code reçu de la personne qui vous a invité, par exemple 7K2M-QX4P-9D3R-H6WN-B8TA. Majuscules ou minuscules, peu importe.',
  'form.errorSummary': '{n, plural, one {Le formulaire contient une erreur} other {Le formulaire contient # erreurs}}',
  'layout.skip': 'Aller au contenu',
  'nav.signedInAs': 'Compte : {address}',
  'error.tooLargeTitle': 'Trop de texte',
  'error.tooLarge':
    'Ce que vous avez envoyé dépasse ce que le serveur accepte (16 Kio). Rien n’a été enregistré. Revenez en arrière, raccourcissez votre saisie et envoyez-la de nouveau.',
  'error.backToForm': 'Retour au formulaire',
  'invites.link': 'Lien d’inscription',
  'invites.linkHint': 'Vous pouvez envoyer ce lien à la place du code : il ouvre la page d’inscription avec le code déjà rempli.',
  'invites.gone':
    'Un nouveau code d’invitation n’est affiché qu’une fois, et celui-ci l’a déjà été. Il reste valable ; s’il est perdu, retirez-le ci-dessous et créez-en un autre.',
  'invites.noteLabel': 'Note pour vous (facultative)',
  'invites.noteHint':
    'Par exemple « pour Sam ». Vous seul pouvez la lire : elle est enregistrée chiffrée pour votre clé et n’est jamais montrée à la personne invitée.',
  'invites.note': 'Note',
  'invites.used': 'Invitations utilisées',
  'invites.usedIntro':
    'Les invitations avec lesquelles quelqu’un a créé un compte. Qui les a utilisées n’est pas affiché, pas même à vous.',
  'invites.usedAt': 'Utilisée le',
  'invites.usedUnreadable':
    '{n, plural, one {# invitation utilisée avant votre dernière réinitialisation ne peut pas être affichée : elle était chiffrée pour votre ancienne clé.} other {# invitations utilisées avant votre dernière réinitialisation ne peuvent pas être affichées : elles étaient chiffrées pour votre ancienne clé.}}',

  'strength.username': 'Ne mettez pas votre nom d’utilisateur dans votre mot de passe.',
  'strength.common': 'C’est l’un des mots de passe les plus courants ; les attaquants l’essaient en premier.',
  'strength.commonCore': 'Il repose sur un mot de passe très courant ; ajoutez d’autres mots sans rapport.',
  'strength.repeated': 'Un seul caractère répété se devine tout de suite.',
  'strength.run': 'Les suites du clavier ou de l’alphabet (abcdef, 123456, azerty) se devinent tout de suite.',
  'strength.fewChars': 'Trop peu de caractères différents.',
  'strength.tooShort':
    '{min, plural, one {Utilisez au moins # caractère (quelques mots sans rapport entre eux conviennent bien).} other {Utilisez au moins # caractères (quelques mots sans rapport entre eux conviennent bien).}}',
  'strength.tooLong': '{max, plural, one {Utilisez au plus # caractère.} other {Utilisez au plus # caractères.}}',

  'dashboard.title': 'Votre compte',
  'dashboard.pendingTitle': 'Quelqu’un a demandé à réinitialiser votre mot de passe',
  'dashboard.pendingCount':
    '{confirmations, plural, one {# de vos personnes de confiance a confirmé une réinitialisation du mot de passe de ce compte ({k} nécessaires).} other {# de vos personnes de confiance ont confirmé une réinitialisation du mot de passe de ce compte ({k} nécessaires).}}',
  'dashboard.pendingFrom': 'Un code de réinitialisation peut être remis à partir du {time} ({relative}).',
  'dashboard.pendingNoCode': 'Aucun code ne peut être remis tant qu’elles ne sont pas assez nombreuses à confirmer.',
  'dashboard.pendingStop':
    'Si vous n’avez pas perdu votre mot de passe, arrêtez-la maintenant. Cela annule la demande et toutes les confirmations.',
  'dashboard.veto': 'Ce n’était pas moi — annuler la réinitialisation',
  'dashboard.noPending': 'Aucune réinitialisation du mot de passe n’est en cours pour votre compte.',
  'dashboard.fairPassword':
    'Votre mot de passe est accepté, mais assez court. Un plus long (16 caractères ou plus — plusieurs mots sans rapport entre eux) est bien plus difficile à deviner ; vous pouvez le changer à tout moment.',
  'dashboard.trustHeading': 'Confiance',
  'dashboard.trustSummary':
    '{count, plural, =0 {Vous ne faites encore confiance à personne.} one {Vous faites confiance à une personne.} other {Vous faites confiance à # personnes.}} {k, plural, one {# d’entre elles doit accepter pour réinitialiser votre mot de passe,} other {# d’entre elles doivent accepter pour réinitialiser votre mot de passe,}} puis vous disposez de {wait} pour annuler.',
  'dashboard.manageTrust': 'Gérer les personnes de confiance',
  'dashboard.tooFew':
    'Il vous faut plus de personnes de confiance que vous n’en avez : personne ne pourrait vous aider à réinitialiser votre mot de passe.',

  'trust.title': 'Personnes de confiance',
  'trust.intro':
    'Ces personnes peuvent vous aider à réinitialiser votre mot de passe. Vous seul voyez cette liste : elle est stockée chiffrée avec votre clé.',
  'trust.none': 'Vous ne faites encore confiance à personne.',
  'trust.user': 'Personne',
  'trust.remove': 'Retirer',
  'trust.removeLabel': 'Retirer {username}',
  'trust.addHeading': 'Ajouter une personne de confiance',
  'trust.add': 'Ajouter',
  'trust.free': '{free, plural, one {# place libre sur {slots}.} other {# places libres sur {slots}.}}',
  'trust.full': 'Les {slots} places sont toutes prises ; retirez d’abord quelqu’un.',
  'trust.rulesHeading': 'Règles de réinitialisation',
  'trust.kWarning':
    '{k, plural, one {# personne de confiance doit accepter,} other {# personnes de confiance doivent accepter,}} {count, plural, =0 {mais vous ne faites confiance à personne :} one {mais vous ne faites confiance qu’à une seule :} other {mais vous ne faites confiance qu’à # :}} personne ne pourrait vous aider à réinitialiser votre mot de passe.',
  'trust.kLabel': 'Combien de personnes de confiance doivent accepter',
  'trust.waitLabel': 'Délai d’attente avant qu’un code de réinitialisation puisse être remis',
  'trust.waitHint':
    'Actuellement {wait}. Le minimum fixé par le service est {min}. Pendant ce temps, vous êtes prévenu par mail et sur votre tableau de bord, et vous pouvez annuler.',
  'trust.save': 'Enregistrer',
  'trust.notFound': 'Il n’y a personne de ce nom.',
  'trust.exists': 'Vous faites déjà confiance à cette personne.',
  'trust.self': 'Vous ne pouvez pas être votre propre personne de confiance.',
  'trust.slotsFull': 'Toutes les places sont prises ; retirez d’abord quelqu’un.',
  'trust.notTrustee': 'Cette personne ne fait pas partie de vos personnes de confiance.',
  'trust.kRange': 'Le nombre de personnes de confiance qui doivent accepter est compris entre 1 et {slots}.',
  'trust.waitRange': 'Le délai d’attente est d’au moins {min} (le minimum fixé par le service) et d’au plus un an.',
  'trust.notAllowed': 'Ces réglages ne sont pas autorisés.',

  'invites.title': 'Invitations',
  'invites.newHeading': 'Votre nouveau code d’invitation',
  'invites.newOnce':
    'Il n’est affiché que cette fois-ci. Donnez-le à la personne que vous invitez ; qui l’utilise obtient un compte, et vous devenez sa première personne de confiance.',
  'invites.left':
    '{n, plural, =0 {Vous ne pouvez plus créer de code d’invitation.} one {Vous pouvez encore créer un code d’invitation.} other {Vous pouvez encore créer # codes d’invitation.}}',
  'invites.create': 'Créer un code d’invitation',
  'invites.unused': 'Invitations non utilisées',
  'invites.none': 'Aucune.',
  'invites.created': 'Créée le',
  'invites.expires': 'Expire le',
  'invites.revoke': 'Retirer',
  'invites.noneLeftTitle': 'Plus d’invitations',
  'invites.noneLeft':
    'Vous avez utilisé toutes vos invitations. Retirez une invitation non utilisée ou demandez à l’équipe qui gère le service.',

  'help.codeTitle': 'Code de réinitialisation',
  'help.codeWarningTitle': 'Ne donnez ce code qu’à {username}, en personne',
  'help.codeWarning':
    'Ne le donnez jamais à quelqu’un qui vous le demande — par mail, messagerie ou téléphone —, même si cette personne dit être {username} ou que c’est urgent. Demander un code à des amis de confiance, c’est exactement comme cela qu’on vole des comptes.',
  'help.codeOnce': 'Il n’est affiché que cette fois-ci, ne sert qu’une fois et expire le {time}.',
  'help.title': 'Aider quelqu’un à réinitialiser son mot de passe',
  'help.generic':
    'Merci. Si {username} existe et que vous faites partie de ses personnes de confiance, votre confirmation est enregistrée.',
  'help.recorded': 'Votre confirmation pour {username} est enregistrée : {confirmations} sur les {k} nécessaires.',
  'help.recordedFrom': 'Le code pourra être remis à partir du {time} ({relative}). Revenez à ce moment-là et renvoyez ce formulaire.',
  'help.recordedWait': 'Dès que suffisamment de personnes de confiance auront confirmé, un délai d’attente commencera.',
  'help.intro':
    'Si quelqu’un qui vous fait confiance a perdu son mot de passe, vous pouvez confirmer une réinitialisation pour cette personne. Quand assez de ses personnes de confiance auront confirmé et que le délai d’attente sera passé, vous verrez ici un code à usage unique à lui remettre en personne.',
  'help.target': 'Son nom d’utilisateur',
  'help.ownPassword': 'Votre propre mot de passe',
  'help.submit': 'Confirmer la réinitialisation',
  'help.wrongPassword': 'Votre propre mot de passe est incorrect.',

  'forgot.title': 'J’ai oublié mon mot de passe',
  'forgot.intro':
    'Demandez aux personnes en qui vous avez confiance de confirmer une réinitialisation pour vous (elles se connectent et utilisent « Aider quelqu’un à réinitialiser »). Quand assez d’entre elles ont confirmé et que le délai d’attente est passé, l’une d’elles vous remet un code en personne. Saisissez-le ici avec un nouveau mot de passe.',
  'forgot.username': 'Votre nom d’utilisateur',
  'forgot.code': 'Code de réinitialisation',
  'forgot.newPassword': 'Nouveau mot de passe',
  'forgot.newPassword2': 'Nouveau mot de passe, encore une fois',
  'forgot.submit': 'Enregistrer le nouveau mot de passe',
  'forgot.codeInvalid': 'Ce code n’est pas valable pour ce nom d’utilisateur, ou il a expiré ou déjà servi.',
  'forgot.doneTitle': 'Votre mot de passe a été réinitialisé',
  'forgot.reAdd':
    'Votre compte a une nouvelle clé. Vos anciennes personnes de confiance ont été retirées, car elles étaient liées à l’ancienne clé. Connectez-vous et ajoutez-les de nouveau sur la page « Personnes de confiance » — sinon personne ne pourra vous aider la prochaine fois.',
  'forgot.appPasswordsRevoked':
    'Tous les mots de passe d’application de votre compte mail ont été révoqués, car la personne qui a réinitialisé le mot de passe ne doit garder aucun appareil connecté. Votre logiciel de messagerie a besoin du nouveau mot de passe ou d’un nouveau mot de passe d’application.',
  'forgot.login': 'Se connecter',
  'forgot.introMail':
    'La personne de confiance qui a lancé la réinitialisation a aussi un code mail pour vous. Saisissez-le également : lui seul permet de relire votre courrier stocké.',
  'forgot.mailCode': 'Code mail (si vous en avez reçu un)',
  'forgot.mailCodeHint':
    'Sans le code mail, votre mot de passe est tout de même réinitialisé, mais le courrier stocké jusqu’ici reste illisible.',
  'forgot.haveRecoveryCode': 'Vous avez plutôt un code de récupération ?',
  'forgot.recoverLink': 'Utiliser votre code de récupération',
  'help.resetCodeHeading': 'Code de réinitialisation',
  'help.mailCodeTitle': 'Code mail pour {username} : notez-le maintenant',
  'help.mailCodeKeep':
    'Vous avez lancé cette réinitialisation : vous seul recevez ce code, et une seule fois. Gardez-le en lieu sûr et remettez-le en personne à {username} avec le code de réinitialisation : sans lui, {username} retrouve son compte, mais le courrier stocké jusqu’ici reste illisible.',
  'help.mailCodeReminder':
    'Remettez aussi le code mail à {username}. Il a été montré une seule fois à la personne de confiance qui a lancé cette réinitialisation (peut-être vous). Sans lui, la réinitialisation fonctionne, mais le courrier stocké jusqu’ici reste illisible.',
  'help.vetoed':
    '{username} a annulé cette réinitialisation depuis son tableau de bord : votre confirmation n’a donc pas été enregistrée. Parlez-en avec {username} avant de réessayer.',
  'help.vetoedUntil': 'Une nouvelle réinitialisation pourra être lancée à partir du {time} ({relative}).',
  'trust.kHint':
    '{count, plural, =0 {Vous ne faites encore confiance à personne : ce nombre reste 1 jusqu’à ce que vous ajoutiez quelqu’un.} one {Vous faites confiance à une personne : ce nombre ne peut être que 1.} other {Vous faites confiance à # personnes : ce nombre peut aller de 1 à #.}}',
  'trust.kTooHigh':
    '{count, plural, =0 {Vous ne faites encore confiance à personne : seul 1 peut être enregistré.} one {Vous ne faites confiance qu’à une personne : {k} ne peuvent pas accepter, au plus 1.} other {Vous ne faites confiance qu’à # personnes : {k} ne peuvent pas accepter, au plus #.}} Ajoutez d’abord des personnes de confiance.',
  'trust.waitDays': 'Jours',
  'trust.waitHours': 'Heures',
  'dashboard.tooFewNobody':
    'Pour y remédier : invitez une personne de confiance (« Invitations »), ajoutez-la sur la page « Personnes de confiance » dès qu’elle a un compte — et créez entre-temps un code de récupération.',
  'dashboard.tooFewSome':
    'Pour y remédier : ajoutez d’autres personnes de confiance, ou réduisez le nombre de celles qui doivent accepter, sur la page « Personnes de confiance » — ou créez un code de récupération.',
  'recovery.heading': 'Si vous oubliez votre mot de passe',
  'recovery.headingMail': 'Si vous oubliez votre mot de passe : votre compte et votre courrier stocké',
  'recovery.protected': 'Vous pouvez retrouver l’accès à votre compte grâce à :',
  'recovery.protectedMail': 'Vous pouvez retrouver l’accès à votre compte, avec votre courrier stocké lisible, grâce à :',
  'recovery.pathTrustees': '{k} sur {n, plural, one {# personne de confiance} other {# personnes de confiance}}',
  'recovery.pathCode': 'votre code de récupération',
  'recovery.none': 'Rien ne protège votre compte : si vous oubliez votre mot de passe, personne ne peut vous aider à y revenir.',
  'recovery.noneMail':
    'Rien ne protège votre compte ni votre courrier stocké : si vous oubliez votre mot de passe, personne ne peut vous aider à y revenir, et le courrier stocké jusque-là ne pourra plus jamais être lu.',
  'recovery.whatToDo':
    'Que faire : créez un code de récupération et gardez-le sur papier en lieu sûr, et ajoutez des personnes de confiance (au moins autant que celles qui doivent accepter).',
  'recovery.createLink': 'Créer un code de récupération',
  'recovery.replaceLink': 'Créer un nouveau code de récupération (l’ancien cesse de fonctionner)',
  'recovery.staleCode':
    'Votre code de récupération date d’avant votre réinitialisation du {time}, qui n’a pas pu restaurer votre clé de courrier. Il vous permet toujours de revenir dans votre compte et ouvre le courrier stocké avant cette réinitialisation, mais pas celui stocké depuis : l’utiliser rendrait ce courrier illisible. Un nouveau code de récupération protège votre courrier actuel (et rend l’ancien courrier illisible pour de bon).',
  'recovery.noneMailStale':
    'Rien ne protège votre courrier actuel : si vous oubliez votre mot de passe, le courrier stocké depuis votre dernière réinitialisation ne pourra plus être lu.',
  'afterReset.title': 'Votre mot de passe a été réinitialisé le {time}',
  'afterReset.viaTrustees':
    'Vos personnes de confiance l’ont confirmé et l’une d’elles vous a remis un code. Votre compte a reçu une nouvelle clé : vos anciennes personnes de confiance ont donc été retirées et le nombre de celles qui doivent accepter remis à 1.',
  'afterReset.viaCode':
    'Vous avez utilisé votre code de récupération, qui est maintenant épuisé. Votre compte a reçu une nouvelle clé : votre liste de personnes de confiance a donc été vidée et le nombre de celles qui doivent accepter remis à 1. Créez un nouveau code de récupération.',
  'afterReset.mailRestored': 'Votre ancien courrier a été restauré : il est lisible avec votre nouveau mot de passe.',
  'afterReset.mailLost':
    'Votre ancien courrier n’a pas pu être restauré (pas de code mail, un code erroné, ou trop peu de confirmations porteuses d’une part) : le courrier stocké avant la réinitialisation reste illisible. Le nouveau courrier arrive normalement.',
  'afterReset.mailOlder':
    'Votre code de récupération date d’avant une réinitialisation antérieure qui n’avait pas pu restaurer votre clé de courrier : il a donc rétabli la clé de cette époque. Le courrier stocké avant cette réinitialisation est de nouveau lisible, mais celui stocké depuis ne peut plus être lu. Le nouveau courrier arrive normalement.',
  'afterReset.trust':
    'Ajoutez à nouveau les personnes en qui vous avez confiance — celle qui vous a remis le code est un bon début — puis choisissez combien doivent accepter.',
  'forgot.reAddCodeGiver':
    'Votre compte a une nouvelle clé. Vos anciennes personnes de confiance ont été retirées, car elles étaient liées à l’ancienne clé — sauf celle qui vous a remis le code, qui redevient votre première personne de confiance. Connectez-vous et ajoutez de nouveau les autres sur la page « Personnes de confiance ».',
  'afterReset.reAdded':
    '{username} vous a remis le code et redevient votre première personne de confiance. Ajoutez les autres personnes en qui vous avez confiance, puis choisissez combien doivent accepter.',
  'afterReset.trustLink': 'Ajouter des personnes de confiance',
  'afterReset.read': 'J’ai lu',
  'recoveryCode.title': 'Code de récupération',
  'recoveryCode.intro':
    'Un code de récupération vous permet de choisir un nouveau mot de passe sans vos personnes de confiance, par exemple tant que vous ne faites confiance à personne. Imprimez-le ou notez-le et gardez-le en lieu sûr, loin de votre ordinateur. Il fonctionne une fois ; un nouveau code remplace l’ancien.',
  'recoveryCode.introMail':
    'Un code de récupération vous permet de choisir un nouveau mot de passe sans vos personnes de confiance, en gardant votre courrier stocké lisible. Imprimez-le ou notez-le et gardez-le en lieu sûr, loin de votre ordinateur. Il fonctionne une fois ; un nouveau code remplace l’ancien.',
  'recoveryCode.exists': 'Vous avez un code de récupération. En créer un nouveau rend l’ancien inutilisable.',
  'recoveryCode.create': 'Créer un code de récupération',
  'recoveryCode.replace': 'Remplacer mon code de récupération',
  'recoveryCode.resent':
    'Ce formulaire a déjà été envoyé : le code affiché alors reste le bon. Pour en créer un autre, saisissez à nouveau votre mot de passe.',
  'recoveryCode.newTitle': 'Votre nouveau code de récupération',
  'recoveryCode.sheetTitle': 'Code de récupération pour {site}',
  'recoveryCode.sheetUser': 'Nom d’utilisateur : {username}',
  'recoveryCode.sheetUse':
    'Si vous oubliez votre mot de passe, ouvrez « J’ai oublié mon mot de passe », choisissez « Utiliser votre code de récupération » et saisissez ce code avec un nouveau mot de passe. Il fonctionne une fois.',
  'recoveryCode.once':
    'Ce code n’est affiché que cette fois et n’est stocké nulle part de façon lisible. Imprimez cette page (Ctrl+P) ou notez le code maintenant. Tout code de récupération précédent ne fonctionne plus.',
  'recoveryCode.back': 'Retour à votre compte',
  'recover.title': 'Utiliser un code de récupération',
  'recover.intro':
    'Saisissez votre nom d’utilisateur, le code de récupération imprimé et un nouveau mot de passe. Le code fonctionne une fois ; ajoutez ensuite à nouveau vos personnes de confiance.',
  'recover.code': 'Code de récupération',
  'recover.codeInvalid': 'Ce code de récupération n’est pas valable pour ce nom d’utilisateur, ou il a déjà servi.',
  'event.recovery_code_created': 'Code de récupération créé',
  'event.recovery_code_used': 'Mot de passe réinitialisé avec votre code de récupération',
  'event.reset_mail_restored': 'Ancien courrier restauré lors de la réinitialisation',
  'event.reset_mail_lost': 'L’ancien courrier n’a pas pu être restauré lors de la réinitialisation',
  'event.reset_explained': 'Vous avez lu l’explication de votre réinitialisation',

  'password.title': 'Changer de mot de passe',
  'password.intro': 'Vos personnes de confiance restent les mêmes. Toutes vos autres sessions sont déconnectées.',
  'password.current': 'Mot de passe actuel',
  'password.differ': 'Les deux nouveaux mots de passe sont différents.',
  'password.wrong': 'Votre mot de passe actuel est incorrect.',

  'activity.title': 'Activité du compte',
  'activity.intro':
    'Connexions et tentatives échouées, changements de vos personnes de confiance, des règles de réinitialisation, du mot de passe et des sessions, vos invitations et les réinitialisations de votre mot de passe. Vous seul voyez cette liste ; les entrées sur les personnes de confiance et les invitations sont stockées chiffrées avec votre clé.',
  'activity.none': 'Rien pour l’instant.',
  'activity.time': 'Heure',
  'activity.what': 'Quoi',
  'event.login': 'Connexion',
  'event.login_failed': 'Tentatives de connexion échouées avec un mauvais mot de passe',
  'event.signup': 'Compte créé',
  'event.password_changed': 'Mot de passe changé',
  'event.reset_confirmation': 'Une personne de confiance a confirmé une réinitialisation de votre mot de passe',
  'event.reset_pending': 'Assez de personnes de confiance ont confirmé une réinitialisation ; le délai d’attente a commencé',
  'event.reset_vetoed': 'Vous avez annulé une réinitialisation en cours',
  'event.reset_completed': 'Mot de passe réinitialisé avec un code',
  'event.code_issued': 'Un code de réinitialisation a été remis à une personne de confiance',
  'activity.unreadable':
    '{n, plural, one {Une entrée d’avant votre dernière réinitialisation du mot de passe est chiffrée avec votre ancienne clé et ne peut pas être affichée.} other {# entrées d’avant votre dernière réinitialisation du mot de passe sont chiffrées avec votre ancienne clé et ne peuvent pas être affichées.}}',
  'activity.sessionsLink': 'Où vous êtes connecté en ce moment : vos sessions.',
  'event.k_changed': 'Nombre de personnes de confiance devant accepter modifié',
  'event.wait_changed': 'Délai d’attente modifié',
  'event.sessions_logged_out': 'Autres sessions déconnectées',
  'event.app_password_created': 'Mot de passe d’application créé pour votre courrier',
  'event.web_only_off': 'Logiciels de messagerie autorisés à se connecter avec votre mot de passe principal',
  'event.web_only_on': 'Mot de passe principal limité à ce site',
  'event.trustee_added': 'Personne de confiance ajoutée',
  'event.trustee_removed': 'Personne de confiance retirée',
  'event.invite_created': 'Code d’invitation créé',
  'event.detail.fromTo': 'de {from} à {to}',
  'event.detail.confirmations': '{confirmations} sur {k}',
  'event.detail.effective': 'à partir du {time}',
  'event.detail.failures': '{n, plural, one {# tentative} other {# tentatives}}',
  'event.detail.sessions': '{n, plural, one {# session} other {# sessions}}',
  'sessions.title': 'Vos sessions',
  'sessions.intro':
    'Chaque navigateur où vous êtes connecté à ce compte. Pour chacun, seuls le type de navigateur et de système sont conservés, chiffrés avec votre clé : aucune adresse, aucun numéro de version.',
  'sessions.created': 'Connexion',
  'sessions.lastSeen': 'Dernière utilisation',
  'sessions.client': 'Navigateur',
  'sessions.current': 'ce navigateur',
  'sessions.clientOn': '{browser} sur {os}',
  'sessions.unknown': 'inconnu',
  'sessions.notYet': 'pas encore',
  'sessions.logoutOthers': 'Déconnecter toutes les autres sessions',
  'sessions.onlyThis': 'Ce navigateur est votre seule session.',
  'sessions.othersHint': 'Si vous ne reconnaissez pas une session, déconnectez-la et changez votre mot de passe.',

  'error.startPage': 'Page d’accueil',
  'error.notFoundTitle': 'Page introuvable',
  'error.notFound': 'Il n’y a pas de page à cette adresse.',
  'error.badRequestTitle': 'Formulaire expiré',
  'error.badRequest':
    'La page d’où vous avez envoyé le formulaire n’est plus valable (par exemple parce que vous vous êtes connecté ou déconnecté entre-temps). Revenez en arrière, rechargez la page et réessayez.',
  'error.serverTitle': 'Un problème est survenu',
  'error.server': 'Un problème est survenu de notre côté. Veuillez réessayer dans un instant.',

  'prefs.title': 'Langue et fuseau horaire',
  'prefs.intro':
    'Les pages et les mails que ce service vous envoie utilisent cette langue ; les heures sont affichées dans ce fuseau horaire.',
  'prefs.language': 'Langue',
  'prefs.timeZone': 'Fuseau horaire',
  'prefs.save': 'Enregistrer',

  'mail.resetRequested.subject': 'Une réinitialisation du mot de passe de votre compte a été demandée',
  'mail.resetRequested.body':
    'L’une de vos personnes de confiance a confirmé une réinitialisation du mot de passe de votre compte le {time}.\n{k, plural, one {Une confirmation est nécessaire avant le début d’un délai d’attente.} other {# confirmations sont nécessaires avant le début d’un délai d’attente.}}\n\nSi vous n’avez pas perdu votre mot de passe, connectez-vous et annulez la réinitialisation sur votre tableau de bord.\n',
  'mail.resetArmed.subject': 'Une réinitialisation de votre mot de passe prend effet le {time}',
  'mail.resetArmed.body':
    'Assez de vos personnes de confiance ont confirmé une réinitialisation du mot de passe de votre compte.\nÀ partir du {time}, l’une d’elles pourra remettre un code qui définit un nouveau mot de passe.\n\nSi ce n’était pas vous, connectez-vous avant et appuyez sur « Ce n’était pas moi — annuler la réinitialisation » sur votre tableau de bord.\n',
  'mail.resetCompleted.subject': 'Votre mot de passe a été réinitialisé',
  'mail.resetCompleted.body':
    'Votre mot de passe a été réinitialisé le {time} avec le code d’une personne de confiance. Toutes les sessions ont été déconnectées.\nVos anciennes personnes de confiance ont été retirées ; veuillez vous connecter et les ajouter de nouveau.\n\n',
  'mail.resetCompleted.appPasswords':
    'Tous les mots de passe d’application de votre compte mail ont été révoqués : créez-en de nouveaux pour vos appareils.\n\n',
  'mail.resetCompleted.contact': 'Si ce n’était pas vous, contactez immédiatement l’équipe qui gère le service.\n',
  'mail.resetVetoed.subject': 'Une réinitialisation du mot de passe a été annulée',
  'mail.resetVetoed.body':
    'Une réinitialisation en cours du mot de passe de votre compte a été annulée le {time} depuis l’une de vos sessions. Toutes les confirmations ont été écartées.\n\nSi ce n’était pas vous, quelqu’un d’autre est connecté à votre compte : connectez-vous, changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.passwordChanged.subject': 'Votre mot de passe a été changé',
  'mail.passwordChanged.body':
    'Le mot de passe de votre compte a été changé le {time}. Toutes les autres sessions ont été déconnectées.\n\nSi ce n’était pas vous, demandez à vos personnes de confiance de réinitialiser votre mot de passe et contactez l’équipe qui gère le service.\n',
  'mail.kLowered.subject': 'Il faut désormais moins de personnes de confiance pour réinitialiser votre mot de passe',
  'mail.kLowered.body':
    'Le {time}, le nombre de personnes de confiance devant accepter la réinitialisation de votre mot de passe est passé de {from} à {to}.\n\nSi ce n’était pas vous, quelqu’un d’autre est connecté à votre compte : connectez-vous, rétablissez la valeur sur la page « Personnes de confiance », changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.waitShortened.subject': 'Le délai d’attente avant une réinitialisation a été raccourci',
  'mail.waitShortened.body':
    'Le {time}, le délai d’attente avant qu’un code de réinitialisation puisse être remis est passé de {from} à {to}.\n\nSi ce n’était pas vous, quelqu’un d’autre est connecté à votre compte : connectez-vous, rétablissez la valeur sur la page « Personnes de confiance », changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.trusteeAdded.subject': 'Quelqu’un a été ajouté à vos personnes de confiance',
  'mail.trusteeAdded.body':
    'Le {time}, une personne de confiance a été ajoutée à votre compte. Ce message ne dit pas qui, car le courrier n’est pas chiffré en chemin ; votre liste d’activité indique le nom.\n\nSi ce n’était pas vous, quelqu’un d’autre est connecté à votre compte : connectez-vous, retirez cette personne sur la page « Personnes de confiance », changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.appPasswordCreated.subject': 'Un nouveau mot de passe d’application pour votre courrier',
  'mail.appPasswordCreated.body':
    'Le {time}, un mot de passe d’application a été créé pour votre compte de courrier. Un appareil qui l’utilise peut lire votre courrier même après la déconnexion de toutes les sessions.\n\nSi ce n’était pas vous, connectez-vous, révoquez-le sur la page « Mots de passe d’application », changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.recoveryCodeCreated.subject': 'Un code de récupération a été créé pour votre compte',
  'mail.recoveryCodeCreated.body':
    'Le {time}, un nouveau code de récupération a été créé pour votre compte ; l’ancien ne fonctionne plus. Qui le détient peut définir un nouveau mot de passe sans vos personnes de confiance.\n\nSi ce n’était pas vous, quelqu’un d’autre connaît votre mot de passe et est connecté à votre compte : connectez-vous, créez un nouveau code de récupération (cela annule le sien), changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.webOnlyOff.subject': 'Les logiciels de messagerie peuvent maintenant se connecter avec votre mot de passe principal',
  'mail.webOnlyOff.body':
    'Le {time}, votre compte a été réglé pour que les logiciels de messagerie (IMAP et SMTP) puissent se connecter avec votre mot de passe principal, et plus seulement avec des mots de passe d’application. Qui connaît votre mot de passe peut désormais lire et envoyer votre courrier depuis n’importe quel logiciel de messagerie.\n\nSi ce n’était pas vous, connectez-vous, désactivez-le sur la page « Mail », changez votre mot de passe et déconnectez vos autres sessions.\n',
  'mail.footer.link': 'Votre compte : {url}',
  'mail.footer.auto': 'Ce message a été envoyé automatiquement par {site}. Merci de ne pas y répondre.',
  // Mail pages (mail/pages.tsx, routes/mail.tsx).
  'mailPages.title': 'Réglages de la messagerie',
  'mailPages.addressIs': 'Votre adresse est',
  'mailPages.address': 'Votre adresse :',
  'mailPages.quota': 'Quota de la boîte aux lettres :',
  'mailPages.unlimited': 'illimité',
  'mailPages.settingsLink': 'Réglages de la messagerie',
  'mailPages.deletionPending': 'Votre compte sera supprimé le {time}.',
  'mailPages.cancelDeletion': 'Annuler la suppression',
  'mailPages.youHave': 'Vous avez',
  'mailPages.and': 'et',
  'mailPages.aliasCount': '{n, plural, one {# alias} other {# alias}}',
  'mailPages.appPasswordCount': '{n, plural, one {# mot de passe d’application} other {# mots de passe d’application}}',
  'mailPages.clientHeading': 'Réglages du logiciel de messagerie',
  'mailPages.credentials':
    'Nom d’utilisateur : votre adresse, {address}. Mot de passe : le mot de passe de votre compte ou un mot de passe d’application.',
  'mailPages.service': 'Service',
  'mailPages.server': 'Serveur',
  'mailPages.port': 'Port',
  'mailPages.security': 'Sécurité',
  'mailPages.imap': 'IMAP (réception)',
  'mailPages.pop3': 'POP3 (réception)',
  'mailPages.submission': 'Envoi SMTP (sortant)',
  'mailPages.managesieve': 'ManageSieve (filtres)',
  'mailPages.securityNone': 'aucune (uniquement via le service onion)',
  'mailPages.onion': 'Via Tor, utilisez {host} comme serveur avec les mêmes ports ; le service onion chiffre déjà la connexion.',
  'mailPages.webOnlyHeading': 'Où votre mot de passe principal fonctionne',
  'mailPages.webOnlyOn':
    'Votre mot de passe principal ne fonctionne que sur ce site. Les logiciels de messagerie se connectent avec un mot de passe d’application.',
  'mailPages.webOnlyOff': 'Votre mot de passe principal fonctionne ici et dans les logiciels de messagerie.',
  'mailPages.webOnlyDisable': 'Laisser les logiciels de messagerie utiliser mon mot de passe principal',
  'mailPages.webOnlyEnable': 'N’utiliser mon mot de passe principal que sur le web',
  'mailPages.webOnlyHint':
    'Avec un mot de passe réservé au web, un téléphone volé ou un logiciel de messagerie peu sûr ne détient qu’un mot de passe d’application, que vous révoquez ici, jamais le mot de passe qui déverrouille votre compte et vos personnes de confiance.',
  'mailPages.leavingHeading': 'Partir',
  'mailPages.deleteLink': 'Supprimer mon compte',
  'appPasswords.title': 'Mots de passe d’application',
  'appPasswords.newHeading': 'Mot de passe d’application pour {name}',
  'appPasswords.once':
    'Il n’est affiché que cette fois-ci. Saisissez-le comme mot de passe dans le logiciel de messagerie de cet appareil, avec votre adresse comme nom d’utilisateur.',
  'appPasswords.intro':
    'Un mot de passe par appareil. Si un appareil est perdu, révoquez son mot de passe : les autres continuent de fonctionner.',
  'appPasswords.none': 'Vous n’avez aucun mot de passe d’application.',
  'appPasswords.device': 'Appareil',
  'appPasswords.created': 'Créé',
  'appPasswords.lastUsed': 'Dernière utilisation',
  'appPasswords.never': 'jamais',
  'appPasswords.revoke': 'Révoquer',
  'appPasswords.revokeLabel': 'Révoquer {name}',
  'appPasswords.deviceName': 'Nom de l’appareil',
  'appPasswords.create': 'Créer un mot de passe d’application',
  'appPasswords.max':
    '{max, plural, one {Vous avez le nombre maximal de mots de passe d’application (#). Révoquez-le pour en créer un autre.} other {Vous avez le nombre maximal de mots de passe d’application (#). Révoquez-en un pour en créer un autre.}}',
  'aliases.title': 'Alias',
  'aliases.domain': 'Domaine',
  'aliases.created': 'Le courrier adressé à {address} arrive désormais dans votre boîte, et vous pouvez envoyer depuis cette adresse.',
  'aliases.intro':
    '{days, plural, one {D’autres adresses qui livrent dans votre boîte. Un alias supprimé refuse le courrier, et personne d’autre ne peut le reprendre pendant # jour.} other {D’autres adresses qui livrent dans votre boîte. Un alias supprimé refuse le courrier, et personne d’autre ne peut le reprendre pendant # jours.}}',
  'aliases.none': 'Vous n’avez aucun alias.',
  'aliases.address': 'Adresse',
  'aliases.note': 'Note',
  'aliases.delete': 'Supprimer',
  'aliases.deleteLabel': 'Supprimer {address}',
  'aliases.chooseHeading': 'Choisir un alias',
  'aliases.local': 'Nom avant le @',
  'aliases.left': '{n, plural, one {Vous pouvez en choisir encore un.} other {Vous pouvez en choisir encore #.}}',
  'aliases.add': 'Ajouter l’alias',
  'aliases.customMax': 'Vous avez choisi le nombre maximal d’alias. Supprimez-en un pour en choisir un autre.',
  'aliases.randomHeading': 'Alias aléatoire',
  'aliases.noteLabel': 'Note (par exemple où vous l’avez utilisé)',
  'aliases.makeRandom': 'Créer un alias aléatoire',
  'aliases.randomMax': 'Vous avez le nombre maximal d’alias aléatoires.',
  'deleteAccount.title': 'Supprimer mon compte',
  'deleteAccount.pending': 'Votre compte sera supprimé le {time}. D’ici là, tout continue de fonctionner et vous pouvez changer d’avis.',
  'deleteAccount.keep': 'Garder mon compte',
  'deleteAccount.explain':
    'Après un délai d’attente de {wait}, votre compte est supprimé : vous ne pouvez plus vous connecter, ni ici ni dans un logiciel de messagerie ; le courrier adressé à votre adresse et à vos alias est refusé ; vos mots de passe d’application sont effacés ; l’équipe qui gère le service supprime votre courrier stocké. Votre nom d’utilisateur et vos alias restent bloqués, afin que personne d’autre ne reçoive le courrier qui vous est destiné.',
  'deleteAccount.cancelHint': 'Pendant le délai d’attente, vous pouvez annuler depuis votre tableau de bord.',
  'deleteAccount.password': 'Votre mot de passe',
  'deleteAccount.submit': 'Supprimer mon compte après le délai d’attente',
  'deleteAccount.wrongPassword': 'Votre mot de passe n’est pas correct.',
  'mailRefusal.deviceName': 'Donnez à l’appareil un nom de 1 à 64 caractères.',
  'mailRefusal.appPasswordsMax':
    '{n, plural, one {Vous avez # mot de passe d’application, le maximum autorisé. Révoquez-le d’abord.} other {Vous avez # mots de passe d’application, le maximum autorisé. Révoquez-en un d’abord.}}',
  'mailRefusal.aliasInvalid':
    'Un alias compte de 1 à 64 lettres minuscules, chiffres, points, tirets ou traits de soulignement, et commence et finit par une lettre ou un chiffre.',
  'mailRefusal.aliasReserved': '« {local} » est réservé et ne peut pas être un alias.',
  'mailRefusal.aliasDomain': 'Ce domaine n’est pas l’un des nôtres.',
  'mailRefusal.aliasTaken': 'Cette adresse est déjà prise.',
  'mailRefusal.aliasesMax':
    '{n, plural, one {Vous avez # alias choisi, le maximum autorisé. Supprimez-le d’abord.} other {Vous avez # alias choisis, le maximum autorisé. Supprimez-en un d’abord.}}',
  'mailRefusal.randomAliasesMax':
    '{n, plural, one {Vous avez # alias aléatoire, le maximum autorisé. Supprimez-le d’abord.} other {Vous avez # alias aléatoires, le maximum autorisé. Supprimez-en un d’abord.}}',
};
