"""The reader's pages in headless Chromium, on a desktop and a 390 px phone: a post page with
its byline, tags, footnote, highlighted code and neighbours, and the tag page its tag links to.
Each fits the screen without sideways scrolling; screenshots go to `.artifacts/reader/`."""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = NEEDS_CHROMIUM

MARKDOWN = """Compost wants air and patience.[^1]

- [x] turn the heap
- [ ] sieve the mould

```python
def turn(heap: list[str]) -> list[str]:
    return list(reversed(heap))  # the bottom comes up
```

| week | temperature |
|------|-------------|
| 1    | 55 °C       |

[^1]: And a fork with long tines, kept by the shed door at the end of the long path.
"""

DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


@pytest.mark.parametrize("device_name", DEVICES)
async def test_post_and_tag_pages_read_well_on_desktop_and_phone(site, browser, create_post, device_name):
    await create_post("Older Beds", "Last year's beds.", tags=["soil"])
    await create_post(
        "A Heap Worth Turning",
        MARKDOWN,
        description="How the heap becomes soil, week by week.",
        tags=["soil", "compost-heaps"],
    )
    context = await browser.new_context(**DEVICES[device_name])
    page = await context.new_page()
    expect = playwright_api.expect
    folder = ARTIFACTS / "reader"
    folder.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{site}/blog/a-heap-worth-turning")
    await expect(page.locator("h1")).to_have_text("A Heap Worth Turning")
    # The byline names the author by display name (the test's owner account), not an id.
    assert "ada" in (await page.locator(".author").first.inner_text()).lower()
    await expect(page.locator("pre .k, pre .kn, pre span").first).to_be_visible()  # Pygments spans
    assert await page.locator("input[type=checkbox][checked]").count() == 1
    await expect(page.locator("a", has_text="Older Beds")).to_have_attribute("href", "/blog/older-beds")
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"post page scrolls sideways on the {device_name}: {width}"
    await page.screenshot(path=str(folder / f"post-{device_name}.png"), full_page=True)

    await page.locator("article a[href='/tags/compost-heaps']").first.click()
    await expect(page).to_have_url(f"{site}/tags/compost-heaps")
    await expect(page.locator("main a", has_text="A Heap Worth Turning")).to_be_visible()
    await expect(page.locator("main a", has_text="Older Beds")).to_have_count(0)
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"tag page scrolls sideways on the {device_name}: {width}"
    await page.screenshot(path=str(folder / f"tag-{device_name}.png"), full_page=True)
    await context.close()
