"""A small OpenID provider for the resource-server tests.

Listens on 127.0.0.1:$PORT (default 5000); its issuer is http://127.0.0.1:$PORT.
It publishes discovery and a JWK Set, and mints access tokens on demand so
that tests can ask for every kind of bad token. Keys are made at start: one
RS256 and one ES256 key (kids "rs-1", "es-1").

Public:
  GET  /.well-known/openid-configuration   issuer, jwks_uri
  GET  /jwks                                the keys, with Cache-Control: max-age

Test controls (JSON bodies):
  POST /token      {"alg": "RS256", "kid": "rs-1" | false (no kid: the key of that alg),
                    "typ": "at+jwt", "claims": {...},
                    "sign_with": "public-key-as-hmac" | "unpublished" | null}
                   -> {"token": ...}; claims default to iss, aud "api", sub "alice",
                   iat/nbf now, exp now + 300; a null claim value removes it;
                   alg "none" gives an unsigned token.
  POST /rotate     {"alg": "RS256"} -> {"kid": new kid}; the new key is published
  POST /drop       {"kid": ...} stops publishing a key (tokens it signs still mint)
  POST /max_age    {"seconds": n} the JWK Set's Cache-Control max-age (default 300)
  POST /omit_alg   publish the keys without "alg" (as Entra ID does)
  POST /down       the discovery and JWKS routes answer 503 until /up
  POST /up
  GET  /stats      {"jwks_fetches": n, "discovery_fetches": n,
                    "refused_fetches": n (discovery and JWKS requests answered 503)}
  POST /reset      everything back to the start (fresh keys)
"""
import base64
import json
import os
import threading
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask, jsonify, request
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PORT = int(os.environ.get("PORT", "5000"))
ISSUER = f"http://127.0.0.1:{PORT}"

app = Flask(__name__)
lock = threading.Lock()
state = {}


def new_key(alg, kid=None):
    if alg.startswith("ES"):
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {"alg": alg, "kid": kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}", "private": private}


def reset():
    with lock:
        state.clear()
        state.update(
            keys=[new_key("RS256", "rs-1"), new_key("ES256", "es-1")],
            unpublished=new_key("RS256", "rs-1"),
            max_age=300,
            omit_alg=False,
            down=False,
            jwks_fetches=0,
            discovery_fetches=0,
            refused_fetches=0,
        )


reset()


def public_jwk(key):
    algorithm = ECAlgorithm if key["alg"].startswith("ES") else RSAAlgorithm
    jwk = json.loads(algorithm.to_jwk(key["private"].public_key()))
    jwk.update(kid=key["kid"], alg=key["alg"], use="sig")
    if state["omit_alg"]:
        del jwk["alg"]
    return jwk


@app.get("/.well-known/openid-configuration")
def discovery():
    with lock:
        if state["down"]:
            state["refused_fetches"] += 1
            return jsonify(error="down"), 503
        state["discovery_fetches"] += 1
    return jsonify(issuer=ISSUER, jwks_uri=f"{ISSUER}/jwks")


@app.get("/jwks")
def jwks():
    with lock:
        if state["down"]:
            state["refused_fetches"] += 1
            return jsonify(error="down"), 503
        state["jwks_fetches"] += 1
        keys = [public_jwk(key) for key in state["keys"] if not key.get("dropped")]
        max_age = state["max_age"]
    response = jsonify(keys=keys)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def find_key(kid, alg):
    for key in state["keys"]:
        if key["kid"] == kid or (kid is None and key["alg"] == alg):
            return key
    return None


@app.post("/token")
def token():
    body = request.get_json(force=True) or {}
    alg = body.get("alg", "RS256")
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "api", "sub": "alice", "iat": now, "nbf": now, "exp": now + 300}
    for name, value in (body.get("claims") or {}).items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    headers = {"typ": body.get("typ", "at+jwt")}
    with lock:
        if body.get("sign_with") == "unpublished":
            key = state["unpublished"]
        else:
            kid = body.get("kid", "rs-1" if alg.startswith("RS") else "es-1")
            key = find_key(None if kid is False else kid, alg)
    if body.get("kid") is False:
        pass
    elif "kid" in body or key is not None:
        headers["kid"] = body.get("kid", key["kid"] if key else None)
    if alg == "none":
        segments = [
            base64.urlsafe_b64encode(json.dumps(h).encode()).rstrip(b"=").decode()
            for h in ({"alg": "none", **headers}, claims)
        ]
        return jsonify(token=".".join(segments) + ".")
    if body.get("sign_with") == "public-key-as-hmac":
        pem = key["private"].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # PyJWT refuses a PEM as an HMAC secret; sign by hand.
        import hashlib
        import hmac

        header = {"alg": alg, **headers}
        signing_input = ".".join(
            base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=").decode()
            for part in (header, claims)
        )
        digest = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
        signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return jsonify(token=f"{signing_input}.{signature}")
    encoded = jwt.encode(claims, key["private"], algorithm=alg, headers=headers)
    return jsonify(token=encoded)


@app.post("/rotate")
def rotate():
    body = request.get_json(force=True) or {}
    key = new_key(body.get("alg", "RS256"))
    with lock:
        state["keys"].append(key)
    return jsonify(kid=key["kid"])


@app.post("/drop")
def drop():
    kid = (request.get_json(force=True) or {})["kid"]
    with lock:
        for key in state["keys"]:
            if key["kid"] == kid:
                key["dropped"] = True
    return jsonify(ok=True)


@app.post("/max_age")
def max_age():
    with lock:
        state["max_age"] = int((request.get_json(force=True) or {})["seconds"])
    return jsonify(ok=True)


@app.post("/omit_alg")
def omit_alg():
    with lock:
        state["omit_alg"] = True
    return jsonify(ok=True)


@app.post("/down")
def down():
    with lock:
        state["down"] = True
    return jsonify(ok=True)


@app.post("/up")
def up():
    with lock:
        state["down"] = False
    return jsonify(ok=True)


@app.get("/stats")
def stats():
    with lock:
        return jsonify(
            jwks_fetches=state["jwks_fetches"],
            discovery_fetches=state["discovery_fetches"],
            refused_fetches=state["refused_fetches"],
        )


@app.post("/reset")
def reset_route():
    reset()
    return jsonify(ok=True)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT, threaded=True)
