"""SM4-GCM values and HMAC-SM3 blind indexes (xueji/crypto.py): what encryption at rest rests on."""

import base64
import stat

import pytest

from xueji import crypto

ID_NUMBER = "110101201001011234"


def ring(*key_ids: str, blind: bytes = b"b" * 32) -> crypto.Keyring:
    keys = {key_id: (key_id.encode() * 16)[:16] for key_id in key_ids}
    return crypto.Keyring(keys=keys, current_id=key_ids[0], blind_key=blind)


def test_a_value_round_trips_and_shows_no_plain_text():
    stored = crypto.encrypt_text(ID_NUMBER, context="xueji_pupil.id_number", ring=ring("k1"))
    assert stored.startswith("sm4:k1:")
    assert ID_NUMBER not in stored
    assert crypto.decrypt_text(stored, context="xueji_pupil.id_number", ring=ring("k1")) == ID_NUMBER


def test_equal_values_encrypt_differently():
    keys = ring("k1")
    first = crypto.encrypt_text(ID_NUMBER, context="c", ring=keys)
    second = crypto.encrypt_text(ID_NUMBER, context="c", ring=keys)
    assert first != second  # a fresh nonce each time: equal ID numbers are not visible as equal


def test_a_value_moved_to_another_column_does_not_decrypt():
    stored = crypto.encrypt_text(ID_NUMBER, context="xueji_pupil.id_number", ring=ring("k1"))
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(stored, context="xueji_guardian.id_number", ring=ring("k1"))


def test_a_tampered_value_fails_loudly():
    stored = crypto.encrypt_text(ID_NUMBER, context="c", ring=ring("k1"))
    prefix, body = stored.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[14] ^= 0x01
    tampered = prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(tampered, context="c", ring=ring("k1"))


def test_an_old_key_still_decrypts_until_it_is_removed():
    old = crypto.encrypt_text(ID_NUMBER, context="c", ring=ring("k1"))
    rotated = ring("k2", "k1")  # k2 now encrypts, k1 still opens
    assert crypto.decrypt_text(old, context="c", ring=rotated) == ID_NUMBER
    assert crypto.key_id_of(crypto.encrypt_text(ID_NUMBER, context="c", ring=rotated)) == "k2"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(old, context="c", ring=ring("k2"))


def test_bytes_round_trip_with_their_key_id():
    sealed = crypto.encrypt_bytes(b"%PDF-1.7 ...", context="cardjob/x.pdf", ring=ring("k1"))
    assert sealed.startswith(b"k1:") and b"%PDF" not in sealed
    assert crypto.decrypt_bytes(sealed, context="cardjob/x.pdf", ring=ring("k1")) == b"%PDF-1.7 ..."
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_bytes(sealed, context="cardjob/x.pdf", ring=ring("k9"))


def test_blind_indexes_are_equal_for_equal_values_and_keyed():
    keys = ring("k1")
    assert crypto.blind_index(ID_NUMBER, purpose="id", ring=keys) == crypto.blind_index(ID_NUMBER, purpose="id", ring=keys)
    assert crypto.blind_index(ID_NUMBER, purpose="id", ring=keys) != crypto.blind_index(ID_NUMBER, purpose="phone", ring=keys)
    other_key = ring("k1", blind=b"c" * 32)
    assert crypto.blind_index(ID_NUMBER, purpose="id", ring=keys) != crypto.blind_index(ID_NUMBER, purpose="id", ring=other_key)


@pytest.mark.parametrize(
    "text",
    ["", "k1", "k1:" + base64.urlsafe_b64encode(b"short").decode(), "bad id:" + base64.urlsafe_b64encode(b"x" * 16).decode()],
)
def test_malformed_keys_are_refused(text):
    with pytest.raises(ValueError):
        crypto.parse_keys(text)


def test_the_development_key_file_is_made_once_and_private(tmp_path):
    first = crypto.development_keys(tmp_path)
    second = crypto.development_keys(tmp_path)
    assert first == second
    keys, current = crypto.parse_keys(first[0])
    assert len(keys[current]) == crypto.KEY_BYTES
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
