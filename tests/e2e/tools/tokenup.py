"""An OAuth2 token endpoint and the API it guards, for upstream.py
(--oauth CONTROL): what botbox's minter talks to in scenario 82.

Hosts (by the request's Host):
  auth.test      POST /cc/token: the client-credentials grant (RFC 6749
                 §4.4), the client authenticated with Basic (cc-client /
                 cc-secret, or cc-client-b / cc-secret-b: scenario 84's
                 second tenant); POST /rt/token: the refresh-token grant (§6)
                 for the public client rt-client, whose refresh token
                 rotates on every use (the old one is then refused with
                 invalid_grant).
  *api.test      (oauthapi.test, rtapi.test) an API that takes a Bearer
                 token this endpoint issued and has not expired or been
                 revoked: 200 with the request's Authorization echoed in
                 the body (a redaction check), else 401.

CONTROL is a JSON file read on each token call, so a scenario steers the
endpoint between steps: {"mode": "ok" | "fail" | "hang", "expires_in":
N, "delay": S, "revoke": K}. fail answers 500 {"error":
"server_error"}; hang sleeps 8 s before answering; delay sleeps S
seconds first (a burst then waits on one fetch); revoke: tokens numbered
K or lower are refused by the API from then on.

Every call is recorded: {"event": "token", "n", "grant", "ok", "why",
"refresh_used", "issued", "rotated"} and {"event": "api", "ok", "token_n",
"auth"}; the scenario compares what reached here with what botbox was
given and what the workload saw.
"""
import base64
import json
import threading
import time
import urllib.parse

LOCK = threading.Lock()
TOKENS = {}  # token -> (n, expiry)
STATE = {"n": 0, "refresh": "rt-refresh-0"}
CC = {"cc-client": "cc-secret", "cc-client-b": "cc-secret-b"}
RT_CLIENT = "rt-client"


def control(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def answer(h, code, obj):
    h.send(code, json.dumps(obj).encode(), "application/json", [("Cache-Control", "no-store")])


def token_call(h, ctl_path, body, record):
    ctl = control(ctl_path)
    form = dict(urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    rec = {"event": "token", "path": h.path, "grant": form.get("grant_type"),
           "scope": form.get("scope"), "audience": form.get("audience"),
           "refresh_used": form.get("refresh_token"), "ok": False}
    time.sleep(float(ctl.get("delay", 0)))
    if ctl.get("mode") == "hang":
        time.sleep(8)
    with LOCK:
        STATE["n"] += 1
        n = STATE["n"]
        rec["n"] = n
        why = check(h, form)
        if why is None and ctl.get("mode") == "fail":
            why = "server_error"
        if why is not None:
            rec["why"] = why
            record(rec)
            return answer(h, 500 if why == "server_error" else 400, {"error": why})
        tok = f"tok-{n}-{base64.b32encode(n.to_bytes(4, 'big') * 3).decode().rstrip('=')}"
        life = int(ctl.get("expires_in", 3600))
        client = client_of(h, form)
        rec["client"] = client
        TOKENS[tok] = (n, time.time() + life, client)
        out = {"access_token": tok, "token_type": "Bearer", "expires_in": life}
        if form.get("grant_type") == "refresh_token":
            STATE["refresh"] = out["refresh_token"] = f"rt-refresh-{n}"
            rec["rotated"] = out["refresh_token"]
        rec.update(ok=True, issued=tok, expires_in=life)
    record(rec)
    answer(h, 200, out)


def client_of(h, form):
    """The client a token call authenticated as."""
    auth = h.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        return base64.b64decode(auth[6:]).decode("latin-1").split(":", 1)[0]
    return form.get("client_id")


def check(h, form):
    """None when the grant is good, else its error code."""
    if h.path == "/cc/token":
        auth = h.headers.get("Authorization", "")
        good = {"Basic " + base64.b64encode(f"{c}:{s}".encode()).decode() for c, s in CC.items()}
        if auth not in good:
            return "invalid_client"
        return None if form.get("grant_type") == "client_credentials" else "unsupported_grant_type"
    if h.path == "/rt/token":
        if form.get("client_id") != RT_CLIENT or form.get("grant_type") != "refresh_token":
            return "invalid_client"
        return None if form.get("refresh_token") == STATE["refresh"] else "invalid_grant"
    return "invalid_request"


def api_call(h, ctl_path, record):
    auth = h.headers.get("Authorization", "")
    tok = auth[7:] if auth.startswith("Bearer ") else ""
    revoke = int(control(ctl_path).get("revoke", 0))
    with LOCK:
        n, expiry, client = TOKENS.get(tok, (0, 0, None))
    ok = n > revoke and time.time() < expiry
    record({"event": "api", "ok": ok, "token_n": n, "auth": auth, "method": h.command,
            "client": client, "path": h.path})
    if not ok:
        return answer(h, 401, {"error": "invalid_token"})
    answer(h, 200, {"authorization": auth, "token_n": n})


def handle(h, ctl_path, body, record):
    host = h.headers.get("Host", "").split(":")[0]
    if host == "auth.test":
        token_call(h, ctl_path, body, record)
    else:
        api_call(h, ctl_path, record)
