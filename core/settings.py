"""Every setting PaperBot reads, from the environment and `.env`, grouped by concern and validated in one place.

Each concern is a section class; `Settings` combines them by inheritance, so a setting is read flat
(`settings.llm_model`) from a flat variable (`LLM_MODEL`) while the sections document the groups and render
.env.example (`paperbot config --example`). Names follow the ecosystem where one exists (DISCORD_TOKEN,
OPENAI_API_KEY, OPENAI_BASE_URL) so that a `.env` written for another bot or for the openai client works here.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError, PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.envfile import env_file_errors
from core.errors import ConfigError
from core.resources import BUNDLED_CORPUS, DEV_QUESTIONS, GENERALISATION_QUESTIONS

__all__ = ["BUNDLED_CORPUS", "DEV_QUESTIONS", "GENERALISATION_QUESTIONS", "SECTIONS", "Settings", "env_file_path",
           "env_files", "load_settings", "paperbot_home"]


def paperbot_home() -> Path:
    """$PAPERBOT_HOME, else the XDG data folder (~/.local/share/paperbot): never the current directory."""
    explicit = os.environ.get("PAPERBOT_HOME", "").strip()
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share").absolute() / "paperbot"


def env_files() -> tuple[Path, ...]:
    """The `.env` files read, later ones winning: PAPERBOT_HOME's, then the current directory's."""
    return (paperbot_home() / ".env", Path(".env"))


def _http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("http_url", "expected an http(s) URL such as http://127.0.0.1:11434/v1")
    return value.strip()


HttpUrl = Annotated[str | None, AfterValidator(_http_url)]


class _Section(BaseModel):
    """What every section shares: an empty variable (`OPENAI_BASE_URL=`) means unset, the setting keeps its default."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault()  # `DATA_DIR=` is no folder named "", `LLM_MODEL=` no model named ""
        return value


class DiscordSettings(_Section):
    """Discord"""

    discord_token: SecretStr | None = Field(
        default=None, examples=[""],
        description="Bot token from https://discord.com/developers/applications -> your app -> Bot -> Reset "
                    "Token. Without it, `paperbot run` starts the local console instead of connecting to Discord.")
    discord_guild_id: int | None = Field(
        default=None, examples=[123456789012345678],
        description="Sync slash commands to this server only (instant, for development); unset: global sync "
                    "(can take an hour).")
    discord_sharded: bool = Field(
        default=False, description="Use discord.py's AutoShardedBot (only needed in thousands of servers).")


class LLMSettings(_Section):
    """LLM: any OpenAI-compatible chat-completions endpoint"""

    openai_api_key: SecretStr | None = Field(
        default=None, examples=["sk-..."],
        description="API key. Unset together with OPENAI_BASE_URL: extractive answers, no LLM. Key only: "
                    "api.openai.com.")
    openai_base_url: HttpUrl = Field(
        default=None, examples=["http://127.0.0.1:11434/v1"],
        description="Base URL of the endpoint (Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1, "
                    "llama.cpp http://127.0.0.1:8080/v1). Base URL only: a local server with no key.")
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name as the endpoint knows it.")
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0, description="Sampling temperature of answers.")
    llm_max_answer_tokens: int = Field(
        default=600, ge=16, le=32_768,
        description="Tokens reserved for the answer: the prompt never exceeds LLM_CONTEXT_WINDOW minus this.")
    llm_context_window: int = Field(default=16_384, ge=256, le=2_000_000,
                                    description="The model's context window, in tokens.")
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, le=600,
        description="Seconds one LLM call may take in all, retries included, before it is abandoned.")
    llm_retries: int = Field(
        default=2, ge=0, le=10,
        description="Retries on 429 / 5xx / failed connections (the openai client's, honouring Retry-After).")
    llm_max_concurrency: int = Field(
        default=4, ge=1, le=256,
        description="At most this many LLM calls at once, across all users (Discord users beyond it are asked "
                    "to retry).")
    llm_stream: bool = Field(
        default=True, description="Stream answers (the bot edits its reply as text arrives, about once a second).")
    answer_max_messages: int = Field(
        default=3, ge=1, le=10,
        description="At most this many Discord messages per answer; a longer answer is cut at a sentence and "
                    "attached whole.")
    llm_price_per_1k_input: float | None = Field(
        default=None, ge=0, examples=["0.00015"],
        description="Price of 1,000 prompt tokens of LLM_MODEL in US dollars; with the output price set, LLM "
                    "answers show their cost beside their tokens.")
    llm_price_per_1k_output: float | None = Field(
        default=None, ge=0, examples=["0.0006"],
        description="Price of 1,000 answer (completion) tokens of LLM_MODEL in US dollars.")
    rerank_candidates: int = Field(
        default=0, ge=0, le=30,
        description="With an endpoint set: the LLM reorders this many top search candidates before /ask packs "
                    "its sources and before /search lists them (one extra call of about 60 tokens a candidate; "
                    "on any failure the search's own order stands). 0: off.")
    rerank_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60,
        description="Seconds the rerank call may take (one attempt, no retry) before the search's order is used.")

    @property
    def llm_configured(self) -> bool:
        """An endpoint is configured when a base URL or an API key (for api.openai.com) is set."""
        return self.openai_base_url is not None or self.openai_api_key is not None

    @property
    def rerank_enabled(self) -> bool:
        """The LLM reorders search candidates: an endpoint is set and RERANK_CANDIDATES is not 0."""
        return self.llm_configured and self.rerank_candidates > 0


class EmbeddingSettings(_Section):
    """Embeddings (changing the model requires `paperbot ingest --rebuild`)"""

    embedding_backend: Literal["local", "openai"] = Field(
        default="local",
        description="local: the bundled all-MiniLM-L6-v2 (ONNX, offline); openai: an OpenAI-compatible "
                    "/v1/embeddings endpoint.")
    embedding_model: str = Field(default="all-MiniLM-L6-v2",
                                 description="Embedding model name (used by the openai backend).")
    embedding_base_url: HttpUrl = Field(default=None, examples=[""],
                                        description="Embeddings endpoint; unset: OPENAI_BASE_URL.")
    embedding_api_key: SecretStr | None = Field(default=None, examples=[""],
                                                description="Embeddings API key; unset: OPENAI_API_KEY.")


class ChromaSettings(_Section):
    """Chroma: embedded on disk under DATA_DIR unless a server host is set"""

    chroma_host: str | None = Field(
        default=None, examples=["127.0.0.1"],
        description="Chroma server host (e.g. `chroma run --host 127.0.0.1 --port 8000`); unset: the embedded "
                    "store under DATA_DIR/index.")
    chroma_port: int = Field(default=8000, ge=1, le=65_535, description="Chroma server port.")
    chroma_collection: str = Field(default="papers", description="Collection holding the paper vectors.")


class PathSettings(_Section):
    """Files"""

    paperbot_home: Path = Field(
        default_factory=paperbot_home, examples=["~/.local/share/paperbot"],
        description="PaperBot's home: its .env is read (before ./.env) and DATA_DIR defaults to its data/ "
                    "folder. Set it in the environment (a .env cannot say where to find itself). Unset: "
                    "$XDG_DATA_HOME/paperbot, else ~/.local/share/paperbot; `make run` sets it to the checkout.")
    data_dir: Path = Field(
        default_factory=lambda data: Path(data["paperbot_home"]) / "data", examples=["/var/lib/paperbot"],
        description="Where the index (DATA_DIR/index) and the bot's state (DATA_DIR/state.sqlite3) live; "
                    "unset: PAPERBOT_HOME/data.")
    prompts_dir: Path | None = Field(
        default=None, examples=["./my-prompts"],
        description="A folder of prompt templates overriding the bundled ones file by file.")

    @field_validator("paperbot_home", "data_dir", "prompts_dir")
    @classmethod
    def _expand_user(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @cached_property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @cached_property
    def state_db(self) -> Path:
        return self.data_dir / "state.sqlite3"


class RetrievalSettings(_Section):
    """Retrieval"""

    search_default_k: int = Field(default=10, ge=1, le=100, description="Papers a search lists by default.")
    max_question_chars: int = Field(default=2_000, ge=50, le=100_000,
                                    description="Longer questions are truncated, with a notice.")
    max_abstract_chars: int = Field(
        default=20_000, ge=1_000, le=1_000_000,
        description="Ingest cuts a longer abstract at a sentence end, with a warning naming the paper.")


class FairnessSettings(_Section):
    """Discord fairness"""

    user_cooldown_seconds: float = Field(default=10.0, ge=0, le=3_600,
                                         description="Seconds a user waits between two questions to the bot.")
    conversation_turns: int = Field(default=6, ge=0, le=50,
                                    description="Earlier turns remembered in DMs and threads.")


class DigestSettings(_Section):
    """Daily digest"""

    digest_grace_hours: float = Field(
        default=6.0, ge=0, le=24,
        description="A digest missed while the bot was down is posted on start if at most this many hours late "
                    "(same UTC day).")
    digest_new_days: int | None = Field(
        default=None, ge=1, le=3_650, examples=[""],
        description="Papers listed within this many days count as new; unset: every paper not yet posted.")


class FetchSettings(_Section):
    """New papers: `paperbot fetch`, and the running bot once a day"""

    fetch_sources: str = Field(
        default="hf", examples=["hf,arxiv"],
        description="Sources, comma-separated: hf (Hugging Face Daily Papers: curated, ~50 a day, with upvotes "
                    "and code links), arxiv (every new submission in ARXIV_CATEGORIES: hundreds a day).")
    arxiv_categories: str = Field(default="cs.CL,cs.LG,cs.CV",
                                  description="arXiv categories fetched, comma-separated.")
    hf_base_url: str = Field(default="https://huggingface.co",
                             description="Hugging Face base URL (a mirror, or a test server).")
    arxiv_base_url: str = Field(default="https://export.arxiv.org",
                                description="arXiv export API base URL (a mirror, or a test server).")
    arxiv_delay_seconds: float = Field(default=3.0, ge=0, le=60,
                                       description="Seconds between two arXiv requests (arXiv asks for 3).")
    arxiv_page_size: int = Field(default=200, ge=1, le=2_000, description="Results per arXiv request.")
    fetch_timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Seconds one request may take.")
    fetch_retries: int = Field(default=3, ge=0, le=10,
                               description="Retries on 429 / 5xx / timeouts, honouring Retry-After.")
    fetch_backoff_seconds: float = Field(default=5.0, ge=0, le=600,
                                         description="First wait before a retry; doubles each time.")
    fetch_max_page_mb: float = Field(default=20.0, gt=0, le=1_000,
                                     description="A page larger than this is abandoned unread.")
    fetch_backfill_days: int = Field(
        default=7, ge=1, le=365,
        description="A fetch without --date/--since resumes at each source's last fetched day, at most this "
                    "many days back.")
    fetch_daily: bool = Field(default=True, description="The running bot fetches and ingests once a day.")
    fetch_time: str | None = Field(
        default=None, examples=["08:00"],
        description="UTC time of the bot's daily fetch (HH:MM); unset: one hour before the earliest digest.")

    @field_validator("fetch_sources")
    @classmethod
    def _known_sources(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in ("hf", "arxiv")]
        if unknown:
            raise ValueError(f"unknown source {unknown[0]!r}: expected a comma-separated list of hf, arxiv")
        return ",".join(dict.fromkeys(names))

    @field_validator("fetch_time")
    @classmethod
    def _clock_time(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("expected a UTC time as HH:MM, e.g. 08:00")
        return value.strip() if value is not None else None

    @property
    def fetch_source_list(self) -> list[str]:
        return [n for n in self.fetch_sources.split(",") if n]

    @property
    def arxiv_category_list(self) -> list[str]:
        return [c.strip() for c in self.arxiv_categories.split(",") if c.strip()]


class RetentionSettings(_Section):
    """Stored data"""

    retention_days: int = Field(
        default=30, ge=1, le=3_650,
        description="Questions, answers (with their votes), conversation turns and searches older than this many "
                    "days are deleted, daily at 03:30 UTC. `/forget-me` or `paperbot forget USER_ID` deletes one "
                    "user's at once.")


class LogSettings(_Section):
    """Logs"""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="WARNING",
                                                                     description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["text", "json"] = Field(default="text", description="text, or json (one object a line).")


SECTIONS: tuple[type[_Section], ...] = (DiscordSettings, LLMSettings, EmbeddingSettings, ChromaSettings,
                                        PathSettings, RetrievalSettings, FairnessSettings, DigestSettings,
                                        FetchSettings, RetentionSettings, LogSettings)


class Settings(LogSettings, RetentionSettings, FetchSettings, DigestSettings, FairnessSettings, RetrievalSettings,
               PathSettings, ChromaSettings, EmbeddingSettings, LLMSettings, DiscordSettings, BaseSettings):
    """All sections together: one flat namespace, one variable per field (its name in upper case)."""

    model_config = SettingsConfigDict(
        env_file=env_files(), env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )


def _describe(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ()
    name = str(loc[0]).upper() if isinstance(loc, tuple) and loc else "setting"
    msg = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx")
    if isinstance(ctx, dict) and "expected" in ctx:
        msg = f"expected {ctx['expected']}"
    return f"{name}: {msg}"


def env_file_path() -> Path:
    """The `.env` file that wins (the current directory's, else PAPERBOT_HOME's), for reports naming one."""
    existing = [path for path in env_files() if path.is_file()]
    return existing[-1] if existing else env_files()[-1]


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value (or a `.env` line that does not parse) raises ConfigError naming it."""
    problems = [problem for path in env_files() for problem in env_file_errors(path)]
    if problems:
        raise ConfigError("; ".join(problems))
    overrides.setdefault("_env_file", env_files())  # PAPERBOT_HOME as it is now, not at import
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        # A default computed from another setting is not computed once any setting failed: not worth a line.
        lines = [_describe(dict(e)) for e in exc.errors() if e["type"] != "default_factory_not_called"]
        raise ConfigError("invalid setting " + "; ".join(lines)) from None
