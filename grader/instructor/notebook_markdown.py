"""Docstrings as Jupyter Markdown: math as LaTeX (`$\\nabla J = 2p$`), code as code.

The reference docstrings write math in Unicode (θ ← θ − α·∇J), which reads well
in a terminal. In a notebook the same formulas go to MathJax:

- an indented formula block becomes display math, one `$$…$$` per line (a
  leading `label:` and a trailing `(comment)` stay prose);
- in prose, every run of words that holds math (a Greek letter, ∂, ², ·, …,
  or `x_i`) becomes inline `$…$`, together with the single-letter variables,
  numbers and operators around it;
- `Args:` become a bullet list, `Example:` a Python code block, `* item`
  lines a Markdown list; Markdown specials in prose are escaped.
"""

from __future__ import annotations

import re

LATEX = {
    "θ": r"\theta ", "α": r"\alpha ", "β": r"\beta ", "σ": r"\sigma ", "δ": r"\delta ", "η": r"\eta ",
    "λ": r"\lambda ", "μ": r"\mu ", "ε": r"\varepsilon ", "∇": r"\nabla ", "∂": r"\partial ", "Σ": r"\sum ",
    "Π": r"\prod ", "−": "-", "·": r"\cdot ", "×": r"\times ", "⊙": r"\odot ", "≈": r"\approx ", "≤": r"\le ",
    "≥": r"\ge ", "≠": r"\ne ", "←": r"\leftarrow ", "→": r"\to ", "⇒": r"\Rightarrow ", "∞": r"\infty ",
    "±": r"\pm ", "∈": r"\in ", "…": r"\ldots ", "ᵀ": r"^\top ", "²": "^2", "³": "^3", "′": "'", "‖": r"\|",
    "ŷ": r"\hat y ", "∘": r"\circ ",
}
MATH_CHARS = frozenset(LATEX) | frozenset("√")
_WORDS = frozenset({"cos", "sin", "exp", "log", "ln", "max", "min", "tanh", "MSE", "sign", "sqrt"})
_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Yields|Example|Examples|Note|Notes):\s*$")
_LABEL = re.compile(r"^([A-Za-z][\w ()]*?:)\s+(.*)$")
_COMMENT = re.compile(r"^(.*?\S)\s{2,}(\(.*\))\s*$")
_MD_SPECIALS = re.compile(r"([\\_$<*])")
_CODE_SPAN = re.compile(r"(`+[^`]*`+)")
_TRAIL = ",.;:"


def to_latex(text: str) -> str:
    """Unicode math to LaTeX: symbols, `x_ij` → `x_{ij}`, `^(…)` → `^{…}`, √(…) → \\sqrt{…}."""
    out = re.sub(r"√\(([^()]*)\)", r"\\sqrt{\1}", text)
    out = re.sub(r"√(\w+)", r"\\sqrt{\1}", out)
    out = re.sub(r"\^\(([^()]*)\)", r"^{\1}", out)
    out = re.sub(r"_\(([^()]*)\)", r"_{\1}", out)
    out = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", out)
    out = "".join(LATEX.get(c, c) for c in out)
    out = out.replace("|", r"\vert ").replace("*", r"\ast ")
    return re.sub(r" +", " ", out).strip()


def _is_math(token: str) -> bool:
    return any(c in MATH_CHARS for c in token) or bool(re.search(r"[A-Za-z0-9)]_[A-Za-z0-9(]", token))


def _is_connector(token: str) -> bool:
    """Numbers, operators and single-letter variables: math if next to math, e.g. `J(x, y) = x²`."""
    core = token.strip(_TRAIL)
    if not core:
        return False
    runs = re.findall(r"[A-Za-z]+", core)
    if any(len(r) > 1 and r not in _WORDS and not (len(r) == 2 and re.search(r"[/=^]", core)) for r in runs):
        return False
    return bool(re.fullmatch(r"[A-Za-z0-9.,()\[\]{}=+\-*/<>|^'!]+", core))


def inline_math(line: str) -> str:
    """A prose line with its math runs as `$…$` and the rest Markdown-escaped (code spans kept)."""
    parts = _CODE_SPAN.split(line)
    return "".join(p if i % 2 else _inline(p) for i, p in enumerate(parts))


def _inline(text: str) -> str:
    tokens = re.split(r"(\s+)", text)
    words = tokens[0::2]
    math = [_is_math(w) for w in words]
    keep = list(math)
    depth, ends = 0, []  # a clause ends at `,.;:` outside parentheses
    for w in words:
        depth += w.count("(") - w.count(")")
        ends.append(w[-1:] in _TRAIL and depth <= 0)
    for i, is_math in enumerate(math):  # grow each run over connectors on both sides
        if not is_math:
            continue
        j = i - 1  # backwards: stop at a word that ends a clause ("so", "4;")
        while j >= 0 and not keep[j] and _is_connector(words[j]) and not ends[j]:
            keep[j] = True
            j -= 1
        j = i + 1
        while j < len(words) and not keep[j] and not ends[j - 1] and _is_connector(words[j]):
            keep[j] = True
            j += 1
    out: list[str] = []
    i = 0
    while i < len(words):
        if not keep[i] or not words[i]:
            out.append(_escape(words[i]))
            if i < len(words) - 1:
                out.append(tokens[2 * i + 1])
            i += 1
            continue
        j = i
        while j + 1 < len(words) and keep[j + 1] and not ends[j]:
            j += 1
        run = " ".join(words[i: j + 1])
        lead, trail = "", ""
        while run and run[-1] in _TRAIL:
            run, trail = run[:-1], run[-1] + trail
        while run.startswith("(") and run.count("(") > run.count(")"):
            run, lead = run[1:], lead + "("
        while run.endswith(")") and run.count(")") > run.count("("):
            run, trail = run[:-1], ")" + trail
        out.append(f"{lead}${to_latex(run)}${trail}" if run else lead + trail)
        if j < len(words) - 1:
            out.append(tokens[2 * j + 1])
        i = j + 1
    return "".join(out)


def _escape(word: str) -> str:
    if re.fullmatch(r"\*[^*]+\*[,.;:]?", word):  # *emphasis* stays emphasis
        return word
    return _MD_SPECIALS.sub(r"\\\1", word)


def formula_lines(block: list[str]) -> list[str]:
    """An indented formula block: each line as display math, labels and comments as prose."""
    out = []
    for raw in block:
        line = raw.strip()
        if not line:
            continue
        label, comment = "", ""
        match = _LABEL.match(line)
        if match and not _is_math(match.group(1)):
            label, line = match.group(1), match.group(2)
        match = _COMMENT.match(line)
        if match:
            line, comment = match.group(1), match.group(2)
        if len([w for w in re.findall(r"(?<![_A-Za-z])[A-Za-z]{3,}", line) if w not in _WORDS]) >= 3:
            out.append(inline_math(raw.strip()))  # a sentence inside the block, not a formula
            continue
        text = f"$$ {to_latex(line)} $$"
        prefix = f"*{label}* " if label else ""
        suffix = f" {inline_math(comment)}" if comment else ""
        out.append(f"{prefix}{text}{suffix}")
    return out


def docstring_markdown(text: str) -> str:
    """A whole docstring as Markdown (see the module docstring)."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    section = ""
    while i < len(lines):
        line = lines[i]
        heading = _SECTION.match(line)
        if heading:
            section = heading.group(1)
            out += ["", f"**{section}**", ""]
            i += 1
            continue
        if not line.strip():
            out.append("")
            section = section if i + 1 < len(lines) and lines[i + 1].startswith((" ", "\t")) else ""
            i += 1
            continue
        if line.startswith((" ", "\t")):
            block = []
            while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += _indented(block, section)
            continue
        out.append(inline_math(line))
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _indented(block: list[str], section: str) -> list[str]:
    indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
    body = [b[indent:] for b in block]
    if section in ("Example", "Examples") or body[0].lstrip().startswith(">>>"):
        return ["", "```python", *body, "```", ""]
    if section in ("Args", "Arguments", "Raises"):
        items: list[str] = []
        for line in body:
            if line and not line[0].isspace() and ":" in line:
                name, _, desc = line.partition(":")
                items.append(f"- `{name.strip()}`: {inline_math(desc.strip())}")
            elif items:
                items[-1] += " " + inline_math(line.strip())
        return ["", *items, ""]
    if section:
        return ["", " ".join(inline_math(b.strip()) for b in body if b.strip()), ""]
    if body[0].lstrip().startswith(("* ", "- ")):
        items = []
        for line in body:
            stripped = line.strip()
            if stripped.startswith(("* ", "- ")):
                items.append("* " + inline_math(stripped[2:]))
            elif stripped and items:
                items[-1] += " " + inline_math(stripped)
        return ["", *items, ""]
    return ["", *(f"{line}\n" for line in formula_lines(body)), ""]
