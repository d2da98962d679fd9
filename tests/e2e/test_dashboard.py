"""The dashboard in a real headless Chromium, `/metrics` and JSON logs, after a real run of the
diamond on real processes (Redis, the local GitHub, web, an events worker, two builder
workers)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.core import access, links
from bot.core.state import RunStatus
from porch_localstack.demo import REPO, SAMPLE_PLAN, RunResult, run_plan
from porch_localstack.localstack import LocalStack

# One worker runs the whole module (pytest --dist loadgroup): one stack, one browser.
pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("dashboard")]
BUILDER_SECONDS = 2.0
TOKEN = "operator-token-for-the-dashboard-test"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,820",
)


@pytest.fixture(scope="module")
def diamond(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, RunResult]]:
    env = {"PORCH_DASHBOARD_TOKEN": TOKEN, "PORCH_LOG_FORMAT": "json"}
    with LocalStack(tmp_path_factory.mktemp("stack"), workers=2, env=env) as stack:
        result = run_plan(stack, SAMPLE_PLAN.read_text(), builder_sleep=BUILDER_SECONDS)
        assert result.state.status is RunStatus.DONE
        yield stack, result


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"needs Debian's chromium and chromium-driver: {', '.join(missing)} missing"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="porch-chromium-", dir=tmp_path_factory.getbasetemp())
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _signed(stack: LocalStack, run_id: str) -> str:
    key = access.link_key(stack.credentials["webhook_secret"])
    return access.run_link(stack.web_url, key, run_id, time.time())


def _bars(driver: Any) -> list[dict[str, Any]]:
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll('#lanes g.bar')].map(b => ({"
            "phase: b.dataset.phase, kind: b.dataset.kind, start: +b.dataset.start,"
            "end: +b.dataset.end, x: +b.querySelector('rect').getAttribute('x'),"
            "w: +b.querySelector('rect').getAttribute('width')}))"
        )
    )


def test_the_run_list_shows_the_run(diamond: tuple[LocalStack, RunResult], browser: Any) -> None:
    stack, result = diamond
    browser.get(f"{stack.web_url}/runs?token={TOKEN}")
    # The token went into a cookie and out of the address.
    assert "token=" not in browser.current_url
    rows = browser.find_elements("css selector", "#runs tbody tr")
    assert [r.get_attribute("data-run") for r in rows] == [result.state.run_id]
    cells = [c.text for c in rows[0].find_elements("css selector", "td")]
    assert cells[1] == REPO and cells[2] == f"#{result.issue_number}"
    assert cells[3] == "done" and cells[4] == "4 / 4"


def test_the_run_page_draws_four_lanes_that_overlap_where_the_plan_allows(
    diamond: tuple[LocalStack, RunResult], browser: Any, tmp_path: Path
) -> None:
    stack, result = diamond
    browser.get(_signed(stack, result.state.run_id))
    lanes = browser.find_elements("css selector", "#lanes g.lane")
    assert [lane.get_attribute("data-phase") for lane in lanes] == [
        "phase_1",
        "phase_2",
        "phase_3",
        "phase_4",
    ]
    building = {b["phase"]: b for b in _bars(browser) if b["kind"] == "building"}
    assert sorted(building) == ["phase_1", "phase_2", "phase_3", "phase_4"]
    two, three, four = building["phase_2"], building["phase_3"], building["phase_4"]
    # Real times, and the drawn rectangles agree with them.
    assert two["start"] < three["end"] and three["start"] < two["end"]
    assert two["x"] < three["x"] + three["w"] and three["x"] < two["x"] + two["w"]
    assert four["start"] >= max(two["end"], three["end"])
    assert four["x"] >= max(two["x"] + two["w"], three["x"] + three["w"]) - 0.2
    assert building["phase_1"]["end"] <= min(two["start"], three["start"])
    nodes = browser.find_elements("css selector", "#graph g.node")
    assert {n.get_attribute("data-status") for n in nodes} == {"done"}
    critical = browser.find_element("css selector", ".critical").text
    assert critical.startswith("Critical path: Phase 1") and "Phase 4" in critical

    # The whole page in one picture: the window as tall as the page.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, int(height) + 140)
    path = tmp_path / "run-page.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    artifacts = os.environ.get("PORCH_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(artifacts) / "run-page.png")


def test_the_links_point_at_the_run_s_issue_prs_and_check_runs(
    diamond: tuple[LocalStack, RunResult], browser: Any
) -> None:
    stack, result = diamond
    web = links.web_base(stack.credentials["api_url"])
    browser.get(_signed(stack, result.state.run_id))
    issue = browser.find_element("id", "issue-link").get_attribute("href")
    assert issue == f"{web}/{REPO}/issues/{result.issue_number}"
    prs = {
        a.get_attribute("data-phase"): a.get_attribute("href")
        for a in browser.find_elements("css selector", "a.pr-link")
    }
    checks = {
        a.get_attribute("data-phase"): a.get_attribute("href")
        for a in browser.find_elements("css selector", "a.check-link")
    }
    github = stack.github().get_repo(REPO)
    for pid, phase in result.state.phases.items():
        assert prs[pid] == f"{web}/{REPO}/pull/{phase.pr_number}"
        # The address the local GitHub itself gives that PR and check run.
        pull = github.get_pull(phase.pr_number or 0)
        assert prs[pid] == pull.html_url
        assert phase.check_run_id is not None
        assert checks[pid] == github.get_check_run(phase.check_run_id).html_url


def test_the_status_comment_links_a_signed_page_and_carries_a_gantt(
    diamond: tuple[LocalStack, RunResult], browser: Any
) -> None:
    stack, result = diamond
    issue = stack.github().get_repo(REPO).get_issue(result.issue_number)

    def status() -> str:
        return next(c.body for c in issue.get_comments() if "porch-parallel:status" in c.body)

    # The run's end is rendered by the job its last event enqueued: moments after it.
    deadline = time.monotonic() + 30
    while "```mermaid\ngantt" not in (body := status()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "```mermaid\ngantt" in body
    link = body.split("](", 1)[1].split(")", 1)[0]
    assert link.startswith(f"{stack.web_url}/runs/{result.state.run_id}?exp=")
    # A fresh client with no cookie: the signed link alone opens the page.
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and 'class="lanes"' in page.text
    assert TOKEN not in page.text and "sig=" not in page.text


def test_without_the_signature_or_token_every_page_is_404(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    run_id = result.state.run_id
    good = _signed(stack, run_id)
    query = good.split("?", 1)[1]
    exp = query.split("&")[0]
    tampered = query[:-1] + ("0" if query[-1] != "0" else "1")
    for url, headers in [
        (f"{stack.web_url}/runs", {}),
        (f"{stack.web_url}/runs/{run_id}", {}),
        (f"{stack.web_url}/runs/{run_id}?{exp}", {}),
        (f"{stack.web_url}/runs/{run_id}?{tampered}", {}),
        (f"{stack.web_url}/runs/{run_id}?exp=1&sig={query.split('sig=')[1]}", {}),
        (f"{stack.web_url}/runs/other-run?{query}", {}),
        (f"{stack.web_url}/runs?{query}", {}),
        (f"{stack.web_url}/runs?token=wrong", {}),
        (f"{stack.web_url}/runs", {"Authorization": "Bearer wrong"}),
        (f"{stack.web_url}/runs", {"Cookie": "porch_dashboard=wrong"}),
        (f"{stack.web_url}/metrics", {}),
    ]:
        answer = requests.get(url, headers=headers, timeout=10, allow_redirects=False)
        assert answer.status_code == 404, url
    assert requests.get(good, timeout=10).status_code == 200
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(f"{stack.web_url}/runs", headers=bearer, timeout=10).status_code == 200


def test_metrics_after_the_diamond(diamond: tuple[LocalStack, RunResult]) -> None:
    stack, _ = diamond
    answer = requests.get(
        f"{stack.web_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    deliveries = {
        (s.labels["event"], s.labels["outcome"]): s.value
        for s in families["porch_webhook_deliveries"].samples
        if s.name.endswith("_total")
    }
    assert deliveries[("issue_comment", "queued")] >= 1
    runs = {s.labels["state"]: s.value for s in families["porch_runs"].samples}
    assert runs["done"] == 1 and runs["running"] == 0
    phases = {s.labels["state"]: s.value for s in families["porch_phases"].samples}
    assert phases["done"] == 4
    builder = {s.name: s.value for s in families["porch_builder_duration_seconds"].samples}
    assert builder["porch_builder_duration_seconds_count"] == 4
    assert builder["porch_builder_duration_seconds_sum"] >= 4 * BUILDER_SECONDS
    dispatch = {s.name: s.value for s in families["porch_dispatch_latency_seconds"].samples}
    assert dispatch["porch_dispatch_latency_seconds_count"] == 3  # phases 2, 3 and 4
    requests_made = {
        (s.labels["kind"], s.labels["status"]): s.value
        for s in families["porch_github_requests"].samples
        if s.name.endswith("_total")
    }
    assert requests_made[("POST /repos/:repo/pulls", "201")] == 5  # four phases, one integration
    assert requests_made[("POST /app/installations/:n/access_tokens", "201")] >= 1
    assert "porch_github_rate_limit_remaining" in families
    workers = {s.labels["role"]: s.value for s in families["porch_workers"].samples}
    assert workers == {"events": 1, "builders": 2}


def test_json_logs_parse_line_by_line_carry_the_ids_and_no_token(
    diamond: tuple[LocalStack, RunResult],
) -> None:
    stack, result = diamond
    lines: list[dict[str, Any]] = []
    for path in sorted(stack.logs.glob("*.log")):
        if path.name.startswith(("web", "worker")):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pytest.fail(f"{path.name}:{number} is not JSON: {line[:200]}")
    assert lines
    run_id = result.state.run_id
    assert any(r.get("delivery_id") for r in lines if r["role"] == "web")
    assert any(r.get("delivery_id") for r in lines if r["role"] == "events")
    phases = {r.get("phase_id") for r in lines if r.get("run_id") == run_id}
    assert {"phase_1", "phase_2", "phase_3", "phase_4"} <= phases
    # A builder's lines name its attempt (a check run update is about the phase, not one try).
    builds = [
        r
        for r in lines
        if r["role"] == "builders" and r.get("run_id") == run_id and r.get("phase_id")
    ]
    assert builds and all(r["attempt"] >= 1 and r["iteration"] == 1 for r in builds)
    text = stack.log_text()
    assert TOKEN not in text
    assert stack.credentials["webhook_secret"] not in text
    for shape in ("ghs_", "ghp_", "sig="):
        assert not [line for line in text.splitlines() if shape in line and "***" not in line]
