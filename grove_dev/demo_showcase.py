"""Hand-written demo posts, one set per theme: what a reader of the demo blogs sees first, and
every construct the renderer supports (footnotes, task lists, tables, strikethrough, code in
several languages, images as links). Each excerpt is the post's own first sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Showcase:
    title: str
    tags: tuple[str, ...]
    markdown: str


GARDEN_SHOWCASE = (
    Showcase(
        "Ten Years of Compost, in Numbers",
        ("compost", "soil"),
        """I have weighed every barrow of compost that left the bays since 2015, and the numbers surprised me.

## The bays

There are three bays of old pallets: one filling, one cooking, one ready. A bay takes about
four months to fill in summer and twice that in winter[^winter].

| Year | Barrows out | Average weight (kg) | Notes |
|------|------------:|--------------------:|-------|
| 2015 | 31 | 38 | First year, too much grass |
| 2019 | 44 | 41 | Added a third bay |
| 2024 | 52 | 44 | Shredded woody prunings |

## What changed

The jump after 2019 came from turning less, not more. ~~Turning every fortnight~~ Turning twice
a season keeps the worms in and the heat where it belongs.

A photo of the bays in October: [the three bays, half full](https://images.example.org/garden/compost-bays.jpg).

[^winter]: Below about 5 °C almost nothing happens; the heap simply waits for spring.
""",
    ),
    Showcase(
        "Jobs for a Wet November Weekend",
        ("seasons", "winter"),
        """The rain finally stopped on Saturday afternoon, so the list came out of the shed drawer.

## The list

- [x] Lift the last of the dahlias and dry the tubers
- [x] Sweep leaves into the leaf-mould cage
- [ ] Mulch the asparagus bed with manure
- [ ] Sharpen and oil the secateurs
- [ ] Order seed potatoes before the good ones go

## What can wait

Pruning the apples waits for a dry, frost-free day in January. The hedge can wait too: the
birds are still working through the haws, and a tidy hedge feeds nobody.
""",
    ),
)

SOFTWARE_SHOWCASE = (
    Showcase(
        "A Cache That Never Serves Yesterday's Post",
        ("caching", "design"),
        """Every cache invalidation scheme I trust has one property: the write path knows exactly what it made stale.

## Stamps instead of searches

Rather than finding every cached page that mentions a post, each write moves a per-blog
*stamp*, and every cache key carries it[^stamp]. Old keys are never read again; they expire.

```python
async def list_page(tenant: str, stamp: str, page: int) -> Page:
    key = f"list:{tenant}:{stamp}:p{page}"
    if (cached := await kv.get(key, type="json")) is not None:
        return Page(**cached)
    return await load_page(tenant, page)
```

The same idea in SQL terms: the query that fills the page reads one index range.

```sql
SELECT slug, title FROM posts
 WHERE tenant = ?1 AND status = 'published'
 ORDER BY published_at_ms DESC, id DESC
 LIMIT 11;
```

## Costs

| Write | Keys deleted | Keys orphaned |
|-------|-------------:|--------------:|
| Post edit | 2 | every list page |
| Config change | 0 | every page |

Orphans cost storage until their TTL, never correctness.

[^stamp]: The stamp starts with the time it was made, so a reader can tell how recent a write was.
""",
    ),
    Showcase(
        "Checklist Before Turning On a Feature Flag",
        ("operations", "testing"),
        """Flags are cheap to add and expensive to reason about, so ours go through the same five questions.

- [x] Does the off state still pass the full test suite?
- [x] Is there a dashboard showing both arms?
- [ ] Who is paged if the on state misbehaves at 3 a.m.?
- [ ] When will the flag be deleted, and who deletes it?

```sh
$ grove stats --url http://localhost:8787 | jq '.d1.queries'
```

If any box stays empty, the flag stays off.
""",
    ),
)

KITCHEN_SHOWCASE = (
    Showcase(
        "Overnight Focaccia, by Weight",
        ("baking", "recipes"),
        """This is the focaccia I make every Friday, mixed after dinner and baked before lunch.

## You will need

| Ingredient | Amount | Baker's % |
|------------|-------:|----------:|
| Strong white flour | 500 g | 100 |
| Water | 400 g | 80 |
| Salt | 10 g | 2 |
| Dried yeast | 3 g | 0.6 |
| Olive oil | 40 g | 8 |

## Method

1. Mix everything but the oil into a shaggy dough and leave it covered for 30 minutes.
2. Fold it four times over two hours, then leave it in the fridge overnight[^fridge].
3. Tip into an oiled tin, dimple, rest an hour, and bake at 230 °C for 22 minutes.

A picture of the crumb: [a slice held up to the window](https://images.example.org/kitchen/focaccia-crumb.jpg).

[^fridge]: Twelve to eighteen hours; past a day the flavour turns sour in a way I don't enjoy.
""",
    ),
    Showcase(
        "What's in the Foraging Bag This Month",
        ("foraging", "walks"),
        """October is generous, but the bag stays small: a knife, a few paper bags and a good book.

- [x] Sweet chestnuts from the old avenue
- [x] Rosehips for syrup, after the first cold night
- [ ] Sloes: the bushes by the stile were stripped again
- [ ] Hen of the woods, if the oak on the lane obliges

Never pick what you cannot name with certainty, and never take more than a third of what is there.
""",
    ),
)

SHOWCASES: dict[str, tuple[Showcase, ...]] = {
    "garden": GARDEN_SHOWCASE,
    "software": SOFTWARE_SHOWCASE,
    "kitchen": KITCHEN_SHOWCASE,
}
