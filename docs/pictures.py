"""Draw docs/img/*.png from PaperBot's real output: the /ask embed, a digest embed and the terminal.

The embeds come from the bot's own render functions (`embed.to_dict()`) over an extractive answer and a
digest preview from the index in DATA_DIR; each is drawn as an HTML page in Discord's dark style and
screenshotted with headless Chromium. Run it with `make pictures`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# The pictures show the extractive answer a fresh install gives, whatever this machine's .env configures.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "CHROMA_HOST", "DISCORD_TOKEN"):
    os.environ.pop(_var, None)

from app import ask  # noqa: E402
from app.digests import preview  # noqa: E402
from app.wiring import App  # noqa: E402
from bot.exts.digest._render import digest_messages  # noqa: E402
from bot.render import answer_messages  # noqa: E402
from core.settings import Settings  # noqa: E402
from paperbot.cli.ask_cmd import answer_text  # noqa: E402

OUT = Path(__file__).resolve().parent / "img"
QUESTION = "how do I make CLIP handle long captions?"
DIGEST_DAY = dt.date(2026, 11, 22)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #313338; color: #dbdee1; font: 15px/1.375 "gg sans", "Noto Sans", "DejaVu Sans",
  sans-serif; padding: 16px 16px 24px 16px; width: {width}px; }}
.msg {{ display: flex; gap: 16px; }} .avatar {{ width: 40px; height: 40px; border-radius: 50%; background: #5865f2;
  color: #fff; display: flex; align-items: center; justify-content: center; font-size: 20px; flex: none; }}
.name {{ color: #f2f3f5; font-weight: 600; }} .app {{ background: #5865f2; color: #fff; font-size: 10px;
  border-radius: 3px; padding: 1px 4px; margin-left: 4px; vertical-align: 2px; }}
.time {{ color: #949ba4; font-size: 12px; margin-left: 6px; }} .cmd {{ color: #949ba4; font-size: 13px; margin:
  0 0 4px 56px; }} .cmd b {{ color: #00a8fc; font-weight: 500; }}
.embed {{ background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 16px 12px;
  margin-top: 6px; max-width: 520px; }}
.title {{ color: #f2f3f5; font-weight: 600; margin-top: 8px; }} .desc {{ margin-top: 8px; font-size: 14px; }}
.fname {{ color: #f2f3f5; font-weight: 600; font-size: 14px; margin-top: 8px; }} .fval {{ font-size: 14px; }}
.footer {{ color: #b5bac1; font-size: 12px; margin-top: 8px; }} a {{ color: #00a8fc; text-decoration: none; }}
pre {{ margin: 0; font: 13px/1.45 "DejaVu Sans Mono", monospace; white-space: pre-wrap; color: #e6e6e6; }}
.term {{ background: #1e1e1e; border-radius: 8px; padding: 14px 18px; }} .prompt {{ color: #7ee787; }}
</style></head><body>{body}</body></html>"""


def markdown(text: str) -> str:
    """The little Discord markdown the render functions emit: bold, italics, links, small text, escapes."""
    # Emoji are left out: the machines that draw these have no colour-emoji font, and a box looks broken.
    out = html.escape(re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]\ufe0f? ?", "", text), quote=False)
    out = re.sub(r"\[([^\]]+)\]\((?:&lt;)?(https?://[^)\s]+?)(?:&gt;)?\)", r'<a href="\2">\1</a>', out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\\*])\*(?!\s)(.+?)(?<!\s)\*", r"<i>\1</i>", out)
    out = re.sub(r"\\([\\*_~`|>\[\]()#.-])", r"\1", out)
    out = re.sub(r"(?m)^-# (.*)$", r'<span class="footer">\1</span>', out)
    return out.replace("\n", "<br>")


def embed_html(embed: dict[str, Any]) -> str:
    parts = [f'<div class="embed" style="border-color: #{embed.get("color", 0):06x}">']
    if embed.get("title"):
        parts.append(f'<div class="title">{markdown(embed["title"])}</div>')
    if embed.get("description"):
        parts.append(f'<div class="desc">{markdown(embed["description"])}</div>')
    for field in embed.get("fields", []):
        parts.append(f'<div class="fname">{markdown(field["name"])}</div><div class="fval">'
                     f'{markdown(field["value"])}</div>')
    if embed.get("footer"):
        parts.append(f'<div class="footer">{html.escape(embed["footer"]["text"])}</div>')
    return "".join(parts) + "</div>"


def message_html(embeds: list[dict[str, Any]], command: str) -> str:
    return (f'<div class="cmd">↱ <b>Ada</b> used <b>{html.escape(command)}</b></div><div class="msg">'
            '<div class="avatar">P</div><div><span class="name">PaperBot</span><span class="app">APP</span>'
            f'<span class="time">Today at 09:00</span>{"".join(embed_html(e) for e in embeds)}</div></div>')


def screenshot(page: str, name: str, width: int) -> None:
    """Render the page in headless Chromium, then cut the empty background below the content."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="paperbot-pictures-") as tmp:
        file = Path(tmp) / "page.html"
        file.write_text(page, encoding="utf-8")
        raw = Path(tmp) / "shot.png"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={tmp}/profile", f"--screenshot={raw}",
                        f"--window-size={width + 32},2400", file.as_uri()],
                       check=True, capture_output=True, timeout=120)
        image = Image.open(raw).convert("RGB")
        background = image.getpixel((image.width - 1, image.height - 1))
        bottom = image.height
        while bottom > 1 and all(image.getpixel((x, bottom - 1)) == background for x in range(0, image.width, 4)):
            bottom -= 1
        image = image.crop((0, 0, image.width, min(image.height, bottom + 24)))
        target = OUT / name
        image.quantize(colors=128).save(target, optimize=True)
        print(f"{target}: {image.width}x{image.height}, {target.stat().st_size // 1024} KB")


async def main() -> int:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    if not (settings.data_dir / "index").is_dir():
        print(f"no index in {settings.data_dir}: run `paperbot ingest` first", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    app = App(settings)
    try:
        answer = await ask.answer(app, ask.question(app, QUESTION))
        digest = await preview(app.retriever, app.digest_writer, day=DIGEST_DAY, size=6,
                               topics="long context, preference optimization",
                               new_days=settings.digest_new_days)
    finally:
        await app.close_engine()
    answer_embeds = [e.to_dict() for m in answer_messages(answer, llm_model=settings.llm_model) for e in m.embeds]
    screenshot(PAGE.format(width=600, body=message_html(answer_embeds, "/ask")), "ask.png", 600)
    digest_embeds = [e.to_dict() for m in digest_messages(digest) for e in m.embeds]
    screenshot(PAGE.format(width=600, body=message_html(digest_embeds, "/digest now")), "digest.png", 600)
    timing = re.compile(r" · \d+\.\d\d s$", re.M)  # as in the README example: no run-dependent time
    terminal = (f'<div class="term"><pre><span class="prompt">$</span> paperbot ask "{html.escape(QUESTION)}"\n'
                f'{html.escape(timing.sub("", answer_text(answer, settings)))}</pre></div>')
    screenshot(PAGE.format(width=820, body=terminal), "console.png", 820)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
