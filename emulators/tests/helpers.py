"""Helpers shared by the emulator tests."""

import json
import shutil
import subprocess

import pytest


class Recorder:
    """A webhook callback that records what it got and answers canned statuses."""

    def __init__(self):
        self.calls = []
        self.statuses = []  # answered in order; 200 once exhausted

    def __call__(self, method, path, headers, body):
        self.calls.append({"method": method, "path": path, "headers": headers, "body": body})
        return self.statuses.pop(0) if self.statuses else 200

    @property
    def bodies(self):
        return [json.loads(c["body"]) for c in self.calls]


def vtp_login(client, username="demo@donhang.vn", password="demo-password"):
    body = {"USERNAME": username, "PASSWORD": password}
    short = client.post("/v2/user/Login", json=body).json()["data"]["token"]
    answer = client.post("/v2/user/ownerconnect", json=body, headers={"Token": short}).json()
    return answer["data"]["token"]


def pdf_text(data: bytes, tmp_path) -> str:
    assert data.startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is missing")
    path = tmp_path / "label.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()
