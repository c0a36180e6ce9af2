-- /etc/dovecot/peergroup-auth.lua — Dovecot's passdb asks peergroup whether a login's password is valid.
-- The password travels in the body of a POST to peergroup's accounts service (accounts.mailboxes.dovecot.passdb),
-- never in a URL, a dict key or a log line: Dovecot logs what fails (URLs, dict keys), not request bodies.
-- Runs in Dovecot's auth worker processes (blocking=yes): each keeps one HTTP connection open between logins.
local URL = "http://127.0.0.1:23011/dovecot/passdb"
-- The same random secret as accounts.mailboxes.dovecot.passdb.secretFile (readable by root and group dovecot).
local SECRET_FILE = "/etc/dovecot/peergroup-passdb.secret"

local client, secret

local function form(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function script_init()
  local f, err = io.open(SECRET_FILE, "r")
  if not f then
    dovecot.i_error("peergroup-auth.lua: cannot read " .. SECRET_FILE .. ": " .. tostring(err))
    return 1
  end
  secret = string.gsub(f:read("a") or "", "%s+$", "")
  f:close()
  if #secret < 32 then
    dovecot.i_error("peergroup-auth.lua: " .. SECRET_FILE .. " must hold at least 32 characters")
    return 1
  end
  -- One retry covers a kept-alive connection that peergroup closed (a restart); the answer is never a guess.
  client = dovecot.http.client({ request_timeout_msecs = 10000, connect_timeout_msecs = 2000, max_attempts = 2, no_auto_redirect = true, user_agent = "dovecot-peergroup" })
  return 0
end

-- Dovecot calls this with the password of a PLAIN/LOGIN authentication. Any error below (peergroup down, slow,
-- an unexpected answer, a Lua error) makes Dovecot answer a temporary failure; no message names the password.
function auth_password_verify(req, password)
  local r = client:request({ url = URL, method = "POST" })
  r:add_header("Authorization", "Bearer " .. secret)
  r:add_header("Content-Type", "application/x-www-form-urlencoded")
  r:set_payload("user=" .. form(req.user) .. "&password=" .. form(password) .. "&service=" .. form(req.service or "") .. "&rip=" .. form(req.remote_ip or ""))
  local resp = r:submit()
  local status = resp:status()
  if status == 403 then
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, ""
  end
  if status ~= 200 then
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "peergroup passdb answered " .. tostring(status) .. " " .. tostring(resp:reason())
  end
  -- name=value lines: fields for Dovecot (userdb_* reach the userdb: an encrypted account's mail_crypt keys).
  local fields = {}
  for name, value in string.gmatch(resp:payload(), "([%w_]+)=([^\n]*)") do
    fields[name] = value
  end
  return dovecot.auth.PASSDB_RESULT_OK, fields
end
