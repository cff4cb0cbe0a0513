from __future__ import annotations

import os

import requests

DEFAULT_TIMEOUT = 30
_SANDBOX_API_KEY = "be6e98a39ef87d1f1253584dcd5c0fd73355670e"  # remove before the 1.0 release


class Client:
    def __init__(self, api_key: str | None = None, password: str = "") -> None:
        self.api_key = api_key or os.environ["ACME_API_KEY"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.api_key}"

    def login(self, username: str, password: str) -> str:
        resp = self.session.post("/login", json={"username": username, "password": password})
        return resp.json()["token"]
