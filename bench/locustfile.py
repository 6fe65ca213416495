"""A reader-shaped load on pacforum (run it through bench/run.sh).

Every request is named by its page type, so Locust reports requests per second
and latency percentiles per type. The mix and the candidate addresses live in
bench/pages.json; the sampled addresses in the plan file bench/run.sh writes.
Subscription submissions fill whatever form the subscribe page shows (hidden
fields as given, a unique email per submission, every checkbox ticked) and
count as successful only when the site answers with a redirect or a page
without form errors; bench/run.sh then checks that the database holds exactly
that many new subscription requests.
"""

import itertools
import json
import os
import random
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from locust import HttpUser, between, events, task
from requests import RequestException, Session

PLAN = json.loads(Path(os.environ.get("BENCH_PLAN", "bench/plan.json")).read_text())
RUN_ID = os.environ.get("BENCH_RUN_ID") or uuid.uuid4().hex[:8]
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench/results/submissions.json"))

state = {"pages": [], "subscribe": None}
submissions = {"run_id": RUN_ID, "attempted": 0, "succeeded": 0}
numbers = itertools.count(1)


class _FormParser(HTMLParser):
    """Collects each <form>'s action, method and fields."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": []})
        elif not self.forms:
            return
        elif tag in {"input", "textarea"}:
            self.forms[-1]["fields"].append({"tag": tag, **attrs})
        elif tag == "select":
            self._select = {"tag": "select", "options": [], **attrs}
            self.forms[-1]["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def subscription_form(html):
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(f.get("type") == "email" or f.get("name") == "email" for f in form["fields"]):
            return form
    return None


def fill(form, number):
    data = []
    for field in form["fields"]:
        name = field.get("name")
        kind = (field.get("type") or "text").lower()
        if not name or kind in {"submit", "button", "reset", "file"}:
            continue
        if kind == "email" or name == "email":
            data.append((name, f"load-{RUN_ID}-{number}@example.org"))
        elif kind == "checkbox":
            data.append((name, field.get("value", "on")))
        elif kind == "radio":
            if name not in {key for key, _ in data}:
                data.append((name, field.get("value", "on")))
        elif field["tag"] == "select":
            options = [o for o in field["options"] if o]
            if options:
                data.append((name, options[0]))
        elif kind == "hidden":
            data.append((name, field.get("value", "")))
        elif "name" in name:
            data.append((name, f"Load Tester {number}"))
        elif "organi" in name:
            data.append((name, "Bench Institute"))
        elif "required" in field:
            data.append((name, "x"))
        else:  # optional (and honeypot) fields stay empty
            data.append((name, field.get("value", "")))
    return data


def _expand(template):
    words = PLAN.get("search_words", ["security"])
    series = PLAN["samples"].get("series_slugs", [])
    if "{series}" in template:
        return [template.replace("{series}", s).replace("{word}", words[0]) for s in series]
    if "{word}" in template:
        return [template.replace("{word}", w) for w in words]
    return [template]


def _exists(host, path):
    try:
        return Session().get(urljoin(host, path), timeout=30).status_code < 400
    except RequestException:
        return False


@events.test_start.add_listener
def resolve_plan(environment, **kwargs):
    host = environment.host
    for page in PLAN["pages"]:
        if "sample" in page:
            urls = PLAN["samples"].get(page["sample"], [])
        else:
            urls = []
            for template in page["candidates"]:
                expanded = _expand(template)
                if expanded and _exists(host, expanded[0]):
                    urls = expanded
                    break
        if urls:
            state["pages"].append((page["type"], page["weight"], urls))
        else:
            print(f"bench: no {page['type']} pages on this site; left out of the mix")
    for path in PLAN["subscribe"]["candidates"]:
        try:
            response = Session().get(urljoin(host, path), timeout=30)
        except RequestException:
            continue
        if response.status_code == 200 and subscription_form(response.text):
            state["subscribe"] = path
            break
    else:
        print("bench: no subscription form found; submissions left out of the mix")
    mix = [(kind, weight) for kind, weight, _ in state["pages"]]
    if state["subscribe"]:
        mix.append(("subscribe", PLAN["subscribe"]["weight"]))
    print(f"bench: run {RUN_ID}, mix {mix}")


@events.test_stop.add_listener
def write_submissions(environment, **kwargs):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(submissions))


class Reader(HttpUser):
    wait_time = between(0.5, 2)

    @task
    def visit(self):
        choices = [(kind, weight, urls) for kind, weight, urls in state["pages"]]
        if state["subscribe"]:
            choices.append(("subscribe", PLAN["subscribe"]["weight"], None))
        if not choices:
            return
        kind, _, urls = random.choices(choices, weights=[c[1] for c in choices])[0]
        if kind == "subscribe":
            self.subscribe(state["subscribe"])
        else:
            self.client.get(random.choice(urls), name=kind)

    def subscribe(self, path):
        page = self.client.get(path, name="subscribe form")
        form = subscription_form(page.text) if page.status_code == 200 else None
        if form is None:
            return
        number = next(numbers)
        submissions["attempted"] += 1
        with self.client.post(
            urljoin(path, form["action"]) if form["action"] else path,
            data=fill(form, number),
            headers={"Referer": urljoin(self.host, path)},
            allow_redirects=False,
            name="subscribe submit",
            catch_response=True,
        ) as response:
            redirected = 300 <= response.status_code < 400
            accepted = response.status_code == 200 and not re.search(
                r"errorlist|aria-invalid=\"true\"", response.text
            )
            if redirected or accepted:
                submissions["succeeded"] += 1
                response.success()
            else:
                response.failure(f"submission refused ({response.status_code})")
