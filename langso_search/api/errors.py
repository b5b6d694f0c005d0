"""Errors the user can act on, in Vietnamese and English: ``{"error": {"code", "message_vi", "message_en"}}``.

Every error the API answers goes through :func:`error_response`; each exception kind has one handler.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the user can act on, in Vietnamese and English."""

    def __init__(self, status: int, code: str, message_vi: str, message_en: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message_vi, self.message_en = status, code, message_vi, message_en
        self.headers = headers


def not_found() -> ApiError:
    """The one bilingual 404 for an unknown address."""
    return ApiError(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")


def unknown_item(item_id: str | None) -> ApiError:
    return ApiError(404, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.")


def error_response(status: int, code: str, vi: str, en: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message_vi": vi, "message_en": en}}, status_code=status,
                        headers=headers)


class ErrorDetail(BaseModel):
    code: str
    message_vi: str
    message_en: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad input"},
    404: {"model": ErrorResponse, "description": "Unknown id"},
    413: {"model": ErrorResponse, "description": "Query or body too long"},
    422: {"model": ErrorResponse, "description": "Invalid parameter"},
    503: {"model": ErrorResponse, "description": "Index not ready"},
}


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message_vi, exc.message_en, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path"))
    msg = first.get("msg", "invalid input")
    return error_response(422, "invalid_input", f"Tham số không hợp lệ: {where or 'dữ liệu'} ({msg}).",
                          f"Invalid input: {where or 'request'}: {msg}.")


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        e = not_found()
        return error_response(404, e.code, e.message_vi, e.message_en)
    if exc.status_code == 405:
        # RFC 9110 §15.5.6: a 405 names the methods the resource does support
        return error_response(405, "method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed.",
                              headers=exc.headers)
    return error_response(exc.status_code, "http_error", "Yêu cầu không hợp lệ.", str(exc.detail))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error")
    return error_response(500, "internal", "Có lỗi ở máy chủ, vui lòng thử lại.", "Internal error; please retry.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
