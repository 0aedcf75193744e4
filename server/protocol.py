"""JSON-RPC as a robust server speaks it: every bad message from the client gets an answer, never a popup.

pygls' defaults answer some client mistakes with nothing, a traceback in the log and an "Error in server" message
box. `CnikitProtocol` answers them as JSON-RPC says instead:

* a request whose params do not match the method (`textDocument/hover` without `position`) → `-32602` with the
  request's id, naming what is wrong; a notification with bad params is dropped with one log line;
* a body that is not JSON → `-32700` (id null); JSON that is not a JSON-RPC message → `-32600`;
* `didChange` for a document never opened is ignored (one log line) instead of failing on a missing buffer;
* an expected error of a request (`JsonRpcException`: bad arguments, not logged in, …) is answered with one log line
  and no traceback; any other exception is a bug and keeps its traceback;
* `$/cancelRequest` for a request already answered (the client cancels lazily) is not worth a warning.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any
from urllib.parse import unquote

from cattrs import transform_error
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)


class _Answered:
    """A message already answered (or dropped) while it was read: nothing more to do with it."""


ANSWERED = _Answered()


class CnikitProtocol(LanguageServerProtocol):
    """pygls' language server protocol, answering malformed input instead of failing on it."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Read one message (the JSON object hook); a request or notification with malformed params is answered
        (or dropped) here, where its id is still known."""
        method = data.get("method") if "jsonrpc" in data else None
        message_type = self.get_message_type(method) if isinstance(method, str) else None
        if message_type is None:  # responses, unknown methods, nested objects: pygls' own way
            return super().structure_message(data)
        try:
            return self._converter.structure(data, message_type)
        except Exception as error:
            problems = "; ".join(transform_error(error, path="message"))
            reason = f"invalid params for {method}: {problems}"
            if "id" in data:
                self._send_response(data["id"], error=JsonRpcInvalidParams(reason).to_response_error())
            log.warning("%s (%s)", reason, "answered -32602" if "id" in data else "notification dropped")
            return ANSWERED

    def handle_message(self, message: Any) -> None:
        """Dispatch a message; one answered while read is done, and JSON that is no JSON-RPC message gets -32600."""
        if message is ANSWERED:
            return
        if not hasattr(message, "jsonrpc"):
            log.warning("not a JSON-RPC message, answered -32600: %.200s", message)
            self._answer_unknown_id(JsonRpcInvalidRequest("not a JSON-RPC message"))
            return
        super().handle_message(message)

    def answer_parse_error(self, error: ValueError) -> None:
        """The client sent a body that is not JSON (or not UTF-8): answer -32700 (the id is unknown, so null)."""
        log.warning("the client sent invalid JSON, answered -32700: %s", error)
        self._answer_unknown_id(JsonRpcParseError(f"invalid JSON: {error}"))

    def _answer_unknown_id(self, error: JsonRpcException) -> None:
        # A plain dict: the lsprotocol converter would drop `"id": null`, which JSON-RPC requires here.
        response = {"jsonrpc": "2.0", "id": None, "error": self._converter.unstructure(error.to_response_error())}
        self._send_data(response)

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        # An expected failure (a JsonRpcException the feature raised on purpose) is answered without a traceback.
        error = None if future.cancelled() else future.exception()
        if isinstance(error, JsonRpcException):
            self._request_futures.pop(msg_id, None)
            log.info("request %s answered with error %s: %s", msg_id, error.code, error.message)
            self._send_response(msg_id, error=error.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        if msg_id not in self._request_futures:
            log.debug("cancel for request %s, already answered", msg_id)  # routine: clients cancel lazily
            return
        super()._handle_cancel_notification(msg_id)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        """Apply the change to the open buffer; a change to a document never opened is ignored."""
        if unquote(params.text_document.uri) not in self.workspace.text_documents:  # pygls keys them unquoted
            log.info("didChange for %s, which was never opened: ignored", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)


class QuietParseErrors(logging.Filter):
    """Drops pygls' traceback for a body that is not JSON: `answer_parse_error` logs it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for pygls' "Unable to handle message" record of a ValueError (a parse error, not a bug)."""
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, Exception) and is_parse_error(error))


def is_parse_error(error: Exception) -> bool:
    """Whether an error of pygls' read loop means the client's body was not JSON (ValueError: JSON, UTF-8)."""
    return isinstance(error, ValueError) and not isinstance(error, JsonRpcException)
