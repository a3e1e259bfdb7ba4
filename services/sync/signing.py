"""Ed25519 device keys: created at first use in the data folder (0600), used to sign packages and acks."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.paths import data_dir
from services.sync.errors import KeyMissing, PackageInvalid
from services.sync.fileio import write_atomic

DEVICE_KEY_FILE = "device_ed25519.pem"


def keys_dir() -> Path:
    folder = data_dir() / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise PackageInvalid(f"{what} 不是有效的 Base64 文本，文件可能已损坏。") from exc


def key_id(public_raw: bytes) -> str:
    """Short fingerprint people can compare by eye (first 16 hex of SHA-256 of the raw key)."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def save_private_key(path: Path, pem: bytes) -> None:
    write_atomic(path, pem, mode=0o600)
    os.chmod(path, 0o600)


def load_private_pem(path: Path) -> object:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyMissing(f"密钥文件 {path} 已损坏，无法读取。请从备份恢复或联系技术支持。") from exc


def device_key(create: bool = True, folder: Path | None = None) -> Ed25519PrivateKey:
    """This machine's signing key; created (0600) on first use."""
    path = (folder or keys_dir()) / DEVICE_KEY_FILE
    if path.exists():
        key = load_private_pem(path)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMissing(f"密钥文件 {path} 不是 Ed25519 签名密钥。")
        return key
    if not create:
        raise KeyMissing("本机还没有签名密钥，请先运行 `sync key device` 生成。")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    save_private_key(path, pem)
    return key


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def verify(public_b64: str, data: bytes, signature: bytes, what: str) -> None:
    raw = unb64(public_b64, "签名公钥")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, data)
    except (InvalidSignature, ValueError) as exc:
        raise PackageInvalid(
            f"{what}的签名无效：文件在签名后被改动过，或不是由声明的设备签发。请勿使用此文件。"
        ) from exc
