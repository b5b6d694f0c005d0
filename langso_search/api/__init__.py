"""API: the HTTP service (FastAPI), the web page, the widget, typed models and bilingual errors.

``langso_search.api:create_app`` is the uvicorn factory; the package's modules:
``app`` (factory, lifespan, middleware wiring), ``errors``, ``schemas``, ``checks``, ``convert``, ``deps``,
``middleware``, ``response_cache`` and ``routes/`` (one module per domain).
"""

from .app import create_app
from .convert import hit_model, item_dict
from .errors import ApiError
from .schemas import PlatformRef, RecommendResponse, SearchHit, SearchResponse

__all__ = ["ApiError", "PlatformRef", "RecommendResponse", "SearchHit", "SearchResponse", "create_app",
           "hit_model", "item_dict"]
