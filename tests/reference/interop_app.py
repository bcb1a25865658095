"""Interop peer for the live tests (tests/it/interop.rs): Flask-JWT-Extended 4.7.4
configured with an audience and an issuer, minting tokens on request and
answering with what it decoded. Same PORT / JWT_SECRET_KEY contract as the
other references."""
import os
from datetime import timedelta

from flask import Flask, jsonify, request
from flask_jwt_extended import (JWTManager, create_access_token, create_refresh_token,
                                get_jwt, jwt_required)

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = os.environ.get("JWT_SECRET_KEY", "super-secret")
app.config["JWT_ENCODE_AUDIENCE"] = "api"
app.config["JWT_DECODE_AUDIENCE"] = "api"
app.config["JWT_ENCODE_ISSUER"] = "https://issuer.example"
app.config["JWT_DECODE_ISSUER"] = "https://issuer.example"
jwt = JWTManager(app)


@app.route("/mint", methods=["POST"])
def mint():
    body = request.get_json()
    fresh = body.get("fresh", False)
    if not isinstance(fresh, bool):
        fresh = timedelta(seconds=fresh)
    claims = body.get("claims")
    return jsonify(
        access_token=create_access_token(body["identity"], fresh=fresh, additional_claims=claims),
        refresh_token=create_refresh_token(body["identity"], additional_claims=claims),
    )


@app.route("/claims")
@jwt_required()
def claims():
    return jsonify(get_jwt())


@app.route("/fresh")
@jwt_required(fresh=True)
def fresh():
    return jsonify(get_jwt())


@app.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
def refresh():
    return jsonify(get_jwt())


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
