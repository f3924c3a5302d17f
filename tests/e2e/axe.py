"""axe-core in the browser tests: `violations(page)` runs the WCAG 2.0/2.1 A and AA rules on
the page Playwright shows and returns what fails, one line per rule with its first nodes.

axe is evaluated through Playwright (not a <script> tag), so the portal's
Content-Security-Policy stays as in production."""

from pathlib import Path

AXE_JS = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " +
      (n.any.concat(n.all, n.none).map((c) => c.message).join("; "))).join(" | "));
}"""


def violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS)
    return page.evaluate(RUN, TAGS)
