// The English catalogue: the reference every other language must match key for key (catalogue.test.ts and the
// Messages type). ICU subset: {name}, {n, plural, one {…} other {…}} with # for the number (message-format.ts).
export const en = {
  'lang.name': 'English',
  'nav.account': 'Account',
  'nav.site': 'Site',
  'nav.dashboard': 'Dashboard',
  'nav.trust': 'Trusted users',
  'nav.invites': 'Invites',
  'nav.mail': 'Mail',
  'nav.helpReset': 'Help someone reset',
  'nav.password': 'Change password',
  'nav.activity': 'Activity',
  'nav.sessions': 'Sessions',
  'nav.logout': 'Log out {username}',
  'nav.login': 'Log in',
  'nav.signup': 'Sign up',
  'nav.forgot': 'I forgot my password',
  'footer.language': 'Language',
  'footer.preferences': 'Language and time zone',

  'notice.welcome': 'Welcome! Your account is ready. The person who invited you is your first trusted user.',
  'notice.trustee-added': 'Trusted user added.',
  'notice.trustee-removed': 'Trusted user removed.',
  'notice.settings-saved': 'Reset rules saved.',
  'notice.vetoed': 'The reset was cancelled. Consider changing your password if you think someone else has it.',
  'notice.invite-revoked': 'Invite revoked.',
  'notice.password-changed': 'Password changed. Your other sessions were logged out.',
  'notice.logged-out': 'You are logged out.',
  'notice.session-ended': 'Please log in.',
  'notice.preferences-saved': 'Your language and time zone are saved.',
  'notice.web-only-on': 'Your main password now works on the web only. Mail clients need an app password.',
  'notice.web-only-off': 'Mail clients can use your main password again.',
  'notice.app-password-revoked': 'App password revoked. The device using it can no longer log in.',
  'notice.alias-deleted': 'Alias deleted. Mail to it is now refused.',
  'notice.deletion-cancelled': 'The deletion of your account is cancelled.',
  'notice.others-logged-out': 'Your other sessions are logged out.',

  'limited.title': 'Too many attempts',
  'limited.message': 'Too many failed attempts. Please wait {wait} and try again.',

  'form.username': 'Username',
  'form.password': 'Password',
  'form.passwordHint':
    'At least 10 characters. Several unrelated words are easy to remember and hard to guess. Not your username, not a common password, no keyboard runs.',

  'login.title': 'Log in',
  'login.submit': 'Log in',
  'login.noAccount': 'No account? You need an invite code from someone who already has one:',
  'login.signupLink': 'sign up',
  'login.lost': 'Lost your password?',
  'login.forgotLink': 'I forgot my password',
  'login.invalid': 'Invalid username or password.',
  'login.disabled': 'This account is disabled. Please contact the operator.',

  'signup.title': 'Sign up with an invite',
  'signup.intro': 'The person who invited you becomes your first trusted user: they can help you reset your password later.',
  'signup.code': 'Invite code',
  'signup.usernameHint':
    'Letters a–z, digits, dot, dash and underscore, up to 64, starting and ending with a letter or digit. It is the first part of your mail address: letters with accents (ë, é, ü) cannot be used, because many mail servers refuse addresses with them.',
  'signup.password2': 'Password again',
  'signup.submit': 'Create account',
  'signup.passwordsDiffer': 'The two passwords differ.',
  'signup.usernameTaken': 'That username is taken; please choose another.',
  'signup.inviteInvalid': 'This invite code is not valid: it may be mistyped, used, revoked or expired.',
  'signup.usernameInvalid':
    'This username is not possible. Use only letters a–z without accents, digits, dots, dashes and underscores (1 to 64 characters, starting and ending with a letter or digit): it becomes your mail address, and many mail servers refuse addresses with accented letters.',
  'signup.passwordRefused': 'That password is not accepted; please choose a longer one.',
  'signup.usernameNormalised':
    'Your username will be “{username}”: mail addresses are written in lower case. If that is right, enter your password twice again and send the form.',
  'signup.codeHint': 'The code from the person who invited you, for example 7K2M-QX4P-9D3R-H6WN-B8TA. Upper or lower case does not matter.',
  'form.errorSummary': '{n, plural, one {There is a problem with the form} other {There are # problems with the form}}',
  'layout.skip': 'Skip to the content',
  'nav.signedInAs': 'Logged in as {address}',
  'error.tooLargeTitle': 'Too much text',
  'error.tooLarge':
    'What you sent is larger than the server accepts (16 KiB). Nothing was saved. Go back, shorten what you entered and send it again.',
  'error.backToForm': 'Back to the form',
  'invites.link': 'Sign-up link',
  'invites.linkHint': 'You can send this link instead of the code: it opens the sign-up page with the code filled in.',
  'invites.gone':
    'A new invite code is shown only once, and this one has been shown already. It still works; if it is lost, revoke it below and create another.',

  'strength.username': 'Do not put your username in your password.',
  'strength.common': 'This is one of the most common passwords; attackers try it first.',
  'strength.commonCore': 'It is built around a very common password; add more unrelated words.',
  'strength.repeated': 'A single repeated character is guessed instantly.',
  'strength.run': 'Keyboard and alphabet runs (abcdef, 123456, qwerty) are guessed instantly.',
  'strength.fewChars': 'Too few different characters.',
  'strength.tooShort':
    '{min, plural, one {Use at least # character (a few unrelated words work well).} other {Use at least # characters (a few unrelated words work well).}}',
  'strength.tooLong': '{max, plural, one {Use at most # character.} other {Use at most # characters.}}',

  'dashboard.title': 'Your account',
  'dashboard.pendingTitle': 'Someone asked to reset your password',
  'dashboard.pendingCount':
    '{confirmations, plural, one {# of your trusted users confirmed a password reset for this account ({k} needed).} other {# of your trusted users confirmed a password reset for this account ({k} needed).}}',
  'dashboard.pendingFrom': 'A reset code can be handed out from {time} ({relative}).',
  'dashboard.pendingNoCode': 'No code can be handed out until enough of them confirm.',
  'dashboard.pendingStop': 'If you did not lose your password, stop it now. This cancels the request and every confirmation.',
  'dashboard.veto': 'This was not me — cancel the reset',
  'dashboard.noPending': 'No password reset is pending for your account.',
  'dashboard.fairPassword':
    'Your password is accepted but fairly short. A longer one (16 characters or more — several unrelated words) is much harder to guess; you can change it any time.',
  'dashboard.trustHeading': 'Trust',
  'dashboard.trustSummary':
    '{count, plural, =0 {You trust nobody yet.} one {You trust one person.} other {You trust # people.}} {k, plural, one {# of them must agree to reset your password,} other {# of them must agree to reset your password,}} then you have {wait} to cancel.',
  'dashboard.manageTrust': 'Manage trusted users',
  'dashboard.tooFew': 'You need more trusted users than you have: nobody could help you reset your password.',

  'trust.title': 'Trusted users',
  'trust.intro': 'These people can help you reset your password. Only you can see this list: it is stored encrypted to your key.',
  'trust.none': 'You do not trust anyone yet.',
  'trust.user': 'User',
  'trust.remove': 'Remove',
  'trust.removeLabel': 'Remove {username}',
  'trust.addHeading': 'Add a trusted user',
  'trust.add': 'Add',
  'trust.free': '{free, plural, one {# of {slots} places free.} other {# of {slots} places free.}}',
  'trust.full': 'All {slots} places are used; remove someone first.',
  'trust.rulesHeading': 'Reset rules',
  'trust.kWarning':
    '{k, plural, one {# trusted user must agree,} other {# trusted users must agree,}} {count, plural, =0 {but you trust nobody:} one {but you only trust #:} other {but you only trust #:}} nobody could help you reset your password.',
  'trust.kLabel': 'How many trusted users must agree',
  'trust.waitLabel': 'Waiting period before a reset code can be handed out',
  'trust.waitHint':
    'Currently {wait}. The operator’s minimum is {min}. During this time you are told by mail and on your dashboard, and you can cancel.',
  'trust.save': 'Save',
  'trust.notFound': 'There is no user with that name.',
  'trust.exists': 'You already trust that user.',
  'trust.self': 'You cannot be your own trusted user.',
  'trust.slotsFull': 'All places are used; remove someone first.',
  'trust.notTrustee': 'That user is not one of your trusted users.',
  'trust.kRange': 'The number of trusted users who must agree is between 1 and {slots}.',
  'trust.waitRange': 'The waiting period must be at least {min} (the operator’s minimum) and at most a year.',
  'trust.notAllowed': 'Those settings are not allowed.',

  'invites.title': 'Invites',
  'invites.newHeading': 'Your new invite code',
  'invites.newOnce':
    'It is shown only this once. Give it to the person you invite; whoever uses it gets an account and you become their first trusted user.',
  'invites.left':
    '{n, plural, =0 {You cannot create more invite codes.} one {You can create one more invite code.} other {You can create # more invite codes.}}',
  'invites.create': 'Create an invite code',
  'invites.unused': 'Unused invites',
  'invites.none': 'None.',
  'invites.created': 'Created',
  'invites.expires': 'Expires',
  'invites.revoke': 'Revoke',
  'invites.noneLeftTitle': 'No invites left',
  'invites.noneLeft': 'You have used your invite quota. Revoke an unused invite or ask the operator.',

  'help.codeTitle': 'Reset code',
  'help.codeWarningTitle': 'Give this code only to {username}, face to face',
  'help.codeWarning':
    'Never give it to someone who asks you for it — by mail, chat or phone, even if they say they are {username} or say it is urgent. Asking trusted friends for a code is exactly how accounts are stolen.',
  'help.codeOnce': 'It is shown only this once, works once, and expires at {time}.',
  'help.title': 'Help someone reset their password',
  'help.generic': 'Thank you. If {username} exists and you are one of their trusted users, your confirmation has been recorded.',
  'help.recorded': 'Your confirmation for {username} is recorded: {confirmations} of {k} needed.',
  'help.recordedFrom': 'The code can be handed out from {time} ({relative}). Come back then and submit this form again.',
  'help.recordedWait': 'Once enough trusted users confirm, a waiting period starts.',
  'help.intro':
    'If someone who trusts you lost their password, you can confirm a reset for them. When enough of their trusted users have confirmed and the waiting period has passed, you will see a one-time code here to give them in person.',
  'help.target': 'Their username',
  'help.ownPassword': 'Your own password',
  'help.submit': 'Confirm the reset',
  'help.wrongPassword': 'Your own password is not correct.',

  'forgot.title': 'I forgot my password',
  'forgot.intro':
    'Ask the people you trust to confirm a reset for you (they log in and use “Help someone reset”). When enough of them have confirmed and the waiting period is over, one of them gives you a code in person. Enter it here with a new password.',
  'forgot.username': 'Your username',
  'forgot.code': 'Reset code',
  'forgot.newPassword': 'New password',
  'forgot.newPassword2': 'New password again',
  'forgot.submit': 'Set new password',
  'forgot.codeInvalid': 'That code is not valid for that username, or it has expired or been used.',
  'forgot.doneTitle': 'Your password was reset',
  'forgot.reAdd':
    'Your account has a new key. Your previous trusted users were removed, because they were tied to the old key. Log in and add them again on the “Trusted users” page — otherwise nobody can help you next time.',
  'forgot.appPasswordsRevoked':
    'Every app password of your mail account was revoked, because whoever reset the password must not keep a device logged in. Your mail client needs the new password or a new app password.',
  'forgot.login': 'Log in',
  'forgot.introMail':
    'The trusted user who started the reset also has a mail code for you. Enter it too: only with it can your stored mail be read again.',
  'forgot.mailCode': 'Mail code (if you were given one)',
  'forgot.mailCodeHint': 'Without the mail code your password is still reset, but the mail stored until now stays unreadable.',
  'forgot.haveRecoveryCode': 'Do you have a recovery code instead?',
  'forgot.recoverLink': 'Use your recovery code',
  'help.resetCodeHeading': 'Reset code',
  'help.mailCodeTitle': 'Mail code for {username} — write it down now',
  'help.mailCodeKeep':
    'You started this reset, so only you get this code, and only this once. Keep it safe and give it to {username} in person together with the reset code: without it they get back into their account, but the mail stored until now stays unreadable.',
  'help.mailCodeReminder':
    'Also give {username} the mail code. It was shown once to the trusted user who started this reset (perhaps you). Without it the reset still works, but the mail stored until now stays unreadable.',
  'help.vetoed':
    '{username} cancelled this reset on their dashboard, so your confirmation was not recorded. Talk to them before you try again.',
  'help.vetoedUntil': 'A new reset can be started from {time} ({relative}).',
  'trust.kHint':
    '{count, plural, =0 {You trust nobody yet, so this stays 1 until you add someone.} one {You trust one person, so this can only be 1.} other {You trust # people, so this can be 1 to #.}}',
  'trust.kTooHigh':
    '{count, plural, =0 {You trust nobody yet, so only 1 can be saved.} one {You trust only one person, so {k} cannot agree: at most 1.} other {You trust only # people, so {k} cannot agree: at most #.}} Add trusted users first.',
  'trust.waitDays': 'Days',
  'trust.waitHours': 'Hours',
  'dashboard.tooFewNobody':
    'To fix it: invite someone you trust (“Invites”), add them on the “Trusted users” page once they have an account — and create a recovery code meanwhile.',
  'dashboard.tooFewSome':
    'To fix it: add more trusted users, or lower the number who must agree, on the “Trusted users” page — or create a recovery code.',
  'recovery.heading': 'If you forget your password',
  'recovery.headingMail': 'If you forget your password: your account and your stored mail',
  'recovery.protected': 'You can get back into your account through:',
  'recovery.protectedMail': 'You can get back into your account, with your stored mail readable, through:',
  'recovery.pathTrustees': '{k} of {n, plural, one {# trusted user} other {# trusted users}}',
  'recovery.pathCode': 'your recovery code',
  'recovery.none': 'Nothing protects your account: if you forget your password, nobody can help you get back in.',
  'recovery.noneMail':
    'Nothing protects your account or your stored mail: if you forget your password, nobody can help you get back in, and the mail stored until then cannot be read again.',
  'recovery.whatToDo':
    'What to do: create a recovery code and keep it on paper somewhere safe, and add trusted users (at least as many as must agree).',
  'recovery.createLink': 'Create a recovery code',
  'recovery.replaceLink': 'Make a new recovery code (the old one stops working)',
  'afterReset.title': 'Your password was reset on {time}',
  'afterReset.viaTrustees':
    'Your trusted users confirmed it and one of them gave you a reset code. Your account got a new key, so your list of trusted users was emptied and the number who must agree was set to 1.',
  'afterReset.viaCode':
    'You used your recovery code, which is now used up. Your account got a new key, so your list of trusted users was emptied and the number who must agree was set to 1. Create a new recovery code.',
  'afterReset.mailRestored': 'Your old mail was restored: it is readable with your new password.',
  'afterReset.mailLost':
    'Your old mail could not be restored (no mail code, a wrong one, or too few confirmations with a share): the mail stored before the reset stays unreadable. New mail arrives as usual.',
  'afterReset.trust':
    'Add the people you trust again — the trusted user who gave you the code is a good first one — then set how many must agree.',
  'afterReset.trustLink': 'Add trusted users',
  'afterReset.read': 'I have read this',
  'recoveryCode.title': 'Recovery code',
  'recoveryCode.intro':
    'A recovery code lets you set a new password without your trusted users, for example while you trust nobody yet. Print it or write it down and keep it somewhere safe, away from your computer. It works once; a new code replaces the old one.',
  'recoveryCode.introMail':
    'A recovery code lets you set a new password without your trusted users, with your stored mail still readable. Print it or write it down and keep it somewhere safe, away from your computer. It works once; a new code replaces the old one.',
  'recoveryCode.exists': 'You have a recovery code. Making a new one makes the old one useless.',
  'recoveryCode.create': 'Create a recovery code',
  'recoveryCode.replace': 'Replace my recovery code',
  'recoveryCode.resent':
    'This form was already sent: the code shown then is still the valid one. To make another, enter your password again.',
  'recoveryCode.newTitle': 'Your new recovery code',
  'recoveryCode.sheetTitle': 'Recovery code for {site}',
  'recoveryCode.sheetUser': 'Username: {username}',
  'recoveryCode.sheetUse':
    'If you forget your password, open “I forgot my password”, choose “Use your recovery code” and enter this code with a new password. It works once.',
  'recoveryCode.once':
    'This code is shown only this once and is stored nowhere readable. Print this page (Ctrl+P) or write the code down now. Any earlier recovery code no longer works.',
  'recoveryCode.back': 'Back to your account',
  'recover.title': 'Use a recovery code',
  'recover.intro':
    'Enter your username, the recovery code you printed and a new password. The code works once; afterwards, add your trusted users again.',
  'recover.code': 'Recovery code',
  'recover.codeInvalid': 'That recovery code is not valid for that username, or it has been used.',
  'event.recovery_code_created': 'Recovery code created',
  'event.recovery_code_used': 'Password reset with your recovery code',
  'event.reset_mail_restored': 'Old mail restored with the reset',
  'event.reset_mail_lost': 'Old mail could not be restored with the reset',
  'event.reset_explained': 'You read the explanation of your reset',

  'password.title': 'Change password',
  'password.intro': 'Your trusted users stay as they are. All your other sessions are logged out.',
  'password.current': 'Current password',
  'password.differ': 'The two new passwords differ.',
  'password.wrong': 'Your current password is not correct.',

  'activity.title': 'Account activity',
  'activity.intro':
    'Logins and failed logins, changes to your trusted users, reset rules, password and sessions, invites you made, and password resets on your account. Only you can see this list; entries about trusted users and invites are stored encrypted to your key.',
  'activity.none': 'Nothing yet.',
  'activity.time': 'Time',
  'activity.what': 'What',
  'event.login': 'Logged in',
  'event.login_failed': 'Failed sign-in attempts with a wrong password',
  'event.signup': 'Account created',
  'event.password_changed': 'Password changed',
  'event.reset_confirmation': 'A trusted user confirmed a password reset for you',
  'event.reset_pending': 'Enough trusted users confirmed a reset; waiting period started',
  'event.reset_vetoed': 'You cancelled a pending reset',
  'event.reset_completed': 'Password reset completed with a code',
  'event.code_issued': 'A reset code was handed to a trusted user',
  'activity.unreadable':
    '{n, plural, one {One entry from before your last password reset was encrypted to your old key and cannot be shown.} other {# entries from before your last password reset were encrypted to your old key and cannot be shown.}}',
  'activity.sessionsLink': 'Where you are logged in now: your sessions.',
  'event.k_changed': 'Number of trusted users who must agree changed',
  'event.wait_changed': 'Waiting period changed',
  'event.sessions_logged_out': 'Other sessions logged out',
  'event.app_password_created': 'App password created for your mail',
  'event.trustee_added': 'Trusted user added',
  'event.trustee_removed': 'Trusted user removed',
  'event.invite_created': 'Invite code created',
  'event.detail.fromTo': 'from {from} to {to}',
  'event.detail.confirmations': '{confirmations} of {k}',
  'event.detail.effective': 'from {time}',
  'event.detail.failures': '{n, plural, one {# attempt} other {# attempts}}',
  'event.detail.sessions': '{n, plural, one {# session} other {# sessions}}',
  'sessions.title': 'Your sessions',
  'sessions.intro':
    'Every browser where you are logged in to this account. For each one only the browser and system family are kept, encrypted to your key: no address, no version numbers.',
  'sessions.created': 'Logged in',
  'sessions.lastSeen': 'Last used',
  'sessions.client': 'Browser',
  'sessions.current': 'this browser',
  'sessions.clientOn': '{browser} on {os}',
  'sessions.unknown': 'unknown',
  'sessions.notYet': 'not yet',
  'sessions.logoutOthers': 'Log out all other sessions',
  'sessions.onlyThis': 'This browser is your only session.',
  'sessions.othersHint': 'If you do not recognise a session, log it out and change your password.',

  'error.startPage': 'Start page',
  'error.notFoundTitle': 'Not found',
  'error.notFound': 'There is no such page.',
  'error.badRequestTitle': 'This form has expired',
  'error.badRequest':
    'The page you sent the form from is no longer valid (for example because you logged in or out in the meantime). Go back, reload the page and try again.',
  'error.serverTitle': 'Something went wrong',
  'error.server': 'The server could not complete this request. Please try again later.',

  'prefs.title': 'Language and time zone',
  'prefs.intro': 'Pages and the mails this service sends you use this language; times are shown in this time zone.',
  'prefs.language': 'Language',
  'prefs.timeZone': 'Time zone',
  'prefs.save': 'Save',

  'mail.resetRequested.subject': 'A password reset was requested for your account',
  'mail.resetRequested.body':
    'One of your trusted users confirmed a password reset for your account at {time}.\n{k, plural, one {One confirmation is needed before a waiting period starts.} other {# confirmations are needed before a waiting period starts.}}\n\nIf you did not lose your password, log in and cancel the reset on your dashboard.\n',
  'mail.resetArmed.subject': 'A password reset becomes effective at {time}',
  'mail.resetArmed.body':
    'Enough of your trusted users confirmed a password reset for your account.\nFrom {time} one of them can hand out a reset code that sets a new password.\n\nIf this was not you, log in before then and press “This was not me — cancel the reset” on your dashboard.\n',
  'mail.resetCompleted.subject': 'Your password was reset',
  'mail.resetCompleted.body':
    'Your password was reset with a code from a trusted user at {time}. All sessions were logged out.\nYour previous trusted users were removed; please log in and add them again.\n\n',
  'mail.resetCompleted.appPasswords': 'Every app password of your mail account was revoked: make new ones for your devices.\n\n',
  'mail.resetCompleted.contact': 'If you did not do this, contact the operator immediately.\n',
  'mail.resetVetoed.subject': 'A password reset was cancelled',
  'mail.resetVetoed.body':
    'A pending password reset for your account was cancelled at {time} from one of your sessions. Every confirmation was discarded.\n\nIf this was not you, someone else is logged in to your account: log in, change your password and log out your other sessions.\n',
  'mail.passwordChanged.subject': 'Your password was changed',
  'mail.passwordChanged.body':
    'The password of your account was changed at {time}. All other sessions were logged out.\n\nIf this was not you, ask your trusted users to reset your password and contact the operator.\n',
  'mail.kLowered.subject': 'Fewer trusted users are now needed to reset your password',
  'mail.kLowered.body':
    'At {time} the number of trusted users who must agree to reset your password was lowered from {from} to {to}.\n\nIf this was not you, someone else is logged in to your account: log in, set it back on the “Trusted users” page, change your password and log out your other sessions.\n',
  'mail.waitShortened.subject': 'The waiting period before a password reset was shortened',
  'mail.waitShortened.body':
    'At {time} the waiting period before a reset code can be handed out was shortened from {from} to {to}.\n\nIf this was not you, someone else is logged in to your account: log in, set it back on the “Trusted users” page, change your password and log out your other sessions.\n',
  'mail.trusteeAdded.subject': 'Someone was added to your trusted users',
  'mail.trusteeAdded.body':
    'At {time} a trusted user was added to your account. This mail does not say who, because mail is not encrypted on its way; your activity list shows the name.\n\nIf this was not you, someone else is logged in to your account: log in, remove that person on the “Trusted users” page, change your password and log out your other sessions.\n',
  'mail.appPasswordCreated.subject': 'A new app password for your mail',
  'mail.appPasswordCreated.body':
    'At {time} an app password was created for your mail account. A device using it can read your mail even after every session is logged out.\n\nIf this was not you, log in, revoke it on the “App passwords” page, change your password and log out your other sessions.\n',
  'mail.footer.link': 'Your account: {url}',
  'mail.footer.auto': 'This message was sent automatically by {site}. Please do not reply to it.',
} as const;

export type MessageKey = keyof typeof en;
/** What every other catalogue must be: exactly these keys (a missing or an extra key does not type-check). */
export type Messages = { readonly [K in MessageKey]: string };
