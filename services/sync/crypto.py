"""Payload encryption for the county: X25519 key agreement, HKDF-SHA256, AES-256-GCM per entry.

The county keeps an X25519 private key in its data folder; townships configure its public key. Each
package uses a fresh ephemeral key pair and salt, so two packages never share a content key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.sync.errors import KeyMissing, PackageInvalid
from services.sync.signing import b64, keys_dir, load_private_pem, save_private_key, unb64

ALG = "X25519-HKDF-SHA256-AES-256-GCM"
COUNTY_KEY_FILE = "county_x25519.pem"
HKDF_INFO = b"ltpkg/1 payload key"


def x_public_raw(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def county_key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def county_key_path(folder: Path | None = None) -> Path:
    return (folder or keys_dir()) / COUNTY_KEY_FILE


def retired_county_key_path(key_id: str, folder: Path | None = None) -> Path:
    """Where a replaced county key is kept: ``county_x25519.<its fingerprint>.retired.pem``."""
    current = county_key_path(folder)
    return current.with_name(f"{current.stem}.{key_id}.retired.pem")


def generate_county_key(folder: Path | None = None, *, overwrite: bool = False) -> X25519PrivateKey:
    """Create the county key. An existing key is never overwritten silently: without ``overwrite``
    it raises ``KeyMissing``; with it the old key file is first kept (renamed, never deleted) as
    ``retired_county_key_path(<its fingerprint>)`` so packages sealed for it still import."""
    key, _ = replace_county_key(folder, overwrite=overwrite)
    return key


def replace_county_key(
    folder: Path | None = None, *, overwrite: bool = False
) -> tuple[X25519PrivateKey, Path | None]:
    """``generate_county_key`` that also returns where the old key was kept (``None``: there was none)."""
    path = county_key_path(folder)
    if path.exists() and not overwrite:
        raise KeyMissing(
            f"本机已有县级密钥（{path}）。重新生成会使已配置旧公钥的乡镇无法加密给本机，如确需更换请加 --force（county init 用 --new-key），旧密钥会另存为备份。"
        )
    backup: Path | None = None
    if path.exists():  # kept for decryption: packages sealed for the old key may still be on the way
        old = load_county_key(folder)
        if old is not None:
            backup = retired_county_key_path(county_key_id(x_public_raw(old)), folder)
            if not backup.exists():  # (it exists only for this very key: already kept)
                path.replace(backup)
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    save_private_key(path, pem)
    return key, backup


def _retired_county_key(wanted: str, folder: Path | None = None) -> X25519PrivateKey | None:
    """A county key replaced by ``county-generate --force`` / ``county init --new-key`` (kept as …<key id>.retired.pem)."""
    if not wanted or "/" in wanted or "\\" in wanted:
        return None
    path = retired_county_key_path(wanted, folder)
    if not path.exists():
        return None
    key = load_private_pem(path)
    return key if isinstance(key, X25519PrivateKey) else None


def load_county_key(folder: Path | None = None) -> X25519PrivateKey | None:
    path = county_key_path(folder)
    if not path.exists():
        return None
    key = load_private_pem(path)
    if not isinstance(key, X25519PrivateKey):
        raise KeyMissing(f"密钥文件 {path} 不是 X25519 加密密钥。")
    return key


@dataclass(frozen=True)
class Sealer:
    """The content key of one package and the public facts the receiver needs to derive it."""

    key: bytes
    ephemeral_public: str
    salt: str
    county_key_id: str

    def seal(self, name: str, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.key).encrypt(nonce, data, name.encode("utf-8"))

    def open(self, name: str, blob: bytes) -> bytes:
        if len(blob) < 28:
            raise PackageInvalid(f"加密条目 {name} 长度不足，文件已损坏。")
        try:
            return AESGCM(self.key).decrypt(blob[:12], blob[12:], name.encode("utf-8"))
        except InvalidTag as exc:
            raise PackageInvalid(f"加密条目 {name} 解密校验失败：文件已被改动或损坏。") from exc

    def header(self) -> dict[str, str]:
        return {
            "alg": ALG,
            "county_key_id": self.county_key_id,
            "ephemeral_public": self.ephemeral_public,
            "salt": self.salt,
        }


def _derive(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=HKDF_INFO).derive(shared)


def new_sealer(county_public_b64: str) -> Sealer:
    county_raw = unb64(county_public_b64, "县级公钥")
    county_pub = X25519PublicKey.from_public_bytes(county_raw)
    eph = X25519PrivateKey.generate()
    salt = os.urandom(16)
    return Sealer(
        key=_derive(eph.exchange(county_pub), salt),
        ephemeral_public=b64(x_public_raw(eph)),
        salt=b64(salt),
        county_key_id=county_key_id(county_raw),
    )


def open_sealer(private: X25519PrivateKey | None, header: dict[str, object]) -> Sealer:
    if header.get("alg") != ALG:
        raise PackageInvalid(f"不支持的加密算法：{header.get('alg')}。请升级软件。")
    wanted = str(header.get("county_key_id", ""))
    if private is None:
        raise KeyMissing(
            f"此包已加密（县级密钥指纹 {wanted}），本机没有县级解密密钥。请在县级接收电脑上导入，"
            "或用 `sync key county-generate` 生成本机密钥并把公钥发给乡镇。"
        )
    mine = county_key_id(x_public_raw(private))
    if wanted != mine and (retired := _retired_county_key(wanted)) is not None:
        private, mine = retired, wanted  # replaced with --force: the old key still opens its packages
    if wanted != mine:
        raise PackageInvalid(
            f"此包是为另一把县级密钥加密的（指纹 {wanted}），本机密钥指纹为 {mine}，无法解密。"
            "请让乡镇配置本机的县级公钥后重新导出。"
        )
    eph = X25519PublicKey.from_public_bytes(unb64(str(header.get("ephemeral_public", "")), "临时公钥"))
    salt = unb64(str(header.get("salt", "")), "盐值")
    return Sealer(
        key=_derive(private.exchange(eph), salt),
        ephemeral_public=str(header["ephemeral_public"]),
        salt=str(header["salt"]),
        county_key_id=wanted,
    )
