"""`paperbot doctor` checks of the services PaperBot talks to: Chroma (embedded or server) and the LLM endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.health import Check, fail, ok, warn
from core.settings import Settings

if TYPE_CHECKING:
    import openai

PROBE_TIMEOUT_SECONDS = 5.0


def check_chroma(settings: Settings) -> Check:
    from core.errors import IndexMissingError, ModelMismatchError, StoreUnavailableError
    from retrieval.catalog import Catalog
    from retrieval.index import catalog_path, model_identity
    from retrieval.store import VectorStore, chroma_version, describe

    where = describe(settings)
    fix_server = (f"start the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                  "(`docker compose up -d chroma`), or unset CHROMA_HOST to use the embedded store")
    if not settings.chroma_host and not catalog_path(settings).exists():
        return warn("chroma", f"{where}: no index yet", "run `paperbot ingest`")  # opening it would create it
    try:
        version = chroma_version(settings)
    except StoreUnavailableError as exc:
        return fail("chroma", str(exc), fix_server if settings.chroma_host else "check DATA_DIR permissions")
    if not catalog_path(settings).exists():
        return warn("chroma", f"{where}, version {version}: no index yet", "run `paperbot ingest`")
    catalog = Catalog(catalog_path(settings))
    try:
        papers, dimension = catalog.count(), int(catalog.info("dimension") or 0)
    finally:
        catalog.close()
    name, known_dim = model_identity(settings)
    try:
        store = VectorStore.open(settings, name, dimension or known_dim or 0)
    except IndexMissingError:
        return fail("chroma", f"{where}, version {version}: no collection {settings.chroma_collection!r}, "
                    f"but the catalog lists {papers:,} papers", "run `paperbot ingest --rebuild`")
    except ModelMismatchError as exc:
        return fail("chroma", f"{where}: {exc}", "run `paperbot ingest --rebuild`")
    count = store.count()
    if count != papers:
        return fail("chroma", f"{where}: {count:,} vectors but {papers:,} papers in the catalog",
                    "run `paperbot ingest` (or `--rebuild` if the store was replaced)")
    return ok("chroma", f"{where}, version {version}, {count:,} vectors = catalog")


def check_llm(settings: Settings, deep: bool = False) -> Check:
    if not settings.llm_configured:
        return ok("llm", "not configured: answers are extractive (set OPENAI_BASE_URL or OPENAI_API_KEY for an LLM)")
    import openai

    from answer.llm import DEFAULT_BASE_URL, PLACEHOLDER_KEY

    base_url = settings.openai_base_url or DEFAULT_BASE_URL
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else PLACEHOLDER_KEY
    with openai.OpenAI(api_key=key, base_url=base_url, timeout=PROBE_TIMEOUT_SECONDS, max_retries=0) as client:
        return _probe_llm(client, base_url, settings.llm_model, deep)


def _probe_llm(client: openai.OpenAI, base_url: str, model: str, deep: bool) -> Check:
    import openai

    try:
        listed = [m.id for m in client.models.list()]
    except openai.AuthenticationError:
        return fail("llm", f"{base_url} refused the API key", "set a valid OPENAI_API_KEY")
    except openai.APIConnectionError as exc:
        return fail("llm", f"cannot reach {base_url} ({type(exc).__name__})",
                    "start the LLM server or correct OPENAI_BASE_URL; unset it for extractive answers")
    except openai.APIError as exc:
        return fail("llm", f"{base_url} answered an error listing models: {str(exc)[:120]}",
                    "check OPENAI_BASE_URL points at an OpenAI-compatible /v1 endpoint")
    if listed and model not in listed:
        shown = ", ".join(listed[:5]) + (" ..." if len(listed) > 5 else "")
        return fail("llm", f"model {model!r} is not served by {base_url} (it lists {shown})",
                    "set LLM_MODEL to one of the listed models")
    detail = f"{base_url}, model {model} listed"
    if deep:
        try:
            reply = client.chat.completions.create(model=model, max_tokens=1,
                                                   messages=[{"role": "user", "content": "Say OK."}])
        except openai.APIError as exc:
            return fail("llm", f"{base_url} failed a one-token completion: {str(exc)[:120]}",
                        "check the server's log; LLM_MODEL must be a chat model")
        if not reply.choices:
            return fail("llm", f"{base_url} returned no choices for a completion", "check the server's log")
        detail += ", a one-token completion works"
    return ok("llm", detail)
