"""`grade site OUT`: the static web course, built and opened in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import broken_images, browser, open_page  # noqa: F401  (browser is a fixture)
from click.testing import CliRunner

from grader import course
from grader.cli import cli
from grader.site import build_site, lesson_page

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["site", str(out), "--json"], env={"NO_COLOR": "1"})
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert elapsed <= 10, f"grade site took {elapsed:.1f} s (limit 10 s)"
    assert report["seconds"] <= 10
    return out


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        if tag == "img":
            self.srcs.append(attributes["src"])
        if attributes.get("id"):
            self.ids.add(attributes["id"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


# -- the files ------------------------------------------------------------------------------

def test_every_lesson_the_bank_and_the_exercises_have_a_page(site):
    names = {p.name for p in _pages(site)}
    assert {"index.html", "pyq.html", "exercises.html"} <= names
    for lesson in course.load_lessons():
        assert lesson_page(lesson) in names
    index = (site / "index.html").read_text(encoding="utf-8")
    for lesson in course.load_lessons():
        assert f'href="{lesson_page(lesson)}"' in index
    assert {p.name for p in (site / "figures").glob("*.png")} == {p.name for p in course.figures_dir().glob("*.png")}


def test_every_link_and_image_resolves_offline(site):
    for page in _pages(site):
        parsed = _parse(page)
        assert not [u for u in parsed.hrefs + parsed.srcs if re.match(r"(https?:)?//", u)], page.name  # no CDN
        for href in parsed.hrefs:
            target, _, anchor = href.partition("#")
            target_path = site / target if target else page
            assert target_path.is_file(), f"{page.name} links to missing {href}"
            if anchor:
                assert anchor in _parse(target_path).ids, f"{page.name}: no #{anchor} in {target_path.name}"
        for src in parsed.srcs:
            assert (site / src).is_file(), f"{page.name}: missing image {src}"


def test_lessons_exercises_and_questions_link_both_ways(site):
    bank = course.load_pyqs()
    pyq_html = _parse(site / "pyq.html")
    exercises_html = _parse(site / "exercises.html")
    for q in bank:
        assert q.id in pyq_html.ids
        for relpath in q.lessons:
            lesson = next(x for x in course.load_lessons() if x.relpath == relpath)
            assert lesson_page(lesson) in pyq_html.hrefs  # question → lesson
            assert f"pyq.html#{q.id}" in _parse(site / lesson_page(lesson)).hrefs  # lesson → question
        for name in q.exercises:
            assert f"exercises.html#{name}" in pyq_html.hrefs  # question → exercise
            assert f"pyq.html#{q.id}" in exercises_html.hrefs  # exercise → question
    for lesson in course.load_lessons():
        links = _parse(site / lesson_page(lesson)).hrefs
        assert f"exercises.html#{lesson.exercise}" in links  # lesson → exercise
        assert lesson_page(lesson) in exercises_html.hrefs  # exercise → lesson


def test_answers_are_behind_a_reveal_and_math_is_mathml(site):
    pyq = (site / "pyq.html").read_text(encoding="utf-8")
    for q in course.load_pyqs():
        for version in q.all_versions:
            assert f"<summary>Model answer ({version.marks} marks) and marking points</summary>" in pyq
    assert "<!--" not in pyq
    for lesson in course.load_lessons():
        page = (site / lesson_page(lesson)).read_text(encoding="utf-8")
        assert "<!--" not in page and "$$" not in page
        if "$$" in lesson.text():
            assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in page
        if "(Answer:" in lesson.text():
            assert '<details class="answer"><summary>Answer</summary>' in page and "(Answer:" not in page
        # Every "Check yourself" bullet is still a list item (the reveals do not break the list).
        section = lesson.text().split("## Check yourself", 1)[1].split("Do next:", 1)[0]
        bullets = sum(line.startswith("* ") for line in section.splitlines())
        rendered = page.split("<h2>Check yourself</h2>", 1)[1].split("</ul>", 1)[0]
        assert rendered.count("<li>") == bullets and "\n* " not in rendered, lesson.name


def test_a_lesson_added_later_is_picked_up(tmp_path, monkeypatch):
    lessons = tmp_path / "lessons"
    shutil.copytree(course.lessons_dir(), lessons)
    (lessons / "11-momentum.md").write_text(
        "# 11 · Momentum\n\nA velocity $v_t = \\beta v_{t-1} + \\nabla J$ and a figure:\n\n"
        "![The bowl](../figures/bowl.png)\n\nDo next: `grade exercise1`.\n", encoding="utf-8")
    monkeypatch.setattr(course, "lessons_dir", lambda: lessons)
    course.load_lessons.cache_clear()
    try:
        report = build_site(tmp_path / "out")
    finally:
        course.load_lessons.cache_clear()
    assert "lesson-11-momentum.html" in report.pages
    page = (tmp_path / "out" / "lesson-11-momentum.html").read_text(encoding="utf-8")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in page
    assert 'src="figures/bowl.png"' in page
    assert "lesson-11-momentum.html" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_site_into_a_file_is_a_usage_error(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    result = CliRunner().invoke(cli, ["site", str(target)])
    assert result.exit_code == 2


# -- in a real browser ------------------------------------------------------------------------

def test_every_page_loads_without_errors_with_images_and_laid_out_math(site, browser, tmp_path):  # noqa: F811
    math_pages = 0
    for path in _pages(site):
        page, problems = open_page(browser, path)
        assert problems == [], f"{path.name}: {problems}"
        assert broken_images(page) == [], path.name
        assert page.evaluate("() => document.images.length") == len(_parse(path).srcs)
        maths = page.evaluate(
            "() => [...document.querySelectorAll('math')].map(m => {"
            " const r = m.getBoundingClientRect();"
            " return {mathml: m instanceof MathMLElement, width: r.width, height: r.height}; })")
        assert all(m["mathml"] and m["width"] > 0 and m["height"] > 0 for m in maths), (path.name, maths)
        # A fraction is laid out as a fraction: numerator above the denominator.
        fractions = page.evaluate(
            "() => [...document.querySelectorAll('mfrac')].map(f => {"
            " const [n, d] = [...f.children].map(c => c.getBoundingClientRect());"
            " return n.bottom <= d.top + 1 && Math.abs((n.left + n.right) - (d.left + d.right)) < 40; })")
        assert all(fractions), path.name
        if maths:
            math_pages += 1
        if path.name == "lesson-02-gradient-descent.html":
            shot = tmp_path / "lesson-02.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        page.context.close()
    assert math_pages >= 4


def test_model_answers_open_on_click(site, browser):  # noqa: F811
    page, problems = open_page(browser, site / "pyq.html")
    section = page.locator("#style-neuron-graph")
    answer = section.locator("details").first
    assert not answer.locator("p").first.is_visible()
    answer.locator("summary").click()
    assert answer.locator("p").first.is_visible() and answer.locator("table").is_visible()
    page.screenshot(path=str(site / "pyq-open.png"))
    assert problems == []
    page.context.close()
