"""Model fields whose values are encrypted in their columns (SM4-GCM, xueji.crypto), and the keyed
blind indexes (HMAC-SM3) that exact lookups use instead.

- ``EncryptedCharField`` / ``EncryptedTextField`` store `sm4:<key id>:<base64>` in a text column,
  authenticated with the context "<table>.<column>" of the model that declares them (a value
  copied into another column does not open). Reads decrypt in ``from_db_value``; a value that no
  key opens (tampered, or plain text that was never encrypted) raises ``DecryptionFailed``.
  Choices, max_length and blank validate the plain value as before.
- The empty string is stored as the empty string: it says only "not filled in", which the form
  shows anyway, and it keeps ``exclude(id_number="")`` and the partial unique index cheap.
- A value read from the database keeps its ciphertext (``StoredText``): saving the record again
  without changing it writes the same ciphertext, so the history triggers (pghistory, compared in
  SQL) see no change and record no new version. A value under an older key is re-encrypted with
  the current key when saved.
- The database cannot compare ciphertexts: every lookup on an encrypted field except
  ``isnull`` and ``= ""`` raises ``EncryptedLookupError`` at once, so that a forgotten query fails
  loudly instead of silently matching nothing. Look up by the blind index instead.
- ``EncryptedJSONField`` keeps a JSON value (a whole record, a list of guardians) as the
  encrypted JSON text, and reads it back as Python objects. It is encrypted afresh on every save
  (a dict can change in place, so there is no "unchanged" ciphertext to keep); no history trigger
  watches the tables that use it. Every lookup and key transform raises except ``isnull``.
- ``BlindIndexField(source=..., purpose=...)`` holds HMAC-SM3 of the normalised source value,
  computed whenever the record is saved or bulk-created (``pre_save``). ``save(update_fields=…)``
  (``BlindIndexedSaveMixin``), ``QuerySet.update`` and ``bulk_update`` (``BlindIndexedQuerySet``,
  the model's manager) add the index of a source they write.
"""

from __future__ import annotations

import json

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from xueji import crypto


class EncryptedLookupError(FieldError):
    """A query compared an encrypted column, which the database cannot do."""


class StoredText(str):
    """A decrypted value that remembers the ciphertext it was read from (and its column)."""

    stored: str = ""
    context: str = ""

    def __new__(cls, plain: str, stored: str, context: str):
        value = super().__new__(cls, plain)
        value.stored = stored
        value.context = context
        return value

    def __reduce__(self):
        return (StoredText, (str(self), self.stored, self.context))

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def normalize_id_number_key(value: str) -> str:
    """How an ID number is normalised for its blind index: no spaces, upper case (x → X)."""
    return "".join((value or "").split()).upper()


def normalize_code(value: str) -> str:
    return (value or "").strip()


NORMALIZERS = {"id_number": normalize_id_number_key, "code": normalize_code}


def blind_index_for(value: str, *, purpose: str, normalize: str = "id_number") -> str:
    """The blind index stored for a value ("" for an empty value, so that the partial unique index
    and ``exclude(<index>="")`` skip records without one)."""
    normalized = NORMALIZERS[normalize](value)
    return crypto.blind_index(normalized, purpose=purpose) if normalized else ""


class EmptyOnlyExact(Exact):
    """`= ""` is the only comparison an encrypted column answers (empty is stored as empty)."""

    def get_prep_lookup(self):
        # An expression (F, a subquery) would compare ciphertexts, which never match either.
        if hasattr(self.rhs, "resolve_expression") or self.rhs != "":
            raise EncryptedLookupError(_lookup_message(self.lhs.target, "exact"))
        return super().get_prep_lookup()


def _lookup_message(field, lookup_name: str) -> str:
    return (
        f"{field.model.__name__}.{field.name} is encrypted: the database cannot answer "
        f"'{lookup_name}' on it. Look it up by its blind index (xueji.encrypted_fields)."
    )


class EncryptedMixin:
    """Encrypt in get_prep_value, decrypt in from_db_value; the column is text."""

    def __init__(self, *args, context: str = "", **kwargs):
        self.context = context
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not self.context:
            # Set once by the model that declares the field; copies of the field (pghistory's event
            # models) carry it through deconstruct(), as their triggers copy the ciphertext as is.
            self.context = f"{cls._meta.db_table}.{self.column}"

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["context"] = self.context
        return name, path, args, kwargs

    def db_type(self, connection):
        return "text"

    def cast_db_type(self, connection):
        return "text"

    def get_internal_type(self):
        return "TextField"

    # `= ""` is the one exact lookup that needs no plain value: an empty value is stored empty.
    empty_lookup = True

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "df":
            # pgtrigger's IS DISTINCT FROM, of OLD and NEW in the history triggers: comparing two
            # stored ciphertexts of the same column is what "changed" means here.
            return super().get_lookup(lookup_name)
        if lookup_name == "exact" and self.empty_lookup:
            return EmptyOnlyExact
        raise EncryptedLookupError(_lookup_message(self, lookup_name))

    def get_transform(self, lookup_name):
        raise EncryptedLookupError(_lookup_message(self, lookup_name))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return StoredText(crypto.decrypt_text(value, context=self.context), value, self.context)

    def to_python(self, value):
        if isinstance(value, StoredText) or value is None:
            return value
        return super().to_python(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        value = str(value) if not isinstance(value, str) else value
        if value == "":
            return ""
        if (
            isinstance(value, StoredText)
            and value.context == self.context
            and crypto.key_id_of(value.stored) == crypto.keyring().current_id
        ):
            return value.stored  # unchanged: the same ciphertext, no new history version
        return crypto.encrypt_text(value, context=self.context)

    def value_to_string(self, obj):
        return str(self.value_from_object(obj) or "")


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField (max_length, choices validate the plain value) kept encrypted in a text column."""

    def _check_db_collation(self, databases):
        return []


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedJSONField(EncryptedMixin, models.JSONField):
    """A JSONField whose column holds the SM4-GCM ciphertext of the value's JSON text."""

    empty_lookup = False  # not even `= ""`: a JSON value is never stored empty

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(crypto.decrypt_text(value, context=self.context), cls=self.decoder)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or hasattr(value, "resolve_expression"):
            return value
        text = json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))
        return crypto.encrypt_text(text, context=self.context)

    def get_db_prep_value(self, value, connection, prepared=False):
        # Plain text for a text column, not JSONField's jsonb adapter.
        return value if prepared else self.get_prep_value(value)

    def value_to_string(self, obj):
        return self.value_from_object(obj)


class BlindIndexField(models.CharField):
    """HMAC-SM3 (hex) of the normalised value of ``source``, kept in step on save and bulk_create."""

    def __init__(self, *args, source: str = "", purpose: str = "", normalize: str = "id_number", **kwargs):
        self.source, self.purpose, self.normalize = source, purpose, normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose, normalize=self.normalize)
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index_for(getattr(model_instance, self.source), purpose=self.purpose, normalize=self.normalize)
        setattr(model_instance, self.attname, value)
        return value

    def lookup_value(self, value: str) -> str:
        """The index to look a plain value up by: ``filter(id_number_index=field.lookup_value(x))``."""
        return blind_index_for(value, purpose=self.purpose, normalize=self.normalize)


def blind_index_fields(model) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def encrypted_fields(model) -> list[EncryptedMixin]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def with_blind_indexes(model, update_fields):
    """update_fields plus the blind indexes of any source among them (for Model.save)."""
    if update_fields is None:
        return None
    update_fields = set(update_fields)
    for field in blind_index_fields(model):
        if field.source in update_fields:
            update_fields.add(field.name)
    return update_fields


def index_of(model, index_field: str, value: str) -> str:
    """The blind index of a plain value for ``model.<index_field>``: Pupil, "id_number_index", "…"."""
    return model._meta.get_field(index_field).lookup_value(value)


class BlindIndexedQuerySet(models.QuerySet):
    """``update(source=value)`` and ``bulk_update(objs, [source])`` also write the blind index of
    that source (neither calls ``pre_save``). An update by an expression cannot be indexed and
    is refused."""

    def update(self, **kwargs):
        for field in blind_index_fields(self.model):
            if field.source in kwargs and field.name not in kwargs:
                value = kwargs[field.source]
                if hasattr(value, "resolve_expression"):
                    raise EncryptedLookupError(
                        f"{self.model.__name__}.{field.source} has a blind index: update it with a value, not an expression."
                    )
                kwargs[field.name] = field.lookup_value(value)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        fields = list(fields)
        for field in blind_index_fields(self.model):
            if field.source in fields and field.name not in fields:
                for obj in objs:
                    field.pre_save(obj, add=False)
                fields.append(field.name)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class BlindIndexedSaveMixin:
    """A model whose save(update_fields=[source]) also writes the blind index of that source."""

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = with_blind_indexes(type(self), kwargs["update_fields"])
        return super().save(*args, **kwargs)
