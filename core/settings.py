"""Every setting PaperBot reads, from the environment and `.env`, validated in one place.

Names follow the ecosystem where one exists (DISCORD_TOKEN, OPENAI_API_KEY, OPENAI_BASE_URL) so that a
`.env` written for another bot or for the openai client works here unchanged.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.envfile import env_file_errors
from core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "data" / "corpus"
DEV_QUESTIONS = PROJECT_ROOT / "data" / "eval" / "dev-questions.jsonl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Discord
    discord_token: SecretStr | None = None
    discord_guild_id: int | None = Field(default=None, description="sync commands to this guild only")
    discord_sharded: bool = False

    # LLM (any OpenAI-compatible endpoint). With no base URL and no key, answers are extractive.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    llm_max_answer_tokens: int = Field(default=600, ge=16, le=32_768)
    llm_context_window: int = Field(default=16_384, ge=256, le=2_000_000)
    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    llm_retries: int = Field(default=2, ge=0, le=10)
    llm_max_concurrency: int = Field(default=4, ge=1, le=256)
    llm_stream: bool = True

    # Embeddings: the bundled ONNX MiniLM unless an OpenAI-compatible embeddings endpoint is chosen.
    embedding_backend: Literal["local", "openai"] = "local"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None

    # Chroma: embedded on disk under DATA_DIR unless a server host is set.
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65_535)
    chroma_collection: str = "papers"

    data_dir: Path = Path("./data")
    prompts_dir: Path | None = None

    # Retrieval
    search_default_k: int = Field(default=10, ge=1, le=100)
    max_question_chars: int = Field(default=2_000, ge=50, le=100_000)

    # Discord fairness
    user_cooldown_seconds: float = Field(default=10.0, ge=0, le=3_600)
    conversation_turns: int = Field(default=6, ge=0, le=50)

    # Digest
    digest_grace_hours: float = Field(default=6.0, ge=0, le=24)
    digest_new_days: int | None = Field(
        default=None, ge=1, le=3_650,
        description="papers listed within this many days count as new; unset: every unposted paper is new",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_format: Literal["text", "json"] = "text"

    @field_validator("openai_base_url", "embedding_base_url", "chroma_host", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("discord_token", "openai_api_key", "embedding_api_key", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("discord_guild_id", "digest_new_days", mode="before")
    @classmethod
    def _blank_id_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def llm_configured(self) -> bool:
        """An endpoint is configured when a base URL or an API key (for api.openai.com) is set."""
        return self.openai_base_url is not None or self.openai_api_key is not None

    @cached_property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @cached_property
    def state_db(self) -> Path:
        return self.data_dir / "state.sqlite3"


def _describe(error: dict[str, object]) -> str:
    loc = error.get("loc") or ()
    name = str(loc[0]).upper() if isinstance(loc, tuple) and loc else "setting"
    msg = str(error.get("msg", "invalid value"))
    ctx = error.get("ctx")
    if isinstance(ctx, dict) and "expected" in ctx:
        msg = f"expected {ctx['expected']}"
    return f"{name}: {msg}"


def env_file_path() -> Path:
    """The `.env` file settings are read from (python-dotenv would skip its unparsable lines silently)."""
    configured = Settings.model_config.get("env_file") or ".env"
    first = configured[0] if isinstance(configured, list | tuple) else configured
    return Path(str(first))


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value (or a `.env` line that does not parse) raises ConfigError naming it."""
    problems = env_file_errors(env_file_path())
    if problems:
        raise ConfigError("; ".join(problems))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [_describe(dict(e)) for e in exc.errors()]
        raise ConfigError("invalid setting " + "; ".join(lines)) from None
