"""The lessons' `$…$` / `$$…$$` LaTeX math, for a terminal and for a web page.

Lessons write most formulas in Unicode (`∂L/∂w = 2(z − y)·x`), which reads
well everywhere; a few displayed formulas are LaTeX between dollars. On a
terminal they become Unicode text (`latex_to_unicode`: \\frac{a}{b} → a/b,
\\alpha → α, x_j → xⱼ, …); on the web page they become MathML at build time
(`latex_to_mathml`, by latex2mathml — no JavaScript, no CDN).

Inline math follows pandoc's rule: `$x$` with no space just inside the
dollars and no digit right after the closing one, so "costs $5 and $6" is
not math. Code spans and fenced code blocks are left alone.
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Omega": "Ω",
}
_SYMBOLS = {
    "partial": "∂", "nabla": "∇", "cdot": "·", "times": "×", "leftarrow": "←", "rightarrow": "→", "to": "→",
    "gets": "←", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "sum": "Σ", "prod": "∏", "infty": "∞", "in": "∈", "odot": "⊙", "pm": "±", "sqrt": "√", "max": "max",
    "min": "min", "log": "log", "exp": "exp", "quad": "  ", "qquad": "    ", ",": " ", ";": " ", "!": "",
    "top": "ᵀ", "lVert": "‖", "rVert": "‖", "|": "‖", "ldots": "…", "dots": "…", "cdots": "⋯",
}
_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-=()inNT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᴺᵀ")

_INLINE = re.compile(r"(?<![\\$])\$(?=\S)(?P<tex>[^$\n]*?\S)\$(?!\d)")
_DISPLAY = re.compile(r"\$\$(?P<tex>.+?)\$\$", re.DOTALL)


def _group(text: str, start: int) -> tuple[str, int]:
    """The `{…}` group (or the single character) at `start`, and the index after it."""
    if start >= len(text):
        return "", start
    if text[start] != "{":
        if text[start] == "\\":
            match = re.match(r"\\[A-Za-z]+", text[start:])
            if match:
                return match.group(0), start + len(match.group(0))
        return text[start], start + 1
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start + 1:index], index + 1
    return text[start + 1:], len(text)


def _script(body: str, table: dict[int, int], mark: str) -> str:
    converted = latex_to_unicode(body)
    translated = converted.replace(" ", "").translate(table)
    if all(ord(c) in table.values() or c in "ᵀ" for c in translated if not c.isspace()):
        return translated
    return f"{mark}({converted})" if len(converted) > 1 else f"{mark}{converted}"


def _atom(text: str) -> str:
    """Parenthesise a fraction's part unless it is one simple term."""
    return text if re.fullmatch(r"[\w.′ᵀ∂∇⁰-⁹₀-₉]+", text) else f"({text})"


def latex_to_unicode(tex: str) -> str:
    """Readable plain text for a LaTeX formula: `\\frac{2}{\\lambda_{\\max}}` → `2/λ_max`."""
    out: list[str] = []
    i = 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            assert match is not None
            name = match.group(1)
            i += len(match.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _group(tex, i)
                den, i = _group(tex, i)
                out.append(f"{_atom(latex_to_unicode(num))}/{_atom(latex_to_unicode(den))}")
                if tex[i:i + 1] == "\\":
                    out.append(" ")
            elif name in ("hat", "bar", "tilde", "vec", "mathbf", "mathrm", "text", "operatorname", "boldsymbol"):
                body, i = _group(tex, i)
                inner = latex_to_unicode(body)
                mark = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}.get(name, "")
                out.append(unicodedata.normalize("NFC", inner + mark))  # ŷ is one character
            elif name in ("left", "right", "big", "Big", "bigl", "bigr", "displaystyle"):
                continue
            elif name == "sqrt":
                body, i = _group(tex, i)
                out.append(f"√{_atom(latex_to_unicode(body))}")
            else:
                out.append(_GREEK.get(name) or _SYMBOLS.get(name) or name)
                if name in ("partial", "nabla"):
                    while tex[i:i + 1] == " ":
                        i += 1
        elif char in "_^":
            body, i = _group(tex, i + 1)
            if body == "\\max" or body == "\\min":
                out.append("_" + body[1:])
            elif char == "_":
                out.append(_script(body, _SUB, "_"))
            else:
                out.append(_script(body, _SUP, "^"))
        elif char in "{}":
            i += 1
        else:
            out.append(char)
            i += 1
    text = "".join(out)
    text = re.sub(r"(?<=\S)\s*([<>=←→≤≥≈])\s*(?=\S)", r" \1 ", text)
    return text.replace("-", "−").strip()


def latex_to_mathml(tex: str, *, display: bool) -> str:
    """MathML for a LaTeX formula (latex2mathml, imported here: only `grade site` needs it)."""
    from latex2mathml.converter import convert

    return convert(tex.strip(), display="block" if display else "inline")


def _outside_code(markdown: str, transform: callable) -> str:  # type: ignore[valid-type]
    """Apply `transform` to the text outside fenced code blocks and inline code spans."""
    parts = re.split(r"(^```.*?^```[^\n]*$)", markdown, flags=re.MULTILINE | re.DOTALL)
    for index in range(0, len(parts), 2):
        spans = re.split(r"(`[^`\n]+`)", parts[index])
        parts[index] = "".join(s if s.startswith("`") else transform(s) for s in spans)
    return "".join(parts)


def markdown_math_to_unicode(markdown: str) -> str:
    """Every `$$…$$` as an indented code line and every `$…$` as text, in Unicode (for a terminal)."""
    def convert(text: str) -> str:
        text = _DISPLAY.sub(lambda m: "\n```text\n  " + latex_to_unicode(m.group("tex")) + "\n```\n", text)
        return _INLINE.sub(lambda m: latex_to_unicode(m.group("tex")), text)

    return _outside_code(markdown, convert)
