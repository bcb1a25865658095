"""The reference app (tests/reference/app.py) with an asymmetric algorithm.

Same routes and PORT contract as app.py: listens on 127.0.0.1:$PORT
(default 5000); POST /login (test/test) -> access + refresh tokens,
POST /refresh (refresh token) -> new access token, GET /protected ->
{"logged_in_as": identity}.

Configured from the environment:
  JWT_ALGORITHM           e.g. RS256, PS256, ES256, ES384, EdDSA (default RS256)
  JWT_PRIVATE_KEY_FILE    PEM path, read into app.config["JWT_PRIVATE_KEY"]
  JWT_PUBLIC_KEY_FILE     PEM path, read into app.config["JWT_PUBLIC_KEY"]
  JWT_DECODE_ALGORITHMS   optional, comma separated (default: JWT_ALGORITHM only)

Needs the `cryptography` package (see requirements.txt)."""
import os
from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager, jwt_required, create_access_token,
    create_refresh_token, get_jwt_identity,
)


def _read(env_name):
    path = os.environ.get(env_name)
    if not path:
        raise SystemExit(f"{env_name} must be set to a PEM file path")
    with open(path, "r", encoding="ascii") as f:
        return f.read()


app = Flask(__name__)
app.config["JWT_ALGORITHM"] = os.environ.get("JWT_ALGORITHM", "RS256")
app.config["JWT_PRIVATE_KEY"] = _read("JWT_PRIVATE_KEY_FILE")
app.config["JWT_PUBLIC_KEY"] = _read("JWT_PUBLIC_KEY_FILE")
_decode_algs = os.environ.get("JWT_DECODE_ALGORITHMS", "").strip()
if _decode_algs:
    app.config["JWT_DECODE_ALGORITHMS"] = [a.strip() for a in _decode_algs.split(",") if a.strip()]
jwt = JWTManager(app)


@app.route("/login", methods=["POST"])
def login():
    username = request.json.get("username", None)
    password = request.json.get("password", None)
    if username != "test" or password != "test":
        return jsonify({"msg": "Bad username or password"}), 401
    ret = {
        "access_token": create_access_token(identity=username),
        "refresh_token": create_refresh_token(identity=username),
    }
    return jsonify(ret), 200


@app.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
def refresh():
    current_user = get_jwt_identity()
    return jsonify({"access_token": create_access_token(identity=current_user)}), 200


@app.route("/protected", methods=["GET"])
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity()), 200


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
