"""Regenerate corpus.txt: the prose of RNN Lab's own lessons, as plain ASCII text.

The lessons listed in SOURCES are read in course order; front matter, fenced code, images, callout
markers and markdown punctuation are removed, table rows become plain lines, and a few typographic
symbols are spelled out in ASCII so that the character vocabulary stays small.

Run from this folder: python make_corpus.py. Deterministic given the lesson files it reads; the committed
corpus.txt is a snapshot, so editing those lessons later does not change this lesson's data unless you
rerun the script.
"""

from __future__ import annotations

import re
from pathlib import Path

LESSONS = Path(__file__).resolve().parents[2]
SOURCES = [  # course order; this lesson and later ones are left out so the corpus does not describe itself
    "what-is-an-rnn",
    "sequence-windows",
    "lstm-sequence-prediction",
    "gru-vs-lstm",
    "vanishing-gradients",
    "stacked-and-bidirectional",
    "rnns-in-practice",
]
ASCII = {
    "−": "-",
    "–": "-",
    "—": "-",
    "·": "*",
    "⊙": "*",
    "×": "x",
    "→": "->",
    "←": "<-",
    "≈": "~",
    "…": "...",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "σ": "sigma",
    "²": "^2",
    "ₜ": "t",
    "₋": "-",
    "₀": "0",
    "₁": "1",
    "₂": "2",
    "₃": "3",
    "₄": "4",
    "₅": "5",
    "₆": "6",
    "₇": "7",
    "₈": "8",
    "₉": "9",
    "⁻": "-",
    "¹": "1",
    "³": "3",
    "⁰": "0",
    "ᵀ": "^T",
    "∂": "d",
    "Σ": "sum",
    "≤": "<=",
    "≥": ">=",
    "↑": "^",
    "̃": "~",
    "∞": "infinity",
    "é": "e",
}


def prose(markdown: str) -> str:
    body = markdown.split("\n---", 1)[1] if markdown.startswith("---") else markdown
    body = re.sub(r"```.*?```", "", body, flags=re.S)  # code blocks are not prose
    out: list[str] = []  # one entry per output line; wrapped paragraph lines are joined into one
    joinable = False  # may the next source line continue the previous output line?
    for raw in body.splitlines():
        line = raw.strip()
        if not line or line.startswith("![") or (re.fullmatch(r"\|?[\s:|-]+\|?", line) and "-" in line):
            if not line:
                out.append("")
            joinable = False  # blank lines end paragraphs; images and table separators are dropped
            continue
        own_line = line.startswith(("|", "#", "- ")) or bool(re.match(r"\d+\.\s", line))
        if line.startswith("|"):
            line = "; ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        line = re.sub(r"^>\s*\[!(TIP|NOTE|WARNING|IMPORTANT|CAUTION)\]\s*", "", line)
        line = re.sub(r"^>\s?", "", line)
        line = re.sub(r"^#+\s*", "", line)
        line = re.sub(r"^(\d+\.|-)\s+", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
        line = line.replace("**", "").replace("`", "").replace("*", "")
        if not line:
            continue
        if joinable and not own_line and out:
            out[-1] += " " + line
        else:
            out.append(line)
        joinable = not raw.lstrip().startswith(("|", "#"))
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)  # paragraphs stay separated by one blank line
    return text.strip() + "\n"


def to_ascii(text: str) -> str:
    for symbol, replacement in ASCII.items():
        text = text.replace(symbol, replacement)
    return text.encode("ascii", "ignore").decode("ascii")


def make_corpus() -> str:
    parts = [prose((LESSONS / slug / "lesson.md").read_text(encoding="utf-8")) for slug in SOURCES]
    return to_ascii("\n".join(parts))


if __name__ == "__main__":
    corpus = make_corpus()
    Path("corpus.txt").write_text(corpus, encoding="utf-8")
    print(f"corpus.txt: {len(corpus):,} characters, {len(set(corpus))} distinct")
