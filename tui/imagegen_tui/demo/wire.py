"""What the demo server's conductor and its personalities share about a request on the wire:
the refusal a server answers with, and the parts of a multipart form."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser


class Refused(Exception):
    """What the server would refuse, as its error names it: OpenAI's `param` and `code`, and
    the status (400, or 422 where a FastAPI server's validation refuses a body field)."""

    def __init__(self, param: str | None, message: str, code: str | None = "invalid_value", status: int = 400) -> None:
        super().__init__(message)
        self.param, self.message, self.code, self.status = param, message, code, status


@dataclass(frozen=True)
class FormPart:
    """One part of a multipart/form-data body: a field (`filename` None) or a file."""

    name: str
    filename: str | None
    content_type: str
    data: bytes

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def parse_form(content_type: str, raw: bytes) -> list[FormPart]:
    """A multipart/form-data body, read by the standard library's MIME parser (a form is a
    MIME multipart message under the request's Content-Type). Refused when it is not one."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise Refused(None, f"Invalid Content-Type header ({content_type or 'none'}); expected multipart/form-data.", "invalid_content_type")
    message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    if not message.is_multipart() or message.defects:
        raise Refused(None, "We could not parse the multipart/form-data body of your request.", "invalid_multipart")
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise Refused(None, "A part of the form has no name.", "invalid_multipart")
        parts.append(FormPart(name, part.get_filename(), part.get_content_type(), part.get_payload(decode=True) or b""))
    return parts
